"""Image scan findings in one shape, whatever reported them.

Three sources report vulnerabilities for an ECR image: AWS-native basic scanning
(``imageScanFindings.findings`` of DescribeImageScanFindings), enhanced scanning
(``imageScanFindings.enhancedFindings``, Amazon Inspector findings relayed by ECR)
and Amazon Inspector's own ListFindings. Checks, the store and reports read them
through :func:`findings_from_scan` and :func:`findings_from_inspector`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# Severities ranked for thresholds. UNTRIAGED (Inspector) and UNDEFINED (basic
# scanning) have no rank: they are listed but never counted against a threshold.
SEVERITY_RANK = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
UNRANKED = frozenset({"UNTRIAGED", "UNDEFINED"})

# Scan statuses with usable results (DescribeImageScanFindings imageScanStatus.status).
USABLE_SCAN_STATUSES = frozenset({"COMPLETE", "ACTIVE"})


@dataclass(frozen=True)
class Finding:
    finding_id: str  # the vulnerability id, usually a CVE
    severity: str
    status: str  # ACTIVE, SUPPRESSED or CLOSED; basic scanning reports only active findings
    package_name: str
    package_version: str
    fixed_in: str | None
    fix_available: str | None  # YES, NO or PARTIAL where the source reports it
    exploit_available: str | None  # YES or NO where the source reports it
    first_observed_at: datetime | None
    source: str  # basic, enhanced or inspector
    description: str = ""
    in_use_at: datetime | None = None  # Inspector's lastInUseAt of the image, where given

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"

    @property
    def ranked(self) -> bool:
        return self.severity in SEVERITY_RANK

    def at_or_above(self, threshold: str) -> bool:
        return self.ranked and SEVERITY_RANK[self.severity] >= SEVERITY_RANK[threshold]

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity of a finding on one image across runs."""
        return (self.finding_id, self.package_name, self.package_version)


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _attributes(finding: Mapping[str, Any]) -> dict[str, str]:
    return {str(a.get("key")): str(a.get("value", "")) for a in finding.get("attributes") or []}


def _basic(finding: Mapping[str, Any]) -> Finding:
    attributes = _attributes(finding)
    return Finding(
        finding_id=str(finding.get("name", "")),
        severity=str(finding.get("severity", "UNDEFINED")).upper(),
        status="ACTIVE",
        package_name=attributes.get("package_name", ""),
        package_version=attributes.get("package_version", ""),
        fixed_in=None,
        fix_available=None,
        exploit_available=None,
        first_observed_at=None,
        source="basic",
        description=str(finding.get("description", "")),
    )


def _inspector_style(finding: Mapping[str, Any], source: str) -> list[Finding]:
    details = finding.get("packageVulnerabilityDetails") or {}
    packages = details.get("vulnerablePackages") or [{}]
    image: Mapping[str, Any] = {}
    for resource in finding.get("resources") or []:
        image = (resource.get("details") or {}).get("awsEcrContainerImage") or image
    found = []
    for package in packages:
        fixed = package.get("fixedInVersion")
        found.append(
            Finding(
                finding_id=str(details.get("vulnerabilityId") or finding.get("title", "")),
                severity=str(finding.get("severity", "UNTRIAGED")).upper(),
                status=str(finding.get("status", "ACTIVE")).upper(),
                package_name=str(package.get("name", "")),
                package_version=str(package.get("version", "")),
                fixed_in=None if fixed in (None, "NotAvailable") else str(fixed),
                fix_available=finding.get("fixAvailable"),
                exploit_available=finding.get("exploitAvailable"),
                first_observed_at=parse_time(finding.get("firstObservedAt")),
                source=source,
                description=str(finding.get("description", "")),
                in_use_at=parse_time(image.get("lastInUseAt")),
            )
        )
    return found


def findings_from_scan(payload: Mapping[str, Any] | None) -> list[Finding]:
    """Read the findings of one DescribeImageScanFindings response (every page merged)."""
    section = (payload or {}).get("imageScanFindings") or {}
    found = [_basic(f) for f in section.get("findings") or []]
    for finding in section.get("enhancedFindings") or []:
        found.extend(_inspector_style(finding, "enhanced"))
    return found


def findings_from_inspector(findings: Iterable[Mapping[str, Any]]) -> list[Finding]:
    found: list[Finding] = []
    for finding in findings:
        found.extend(_inspector_style(finding, "inspector"))
    return found


def merge(*groups: Iterable[Finding]) -> list[Finding]:
    """Merge findings of several sources for one image, keeping one per (id, package, version).

    Inspector's own response wins over ECR's relay of it, which wins over basic scanning,
    because it carries the most detail (status, first observed, fix and exploit).
    """
    chosen: dict[tuple[str, str, str], Finding] = {}
    order = {"inspector": 3, "enhanced": 2, "basic": 1}
    for group in groups:
        for finding in group:
            current = chosen.get(finding.key)
            if current is None or order[finding.source] > order[current.source]:
                chosen[finding.key] = finding
    return sorted(chosen.values(), key=lambda f: (-SEVERITY_RANK.get(f.severity, -1), f.finding_id, f.package_name))


def image_in_use(image: Mapping[str, Any], now: datetime, in_use_days: int) -> bool:
    """An image pushed or pulled within ``in_use_days`` is in use.

    ECR updates ``lastRecordedPullTime`` at most once a day, so the window should
    not be shorter than a day.
    """
    cutoff = now - timedelta(days=in_use_days)
    for field_name in ("imagePushedAt", "lastRecordedPullTime"):
        moment = parse_time(image.get(field_name))
        if moment is not None and moment >= cutoff:
            return True
    return False
