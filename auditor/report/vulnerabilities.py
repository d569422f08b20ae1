"""The vulnerability section of a report: open critical and high findings per repository,
SLA breaches with their age, and open findings per severity across runs."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
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

    @property
    def empty(self) -> bool:
        return not (self.repositories or self.breaches or self.images)


def _distinct_open(records: Sequence[FindingRecord]) -> dict[tuple[str, str, str], list[FindingRecord]]:
    """Group active findings by repository, one per (finding, package) across its images."""
    by_repository: dict[tuple[str, str, str], dict[tuple[str, str], FindingRecord]] = defaultdict(dict)
    for record in records:
        if record.status != "ACTIVE":
            continue
        key = (record.account, record.region, record.repository)
        by_repository[key].setdefault((record.finding_id, record.package_name), record)
    return {k: list(v.values()) for k, v in by_repository.items()}


def severity_counts(records: Sequence[FindingRecord]) -> dict[str, int]:
    counter: Counter[str] = Counter()
    for findings in _distinct_open(records).values():
        counter.update(f.severity for f in findings)
    return {severity: counter.get(severity, 0) for severity in SHOWN_SEVERITIES}


def build_vulnerability_report(
    store: Store, run: RunInfo, results: Sequence[Result], history: Sequence[RunInfo]
) -> VulnerabilityReport:
    """Build the section from the run's stored findings, its VULN-02 results and earlier runs."""
    records = store.load_findings(run.id)
    repositories = []
    for (account, region, name), findings in _distinct_open(records).items():
        severe = [f for f in findings if f.severity in ("CRITICAL", "HIGH")]
        if not severe:
            continue
        severe.sort(key=lambda f: (-SEVERITY_RANK.get(f.severity, -1), f.finding_id, f.package_name))
        repositories.append(
            RepositoryFindings(
                resource=f"{account}/{region}/repository/{name}",
                critical=sum(1 for f in severe if f.severity == "CRITICAL"),
                high=sum(1 for f in severe if f.severity == "HIGH"),
                findings=severe[:LISTED_PER_REPOSITORY],
            )
        )
    repositories.sort(key=lambda r: (-r.critical, -r.high, r.resource))
    breaches = []
    for result in results:
        if result.check_id != "VULN-02" or result.status not in (Status.FAIL, Status.WAIVED):
            continue
        for breach in result.evidence.get("breaches", []):
            breaches.append({**breach, "resource": str(result.resource), "status": result.status.value})
    breaches.sort(key=lambda b: (-int(b.get("ageDays", 0)), str(b.get("id"))))
    trend = [
        SeverityPoint(info.id, f"run {info.id}", severity_counts(store.load_findings(info.id)))
        for info in history
        if info.id <= run.id
    ]
    images = len({(r.account, r.region, r.repository, r.image_digest) for r in records})
    return VulnerabilityReport(repositories, breaches, trend, images)
