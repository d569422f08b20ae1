"""Server mode (``python -m auditor.emulator serve``) in a subprocess, and bulk seeding of sized estates."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import boto3
import pytest

from auditor.emulator.seed import DEFAULT_ACCOUNT, EstateSeeder
from auditor.emulator.server import EmulatorServer
from auditor.emulator.sized_estate import EstateSize, account_ids, repository_name, seed_sized_estate

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
SERVE_ARGS = [
    "--port", "0", "--accounts", "2", "--regions", "us-east-1,af-south-1",
    "--repositories", "5", "--images", "2", "--seed", "3", "--latency-ms", "5",
]  # fmt: skip
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """Return the first line the process writes to stdout, or fail after `timeout` seconds."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            pytest.fail(f"the emulator printed no endpoint within {timeout} s")
    return process.stdout.readline().strip()


def start_serve(*args: str) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if key != "MOTO_ACCOUNT_ID"}
    return subprocess.Popen(
        [sys.executable, "-m", "auditor.emulator", "serve", *args],
        cwd=REPOSITORY_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A serve process with a small estate, and its endpoint URL; killed by PID if a test leaves it running."""
    process = start_serve(*SERVE_ARGS)
    try:
        yield process, read_line(process, STARTUP_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=STOP_TIMEOUT_S)


def client(endpoint: str, service: str, region: str = "us-east-1", **credentials: str) -> Any:
    keys = credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, region_name=region, endpoint_url=endpoint, **keys)  # type: ignore[call-overload]


def repository_count(ecr: Any) -> int:
    return sum(len(page["repositories"]) for page in ecr.get_paginator("describe_repositories").paginate())


def test_serve_prints_loopback_endpoint(served: tuple[subprocess.Popen[str], str]) -> None:
    _, endpoint = served

    with urlopen(f"{endpoint}/_emulator/health", timeout=5) as response:  # noqa: S310 - loopback URL
        health = json.loads(response.read())

    assert endpoint.startswith("http://127.0.0.1:")
    assert health == {"status": "ok"}


def test_serve_seeds_every_account_and_region(served: tuple[subprocess.Popen[str], str]) -> None:
    _, endpoint = served
    second = account_ids(2, 3)[1]
    issued = client(endpoint, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{second}:role/OrganizationAccountAccessRole", RoleSessionName="ecr-auditor"
    )["Credentials"]
    assumed = {
        "aws_access_key_id": issued["AccessKeyId"],
        "aws_secret_access_key": issued["SecretAccessKey"],
        "aws_session_token": issued["SessionToken"],
    }

    counts = {
        (DEFAULT_ACCOUNT, "us-east-1"): repository_count(client(endpoint, "ecr")),
        (DEFAULT_ACCOUNT, "af-south-1"): repository_count(client(endpoint, "ecr", "af-south-1")),
        (second, "us-east-1"): repository_count(client(endpoint, "ecr", **assumed)),
        (second, "af-south-1"): repository_count(client(endpoint, "ecr", "af-south-1", **assumed)),
    }
    regions = {r["RegionName"]: r["RegionOptStatus"] for r in client(endpoint, "account").list_regions()["Regions"]}

    assert set(counts.values()) == {5}
    assert regions["af-south-1"] == "ENABLED"
    assert regions["me-south-1"] == "DISABLED"


def test_serve_answers_concurrent_requests(served: tuple[subprocess.Popen[str], str]) -> None:
    _, endpoint = served
    ecr = client(endpoint, "ecr")
    names = [repository_name(index) for index in range(5)] * 6

    with ThreadPoolExecutor(max_workers=12) as pool:
        counts = list(pool.map(lambda name: len(ecr.describe_images(repositoryName=name)["imageDetails"]), names))

    assert counts == [2] * len(names)


def test_serve_takes_faults_from_control_endpoint(served: tuple[subprocess.Popen[str], str]) -> None:
    _, endpoint = served
    plan = {"transient": [{"kind": "server_error", "rate": 1.0, "operations": ["DescribeRegistry"]}]}
    request = f"{endpoint}/_emulator/faults"

    with urlopen(request, data=json.dumps(plan).encode(), timeout=5) as response:  # noqa: S310 - loopback URL
        status = response.status
    retried = client(endpoint, "ecr").describe_registry()

    assert status == 200
    # The default plan bound (two failures in a row) fits botocore's default three attempts.
    assert retried["ResponseMetadata"]["RetryAttempts"] == 2


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_on_signal(served: tuple[subprocess.Popen[str], str], stop_signal: signal.Signals) -> None:
    process, endpoint = served

    process.send_signal(stop_signal)
    returncode = process.wait(timeout=STOP_TIMEOUT_S)
    _, stderr = process.communicate(timeout=STOP_TIMEOUT_S)

    assert returncode == 0
    assert f"received {stop_signal.name}, stopping" in stderr
    assert f"emulator at {endpoint} stopped" in stderr


def test_serve_rejects_non_loopback_host() -> None:
    process = start_serve("--host", "0.0.0.0", "--repositories", "1")  # noqa: S104 - rejected on purpose

    stdout, stderr = process.communicate(timeout=STARTUP_TIMEOUT_S)

    assert process.returncode == 2
    assert stdout == ""
    assert "loopback" in stderr


# -- sized estates in process ----------------------------------------------------------------


def test_seeding_1000_repositories(emulator: EmulatorServer) -> None:
    size = EstateSize(
        accounts=2, regions=("us-east-1", "eu-west-1"), repositories_per_registry=250, images_per_repository=2
    )

    estate = seed_sized_estate(emulator.state, size)

    print(f"seeded {estate.repository_count} repositories and {estate.image_count} images in {estate.seconds:.2f} s")
    seeder = EstateSeeder(emulator)
    assert estate.repository_count == 1000
    assert estate.image_count == 2000
    assert repository_count(seeder.ecr(DEFAULT_ACCOUNT, "us-east-1")) == 250
    assert repository_count(seeder.ecr(estate.accounts[1], "eu-west-1")) == 250


def test_sized_estate_reads_back_over_http(emulator: EmulatorServer) -> None:
    size = EstateSize(
        accounts=1, regions=("us-east-1", "eu-west-1"), repositories_per_registry=8, images_per_repository=3
    )
    estate = seed_sized_estate(emulator.state, size)
    seeder = EstateSeeder(emulator)
    name = repository_name(2)

    images = seeder.ecr(DEFAULT_ACCOUNT, "us-east-1").describe_images(repositoryName=name)["imageDetails"]
    repository = seeder.ecr(DEFAULT_ACCOUNT, "us-east-1").describe_repositories(repositoryNames=[name])
    scanning = seeder.ecr(DEFAULT_ACCOUNT, "eu-west-1").get_registry_scanning_configuration()
    inspector = seeder.inspector(DEFAULT_ACCOUNT, "eu-west-1").batch_get_account_status()["accounts"][0]

    assert estate.finding_count > 0
    assert len(images) == 3
    assert sum("latest" in image.get("imageTags", []) for image in images) == 1
    assert repository["repositories"][0]["encryptionConfiguration"]["encryptionType"] == "KMS"
    assert scanning["scanningConfiguration"]["scanType"] == "ENHANCED"
    assert inspector["resourceState"]["ecr"]["status"] == "ENABLED"


def test_sized_estate_is_deterministic(emulator: EmulatorServer) -> None:
    size = EstateSize(accounts=3, regions=("us-east-1",), repositories_per_registry=6, images_per_repository=2, seed=9)
    first = seed_sized_estate(emulator.state, size)
    digests = [
        image.digest for image in emulator.state.repository_extras(DEFAULT_ACCOUNT, "us-east-1", "payments/api").images
    ]

    emulator.reset()
    second = seed_sized_estate(emulator.state, size)
    again = [
        image.digest for image in emulator.state.repository_extras(DEFAULT_ACCOUNT, "us-east-1", "payments/api").images
    ]

    assert first.accounts == second.accounts
    assert (first.image_count, first.finding_count) == (second.image_count, second.finding_count)
    assert digests == again


def test_sized_estate_refuses_existing_repository(emulator: EmulatorServer) -> None:
    size = EstateSize(accounts=1, regions=("us-east-1",), repositories_per_registry=2, images_per_repository=1)
    seed_sized_estate(emulator.state, size)

    with pytest.raises(ValueError, match="already exists"):
        seed_sized_estate(emulator.state, size)


@pytest.mark.parametrize(
    ("index", "name"),
    [(0, "payments/api"), (1, "checkout/api"), (15, "payments/worker"), (180, "payments/api-1")],
)
def test_repository_names_are_valid_and_distinct(index: int, name: str) -> None:
    names = [repository_name(i) for i in range(400)]

    assert repository_name(index) == name
    assert len(set(names)) == 400
