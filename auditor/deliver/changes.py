"""Differences between two stored runs: result statuses by stable id, and registry settings.

Results are matched by their stable id (the same check on the same resource in
every run). Settings are compared by the report's drift analysis, which reads only
the registry-level snapshots of the two runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from auditor.checks.model import Result, Severity, Status
from auditor.report.drift import DriftReport, drift_between_runs
from auditor.store.db import RunInfo, Store


@dataclass(frozen=True)
class ResultChange:
    result_id: str
    check_id: str
    resource: str
    severity: Severity
    before: Status | None  # None: the earlier run had no such result
    after: Status | None  # None: the later run has no such result
    reason: str  # the later run's reason, or the earlier one's for a result that is gone


@dataclass(frozen=True)
class RunComparison:
    before: RunInfo
    after: RunInfo
    results: list[ResultChange]
    settings: DriftReport

    @property
    def score_change(self) -> float | None:
        if self.before.score is None or self.after.score is None:
            return None
        return round(self.after.score - self.before.score, 1)

    @property
    def new_failures(self) -> list[ResultChange]:
        return [c for c in self.results if c.after is Status.FAIL and c.before is not Status.FAIL]

    @property
    def resolved_failures(self) -> list[ResultChange]:
        return [c for c in self.results if c.before is Status.FAIL and c.after is not Status.FAIL]


def compare_results(before: Iterable[Result], after: Iterable[Result]) -> list[ResultChange]:
    """Return every result whose status differs, or that exists in one list only, in check order."""
    earlier = {r.id: r for r in before}
    later = {r.id: r for r in after}
    changes = []
    for result_id in earlier.keys() | later.keys():
        old, new = earlier.get(result_id), later.get(result_id)
        if old is not None and new is not None and old.status is new.status:
            continue
        described = new or old
        assert described is not None
        changes.append(
            ResultChange(
                result_id=result_id,
                check_id=described.check_id,
                resource=str(described.resource),
                severity=described.severity,
                before=old.status if old else None,
                after=new.status if new else None,
                reason=described.reason,
            )
        )
    return sorted(changes, key=lambda c: (c.check_id, c.resource))


def compare_runs(store: Store, before_id: int, after_id: int) -> RunComparison:
    """Compare two stored runs; a run that failed may have no results to compare."""
    return RunComparison(
        before=store.run(before_id),
        after=store.run(after_id),
        results=compare_results(store.load_results(before_id), store.load_results(after_id)),
        settings=drift_between_runs(store, before_id, after_id),
    )
