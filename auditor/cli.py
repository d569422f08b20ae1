"""Command line: the only module that knows argv, exit codes and the terminal.

Exit codes (highest applicable wins): 0 complete and clean; 1 complete with FAIL
results at or above ``fail_on``; 2 invalid usage or configuration; 3 incomplete
(some scope unreadable or some check in ERROR); 4 runtime failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from auditor import __version__
from auditor.audit import ExitCode, RunOutcome, run_audit
from auditor.aws.permissions import iam_policy_documents
from auditor.checks import default_registry
from auditor.checks.catalogue import render_markdown
from auditor.collect.estate import UnitResult
from auditor.config import EXAMPLE_CONFIG, LoadedConfig, load
from auditor.errors import AuditorError, ConfigError
from auditor.report.html import render_html, write_atomically, write_html_report
from auditor.report.model import build_report_model
from auditor.store.db import Store

logger = logging.getLogger("auditor.cli")


class CatalogueFormat(StrEnum):
    JSON = "json"
    MARKDOWN = "markdown"
    TABLE = "table"


class ReportFormat(StrEnum):
    HTML = "html"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecr-auditor",
        description="Audit Amazon ECR private registries and report compliance.",
    )
    parser.add_argument("--version", action="version", version=f"ecr-auditor {__version__}")
    parser.add_argument("--config", "-c", help="config file (default: $ECR_AUDITOR_CONFIG, else ./ecr-auditor.toml)")
    parser.add_argument(
        "--database-url", help="SQLAlchemy database URL; overrides the config and $ECR_AUDITOR_DATABASE_URL"
    )
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    noise.add_argument("-q", "--quiet", action="store_true", help="only errors on standard error")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="audit the configured accounts and regions and write the report")
    run.add_argument("--output", "-o", type=Path, help="report directory (default: report.output_dir of the config)")

    demo = commands.add_parser("demo", help="audit an emulated estate on 127.0.0.1 and write its report")
    demo.add_argument("--output", "-o", type=Path, required=True, help="directory for the report and the demo database")
    demo.add_argument("--repositories", type=int, default=30, help="repositories per registry (default 30)")

    init = commands.add_parser("init", help="write a commented example config")
    init.add_argument("--output", "-o", type=Path, default=Path("ecr-auditor.toml"), help="where to write it")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    checks = commands.add_parser("checks", help="the check catalogue")
    checks_commands = checks.add_subparsers(dest="checks_command", required=True, metavar="ACTION")
    listing = checks_commands.add_parser("list", help="list every check")
    listing.add_argument("--format", choices=[f.value for f in CatalogueFormat], default=CatalogueFormat.TABLE.value)

    config = commands.add_parser("config", help="configuration tools")
    config_commands = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    config_commands.add_parser("validate", help="validate the config file and print a summary")

    report = commands.add_parser("report", help="render the report of a stored run")
    report.add_argument("--run", default="latest", help="run number or 'latest' (default)")
    report.add_argument("--format", choices=[f.value for f in ReportFormat], default=ReportFormat.HTML.value)
    report.add_argument("--output", "-o", required=True, help="output file, or - for standard output")

    commands.add_parser("history", help="list stored runs with score, coverage and status")
    commands.add_parser("iam-policy", help="print the IAM policies the audit role and the caller need (JSON)")
    return parser


def configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"))
    package = logging.getLogger("auditor")
    package.handlers[:] = [handler]
    package.setLevel(level)
    package.propagate = False
    # botocore and the emulator are quiet unless -vv asks for debug output.
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "moto"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose, args.quiet)
    try:
        return dispatch(args)
    except AuditorError as exc:
        if args.debug:
            logger.exception("ecr-auditor failed")
        print(f"ecr-auditor: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ecr-auditor: interrupted", file=sys.stderr)
        return ExitCode.RUNTIME


def dispatch(args: argparse.Namespace) -> int:
    handlers = {
        "run": cmd_run,
        "demo": cmd_demo,
        "init": cmd_init,
        "checks": cmd_checks,
        "config": cmd_config,
        "report": cmd_report,
        "history": cmd_history,
        "iam-policy": cmd_iam_policy,
    }
    return handlers[args.command](args)


def open_store(config: LoadedConfig, override: str | None) -> Store:
    return Store.open(config.database_url(override))


def print_outcome(outcome: RunOutcome) -> None:
    score = "n/a" if outcome.score is None else f"{outcome.score:.1f}"
    coverage = "n/a" if outcome.coverage is None else f"{outcome.coverage:.1f}%"
    print(
        f"run {outcome.run_id}: score {score}, coverage {coverage}, "
        f"{len(outcome.results)} results, exit code {outcome.exit_code}",
        file=sys.stderr,
    )
    for reason in outcome.incomplete_reasons:
        print(f"  incomplete: {reason}", file=sys.stderr)


class ProgressDisplay:
    """Shows collection progress: a rich progress bar on a terminal, key=value lines otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.interactive = sys.stderr.isatty() and not quiet
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def planned(self, total: int) -> None:
        if self.interactive:
            self._progress = Progress(
                TextColumn("collecting"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("", total=total)

    def unit_done(self, unit: UnitResult) -> None:
        scope = unit.scope
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, description=f"{scope.account}/{scope.region}")
        elif not self.quiet:
            print(
                f"unit account={scope.account} region={scope.region} status={scope.status.value} "
                f"snapshots={len(unit.snapshots)} errors={len(unit.errors)} seconds={unit.seconds:.2f}",
                file=sys.stderr,
            )

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def cmd_run(args: argparse.Namespace) -> int:
    config = load(args.config)
    store = open_store(config, args.database_url)
    display = ProgressDisplay(args.quiet)
    try:
        outcome = run_audit(
            config,
            store,
            report_dir=args.output or config.report_dir(),
            render=write_html_report,
            on_plan=display.planned,
            on_unit=display.unit_done,
        )
    finally:
        display.close()
        store.close()
    print_outcome(outcome)
    if outcome.report_path is not None:
        print(outcome.report_path)
    return outcome.exit_code


def cmd_demo(args: argparse.Namespace) -> int:
    from auditor.demo import run_demo

    if args.repositories < 1:
        raise ConfigError(f"invalid --repositories {args.repositories}: give a positive number")
    outcome = run_demo(args.output, database_url=args.database_url, repositories_per_registry=args.repositories)
    print_outcome(outcome)
    print(outcome.report_path)
    # The demo estate fails checks on purpose; a finished demo is a success.
    finished = (ExitCode.CLEAN, ExitCode.FAILURES, ExitCode.INCOMPLETE)
    return ExitCode.CLEAN if outcome.exit_code in finished else outcome.exit_code


def cmd_init(args: argparse.Namespace) -> int:
    path: Path = args.output
    if path.exists() and not args.force:
        raise ConfigError(f"{path} already exists", hint="pass --force to overwrite it")
    write_atomically(path, EXAMPLE_CONFIG)
    print(f"wrote {path}", file=sys.stderr)
    return ExitCode.CLEAN


def cmd_checks(args: argparse.Namespace) -> int:
    registry = default_registry()
    chosen = CatalogueFormat(args.format)
    if chosen is CatalogueFormat.JSON:
        rows = [
            {
                "id": c.meta.id,
                "title": c.meta.title,
                "area": c.meta.area.value,
                "severity": c.meta.severity.value,
                "resource_type": c.meta.resource_type.value,
                "permissions": list(c.meta.permissions),
            }
            for c in registry
        ]
        print(json.dumps(rows, indent=2))
    elif chosen is CatalogueFormat.MARKDOWN:
        print(render_markdown(registry), end="")
    else:
        for check in registry:
            print(f"{check.meta.id:<8} {check.meta.severity.value:<9} {check.meta.title}")
    return ExitCode.CLEAN


def cmd_config(args: argparse.Namespace) -> int:
    config = load(args.config)
    if not config.found:
        print(f"no config file at {config.path}; every setting has its default", file=sys.stderr)
    else:
        print(f"{config.path}: valid", file=sys.stderr)
    audit = config.settings.audit
    print(f"accounts: {', '.join(audit.accounts) or 'the caller account'}", file=sys.stderr)
    print(f"regions: {', '.join(audit.regions) or 'the session default region'}", file=sys.stderr)
    print(f"database: {config.database_url(args.database_url)}", file=sys.stderr)
    return ExitCode.CLEAN


def cmd_report(args: argparse.Namespace) -> int:
    config = load(args.config)
    store = open_store(config, args.database_url)
    try:
        run = store.resolve(args.run)
        html = render_html(build_report_model(store, run.id))
    finally:
        store.close()
    if args.output == "-":
        sys.stdout.write(html)
    else:
        write_atomically(Path(args.output), html)
        print(args.output)
    return ExitCode.CLEAN


def cmd_history(args: argparse.Namespace) -> int:
    config = load(args.config)
    store = open_store(config, args.database_url)
    try:
        runs = store.runs()
    finally:
        store.close()
    print(f"{'run':>5}  {'status':<9} {'started (UTC)':<17} {'score':>6} {'coverage':>9} {'exit':>4}")
    for run in runs:
        score = "-" if run.score is None else f"{run.score:.1f}"
        coverage = "-" if run.coverage is None else f"{run.coverage:.1f}%"
        exit_code = "-" if run.exit_code is None else str(run.exit_code)
        started = run.started_at.strftime("%Y-%m-%d %H:%M")
        print(f"{run.id:>5}  {run.status:<9} {started:<17} {score:>6} {coverage:>9} {exit_code:>4}")
    return ExitCode.CLEAN


def cmd_iam_policy(args: argparse.Namespace) -> int:
    print(json.dumps(iam_policy_documents(), indent=2))
    return ExitCode.CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
