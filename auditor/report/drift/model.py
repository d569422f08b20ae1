"""Types of the drift report: one row per setting that changed between two runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChangeKind(StrEnum):
    """Kind of setting change: NARROWED and WIDENED concern coverage, RELAXED and TIGHTENED strictness."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    NARROWED = "narrowed"
    WIDENED = "widened"
    RELAXED = "relaxed"
    TIGHTENED = "tightened"


class Feature(StrEnum):
    SCOPE = "Audit scope"
    REGISTRY_POLICY = "Registry policy"
    ACCOUNT_SETTING = "Account setting"
    REPLICATION = "Replication"
    SCANNING = "Scanning"
    SIGNING = "Signing"
    PULL_THROUGH_CACHE = "Pull through cache rule"
    CREATION_TEMPLATE = "Creation template"
    REPOSITORY = "Repository"


@dataclass(frozen=True)
class DriftChange:
    """One changed setting of one registry; ``before`` and ``after`` are short renderings."""

    account: str
    region: str
    feature: Feature
    subject: str
    kind: ChangeKind
    before: str = ""
    after: str = ""

    @property
    def summary(self) -> str:
        return f"{self.feature.value} {self.subject} {self.kind.value}"


@dataclass(frozen=True)
class NotCompared:
    """A setting that could not be compared because one of the runs could not read it."""

    account: str
    region: str
    feature: Feature
    reason: str


@dataclass(frozen=True)
class DriftReport:
    previous_run_id: int | None
    changes: list[DriftChange] = field(default_factory=list)
    not_compared: list[NotCompared] = field(default_factory=list)

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind is kind)

    def by_feature(self) -> dict[Feature, int]:
        counts: dict[Feature, int] = {}
        for change in self.changes:
            counts[change.feature] = counts.get(change.feature, 0) + 1
        return counts
