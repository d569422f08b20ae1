"""A large estate of a chosen size, written straight into moto's backends and the layer state.

Benchmarks and ``python -m auditor.emulator serve`` need thousands of
repositories. Creating each one over HTTP through boto3 costs a few
milliseconds, so this module calls moto's ECR backend and ``EmulatorState``
directly. The result is the same as seeding over the wire would give, because
the layer reads exactly these objects. Only settings the estate needs in bulk
are written: repositories (mutability, encryption, tags, policies), images,
basic scan findings, ENHANCED scanning with Amazon Inspector findings, and
registry policies.

The same size and seed always give the same repositories, images and findings;
times are relative to ``now``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from auditor.emulator import moto_bridge, regions
from auditor.emulator.demo_estate import (
    GOOD_LIFECYCLE,
    MUTABILITIES,
    ORGANIZATION_ID,
    PULL_ACTIONS,
    SERVICES,
    TEAMS,
)
from auditor.emulator.findings import (
    HEADLINE_PACKAGES,
    ImageContext,
    basic_finding,
    enhanced_finding,
    inspector_finding,
)
from auditor.emulator.seed import DEFAULT_ACCOUNT, DOCKER_MANIFEST_V2
from auditor.emulator.state import EmulatorState, ImageRecord, ScanRecord

logger = logging.getLogger(__name__)

_ORG_PULL_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrganizationPull",
                "Effect": "Allow",
                "Principal": "*",
                "Action": list(PULL_ACTIONS),
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}},
            }
        ],
    }
)
_PUBLIC_PULL_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "PublicPull", "Effect": "Allow", "Principal": "*", "Action": list(PULL_ACTIONS)}],
    }
)
_LIFECYCLE_TEXT = json.dumps(GOOD_LIFECYCLE)


@dataclass(frozen=True)
class EstateSize:
    """Size of an estate: accounts × regions × repositories per registry × images per repository."""

    accounts: int = 2
    regions: tuple[str, ...] = ("us-east-1", "eu-west-1")
    repositories_per_registry: int = 50
    images_per_repository: int = 3
    seed: int = 7

    def __post_init__(self) -> None:
        if self.accounts < 1:
            raise ValueError(f"accounts must be at least 1, not {self.accounts}")
        if not self.regions:
            raise ValueError("regions must name at least one region")
        if self.repositories_per_registry < 0:
            raise ValueError(f"repositories_per_registry must be 0 or more, not {self.repositories_per_registry}")
        if self.images_per_repository < 0:
            raise ValueError(f"images_per_repository must be 0 or more, not {self.images_per_repository}")


@dataclass(frozen=True)
class SizedEstate:
    """Summary of an estate that ``seed_sized_estate`` built, with the seconds it took."""

    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    repository_count: int
    image_count: int
    finding_count: int
    seconds: float


def account_ids(count: int, seed: int) -> tuple[str, ...]:
    """Return `count` distinct 12-digit account ids; the first is moto's default account."""
    rng = random.Random(seed)  # noqa: S311 - test data, not security
    accounts = [DEFAULT_ACCOUNT]
    while len(accounts) < count:
        candidate = str(rng.randrange(100_000_000_000, 999_999_999_999))
        if candidate not in accounts:
            accounts.append(candidate)
    return tuple(accounts)


def repository_name(index: int) -> str:
    """Return the index-th repository name: team/service, then team/service-N once the pairs run out."""
    pairs = len(TEAMS) * len(SERVICES)
    base = f"{TEAMS[index % len(TEAMS)]}/{SERVICES[(index // len(TEAMS)) % len(SERVICES)]}"
    return base if index < pairs else f"{base}-{index // pairs}"


def _digest(*parts: str) -> str:
    return "sha256:" + hashlib.sha256("/".join(parts).encode()).hexdigest()


class _RegistryBuilder:
    def __init__(
        self, state: EmulatorState, account: str, region: str, enhanced: bool, rng: random.Random, now: datetime
    ) -> None:
        self.state = state
        self.account = account
        self.region = region
        self.enhanced = enhanced
        self.rng = rng
        self.now = now
        self.images = 0
        self.findings = 0

    def settings(self) -> None:
        registry = self.state.registry(self.account, self.region)
        with self.state.lock:
            if self.rng.random() < 0.5:
                registry.registry_policy = _ORG_PULL_POLICY
            if self.enhanced:
                registry.scan_type = "ENHANCED"
                registry.scanning_rules = [
                    {
                        "scanFrequency": "CONTINUOUS_SCAN",
                        "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}],
                    }
                ]
                registry.inspector.resource_status["ecr"] = "ENABLED"
            else:
                registry.scanning_rules = [
                    {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}
                ]

    def repository(self, index: int, name: str, managed_key: str) -> None:
        mutability = MUTABILITIES[index % len(MUTABILITIES)]
        moto_bridge.create_repository_direct(
            self.account,
            self.region,
            name,
            mutability=mutability,
            encryption={"encryptionType": "KMS", "kmsKey": managed_key} if index % 3 == 2 else None,
            tags={"owner": name.split("/")[0]} if index % 4 else None,
            exclusion_filters=["latest"] if mutability.endswith("_WITH_EXCLUSION") else None,
        )
        extras = self.state.repository_extras(self.account, self.region, name)
        with self.state.lock:
            if index % 3 != 1:
                extras.lifecycle_policy_text = _LIFECYCLE_TEXT
            if index % 20 == 7:
                extras.policy_text = _PUBLIC_PULL_POLICY
            elif index % 5 == 0:
                extras.policy_text = _ORG_PULL_POLICY

    def images_of(self, name: str, count: int) -> None:
        ages = sorted((self.rng.randint(1, 400) for _ in range(count)), reverse=True)
        extras = self.state.repository_extras(self.account, self.region, name)
        for position, age in enumerate(ages):
            latest = position == count - 1
            tags = [f"v1.{position}.0"] + (["latest"] if latest else [])
            pushed_at = self.now - timedelta(days=age)
            image = ImageRecord(
                digest=_digest(self.account, self.region, name, str(position)),
                pushed_at=pushed_at,
                size_in_bytes=self.rng.randint(20, 900) * 1_000_000,
                manifest_media_type=DOCKER_MANIFEST_V2,
                tags=tags,
                last_recorded_pull_time=self.now - timedelta(days=self.rng.randint(0, age)),
            )
            # A new repository has no older images whose tags would move, so append directly.
            with self.state.lock:
                extras.images.append(image)
            self.images += 1
            self._scan(name, image)

    def _scan(self, name: str, image: ImageRecord) -> None:
        """Scan one image as its registry would: BASIC scans on push (COMPLETE), ENHANCED
        scans continuously (ACTIVE) and relays Amazon Inspector's findings through ECR."""
        packages = self.rng.sample(HEADLINE_PACKAGES, self.rng.randint(0, 3))
        context = ImageContext(self.account, self.region, name, image.digest, tuple(image.tags), image.pushed_at)
        self.findings += len(packages)
        if not self.enhanced:
            scan = ScanRecord(
                status="COMPLETE",
                description="The scan was completed successfully.",
                completed_at=image.pushed_at + timedelta(minutes=5),
                vulnerability_source_updated_at=self.now,
                findings=[basic_finding(package) for package in packages],
            )
            self.state.set_scan(self.account, self.region, name, image.digest, scan)
            return
        first_seen = image.pushed_at + timedelta(hours=2)
        relayed = [
            enhanced_finding(package, context, first_observed_at=first_seen, last_observed_at=self.now)
            for package in packages
        ]
        scan = ScanRecord(
            status="ACTIVE",
            description="Continuous scan is selected for image.",
            completed_at=first_seen,
            vulnerability_source_updated_at=self.now,
            enhanced_findings=relayed,
        )
        self.state.set_scan(self.account, self.region, name, image.digest, scan)
        findings = [
            inspector_finding(
                package,
                context,
                first_observed_at=first_seen,
                last_observed_at=self.now,
                last_in_use_at=image.last_recorded_pull_time,
            )
            for package in packages
        ]
        self.state.add_inspector_findings(self.account, self.region, findings)


def seed_sized_estate(state: EmulatorState, size: EstateSize, *, now: datetime | None = None) -> SizedEstate:
    """Build an estate of `size` in the current process's moto backends and `state`.

    Registries alternate between BASIC scanning (scan on push, basic findings on
    every image) and ENHANCED scanning (continuous, Inspector enabled for ECR,
    Inspector findings on every image, relayed by ECR as enhanced findings). An opt-in region in
    ``size.regions`` is enabled for every account, since the estate lives there.
    Raises ValueError when a repository already exists, for example because the
    server was not reset.
    """
    started = time.perf_counter()
    moment = now or datetime.now(UTC)
    accounts = account_ids(size.accounts, size.seed)
    names = [repository_name(index) for index in range(size.repositories_per_registry)]
    images = 0
    findings = 0
    for visit, (account, region) in enumerate((a, r) for a in accounts for r in size.regions):
        if regions.is_opt_in_region(region):
            state.enable_region(account, region)
        rng = random.Random(f"{size.seed}/{account}/{region}")  # noqa: S311 - test data, not security
        builder = _RegistryBuilder(state, account, region, visit % 2 == 1, rng, moment)
        builder.settings()
        managed_key = moto_bridge.ensure_aws_managed_key(account, region) if names else ""
        for index, name in enumerate(names):
            if moto_bridge.repository(account, region, name) is not None:
                raise ValueError(f"repository {name!r} already exists in {account}/{region}; reset the emulator first")
            builder.repository(index, name, managed_key)
            builder.images_of(name, size.images_per_repository)
        images += builder.images
        findings += builder.findings
    seconds = time.perf_counter() - started
    estate = SizedEstate(
        accounts=accounts,
        regions=tuple(size.regions),
        repository_count=len(accounts) * len(size.regions) * len(names),
        image_count=images,
        finding_count=findings,
        seconds=seconds,
    )
    logger.info(
        "seeded sized estate: %d repositories, %d images, %d findings in %d registries in %.2f s",
        estate.repository_count,
        estate.image_count,
        estate.finding_count,
        len(accounts) * len(size.regions),
        seconds,
    )
    return estate


def parse_regions(text: str) -> tuple[str, ...]:
    """Split a comma-separated region list, dropping blanks and duplicates."""
    names: Sequence[str] = [part.strip() for part in text.split(",") if part.strip()]
    return tuple(dict.fromkeys(names))
