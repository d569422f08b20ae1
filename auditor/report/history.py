"""Comparison of a run with earlier runs: score change, new and resolved failures, trend.

Results are matched across runs by their stable id (check id and resource), so a
failure that continues keeps its identity and a resource that starts failing is new.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select

from auditor.checks.model import Area, Result, Severity, Status
from auditor.checks.score import Tally
from auditor.store.db import RunInfo, RunStatus, Store
from auditor.store.models import ResultRow, RunRow


@dataclass(frozen=True)
class Comparison:
    """The reported run against the previous complete run, when there is one."""

    previous: RunInfo | None
    new_failures: list[Result]
    # Failures of the previous run whose result is no longer FAIL, with the status it has
    # now; None means the resource or check no longer produces a result at all.
    resolved: list[tuple[Result, Status | None]]
    continuing: int
    # Status of each result id in the previous run.
    previous_status: dict[str, Status] = field(default_factory=dict)
    # How many new and resolved failures there are; the lists above may hold only the first.
    new_failure_count: int = 0
    resolved_count: int = 0


@dataclass(frozen=True)
class TrendPoint:
    run_id: int
    started_at: datetime
    total: float | None
    coverage: float | None
    areas: dict[Area, float | None]


def compare(current: Sequence[Result], previous: Sequence[Result] | None, previous_run: RunInfo | None) -> Comparison:
    """Match results by stable id and split the failures into new, resolved and continuing."""
    if previous is None:
        return Comparison(previous_run, [], [], 0)
    before = {r.id: r for r in previous}
    now = {r.id: r for r in current}
    new_failures = [
        r for r in current if r.status is Status.FAIL and (r.id not in before or before[r.id].status is not Status.FAIL)
    ]
    resolved: list[tuple[Result, Status | None]] = []
    for result in previous:
        if result.status is not Status.FAIL:
            continue
        after = now.get(result.id)
        if after is None or after.status is not Status.FAIL:
            resolved.append((result, after.status if after else None))
    continuing = sum(
        1 for r in current if r.status is Status.FAIL and r.id in before and before[r.id].status is Status.FAIL
    )
    return Comparison(
        previous_run,
        _by_severity(new_failures),
        sorted(resolved, key=lambda pair: _order(pair[0])),
        continuing,
        {r.id: r.status for r in previous},
        new_failure_count=len(new_failures),
        resolved_count=len(resolved),
    )


def _order(result: Result) -> tuple[int, str, str]:
    return (-result.severity.rank, result.check_id, str(result.resource))


def _by_severity(results: list[Result]) -> list[Result]:
    return sorted(results, key=_order)


def _score_from_counts(counts: dict[tuple[Severity, Status], int]) -> tuple[float | None, float | None]:
    """Score and coverage from counts, by the rule of auditor.checks.score."""
    tally = Tally()
    for (severity, status), n in counts.items():
        tally.add_count(status, severity, n)
    total = tally.score()
    return total.score, total.coverage


def trend(store: Store, run: RunInfo, runs: int) -> list[TrendPoint]:
    """Score and coverage per area for the last ``runs`` complete runs up to ``run``, oldest first.

    Counts come from one grouped query rather than from every run's results, so the
    cost stays small for large estates.
    """
    earlier = [r for r in store.runs(include_incomplete=False) if r.id <= run.id]
    if not earlier or earlier[-1].id != run.id:
        earlier.append(run)
    chosen = earlier[-runs:]
    ids = [r.id for r in chosen]
    per_run: dict[int, dict[str, dict[tuple[Severity, Status], int]]] = defaultdict(lambda: defaultdict(dict))
    with store.session() as session:
        rows = session.execute(
            select(ResultRow.run_id, ResultRow.area, ResultRow.severity, ResultRow.status, func.count())
            .where(ResultRow.run_id.in_(ids))
            .group_by(ResultRow.run_id, ResultRow.area, ResultRow.severity, ResultRow.status)
        )
        for run_id, area, severity, status, count in rows:
            key = (Severity(severity), Status(status))
            per_run[run_id][area][key] = per_run[run_id][area].get(key, 0) + int(count)
    points = []
    for info in chosen:
        by_area = per_run.get(info.id, {})
        total_counts: dict[tuple[Severity, Status], int] = defaultdict(int)
        areas: dict[Area, float | None] = {}
        for area in Area:
            counts = by_area.get(area.value)
            if counts:
                areas[area] = _score_from_counts(counts)[0]
                for key, n in counts.items():
                    total_counts[key] += n
        total, coverage = _score_from_counts(dict(total_counts))
        points.append(TrendPoint(info.id, info.started_at, total, coverage, areas))
    return points


def first_failed(store: Store, run_id: int, result_ids: Sequence[str]) -> dict[str, datetime]:
    """Return, per result id, the start of the earliest complete run up to ``run_id`` in which it failed."""
    found: dict[str, datetime] = {}
    wanted = list(dict.fromkeys(result_ids))
    with store.session() as session:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = session.execute(
                select(ResultRow.result_id, func.min(RunRow.started_at))
                .join(RunRow, RunRow.id == ResultRow.run_id)
                .where(
                    ResultRow.result_id.in_(chunk),
                    ResultRow.status == Status.FAIL.value,
                    ResultRow.run_id <= run_id,
                    RunRow.status == RunStatus.COMPLETE,
                )
                .group_by(ResultRow.result_id)
            )
            for result_id, started in rows:
                found[result_id] = _aware(started)
    return found


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; every stored time is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
