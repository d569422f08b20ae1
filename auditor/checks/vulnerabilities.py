"""Vulnerability checks (VULN): findings on the latest image and SLA breaches on images in use."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from auditor.checks.engine import Context, repository_check
from auditor.checks.frameworks import iso, nist, pci, soc2
from auditor.checks.model import (
    Area,
    CheckMeta,
    Remediation,
    ResourceType,
    Severity,
    Status,
    Verdict,
    errored,
    failed,
    not_applicable,
    passed,
)
from auditor.checks.scanning import judge_scan, registry_is_enhanced
from auditor.inventory import FindingKey, Kind, Repository, is_archived, is_scannable_image
from auditor.vulnerabilities import (
    Finding,
    findings_from_inspector,
    findings_from_scan,
    image_in_use,
    merge,
)

# Evidence lists at most this many findings per result; counts cover all of them.
_LISTED = 25


def image_findings(repository: Repository, digest: str) -> tuple[list[Finding], Verdict]:
    """Return the merged findings of one image and the verdict on its scan.

    Inspector's own findings are used where they were collected; a failure to read
    them falls back to ECR's relay of the same findings in DescribeImageScanFindings.
    """
    registry = repository.registry
    scan = repository.scan_findings_of(digest)
    verdict = judge_scan(scan, registry_is_enhanced(registry))
    if verdict.status is not Status.PASS:
        return [], verdict
    from_scan = findings_from_scan(scan.payload)
    inspector = registry.get(Kind.INSPECTOR_FINDINGS, f"{repository.name}@{digest}")
    from_inspector = findings_from_inspector(inspector.payload.get("findings", [])) if inspector.present else []
    return merge(from_scan, from_inspector), verdict


def describe_finding(finding: Finding, age_days: int | None = None) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": finding.finding_id,
        "severity": finding.severity,
        "status": finding.status,
        "package": finding.package_name,
        "version": finding.package_version,
        "fixedIn": finding.fixed_in,
        "fixAvailable": finding.fix_available,
        "exploitAvailable": finding.exploit_available,
    }
    if age_days is not None:
        shown["ageDays"] = age_days
    return shown


@repository_check(
    CheckMeta(
        id="VULN-01",
        title="Latest image has no findings at or above the severity threshold",
        area=Area.VULN,
        severity=Severity.HIGH,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "The latest image is the one the next deployment pulls; known critical or high "
            "vulnerabilities in it ship to production unless they are fixed first."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Repositories > select the repository > latest image > Vulnerabilities: "
                "upgrade the listed packages (or the base image), rebuild and push."
            ),
            cli=(
                "aws ecr describe-image-scan-findings --repository-name NAME --image-id imageDigest=DIGEST "
                "--query 'imageScanFindings.findingSeverityCounts'"
            ),
        ),
        controls=(nist("RA-5"), nist("SI-2"), pci("6.3.3"), pci("11.3.1"), iso("8.8"), soc2("CC7.1")),
        permissions=("ecr:DescribeImages", "ecr:DescribeImageScanFindings", "inspector2:ListFindings"),
        references=("https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html",),
    )
)
def vuln_01(repository: Repository, context: Context) -> Verdict:
    latest = repository.latest_image()
    if latest is None:
        return not_applicable("repository has no scannable image")
    digest = str(latest["imageDigest"])
    findings, scan = image_findings(repository, digest)
    if scan.status is not Status.PASS:
        return errored(f"findings cannot be judged: {scan.reason}", imageDigest=digest, **scan.evidence)
    threshold = str(context.settings.max_severity)
    counted = [f for f in findings if f.active and f.at_or_above(threshold)]
    suppressed = [f for f in findings if f.status == "SUPPRESSED"]
    unranked = [f for f in findings if f.active and not f.ranked]
    evidence: dict[str, Any] = {
        "imageDigest": digest,
        "imageTags": latest.get("imageTags") or [],
        "threshold": threshold,
        "counted": len(counted),
        "findings": [describe_finding(f) for f in counted[:_LISTED]],
        "suppressed": [describe_finding(f) for f in suppressed[:_LISTED]],
        "unranked": [describe_finding(f) for f in unranked[:_LISTED]],
    }
    if counted:
        ids = ", ".join(dict.fromkeys(f"{f.finding_id} ({f.package_name})" for f in counted[:5]))
        more = f" and {len(counted) - 5} more" if len(counted) > 5 else ""
        return failed(f"{len(counted)} active finding(s) at or above {threshold}: {ids}{more}", **evidence)
    return passed(f"no active finding at or above {threshold}", **evidence)


def images_in_use(repository: Repository, now: datetime, in_use_days: int) -> list[Mapping[str, Any]]:
    """Return the latest image and every image pushed or pulled within ``in_use_days``, or that
    Amazon Inspector reports in use within that window."""
    answer = repository.get(Kind.IMAGES).value() or {}
    details = [d for d in answer.get("imageDetails", []) if is_scannable_image(d) and not is_archived(d)]
    latest = repository.latest_image()
    chosen = {str(latest["imageDigest"]): latest} if latest else {}
    for image in details:
        if image_in_use(image, now, in_use_days) or _inspector_in_use(repository, image, now, in_use_days):
            chosen.setdefault(str(image["imageDigest"]), image)
    return [chosen[d] for d in sorted(chosen)]


def _inspector_in_use(repository: Repository, image: Mapping[str, Any], now: datetime, days: int) -> bool:
    snapshot = repository.registry.get(Kind.INSPECTOR_FINDINGS, f"{repository.name}@{image.get('imageDigest')}")
    if not snapshot.present:
        return False
    stamps = [f.in_use_at for f in findings_from_inspector(snapshot.payload.get("findings", [])) if f.in_use_at]
    return any((now - stamp).days <= days for stamp in stamps)


def finding_age(
    repository: Repository, digest: str, finding: Finding, now: datetime, first_seen: Mapping[FindingKey, datetime]
) -> int:
    """Days a finding has been open: from firstObservedAt where AWS gives it, else from
    the first run that saw it (this run when no earlier run did)."""
    started = finding.first_observed_at
    if started is None:
        registry = repository.registry
        key: FindingKey = (registry.account, registry.region, repository.name, digest, *finding.key)
        started = first_seen.get(key, now)
    return max(0, (now - started).days)


@repository_check(
    CheckMeta(
        id="VULN-02",
        title="No finding on an image in use is open beyond its SLA",
        area=Area.VULN,
        severity=Severity.HIGH,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "Remediation deadlines by severity are how vulnerability management is measured; a finding "
            "older than its deadline on an image that still runs is an open exposure."
        ),
        remediation=Remediation(
            console=(
                "Rebuild the image with the fixed package versions and redeploy, or remove the image from "
                "use; record a waiver with an expiry when a fix is not available."
            ),
            cli=(
                "aws inspector2 list-findings --filter-criteria "
                '\'{"ecrImageRepositoryName":[{"comparison":"EQUALS","value":"NAME"}]}\''
            ),
        ),
        controls=(nist("SI-2"), nist("RA-5"), pci("6.3.3"), iso("8.8"), soc2("CC7.1")),
        permissions=("ecr:DescribeImages", "ecr:DescribeImageScanFindings", "inspector2:ListFindings"),
        references=("https://docs.aws.amazon.com/inspector/latest/user/findings-understanding.html",),
    )
)
def vuln_02(repository: Repository, context: Context) -> Verdict:
    settings = context.settings
    now = context.inventory.evaluated_at
    if repository.latest_image() is None:
        return not_applicable("repository has no scannable image")
    images = images_in_use(repository, now, settings.in_use_days)
    sla: dict[str, int] = dict(settings.sla_days)
    breaches: list[dict[str, Any]] = []
    unjudged: list[str] = []
    for image in images:
        digest = str(image["imageDigest"])
        findings, scan = image_findings(repository, digest)
        if scan.status is not Status.PASS:
            unjudged.append(f"{digest}: {scan.reason}")
            continue
        for finding in findings:
            limit = sla.get(finding.severity)
            if not finding.active or limit is None:
                continue
            age = finding_age(repository, digest, finding, now, context.inventory.first_seen)
            if age > limit:
                breaches.append(
                    {
                        **describe_finding(finding, age),
                        "slaDays": limit,
                        "imageDigest": digest,
                        "imageTags": image.get("imageTags") or [],
                    }
                )
    evidence: dict[str, Any] = {
        "imagesInUse": len(images),
        "breaches": breaches[:_LISTED],
        "breachCount": len(breaches),
    }
    if breaches:
        oldest = max(breaches, key=lambda b: b["ageDays"])
        return failed(
            f"{len(breaches)} finding(s) past their SLA on images in use; oldest {oldest['id']} "
            f"({oldest['package']}, {oldest['severity']}) open {oldest['ageDays']} days against {oldest['slaDays']}",
            **evidence,
        )
    if unjudged:
        return errored(
            f"{len(unjudged)} image(s) in use have no usable scan: {unjudged[0]}", unjudged=unjudged, **evidence
        )
    return passed(f"no finding past its SLA on {len(images)} image(s) in use", **evidence)


CHECKS = (vuln_01, vuln_02)
