"""Seeding helpers for tests and the demo.

Anything that AWS lets a caller write goes over HTTP through boto3, so seeding
uses the same wire path as the auditor. Facts that no AWS API writes (images,
scan results, signing status) and states that today's API rejects but a
registry can still hold go through ``EmulatorState``.

Accounts: a request signed with an access key that moto never issued belongs to
moto's default account, 123456789012 (``DEFAULT_ACCOUNT``). Every other account
is reached with STS AssumeRole on ``arn:aws:iam::<account>:role/<role_name>``.
moto 5.2.5 lets a caller assume a role that was never created, and attributes
the returned keys to the role's account.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

from auditor.emulator import moto_bridge
from auditor.emulator.findings import AffectedPackage, ImageContext, inspector_finding
from auditor.emulator.server import EmulatorServer
from auditor.emulator.state import (
    EmulatorState,
    ImageRecord,
    PullThroughCacheRule,
    ScanRecord,
    utc_now,
)

logger = logging.getLogger(__name__)

DEFAULT_ACCOUNT = moto_bridge.DEFAULT_ACCOUNT_ID
# moto accepts any secret for keys it did not issue; these are not credentials.
DUMMY_ACCESS_KEY_ID = "testing"
DUMMY_SECRET_ACCESS_KEY = "testing"  # noqa: S105 - placeholder that moto ignores
DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"

DOCKER_MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
COSIGN_SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json"
NOTATION_SIGNATURE = "application/vnd.cncf.notary.signature"

# Seeding talks to a local server: a failure is a bug in the seed, so fail at once.
_CLIENT_CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def policy_text(policy: str | Mapping[str, Any]) -> str:
    """Return policy text: a string as given, a mapping as JSON."""
    return policy if isinstance(policy, str) else json.dumps(policy)


class EstateSeeder:
    """Write an emulated estate through boto3 (wire path) and the layer state.

    Clients and assumed-role credentials are cached, and dropped when the
    server's ``reset()`` makes moto forget the credentials it issued.
    """

    def __init__(self, server: EmulatorServer, *, role_name: str = DEFAULT_ROLE_NAME) -> None:
        self.server = server
        self.role_name = role_name
        self._generation = server.generation
        self._credentials: dict[str, dict[str, str]] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._digest_counter = 0

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    @property
    def state(self) -> EmulatorState:
        return self.server.state

    # -- credentials and clients ------------------------------------------------

    def _drop_caches_after_reset(self) -> None:
        if self.server.generation != self._generation:
            self._credentials.clear()
            self._clients.clear()
            self._generation = self.server.generation

    def credentials(self, account: str = DEFAULT_ACCOUNT) -> dict[str, str]:
        """Return boto3 credential keyword arguments that act as `account`."""
        self._drop_caches_after_reset()
        if account == DEFAULT_ACCOUNT:
            return {
                "aws_access_key_id": DUMMY_ACCESS_KEY_ID,
                "aws_secret_access_key": DUMMY_SECRET_ACCESS_KEY,
            }
        if account not in self._credentials:
            sts = self.client("sts", DEFAULT_ACCOUNT)
            issued = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/{self.role_name}",
                RoleSessionName="ecr-auditor-seed",
            )["Credentials"]
            self._credentials[account] = {
                "aws_access_key_id": issued["AccessKeyId"],
                "aws_secret_access_key": issued["SecretAccessKey"],
                "aws_session_token": issued["SessionToken"],
            }
        return dict(self._credentials[account])

    def session(self, account: str = DEFAULT_ACCOUNT, region: str = "us-east-1") -> boto3.Session:
        credentials = self.credentials(account)
        return boto3.Session(
            aws_access_key_id=credentials["aws_access_key_id"],
            aws_secret_access_key=credentials["aws_secret_access_key"],
            aws_session_token=credentials.get("aws_session_token"),
            region_name=region,
        )

    def client(self, service: str, account: str = DEFAULT_ACCOUNT, region: str = "us-east-1") -> Any:
        """Return a cached boto3 client for `service` acting as `account` in `region`."""
        self._drop_caches_after_reset()
        key = (service, account, region)
        if key not in self._clients:
            self._clients[key] = boto3.client(
                service,  # type: ignore[call-overload]
                region_name=region,
                endpoint_url=self.endpoint_url,
                config=_CLIENT_CONFIG,
                **self.credentials(account),
            )
        return self._clients[key]

    def ecr(self, account: str, region: str) -> Any:
        return self.client("ecr", account, region)

    # -- wire path: repositories -----------------------------------------------

    def create_repository(
        self,
        account: str,
        region: str,
        name: str,
        *,
        mutability: str = "MUTABLE",
        exclusion_filters: Sequence[str] | None = None,
        scan_on_push: bool = False,
        encryption_type: str = "AES256",
        kms_key: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create a repository with CreateRepository and return its description."""
        request: dict[str, Any] = {
            "repositoryName": name,
            "imageTagMutability": mutability,
            "imageScanningConfiguration": {"scanOnPush": scan_on_push},
            "encryptionConfiguration": {"encryptionType": encryption_type},
            "tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        }
        if kms_key is not None:
            request["encryptionConfiguration"]["kmsKey"] = kms_key
        if exclusion_filters is not None:
            request["imageTagMutabilityExclusionFilters"] = [
                {"filterType": "WILDCARD", "filter": pattern} for pattern in exclusion_filters
            ]
        repository: dict[str, Any] = self.ecr(account, region).create_repository(**request)["repository"]
        return repository

    def set_repository_policy(
        self, account: str, region: str, repository: str, policy: str | Mapping[str, Any]
    ) -> None:
        self.ecr(account, region).set_repository_policy(repositoryName=repository, policyText=policy_text(policy))

    def put_lifecycle_policy(self, account: str, region: str, repository: str, policy: str | Mapping[str, Any]) -> None:
        self.ecr(account, region).put_lifecycle_policy(
            repositoryName=repository, lifecyclePolicyText=policy_text(policy)
        )

    # -- wire path: registry settings ----------------------------------------

    def put_registry_policy(self, account: str, region: str, policy: str | Mapping[str, Any]) -> None:
        self.ecr(account, region).put_registry_policy(policyText=policy_text(policy))

    def put_replication(self, account: str, region: str, rules: Sequence[Mapping[str, Any]]) -> None:
        """Put replication rules, each ``{"destinations": [...], "repositoryFilters": [...]}``."""
        self.ecr(account, region).put_replication_configuration(
            replicationConfiguration={"rules": [dict(rule) for rule in rules]}
        )

    def create_pull_through_cache_rule(
        self,
        account: str,
        region: str,
        prefix: str,
        upstream_url: str,
        *,
        upstream_registry: str | None = None,
        credential_arn: str | None = None,
        custom_role_arn: str | None = None,
        upstream_prefix: str | None = None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"ecrRepositoryPrefix": prefix, "upstreamRegistryUrl": upstream_url}
        optional = {
            "upstreamRegistry": upstream_registry,
            "credentialArn": credential_arn,
            "customRoleArn": custom_role_arn,
            "upstreamRepositoryPrefix": upstream_prefix,
        }
        request.update({k: v for k, v in optional.items() if v is not None})
        issued: dict[str, Any] = self.ecr(account, region).create_pull_through_cache_rule(**request)
        return issued

    def create_creation_template(
        self,
        account: str,
        region: str,
        prefix: str,
        applied_for: Sequence[str],
        *,
        description: str | None = None,
        mutability: str = "MUTABLE",
        exclusion_filters: Sequence[str] | None = None,
        encryption_type: str = "AES256",
        kms_key: str | None = None,
        resource_tags: Mapping[str, str] | None = None,
        repository_policy: str | Mapping[str, Any] | None = None,
        lifecycle_policy: str | Mapping[str, Any] | None = None,
        custom_role_arn: str | None = None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "prefix": prefix,
            "appliedFor": list(applied_for),
            "imageTagMutability": mutability,
            "encryptionConfiguration": {"encryptionType": encryption_type},
            "resourceTags": [{"Key": k, "Value": v} for k, v in (resource_tags or {}).items()],
        }
        if kms_key is not None:
            request["encryptionConfiguration"]["kmsKey"] = kms_key
        if exclusion_filters is not None:
            request["imageTagMutabilityExclusionFilters"] = [
                {"filterType": "WILDCARD", "filter": pattern} for pattern in exclusion_filters
            ]
        if description is not None:
            request["description"] = description
        if repository_policy is not None:
            request["repositoryPolicy"] = policy_text(repository_policy)
        if lifecycle_policy is not None:
            request["lifecyclePolicy"] = policy_text(lifecycle_policy)
        if custom_role_arn is not None:
            request["customRoleArn"] = custom_role_arn
        template: dict[str, Any] = self.ecr(account, region).create_repository_creation_template(**request)[
            "repositoryCreationTemplate"
        ]
        return template

    def put_scanning_configuration(
        self,
        account: str,
        region: str,
        scan_type: str,
        rules: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Put the registry scanning configuration; `rules` maps a frequency to its filters."""
        self.ecr(account, region).put_registry_scanning_configuration(
            scanType=scan_type,
            rules=[
                {
                    "scanFrequency": frequency,
                    "repositoryFilters": [{"filter": pattern, "filterType": "WILDCARD"} for pattern in filters],
                }
                for frequency, filters in (rules or {}).items()
            ],
        )

    def put_signing_configuration(self, account: str, region: str, rules: Mapping[str, Sequence[str]]) -> None:
        """Put signing rules; `rules` maps a signing profile ARN to its repository filters."""
        self.ecr(account, region).put_signing_configuration(
            signingConfiguration={
                "rules": [
                    {
                        "signingProfileArn": profile,
                        "repositoryFilters": [
                            {"filter": pattern, "filterType": "WILDCARD_MATCH"} for pattern in filters
                        ],
                    }
                    if filters
                    else {"signingProfileArn": profile}
                    for profile, filters in rules.items()
                ]
            }
        )

    def put_account_setting(self, account: str, region: str, name: str, value: str) -> None:
        self.ecr(account, region).put_account_setting(name=name, value=value)

    def create_kms_key(self, account: str, region: str, alias: str | None = None) -> str:
        """Create a customer managed KMS key through moto's KMS and return its ARN."""
        kms = self.client("kms", account, region)
        arn: str = kms.create_key(Description=alias or "ecr-auditor demo key")["KeyMetadata"]["Arn"]
        if alias is not None:
            kms.create_alias(AliasName=alias, TargetKeyId=arn)
        return arn

    def aws_managed_ecr_key(self, account: str, region: str) -> str:
        """Return the ARN of the account's AWS managed ``aws/ecr`` key, creating it once.

        KMS has no API that creates an AWS managed key, so this goes to moto's
        KMS backend directly.
        """
        return moto_bridge.ensure_aws_managed_key(account, region)

    # -- state path -------------------------------------------------------------

    def new_digest(self, *parts: str) -> str:
        """Return a deterministic sha256 digest for a seeded image."""
        self._digest_counter += 1
        material = "/".join((*parts, str(self._digest_counter)))
        return "sha256:" + hashlib.sha256(material.encode()).hexdigest()

    def add_image(
        self,
        account: str,
        region: str,
        repository: str,
        *,
        tags: Iterable[str] = (),
        digest: str | None = None,
        pushed_at: datetime | None = None,
        size_in_bytes: int = 48_000_000,
        manifest_media_type: str = DOCKER_MANIFEST_V2,
        artifact_media_type: str | None = None,
        last_pull: datetime | None = None,
        subject_digest: str | None = None,
        archived_at: datetime | None = None,
    ) -> str:
        """Add an image to a repository and return its digest.

        An image with ``archived_at`` is ARCHIVED; every other image is ACTIVE.
        """
        image = ImageRecord(
            digest=digest or self.new_digest(account, region, repository),
            pushed_at=pushed_at or utc_now(),
            size_in_bytes=size_in_bytes,
            manifest_media_type=manifest_media_type,
            tags=list(tags),
            artifact_media_type=artifact_media_type,
            last_recorded_pull_time=last_pull,
            subject_manifest_digest=subject_digest,
            status="ARCHIVED" if archived_at is not None else "ACTIVE",
            last_archived_at=archived_at,
        )
        self.state.add_image(account, region, repository, image)
        return image.digest

    def add_scan_findings(
        self,
        account: str,
        region: str,
        repository: str,
        digest: str,
        *,
        status: str = "COMPLETE",
        description: str | None = None,
        findings: Sequence[Mapping[str, Any]] | None = None,
        enhanced_findings: Sequence[Mapping[str, Any]] | None = None,
        completed_at: datetime | None = None,
        vulnerability_source_updated_at: datetime | None = None,
        severity_counts: Mapping[str, int] | None = None,
    ) -> None:
        """Record the DescribeImageScanFindings response for an image.

        A COMPLETE or ACTIVE scan gets a completion time of now unless one is
        given. Use ``add_empty_complete_scan`` for a response without one.
        """
        finished = status in ("COMPLETE", "ACTIVE")
        scan = ScanRecord(
            status=status,
            description=description or _default_scan_description(status),
            completed_at=completed_at or (utc_now() if finished else None),
            vulnerability_source_updated_at=vulnerability_source_updated_at or (utc_now() if finished else None),
            severity_counts=None if severity_counts is None else dict(severity_counts),
            findings=None if findings is None else [dict(f) for f in findings],
            enhanced_findings=(None if enhanced_findings is None else [dict(f) for f in enhanced_findings]),
        )
        if finished and scan.findings is None and scan.enhanced_findings is None:
            scan.findings = []
        self.state.set_scan(account, region, repository, digest, scan)

    def add_empty_complete_scan(self, account: str, region: str, repository: str, digest: str) -> None:
        """Record a COMPLETE scan without findings, counts or completion time.

        An ENHANCED registry returns this for a while after a push, before Amazon
        Inspector has scanned the image.
        """
        self.state.set_scan(
            account,
            region,
            repository,
            digest,
            ScanRecord(status="COMPLETE", description=_default_scan_description("COMPLETE")),
        )

    def set_signing_status(
        self,
        account: str,
        region: str,
        repository: str,
        digest: str,
        signing_profile_arn: str,
        status: str,
        failure_code: str | None = None,
        failure_reason: str | None = None,
    ) -> None:
        entry = {"signingProfileArn": signing_profile_arn, "status": status}
        if failure_code is not None:
            entry["failureCode"] = failure_code
        if failure_reason is not None:
            entry["failureReason"] = failure_reason
        self.state.set_signing_statuses(account, region, repository, digest, [entry])

    def add_pull_through_cache_rule_unchecked(
        self,
        account: str,
        region: str,
        prefix: str,
        upstream_url: str,
        upstream_registry: str,
        *,
        credential_arn: str | None = None,
        custom_role_arn: str | None = None,
    ) -> None:
        """Store a rule that CreatePullThroughCacheRule would reject.

        For example a Docker Hub rule without a credential, or a credential whose
        secret name lacks the ``ecr-pullthroughcache/`` prefix, as a registry can
        hold from before ECR checked them.
        """
        now = utc_now()
        self.state.put_pull_through_cache_rule(
            account,
            region,
            PullThroughCacheRule(
                ecr_repository_prefix=prefix,
                upstream_registry_url=upstream_url,
                upstream_registry=upstream_registry,
                created_at=now,
                updated_at=now,
                credential_arn=credential_arn,
                custom_role_arn=custom_role_arn,
                upstream_repository_prefix="ROOT",
            ),
        )

    def mark_pull_through_cache_rule_invalid(self, account: str, region: str, prefix: str, failure: str) -> None:
        """Make ValidatePullThroughCacheRule report a rule invalid with `failure`."""
        self.state.set_pull_through_cache_rule_validity(account, region, prefix, False, failure)

    # -- opt-in regions (state path: the Account API's EnableRegion is not emulated) --

    def enable_region(self, account: str, region: str) -> None:
        """Enable an opt-in region for an account, so that its calls there succeed."""
        self.state.enable_region(account, region)

    def disable_region(self, account: str, region: str) -> None:
        """Disable an opt-in region for an account, so that its calls there fail as AWS fails them."""
        self.state.disable_region(account, region)

    # -- Amazon Inspector ---------------------------------------------------------

    def inspector(self, account: str, region: str) -> Any:
        return self.client("inspector2", account, region)

    def enable_inspector(self, account: str, region: str, resource_types: Sequence[str] = ("ECR",)) -> None:
        """Turn on Inspector scanning of `resource_types` with Inspector's Enable operation."""
        self.inspector(account, region).enable(resourceTypes=list(resource_types))

    def configure_inspector_rescan(
        self,
        account: str,
        region: str,
        rescan_duration: str,
        *,
        pull_date_rescan_duration: str | None = None,
        pull_date_rescan_mode: str | None = None,
    ) -> None:
        """Set the ECR re-scan durations with Inspector's UpdateConfiguration operation."""
        configuration: dict[str, str] = {"rescanDuration": rescan_duration}
        if pull_date_rescan_duration is not None:
            configuration["pullDateRescanDuration"] = pull_date_rescan_duration
        if pull_date_rescan_mode is not None:
            configuration["pullDateRescanMode"] = pull_date_rescan_mode
        self.inspector(account, region).update_configuration(ecrConfiguration=configuration)

    def add_inspector_findings(
        self,
        account: str,
        region: str,
        repository: str,
        digest: str,
        packages: Sequence[AffectedPackage],
        *,
        first_observed_at: datetime | None = None,
        last_observed_at: datetime | None = None,
        status: str = "ACTIVE",
        last_in_use_at: datetime | None = None,
        in_use_count: int | None = None,
    ) -> list[dict[str, Any]]:
        """Record one Inspector finding per package on an existing image and return them.

        Inspector has no API that writes findings, so they go into the state.
        Tags and push time come from the image as seeded.
        """
        if moto_bridge.repository(account, region, repository) is None:
            raise LookupError(f"repository {repository!r} does not exist in {account}/{region}")
        with self.state.lock:
            image = self.state.repository_extras(account, region, repository).find_image(digest, None)
            if image is None:
                raise LookupError(f"image {digest} does not exist in {account}/{region}/{repository}")
            context = ImageContext(account, region, repository, digest, tuple(image.tags), image.pushed_at)
        observed = last_observed_at or utc_now()
        findings = [
            inspector_finding(
                package,
                context,
                first_observed_at=first_observed_at or context.pushed_at,
                last_observed_at=observed,
                status=status,
                last_in_use_at=last_in_use_at,
                in_use_count=in_use_count,
            )
            for package in packages
        ]
        self.state.add_inspector_findings(account, region, findings)
        return findings


def _default_scan_description(status: str) -> str:
    descriptions = {
        "COMPLETE": "The scan was completed successfully.",
        "ACTIVE": "Continuous scan is selected for image.",
        "FAILED": "The scan failed to complete.",
        "IN_PROGRESS": "The scan is in progress.",
        "PENDING": "The scan is pending.",
        "UNSUPPORTED_IMAGE": "The operating system and/or package manager are not supported.",
        "SCAN_ELIGIBILITY_EXPIRED": "The image is no longer scanned: its scan duration expired.",
        "FINDINGS_UNAVAILABLE": "Findings are unavailable for this image.",
        "LIMIT_EXCEEDED": "The scan quota per image has been exceeded.",
        "IMAGE_ARCHIVED": "The image is archived and is not scanned.",
        "IMAGE_SIZE_EXCEEDED": "The image is larger than the maximum size that can be scanned.",
    }
    return descriptions.get(status, status)
