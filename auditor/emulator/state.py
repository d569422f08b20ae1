"""In-memory state of the ECR layer, kept per registry (account, region).

moto keeps repositories, their tags, mutability, encryption and legacy
``scanOnPush`` flag. The layer keeps everything that moto lacks or gets wrong for
ecr-auditor: registry-level settings, pull through cache rules, creation
templates, account settings, signing, repository and lifecycle policy text, and
all images with their scan and signing state.

The state also contains what other emulated services need: each account's opt-in
region statuses (Account Management API), Amazon Inspector's per-registry
settings and findings, and the fault plan.

The write methods here seed two kinds of facts. Some have no AWS write API:
images, scan results, signing status, a pull through cache rule that fails
validation. Others are states that AWS's write API rejects today but that a
registry can still contain: a ``V1`` policy scope set before V2 existed, policy
text that does not parse. Everything else is seeded over HTTP through boto3.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from auditor.emulator import moto_bridge, regions
from auditor.emulator.faults import FaultPlan

# Defaults that ECR reports for a registry whose settings were never changed.
DEFAULT_ACCOUNT_SETTINGS: dict[str, str] = {
    "REGISTRY_POLICY_SCOPE": "V2",
    "BASIC_SCAN_TYPE_VERSION": "AWS_NATIVE",
    "BLOB_MOUNTING": "DISABLED",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class PullThroughCacheRule:
    """A pull through cache rule, with the result ValidatePullThroughCacheRule reports."""

    ecr_repository_prefix: str
    upstream_registry_url: str
    upstream_registry: str
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime | None = None
    credential_arn: str | None = None
    custom_role_arn: str | None = None
    upstream_repository_prefix: str | None = None
    is_valid: bool = True
    validation_failure: str | None = None


@dataclass
class RepositoryCreationTemplate:
    """A repository creation template as DescribeRepositoryCreationTemplates returns it."""

    prefix: str
    applied_for: list[str]
    encryption_configuration: dict[str, str]
    image_tag_mutability: str
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
    description: str | None = None
    resource_tags: list[dict[str, str]] = field(default_factory=list)
    image_tag_mutability_exclusion_filters: list[dict[str, str]] | None = None
    repository_policy: str | None = None
    lifecycle_policy: str | None = None
    custom_role_arn: str | None = None


@dataclass
class ImageRecord:
    """One image (or other artifact such as a signature or SBOM) in a repository."""

    digest: str
    pushed_at: datetime
    size_in_bytes: int
    manifest_media_type: str
    tags: list[str] = field(default_factory=list)
    artifact_media_type: str | None = None
    last_recorded_pull_time: datetime | None = None
    # Digest of the image that a signature, attestation or SBOM refers to (OCI subject).
    subject_manifest_digest: str | None = None
    status: str = "ACTIVE"
    last_archived_at: datetime | None = None
    last_activated_at: datetime | None = None


@dataclass
class ScanRecord:
    """The DescribeImageScanFindings response for one image.

    ``findings`` contains basic-scan findings and ``enhanced_findings`` Amazon
    Inspector findings, both as JSON-ready dicts whose timestamps may be
    datetimes. ``severity_counts`` None means "count the findings" when the scan
    has a completion time. A COMPLETE record with no completion time, no counts and
    no findings is what an ENHANCED registry returns shortly after a push.
    """

    status: str
    description: str | None = None
    completed_at: datetime | None = None
    vulnerability_source_updated_at: datetime | None = None
    severity_counts: dict[str, int] | None = None
    findings: list[dict[str, Any]] | None = None
    enhanced_findings: list[dict[str, Any]] | None = None


@dataclass
class RepositoryExtras:
    """Layer record of one repository, kept beside moto's repository object."""

    policy_text: str | None = None
    lifecycle_policy_text: str | None = None
    lifecycle_last_evaluated_at: datetime | None = None
    images: list[ImageRecord] = field(default_factory=list)
    scans: dict[str, ScanRecord] = field(default_factory=dict)
    signing_statuses: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def find_image(self, digest: str | None, tag: str | None) -> ImageRecord | None:
        for image in self.images:
            if digest is not None and image.digest != digest:
                continue
            if tag is not None and tag not in image.tags:
                continue
            return image
        return None


# Inspector's resource types in BatchGetAccountStatus (ResourceState members) and
# the names Enable and Disable take for them (ResourceScanType).
INSPECTOR_RESOURCE_TYPES: dict[str, str] = {
    "EC2": "ec2",
    "ECR": "ecr",
    "LAMBDA": "lambda",
    "LAMBDA_CODE": "lambdaCode",
    "CODE_REPOSITORY": "codeRepository",
}


@dataclass
class InspectorState:
    """Amazon Inspector in one account and region: scan status per resource type, ECR settings, findings.

    The re-scan defaults are those the Inspector User Guide gives for new
    accounts ("Configuring the Amazon ECR re-scan duration"): 14 days after the
    push date and after the last-in-use date.
    """

    resource_status: dict[str, str] = field(
        default_factory=lambda: {key: "DISABLED" for key in INSPECTOR_RESOURCE_TYPES.values()}
    )
    rescan_duration: str = "DAYS_14"
    pull_date_rescan_duration: str = "DAYS_14"
    pull_date_rescan_mode: str = "LAST_IN_USE_AT"
    configuration_updated_at: datetime | None = None
    # Inspector Finding objects as ListFindings returns them; timestamps may be datetimes.
    findings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RegistryState:
    """Registry-level settings of one account in one region."""

    registry_policy: str | None = None
    replication_rules: list[dict[str, Any]] = field(default_factory=list)
    pull_through_cache_rules: dict[str, PullThroughCacheRule] = field(default_factory=dict)
    creation_templates: dict[str, RepositoryCreationTemplate] = field(default_factory=dict)
    account_settings: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ACCOUNT_SETTINGS))
    signing_configuration: dict[str, Any] | None = None
    scan_type: str = "BASIC"
    scanning_rules: list[dict[str, Any]] = field(default_factory=list)
    repositories: dict[str, RepositoryExtras] = field(default_factory=dict)
    inspector: InspectorState = field(default_factory=InspectorState)


class EmulatorState:
    """Layer state of every registry, guarded by one re-entrant lock.

    The HTTP server handles requests on several threads, and seeding code calls
    the write methods from the test's thread, so every access takes ``lock``.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._registries: dict[tuple[str, str], RegistryState] = {}
        # Opt-in status per (account, region), for regions whose status differs from the default.
        self._region_statuses: dict[tuple[str, str], str] = {}
        self._fault_plan = FaultPlan()

    def registry(self, account: str, region: str) -> RegistryState:
        """Return the state of a registry, creating the default state on first use."""
        with self.lock:
            key = (account, region)
            if key not in self._registries:
                self._registries[key] = RegistryState()
            return self._registries[key]

    def registry_keys(self) -> list[tuple[str, str]]:
        with self.lock:
            return list(self._registries)

    def repository_extras(self, account: str, region: str, name: str) -> RepositoryExtras:
        """Return the layer's record of a repository, creating an empty one on first use.

        The caller checks that moto has the repository; this method does not.
        """
        with self.lock:
            repositories = self.registry(account, region).repositories
            if name not in repositories:
                repositories[name] = RepositoryExtras()
            return repositories[name]

    def drop_repository(self, account: str, region: str, name: str) -> None:
        with self.lock:
            self.registry(account, region).repositories.pop(name, None)

    def clear(self) -> None:
        """Forget every registry, region status and fault."""
        with self.lock:
            self._registries.clear()
            self._region_statuses.clear()
            self._fault_plan = FaultPlan()

    # -- opt-in regions ---------------------------------------------------------

    def region_status(self, account: str, region: str) -> str:
        """Return the Account Management API's RegionOptStatus of `region` for `account`."""
        with self.lock:
            return self._region_statuses.get((account, region), regions.default_status(region))

    def region_usable(self, account: str, region: str) -> bool:
        """Return whether `account` can call services in `region` (always true outside the opt-in list)."""
        return self.region_status(account, region) in regions.USABLE_STATUSES

    def set_region_status(self, account: str, region: str, status: str) -> None:
        """Set the opt-in status of an opt-in region: ENABLED, ENABLING, DISABLING or DISABLED."""
        if not regions.is_opt_in_region(region):
            raise ValueError(
                f"{region!r} is not an opt-in region of the aws partition; "
                f"only these can be enabled or disabled: {', '.join(regions.opt_in_regions())}"
            )
        if status not in regions.OPT_IN_STATUSES:
            raise ValueError(f"status must be one of {sorted(regions.OPT_IN_STATUSES)}, not {status!r}")
        with self.lock:
            self._region_statuses[(account, region)] = status

    def enable_region(self, account: str, region: str) -> None:
        self.set_region_status(account, region, regions.ENABLED)

    def disable_region(self, account: str, region: str) -> None:
        self.set_region_status(account, region, regions.DISABLED)

    # -- faults -----------------------------------------------------------------

    @property
    def fault_plan(self) -> FaultPlan:
        with self.lock:
            return self._fault_plan

    def set_fault_plan(self, plan: FaultPlan | None) -> None:
        """Replace the fault plan; None removes every fault."""
        with self.lock:
            self._fault_plan = plan or FaultPlan()

    # Seeding writes. Each checks that the repository exists in moto, because an
    # image in a repository that DescribeRepositories does not list would be
    # invisible to every API and would only hide a mistake in the seed.

    def _existing_repository(self, account: str, region: str, name: str) -> RepositoryExtras:
        if moto_bridge.repository(account, region, name) is None:
            raise LookupError(
                f"repository {name!r} does not exist in {account}/{region}; "
                "create it with CreateRepository before seeding its contents"
            )
        return self.repository_extras(account, region, name)

    def add_image(self, account: str, region: str, repository: str, image: ImageRecord) -> None:
        """Add an image, moving any of its tags away from older images as a push would."""
        with self.lock:
            extras = self._existing_repository(account, region, repository)
            if extras.find_image(image.digest, None) is not None:
                raise ValueError(f"image {image.digest} already exists in {repository!r}")
            for other in extras.images:
                other.tags = [tag for tag in other.tags if tag not in image.tags]
            extras.images.append(image)

    def set_scan(self, account: str, region: str, repository: str, digest: str, scan: ScanRecord) -> None:
        with self.lock:
            extras = self._existing_repository(account, region, repository)
            if extras.find_image(digest, None) is None:
                raise LookupError(f"image {digest} does not exist in {repository!r}")
            extras.scans[digest] = scan

    def set_signing_statuses(
        self,
        account: str,
        region: str,
        repository: str,
        digest: str,
        statuses: list[dict[str, str]],
    ) -> None:
        """Record what DescribeImageSigningStatus returns for an image, one entry per profile."""
        with self.lock:
            extras = self._existing_repository(account, region, repository)
            if extras.find_image(digest, None) is None:
                raise LookupError(f"image {digest} does not exist in {repository!r}")
            extras.signing_statuses[digest] = [dict(status) for status in statuses]

    def set_repository_policy_text(self, account: str, region: str, repository: str, text: str | None) -> None:
        """Store repository policy text as is, including text that SetRepositoryPolicy rejects."""
        with self.lock:
            self._existing_repository(account, region, repository).policy_text = text

    def set_lifecycle_policy_text(self, account: str, region: str, repository: str, text: str | None) -> None:
        """Store lifecycle policy text as is, including text that PutLifecyclePolicy rejects."""
        with self.lock:
            self._existing_repository(account, region, repository).lifecycle_policy_text = text

    def set_registry_policy_text(self, account: str, region: str, text: str | None) -> None:
        with self.lock:
            self.registry(account, region).registry_policy = text

    def set_account_setting(self, account: str, region: str, name: str, value: str) -> None:
        """Set an account setting without PutAccountSetting's checks.

        This is how a registry gets ``REGISTRY_POLICY_SCOPE=V1``: AWS no longer
        accepts V1 through PutAccountSetting, but registries created before V2
        still report it.
        """
        with self.lock:
            self.registry(account, region).account_settings[name] = value

    def put_pull_through_cache_rule(self, account: str, region: str, rule: PullThroughCacheRule) -> None:
        """Store a rule without CreatePullThroughCacheRule's checks (for broken rules)."""
        with self.lock:
            self.registry(account, region).pull_through_cache_rules[rule.ecr_repository_prefix] = rule

    def set_pull_through_cache_rule_validity(
        self,
        account: str,
        region: str,
        prefix: str,
        is_valid: bool,
        failure: str | None = None,
    ) -> None:
        """Choose what ValidatePullThroughCacheRule reports for an existing rule."""
        with self.lock:
            rules = self.registry(account, region).pull_through_cache_rules
            if prefix not in rules:
                raise LookupError(f"no pull through cache rule with prefix {prefix!r}")
            rules[prefix].is_valid = is_valid
            rules[prefix].validation_failure = failure

    # -- Amazon Inspector ---------------------------------------------------------

    def set_inspector_status(self, account: str, region: str, resource_type: str, status: str) -> None:
        """Set Inspector's scan status for one resource type (a key of ``INSPECTOR_RESOURCE_TYPES``).

        Use this for statuses that Enable and Disable do not produce at once, such
        as ENABLING or SUSPENDED.
        """
        if resource_type not in INSPECTOR_RESOURCE_TYPES:
            raise ValueError(f"resource_type must be one of {sorted(INSPECTOR_RESOURCE_TYPES)}, not {resource_type!r}")
        with self.lock:
            self.registry(account, region).inspector.resource_status[INSPECTOR_RESOURCE_TYPES[resource_type]] = status

    def add_inspector_findings(self, account: str, region: str, findings: list[dict[str, Any]]) -> None:
        """Add Inspector findings (as ``findings.inspector_finding`` builds them) to a registry.

        Inspector has no API that writes findings, so seeding goes through the state.
        """
        with self.lock:
            self.registry(account, region).inspector.findings.extend(dict(finding) for finding in findings)
