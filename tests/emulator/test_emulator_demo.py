"""The demo estate: size, spread, determinism and the cases it promises, read back over HTTP."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from auditor.emulator.demo_estate import DemoEstate, seed_demo_estate
from auditor.emulator.seed import EstateSeeder
from auditor.emulator.server import EmulatorServer
from auditor.emulator.wire import model_enum

ACCOUNTS = ("123456789012", "210987654321")
REGIONS = ("us-east-1", "eu-west-1")


@pytest.fixture(scope="module")
def demo_server(emulator_server: EmulatorServer) -> EmulatorServer:
    """The session's server, reset once for this module; its tests only read the estate."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture(scope="module")
def demo(demo_server: EmulatorServer) -> tuple[DemoEstate, float]:
    started = time.monotonic()
    estate = seed_demo_estate(demo_server)
    return estate, time.monotonic() - started


def ecr_for(emulator: EmulatorServer, account: str, region: str) -> Any:
    return EstateSeeder(emulator).ecr(account, region)


def split(resource: str) -> tuple[str, str, str, str]:
    account, region, kind, name = resource.split("/", 3)
    return account, region, kind, name


def test_demo_has_100_repositories_in_every_registry(
    demo_server: EmulatorServer, demo: tuple[DemoEstate, float]
) -> None:
    estate, _ = demo
    seeder = EstateSeeder(demo_server)

    counted = {
        (account, region): len(
            [r for page in seeder.ecr(account, region).get_paginator("describe_repositories").paginate()
             for r in page["repositories"]]
        )
        for account in ACCOUNTS
        for region in REGIONS
    }  # fmt: skip

    assert estate.repository_count >= 100
    assert estate.trusted_accounts == ACCOUNTS
    assert estate.role_name == "OrganizationAccountAccessRole"
    assert counted == {key: len(names) for key, names in estate.repositories.items()}
    assert sum(counted.values()) == estate.repository_count
    assert all(count >= 12 for count in counted.values())


def test_demo_seeds_in_a_few_seconds(demo: tuple[DemoEstate, float]) -> None:
    _, seconds = demo

    assert seconds < 10


def test_demo_marks_every_case(demo: tuple[DemoEstate, float]) -> None:
    estate, _ = demo
    expected = {
        "public_registry_policy", "org_restricted_registry_policy", "fail_open_registry_policy",
        "no_registry_policy", "v1_policy_scope", "public_repository_policy",
        "cross_account_repository_policy", "org_restricted_repository_policy",
        "fail_open_repository_policy", "malformed_repository_policy", "invalid_lifecycle_policy",
        "lifecycle_keeps_tagged", "no_lifecycle_policy", "aws_managed_key", "customer_managed_key",
        "aes256_encryption", "mutability_mutable", "mutability_immutable",
        "mutability_mutable_with_exclusion", "mutability_immutable_with_exclusion",
        "untagged_repository", "ptc_without_credential", "ptc_bad_secret_name", "ptc_invalid",
        "ptc_ecr_without_role", "template_public_policy", "template_missing_role",
        "template_empty_applied_for", "archived_image", "signature_artifact", "sbom_referrer",
        "paginated_findings", "complete_without_findings", "signing_failed", "unsigned_image",
        "enhanced_scanning_with_gaps", "basic_scanning_legacy_flags",
        "replication_untrusted_destination", "inspector_enabled", "inspector_disabled",
        "inspector_lifetime_rescan", "inspector_findings", "skipped_region",
    }  # fmt: skip
    expected |= {f"scan_status_{status.lower()}" for status in model_enum("ScanStatus")}

    missing = expected - set(estate.markers)

    assert missing == set()


def test_demo_scan_statuses_read_back(demo_server: EmulatorServer, demo: tuple[DemoEstate, float]) -> None:
    estate, _ = demo

    reported = set()
    for status in model_enum("ScanStatus"):
        account, region, _, image = split(estate.markers[f"scan_status_{status.lower()}"][0])
        repository, digest = image.split("@")
        response = ecr_for(demo_server, account, region).describe_image_scan_findings(
            repositoryName=repository, imageId={"imageDigest": digest}
        )
        reported.add(response["imageScanStatus"]["status"])

    assert reported == set(model_enum("ScanStatus"))


def test_demo_invalid_lifecycle_and_v1_scope_read_back(
    demo_server: EmulatorServer, demo: tuple[DemoEstate, float]
) -> None:
    estate, _ = demo
    account, region, _, repository = split(estate.markers["invalid_lifecycle_policy"][0])
    scope_account, scope_region, _, _ = split(estate.markers["v1_policy_scope"][0])

    text = ecr_for(demo_server, account, region).get_lifecycle_policy(repositoryName=repository)["lifecyclePolicyText"]
    scope = ecr_for(demo_server, scope_account, scope_region).get_account_setting(name="REGISTRY_POLICY_SCOPE")

    with pytest.raises(ValueError):
        json.loads(text)
    assert scope["value"] == "V1"


def test_demo_enhanced_registry_leaves_repositories_unscanned(
    demo_server: EmulatorServer, demo: tuple[DemoEstate, float]
) -> None:
    estate, _ = demo
    account, region, _, _ = split(estate.markers["enhanced_scanning_with_gaps"][0])
    names = estate.repositories[(account, region)]
    ecr = ecr_for(demo_server, account, region)

    frequencies: dict[str, str] = {}
    for start in range(0, len(names), 25):
        response = ecr.batch_get_repository_scanning_configuration(repositoryNames=names[start : start + 25])
        frequencies.update({c["repositoryName"]: c["scanFrequency"] for c in response["scanningConfigurations"]})

    assert frequencies["prod-checkout"] == "CONTINUOUS_SCAN"
    assert frequencies["team-prod"] == "MANUAL"
    assert set(frequencies.values()) >= {"CONTINUOUS_SCAN", "MANUAL"}


def test_demo_skips_an_opt_in_region(demo_server: EmulatorServer, demo: tuple[DemoEstate, float]) -> None:
    estate, _ = demo
    seeder = EstateSeeder(demo_server)

    for account in ACCOUNTS:
        statuses = {
            entry["RegionName"]: entry["RegionOptStatus"]
            for entry in seeder.client("account", account).list_regions()["Regions"]
        }
        ecr = boto3.client(
            "ecr",
            region_name="af-south-1",
            endpoint_url=demo_server.endpoint_url,
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
            **seeder.credentials(account),
        )
        with pytest.raises(ClientError) as raised:
            ecr.describe_repositories()

        assert statuses["af-south-1"] == "DISABLED"
        assert statuses["us-east-1"] == "ENABLED_BY_DEFAULT"
        assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert estate.skipped_regions == ("af-south-1",)
    assert len(estate.markers["skipped_region"]) == len(ACCOUNTS)


def test_demo_inspector_status_and_rescan(demo_server: EmulatorServer, demo: tuple[DemoEstate, float]) -> None:
    estate, _ = demo
    seeder = EstateSeeder(demo_server)
    durations = set()

    for marker, expected in (("inspector_enabled", "ENABLED"), ("inspector_disabled", "DISABLED")):
        for resource in estate.markers[marker]:
            account, region, _, _ = split(resource)
            inspector = seeder.inspector(account, region)
            status = inspector.batch_get_account_status()["accounts"][0]["resourceState"]["ecr"]["status"]
            assert status == expected, resource
            if expected == "ENABLED":
                state = inspector.get_configuration()["ecrConfiguration"]["rescanDurationState"]
                durations.add((state["rescanDuration"], state["pullDateRescanDuration"]))

    assert durations == {("DAYS_30", "DAYS_14"), ("LIFETIME", "DAYS_180")}


def test_demo_inspector_findings_on_latest_images(demo_server: EmulatorServer, demo: tuple[DemoEstate, float]) -> None:
    estate, _ = demo
    seeder = EstateSeeder(demo_server)
    images = estate.markers["inspector_findings"]

    for resource in images:
        account, region, _, image = split(resource)
        repository, digest = image.split("@")
        inspector = seeder.inspector(account, region)
        findings = [
            finding
            for page in inspector.get_paginator("list_findings").paginate(
                filterCriteria={"ecrImageHash": [{"comparison": "EQUALS", "value": digest}]}
            )
            for finding in page["findings"]
        ]
        detail = seeder.ecr(account, region).describe_images(
            repositoryName=repository, imageIds=[{"imageDigest": digest}]
        )

        assert findings, resource
        assert "latest" in detail["imageDetails"][0]["imageTags"]
        for finding in findings:
            assert re.fullmatch(r"CVE-\d{4}-\d{4,}", finding["packageVulnerabilityDetails"]["vulnerabilityId"])
            assert finding["resources"][0]["details"]["awsEcrContainerImage"]["repositoryName"] == repository
    assert len(images) >= 4


def test_demo_rejects_skipped_region_as_audited_region(demo_server: EmulatorServer) -> None:
    with pytest.raises(ValueError, match="af-south-1"):
        seed_demo_estate(demo_server, regions=("us-east-1", "af-south-1"))


def test_demo_rejects_too_few_repositories(demo_server: EmulatorServer) -> None:
    with pytest.raises(ValueError, match="at least 12"):
        seed_demo_estate(demo_server, repositories_per_registry=5)


def test_demo_is_deterministic(demo_server: EmulatorServer, demo: tuple[DemoEstate, float]) -> None:
    # Runs last in this module: it reseeds the server (with the same estate).
    first, _ = demo
    demo_server.reset()

    second = seed_demo_estate(demo_server)

    assert second.repositories == first.repositories
    assert second.image_count == first.image_count
    assert second.markers == first.markers
