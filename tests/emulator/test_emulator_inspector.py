"""Amazon Inspector (inspector2) through boto3: account status, configuration, findings and their filters."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from auditor.emulator.findings import HEADLINE_PACKAGES, base_image_packages
from auditor.emulator.seed import DEFAULT_ACCOUNT, EstateSeeder
from auditor.emulator.server import EmulatorServer
from auditor.emulator.state import utc_now

REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
OTHER_ACCOUNT = "210987654321"
API = "payments/api"
BASE = "platform/base-images"
BASE_FINDINGS = 30


@pytest.fixture
def findings_estate(seeder: EstateSeeder) -> dict[str, str]:
    """Seed two repositories with Inspector findings; return the image digests by name."""
    now = utc_now()
    seeder.create_repository(DEFAULT_ACCOUNT, REGION, API)
    seeder.create_repository(DEFAULT_ACCOUNT, REGION, BASE)
    old_api = seeder.add_image(DEFAULT_ACCOUNT, REGION, API, tags=["v1"], pushed_at=now - timedelta(days=90))
    api = seeder.add_image(DEFAULT_ACCOUNT, REGION, API, tags=["v2", "latest"], pushed_at=now - timedelta(days=2))
    base = seeder.add_image(DEFAULT_ACCOUNT, REGION, BASE, tags=["bookworm"], pushed_at=now - timedelta(days=30))
    seeder.enable_inspector(DEFAULT_ACCOUNT, REGION)
    seeder.add_inspector_findings(
        DEFAULT_ACCOUNT, REGION, API, api, HEADLINE_PACKAGES, last_in_use_at=now - timedelta(hours=1), in_use_count=2
    )
    seeder.add_inspector_findings(DEFAULT_ACCOUNT, REGION, API, old_api, HEADLINE_PACKAGES[:2], status="CLOSED")
    seeder.add_inspector_findings(
        DEFAULT_ACCOUNT, REGION, BASE, base, base_image_packages()[:BASE_FINDINGS], status="SUPPRESSED"
    )
    return {"api": api, "old_api": old_api, "base": base}


def list_all(client: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return [
        finding for page in client.get_paginator("list_findings").paginate(**kwargs) for finding in page["findings"]
    ]


def equals(value: str) -> list[dict[str, str]]:
    return [{"comparison": "EQUALS", "value": value}]


# -- account status and configuration -------------------------------------------------


def test_account_status_disabled_by_default(seeder: EstateSeeder) -> None:
    response = seeder.inspector(DEFAULT_ACCOUNT, REGION).batch_get_account_status()

    (account,) = response["accounts"]
    assert account["accountId"] == DEFAULT_ACCOUNT
    assert account["state"]["status"] == "DISABLED"
    assert account["resourceState"]["ecr"]["status"] == "DISABLED"
    assert response["failedAccounts"] == []


def test_enable_turns_on_ecr_scanning(seeder: EstateSeeder) -> None:
    inspector = seeder.inspector(DEFAULT_ACCOUNT, REGION)

    enabled = inspector.enable(resourceTypes=["ECR"])
    status = inspector.batch_get_account_status(accountIds=[DEFAULT_ACCOUNT])["accounts"][0]

    assert enabled["accounts"][0]["resourceStatus"]["ecr"] == "ENABLED"
    assert status["state"]["status"] == "ENABLED"
    assert status["resourceState"]["ecr"]["status"] == "ENABLED"
    assert status["resourceState"]["ec2"]["status"] == "DISABLED"


def test_enable_is_per_region(seeder: EstateSeeder) -> None:
    seeder.enable_inspector(DEFAULT_ACCOUNT, REGION)

    other = seeder.inspector(DEFAULT_ACCOUNT, OTHER_REGION).batch_get_account_status()["accounts"][0]

    assert other["resourceState"]["ecr"]["status"] == "DISABLED"


def test_disable_turns_off_ecr_scanning(seeder: EstateSeeder) -> None:
    inspector = seeder.inspector(DEFAULT_ACCOUNT, REGION)
    inspector.enable(resourceTypes=["ECR", "EC2"])

    disabled = inspector.disable(resourceTypes=["ECR"])

    assert disabled["accounts"][0]["resourceStatus"]["ecr"] == "DISABLED"
    assert disabled["accounts"][0]["status"] == "ENABLED"


def test_state_seeds_transitional_status(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    emulator.state.set_inspector_status(DEFAULT_ACCOUNT, REGION, "ECR", "SUSPENDED")

    status = seeder.inspector(DEFAULT_ACCOUNT, REGION).batch_get_account_status()["accounts"][0]

    assert status["resourceState"]["ecr"]["status"] == "SUSPENDED"


def test_other_account_status_fails_without_organization(seeder: EstateSeeder) -> None:
    response = seeder.inspector(DEFAULT_ACCOUNT, REGION).batch_get_account_status(
        accountIds=[DEFAULT_ACCOUNT, OTHER_ACCOUNT]
    )

    assert [account["accountId"] for account in response["accounts"]] == [DEFAULT_ACCOUNT]
    assert response["failedAccounts"][0]["accountId"] == OTHER_ACCOUNT
    assert response["failedAccounts"][0]["errorCode"] == "ACCESS_DENIED"


def test_configuration_defaults_to_14_days(seeder: EstateSeeder) -> None:
    state = seeder.inspector(DEFAULT_ACCOUNT, REGION).get_configuration()["ecrConfiguration"]["rescanDurationState"]

    assert state["rescanDuration"] == "DAYS_14"
    assert state["pullDateRescanDuration"] == "DAYS_14"
    assert state["pullDateRescanMode"] == "LAST_IN_USE_AT"
    assert state["status"] == "SUCCESS"


@pytest.mark.parametrize(
    ("push", "pull", "mode"),
    [("DAYS_30", "DAYS_14", "LAST_IN_USE_AT"), ("DAYS_180", "DAYS_90", "LAST_PULL_DATE"), ("LIFETIME", None, None)],
)
def test_configuration_reads_back_update(seeder: EstateSeeder, push: str, pull: str | None, mode: str | None) -> None:
    seeder.configure_inspector_rescan(
        DEFAULT_ACCOUNT, REGION, push, pull_date_rescan_duration=pull, pull_date_rescan_mode=mode
    )

    state = seeder.inspector(DEFAULT_ACCOUNT, REGION).get_configuration()["ecrConfiguration"]["rescanDurationState"]

    assert state["rescanDuration"] == push
    assert state["pullDateRescanDuration"] == (pull or "DAYS_14")
    assert state["pullDateRescanMode"] == (mode or "LAST_IN_USE_AT")
    assert state["updatedAt"] > utc_now() - timedelta(minutes=1)


def test_configuration_rejects_unknown_duration(seeder: EstateSeeder) -> None:
    inspector = seeder.inspector(DEFAULT_ACCOUNT, REGION)

    with pytest.raises(ClientError) as raised:
        inspector.update_configuration(ecrConfiguration={"rescanDuration": "DAYS_1000"})

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert raised.value.response["reason"] == "FIELD_VALIDATION_FAILED"


# -- ListFindings -------------------------------------------------------------------------


def test_list_findings_returns_every_finding(findings_estate: dict[str, str], seeder: EstateSeeder) -> None:
    findings = list_all(seeder.inspector(DEFAULT_ACCOUNT, REGION))

    assert len(findings) == len(HEADLINE_PACKAGES) + 2 + BASE_FINDINGS


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"resourceType": equals("AWS_ECR_CONTAINER_IMAGE")}, len(HEADLINE_PACKAGES) + 2 + BASE_FINDINGS),
        ({"resourceType": equals("AWS_LAMBDA_FUNCTION")}, 0),
        ({"ecrImageRegistry": equals(DEFAULT_ACCOUNT)}, len(HEADLINE_PACKAGES) + 2 + BASE_FINDINGS),
        ({"ecrImageRegistry": equals(OTHER_ACCOUNT)}, 0),
        ({"ecrImageRepositoryName": equals(API)}, len(HEADLINE_PACKAGES) + 2),
        ({"ecrImageRepositoryName": [{"comparison": "PREFIX", "value": "platform/"}]}, BASE_FINDINGS),
        ({"ecrImageRepositoryName": [{"comparison": "NOT_EQUALS", "value": API}]}, BASE_FINDINGS),
        ({"ecrImageRepositoryName": equals(API) + equals(BASE)}, len(HEADLINE_PACKAGES) + 2 + BASE_FINDINGS),
        ({"findingStatus": equals("ACTIVE")}, len(HEADLINE_PACKAGES)),
        ({"findingStatus": equals("SUPPRESSED")}, BASE_FINDINGS),
        ({"findingStatus": equals("CLOSED")}, 2),
        ({"findingStatus": [{"comparison": "NOT_EQUALS", "value": "CLOSED"}]}, len(HEADLINE_PACKAGES) + BASE_FINDINGS),
        ({"ecrImageRepositoryName": equals(API), "findingStatus": equals("ACTIVE")}, len(HEADLINE_PACKAGES)),
        ({"vulnerabilityId": equals("CVE-2021-44228")}, 1),
        ({"ecrImageTags": equals("latest")}, len(HEADLINE_PACKAGES)),
    ],
    ids=[
        "resource-type", "resource-type-other", "registry", "registry-other", "repository", "repository-prefix",
        "repository-not-equals", "repository-either", "status-active", "status-suppressed", "status-closed",
        "status-not-closed", "repository-and-status", "vulnerability-id", "image-tag",
    ],
)  # fmt: skip
def test_list_findings_filters(
    findings_estate: dict[str, str], seeder: EstateSeeder, criteria: dict[str, Any], expected: int
) -> None:
    findings = list_all(seeder.inspector(DEFAULT_ACCOUNT, REGION), filterCriteria=criteria)

    assert len(findings) == expected


def test_list_findings_filters_by_image_hash(findings_estate: dict[str, str], seeder: EstateSeeder) -> None:
    digest = findings_estate["old_api"]

    findings = list_all(seeder.inspector(DEFAULT_ACCOUNT, REGION), filterCriteria={"ecrImageHash": equals(digest)})

    assert len(findings) == 2
    assert {f["resources"][0]["details"]["awsEcrContainerImage"]["imageHash"] for f in findings} == {digest}
    assert {f["status"] for f in findings} == {"CLOSED"}


def test_list_findings_filters_by_date(findings_estate: dict[str, str], seeder: EstateSeeder) -> None:
    since = utc_now() - timedelta(days=7)

    findings = list_all(
        seeder.inspector(DEFAULT_ACCOUNT, REGION), filterCriteria={"ecrImagePushedAt": [{"startInclusive": since}]}
    )

    assert len(findings) == len(HEADLINE_PACKAGES)


def test_list_findings_pages_with_max_results(findings_estate: dict[str, str], seeder: EstateSeeder) -> None:
    inspector = seeder.inspector(DEFAULT_ACCOUNT, REGION)
    arns: list[str] = []
    pages = 0
    token = None

    while True:
        response = inspector.list_findings(maxResults=7, **({"nextToken": token} if token else {}))
        arns.extend(finding["findingArn"] for finding in response["findings"])
        pages += 1
        token = response.get("nextToken")
        if not token:
            break

    total = len(HEADLINE_PACKAGES) + 2 + BASE_FINDINGS
    assert pages == -(-total // 7)
    assert len(arns) == total
    assert len(set(arns)) == total


def test_list_findings_default_page_is_50(seeder: EstateSeeder) -> None:
    seeder.create_repository(DEFAULT_ACCOUNT, REGION, BASE)
    digest = seeder.add_image(DEFAULT_ACCOUNT, REGION, BASE, tags=["bookworm"])
    seeder.add_inspector_findings(DEFAULT_ACCOUNT, REGION, BASE, digest, base_image_packages())

    first = seeder.inspector(DEFAULT_ACCOUNT, REGION).list_findings()

    assert len(base_image_packages()) > 100
    assert len(first["findings"]) == 50
    assert "nextToken" in first


@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_list_findings_sorts_by_severity(findings_estate: dict[str, str], seeder: EstateSeeder, order: str) -> None:
    rank = {"UNTRIAGED": 0, "INFORMATIONAL": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}

    findings = list_all(
        seeder.inspector(DEFAULT_ACCOUNT, REGION), sortCriteria={"field": "SEVERITY", "sortOrder": order}
    )

    ranks = [rank[finding["severity"]] for finding in findings]
    assert ranks == sorted(ranks, reverse=order == "DESC")
    assert len(set(ranks)) > 2


def test_list_findings_is_per_registry(findings_estate: dict[str, str], seeder: EstateSeeder) -> None:
    other_region = seeder.inspector(DEFAULT_ACCOUNT, OTHER_REGION).list_findings()
    other_account = seeder.inspector(OTHER_ACCOUNT, REGION).list_findings()

    assert other_region["findings"] == []
    assert other_account["findings"] == []


def test_finding_has_realistic_shape(findings_estate: dict[str, str], seeder: EstateSeeder) -> None:
    (finding,) = list_all(
        seeder.inspector(DEFAULT_ACCOUNT, REGION),
        filterCriteria={"vulnerabilityId": equals("CVE-2021-44228")},
    )

    details = finding["packageVulnerabilityDetails"]
    package = details["vulnerablePackages"][0]
    image = finding["resources"][0]["details"]["awsEcrContainerImage"]
    assert details["vulnerabilityId"] == "CVE-2021-44228"
    assert package["name"] == "log4j-core"
    assert package["version"] == "2.14.1"
    assert package["fixedInVersion"] == "2.15.0"
    assert finding["severity"] == "CRITICAL"
    assert finding["status"] == "ACTIVE"
    assert finding["fixAvailable"] == "YES"
    assert finding["exploitAvailable"] == "YES"
    assert finding["firstObservedAt"] <= finding["lastObservedAt"]
    assert image["imageHash"] == findings_estate["api"]
    assert image["repositoryName"] == API
    assert image["lastInUseAt"] > utc_now() - timedelta(days=1)
    assert image["inUseCount"] == 2
    assert finding["findingArn"].startswith(f"arn:aws:inspector2:{REGION}:{DEFAULT_ACCOUNT}:finding/")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"filterCriteria": {"portRange": [{"beginInclusive": 22}]}}, "not supported by the emulator"),
        ({"filterCriteria": {"findingStatus": [{"comparison": "LIKE", "value": "ACT"}]}}, "comparison must be"),
        ({"maxResults": 101}, "maxResults must be between 1 and 100"),
        ({"nextToken": "not-a-token"}, "nextToken"),
        ({"sortCriteria": {"field": "SEVERITY", "sortOrder": "SIDEWAYS"}}, "sortOrder"),
    ],
    ids=["unsupported-filter", "unknown-comparison", "page-too-large", "foreign-token", "sort-order"],
)
def test_list_findings_rejects_invalid_request(seeder: EstateSeeder, kwargs: dict[str, Any], fragment: str) -> None:
    inspector = seeder.inspector(DEFAULT_ACCOUNT, REGION)

    with pytest.raises(ClientError) as raised:
        inspector.list_findings(**kwargs)

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert fragment in raised.value.response["Error"]["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_findings_need_an_existing_image(seeder: EstateSeeder) -> None:
    seeder.create_repository(DEFAULT_ACCOUNT, REGION, API)

    with pytest.raises(LookupError):
        seeder.add_inspector_findings(DEFAULT_ACCOUNT, REGION, API, "sha256:" + "0" * 64, HEADLINE_PACKAGES[:1])


def test_other_inspector_operations_reach_moto(seeder: EstateSeeder) -> None:
    inspector = seeder.inspector(DEFAULT_ACCOUNT, REGION)

    inspector.create_filter(
        name="suppress-base", action="SUPPRESS", filterCriteria={"ecrImageRepositoryName": equals(BASE)}
    )

    assert [f["name"] for f in inspector.list_filters()["filters"]] == ["suppress-base"]
