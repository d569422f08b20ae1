"""Request counts by (service, operation) at GET and DELETE /_emulator/stats."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from botocore.exceptions import ClientError

from auditor.emulator.seed import DEFAULT_ACCOUNT, EstateSeeder
from auditor.emulator.server import EmulatorServer

REGION = "us-east-1"


def stats(emulator: EmulatorServer, method: str = "GET") -> tuple[int, Any]:
    request = Request(f"{emulator.endpoint_url}/_emulator/stats", method=method)
    try:
        with urlopen(request, timeout=5) as response:  # noqa: S310 - loopback URL of the test server
            return response.status, json.loads(response.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


def counts(document: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(entry["service"], entry["operation"]): entry["count"] for entry in document["operations"]}


def method_name(operation: str) -> str:
    """Turn an operation name such as GetRegistryPolicy into boto3's method name get_registry_policy."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


@pytest.fixture
def zeroed(emulator: EmulatorServer) -> EmulatorServer:
    """The emulator with its request counts reset, so earlier tests' requests do not show."""
    status, _ = stats(emulator, "DELETE")
    assert status == 200
    return emulator


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        ({"ecr:DescribeRepositories": 2}, {("ecr", "DescribeRepositories"): 2}),
        (
            {"ecr:GetRegistryPolicy": 1, "sts:GetCallerIdentity": 3},
            {("ecr", "GetRegistryPolicy"): 1, ("sts", "GetCallerIdentity"): 3},
        ),
        (
            {"inspector2:BatchGetAccountStatus": 1, "kms:ListKeys": 2},
            {("inspector2", "BatchGetAccountStatus"): 1, ("kms", "ListKeys"): 2},
        ),
    ],
    ids=["one-operation", "error-responses-count", "layer-and-moto-services"],
)
def test_stats_counts_by_operation(
    zeroed: EmulatorServer, seeder: EstateSeeder, calls: dict[str, int], expected: dict[tuple[str, str], int]
) -> None:
    clients = {
        "ecr": seeder.ecr(DEFAULT_ACCOUNT, REGION),
        "sts": seeder.client("sts", DEFAULT_ACCOUNT, REGION),
        "inspector2": seeder.inspector(DEFAULT_ACCOUNT, REGION),
        "kms": seeder.client("kms", DEFAULT_ACCOUNT, REGION),
    }
    for call, times in calls.items():
        service, operation = call.split(":")
        method = getattr(clients[service], method_name(operation))
        for _ in range(times):
            try:
                method()
            except ClientError:
                pass  # an error response is still a request that reached the server

    status, document = stats(zeroed)

    assert status == 200
    assert counts(document) == expected
    assert document["total"] == sum(expected.values())


def test_stats_times_first_and_last_request(zeroed: EmulatorServer, seeder: EstateSeeder) -> None:
    ecr = seeder.ecr(DEFAULT_ACCOUNT, REGION)
    before = time.time()

    ecr.describe_registry()
    ecr.describe_registry()
    after = time.time()
    _, document = stats(zeroed)

    assert document["since"] <= before
    assert before <= document["first_request_at"] <= document["last_request_at"] <= after


def test_stats_are_empty_after_delete(zeroed: EmulatorServer, seeder: EstateSeeder) -> None:
    seeder.ecr(DEFAULT_ACCOUNT, REGION).describe_registry()

    status, emptied = stats(zeroed, "DELETE")
    _, read_back = stats(zeroed)

    assert status == 200
    assert emptied["total"] == 0
    assert emptied["operations"] == []
    assert emptied["first_request_at"] is None
    assert read_back["total"] == 0


def test_stats_leave_out_control_requests(zeroed: EmulatorServer) -> None:
    with urlopen(f"{zeroed.endpoint_url}/_emulator/health", timeout=5) as response:  # noqa: S310 - loopback URL
        assert response.status == 200

    _, document = stats(zeroed)

    assert document["total"] == 0


def test_stats_count_concurrent_requests_exactly(zeroed: EmulatorServer, seeder: EstateSeeder) -> None:
    ecr = seeder.ecr(DEFAULT_ACCOUNT, REGION)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: ecr.describe_registry(), range(40)))
    _, document = stats(zeroed)

    assert counts(document) == {("ecr", "DescribeRegistry"): 40}


def test_stats_count_unsigned_requests(zeroed: EmulatorServer) -> None:
    request = Request(f"{zeroed.endpoint_url}/", method="GET")
    try:
        with urlopen(request, timeout=5):  # noqa: S310 - loopback URL of the test server
            pass
    except HTTPError:
        pass  # moto's answer to an unsigned request does not matter here, only that it was counted

    _, document = stats(zeroed)

    assert counts(document) == {("unsigned", "GET"): 1}


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_stats_reject_other_methods(zeroed: EmulatorServer, method: str) -> None:
    status, error = stats(zeroed, method)

    assert status == 405
    assert "use GET or DELETE" in error["message"]
