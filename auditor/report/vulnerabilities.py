"""The vulnerability section of a report: open critical and high findings per repository,
SLA breaches with their age, and open findings per severity across runs."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.checks.model import Result, Status
from auditor.store.db import FindingRecord, RunInfo, Store
from auditor.vulnerabilities import SEVERITY_RANK

SHOWN_SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
# Findings listed per repository; the counts cover all of them.
LISTED_PER_REPOSITORY = 10


@dataclass(frozen=True)
class RepositoryFindings:
    resource: str  # account/region/repository/name
    critical: int
    high: int
    findings: list[FindingRecord]


@dataclass(frozen=True)
class SeverityPoint:
    run_id: int
    label: str
    counts: dict[str, int]


@dataclass(frozen=True)
class VulnerabilityReport:
    repositories: list[RepositoryFindings] = field(default_factory=list)
    breaches: list[dict[str, Any]] = field(default_factory=list)
    trend: list[SeverityPoint] = field(default_factory=list)
    images: int = 0
    # Repositories with open critical or high findings; ``repositories`` lists the first.
    repository_count: int = 0
    # Number of SLA breaches in all, of which ``breaches`` lists the oldest.
    breach_count: int = 0

    @property
    def empty(self) -> bool:
        return not (self.repositories or self.breaches or self.images)


def build_vulnerability_report(
    store: Store,
    run: RunInfo,
    results: Iterable[Result],
    history: Sequence[RunInfo],
    limit: int | None = None,
) -> VulnerabilityReport:
    """Build the section from the run's stored findings, its VULN-02 results and earlier runs.

    Counts come from grouped queries. Findings are read only for the first ``limit``
    repositories the section lists, so a large estate's findings are never all in memory.
    """
    severe = store.open_finding_counts(run.id, by_repository=True)
    ranked = sorted(
        (
            (key, counts.get("CRITICAL", 0), counts.get("HIGH", 0))
            for key, counts in severe.items()
            if counts.get("CRITICAL", 0) or counts.get("HIGH", 0)
        ),
        key=lambda item: (-item[1], -item[2], "/".join(item[0])),
    )
    listed = ranked if limit is None else ranked[:limit]
    findings = store.open_findings_of(run.id, [key for key, _, _ in listed], ("CRITICAL", "HIGH"))
    repositories = []
    for (account, region, name), critical, high in listed:
        shown = sorted(
            findings.get((account, region, name), []),
            key=lambda f: (-SEVERITY_RANK.get(f.severity, -1), f.finding_id, f.package_name),
        )
        repositories.append(
            RepositoryFindings(
                resource=f"{account}/{region}/repository/{name}",
                critical=critical,
                high=high,
                findings=shown[:LISTED_PER_REPOSITORY],
            )
        )
    breaches, breach_count = _oldest_breaches(results, limit)
    trend = [
        SeverityPoint(info.id, f"run {info.id}", _shown(store.open_finding_counts(info.id)[("", "", "")]))
        for info in history
        if info.id <= run.id
    ]
    return VulnerabilityReport(
        repositories,
        breaches,
        trend,
        store.images_with_findings(run.id),
        repository_count=len(ranked),
        breach_count=breach_count,
    )


def _oldest_breaches(results: Iterable[Result], limit: int | None) -> tuple[list[dict[str, Any]], int]:
    """Return the first ``limit`` SLA breaches, oldest first, and how many there are in all.

    ``results`` may be a stream of every VULN-02 result of a large run: only the breaches
    kept so far are held, not the results.
    """
    count = 0

    def flattened() -> Iterator[dict[str, Any]]:
        nonlocal count
        for result in results:
            if result.check_id != "VULN-02" or result.status not in (Status.FAIL, Status.WAIVED):
                continue
            for breach in result.evidence.get("breaches", []):
                count += 1
                yield {**breach, "resource": str(result.resource), "status": result.status.value}

    def oldest_first(breach: dict[str, Any]) -> tuple[int, str]:
        return -int(breach.get("ageDays", 0)), str(breach.get("id"))

    if limit is None:
        return sorted(flattened(), key=oldest_first), count
    # nsmallest keeps ``limit`` items at a time and orders ties as a stable sort would.
    oldest = heapq.nsmallest(limit, flattened(), key=oldest_first)
    return oldest, count


def _shown(counts: dict[str, int]) -> dict[str, int]:
    return {severity: counts.get(severity, 0) for severity in SHOWN_SEVERITIES}
