"""Compare ecr-auditor with Prowler's ECR checks on emulated estates of several sizes.

One command does everything::

    .venv/bin/python benchmarks/compare.py --sizes 100,1000,10000 --repeats 3

It installs Prowler into its own virtual environment under the bench directory
(the only step that needs the network), then runs itself again inside a new
network namespace whose only interface is loopback. There, for each size, it
starts ``python -m auditor.emulator serve`` with that many repositories and
the chosen latency. Against it, each tool runs as a separate process, and the
benchmark records its wall time, the peak memory of its process tree, its
requests by operation (from the emulator's ``/_emulator/stats``) and the time
from launch to its first request.
For ecr-auditor it also measures a second run of the unchanged estate (database
growth) and the ``report`` command for HTML and PDF.

Results go to ``results.json`` and the tables to ``results.md`` in ``--output``.
``--table-only`` rewrites the tables from an earlier ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
REPOSITORY = BENCHMARKS.parent
sys.path.insert(0, str(BENCHMARKS))

from estate import Emulator, EstateShape  # noqa: E402
from scenarios import Tools, run_auditor_repeat, run_prowler_repeat  # noqa: E402
from table import write_tables  # noqa: E402

logger = logging.getLogger("benchmarks.compare")

PROWLER_VERSION = "5.46.0"
INSIDE_FLAG = "--inside-namespace"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes", default="100,1000,10000", help="comma-separated total repository counts (default: 100,1000,10000)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs of each tool per size (default: 3)")
    parser.add_argument(
        "--single-run-from",
        type=int,
        default=10000,
        help="sizes of at least this many repositories run once, whatever --repeats sets (default: 10000)",
    )
    parser.add_argument(
        "--regions",
        default="us-east-1,eu-west-1",
        help="regions of the estate; the repositories are split evenly between them (default: us-east-1,eu-west-1)",
    )
    parser.add_argument("--images", type=int, default=3, help="images in each repository (default: 3)")
    parser.add_argument("--latency-ms", type=float, default=40.0, help="emulated latency per request (default: 40)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the emulated estate (default: 7)")
    parser.add_argument(
        "--bench-dir",
        type=Path,
        default=Path("/tmp/ecr-auditor-bench"),
        help="scratch directory: Prowler's venv, databases, reports, logs (default: /tmp/ecr-auditor-bench)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=BENCHMARKS / "results",
        help="directory for results.json and results.md (default: benchmarks/results)",
    )
    parser.add_argument(
        "--timeout-s",
        type=float,
        default=4 * 3600.0,
        help="maximum seconds any one measured command may run (default: 14400)",
    )
    parser.add_argument(
        "--report-timeout-s",
        type=float,
        default=1800.0,
        help="maximum seconds one `ecr-auditor report` command may run before it is killed (default: 1800)",
    )
    parser.add_argument("--skip-prowler", action="store_true", help="measure ecr-auditor only")
    parser.add_argument("--skip-pdf", action="store_true", help="do not render the PDF report")
    parser.add_argument(
        "--table-only", action="store_true", help="only rewrite results.md from the results.json in --output"
    )
    parser.add_argument(INSIDE_FLAG, action="store_true", help=argparse.SUPPRESS)
    return parser


def ensure_prowler(bench_dir: Path) -> Path:
    """Install Prowler into BENCH_DIR/prowler-venv unless that version is there already; return its executable."""
    venv = bench_dir / "prowler-venv"
    prowler = venv / "bin" / "prowler"
    if prowler.exists():
        version = subprocess.run(  # noqa: S603 - the venv's own executable
            [str(prowler), "--version"], capture_output=True, text=True, check=False, timeout=300
        ).stdout
        if PROWLER_VERSION in version:
            return prowler
        logger.info("found %s, reinstalling Prowler %s", version.strip(), PROWLER_VERSION)
    logger.info("installing Prowler %s into %s", PROWLER_VERSION, venv)
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True)  # noqa: S607 - the system's python3
    subprocess.run(  # noqa: S603 - pip of the new venv
        [str(venv / "bin" / "pip"), "install", "--quiet", f"prowler=={PROWLER_VERSION}"], check=True
    )
    return prowler


def reexec_in_namespace(argv: Sequence[str]) -> int:
    """Run this script again inside a new network namespace that has only loopback, and return its exit status."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise SystemExit("unshare (util-linux) is missing: install it to isolate the benchmark from the network")
    isolate = [unshare, "--net"] if os.geteuid() == 0 else [unshare, "--user", "--map-root-user", "--net"]
    command = [*isolate, "--", sys.executable, str(Path(__file__).resolve()), *argv, INSIDE_FLAG]
    logger.info("entering a loopback-only network namespace: %s", " ".join(isolate))
    return subprocess.run(command, check=False).returncode  # noqa: S603 - this script, re-run


def prepare_namespace() -> None:
    """Bring loopback up, and stop unless loopback is the namespace's only interface (so no route leads out)."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)  # noqa: S607 - iproute2 from PATH
    # /proc/net/dev lists the interfaces of the reader's network namespace (sysfs would show the host's).
    lines = Path("/proc/net/dev").read_text().splitlines()[2:]
    interfaces = sorted(line.split(":", 1)[0].strip() for line in lines)
    if interfaces != ["lo"]:
        raise SystemExit(f"the benchmark's namespace must have only loopback, but it has {interfaces}")


def machine_description() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
            break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "kernel": os.uname().release,
    }


def measure_size(args: argparse.Namespace, tools: Tools, size: int) -> dict[str, Any]:
    regions = tuple(r.strip() for r in args.regions.split(",") if r.strip())
    shape = EstateShape.for_total(size, regions, args.images, args.latency_ms, args.seed)
    repeats = 1 if size >= args.single_run_from else args.repeats
    work = args.bench_dir / f"size-{size}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    record: dict[str, Any] = {"size": size, "shape": shape.to_dict(), "repeats": repeats, "auditor": [], "prowler": []}
    with Emulator.start(shape, tools.python, work / "emulator.log", REPOSITORY) as emulator:
        record["seconds_to_seed"] = emulator.seconds_to_start
        for repeat in range(1, repeats + 1):
            logger.info("size=%d repeat=%d/%d: ecr-auditor", size, repeat, repeats)
            record["auditor"].append(
                run_auditor_repeat(
                    tools,
                    emulator,
                    shape,
                    work / f"auditor-{repeat}",
                    args.timeout_s,
                    args.report_timeout_s,
                    args.skip_pdf,
                )
            )
            if not args.skip_prowler:
                logger.info("size=%d repeat=%d/%d: Prowler", size, repeat, repeats)
                record["prowler"].append(
                    run_prowler_repeat(tools, emulator, shape, work / f"prowler-{repeat}", args.timeout_s)
                )
    return record


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Raised as an exception, so the emulator and any measured tool are stopped on the way out.
    raise SystemExit(f"stopped by signal {signal.Signals(signum).name}")


def run_inside(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    prepare_namespace()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    tools = Tools(
        python=REPOSITORY / ".venv" / "bin" / "python",
        auditor=REPOSITORY / ".venv" / "bin" / "ecr-auditor",
        prowler=args.bench_dir / "prowler-venv" / "bin" / "prowler",
        home=args.bench_dir / "home",
    )
    tools.home.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "command": " ".join(["benchmarks/compare.py", *sys.argv[1:]]).replace(f" {INSIDE_FLAG}", ""),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine_description(),
        "prowler_version": PROWLER_VERSION,
        "sizes": [],
    }
    args.output.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        results["sizes"].append(measure_size(args, tools, size))
        # Written after every size, so a long run that is stopped keeps what it measured.
        (args.output / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        write_tables(results, args.output / "results.md")
    results["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    (args.output / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_tables(results, args.output / "results.md")
    print((args.output / "results.md").read_text())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(arguments)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    # Importing auditor.store.db for the database facts makes Alembic log its plugins at INFO.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args.bench_dir = args.bench_dir.resolve()
    args.output = args.output.resolve()
    if args.table_only:
        recorded = args.output / "results.json"
        if not recorded.exists():
            raise SystemExit(f"{recorded} not found: run the benchmark first, or give --output")
        results = json.loads(recorded.read_text())
        write_tables(results, args.output / "results.md")
        print((args.output / "results.md").read_text())
        return 0
    if args.inside_namespace:
        return run_inside(args)
    args.bench_dir.mkdir(parents=True, exist_ok=True)
    if not args.skip_prowler:
        ensure_prowler(args.bench_dir)
    # The child process starts in this working directory, so relative paths mean the same there.
    return reexec_in_namespace([a for a in arguments if a != INSIDE_FLAG])


if __name__ == "__main__":
    sys.exit(main())
