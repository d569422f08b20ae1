"""Command line of the emulator: ``python -m auditor.emulator serve``.

``serve`` builds a sized estate (see ``sized_estate``), prints the endpoint URL
on stdout once the server accepts requests, and serves until SIGTERM or SIGINT.
Logs go to stderr, so a parent process can read the URL from the first line of
stdout. Other processes configure faults, regions and latency through the
control endpoint (see ``control``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from auditor.emulator.server import EmulatorServer
from auditor.emulator.sized_estate import EstateSize, parse_regions, seed_sized_estate

logger = logging.getLogger("auditor.emulator")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m auditor.emulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="seed a sized estate and serve it until SIGTERM or SIGINT")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free port (default: 0)")
    serve.add_argument("--accounts", type=int, default=2, help="number of AWS accounts (default: 2)")
    serve.add_argument(
        "--regions",
        type=parse_regions,
        default=("us-east-1", "eu-west-1"),
        help="comma-separated regions seeded in every account (default: us-east-1,eu-west-1)",
    )
    serve.add_argument(
        "--repositories", type=int, default=50, help="repositories in each account and region (default: 50)"
    )
    serve.add_argument("--images", type=int, default=3, help="images in each repository (default: 3)")
    serve.add_argument(
        "--latency-ms",
        type=float,
        default=40.0,
        help="delay added before every request, in milliseconds (default: 40)",
    )
    serve.add_argument("--seed", type=int, default=7, help="seed of the estate's random choices (default: 7)")
    serve.add_argument(
        "--log-level",
        default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="level of the log lines written to stderr (default: INFO)",
    )
    return parser


def serve(args: argparse.Namespace) -> int:
    """Seed, serve until a stop signal arrives, then stop the server; return the exit status."""
    size = EstateSize(
        accounts=args.accounts,
        regions=args.regions,
        repositories_per_registry=args.repositories,
        images_per_repository=args.images,
        seed=args.seed,
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    server = EmulatorServer(host=args.host, port=args.port, latency_ms=args.latency_ms)
    estate = seed_sized_estate(server.state, size)
    endpoint = server.start()
    try:
        logger.info("accounts: %s; regions: %s", ", ".join(estate.accounts), ", ".join(estate.regions))
        # The URL on stdout is this command's output; everything else is logged to stderr.
        print(endpoint, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        return serve(args)
    except ValueError as exc:
        logger.error("invalid arguments: %s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
