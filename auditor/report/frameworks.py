"""The framework matrix: for each framework, its controls with the results of the checks mapped to them."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from auditor.checks.engine import CheckRegistry
from auditor.checks.model import CheckMeta, Framework, Result, Status
from auditor.checks.score import Score, Tally


@dataclass(frozen=True)
class MappedCheck:
    """One check under one control; ``note`` states where the check is stricter or looser than the control."""

    meta: CheckMeta
    note: str
    counts: dict[Status, int]


@dataclass(frozen=True)
class ControlRow:
    control_id: str
    checks: list[MappedCheck]

    def count(self, status: Status) -> int:
        return sum(c.counts.get(status, 0) for c in self.checks)

    @property
    def state(self) -> str:
        """``fail`` when any mapped result fails, ``error`` when one could not be evaluated,
        ``pass`` when some passed and none failed, else ``not assessed``."""
        if self.count(Status.FAIL):
            return "fail"
        if self.count(Status.ERROR):
            return "error"
        if self.count(Status.PASS) or self.count(Status.WAIVED):
            return "pass"
        return "not assessed"


@dataclass(frozen=True)
class FrameworkMatrix:
    framework: Framework
    controls: list[ControlRow]
    score: Score

    @property
    def failing_controls(self) -> int:
        return sum(1 for c in self.controls if c.state == "fail")


def natural_key(control_id: str) -> list[tuple[int, int | str]]:
    """Sort "AC-3" before "AC-12" and "6.3.1" before "11.3.1"."""
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", control_id) if part]


def framework_matrices(results: Iterable[Result], checks: CheckRegistry) -> list[FrameworkMatrix]:
    by_check: dict[str, Tally] = defaultdict(Tally)
    for result in results:
        by_check[result.check_id].add(result)
    return framework_matrices_from(by_check, checks)


def framework_matrices_from(by_check: Mapping[str, Tally], checks: CheckRegistry) -> list[FrameworkMatrix]:
    """Build the matrices from each check's counts of results by status and severity."""
    matrices = []
    for framework in Framework:
        controls: dict[str, list[MappedCheck]] = {}
        framework_tally = Tally()
        for check in checks:
            mapped = [c for c in check.meta.controls if c.framework is framework]
            if not mapped:
                continue
            found = by_check.get(check.id) or Tally()
            framework_tally.merge(found)
            for control in mapped:
                controls.setdefault(control.control_id, []).append(
                    MappedCheck(check.meta, control.note, found.statuses())
                )
        if controls:
            rows = [ControlRow(cid, controls[cid]) for cid in sorted(controls, key=natural_key)]
            matrices.append(FrameworkMatrix(framework, rows, framework_tally.score()))
    return matrices
