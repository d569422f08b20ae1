"""The main job: collect every target, store the snapshots, evaluate, score, report."""

from __future__ import annotations

import gc
import logging
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from auditor import __version__
from auditor.aws.session import CallRecorder, SessionFactory, error_code, error_message
from auditor.aws.targets import TargetPlan, plan_targets
from auditor.checks import default_registry
from auditor.checks.engine import Engine
from auditor.checks.model import Result, Severity, Status
from auditor.checks.score import Tally
from auditor.checks.waivers import WaiverApplier
from auditor.collect.base import CollectOptions
from auditor.collect.estate import UnitResult, collect_estate
from auditor.config import LoadedConfig
from auditor.errors import AuditorError
from auditor.inventory import (
    LISTING,
    REPOSITORY_DETAIL_KINDS,
    Inventory,
    Kind,
    Registry,
    ScopeEntry,
    ScopeStatus,
    Snapshot,
)
from auditor.store.db import FindingRecord, Store
from auditor.store.lock import RunLock
from auditor.vulnerabilities import findings_from_inspector, findings_from_scan, merge

logger = logging.getLogger(__name__)


class ExitCode:
    CLEAN = 0
    FAILURES = 1
    USAGE = 2
    INCOMPLETE = 3
    RUNTIME = 4


class CallerUnknownError(AuditorError):
    """The caller's identity could not be read, so no account can be audited."""

    exit_code = 4


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    exit_code: int
    score: float | None
    coverage: float | None
    result_count: int
    report_path: Path | None
    incomplete_reasons: list[str]
    store: Store = field(repr=False, compare=False)

    @property
    def results(self) -> list[Result]:
        """The run's results, read back from the store: a run streams them there and keeps none."""
        return self.store.load_results(self.run_id)


def exit_code_for(tally: Tally, incomplete: bool, fail_on: Severity) -> int:
    """Return the highest applicable exit code: 3 incomplete, 1 failures, else 0."""
    if incomplete:
        return ExitCode.INCOMPLETE
    if tally.failures_at_or_above(fail_on):
        return ExitCode.FAILURES
    return ExitCode.CLEAN


def run_audit(
    config: LoadedConfig,
    store: Store,
    *,
    report_dir: Path | None = None,
    session: boto3.Session | None = None,
    on_unit: Callable[[UnitResult], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    render: Callable[[Store, int, Path], Path] | None = None,
) -> RunOutcome:
    """Audit every configured account and region and store one complete run."""
    outcome = _audit(config, store, session, on_unit, on_plan)
    if render is not None and report_dir is not None:
        # The audit's clients and collected settings are unreachable by now, but some sit in
        # reference cycles (about 40,000 objects at 1,000 repositories). Collecting them first
        # lets the report reuse their memory.
        gc.collect()
        outcome = replace(outcome, report_path=render(store, outcome.run_id, report_dir))
    return outcome


def _audit(
    config: LoadedConfig,
    store: Store,
    session: boto3.Session | None,
    on_unit: Callable[[UnitResult], None] | None,
    on_plan: Callable[[int], None] | None,
) -> RunOutcome:
    settings = config.settings
    recorder = CallRecorder()
    factory = SessionFactory(
        recorder,
        role_name=settings.audit.role_name,
        external_id=settings.audit.external_id,
        session_duration=settings.audit.session_duration,
        max_attempts=settings.audit.max_attempts,
        retry_mode=settings.audit.retry_mode,
        max_pool_connections=max(10, settings.audit.repository_workers * 2),
        base_session=session,
    )
    try:
        caller = factory.caller()
    except NoCredentialsError as exc:
        raise CallerUnknownError(
            "no AWS credentials found", hint="configure credentials as for the AWS CLI (AWS_PROFILE, role, ...)"
        ) from exc
    except (ClientError, BotoCoreError) as exc:
        raise CallerUnknownError(
            f"sts:GetCallerIdentity failed with {error_code(exc)}: {error_message(exc)}",
            hint="check the credentials and the endpoint",
        ) from exc
    lock = RunLock(store)
    lock.acquire()
    try:
        plan = plan_targets(settings.audit, factory)
        if on_plan is not None:
            on_plan(len(plan.targets))
        run_id = store.start_run(tool_version=__version__, config_sha256=config.sha256)
        lock.attach(run_id)
        logger.info("run=%d started caller=%s targets=%d", run_id, caller.arn, len(plan.targets))
        try:
            store.set_caller(run_id, caller.arn, caller.account)
            outcome = _collect_and_evaluate(config, store, run_id, factory, plan, on_unit)
        except BaseException as exc:
            store.fail_run(run_id, f"{type(exc).__name__}: {exc}")
            raise
    finally:
        lock.release()
    return outcome


def _collect_and_evaluate(
    config: LoadedConfig,
    store: Store,
    run_id: int,
    factory: SessionFactory,
    plan: TargetPlan,
    on_unit: Callable[[UnitResult], None] | None,
) -> RunOutcome:
    settings = config.settings
    started = time.monotonic()
    scope: list[ScopeEntry] = []
    snapshots: list[Snapshot] = []
    for entry in plan.skipped:
        store.save_unit(run_id, entry, [], [])
        scope.append(entry)
    for entry, error in plan.unreadable:
        store.save_unit(run_id, entry, [], [error])
        scope.append(entry)
    if plan.warnings:
        store.save_errors(run_id, plan.warnings)

    # Repository details leave the collecting threads through this queue and are stored
    # by this thread, the only one that writes. So no unit keeps thousands of details
    # until it ends, and each registry's are read back when it is evaluated.
    details: queue.SimpleQueue[list[Snapshot]] = queue.SimpleQueue()

    def store_details() -> None:
        while True:
            try:
                batch = details.get_nowait()
            except queue.Empty:
                return
            store.save_snapshots(run_id, batch)
    for unit in collect_estate(
        factory,
        plan.targets,
        max_workers=settings.audit.max_workers,
        options=CollectOptions(
            repository_workers=settings.audit.repository_workers,
            validate_pull_through_cache=settings.checks.validate_pull_through_cache,
        ),
        on_unit=on_unit,
        sink=details.put,
        drain=store_details,
    ):
        store.save_unit(run_id, unit.scope, unit.snapshots, unit.errors)
        # The call log goes to the store unit by unit, so a large run does not hold it.
        store.save_call_log(run_id, factory.recorder.drain())
        scope.append(unit.scope)
        snapshots.extend(unit.snapshots)
    store.save_calls(run_id, factory.recorder.summary(), factory.recorder.drain())
    started_at = store.run(run_id).started_at
    inventory = Inventory.build(scope, snapshots)
    inventory.evaluated_at = started_at
    inventory.first_seen = store.first_seen_findings(exclude_run=run_id)

    engine = Engine(default_registry(), settings.checks, dict(settings.checks.severity))
    waivers = WaiverApplier(settings.waivers, settings.waiver_policy)
    tally = Tally()
    findings: list[FindingRecord] = []

    def evaluate() -> Iterator[Result]:
        context = engine.context(inventory)
        for registry in inventory.audited():

            def load(names: list[str], registry: Registry = registry) -> None:
                # Keep the findings of the chunk before, then hold only this chunk's details.
                findings.extend(finding_records(registry))
                registry.drop(REPOSITORY_DETAIL_KINDS)
                registry.add_all(load_details(store, run_id, registry, names))

            yield from engine.registry_results(registry, context, load=load)
            findings.extend(finding_records(registry))
            registry.drop(REPOSITORY_DETAIL_KINDS)
        yield from engine.inventory_results(context)

    # Results go to the store as the engine yields them, and repository details are in
    # memory one chunk at a time while their registry is evaluated.
    store.save_results(run_id, (tally.add(waivers.apply(r)) for r in evaluate()))
    store.save_waiver_reviews(run_id, waivers.reviews())
    store.save_findings(run_id, findings, started_at)

    total = tally.score()
    reasons = incompleteness(inventory, tally.count(Status.ERROR))
    code = exit_code_for(tally, bool(reasons), settings.audit.fail_on)
    store.finish_run(run_id, score=total.score, coverage=total.coverage, exit_code=code)
    logger.info(
        "run=%d complete score=%s coverage=%s results=%d seconds=%.1f",
        run_id,
        total.score,
        total.coverage,
        total.total,
        time.monotonic() - started,
    )
    return RunOutcome(run_id, code, total.score, total.coverage, total.total, None, reasons, store)


def load_details(store: Store, run_id: int, registry: Registry, names: list[str]) -> list[Snapshot]:
    """Load the repository details of these repositories, whose names are consecutive in sorted order.

    Details are named after their repository, or "repository@digest" for images, so one
    range of names contains them all. It ends at the largest "name@~" of the chunk, because
    "~" sorts after every character of a digest, and "app@..." can sort after "app-2"
    when both are in the chunk. Names in the range of other repositories are dropped.
    """
    wanted = set(names)
    account, region = registry.account, registry.region
    last = max(name + "@~" for name in names)
    loaded = store.load_snapshots(run_id, account, region, REPOSITORY_DETAIL_KINDS, (names[0], last))
    # Failed listings of details (such as Inspector's) are named LISTING and belong to every chunk.
    failed = store.load_snapshots(run_id, account, region, REPOSITORY_DETAIL_KINDS, (LISTING, LISTING))
    return [s for s in loaded if s.name.partition("@")[0] in wanted] + failed


def finding_records(registry: Registry) -> list[FindingRecord]:
    """Flatten the findings of every image of one registry (scan and Inspector, merged) into per-run records."""
    records: list[FindingRecord] = []
    for scan in registry.items(Kind.IMAGE_SCAN_FINDINGS):
        if not scan.present:
            continue
        repository, _, digest = scan.name.rpartition("@")
        inspector = registry.get(Kind.INSPECTOR_FINDINGS, scan.name)
        from_inspector = findings_from_inspector(inspector.payload.get("findings", [])) if inspector.present else []
        for finding in merge(findings_from_scan(scan.payload), from_inspector):
            records.append(
                FindingRecord(
                    account=registry.account,
                    region=registry.region,
                    repository=repository,
                    image_digest=digest,
                    finding_id=finding.finding_id,
                    severity=finding.severity,
                    status=finding.status,
                    package_name=finding.package_name,
                    package_version=finding.package_version,
                    fixed_in=finding.fixed_in,
                    fix_available=finding.fix_available,
                    exploit_available=finding.exploit_available,
                    first_observed_at=finding.first_observed_at,
                    source=finding.source,
                )
            )
    return records


def incompleteness(inventory: Inventory, errors: int) -> list[str]:
    """Say why a run is incomplete: units that could not be read and checks in ERROR.

    Skipped regions (not enabled for the account) are not a reason.
    """
    reasons = [
        f"{r.account}/{r.region}: {r.scope.reason}"
        for r in inventory.registries
        if r.scope.status is ScopeStatus.UNREADABLE
    ]
    if errors:
        reasons.append(f"{errors} result(s) in ERROR")
    return reasons
