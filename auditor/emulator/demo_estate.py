"""A deterministic demo estate with good and bad settings of every audited feature.

``seed_demo_estate`` fills every (account, region) registry with repositories
named like a real organisation's. Each registry gets one of four profiles, so
that the estate as a whole contains every case the checks look at:

- public, cross-account, organisation-restricted and fail-open policies, and a
  V1 policy scope;
- pull through cache rules with and without credentials, several replication
  rules, weak and strong creation templates;
- BASIC and ENHANCED scanning with uncovered repositories, and signing;
- every tag mutability and encryption choice, and broken lifecycle policies;
- images with signatures, SBOMs and archived versions, and scan findings in
  every scan status;
- Amazon Inspector enabled for ECR, with its re-scan durations and findings, in
  the ENHANCED registries, and disabled in the others;
- an opt-in region (``SKIPPED_REGION``) that no account has enabled, so that
  region discovery has a region to skip.

The same arguments always produce the same estate, apart from identifiers that
moto generates (KMS key ids) and times, which are relative to ``now``.
``DemoEstate.markers`` names the resources that contain each notable case.
"""

from __future__ import annotations

import json
import logging
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.emulator.findings import (
    HEADLINE_PACKAGES,
    ImageContext,
    base_image_packages,
    basic_finding,
    enhanced_finding,
)
from auditor.emulator.seed import (
    COSIGN_SIGNATURE,
    DEFAULT_ROLE_NAME,
    NOTATION_SIGNATURE,
    OCI_MANIFEST,
    EstateSeeder,
)
from auditor.emulator.server import EmulatorServer
from auditor.emulator.wire import model_enum

logger = logging.getLogger(__name__)

UNTRUSTED_ACCOUNT = "999988887777"
# An opt-in region left disabled in every account; the auditor must skip it.
SKIPPED_REGION = "af-south-1"
ORGANIZATION_ID = "o-a1b2c3d4e5"
MIN_REPOSITORIES_PER_REGISTRY = 12

TEAMS = (
    "payments",
    "checkout",
    "platform",
    "identity",
    "search",
    "data",
    "ml",
    "mobile",
    "billing",
    "risk",
    "ledger",
    "notifications",
    "catalog",
    "shipping",
    "web",
)
SERVICES = (
    "api",
    "worker",
    "frontend",
    "gateway",
    "scheduler",
    "ingest",
    "base-images",
    "migrations",
    "cron",
    "auth",
    "events",
    "reports",
)
# Names in every registry: production prefixes for the scanning filters
# (``prod*`` must not match ``team-prod``) and repositories under pull through
# cache prefixes.
FIXED_REPOSITORIES = (
    "prod-checkout",
    "prod-payments-api",
    "team-prod",
    "staging-web",
    "dockerhub/library/nginx",
    "dockerhub/library/redis",
    "ecr-public/docker/library/python",
    "ghcr/actions/actions-runner",
)
MUTABILITIES = (
    "IMMUTABLE",
    "MUTABLE",
    "IMMUTABLE_WITH_EXCLUSION",
    "MUTABLE_WITH_EXCLUSION",
    "IMMUTABLE",
    "MUTABLE",
)
ENCRYPTIONS = ("AES256", "KMS_CUSTOMER_KEY", "KMS_AWS_MANAGED", "AES256", "KMS_CUSTOMER_KEY")

GOOD_LIFECYCLE = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "Expire untagged images after 14 days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 14,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "Keep the last 50 release images",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["v*"],
                "countType": "imageCountMoreThan",
                "countNumber": 50,
            },
            "action": {"type": "expire"},
        },
    ]
}
# Expires untagged images only, so tagged images are kept for ever.
UNTAGGED_ONLY_LIFECYCLE = {"rules": [GOOD_LIFECYCLE["rules"][0]]}
# Lifecycle text a registry may still hold although PutLifecyclePolicy rejects it.
BROKEN_LIFECYCLE_TEXT = '{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "any",'


@dataclass
class DemoEstate:
    """Record of the resources seed_demo_estate created, for tests and the demo's summary."""

    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    # Role that reaches every account but the first (moto lets any role be assumed).
    role_name: str = DEFAULT_ROLE_NAME
    # Accounts the estate's policies treat as trusted: the audited ones. The estate
    # also grants UNTRUSTED_ACCOUNT, which is outside this tuple on purpose.
    trusted_accounts: tuple[str, ...] = ()
    organization_id: str = ORGANIZATION_ID
    repositories: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # Opt-in regions that every account leaves disabled: calls there fail.
    skipped_regions: tuple[str, ...] = ()
    image_count: int = 0
    # Notable case -> resources holding it, as "account/region/kind/name".
    markers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def repository_count(self) -> int:
        return sum(len(names) for names in self.repositories.values())

    def mark(self, case: str, account: str, region: str, kind: str, name: str) -> None:
        self.markers[case].append(f"{account}/{region}/{kind}/{name}")


def _statement(sid: str, principal: Any, actions: Sequence[str], **extra: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": list(actions), **extra}


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
PUSH_ACTIONS = ("ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload")


class _DemoBuilder:
    def __init__(
        self,
        seeder: EstateSeeder,
        rng: random.Random,
        now: datetime,
        accounts: tuple[str, ...],
        regions: tuple[str, ...],
    ) -> None:
        self.seeder = seeder
        self.rng = rng
        self.now = now
        self.accounts = accounts
        self.regions = regions
        self.estate = DemoEstate(accounts=accounts, regions=regions, trusted_accounts=accounts)
        # Scan statuses not yet given to any image. The first latest images take them
        # in turn, so that the estate shows every status of the ECR ScanStatus enum.
        self.statuses_to_show = [s for s in model_enum("ScanStatus") if s not in ("IMAGE_ARCHIVED",)]

    # -- registry level ------------------------------------------------------------

    def other_account(self, account: str) -> str:
        index = self.accounts.index(account)
        return self.accounts[(index + 1) % len(self.accounts)] if len(self.accounts) > 1 else (UNTRUSTED_ACCOUNT)

    def other_region(self, region: str) -> str:
        index = self.regions.index(region)
        if len(self.regions) > 1:
            return self.regions[(index + 1) % len(self.regions)]
        return "us-west-2" if region != "us-west-2" else "us-east-2"

    def seed_registry(self, profile: int, account: str, region: str, count: int) -> None:
        kms_key = self.seeder.create_kms_key(account, region, "alias/ecr-demo")
        self._registry_policy(profile, account, region)
        self._replication(profile, account, region)
        self._pull_through_cache(profile, account, region)
        self._creation_templates(profile, account, region, kms_key)
        self._scanning(profile, account, region)
        self._inspector(profile, account, region)
        signing_profile = self._signing(profile, account, region)

        names = self._repository_names(count)
        self.estate.repositories[(account, region)] = names
        enhanced = profile in (0, 3)
        for index, name in enumerate(names):
            self._repository(index, profile, account, region, name, kms_key)
            self._images(index, profile, account, region, name, enhanced, signing_profile)

    def _registry_policy(self, profile: int, account: str, region: str) -> None:
        other = self.other_account(account)
        if profile == 0:
            policy = _policy(
                _statement(
                    "ReplicationFromPeer",
                    {"AWS": f"arn:aws:iam::{other}:root"},
                    ("ecr:ReplicateImage", "ecr:CreateRepository"),
                    Resource=f"arn:aws:ecr:{region}:{account}:repository/*",
                ),
                _statement(
                    "OrganizationPull",
                    "*",
                    PULL_ACTIONS,
                    Condition={"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}},
                ),
            )
            self.estate.mark("org_restricted_registry_policy", account, region, "registry", account)
        elif profile == 1:
            self.estate.mark("no_registry_policy", account, region, "registry", account)
            return
        elif profile == 2:
            policy = _policy(_statement("PublicPull", "*", PULL_ACTIONS))
            self.estate.mark("public_registry_policy", account, region, "registry", account)
        else:
            policy = _policy(
                _statement(
                    "OrganizationPull",
                    {"AWS": "*"},
                    PULL_ACTIONS,
                    Condition={"StringEqualsIfExists": {"aws:PrincipalOrgID": ORGANIZATION_ID}},
                ),
            )
            # A registry that never moved to V2 still reports V1; PutAccountSetting
            # no longer accepts it, so this goes through the state.
            self.seeder.state.set_account_setting(account, region, "REGISTRY_POLICY_SCOPE", "V1")
            self.estate.mark("fail_open_registry_policy", account, region, "registry", account)
            self.estate.mark("v1_policy_scope", account, region, "registry", account)
        self.seeder.put_registry_policy(account, region, policy)

    def _replication(self, profile: int, account: str, region: str) -> None:
        other_region = self.other_region(region)
        other_account = self.other_account(account)
        if profile == 0:
            rules = [
                {
                    "destinations": [{"region": other_region, "registryId": account}],
                    "repositoryFilters": [
                        {"filter": "payments", "filterType": "PREFIX_MATCH"},
                        {"filter": "checkout", "filterType": "PREFIX_MATCH"},
                    ],
                },
                {
                    "destinations": [
                        {"region": region, "registryId": other_account},
                        {"region": other_region, "registryId": other_account},
                    ],
                    "repositoryFilters": [{"filter": "platform", "filterType": "PREFIX_MATCH"}],
                },
                {"destinations": [{"region": "us-west-2", "registryId": UNTRUSTED_ACCOUNT}]},
            ]
            self.estate.mark("replication_untrusted_destination", account, region, "registry", account)
        elif profile == 2:
            rules = [
                {
                    "destinations": [{"region": other_region, "registryId": account}],
                    "repositoryFilters": [{"filter": "prod-", "filterType": "PREFIX_MATCH"}],
                }
            ]
        else:
            return
        self.seeder.put_replication(account, region, rules)

    def _secret(self, account: str, region: str, name: str) -> str:
        return f"arn:aws:secretsmanager:{region}:{account}:secret:ecr-pullthroughcache/{name}-Ab12Cd"

    def _pull_through_cache(self, profile: int, account: str, region: str) -> None:
        seeder = self.seeder
        other = self.other_account(account)
        if profile == 0:
            seeder.create_pull_through_cache_rule(account, region, "ecr-public", "public.ecr.aws")
            seeder.create_pull_through_cache_rule(
                account,
                region,
                "dockerhub",
                "registry-1.docker.io",
                credential_arn=self._secret(account, region, "dockerhub"),
            )
            seeder.create_pull_through_cache_rule(
                account,
                region,
                "ghcr",
                "ghcr.io",
                credential_arn=self._secret(account, region, "ghcr"),
            )
            seeder.create_pull_through_cache_rule(
                account,
                region,
                "ecr-shared",
                f"{other}.dkr.ecr.{region}.amazonaws.com",
                custom_role_arn=f"arn:aws:iam::{account}:role/ecr-pull-through-cache",
            )
            seeder.add_pull_through_cache_rule_unchecked(
                account, region, "hub-anonymous", "registry-1.docker.io", "docker-hub"
            )
            self.estate.mark("ptc_without_credential", account, region, "pull-through-cache-rule", "hub-anonymous")
        elif profile == 1:
            seeder.create_pull_through_cache_rule(account, region, "quay", "quay.io")
            seeder.create_pull_through_cache_rule(account, region, "k8s", "registry.k8s.io")
        elif profile == 2:
            # A credential kept in another region, which ECR cannot read for this rule.
            seeder.create_pull_through_cache_rule(
                account,
                region,
                "ghcr",
                "ghcr.io",
                credential_arn=self._secret(account, self.other_region(region), "ghcr"),
            )
            seeder.mark_pull_through_cache_rule_invalid(
                account, region, "ghcr", "Unable to access the secret in Secrets Manager"
            )
            self.estate.mark("ptc_invalid", account, region, "pull-through-cache-rule", "ghcr")
            seeder.create_pull_through_cache_rule(
                account, region, "ecr-upstream", f"{UNTRUSTED_ACCOUNT}.dkr.ecr.{region}.amazonaws.com"
            )
            self.estate.mark("ptc_ecr_without_role", account, region, "pull-through-cache-rule", "ecr-upstream")
            seeder.add_pull_through_cache_rule_unchecked(
                account,
                region,
                "dockerhub",
                "registry-1.docker.io",
                "docker-hub",
                credential_arn=f"arn:aws:secretsmanager:{region}:{account}:secret:dockerhub-creds-Zx98Yw",
            )
            self.estate.mark("ptc_bad_secret_name", account, region, "pull-through-cache-rule", "dockerhub")

    def _creation_templates(self, profile: int, account: str, region: str, kms_key: str) -> None:
        seeder = self.seeder
        role = f"arn:aws:iam::{account}:role/ecr-repository-creation"
        if profile in (0, 1):
            seeder.create_creation_template(
                account,
                region,
                "ROOT",
                ["PULL_THROUGH_CACHE", "REPLICATION"],
                description="Defaults for repositories that ECR creates",
                mutability="IMMUTABLE",
                encryption_type="KMS",
                kms_key=kms_key,
                resource_tags={"owner": "platform", "cost-center": "cc-1000"},
                lifecycle_policy=GOOD_LIFECYCLE,
                custom_role_arn=role,
            )
        if profile == 0:
            seeder.create_creation_template(
                account,
                region,
                "dockerhub",
                ["PULL_THROUGH_CACHE"],
                description="Docker Hub cache",
                mutability="MUTABLE",
            )
            seeder.create_creation_template(
                account,
                region,
                "prod",
                ["CREATE_ON_PUSH", "REPLICATION"],
                mutability="IMMUTABLE_WITH_EXCLUSION",
                exclusion_filters=["latest"],
                encryption_type="KMS",
                lifecycle_policy=GOOD_LIFECYCLE,
                custom_role_arn=role,
            )
        elif profile == 2:
            seeder.create_creation_template(
                account,
                region,
                "public-mirror",
                ["CREATE_ON_PUSH"],
                repository_policy=_policy(_statement("PublicPull", "*", PULL_ACTIONS)),
            )
            self.estate.mark("template_public_policy", account, region, "creation-template", "public-mirror")
            seeder.create_creation_template(
                account,
                region,
                "team-a",
                ["PULL_THROUGH_CACHE"],
                resource_tags={"owner": "team-a", "cost-center": "cc-2040"},
                mutability="IMMUTABLE",
            )
            self.estate.mark("template_missing_role", account, region, "creation-template", "team-a")
            seeder.create_creation_template(account, region, "legacy", [], mutability="IMMUTABLE")
            self.estate.mark("template_empty_applied_for", account, region, "creation-template", "legacy")
            seeder.create_creation_template(
                account,
                region,
                "shared",
                ["REPLICATION"],
                encryption_type="KMS",
                kms_key=kms_key,
                custom_role_arn=f"arn:aws:iam::{UNTRUSTED_ACCOUNT}:role/ecr",
            )

    def _scanning(self, profile: int, account: str, region: str) -> None:
        if profile == 0:
            self.seeder.put_scanning_configuration(
                account,
                region,
                "ENHANCED",
                {"CONTINUOUS_SCAN": ["prod*", "payments"], "SCAN_ON_PUSH": ["checkout", "platform/*"]},
            )
            self.estate.mark("enhanced_scanning_with_gaps", account, region, "registry", account)
        elif profile == 1:
            self.seeder.put_account_setting(account, region, "BLOB_MOUNTING", "ENABLED")
            self.estate.mark("basic_scanning_legacy_flags", account, region, "registry", account)
        elif profile == 2:
            self.seeder.put_scanning_configuration(account, region, "BASIC", {"SCAN_ON_PUSH": ["*"]})
        else:
            self.seeder.put_scanning_configuration(account, region, "ENHANCED", {"CONTINUOUS_SCAN": ["*"]})

    def _inspector(self, profile: int, account: str, region: str) -> None:
        """Enable Inspector for ECR in the ENHANCED registries, with a different re-scan setup in each."""
        if profile == 0:
            self.seeder.enable_inspector(account, region)
            self.seeder.configure_inspector_rescan(
                account, region, "DAYS_30", pull_date_rescan_duration="DAYS_14", pull_date_rescan_mode="LAST_IN_USE_AT"
            )
        elif profile == 3:
            self.seeder.enable_inspector(account, region)
            self.seeder.configure_inspector_rescan(
                account,
                region,
                "LIFETIME",
                pull_date_rescan_duration="DAYS_180",
                pull_date_rescan_mode="LAST_PULL_DATE",
            )
            self.estate.mark("inspector_lifetime_rescan", account, region, "registry", account)
        else:
            self.estate.mark("inspector_disabled", account, region, "registry", account)
            return
        self.estate.mark("inspector_enabled", account, region, "registry", account)

    def _signing(self, profile: int, account: str, region: str) -> str | None:
        if profile != 0:
            return None
        signing_profile = f"arn:aws:signer:{region}:{account}:/signing-profiles/ecr_release"
        self.seeder.put_signing_configuration(account, region, {signing_profile: ["payments/*", "prod-*"]})
        return signing_profile

    # -- repository level ------------------------------------------------------------

    def _repository_names(self, count: int) -> list[str]:
        pool = [f"{team}/{service}" for team in TEAMS for service in SERVICES]
        chosen = self.rng.sample(pool, count - len(FIXED_REPOSITORIES))
        return sorted([*FIXED_REPOSITORIES, *chosen])

    def _repository(self, index: int, profile: int, account: str, region: str, name: str, kms_key: str) -> None:
        mutability = MUTABILITIES[(index + profile) % len(MUTABILITIES)]
        encryption = ENCRYPTIONS[(index + profile) % len(ENCRYPTIONS)]
        tag_choice = index % 4
        tags = [
            {"owner": name.split("/")[0], "cost-center": f"cc-{1000 + index}"},
            {"owner": name.split("/")[0]},
            {},
            {"owner": name.split("/")[0], "cost-center": f"cc-{1000 + index}", "environment": "prod"},
        ][tag_choice]
        self.seeder.create_repository(
            account,
            region,
            name,
            mutability=mutability,
            exclusion_filters=["latest", "dev-*"] if mutability.endswith("_WITH_EXCLUSION") else None,
            scan_on_push=self.rng.random() < 0.5,
            encryption_type="AES256" if encryption == "AES256" else "KMS",
            kms_key=kms_key if encryption == "KMS_CUSTOMER_KEY" else None,
            tags=tags,
        )
        marker_by_encryption = {
            "AES256": "aes256_encryption",
            "KMS_CUSTOMER_KEY": "customer_managed_key",
            "KMS_AWS_MANAGED": "aws_managed_key",
        }
        self.estate.mark(marker_by_encryption[encryption], account, region, "repository", name)
        self.estate.mark(f"mutability_{mutability.lower()}", account, region, "repository", name)
        if not tags:
            self.estate.mark("untagged_repository", account, region, "repository", name)
        self._lifecycle(index, account, region, name)
        self._repository_policy(index, profile, account, region, name)

    def _lifecycle(self, index: int, account: str, region: str, name: str) -> None:
        choice = index % 6
        if choice in (1, 4):
            self.estate.mark("no_lifecycle_policy", account, region, "repository", name)
        elif choice == 2:
            self.seeder.put_lifecycle_policy(account, region, name, UNTAGGED_ONLY_LIFECYCLE)
            self.estate.mark("lifecycle_keeps_tagged", account, region, "repository", name)
        elif index == 5:
            self.seeder.state.set_lifecycle_policy_text(account, region, name, BROKEN_LIFECYCLE_TEXT)
            self.estate.mark("invalid_lifecycle_policy", account, region, "repository", name)
        else:
            self.seeder.put_lifecycle_policy(account, region, name, GOOD_LIFECYCLE)

    def _repository_policy(self, index: int, profile: int, account: str, region: str, name: str) -> None:
        other = self.other_account(account)
        policies: dict[int, tuple[str, dict[str, Any]]] = {
            0: ("public_repository_policy", _policy(_statement("Public", "*", PULL_ACTIONS))),
            1: (
                "cross_account_repository_policy",
                _policy(_statement("PeerPull", {"AWS": f"arn:aws:iam::{other}:root"}, PULL_ACTIONS)),
            ),
            2: (
                "org_restricted_repository_policy",
                _policy(
                    _statement(
                        "OrgPull",
                        "*",
                        PULL_ACTIONS,
                        Condition={"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}},
                    )
                ),
            ),
            3: (
                "fail_open_repository_policy",
                _policy(
                    _statement(
                        "OrgPull",
                        {"AWS": "*"},
                        PULL_ACTIONS,
                        Condition={"ForAllValues:StringEquals": {"aws:PrincipalOrgID": [ORGANIZATION_ID]}},
                    )
                ),
            ),
            4: (
                "fail_open_repository_policy",
                _policy(
                    _statement(
                        "OrgPull",
                        "*",
                        PULL_ACTIONS,
                        Condition={"StringEqualsIfExists": {"aws:PrincipalOrgID": ORGANIZATION_ID}},
                    )
                ),
            ),
            5: (
                "untrusted_write_repository_policy",
                _policy(
                    _statement(
                        "VendorPush",
                        {"AWS": [f"arn:aws:iam::{UNTRUSTED_ACCOUNT}:role/ci"]},
                        (*PULL_ACTIONS, *PUSH_ACTIONS),
                    )
                ),
            ),
            7: (
                "service_principal_repository_policy",
                _policy(
                    _statement(
                        "LambdaPull",
                        {"Service": "lambda.amazonaws.com"},
                        ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"),
                    )
                ),
            ),
        }
        if index == 6 and profile == 0:
            # Text stored before it was edited by hand into something that no longer parses.
            text = json.dumps(_policy(_statement("Pull", "*", PULL_ACTIONS)))[:-3]
            self.seeder.state.set_repository_policy_text(account, region, name, text)
            self.estate.mark("malformed_repository_policy", account, region, "repository", name)
            return
        if index not in policies:
            return
        marker, policy = policies[index]
        self.seeder.set_repository_policy(account, region, name, policy)
        self.estate.mark(marker, account, region, "repository", name)

    # -- images and findings ---------------------------------------------------------------

    def _images(
        self,
        index: int,
        profile: int,
        account: str,
        region: str,
        name: str,
        enhanced: bool,
        signing_profile: str | None,
    ) -> None:
        count = self.rng.randint(2, 5) if index < 8 else self.rng.choice((0, 1, 2, 3, 4))
        if count == 0:
            self.estate.mark("empty_repository", account, region, "repository", name)
            return
        ages = sorted((self.rng.randint(1, 400) for _ in range(count)), reverse=True)
        digests: list[str] = []
        for position, age in enumerate(ages):
            latest = position == count - 1
            pushed_at = self.now - timedelta(days=age, minutes=self.rng.randint(0, 1440))
            archived = position == 0 and count >= 2 and index % 7 == 3
            untagged = not latest and self.rng.random() < 0.25
            tags: list[str] = []
            if not untagged:
                tags.append(f"v1.{position}.0")
            if latest:
                tags.append("latest")
            last_pull = (
                None if self.rng.random() < 0.3 else self.now - timedelta(days=self.rng.randint(0, min(age, 120)))
            )
            digest = self.seeder.add_image(
                account,
                region,
                name,
                tags=tags,
                pushed_at=pushed_at,
                size_in_bytes=self.rng.randint(20, 900) * 1_000_000,
                last_pull=last_pull,
                archived_at=pushed_at + timedelta(days=age // 2) if archived else None,
            )
            digests.append(digest)
            self.estate.image_count += 1
            if archived:
                self.estate.mark("archived_image", account, region, "image", f"{name}@{digest}")
            if untagged:
                self.estate.mark("untagged_image", account, region, "image", f"{name}@{digest}")
            self._scan(
                index,
                profile,
                account,
                region,
                name,
                digest,
                tags,
                pushed_at,
                latest=latest,
                archived=archived,
                enhanced=enhanced,
            )

        latest_digest = digests[-1]
        self._artifacts(index, account, region, name, latest_digest)
        if signing_profile is not None and (name.startswith("payments/") or name.startswith("prod-")):
            self._signing_status(index, account, region, name, latest_digest, signing_profile)

    def _artifacts(self, index: int, account: str, region: str, name: str, subject: str) -> None:
        if index % 5 == 0:
            digest = self.seeder.add_image(
                account,
                region,
                name,
                tags=[subject.replace(":", "-") + ".sig"],
                size_in_bytes=1_400,
                manifest_media_type=OCI_MANIFEST,
                artifact_media_type=COSIGN_SIGNATURE,
            )
            self.estate.image_count += 1
            self.estate.mark("signature_artifact", account, region, "image", f"{name}@{digest}")
        elif index % 5 == 2:
            # A Notary Project signature, attached to the image as an OCI referrer.
            digest = self.seeder.add_image(
                account,
                region,
                name,
                size_in_bytes=2_100,
                manifest_media_type=OCI_MANIFEST,
                artifact_media_type=NOTATION_SIGNATURE,
                subject_digest=subject,
            )
            self.estate.image_count += 1
            self.estate.mark("signature_artifact", account, region, "image", f"{name}@{digest}")
        elif index % 5 == 1:
            digest = self.seeder.add_image(
                account,
                region,
                name,
                size_in_bytes=52_000,
                manifest_media_type=OCI_MANIFEST,
                artifact_media_type="application/spdx+json",
                subject_digest=subject,
            )
            self.estate.image_count += 1
            self.estate.mark("sbom_referrer", account, region, "image", f"{name}@{digest}")

    def _signing_status(self, index: int, account: str, region: str, name: str, digest: str, profile_arn: str) -> None:
        if index % 3 == 1:
            # ECR documents no list of failure codes; this one is illustrative.
            self.seeder.set_signing_status(
                account,
                region,
                name,
                digest,
                profile_arn,
                "FAILED",
                failure_code="SIGNING_PROFILE_NOT_ACTIVE",
                failure_reason="The signing profile is revoked or cancelled",
            )
            self.estate.mark("signing_failed", account, region, "image", f"{name}@{digest}")
        elif index % 3 == 2:
            self.estate.mark("unsigned_image", account, region, "image", f"{name}@{digest}")
        else:
            self.seeder.set_signing_status(account, region, name, digest, profile_arn, "COMPLETE")

    def _scan(
        self,
        index: int,
        profile: int,
        account: str,
        region: str,
        name: str,
        digest: str,
        tags: list[str],
        pushed_at: datetime,
        *,
        latest: bool,
        archived: bool,
        enhanced: bool,
    ) -> None:
        image = ImageContext(account, region, name, digest, tuple(tags), pushed_at)
        if archived:
            self._record_scan(image, "IMAGE_ARCHIVED", [], enhanced)
            return
        if not latest and self.rng.random() < 0.5:
            return  # older images are often not scanned at all: ScanNotFoundException
        if latest and index == 0 and profile in (0, 1):
            packages = base_image_packages()
            self._record_scan(image, "ACTIVE" if enhanced else "COMPLETE", packages, enhanced, latest=True)
            self.estate.mark("paginated_findings", account, region, "image", f"{name}@{digest}")
            return
        if latest and enhanced and index == 9:
            self.seeder.add_empty_complete_scan(account, region, name, digest)
            self.estate.mark("complete_without_findings", account, region, "image", f"{name}@{digest}")
            return
        if latest and self.statuses_to_show:
            status = self.statuses_to_show.pop(0)
        elif enhanced:
            age_days = (self.now - pushed_at).days
            status = "SCAN_ELIGIBILITY_EXPIRED" if age_days > 180 and not latest else "ACTIVE"
        else:
            status = "COMPLETE"
        packages = (
            self.rng.sample(HEADLINE_PACKAGES, self.rng.randint(0, 4)) if status in ("COMPLETE", "ACTIVE") else []
        )
        self._record_scan(image, status, packages, enhanced, latest=latest)

    def _record_scan(
        self, image: ImageContext, status: str, packages: Sequence[Any], enhanced: bool, *, latest: bool = False
    ) -> None:
        self.estate.mark(
            f"scan_status_{status.lower()}", image.account, image.region, "image", f"{image.repository}@{image.digest}"
        )
        finished = status in ("COMPLETE", "ACTIVE")
        if enhanced:
            first_seen = image.pushed_at + timedelta(hours=2)
            findings = [
                enhanced_finding(
                    package,
                    image,
                    first_observed_at=first_seen,
                    last_observed_at=self.now,
                    # Every thirteenth finding is suppressed by an Inspector rule.
                    status="SUPPRESSED" if position % 13 == 12 else "ACTIVE",
                )
                for position, package in enumerate(packages)
            ]
            self.seeder.add_scan_findings(
                image.account,
                image.region,
                image.repository,
                image.digest,
                status=status,
                enhanced_findings=findings if finished else None,
            )
            if latest and finished and packages:
                self._inspector_findings(image, packages, first_seen)
        else:
            self.seeder.add_scan_findings(
                image.account,
                image.region,
                image.repository,
                image.digest,
                status=status,
                findings=[basic_finding(package) for package in packages] if finished else None,
            )

    def _inspector_findings(self, image: ImageContext, packages: Sequence[Any], first_seen: datetime) -> None:
        """Record Inspector's view of the findings on a latest image: what ListFindings returns."""
        in_use = image.repository.startswith(("payments/", "prod-"))
        for position, package in enumerate(packages):
            # The same findings as ECR's enhancedFindings: every thirteenth is suppressed.
            self.seeder.add_inspector_findings(
                image.account,
                image.region,
                image.repository,
                image.digest,
                [package],
                first_observed_at=first_seen,
                last_observed_at=self.now,
                status="SUPPRESSED" if position % 13 == 12 else "ACTIVE",
                last_in_use_at=self.now - timedelta(hours=6) if in_use else None,
                in_use_count=3 if in_use else None,
            )
        self.estate.mark(
            "inspector_findings", image.account, image.region, "image", f"{image.repository}@{image.digest}"
        )


def seed_demo_estate(
    server: EmulatorServer,
    *,
    accounts: Sequence[str] = ("123456789012", "210987654321"),
    regions: Sequence[str] = ("us-east-1", "eu-west-1"),
    repositories_per_registry: int = 30,
    seed: int = 7,
    now: datetime | None = None,
) -> DemoEstate:
    """Seed the demo estate into a running server and return what was created.

    Registries are visited account by account, region by region, and take the
    profiles 0..3 in turn (profile = visit index modulo 4). The first account
    should be moto's default account, the one the auditor runs as.
    """
    if SKIPPED_REGION in regions:
        raise ValueError(f"regions must not include {SKIPPED_REGION}: the demo keeps it disabled in every account")
    if repositories_per_registry < MIN_REPOSITORIES_PER_REGISTRY:
        raise ValueError(
            f"repositories_per_registry must be at least {MIN_REPOSITORIES_PER_REGISTRY} so that "
            f"every repository case fits, not {repositories_per_registry}"
        )
    builder = _DemoBuilder(
        EstateSeeder(server),
        random.Random(seed),  # noqa: S311 - demo data, not security
        now or datetime.now(UTC),
        tuple(accounts),
        tuple(regions),
    )
    registries = [(account, region) for account in accounts for region in regions]
    for visit, (account, region) in enumerate(registries):
        builder.seed_registry(visit % 4, account, region, repositories_per_registry)
    estate = builder.estate
    for account in accounts:
        # Already the default for an opt-in region; stated so the demo does not depend on it.
        builder.seeder.disable_region(account, SKIPPED_REGION)
        estate.mark("skipped_region", account, SKIPPED_REGION, "region", SKIPPED_REGION)
    estate.skipped_regions = (SKIPPED_REGION,)
    estate.markers = dict(estate.markers)
    logger.info(
        "seeded demo estate: %d repositories and %d images in %d registries",
        estate.repository_count,
        estate.image_count,
        len(registries),
    )
    return estate
