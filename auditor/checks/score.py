"""Scores and coverage.

score = 100 x weight of PASS and WAIVED / weight of PASS, WAIVED and FAIL, with the
weights critical 10, high 5, medium 3, low 1. NOT_APPLICABLE and ERROR stay outside
the score; ERROR lowers coverage = 100 x results that are not ERROR / results that
are not NOT_APPLICABLE. A score is never shown without its coverage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from auditor.checks.model import Result, Severity, Status

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Score:
    score: float | None  # None when nothing was scored (only NOT_APPLICABLE or ERROR)
    coverage: float | None  # None when every result was NOT_APPLICABLE
    counts: dict[Status, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, status: Status) -> int:
        return self.counts.get(status, 0)


def score(results: Iterable[Result]) -> Score:
    tally = Tally()
    for result in results:
        tally.add(result)
    return tally.score()


class Tally:
    """Counts results by status and severity as they pass, which is all that a score,
    coverage and the exit code need, so a run's results can stream to the store."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[Status, Severity]] = Counter()

    def add(self, result: Result) -> Result:
        self._counts[(result.status, result.severity)] += 1
        return result

    def add_count(self, status: Status, severity: Severity, n: int) -> None:
        self._counts[(status, severity)] += n

    def merge(self, other: Tally) -> None:
        self._counts.update(other._counts)

    def statuses(self) -> dict[Status, int]:
        return {s: self.count(s) for s in Status}

    def count(self, status: Status) -> int:
        return sum(n for (s, _), n in self._counts.items() if s is status)

    def failures_at_or_above(self, threshold: Severity) -> int:
        """Count the FAIL results at or above the threshold. WAIVED results never count."""
        return sum(
            n for (s, severity), n in self._counts.items() if s is Status.FAIL and severity.rank >= threshold.rank
        )

    def score(self) -> Score:
        counts: Counter[Status] = Counter()
        earned = possible = 0
        for (status, severity), n in self._counts.items():
            counts[status] += n
            if status in (Status.PASS, Status.WAIVED):
                earned += severity.weight * n
                possible += severity.weight * n
            elif status is Status.FAIL:
                possible += severity.weight * n
        applicable = sum(n for s, n in counts.items() if s is not Status.NOT_APPLICABLE)
        value = round(100.0 * earned / possible, 1) if possible else None
        coverage = round(100.0 * (applicable - counts[Status.ERROR]) / applicable, 1) if applicable else None
        return Score(value, coverage, {s: counts[s] for s in Status})


def score_by(results: Iterable[Result], key: Callable[[Result], K]) -> dict[K, Score]:
    groups: dict[K, list[Result]] = {}
    for result in results:
        groups.setdefault(key(result), []).append(result)
    return {k: score(v) for k, v in sorted(groups.items(), key=lambda item: str(item[0]))}


def failures_at_or_above(results: Iterable[Result], threshold: Severity) -> list[Result]:
    """FAIL results whose severity reaches the threshold; WAIVED never counts."""
    return [r for r in results if r.status is Status.FAIL and r.severity.rank >= threshold.rank]
