"""A run's results as a report reads them: counts from grouped queries, rows only where shown.

A run of 10,000 repositories has about 170,000 results. A report needs their counts
(scores, coverage, per-check and per-unit totals) and, for each list it shows, the
first rows in the order it shows them. Reading only that keeps a report's memory
and time bounded by what it shows, not by the size of the estate. The exports read
every result separately.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, and_, case, func, select

from auditor.checks.model import Result, Severity, Status
from auditor.checks.score import Score, Tally
from auditor.store.db import Store, result_from_row
from auditor.store.models import ResultRow

K = TypeVar("K", bound=Hashable)

# (check id, account, region, status, severity) -> number of results
CountKey = tuple[str, str, str, Status, Severity]

# Most severe first in SQL, as Severity.rank orders them in Python.
_SEVERITY_ORDER = case({s.value: -s.rank for s in Severity}, value=ResultRow.severity, else_=0)
# FAIL and ERROR first, then WAIVED, PASS and NOT_APPLICABLE.
_STATUS_ORDER = case(
    {Status.FAIL.value: 0, Status.ERROR.value: 1, Status.WAIVED.value: 2, Status.PASS.value: 3},
    value=ResultRow.status,
    else_=4,
)
_RESOURCE_ORDER = (ResultRow.account, ResultRow.region, ResultRow.resource_name, ResultRow.id)


class RunResults:
    """Counts and selected rows of one run's results."""

    def __init__(self, store: Store, run_id: int) -> None:
        self.store = store
        self.run_id = run_id
        self.counts: dict[CountKey, int] = {}
        with store.session() as session:
            rows = session.execute(
                select(
                    ResultRow.check_id,
                    ResultRow.account,
                    ResultRow.region,
                    ResultRow.status,
                    ResultRow.severity,
                    func.count(),
                )
                .where(ResultRow.run_id == run_id)
                .group_by(ResultRow.check_id, ResultRow.account, ResultRow.region, ResultRow.status, ResultRow.severity)
            )
            for check_id, account, region, status, severity, n in rows:
                self.counts[(check_id, account, region, Status(status), Severity(severity))] = int(n)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def tally(self, keep: Callable[[CountKey], bool] | None = None) -> Tally:
        tally = Tally()
        for key, n in self.counts.items():
            if keep is None or keep(key):
                tally.add_count(key[3], key[4], n)
        return tally

    def score(self, keep: Callable[[CountKey], bool] | None = None) -> Score:
        return self.tally(keep).score()

    def score_by(self, group: Callable[[CountKey], K]) -> dict[K, Score]:
        tallies: dict[K, Tally] = defaultdict(Tally)
        for key, n in self.counts.items():
            tallies[group(key)].add_count(key[3], key[4], n)
        return {k: t.score() for k, t in sorted(tallies.items(), key=lambda item: str(item[0]))}

    def count(self, status: Status, check_id: str | None = None) -> int:
        return sum(n for key, n in self.counts.items() if key[3] is status and check_id in (None, key[0]))

    def failed_by_severity(self) -> dict[Severity, int]:
        found = {s: 0 for s in Severity}
        for key, n in self.counts.items():
            if key[3] is Status.FAIL:
                found[key[4]] += n
        return found

    def check_statuses(self, check_id: str) -> dict[Status, int]:
        found = {s: 0 for s in Status}
        for key, n in self.counts.items():
            if key[0] == check_id:
                found[key[3]] += n
        return found

    def check_severity(self, check_id: str) -> Severity | None:
        """Return the severity the run gave the check (an override may change it), if it has results."""
        return next((key[4] for key in self.counts if key[0] == check_id), None)

    def unit_totals(self, check_id: str) -> dict[tuple[str, str], tuple[int, int]]:
        """Count the FAIL and ERROR results of one check per (account, region), where it has any."""
        found: dict[tuple[str, str], list[int]] = {}
        for (check, account, region, status, _), n in self.counts.items():
            if check != check_id or status not in (Status.FAIL, Status.ERROR):
                continue
            pair = found.setdefault((account, region), [0, 0])
            pair[0 if status is Status.FAIL else 1] += n
        return {unit: (pair[0], pair[1]) for unit, pair in found.items()}

    # -- rows ------------------------------------------------------------------

    def rows(
        self,
        *,
        check_id: str | None = None,
        statuses: Iterable[Status] | None = None,
        limit: int | None = None,
        evidence: bool = False,
        most_severe_first: bool = False,
    ) -> list[Result]:
        """Read results of this run in report order, at most ``limit`` of them.

        Without ``evidence`` the results carry an empty evidence, which is all that
        lists of resources need and a fraction of the memory.
        """
        query = select(ResultRow).where(ResultRow.run_id == self.run_id)
        if check_id is not None:
            query = query.where(ResultRow.check_id == check_id)
        if statuses is not None:
            query = query.where(ResultRow.status.in_([s.value for s in statuses]))
        if most_severe_first:
            query = query.order_by(_STATUS_ORDER, _SEVERITY_ORDER, ResultRow.check_id, *_RESOURCE_ORDER)
        else:
            query = query.order_by(*_RESOURCE_ORDER)
        return self._read(query, limit, evidence)

    def stream(self, *, check_id: str, statuses: Iterable[Status]) -> Iterator[Result]:
        """Yield every result of one check in these statuses, with its evidence, in resource
        order, reading a batch of rows at a time."""
        query = (
            select(ResultRow)
            .where(
                ResultRow.run_id == self.run_id,
                ResultRow.check_id == check_id,
                ResultRow.status.in_([s.value for s in statuses]),
            )
            .order_by(*_RESOURCE_ORDER)
        )
        return self.store.iter_selected_results(query)

    def _read(self, query: Select[Any], limit: int | None, evidence: bool) -> list[Result]:
        if limit is not None:
            if limit <= 0:
                return []
            query = query.limit(limit)
        with self.store.session() as session:
            rows: Iterable[ResultRow] = session.scalars(query)
            return [result_from_row(row, evidence=evidence) for row in rows]

    def statuses_of(self, result_ids: Sequence[str]) -> dict[str, Status]:
        """Return the status of each of these result ids in this run, where it has one."""
        found: dict[str, Status] = {}
        with self.store.session() as session:
            for start in range(0, len(result_ids), 500):
                chunk = list(result_ids[start : start + 500])
                rows = session.execute(
                    select(ResultRow.result_id, ResultRow.status).where(
                        ResultRow.run_id == self.run_id, ResultRow.result_id.in_(chunk)
                    )
                )
                found.update({result_id: Status(status) for result_id, status in rows})
        return found

    def failures_not_failing_in(self, other_run_id: int, limit: int | None) -> tuple[list[Result], int]:
        """Return the FAIL results of this run whose id did not fail in ``other_run_id``,
        most severe first (at most ``limit``), and how many there are in all."""
        failed_there = select(ResultRow.result_id).where(
            ResultRow.run_id == other_run_id, ResultRow.status == Status.FAIL.value
        )
        condition = and_(
            ResultRow.run_id == self.run_id,
            ResultRow.status == Status.FAIL.value,
            ResultRow.result_id.not_in(failed_there),
        )
        with self.store.session() as session:
            total = int(session.scalar(select(func.count()).select_from(ResultRow).where(condition)) or 0)
        query = select(ResultRow).where(condition).order_by(_SEVERITY_ORDER, ResultRow.check_id, *_RESOURCE_ORDER)
        return self._read(query, limit, False), total

    def tallies_by_check(self) -> dict[str, Tally]:
        tallies: dict[str, Tally] = defaultdict(Tally)
        for key, n in self.counts.items():
            tallies[key[0]].add_count(key[3], key[4], n)
        return dict(tallies)
