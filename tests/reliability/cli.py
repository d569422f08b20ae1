"""Run the ecr-auditor command line as a child process against the emulator, for crash and secret tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.emulator import EmulatorServer
from reliability.estate import ACCOUNTS, REGIONS, ROLE_NAME


def write_config(
    directory: Path,
    database_url: str,
    extra: str = "",
    *,
    accounts: Sequence[str] = ACCOUNTS,
    regions: Sequence[str] = REGIONS,
) -> Path:
    """Write an ecr-auditor.toml for (part of) the reliability estate and return its path.

    `extra` is appended verbatim, for more TOML sections.
    """
    account_list = ", ".join(f'"{a}"' for a in accounts)
    region_list = ", ".join(f'"{r}"' for r in regions)
    path = directory / "ecr-auditor.toml"
    path.write_text(
        f'[audit]\naccounts = [{account_list}]\nregions = [{region_list}]\nrole_name = "{ROLE_NAME}"\n'
        "max_attempts = 3\nmax_workers = 2\nrepository_workers = 2\n\n"
        f'[database]\nurl = "{database_url}"\n\n'
        f'[report]\noutput_dir = "{directory / "reports"}"\n'
        f"{extra}"
    )
    return path


def child_environment(emulator: EmulatorServer, **extra: str) -> dict[str, str]:
    """Return an environment that points boto3 at the emulator with dummy credentials only."""
    keep = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "ECR_AUDITOR_"))}
    keep.update(
        AWS_ENDPOINT_URL=emulator.endpoint_url,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    keep.update(extra)
    return keep


@dataclass
class Child:
    """A running ecr-auditor process whose standard output and error go to files."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def wait_for_log(self, text: str, timeout: float = 30.0) -> None:
        """Block until `text` appears on standard error; fail if the process exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.stderr.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                raise AssertionError(
                    f"ecr-auditor exited with {self.process.returncode} before logging {text!r}:\n{self.errors()}"
                )
            time.sleep(0.02)
        raise AssertionError(f"ecr-auditor did not log {text!r} within {timeout} s:\n{self.errors()}")

    def kill(self) -> None:
        """SIGKILL the process and reap it, so that its pid no longer exists."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def finish(self, timeout: float = 60.0) -> int:
        return self.process.wait(timeout=timeout)

    def errors(self) -> str:
        return self.stderr.read_text(errors="replace")

    def output(self) -> str:
        return self.stdout.read_text(errors="replace")


def start(config: Path, env: dict[str, str], *args: str, name: str = "child") -> Child:
    """Start `ecr-auditor --config CONFIG ARGS...` with output captured in files beside the config."""
    stdout = config.parent / f"{name}.stdout"
    stderr = config.parent / f"{name}.stderr"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "auditor.cli", "--config", str(config), *args],
            stdout=out,
            stderr=err,
            env=env,
            cwd=config.parent,
        )
    return Child(process, stdout, stderr)


def run(config: Path, env: dict[str, str], *args: str, name: str = "child", timeout: float = 60.0) -> Child:
    """Run ecr-auditor to the end and return the finished child."""
    child = start(config, env, *args, name=name)
    child.finish(timeout)
    return child
