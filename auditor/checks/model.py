"""Typed check metadata, verdicts and results."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - a status name, not a password
    FAIL = "FAIL"
    ERROR = "ERROR"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    WAIVED = "WAIVED"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def weight(self) -> int:
        return _WEIGHTS[self]

    @property
    def rank(self) -> int:
        """Order from low (1) to critical (4), for thresholds such as ``fail_on``."""
        return _RANKS[self]


_WEIGHTS = {Severity.CRITICAL: 10, Severity.HIGH: 5, Severity.MEDIUM: 3, Severity.LOW: 1}
_RANKS = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class Area(StrEnum):
    PERM = "PERM"
    PTC = "PTC"
    REPL = "REPL"
    TMPL = "TMPL"
    SCAN = "SCAN"
    VULN = "VULN"
    REPO = "REPO"
    SIGN = "SIGN"

    @property
    def label(self) -> str:
        """The area's name as reports show it."""
        return _AREA_TITLES[self]


_AREA_TITLES = {
    Area.PERM: "Registry permissions",
    Area.PTC: "Pull through cache",
    Area.REPL: "Replication",
    Area.TMPL: "Repository creation templates",
    Area.SCAN: "Scanning",
    Area.VULN: "Vulnerabilities",
    Area.REPO: "Repositories",
    Area.SIGN: "Signing",
}


class ResourceType(StrEnum):
    REGISTRY = "registry"
    REPOSITORY = "repository"
    PULL_THROUGH_CACHE_RULE = "pull-through-cache-rule"
    CREATION_TEMPLATE = "creation-template"
    REPLICATION_RULE = "replication-rule"
    # One destination (account and region) of a registry's replication configuration,
    # named "<destination account>/<destination region>" under the source registry.
    REPLICATION_DESTINATION = "replication-destination"
    IMAGE = "image"


class Framework(StrEnum):
    AWS_FSBP = "AWS Foundational Security Best Practices"
    NIST_800_53 = "NIST SP 800-53 Rev. 5"
    PCI_DSS = "PCI DSS v4.0.1"
    ISO_27001 = "ISO/IEC 27001:2022 Annex A"
    SOC2 = "SOC 2 (2017 Trust Services Criteria)"
    CIS_EKS = "CIS Amazon EKS Benchmark"


@dataclass(frozen=True)
class Control:
    """A framework control that a check supports, with how the check compares to it."""

    framework: Framework
    control_id: str
    note: str = ""


@dataclass(frozen=True)
class Remediation:
    console: str
    cli: str


@dataclass(frozen=True)
class CheckMeta:
    id: str
    title: str
    area: Area
    severity: Severity
    resource_type: ResourceType
    rationale: str
    remediation: Remediation
    controls: tuple[Control, ...]
    permissions: tuple[str, ...]
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """A resource named as ``account/region/kind/name``; names alone repeat across registries."""

    account: str
    region: str
    kind: ResourceType
    name: str

    def __str__(self) -> str:
        return f"{self.account}/{self.region}/{self.kind.value}/{self.name}"


@dataclass(frozen=True)
class Verdict:
    """What a check function decides about one resource."""

    status: Status
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


def passed(reason: str, **evidence: Any) -> Verdict:
    return Verdict(Status.PASS, reason, evidence)


def failed(reason: str, **evidence: Any) -> Verdict:
    return Verdict(Status.FAIL, reason, evidence)


def not_applicable(reason: str, **evidence: Any) -> Verdict:
    return Verdict(Status.NOT_APPLICABLE, reason, evidence)


def errored(reason: str, **evidence: Any) -> Verdict:
    return Verdict(Status.ERROR, reason, evidence)


def result_id(check_id: str, resource: ResourceRef | str) -> str:
    """Return the stable id of a result: the same check on the same resource in every run."""
    digest = hashlib.sha256(f"{check_id}|{resource}".encode()).hexdigest()
    return digest[:20]


@dataclass(frozen=True, slots=True)
class Result:
    check_id: str
    area: Area
    severity: Severity
    resource: ResourceRef
    status: Status
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return result_id(self.check_id, self.resource)
