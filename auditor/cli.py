"""Command line: the only module that knows argv, exit codes and the terminal.

Exit codes (highest applicable wins): 0 complete and clean; 1 complete with FAIL
results at or above ``fail_on``; 2 invalid usage or configuration; 3 incomplete
(some scope unreadable or some check in ERROR); 4 runtime failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
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
from auditor.store.db import Store

logger = logging.getLogger("auditor.cli")


class CatalogueFormat(StrEnum):
    JSON = "json"
    MARKDOWN = "markdown"
    TABLE = "table"


class ReportFormat(StrEnum):
    """Formats of ``ecr-auditor report``; the values of auditor.report.exports.ExportFormat."""

    HTML = "html"
    PDF = "pdf"
    JSON = "json"
    CSV = "csv"
    OCSF = "ocsf"
    ASFF = "asff"


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

    report = commands.add_parser("report", help="render or export the report of a stored run")
    report.add_argument("--run", default="latest", help="run number or 'latest' (default)")
    report.add_argument(
        "--format",
        choices=[f.value for f in ReportFormat],
        default=ReportFormat.HTML.value,
        help="html or pdf report; json (the whole run), csv (one row per result), "
        "ocsf (Compliance Finding events) or asff (the failures as Security Hub findings). Default: html",
    )
    report.add_argument("--output", "-o", required=True, help="output file, or - for standard output")
    report.add_argument(
        "--import-to-security-hub",
        action="store_true",
        help="also import the failures into AWS Security Hub of the calling account (securityhub:BatchImportFindings)",
    )
    report.add_argument(
        "--security-hub-region", help="Security Hub region for --import-to-security-hub (default: the session's region)"
    )
    add_evidence_parsers(commands)

    history = commands.add_parser("history", help="list stored runs with score, coverage and status")
    history.add_argument(
        "--schedule", action="store_true", help="list every time a schedule was due (ran, missed, skipped, failed)"
    )
    commands.add_parser("iam-policy", help="print the IAM policies the audit role and the caller need (JSON)")
    add_operations_parsers(commands)
    return parser


def add_operations_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schedule = commands.add_parser("schedule", help="run the configured [[schedules]] until SIGTERM or SIGINT")
    schedule.add_argument(
        "--once", metavar="NAME", help="run the job of schedule NAME once now and exit with its exit code"
    )

    diff = commands.add_parser("diff", help="show what changed between two complete runs")
    diff.add_argument("run_a", metavar="RUN_A", help="earlier run: number or 'latest'")
    diff.add_argument("run_b", metavar="RUN_B", help="later run: number or 'latest'")
    diff.add_argument("--format", choices=[f.value for f in DiffFormat], default=DiffFormat.TEXT.value)

    prune = commands.add_parser("prune", help="delete old runs; the latest complete run is always kept")
    prune.add_argument(
        "--older-than", type=int, required=True, metavar="DAYS", help="delete runs that started more than DAYS ago"
    )
    prune.add_argument("--dry-run", action="store_true", help="list what would be deleted and change nothing")

    email = commands.add_parser("email", help="email the report of a stored run now, with the PDF attached")
    email.add_argument("--run", default="latest", help="run number or 'latest' (default)")
    email.add_argument("--to", action="append", required=True, metavar="ADDRESS", help="recipient; repeat for more")


def configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"))
    package = logging.getLogger("auditor")
    package.handlers[:] = [handler]
    package.setLevel(level)
    package.propagate = False
    # botocore and the emulator stay quiet unless -vv requests debug output.
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
        for line in str(exc).splitlines():
            print(f"ecr-auditor: error: {line}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader of standard output went away (``ecr-auditor checks list | head``):
        # nothing is left to report, so stop quietly as other command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitCode.CLEAN
    except Exception as exc:  # noqa: BLE001 - the program's edge: reported in one line, exit 4
        if args.debug:
            logger.exception("ecr-auditor failed")
        print(
            f"ecr-auditor: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return ExitCode.RUNTIME
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
        "evidence": cmd_evidence,
        "history": cmd_history,
        "iam-policy": cmd_iam_policy,
        "schedule": cmd_schedule,
        "diff": cmd_diff,
        "prune": cmd_prune,
        "email": cmd_email,
    }
    return handlers[args.command](args)


def open_store(config: LoadedConfig, override: str | None) -> Store:
    return Store.open(config.database_url(override))


def print_outcome(outcome: RunOutcome) -> None:
    score = "n/a" if outcome.score is None else f"{outcome.score:.1f}"
    coverage = "n/a" if outcome.coverage is None else f"{outcome.coverage:.1f}%"
    print(
        f"run {outcome.run_id}: score {score}, coverage {coverage}, "
        f"{outcome.result_count} results, exit code {outcome.exit_code}",
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


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write a file through auditor.report.html.write_atomically, imported only when a command writes one."""
    from auditor.report.html import write_atomically as write

    write(path, data)


def report_writer(config: LoadedConfig) -> Callable[[Store, int, Path], Path]:
    """Return the callback that seals a finished run and writes its HTML report.

    The report stack (Jinja2, matplotlib) is imported only when the callback runs, after
    collection, because importing it takes about 0.4 s that would otherwise delay the
    first AWS call.
    """

    def write(store: Store, run_id: int, directory: Path) -> Path:
        from auditor.evidence.chain import seal_run
        from auditor.report.html import write_html_report
        from auditor.report.model import ReportOptions

        # Sealing first records the run's manifest hash while its rows are fresh.
        seal = seal_run(store, run_id)
        logger.info("run=%d sealed manifest_sha256=%s", run_id, seal.manifest_sha256)
        return write_html_report(store, run_id, directory, ReportOptions.from_settings(config.settings.report))

    return write


def cmd_run(args: argparse.Namespace) -> int:
    config = load(args.config)
    store = open_store(config, args.database_url)
    display = ProgressDisplay(args.quiet)
    try:
        outcome = run_audit(
            config,
            store,
            report_dir=args.output or config.report_dir(),
            render=report_writer(config),
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
    print(
        "the demo estate holds failing settings and unusable scans on purpose, so FAIL and ERROR "
        "results are expected; the demo itself finished",
        file=sys.stderr,
    )
    print(outcome.report_path.resolve() if outcome.report_path else "")
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
                "rationale": c.meta.rationale,
                "remediation": {"console": c.meta.remediation.console, "cli": c.meta.remediation.cli},
                "controls": [
                    {"framework": k.framework.value, "control": k.control_id, "note": k.note} for k in c.meta.controls
                ],
                "references": list(c.meta.references),
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
    print(f"regions: {', '.join(audit.regions) or 'every region enabled for each account'}", file=sys.stderr)
    print(f"database: {config.database_url(args.database_url)}", file=sys.stderr)
    print_operations_summary(config)
    return ExitCode.CLEAN


def cmd_report(args: argparse.Namespace) -> int:
    from auditor.report.exports import ExportFormat
    from auditor.report.model import ReportOptions, build_report_model
    from auditor.report.render import render_model

    config = load(args.config)
    store = open_store(config, args.database_url)
    try:
        run = store.resolve(args.run)
        options = ReportOptions.from_settings(config.settings.report)
        if ExportFormat(args.format) is ExportFormat.PDF:
            options = options.for_pdf_only()
        model = build_report_model(store, run.id, options=options)
        data = render_model(store, model, ExportFormat(args.format))
        summary = None
        if args.import_to_security_hub:
            import boto3

            from auditor.report.securityhub import import_findings

            summary = import_findings(store, model, boto3.Session(), args.security_hub_region)
    finally:
        store.close()
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_atomically(Path(args.output), data)
        print(args.output)
    if summary is None:
        return ExitCode.CLEAN
    print(
        f"security hub {summary.account}/{summary.region}: {summary.imported} imported, {summary.archived} archived, "
        f"{len(summary.failed)} rejected, {summary.skipped_other_accounts} skipped (other accounts)",
        file=sys.stderr,
    )
    for finding_id, code, message in summary.failed[:20]:
        print(f"  rejected {finding_id}: {code} {message}", file=sys.stderr)
    return ExitCode.RUNTIME if summary.failed else ExitCode.CLEAN


def add_evidence_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    evidence = commands.add_parser("evidence", help="export and verify evidence packages for auditors")
    actions = evidence.add_subparsers(dest="evidence_command", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write the evidence package (zip) of a run or of a period")
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", help="run number or 'latest'")
    which.add_argument(
        "--from", dest="start", type=_date, metavar="DATE", help="first day (YYYY-MM-DD, UTC) of a period"
    )
    export.add_argument("--to", dest="end", type=_date, metavar="DATE", help="last day (YYYY-MM-DD, UTC) of the period")
    export.add_argument("--output", "-o", required=True, type=Path, help="zip file to write")
    verify = actions.add_parser("verify", help="verify a package without the database: 0 valid, 1 mismatch, 2 usage")
    verify.add_argument("package", type=Path, metavar="FILE.zip", help="evidence package")
    verify.add_argument("--public-key", type=Path, help="the signer's ed25519 public key (PEM or OpenSSH)")
    verify.add_argument("--manifest-sha256", help="the manifest SHA-256 printed when the package was exported")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}: use YYYY-MM-DD") from exc


def cmd_evidence(args: argparse.Namespace) -> int:
    if args.evidence_command == "verify":
        return cmd_evidence_verify(args)
    return cmd_evidence_export(args)


def cmd_evidence_export(args: argparse.Namespace) -> int:
    from auditor.evidence.package import export_package, runs_in_period
    from auditor.report.model import ReportOptions

    if args.start is not None and args.end is None:
        raise ConfigError(
            "--from needs --to", hint="give both days of the period, e.g. --from 2026-01-01 --to 2026-01-31"
        )
    if args.run is not None and args.end is not None:
        raise ConfigError("--to goes with --from, not with --run")
    config = load(args.config)
    key = config.settings.evidence.signing_key
    if key is not None and not key.is_absolute():
        key = config.directory / key
    store = open_store(config, args.database_url)
    try:
        if args.run is not None:
            run_ids = [store.resolve(args.run).id]
            period = None
        else:
            run_ids = [r.id for r in runs_in_period(store, args.start, args.end)]
            period = (args.start, args.end)
        result = export_package(
            store,
            run_ids,
            args.output,
            signing_key=key,
            options=ReportOptions.from_settings(config.settings.report),
            period=period,
        )
    finally:
        store.close()
    runs = ", ".join(map(str, result.run_ids))
    print(f"wrote {result.path}: runs {runs}, {result.file_count} files", file=sys.stderr)
    print(f"manifest sha256: {result.manifest_sha256}")
    if result.key_fingerprint:
        print(f"signing key sha256: {result.key_fingerprint}")
    return ExitCode.CLEAN


def cmd_evidence_verify(args: argparse.Namespace) -> int:
    from auditor.evidence.signing import load_public_key
    from auditor.evidence.verify import verify_package

    key = load_public_key(args.public_key) if args.public_key is not None else None
    result = verify_package(args.package, key, args.manifest_sha256)
    for problem in result.problems:
        print(f"mismatch: {problem}", file=sys.stderr)
    if not result.ok:
        print(f"{args.package}: INVALID, {len(result.problems)} problem(s)", file=sys.stderr)
        return ExitCode.FAILURES
    runs = ", ".join(map(str, result.run_ids))
    if not result.signed:
        signature = "not signed"
    else:
        signature = f"signature valid, checked with {result.signature_checked_with} (sha256 {result.key_fingerprint})"
    print(f"{args.package}: valid; runs {runs}; {result.file_count} files; {signature}", file=sys.stderr)
    print(f"manifest sha256: {result.manifest_sha256}")
    return ExitCode.CLEAN


def cmd_history(args: argparse.Namespace) -> int:
    config = load(args.config)
    store = open_store(config, args.database_url)
    try:
        if args.schedule:
            print_schedule_history(store)
            return ExitCode.CLEAN
        runs = store.runs()
        print(f"{'run':>5}  {'status':<9} {'started (UTC)':<17} {'score':>6} {'coverage':>9} {'exit':>4}")
        for run in runs:
            score = "-" if run.score is None else f"{run.score:.1f}"
            coverage = "-" if run.coverage is None else f"{run.coverage:.1f}%"
            exit_code = "-" if run.exit_code is None else str(run.exit_code)
            started = run.started_at.strftime("%Y-%m-%d %H:%M")
            print(f"{run.id:>5}  {run.status:<9} {started:<17} {score:>6} {coverage:>9} {exit_code:>4}")
        print_history_notes(store)
    finally:
        store.close()
    return ExitCode.CLEAN


def cmd_iam_policy(args: argparse.Namespace) -> int:
    print(json.dumps(iam_policy_documents(), indent=2))
    return ExitCode.CLEAN


class DiffFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def _show(value: float | None, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:.1f}{suffix}"


def cmd_schedule(args: argparse.Namespace) -> int:
    from auditor.deliver.scheduler import AuditScheduler

    config = load(args.config)
    scheduler = AuditScheduler(config, database_url=args.database_url)
    if args.once is None:
        scheduler.serve()
        return ExitCode.CLEAN
    try:
        result = scheduler.run_now(args.once)
    finally:
        scheduler.shutdown()
    run = f", run {result.run_id}" if result.run_id is not None else ""
    detail = f": {result.detail}" if result.detail else ""
    print(f"schedule {result.schedule}: {result.outcome}{run}, exit code {result.exit_code}{detail}", file=sys.stderr)
    return result.exit_code


def cmd_diff(args: argparse.Namespace) -> int:
    from auditor.deliver.changes import compare_runs

    config = load(args.config)
    store = open_store(config, args.database_url)
    try:
        before, after = store.resolve(args.run_a), store.resolve(args.run_b)
        comparison = compare_runs(store, before.id, after.id)
    finally:
        store.close()
    print(
        f"run {before.id} -> run {after.id}: score {_show(before.score)} -> {_show(after.score)}, "
        f"coverage {_show(before.coverage, '%')} -> {_show(after.coverage, '%')}; "
        f"{len(comparison.results)} result(s) changed ({len(comparison.new_failures)} new failure(s), "
        f"{len(comparison.resolved_failures)} resolved), {len(comparison.settings.changes)} setting(s) changed",
        file=sys.stderr,
    )
    if DiffFormat(args.format) is DiffFormat.JSON:
        document = {
            "before": before.id,
            "after": after.id,
            "score": {"before": before.score, "after": after.score, "change": comparison.score_change},
            "results": [
                {
                    "id": c.result_id,
                    "check": c.check_id,
                    "severity": c.severity.value,
                    "resource": c.resource,
                    "before": c.before.value if c.before else None,
                    "after": c.after.value if c.after else None,
                    "reason": c.reason,
                }
                for c in comparison.results
            ],
            "settings": [
                {
                    "account": c.account,
                    "region": c.region,
                    "feature": c.feature.value,
                    "subject": c.subject,
                    "change": c.kind.value,
                    "before": c.before,
                    "after": c.after,
                }
                for c in comparison.settings.changes
            ],
            "not_compared": [
                {"account": n.account, "region": n.region, "feature": n.feature.value, "reason": n.reason}
                for n in comparison.settings.not_compared
            ],
        }
        print(json.dumps(document, indent=2))
        return ExitCode.CLEAN
    for change in comparison.results:
        transition = f"{change.before or 'none'} -> {change.after or 'none'}"
        print(
            f"result   {transition:<24} {change.check_id:<8} {change.severity.value:<8} {change.resource}  "
            f"[{change.result_id}]"
        )
    for setting in comparison.settings.changes:
        where = f"{setting.account}/{setting.region}"
        print(f"setting  {setting.kind.value:<24} {where} {setting.feature.value} {setting.subject}")
        if setting.before or setting.after:
            print(f"    before: {setting.before or '-'}")
            print(f"    after:  {setting.after or '-'}")
    for skipped in comparison.settings.not_compared:
        where = f"{skipped.account}/{skipped.region}"
        print(f"setting  {'not compared':<24} {where} {skipped.feature.value}: {skipped.reason}")
    return ExitCode.CLEAN


def cmd_prune(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from auditor.store.db import utcnow
    from auditor.store.lock import RunLock

    if args.older_than < 0:
        raise ConfigError(f"invalid --older-than {args.older_than}: give a number of days, 0 or more")
    config = load(args.config)
    store = open_store(config, args.database_url)
    lock = RunLock(store)
    try:
        lock.acquire()
        try:
            # Holding the lock keeps every run out while payloads are deleted; the
            # heartbeat keeps it from looking stale during a long prune.
            lock.attach(0)
            cutoff = utcnow() - timedelta(days=args.older_than)
            summary = store.prune_runs(started_before=cutoff, dry_run=args.dry_run)
        finally:
            lock.release()
    finally:
        store.close()
    verb = "would delete" if summary.dry_run else "deleted"
    kept_note = f"; kept the latest complete run {summary.kept_latest}" if summary.kept_latest is not None else ""
    print(
        f"{verb} {len(summary.runs)} run(s) and {summary.payloads} unreferenced payload(s) "
        f"({summary.payload_bytes} bytes){kept_note}",
        file=sys.stderr,
    )
    for run_id in summary.runs:
        print(run_id)
    return ExitCode.CLEAN


def cmd_email(args: argparse.Namespace) -> int:
    from auditor.deliver.email import deliver_report

    for address in args.to:
        if "@" not in address:
            raise ConfigError(f"invalid --to {address!r}: give an email address")
    config = load(args.config)
    store = open_store(config, args.database_url)
    try:
        run = store.resolve(args.run)
        delivery = deliver_report(store, run.id, config, args.to)
    finally:
        store.close()
    print(f"run {run.id}: email sent to {len(delivery.recipients)} recipient(s): {delivery.subject}", file=sys.stderr)
    print(delivery.message_id)
    return ExitCode.CLEAN


def print_schedule_history(store: Store) -> None:
    print(f"{'schedule':<20} {'due (UTC)':<17} {'outcome':<8} {'run':>5}  detail")
    for event in store.schedule_events():
        due = event.scheduled_for.strftime("%Y-%m-%d %H:%M")
        run = "-" if event.run_id is None else str(event.run_id)
        print(f"{event.schedule:<20} {due:<17} {event.outcome:<8} {run:>5}  {event.detail}")


def print_history_notes(store: Store) -> None:
    """Point at what the run list leaves out: missed schedule times and pruned runs."""
    unfinished = store.schedule_events(outcomes=("missed", "skipped", "failed"))
    if unfinished:
        print(
            f"{len(unfinished)} scheduled time(s) did not produce a run; "
            "list them with 'ecr-auditor history --schedule'",
            file=sys.stderr,
        )
    pruned = store.pruned_runs()
    if pruned:
        print(f"{len(pruned)} run(s) were pruned, the oldest {pruned[0]} and the newest {pruned[-1]}", file=sys.stderr)


def print_operations_summary(config: LoadedConfig) -> None:
    """Print the waiver warnings and the schedules of a config, for `config validate`."""
    from auditor.checks.waivers import waiver_warnings
    from auditor.deliver.cron import crontab_trigger
    from auditor.store.db import utcnow

    settings = config.settings
    print(f"waivers: {len(settings.waivers)}", file=sys.stderr)
    for line in waiver_warnings(settings.waivers, settings.waiver_policy):
        print(f"warning: {line}", file=sys.stderr)
    for schedule in settings.schedules:
        trigger = crontab_trigger(schedule.cron, settings.scheduler.timezone)
        upcoming = trigger.get_next_fire_time(None, utcnow())
        action = "audit" if schedule.audit else "email the latest run"
        if schedule.audit and schedule.recipients:
            action = "audit and email"
        print(f"schedule {schedule.name}: {schedule.cron} ({action}), next {upcoming}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
