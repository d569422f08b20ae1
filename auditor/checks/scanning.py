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
    failed,
    passed,
)
from auditor.inventory import Kind, Registry, Repository


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
                "'[{\"scanFrequency\":\"CONTINUOUS_SCAN\",\"repositoryFilters\":"
                "[{\"filter\":\"*\",\"filterType\":\"WILDCARD\"}]}]'"
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
                "'[{\"scanFrequency\":\"CONTINUOUS_SCAN\",\"repositoryFilters\":"
                "[{\"filter\":\"*\",\"filterType\":\"WILDCARD\"}]}]'"
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


CHECKS = (scan_01, scan_02)
