"""The emulator server: endpoint, request ids, latency, reset and loopback binding."""

from __future__ import annotations

import time
import uuid
from urllib.request import Request, urlopen

import pytest

from auditor.emulator.seed import DEFAULT_ACCOUNT, EstateSeeder
from auditor.emulator.server import EmulatorServer

REGION = "us-east-1"


def test_endpoint_is_loopback_http(emulator: EmulatorServer) -> None:
    assert emulator.endpoint_url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "example.com"])  # noqa: S104 - rejected on purpose
def test_non_loopback_host_is_rejected(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        EmulatorServer(host=host)


def test_layer_answer_carries_request_id(seeder: EstateSeeder) -> None:
    response = seeder.ecr(DEFAULT_ACCOUNT, REGION).describe_registry()

    request_id = response["ResponseMetadata"]["RequestId"]

    assert str(uuid.UUID(request_id)) == request_id


def test_unsigned_request_gets_json_error(emulator: EmulatorServer) -> None:
    request = Request(
        emulator.endpoint_url,
        data=b"{}",
        headers={
            "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.GetAccountSetting",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )

    with pytest.raises(Exception) as raised:  # noqa: B017 - urllib raises HTTPError for 400
        urlopen(request, timeout=5)  # noqa: S310 - loopback URL built by the test

    body = raised.value.read()  # type: ignore[attr-defined]
    assert raised.value.code == 400  # type: ignore[attr-defined]
    assert b'"__type": "ValidationException"' in body


def test_latency_delays_layer_and_moto_requests(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    arn = seeder.create_repository(DEFAULT_ACCOUNT, REGION, "web/frontend")["repositoryArn"]
    ecr = seeder.ecr(DEFAULT_ACCOUNT, REGION)
    emulator.latency_ms = 80
    try:
        started = time.monotonic()
        ecr.describe_registry()
        layer_seconds = time.monotonic() - started
        started = time.monotonic()
        ecr.list_tags_for_resource(resourceArn=arn)
        moto_seconds = time.monotonic() - started
    finally:
        emulator.latency_ms = 0

    assert layer_seconds >= 0.08
    assert moto_seconds >= 0.08


def test_reset_clears_moto_and_layer(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    seeder.create_repository(DEFAULT_ACCOUNT, REGION, "web/frontend")
    seeder.put_registry_policy(
        DEFAULT_ACCOUNT,
        REGION,
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]},
    )
    seeder.credentials("210987654321")
    generation = emulator.generation

    emulator.reset()

    ecr = seeder.ecr(DEFAULT_ACCOUNT, REGION)
    assert ecr.describe_repositories()["repositories"] == []
    with pytest.raises(ecr.exceptions.RegistryPolicyNotFoundException):
        ecr.get_registry_policy()
    assert emulator.generation == generation + 1
    # The seeder notices the reset and assumes the role again.
    identity = seeder.client("sts", "210987654321").get_caller_identity()
    assert identity["Account"] == "210987654321"


def test_stop_and_start_again() -> None:
    server = EmulatorServer()
    first = server.start()
    server.stop()

    second = server.start()
    try:
        with urlopen(f"{second}/moto-api/data.json", timeout=5) as response:  # noqa: S310
            status = response.status
    finally:
        server.stop()

    assert first.startswith("http://127.0.0.1:")
    assert status == 200
