"""The report model: everything a report shows about one run, read from the store."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from auditor.checks import default_registry
from auditor.checks.engine import CheckRegistry
from auditor.checks.model import Area, CheckMeta, Result, Severity, Status
from auditor.checks.score import Score
from auditor.checks.waivers import WaiverReview
from auditor.config import ReportSettings
from auditor.evidence.chain import Seal, read_seal
from auditor.inventory import (
    CollectionError,
    Inventory,
    Kind,
    Registry,
    ScopeEntry,
    ScopeStatus,
    Snapshot,
)
from auditor.report.charts import trend_svg
from auditor.report.drift import REGISTRY_SETTING_KINDS, DriftReport, drift_between_runs
from auditor.report.frameworks import FrameworkMatrix, framework_matrices_from
from auditor.report.history import Comparison, TrendPoint, compare, trend
from auditor.report.results import RunResults
from auditor.report.vulnerabilities import VulnerabilityReport, build_vulnerability_report
from auditor.store.db import RunInfo, ScheduleEvent, Store

LIMITATION = (
    "Verdicts on who can reach a repository consider registry and repository policies only: "
    "service control policies, resource control policies and identity policies are not seen."
)


# How many accounts and regions the executive summary names as the worst.
WORST_UNITS = 5


@dataclass(frozen=True)
class ReportOptions:
    """Report settings that change what is shown, not what is measured."""

    trend_runs: int = 12
    pdf_max_rows: int = 200
    html_max_rows: int = 10_000

    @classmethod
    def from_settings(cls, settings: ReportSettings) -> ReportOptions:
        return cls(
            trend_runs=settings.trend_runs, pdf_max_rows=settings.pdf_max_rows, html_max_rows=settings.html_max_rows
        )

    @property
    def row_budget(self) -> int:
        """Rows read for one list: enough for the HTML and the PDF, whichever shows more."""
        return max(self.pdf_max_rows, self.html_max_rows)

    def for_pdf_only(self) -> ReportOptions:
        """These options for a model that only a PDF renders: no list reads more rows than the PDF prints."""
        return replace(self, html_max_rows=self.pdf_max_rows)


@dataclass(frozen=True)
class CheckSummary:
    meta: CheckMeta
    severity: Severity
    counts: dict[Status, int]
    failures: list[Result]  # the first failures, as many as the report's row budget allows
    errors: list[Result]
    # FAIL and ERROR results per (account, region), counted over every result.
    unit_totals: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)

    @property
    def findings(self) -> list[Result]:
        """Failures, then errors, each ordered by account, region and resource."""
        return self.failures + self.errors

    @property
    def finding_total(self) -> int:
        """Every FAIL and ERROR result of the check, listed or not."""
        return self.counts[Status.FAIL] + self.counts[Status.ERROR]


@dataclass(frozen=True)
class CheckRows:
    """The rows of one check that a length-limited section shows, and how many it leaves out."""

    check: CheckSummary
    rows: list[Result]
    omitted: int


@dataclass(frozen=True)
class UnitCount:
    """Failures and errors of one check in one account and region, for the totals of a long section."""

    check: CheckSummary
    account: str
    region: str
    failures: int
    errors: int


@dataclass(frozen=True)
class AreaSection:
    area: Area
    score: Score
    checks: list[CheckSummary]

    @property
    def finding_count(self) -> int:
        return sum(c.finding_total for c in self.checks)

    def limited(self, limit: int | None) -> list[CheckRows]:
        """Share ``limit`` rows among the checks, most severe check first; None shows every row read."""
        ordered = sorted((c for c in self.checks if c.finding_total), key=lambda c: (-c.severity.rank, c.meta.id))
        left = limit
        selected = []
        for check in ordered:
            rows = check.findings if left is None else check.findings[: max(left, 0)]
            if left is not None:
                left -= len(rows)
            selected.append(CheckRows(check, rows, check.finding_total - len(rows)))
        return selected

    def unit_counts(self) -> list[UnitCount]:
        """Failures and errors per check, account and region, the largest first."""
        counts: list[UnitCount] = []
        for check in self.checks:
            counts.extend(UnitCount(check, a, r, f, e) for (a, r), (f, e) in check.unit_totals.items())
        return sorted(
            counts, key=lambda u: (-u.check.severity.rank, -u.failures, -u.errors, u.check.meta.id, u.account, u.region)
        )


@dataclass(frozen=True)
class FeatureRow:
    """One registry's collected settings for one feature, ready to show."""

    state: str  # present, absent, error
    summary: str
    detail: Any = None


@dataclass(frozen=True)
class RegistryInventory:
    account: str
    region: str
    status: ScopeStatus
    reason: str
    repositories: int
    features: dict[str, FeatureRow]
    pull_through_cache_rules: list[dict[str, Any]] = field(default_factory=list)
    creation_templates: list[dict[str, Any]] = field(default_factory=list)
    replication_rules: list[dict[str, Any]] = field(default_factory=list)
    scanning_rules: list[dict[str, Any]] = field(default_factory=list)
    account_settings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Estate:
    """Scope of the run, for the cover page."""

    accounts: list[str]
    regions: list[str]
    audited: int
    skipped: int
    unreadable: int
    repositories: int


@dataclass(frozen=True)
class ReportModel:
    run: RunInfo
    total: Score
    areas: list[AreaSection]
    by_unit: dict[tuple[str, str], Score]
    failed_by_severity: dict[Severity, int]
    registries: list[RegistryInventory]
    skipped: list[ScopeEntry]
    unreadable: list[ScopeEntry]
    errors: list[CollectionError]
    api_calls: list[tuple[str, str, int, int]]
    # The results an HTML report lists, failures and errors first; result_count counts them all.
    listed_results: list[Result]
    result_count: int
    estate: Estate
    options: ReportOptions = field(default_factory=ReportOptions)
    waived_results: list[Result] = field(default_factory=list)
    previous: RunInfo | None = None
    previous_total: Score | None = None
    previous_failed_by_severity: dict[Severity, int] | None = None
    comparison: Comparison = field(default_factory=lambda: Comparison(None, [], [], 0))
    drift: DriftReport | None = None
    trend: list[TrendPoint] = field(default_factory=list)
    trend_chart: str = ""
    frameworks: list[FrameworkMatrix] = field(default_factory=list)
    worst_accounts: list[tuple[str, Score]] = field(default_factory=list)
    worst_regions: list[tuple[str, Score]] = field(default_factory=list)
    seal: Seal | None = None
    waivers: list[WaiverReview] = field(default_factory=list)
    unfinished_schedule_times: list[ScheduleEvent] = field(default_factory=list)
    vulnerabilities: VulnerabilityReport = field(default_factory=VulnerabilityReport)
    limitation: str = LIMITATION
    store: Store | None = field(default=None, repr=False, compare=False)

    @property
    def results(self) -> list[Result]:
        """Every result of the run, read from the store: for exports, which list them all.

        HTML and PDF reports never read this; they use counts and the rows they show.
        """
        if self.store is None:
            return list(self.listed_results)
        return self.store.load_results(self.run.id)

    def full_comparison(self) -> Comparison:
        """Compare every result with the previous run's, for exports."""
        if self.store is None or self.previous is None:
            return self.comparison
        return compare(self.results, self.store.load_results(self.previous.id), self.previous)

    @property
    def api_call_total(self) -> int:
        return sum(count for _, _, count, _ in self.api_calls)

    @property
    def score_change(self) -> float | None:
        return _change(self.total.score, self.previous_total.score if self.previous_total else None)

    @property
    def coverage_change(self) -> float | None:
        return _change(self.total.coverage, self.previous_total.coverage if self.previous_total else None)

    def severity_change(self, severity: Severity) -> int | None:
        if self.previous_failed_by_severity is None:
            return None
        return self.failed_by_severity[severity] - self.previous_failed_by_severity[severity]

    @property
    def units_worst_first(self) -> list[tuple[tuple[str, str], Score]]:
        """(account, region) scores, lowest first, unscored ones last."""
        return sorted(
            self.by_unit.items(),
            key=lambda item: (item[1].score is None, item[1].score or 0.0, -item[1].count(Status.FAIL), item[0]),
        )

    @property
    def period_start(self) -> datetime:
        return self.trend[0].started_at if self.trend else self.run.started_at


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return round(now - before, 1)


def build_report_model(
    store: Store,
    run_id: int,
    checks: CheckRegistry | None = None,
    options: ReportOptions | None = None,
) -> ReportModel:
    """Build what a report shows about one run.

    Scores and totals come from grouped counts; rows are read only up to the row
    budget of each list. So memory and time follow what the report shows more than the
    number of results.
    """
    checks = checks or default_registry()
    options = options or ReportOptions()
    run = store.run(run_id)
    current = RunResults(store, run_id)
    # Registry-wide settings only: repositories are counted, and drift reads both runs'
    # settings one registry at a time.
    inventory = store.load_inventory(run_id, REGISTRY_SETTING_KINDS, listings=(Kind.REPOSITORY,))
    repositories = store.count_items(run_id, Kind.REPOSITORY)
    scope = store.load_scope(run_id)
    counts = store.load_call_counts(run_id)

    previous = store.previous_complete(run_id)
    before = RunResults(store, previous.id) if previous else None
    points = trend(store, run, options.trend_runs)
    budget = options.row_budget
    areas = _areas(current, checks, budget)

    return ReportModel(
        run=run,
        total=current.score(),
        areas=areas,
        by_unit=current.score_by(lambda key: (key[1], key[2])),
        failed_by_severity=current.failed_by_severity(),
        registries=[
            _registry_inventory(r, repositories.get((r.account, r.region), 0)) for r in inventory.registries
        ],
        skipped=[s for s in scope if s.status is ScopeStatus.SKIPPED],
        unreadable=[s for s in scope if s.status is ScopeStatus.UNREADABLE],
        errors=store.load_errors(run_id),
        api_calls=sorted((svc, op, n, e) for (svc, op), (n, e) in counts.items()),
        listed_results=current.rows(limit=options.html_max_rows, most_severe_first=True),
        result_count=current.total,
        waived_results=current.rows(statuses=(Status.WAIVED,), limit=budget, evidence=True),
        estate=_estate(inventory, repositories),
        options=options,
        previous=previous,
        previous_total=before.score() if before else None,
        previous_failed_by_severity=before.failed_by_severity() if before else None,
        comparison=_comparison(current, before, previous, budget),
        drift=_drift(store, previous, run_id),
        trend=points,
        trend_chart=trend_svg(points, [s.area for s in areas]),
        frameworks=framework_matrices_from(current.tallies_by_check(), checks),
        worst_accounts=_worst(current.score_by(lambda key: key[1])),
        worst_regions=_worst(current.score_by(lambda key: key[2])),
        seal=read_seal(store, run_id),
        waivers=store.load_waiver_reviews(run_id),
        unfinished_schedule_times=store.unfinished_schedule_times(run_id),
        vulnerabilities=build_vulnerability_report(
            store,
            run,
            current.stream(check_id="VULN-02", statuses=(Status.FAIL, Status.WAIVED)),
            _trend_runs(store, run, options.trend_runs),
            limit=budget,
        ),
        store=store,
    )


def _comparison(current: RunResults, before: RunResults | None, previous: RunInfo | None, budget: int) -> Comparison:
    """New and resolved failures against the previous run: the first ``budget`` of each, and their numbers."""
    if before is None or previous is None:
        return Comparison(previous, [], [], 0)
    new, new_total = current.failures_not_failing_in(previous.id, budget)
    gone, resolved_total = before.failures_not_failing_in(current.run_id, budget)
    now = current.statuses_of([r.id for r in gone])
    return Comparison(
        previous,
        new,
        [(r, now.get(r.id)) for r in gone],
        current.count(Status.FAIL) - new_total,
        new_failure_count=new_total,
        resolved_count=resolved_total,
    )


def _trend_runs(store: Store, run: RunInfo, count: int) -> list[RunInfo]:
    """Return the last ``count`` complete runs up to and including this one."""
    return [r for r in store.runs(include_incomplete=False) if r.id <= run.id][-count:]


def _drift(store: Store, previous: RunInfo | None, run_id: int) -> DriftReport | None:
    if previous is None:
        return None
    return drift_between_runs(store, previous.id, run_id)


def _worst(scores: dict[str, Score]) -> list[tuple[str, Score]]:
    """Return the lowest scores first; ties go to the one with more failures. Unscored ones are left out."""
    scored = [(name, s) for name, s in scores.items() if s.score is not None]
    scored.sort(key=lambda item: (item[1].score, -item[1].count(Status.FAIL), item[0]))
    return scored[:WORST_UNITS]


def _estate(inventory: Inventory, repositories: dict[tuple[str, str], int]) -> Estate:
    statuses = Counter(r.scope.status for r in inventory.registries)
    return Estate(
        accounts=sorted({r.account for r in inventory.registries}),
        regions=sorted({r.region for r in inventory.registries}),
        audited=statuses.get(ScopeStatus.AUDITED, 0),
        skipped=statuses.get(ScopeStatus.SKIPPED, 0),
        unreadable=statuses.get(ScopeStatus.UNREADABLE, 0),
        repositories=sum(repositories.values()),
    )


def _areas(current: RunResults, checks: CheckRegistry, budget: int) -> list[AreaSection]:
    """Build one section per area. Each reads at most ``budget`` failing and erroring
    rows, most severe check first, as its report lists them, and counts the rest."""
    sections = []
    for area in Area:
        in_area = [check for check in checks if check.meta.area is area]
        if not in_area:
            continue
        left = budget
        summaries: dict[str, CheckSummary] = {}
        by_severity = sorted(
            in_area, key=lambda c: (-(current.check_severity(c.id) or c.meta.severity).rank, c.id)
        )
        for check in by_severity:
            statuses = current.check_statuses(check.id)
            failures = _first(current, check.id, Status.FAIL, statuses, left)
            left -= len(failures)
            errors = _first(current, check.id, Status.ERROR, statuses, left)
            left -= len(errors)
            summaries[check.id] = CheckSummary(
                meta=check.meta,
                severity=current.check_severity(check.id) or check.meta.severity,
                counts=statuses,
                failures=failures,
                errors=errors,
                unit_totals=current.unit_totals(check.id),
            )
        area_checks = frozenset(check.id for check in in_area)
        area_score = current.score(lambda key, ids=area_checks: key[0] in ids)  # type: ignore[misc]
        sections.append(AreaSection(area, area_score, [summaries[c.id] for c in in_area]))
    return sections


def _first(current: RunResults, check_id: str, status: Status, counts: dict[Status, int], limit: int) -> list[Result]:
    """Read the first ``limit`` results of one check in one status, without a query when it has none."""
    if not counts[status]:
        return []
    return current.rows(check_id=check_id, statuses=(status,), limit=limit)


def _row(snapshot: Snapshot, summary: str, detail: Any = None) -> FeatureRow:
    if snapshot.absent:
        return FeatureRow("absent", "not configured")
    if not snapshot.present:
        cause = snapshot.error.describe() if snapshot.error else "not collected"
        return FeatureRow("error", cause)
    return FeatureRow("present", summary, detail)


def _pretty_policy(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=False)
    except (ValueError, RecursionError):
        # RecursionError: nested deeper than json can parse; shown as collected.
        return text


def _registry_inventory(registry: Registry, repositories: int) -> RegistryInventory:
    features: dict[str, FeatureRow] = {}
    policy = registry.get(Kind.REGISTRY_POLICY)
    features["Registry policy"] = _row(
        policy, "policy set", _pretty_policy(str((policy.payload or {}).get("policyText", "")))
    )
    replication = registry.get(Kind.REPLICATION_CONFIGURATION)
    rules = ((replication.payload or {}).get("replicationConfiguration") or {}).get("rules") or []
    features["Replication"] = _row(replication, f"{len(rules)} rule(s)")
    scanning = registry.get(Kind.REGISTRY_SCANNING_CONFIGURATION)
    scan_config = (scanning.payload or {}).get("scanningConfiguration") or {}
    scan_rules = scan_config.get("rules") or []
    features["Scanning"] = _row(scanning, f"{scan_config.get('scanType', '?')} with {len(scan_rules)} rule(s)")
    signing = registry.get(Kind.SIGNING_CONFIGURATION)
    signing_rules = ((signing.payload or {}).get("signingConfiguration") or {}).get("rules") or []
    features["Signing"] = _row(signing, f"{len(signing_rules)} rule(s)", signing.payload)
    features["Pull through cache"] = _listing_row(registry, Kind.PULL_THROUGH_CACHE_RULE, "rule(s)")
    features["Creation templates"] = _listing_row(registry, Kind.CREATION_TEMPLATE, "template(s)")
    features["Repositories"] = _listing_row(registry, Kind.REPOSITORY, "repositories", repositories)
    settings: dict[str, str] = {}
    for snapshot in registry.items(Kind.ACCOUNT_SETTING):
        if snapshot.present:
            settings[snapshot.name] = str(snapshot.payload.get("value", ""))
        else:
            settings[snapshot.name] = _row(snapshot, "").summary
    return RegistryInventory(
        account=registry.account,
        region=registry.region,
        status=registry.scope.status,
        reason=registry.scope.reason,
        repositories=repositories,
        features=features,
        pull_through_cache_rules=[s.payload for s in registry.items(Kind.PULL_THROUGH_CACHE_RULE) if s.present],
        creation_templates=[s.payload for s in registry.items(Kind.CREATION_TEMPLATE) if s.present],
        replication_rules=list(rules),
        scanning_rules=list(scan_rules),
        account_settings=settings,
    )


def _listing_row(registry: Registry, kind: Kind, noun: str, count: int | None = None) -> FeatureRow:
    """Summarise a listed kind: its number of items (``count`` when they were not loaded), or why it is unknown."""
    failure = registry.listing_error(kind)
    if failure is not None:
        return FeatureRow("error", failure.describe())
    if registry.scope.status is not ScopeStatus.AUDITED:
        return FeatureRow("error", registry.scope.reason or registry.scope.status.value)
    return FeatureRow("present", f"{len(registry.items(kind)) if count is None else count} {noun}")
