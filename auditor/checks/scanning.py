"""Scanning checks (SCAN): registry scan type and each repository's automatic scanning."""

from __future__ import annotations

from typing import Any

from auditor.checks.engine import Context, registry_check, repository_check
from auditor.checks.filters import CONTINUOUS, ON_PUSH, effective_scanning
from auditor.checks.frameworks import VULNERABILITY_SCANNING, fsbp, nist
from auditor.checks.model import (
    Area,
    CheckMeta,
    Remediation,
    ResourceType,
    Severity,
    Verdict,
    errored,
    failed,
    not_applicable,
    passed,
)
from auditor.inventory import Kind, Registry, Repository, Snapshot
from auditor.vulnerabilities import USABLE_SCAN_STATUSES


def scanning_configuration(registry: Registry) -> dict[str, Any]:
    """Return the registry's scanningConfiguration; raises InputUnavailable when unread."""
    answer = registry.get(Kind.REGISTRY_SCANNING_CONFIGURATION).value() or {}
    configuration: dict[str, Any] = answer.get("scanningConfiguration") or {}
    return configuration


@registry_check(
    CheckMeta(
        id="SCAN-01",
        title="Registry uses the required scan type",
        area=Area.SCAN,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REGISTRY,
        rationale=(
            "Enhanced scanning (Amazon Inspector) scans operating system and language packages "
            "continuously as new vulnerabilities are published; basic scanning covers less."
        ),
        remediation=Remediation(
            console="Amazon ECR > Private registry > Settings > Scanning configuration > Enhanced scanning > Save.",
            cli=(
                "aws ecr put-registry-scanning-configuration --scan-type ENHANCED --rules "
                '\'[{"scanFrequency":"CONTINUOUS_SCAN","repositoryFilters":'
                '[{"filter":"*","filterType":"WILDCARD"}]}]\''
            ),
        ),
        controls=(nist("RA-5"), *VULNERABILITY_SCANNING[1:4]),
        permissions=("ecr:GetRegistryScanningConfiguration",),
        references=("https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html",),
    )
)
def scan_01(registry: Registry, context: Context) -> Verdict:
    # NOTE: regions where Amazon Inspector does not offer ECR scanning are not yet
    # recognised; such a registry FAILs here instead of being NOT_APPLICABLE.
    configuration = scanning_configuration(registry)
    required = context.settings.required_scan_type
    scan_type = str(configuration.get("scanType", "BASIC")).upper()
    if scan_type != required:
        return failed(f"scan type is {scan_type}, expected {required}", scanType=scan_type, required=required)
    return passed(f"scan type is {scan_type}", scanType=scan_type)


@repository_check(
    CheckMeta(
        id="SCAN-02",
        title="Repository is scanned automatically",
        area=Area.SCAN,
        severity=Severity.HIGH,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "An image that is never scanned can carry known vulnerabilities into production "
            "unnoticed; manual scanning depends on someone remembering."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Settings > Scanning configuration > add a "
                "continuous or scan-on-push rule whose filter matches the repository."
            ),
            cli=(
                "aws ecr put-registry-scanning-configuration --scan-type ENHANCED --rules "
                '\'[{"scanFrequency":"CONTINUOUS_SCAN","repositoryFilters":'
                '[{"filter":"*","filterType":"WILDCARD"}]}]\''
            ),
        ),
        controls=(
            fsbp("ECR.1", "ECR.1 reads the repository scanOnPush flag; this check follows the registry rules"),
            *VULNERABILITY_SCANNING,
        ),
        permissions=(
            "ecr:GetRegistryScanningConfiguration",
            "ecr:BatchGetRepositoryScanningConfiguration",
        ),
        references=("https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-filters.html",),
    )
)
def scan_02(repository: Repository, context: Context) -> Verdict:
    configuration = scanning_configuration(repository.registry)
    legacy = bool((repository.payload.get("imageScanningConfiguration") or {}).get("scanOnPush"))
    effective = effective_scanning(configuration, repository.name, legacy_scan_on_push=legacy)
    reported = repository.get(Kind.REPOSITORY_SCANNING)
    evidence: dict[str, Any] = {
        "scanType": effective.scan_type,
        "frequency": effective.frequency,
        "matchedFilters": list(effective.matched_filters),
        "source": effective.source,
    }
    if reported.present:
        evidence["reportedFrequency"] = reported.payload.get("scanFrequency")
    if effective.frequency in (CONTINUOUS, ON_PUSH):
        return passed(f"{effective.scan_type} scanning, {effective.frequency} via {effective.source}", **evidence)
    if effective.frequency is None:
        return failed(f"no {effective.scan_type} scanning rule matches the repository: it is not scanned", **evidence)
    return failed(f"{effective.scan_type} scanning is {effective.frequency} for this repository", **evidence)


def matches_prefix(name: str, prefixes: list[str]) -> str | None:
    """Return the first configured prefix the repository name starts with."""
    return next((p for p in prefixes if name.startswith(p)), None)


@repository_check(
    CheckMeta(
        id="SCAN-03",
        title="Production repository is scanned continuously",
        area=Area.SCAN,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "Scan on push judges an image once; vulnerabilities published later stay unseen on "
            "production images unless they are re-scanned continuously."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Settings > Scanning configuration > Enhanced scanning > "
                "add a Continuous scanning filter that matches the production repositories."
            ),
            cli=(
                "aws ecr put-registry-scanning-configuration --scan-type ENHANCED --rules "
                '\'[{"scanFrequency":"CONTINUOUS_SCAN","repositoryFilters":'
                '[{"filter":"prod*","filterType":"WILDCARD"}]}]\''
            ),
        ),
        controls=(nist("RA-5"), nist("SI-2"), *VULNERABILITY_SCANNING[1:3]),
        permissions=("ecr:GetRegistryScanningConfiguration",),
        references=("https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced.html",),
    )
)
def scan_03(repository: Repository, context: Context) -> Verdict:
    prefixes = list(context.settings.production_repository_prefixes)
    if not prefixes:
        return not_applicable("production_repository_prefixes is empty")
    prefix = matches_prefix(repository.name, prefixes)
    if prefix is None:
        return not_applicable("not a production repository", prefixes=prefixes)
    configuration = scanning_configuration(repository.registry)
    effective = effective_scanning(configuration, repository.name)
    evidence = {"prefix": prefix, "scanType": effective.scan_type, "frequency": effective.frequency}
    if effective.frequency == CONTINUOUS:
        return passed(f"continuously scanned (filters {', '.join(effective.matched_filters)})", **evidence)
    shown = effective.frequency or "not scanned"
    return failed(f"production repository is {shown} under {effective.scan_type}, not CONTINUOUS_SCAN", **evidence)


# Inspector's ECR re-scan durations, in days (Amazon Inspector API, EcrRescanDuration).
RESCAN_DAYS = {
    "DAYS_3": 3,
    "DAYS_7": 7,
    "DAYS_14": 14,
    "DAYS_30": 30,
    "DAYS_60": 60,
    "DAYS_90": 90,
    "DAYS_180": 180,
    "LIFETIME": 100_000,
}


@registry_check(
    CheckMeta(
        id="SCAN-04",
        title="Amazon Inspector scans ECR images for long enough",
        area=Area.SCAN,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REGISTRY,
        rationale=(
            "Enhanced scanning depends on Amazon Inspector: with Inspector's ECR scanning off nothing "
            "is scanned, and a short re-scan duration stops scanning images that are still in use."
        ),
        remediation=Remediation(
            console=(
                "Amazon Inspector > Account management > activate Amazon ECR scanning; Amazon Inspector > "
                "General settings > ECR scanning settings > set the re-scan duration to 180 days or Lifetime."
            ),
            cli="aws inspector2 update-configuration --ecr-configuration rescanDuration=DAYS_180",
        ),
        controls=(nist("RA-5"), *VULNERABILITY_SCANNING[1:4]),
        permissions=(
            "ecr:GetRegistryScanningConfiguration",
            "inspector2:BatchGetAccountStatus",
            "inspector2:GetConfiguration",
        ),
        references=("https://docs.aws.amazon.com/inspector/latest/user/scanning-ecr.html",),
    )
)
def scan_04(registry: Registry, context: Context) -> Verdict:
    scan_type = str(scanning_configuration(registry).get("scanType", "BASIC")).upper()
    if scan_type != "ENHANCED":
        return not_applicable(f"registry uses {scan_type} scanning; Amazon Inspector is not involved")
    status_answer = registry.get(Kind.INSPECTOR_ACCOUNT_STATUS, registry.account).value() or {}
    accounts = status_answer.get("accounts") or []
    ecr_state = ((accounts[0].get("resourceState") or {}).get("ecr") or {}) if accounts else {}
    ecr_status = str(ecr_state.get("status", "UNKNOWN")).upper()
    if ecr_status != "ENABLED":
        return failed(f"Amazon Inspector ECR scanning is {ecr_status} for the account", inspectorEcrStatus=ecr_status)
    configuration = registry.get(Kind.INSPECTOR_CONFIGURATION).value() or {}
    state = (configuration.get("ecrConfiguration") or {}).get("rescanDurationState") or {}
    push_based = state.get("rescanDuration")
    pull_based = state.get("pullDateRescanDuration")
    # An image stays scanned until the later of the push-date and the pull-date
    # durations runs out, so the longer of the two decides whether images in use
    # keep being scanned.
    days = max(RESCAN_DAYS.get(str(d), 0) for d in (push_based, pull_based))
    evidence = {"rescanDuration": push_based, "pullDateRescanDuration": pull_based, "days": days}
    minimum = context.settings.min_rescan_days
    if days == 0:
        return errored("Amazon Inspector's ECR re-scan duration could not be read", **evidence)
    if days < minimum:
        return failed(f"Inspector re-scans ECR images for {days} days, less than {minimum}", **evidence)
    shown = "a lifetime" if days >= RESCAN_DAYS["LIFETIME"] else f"{days} days"
    return passed(f"Inspector ECR scanning is enabled and re-scans for {shown}", **evidence)


# DescribeImageScanFindings statuses and what SCAN-05 makes of them.
PENDING_STATUSES = frozenset({"PENDING", "IN_PROGRESS"})
FAILED_STATUSES = frozenset({"FAILED", "SCAN_ELIGIBILITY_EXPIRED"})


def judge_scan(scan: Snapshot, enhanced: bool) -> Verdict:
    """Judge one image's DescribeImageScanFindings response; shared with the VULN checks."""
    answer = scan.value()
    if answer is None:
        return failed("the image has never been scanned (ScanNotFoundException)", status=None)
    status_block = answer.get("imageScanStatus") or {}
    status = str(status_block.get("status", "")).upper()
    evidence = {"status": status, "description": status_block.get("description")}
    if status in USABLE_SCAN_STATUSES:
        section = answer.get("imageScanFindings")
        if enhanced and status == "COMPLETE" and not _has_results(section):
            # Shortly after a push an ENHANCED registry returns COMPLETE with nothing in it.
            return errored(
                "scan results are pending: the ENHANCED registry reports COMPLETE but no results yet, "
                "as AWS does for a while after a push",
                pending=True,
                **evidence,
            )
        return passed(f"latest image scan is {status}", **evidence)
    if status in PENDING_STATUSES:
        return errored(f"scan is pending: {status}", pending=True, **evidence)
    if status in FAILED_STATUSES:
        return failed(f"latest image scan is {status}", **evidence)
    return errored(f"scan has no usable results: {status or 'no status'}", **evidence)


def _has_results(section: Any) -> bool:
    if not section:
        return False
    return any(key in section for key in ("enhancedFindings", "findingSeverityCounts", "imageScanCompletedAt"))


def registry_is_enhanced(registry: Registry) -> bool:
    return str(scanning_configuration(registry).get("scanType", "")).upper() == "ENHANCED"


@repository_check(
    CheckMeta(
        id="SCAN-05",
        title="Latest image has a usable scan",
        area=Area.SCAN,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "A scan that failed, expired or never ran says nothing about the image that would be "
            "deployed next; its absence must not read as a clean bill of health."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Repositories > select the repository > select the latest image > Scan, or "
                "make a registry scanning rule cover the repository; for SCAN_ELIGIBILITY_EXPIRED raise "
                "Inspector's re-scan duration."
            ),
            cli="aws ecr start-image-scan --repository-name NAME --image-id imageDigest=DIGEST",
        ),
        controls=(nist("RA-5"), *VULNERABILITY_SCANNING[1:4]),
        permissions=("ecr:DescribeImages", "ecr:DescribeImageScanFindings"),
        references=("https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageScanStatus.html",),
    )
)
def scan_05(repository: Repository, context: Context) -> Verdict:
    latest = repository.latest_image()
    if latest is None:
        return not_applicable("repository has no scannable image")
    digest = str(latest["imageDigest"])
    verdict = judge_scan(repository.scan_findings_of(digest), registry_is_enhanced(repository.registry))
    evidence = {**verdict.evidence, "imageDigest": digest, "imageTags": latest.get("imageTags") or []}
    return Verdict(verdict.status, verdict.reason, evidence)


CHECKS = (scan_01, scan_02, scan_03, scan_04, scan_05)
