"""The report model: everything a report shows about one run, read from the store."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from auditor.checks import default_registry
from auditor.checks.engine import CheckRegistry
from auditor.checks.model import Area, CheckMeta, Result, Severity, Status
from auditor.checks.score import Score, score, score_by
from auditor.inventory import (
    CollectionError,
    Kind,
    Registry,
    ScopeEntry,
    ScopeStatus,
    Snapshot,
)
from auditor.store.db import RunInfo, Store

LIMITATION = (
    "Verdicts on who can reach a repository consider registry and repository policies only: "
    "service control policies, resource control policies and identity policies are not seen."
)


@dataclass(frozen=True)
class CheckSummary:
    meta: CheckMeta
    severity: Severity
    counts: dict[Status, int]
    failures: list[Result]
    errors: list[Result]


@dataclass(frozen=True)
class AreaSection:
    area: Area
    score: Score
    checks: list[CheckSummary]


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
    results: list[Result]
    limitation: str = LIMITATION

    @property
    def api_call_total(self) -> int:
        return sum(count for _, _, count, _ in self.api_calls)


def build_report_model(store: Store, run_id: int, checks: CheckRegistry | None = None) -> ReportModel:
    checks = checks or default_registry()
    run = store.run(run_id)
    results = store.load_results(run_id)
    inventory = store.load_inventory(run_id)
    scope = store.load_scope(run_id)
    counts = store.load_call_counts(run_id)
    return ReportModel(
        run=run,
        total=score(results),
        areas=_areas(results, checks),
        by_unit=score_by(results, lambda r: (r.resource.account, r.resource.region)),
        failed_by_severity=_failed_by_severity(results),
        registries=[_registry_inventory(r) for r in inventory.registries],
        skipped=[s for s in scope if s.status is ScopeStatus.SKIPPED],
        unreadable=[s for s in scope if s.status is ScopeStatus.UNREADABLE],
        errors=store.load_errors(run_id),
        api_calls=sorted((svc, op, n, e) for (svc, op), (n, e) in counts.items()),
        results=results,
    )


def _failed_by_severity(results: list[Result]) -> dict[Severity, int]:
    counter = Counter(r.severity for r in results if r.status is Status.FAIL)
    return {s: counter.get(s, 0) for s in Severity}


def _areas(results: list[Result], checks: CheckRegistry) -> list[AreaSection]:
    by_check: dict[str, list[Result]] = {}
    for result in results:
        by_check.setdefault(result.check_id, []).append(result)
    sections = []
    for area in Area:
        summaries = []
        area_results: list[Result] = []
        for check in checks:
            if check.meta.area is not area:
                continue
            found = by_check.get(check.id, [])
            area_results.extend(found)
            status_counts = Counter(r.status for r in found)
            summaries.append(
                CheckSummary(
                    meta=check.meta,
                    severity=found[0].severity if found else check.meta.severity,
                    counts={s: status_counts.get(s, 0) for s in Status},
                    failures=[r for r in found if r.status is Status.FAIL],
                    errors=[r for r in found if r.status is Status.ERROR],
                )
            )
        if summaries:
            sections.append(AreaSection(area, score(area_results), summaries))
    return sections


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
    except ValueError:
        return text


def _registry_inventory(registry: Registry) -> RegistryInventory:
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
    features["Scanning"] = _row(
        scanning, f"{scan_config.get('scanType', '?')} with {len(scan_rules)} rule(s)"
    )
    signing = registry.get(Kind.SIGNING_CONFIGURATION)
    signing_rules = ((signing.payload or {}).get("signingConfiguration") or {}).get("rules") or []
    features["Signing"] = _row(signing, f"{len(signing_rules)} rule(s)", signing.payload)
    features["Pull through cache"] = _listing_row(registry, Kind.PULL_THROUGH_CACHE_RULE, "rule(s)")
    features["Creation templates"] = _listing_row(registry, Kind.CREATION_TEMPLATE, "template(s)")
    features["Repositories"] = _listing_row(registry, Kind.REPOSITORY, "repositories")
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
        repositories=len(registry.items(Kind.REPOSITORY)),
        features=features,
        pull_through_cache_rules=[s.payload for s in registry.items(Kind.PULL_THROUGH_CACHE_RULE) if s.present],
        creation_templates=[s.payload for s in registry.items(Kind.CREATION_TEMPLATE) if s.present],
        replication_rules=list(rules),
        scanning_rules=list(scan_rules),
        account_settings=settings,
    )


def _listing_row(registry: Registry, kind: Kind, noun: str) -> FeatureRow:
    failure = registry.listing_error(kind)
    if failure is not None:
        return FeatureRow("error", failure.describe())
    if registry.scope.status is not ScopeStatus.AUDITED:
        return FeatureRow("error", registry.scope.reason or registry.scope.status.value)
    return FeatureRow("present", f"{len(registry.items(kind))} {noun}")


