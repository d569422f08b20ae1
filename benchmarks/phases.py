"""Where ecr-auditor's time and memory go within one `run`: resident memory at the start and end of each phase.

Usage::

    .venv/bin/python benchmarks/phases.py --repositories 1000

It starts ``python -m auditor.emulator serve`` with the benchmark's estate: one
account, repositories split between us-east-1 and eu-west-1, 3 images each and
40 ms latency. Then it runs ``ecr-auditor run`` in this process on a fresh
database and prints a Markdown table. Each row is a phase, with the seconds since
start, the resident memory when the phase ended and the process's peak so far. Only ecr-auditor talks to the
emulator, on 127.0.0.1, so no network namespace is needed.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
REPOSITORY = BENCHMARKS.parent
sys.path.insert(0, str(BENCHMARKS))

from estate import Emulator, EstateShape  # noqa: E402

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_STARTED = time.perf_counter()
# (phase, seconds since start, resident MB at its end, peak MB so far)
_MARKS: list[tuple[str, float, float, float]] = []


def _mark(phase: str) -> None:
    resident = int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE_SIZE / 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    _MARKS.append((phase, time.perf_counter() - _STARTED, resident, peak))


def _timed(owner: Any, name: str, phase: str, *, first_call_only: bool = False) -> None:
    """Replace owner.name with a wrapper that marks the end of ``phase`` when the original returns."""
    original: Callable[..., Any] = getattr(owner, name)
    calls = 0

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        result = original(*args, **kwargs)
        calls += 1
        if calls == 1 or not first_call_only:
            _mark(phase)
        return result

    setattr(owner, name, wrapper)


def _instrument() -> None:
    # Imported here, after _STARTED, so the import time is part of the first phase as in a real run.
    import auditor.audit as audit
    import auditor.cli as cli
    from auditor.inventory import Inventory
    from auditor.store.db import Store

    _mark("import ecr-auditor, without the report stack")
    _timed(cli, "open_store", "load the config, open and migrate the database")
    _timed(audit, "plan_targets", "read the caller identity, take the lock, plan the targets")
    # The report model builds an inventory again; only the audit's own build ends this phase.
    _timed(Inventory, "build", "collect every unit, store its snapshots, build the inventory", first_call_only=True)
    # The engine yields results straight into the store, so evaluating and storing are one phase.
    _timed(Store, "save_results", "evaluate the checks and store their results")
    _timed(Store, "save_findings", "store the findings")
    _timed(Store, "finish_run", "finish the run")

    # `run` imports the report stack only when it writes the report, so it is instrumented then.
    original_writer = cli.report_writer

    def report_writer(config: Any) -> Callable[..., Path]:
        write = original_writer(config)

        def instrumented(*args: Any) -> Path:
            import auditor.evidence.chain as chain
            import auditor.report.html as html

            _mark("import the report stack")
            _timed(chain, "seal_run", "seal the run")
            _timed(html, "build_report_model", "load the report model")
            _timed(html, "render_html", "render the HTML")
            path = write(*args)
            _mark("write the HTML file")
            return path

        return instrumented

    cli.report_writer = report_writer


def _table() -> str:
    lines = [
        "| phase (in order) | ends at (s) | resident at its end (MB) | peak so far (MB) |",
        "|---|---:|---:|---:|",
    ]
    for phase, seconds, resident, peak in _MARKS:
        if phase:
            lines.append(f"| {phase} | {seconds:.1f} | {resident:.0f} | {peak:.0f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repositories", type=int, default=1000, help="total repositories (default: 1000)")
    parser.add_argument("--latency-ms", type=float, default=40.0, help="emulated latency per request (default: 40)")
    args = parser.parse_args()
    shape = EstateShape.for_total(args.repositories, ("us-east-1", "eu-west-1"), 3, args.latency_ms, 7)
    with tempfile.TemporaryDirectory(prefix="ecr-auditor-phases-") as scratch:
        work = Path(scratch)
        config = work / "ecr-auditor.toml"
        config.write_text(
            '[audit]\nregions = ["us-east-1", "eu-west-1"]\n\n'
            f'[database]\nurl = "sqlite:///{work / "audit.db"}"\n\n'
            f'[report]\noutput_dir = "{work / "reports"}"\n'
        )
        with Emulator.start(shape, REPOSITORY / ".venv" / "bin" / "python", work / "emulator.log", REPOSITORY) as emu:
            os.environ.update(
                {
                    "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing",  # noqa: S105 - the emulator's dummy credentials
                    "AWS_ENDPOINT_URL": emu.endpoint,
                    "AWS_DEFAULT_REGION": "us-east-1",
                }
            )
            os.environ.pop("AWS_PROFILE", None)
            global _STARTED
            _STARTED = time.perf_counter()
            _instrument()
            from auditor.cli import main as auditor_main

            exit_code = auditor_main(["-q", "--config", str(config), "run"])
    print(
        f"{args.repositories:,} repositories, {args.latency_ms:g} ms latency, `ecr-auditor run` exit code {exit_code}"
    )
    print()
    print(_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
