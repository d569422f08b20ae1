"""Opt-in regions: Account Management's ListRegions, and calls into regions an account has not enabled."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from auditor.emulator import regions
from auditor.emulator.seed import DEFAULT_ACCOUNT, EstateSeeder
from auditor.emulator.server import EmulatorServer

OTHER_ACCOUNT = "210987654321"
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def all_regions(client: Any, **kwargs: Any) -> list[dict[str, str]]:
    return [region for page in client.get_paginator("list_regions").paginate(**kwargs) for region in page["Regions"]]


def status_by_region(client: Any, **kwargs: Any) -> dict[str, str]:
    return {entry["RegionName"]: entry["RegionOptStatus"] for entry in all_regions(client, **kwargs)}


# -- ListRegions -----------------------------------------------------------------------


def test_list_regions_covers_the_partition(seeder: EstateSeeder) -> None:
    account = seeder.client("account")

    listed = status_by_region(account)

    assert sorted(listed) == sorted(regions.partition_regions())
    assert len(listed) >= 34
    assert sum(status == "ENABLED_BY_DEFAULT" for status in listed.values()) == 17


@pytest.mark.parametrize(
    ("region", "status"),
    [
        ("us-east-1", "ENABLED_BY_DEFAULT"),
        ("eu-west-1", "ENABLED_BY_DEFAULT"),
        ("ap-northeast-3", "ENABLED_BY_DEFAULT"),
        ("af-south-1", "DISABLED"),
        ("ap-east-1", "DISABLED"),
        ("me-south-1", "DISABLED"),
        ("eu-south-1", "DISABLED"),
    ],
)
def test_list_regions_default_status(seeder: EstateSeeder, region: str, status: str) -> None:
    listed = status_by_region(seeder.client("account"))

    assert listed[region] == status


@pytest.mark.parametrize(
    ("state_status", "listed_status"),
    [("ENABLED", "ENABLED"), ("ENABLING", "ENABLING"), ("DISABLING", "DISABLING"), ("DISABLED", "DISABLED")],
)
def test_list_regions_reports_seeded_status(
    emulator: EmulatorServer, seeder: EstateSeeder, state_status: str, listed_status: str
) -> None:
    emulator.state.set_region_status(DEFAULT_ACCOUNT, "me-south-1", state_status)

    listed = status_by_region(seeder.client("account"))

    assert listed["me-south-1"] == listed_status


@pytest.mark.parametrize(
    ("filter_statuses", "expected_count"),
    [
        (["ENABLED_BY_DEFAULT"], 17),
        (["ENABLED"], 2),
        (["DISABLED"], len(regions.opt_in_regions()) - 2),
        (["ENABLED", "ENABLED_BY_DEFAULT"], 19),
        (["ENABLING", "DISABLING"], 0),
    ],
)
def test_list_regions_filters_by_status(
    emulator: EmulatorServer, seeder: EstateSeeder, filter_statuses: list[str], expected_count: int
) -> None:
    emulator.state.enable_region(DEFAULT_ACCOUNT, "af-south-1")
    emulator.state.enable_region(DEFAULT_ACCOUNT, "eu-south-1")

    listed = all_regions(seeder.client("account"), RegionOptStatusContains=filter_statuses)

    assert len(listed) == expected_count
    assert {entry["RegionOptStatus"] for entry in listed} <= set(filter_statuses)


def test_list_regions_pages_with_max_results(seeder: EstateSeeder) -> None:
    account = seeder.client("account")
    names: list[str] = []
    pages = 0
    token = None

    while True:
        response = account.list_regions(MaxResults=5, **({"NextToken": token} if token else {}))
        names.extend(entry["RegionName"] for entry in response["Regions"])
        pages += 1
        assert len(response["Regions"]) <= 5
        token = response.get("NextToken")
        if not token:
            break

    total = len(regions.partition_regions())
    assert pages == -(-total // 5)
    assert names == list(regions.partition_regions())


def test_list_regions_without_max_results_is_one_page(seeder: EstateSeeder) -> None:
    response = seeder.client("account").list_regions()

    assert len(response["Regions"]) == len(regions.partition_regions())
    assert "NextToken" not in response


@pytest.mark.parametrize(
    "kwargs",
    [{"MaxResults": 51}, {"NextToken": "not-a-token"}, {"RegionOptStatusContains": ["SOMETIMES"]}],
    ids=["max-results-over-50", "foreign-token", "unknown-status"],
)
def test_list_regions_rejects_invalid_request(seeder: EstateSeeder, kwargs: dict[str, Any]) -> None:
    account = seeder.client("account")

    with pytest.raises(ClientError) as raised:
        account.list_regions(**kwargs)

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_region_status_is_per_account(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    emulator.state.enable_region(OTHER_ACCOUNT, "ap-east-1")

    mine = status_by_region(seeder.client("account", DEFAULT_ACCOUNT))
    theirs = status_by_region(seeder.client("account", OTHER_ACCOUNT))

    assert mine["ap-east-1"] == "DISABLED"
    assert theirs["ap-east-1"] == "ENABLED"


def test_list_regions_for_member_from_management_account(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    organizations = seeder.client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    created = organizations.create_account(Email="member@example.com", AccountName="member")
    member = created["CreateAccountStatus"]["AccountId"]
    emulator.state.enable_region(member, "il-central-1")

    listed = status_by_region(seeder.client("account"), AccountId=member)

    assert listed["il-central-1"] == "ENABLED"


@pytest.mark.parametrize(
    ("caller", "target", "code"),
    [
        (DEFAULT_ACCOUNT, OTHER_ACCOUNT, "AccessDeniedException"),
        (OTHER_ACCOUNT, DEFAULT_ACCOUNT, "AccessDeniedException"),
    ],
    ids=["no-organization", "not-management-account"],
)
def test_list_regions_for_other_account_is_denied(seeder: EstateSeeder, caller: str, target: str, code: str) -> None:
    account = seeder.client("account", caller)

    with pytest.raises(ClientError) as raised:
        account.list_regions(AccountId=target)

    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_management_account_cannot_name_itself(seeder: EstateSeeder) -> None:
    seeder.client("organizations").create_organization(FeatureSet="ALL")

    with pytest.raises(ClientError) as raised:
        seeder.client("account").list_regions(AccountId=DEFAULT_ACCOUNT)

    assert raised.value.response["Error"]["Code"] == "ValidationException"


# -- calls into a disabled region --------------------------------------------------


def regional_call(seeder: EstateSeeder, service: str, region: str) -> Any:
    """Call one read operation of `service` in `region` without retries."""
    client = boto3.client(
        service,  # type: ignore[call-overload]
        region_name=region,
        endpoint_url=seeder.endpoint_url,
        config=NO_RETRIES,
        **seeder.credentials(DEFAULT_ACCOUNT),
    )
    calls = {
        "ecr": lambda: client.describe_repositories(),
        "kms": lambda: client.list_keys(),
        "inspector2": lambda: client.list_findings(),
    }
    return calls[service]()


@pytest.mark.parametrize(
    ("service", "status"),
    [("ecr", 400), ("kms", 400), ("inspector2", 403)],
)
@pytest.mark.parametrize("region", ["af-south-1", "me-south-1", "ap-east-1"])
def test_disabled_region_rejects_credentials(seeder: EstateSeeder, service: str, status: int, region: str) -> None:
    with pytest.raises(ClientError) as raised:
        regional_call(seeder, service, region)

    error = raised.value.response["Error"]
    assert error["Code"] == "UnrecognizedClientException"
    assert error["Message"] == "The security token included in the request is invalid."
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


@pytest.mark.parametrize("service", ["ecr", "kms", "inspector2"])
def test_enabled_region_accepts_calls(emulator: EmulatorServer, seeder: EstateSeeder, service: str) -> None:
    emulator.state.enable_region(DEFAULT_ACCOUNT, "af-south-1")

    response = regional_call(seeder, service, "af-south-1")

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize("status", ["ENABLING", "DISABLING"])
def test_region_in_transition_rejects_calls(emulator: EmulatorServer, seeder: EstateSeeder, status: str) -> None:
    emulator.state.set_region_status(DEFAULT_ACCOUNT, "af-south-1", status)

    with pytest.raises(ClientError) as raised:
        regional_call(seeder, "ecr", "af-south-1")

    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_enabling_region_for_one_account_leaves_others_disabled(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    emulator.state.enable_region(OTHER_ACCOUNT, "af-south-1")
    theirs = seeder.ecr(OTHER_ACCOUNT, "af-south-1")

    listed = theirs.describe_repositories()["repositories"]
    with pytest.raises(ClientError) as raised:
        regional_call(seeder, "ecr", "af-south-1")

    assert listed == []
    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_disabled_region_does_not_block_sts(seeder: EstateSeeder) -> None:
    sts = seeder.client("sts", DEFAULT_ACCOUNT, "af-south-1")

    identity = sts.get_caller_identity()

    assert identity["Account"] == DEFAULT_ACCOUNT


@pytest.mark.parametrize(
    ("region", "status"),
    [("us-east-1", "ENABLED"), ("af-south-1", "ENABLED_BY_DEFAULT"), ("af-south-1", "ON")],
    ids=["default-region", "default-status", "unknown-status"],
)
def test_set_region_status_rejects_invalid_input(emulator: EmulatorServer, region: str, status: str) -> None:
    with pytest.raises(ValueError):
        emulator.state.set_region_status(DEFAULT_ACCOUNT, region, status)


def test_reset_disables_enabled_regions(emulator: EmulatorServer) -> None:
    emulator.state.enable_region(DEFAULT_ACCOUNT, "af-south-1")

    emulator.reset()

    assert emulator.state.region_status(DEFAULT_ACCOUNT, "af-south-1") == "DISABLED"
