"""Configuration drift: every registry setting of a run compared with the previous complete run.

Drift is reported, not scored: a change can be deliberate, and the checks already
judge the settings as they are now.
"""

from __future__ import annotations

from collections.abc import Callable

from auditor.inventory import Inventory, Kind, Registry, ScopeStatus
from auditor.report.drift.model import ChangeKind, DriftChange, DriftReport, Feature, NotCompared
from auditor.report.drift.settings import RegistryDiff
from auditor.store.db import Store

__all__ = [
    "ChangeKind",
    "DriftChange",
    "DriftReport",
    "Feature",
    "NotCompared",
    "detect_drift",
    "drift_between_runs",
]

# The kinds that drift compares; images, scan findings and signing status are results
# of pushes and scans, not settings.
# The registry-wide ones are also what a report's inventory section shows.
REGISTRY_SETTING_KINDS = (
    Kind.REGISTRY_POLICY,
    Kind.ACCOUNT_SETTING,
    Kind.REPLICATION_CONFIGURATION,
    Kind.REGISTRY_SCANNING_CONFIGURATION,
    Kind.SIGNING_CONFIGURATION,
    Kind.PULL_THROUGH_CACHE_RULE,
    Kind.CREATION_TEMPLATE,
)
SETTING_KINDS = (*REGISTRY_SETTING_KINDS, Kind.REPOSITORY, Kind.REPOSITORY_POLICY, Kind.REPOSITORY_TAGS)


def detect_drift(
    before: Inventory,
    after: Inventory,
    previous_run_id: int | None,
    *,
    load: Callable[[Registry, Registry], None] | None = None,
) -> DriftReport:
    """List every setting that differs between two runs' inventories, registry by registry.

    With ``load``, the inventories start without snapshots: ``load`` fills both sides of
    each pair of registries just before they are compared, and they are emptied after.
    """
    report = DriftReport(previous_run_id)
    old = {(r.account, r.region): r for r in before.registries}
    new = {(r.account, r.region): r for r in after.registries}
    for key in sorted(new.keys() | old.keys()):
        was, now = old.get(key), new.get(key)
        if was is not None and now is not None and _audited(was) and _audited(now):
            if load is not None:
                load(was, now)
            diff = RegistryDiff(was, now)
            diff.run()
            report.changes.extend(diff.changes)
            report.not_compared.extend(diff.not_compared)
            if load is not None:
                was.drop(SETTING_KINDS)
                now.drop(SETTING_KINDS)
            continue
        was_state = was.scope.status.value if was else "not in scope"
        now_state = now.scope.status.value if now else "not in scope"
        if was is None and now_state == ScopeStatus.AUDITED:
            report.changes.append(DriftChange(*key, Feature.SCOPE, "registry", ChangeKind.ADDED, "", "audited"))
        elif now is None and was_state == ScopeStatus.AUDITED:
            report.changes.append(DriftChange(*key, Feature.SCOPE, "registry", ChangeKind.REMOVED, "audited", ""))
        elif was_state != now_state:
            report.not_compared.append(NotCompared(*key, Feature.SCOPE, f"registry was {was_state}, now {now_state}"))
    return report


def _audited(registry: Registry) -> bool:
    return registry.scope.status is ScopeStatus.AUDITED


def drift_between_runs(store: Store, previous_run_id: int, run_id: int) -> DriftReport:
    """Compare two stored runs' settings with one registry's settings in memory at a time."""
    before = Inventory.build(store.load_scope(previous_run_id), [])
    after = Inventory.build(store.load_scope(run_id), [])

    def load(was: Registry, now: Registry) -> None:
        was.add_all(store.load_snapshots(previous_run_id, was.account, was.region, SETTING_KINDS))
        now.add_all(store.load_snapshots(run_id, now.account, now.region, SETTING_KINDS))

    return detect_drift(before, after, previous_run_id, load=load)
