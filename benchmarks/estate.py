"""The emulated estate of one benchmark size, served by ``python -m auditor.emulator serve`` in a child process."""

from __future__ import annotations

import logging
import selectors
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from measure import EmulatorControl

logger = logging.getLogger(__name__)

# Seeding 10,000 repositories took about 1 s on the machine in docs/benchmarks.md; this only bounds a hung start.
_START_TIMEOUT_S = 600.0
_STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class EstateShape:
    """One account whose repositories are split evenly between the regions.

    One account keeps the comparison fair: Prowler audits the account of its
    credentials, while ecr-auditor could reach further accounts by AssumeRole.
    """

    repositories: int
    regions: tuple[str, ...]
    images_per_repository: int
    latency_ms: float
    seed: int

    @classmethod
    def for_total(cls, total: int, regions: tuple[str, ...], images: int, latency_ms: float, seed: int) -> EstateShape:
        if total < len(regions) or total % len(regions):
            raise SystemExit(f"invalid size {total}: give a multiple of the {len(regions)} regions")
        return cls(total, regions, images, latency_ms, seed)

    @property
    def per_region(self) -> int:
        return self.repositories // len(self.regions)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Emulator:
    """A running ``auditor.emulator serve`` process and its control endpoint; stopped with SIGTERM on exit."""

    def __init__(self, process: subprocess.Popen[bytes], endpoint: str, seconds_to_start: float) -> None:
        self.process = process
        self.endpoint = endpoint
        self.control = EmulatorControl(endpoint)
        self.seconds_to_start = seconds_to_start

    @classmethod
    def start(cls, shape: EstateShape, python: Path, log_path: Path, cwd: Path) -> Emulator:
        command = [
            str(python), "-m", "auditor.emulator", "serve",
            "--host", "127.0.0.1", "--port", "0", "--accounts", "1",
            "--regions", ",".join(shape.regions),
            "--repositories", str(shape.per_region),
            "--images", str(shape.images_per_repository),
            "--latency-ms", str(shape.latency_ms),
            "--seed", str(shape.seed),
            "--log-level", "WARNING",
        ]  # fmt: skip
        started = time.monotonic()
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=log)  # noqa: S603
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            ready = selector.select(_START_TIMEOUT_S)
        endpoint = process.stdout.readline().decode().strip() if ready else ""
        if not endpoint.startswith("http://127.0.0.1:"):
            process.kill()
            process.wait()
            raise SystemExit(f"the emulator did not start within {_START_TIMEOUT_S:.0f} s; see {log_path}")
        seconds = time.monotonic() - started
        logger.info(
            "emulator pid=%d at %s: %d repositories, seeded in %.1f s",
            process.pid,
            endpoint,
            shape.repositories,
            seconds,
        )
        return cls(process, endpoint, seconds)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            logger.error("emulator pid=%d ignored SIGTERM for %.0f s, killing it", self.process.pid, _STOP_TIMEOUT_S)
            self.process.kill()
            self.process.wait()
