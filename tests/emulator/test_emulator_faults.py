"""Fault injection: seeded transient failures, AccessDenied targeting, AssumeRole denial, control endpoint."""

from __future__ import annotations

import json
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from auditor.emulator.faults import (
    AccessDenial,
    AssumeRoleDenial,
    CallFilter,
    FaultPlan,
    TransientFault,
)
from auditor.emulator.seed import DEFAULT_ACCOUNT, EstateSeeder
from auditor.emulator.server import EmulatorServer

REGION = "us-east-1"
OTHER_ACCOUNT = "210987654321"
REPOSITORIES = [f"team{i:02d}/api" for i in range(40)]


def ecr_client(seeder: EstateSeeder, account: str = DEFAULT_ACCOUNT, total_attempts: int = 1) -> Any:
    """Return an ECR client that makes at most `total_attempts` attempts per call.

    botocore sleeps between retries (up to 1 s before the first, 2 s before the
    second), so tests that let it retry make only a few calls.
    """
    return boto3.client(
        "ecr",
        region_name=REGION,
        endpoint_url=seeder.endpoint_url,
        config=Config(retries={"total_max_attempts": total_attempts, "mode": "standard"}),
        **seeder.credentials(account),
    )


def outcome(call: Any) -> str:
    """Return "ok" or the error code of one call."""
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return "ok"


def seed_repositories(seeder: EstateSeeder) -> None:
    for name in REPOSITORIES:
        seeder.create_repository(DEFAULT_ACCOUNT, REGION, name)


def run_sequence(seeder: EstateSeeder) -> list[str]:
    ecr = ecr_client(seeder)
    return [outcome(lambda name=name: ecr.describe_images(repositoryName=name)) for name in REPOSITORIES]


def throttle_plan(seed: int, rate: float = 0.5, max_consecutive_failures: int = 2) -> FaultPlan:
    return FaultPlan(
        seed=seed,
        max_consecutive_failures=max_consecutive_failures,
        transient=[TransientFault("throttle", rate, CallFilter(services=("ecr",)))],
    )


# -- transient faults ----------------------------------------------------------------


def test_same_seed_gives_same_failures(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    seed_repositories(seeder)
    emulator.state.set_fault_plan(throttle_plan(seed=11))
    first = run_sequence(seeder)

    emulator.reset()
    seed_repositories(seeder)
    emulator.state.set_fault_plan(throttle_plan(seed=11))
    second = run_sequence(seeder)

    assert first == second
    assert set(first) == {"ok", "ThrottlingException"}


def test_other_seed_gives_other_failures(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    seed_repositories(seeder)
    emulator.state.set_fault_plan(throttle_plan(seed=11))
    first = run_sequence(seeder)
    emulator.state.set_fault_plan(throttle_plan(seed=12))

    second = run_sequence(seeder)

    assert first != second


def test_rate_sets_fraction_of_failed_first_attempts(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    seed_repositories(seeder)
    emulator.state.set_fault_plan(throttle_plan(seed=5, rate=0.25))

    results = run_sequence(seeder)

    failed = results.count("ThrottlingException")
    assert 3 <= failed <= 17, f"{failed} of {len(results)} first attempts failed at rate 0.25"


@pytest.mark.parametrize("bound", [0, 1, 2, 4])
def test_failures_in_a_row_stop_at_bound(emulator: EmulatorServer, seeder: EstateSeeder, bound: int) -> None:
    seeder.create_repository(DEFAULT_ACCOUNT, REGION, "payments/api")
    emulator.state.set_fault_plan(throttle_plan(seed=1, rate=1.0, max_consecutive_failures=bound))
    ecr = ecr_client(seeder)

    results = [outcome(lambda: ecr.describe_images(repositoryName="payments/api")) for _ in range(bound + 2)]

    assert results[:bound] == ["ThrottlingException"] * bound
    assert results[bound] == "ok"
    # After a success the call starts again at attempt 1 and fails again.
    assert results[bound + 1] == ("ThrottlingException" if bound else "ok")


@pytest.mark.parametrize("bound", [1, 2])
def test_retry_budget_above_bound_succeeds(emulator: EmulatorServer, seeder: EstateSeeder, bound: int) -> None:
    seeder.create_repository(DEFAULT_ACCOUNT, REGION, "payments/api")
    emulator.state.set_fault_plan(throttle_plan(seed=3, rate=1.0, max_consecutive_failures=bound))
    ecr = ecr_client(seeder, total_attempts=bound + 1)

    response = ecr.describe_images(repositoryName="payments/api")

    assert response["ResponseMetadata"]["RetryAttempts"] == bound


def test_retry_budget_at_bound_can_fail(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    seeder.create_repository(DEFAULT_ACCOUNT, REGION, "payments/api")
    emulator.state.set_fault_plan(throttle_plan(seed=1, rate=1.0, max_consecutive_failures=2))
    ecr = ecr_client(seeder, total_attempts=2)

    with pytest.raises(ClientError) as raised:
        ecr.describe_images(repositoryName="payments/api")

    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 1


@pytest.mark.parametrize(
    ("kind", "code", "status", "message"),
    [
        ("throttle", "ThrottlingException", 400, "Rate exceeded"),
        ("server_error", "ServerException", 500, "An internal error occurred. Try again later."),
        ("unavailable", "503", 503, "Service Unavailable"),
    ],
)
def test_transient_error_as_ecr_sends_it(
    emulator: EmulatorServer, seeder: EstateSeeder, kind: str, code: str, status: int, message: str
) -> None:
    emulator.state.set_fault_plan(FaultPlan(transient=[TransientFault(kind, 1.0)]))  # type: ignore[arg-type]

    with pytest.raises(ClientError) as raised:
        ecr_client(seeder).describe_registry()

    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["Error"]["Message"] == message
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


@pytest.mark.parametrize("kind", ["throttle", "server_error", "unavailable"])
def test_botocore_retries_transient_error(emulator: EmulatorServer, seeder: EstateSeeder, kind: str) -> None:
    emulator.state.set_fault_plan(FaultPlan(max_consecutive_failures=1, transient=[TransientFault(kind, 1.0)]))  # type: ignore[arg-type]

    response = ecr_client(seeder, total_attempts=2).describe_registry()

    assert response["ResponseMetadata"]["RetryAttempts"] == 1


@pytest.mark.parametrize(
    ("match", "throttled", "spared"),
    [
        (CallFilter(operations=("DescribeImages",)), "DescribeImages", "DescribeRegistry"),
        (CallFilter(resources=("payments/*",)), "DescribeImages", "DescribeRegistry"),
        (CallFilter(regions=("us-east-1",)), "DescribeImages", None),
        (CallFilter(regions=("eu-west-1",)), None, "DescribeImages"),
        (CallFilter(accounts=(OTHER_ACCOUNT,)), None, "DescribeImages"),
        (CallFilter(services=("kms",)), None, "DescribeImages"),
    ],
    ids=["operation", "resource-wildcard", "region", "other-region", "other-account", "other-service"],
)
def test_transient_fault_targets_matching_calls(
    emulator: EmulatorServer, seeder: EstateSeeder, match: CallFilter, throttled: str | None, spared: str | None
) -> None:
    seeder.create_repository(DEFAULT_ACCOUNT, REGION, "payments/api")
    emulator.state.set_fault_plan(FaultPlan(transient=[TransientFault("throttle", 1.0, match)]))
    ecr = ecr_client(seeder)
    calls = {
        "DescribeImages": lambda: ecr.describe_images(repositoryName="payments/api"),
        "DescribeRegistry": lambda: ecr.describe_registry(),
    }

    if throttled is not None:
        assert outcome(calls[throttled]) == "ThrottlingException"
    if spared is not None:
        assert outcome(calls[spared]) == "ok"


def test_faults_also_reach_moto_operations(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    arn = seeder.create_repository(DEFAULT_ACCOUNT, REGION, "payments/api")["repositoryArn"]
    emulator.state.set_fault_plan(FaultPlan(transient=[TransientFault("server_error", 1.0)]))

    with pytest.raises(ClientError) as raised:
        ecr_client(seeder).list_tags_for_resource(resourceArn=arn)

    assert raised.value.response["Error"]["Code"] == "ServerException"


@pytest.mark.parametrize(
    ("service", "call", "code", "status"),
    [
        ("kms", lambda c: c.list_keys(), "ThrottlingException", 400),
        ("inspector2", lambda c: c.list_findings(), "ThrottlingException", 429),
        ("account", lambda c: c.list_regions(), "TooManyRequestsException", 429),
        ("sts", lambda c: c.get_caller_identity(), "Throttling", 400),
    ],
)
def test_throttling_uses_each_service_error(
    emulator: EmulatorServer, seeder: EstateSeeder, service: str, call: Any, code: str, status: int
) -> None:
    client = boto3.client(
        service,  # type: ignore[call-overload]
        region_name=REGION,
        endpoint_url=seeder.endpoint_url,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        **seeder.credentials(),
    )
    emulator.state.set_fault_plan(FaultPlan(transient=[TransientFault("throttle", 1.0)]))

    with pytest.raises(ClientError) as raised:
        call(client)

    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


# -- AccessDenied ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "repository", "operation", "expected"),
    [
        (OTHER_ACCOUNT, "payments/api", "GetRepositoryPolicy", "AccessDeniedException"),
        (OTHER_ACCOUNT, "payments/worker", "GetRepositoryPolicy", "RepositoryPolicyNotFoundException"),
        (DEFAULT_ACCOUNT, "payments/api", "GetRepositoryPolicy", "RepositoryPolicyNotFoundException"),
        (OTHER_ACCOUNT, "payments/api", "GetLifecyclePolicy", "LifecyclePolicyNotFoundException"),
    ],
    ids=["targeted", "other-repository", "other-account", "other-operation"],
)
def test_access_denied_targets_one_call(
    emulator: EmulatorServer, seeder: EstateSeeder, account: str, repository: str, operation: str, expected: str
) -> None:
    for owner in (DEFAULT_ACCOUNT, OTHER_ACCOUNT):
        seeder.create_repository(owner, REGION, "payments/api")
        seeder.create_repository(owner, REGION, "payments/worker")
    emulator.state.set_fault_plan(
        FaultPlan(
            access_denied=[
                AccessDenial(
                    CallFilter(
                        operations=("GetRepositoryPolicy",), accounts=(OTHER_ACCOUNT,), resources=("payments/api",)
                    )
                )
            ]
        )
    )
    ecr = ecr_client(seeder, account)
    calls = {
        "GetRepositoryPolicy": lambda: ecr.get_repository_policy(repositoryName=repository),
        "GetLifecyclePolicy": lambda: ecr.get_lifecycle_policy(repositoryName=repository),
    }

    assert outcome(calls[operation]) == expected


def test_access_denied_message_names_action_and_resource(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    seeder.create_repository(DEFAULT_ACCOUNT, REGION, "payments/api")
    emulator.state.set_fault_plan(FaultPlan(access_denied=[AccessDenial(CallFilter(resources=("payments/*",)))]))

    with pytest.raises(ClientError) as raised:
        ecr_client(seeder, total_attempts=3).get_repository_policy(repositoryName="payments/api")

    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert "is not authorized to perform: ecr:GetRepositoryPolicy" in error["Message"]
    assert f"arn:aws:ecr:{REGION}:{DEFAULT_ACCOUNT}:repository/payments/api" in error["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Access denial is not retryable.
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 0


def test_access_denied_on_registry_operation_names_any_resource(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    emulator.state.set_fault_plan(FaultPlan(access_denied=[AccessDenial(CallFilter(operations=("DescribeRegistry",)))]))

    with pytest.raises(ClientError) as raised:
        ecr_client(seeder).describe_registry()

    assert "ecr:DescribeRegistry on resource: *" in raised.value.response["Error"]["Message"]


# -- AssumeRole denial ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("denial", "role_arn", "denied"),
    [
        (AssumeRoleDenial(role_arns=("arn:aws:iam::210987654321:role/Audit",)),
         "arn:aws:iam::210987654321:role/Audit", True),
        (AssumeRoleDenial(role_arns=("arn:aws:iam::210987654321:role/Audit",)),
         "arn:aws:iam::210987654321:role/Deploy", False),
        (AssumeRoleDenial(role_arns=("arn:aws:iam::*:role/Audit",)), "arn:aws:iam::999988887777:role/Audit", True),
        (AssumeRoleDenial(accounts=("999988887777",)), "arn:aws:iam::999988887777:role/Anything", True),
        (AssumeRoleDenial(accounts=("999988887777",)), "arn:aws:iam::210987654321:role/Anything", False),
    ],
    ids=["role", "other-role", "role-wildcard", "account", "other-account"],
)  # fmt: skip
def test_assume_role_denial(
    emulator: EmulatorServer, seeder: EstateSeeder, denial: AssumeRoleDenial, role_arn: str, denied: bool
) -> None:
    emulator.state.set_fault_plan(FaultPlan(assume_role_denied=denial))
    sts = seeder.client("sts")

    if not denied:
        issued = sts.assume_role(RoleArn=role_arn, RoleSessionName="ecr-auditor")
        assert issued["AssumedRoleUser"]["Arn"].endswith("/ecr-auditor")
        return
    with pytest.raises(ClientError) as raised:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="ecr-auditor")
    assert raised.value.operation_name == "AssumeRole"
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert f"sts:AssumeRole on resource: {role_arn}" in raised.value.response["Error"]["Message"]


def test_assume_role_denial_through_a_session(emulator: EmulatorServer) -> None:
    emulator.state.set_fault_plan(FaultPlan(assume_role_denied=AssumeRoleDenial(accounts=(OTHER_ACCOUNT,))))
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    sts = session.client("sts", endpoint_url=emulator.endpoint_url)

    with pytest.raises(sts.exceptions.ClientError) as raised:
        sts.assume_role(
            RoleArn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/OrganizationAccountAccessRole", RoleSessionName="a1"
        )

    assert raised.value.response["Error"]["Code"] == "AccessDenied"


# -- control endpoint -------------------------------------------------------------------------


def control(emulator: EmulatorServer, method: str, path: str, body: object | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = Request(f"{emulator.endpoint_url}/_emulator/{path}", data=data, method=method)
    try:
        with urlopen(request, timeout=5) as response:  # noqa: S310 - loopback URL of the test server
            return response.status, json.loads(response.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


def test_control_endpoint_sets_fault_plan(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    plan = {
        "seed": 4,
        "max_consecutive_failures": 1,
        "transient": [{"kind": "throttle", "rate": 1.0, "operations": ["DescribeRegistry"]}],
        "access_denied": [{"resources": ["payments/*"]}],
        "assume_role_denied": {"accounts": ["999988887777"]},
    }

    status, stored = control(emulator, "POST", "faults", plan)
    _, read_back = control(emulator, "GET", "faults")

    assert status == 200
    assert read_back == stored
    assert stored["transient"][0]["operations"] == ["DescribeRegistry"]
    assert outcome(ecr_client(seeder).describe_registry) == "ThrottlingException"


def test_control_endpoint_clears_fault_plan(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    control(emulator, "POST", "faults", {"transient": [{"kind": "server_error", "rate": 1.0}]})

    status, cleared = control(emulator, "DELETE", "faults")

    assert status == 200
    assert cleared["transient"] == []
    assert outcome(ecr_client(seeder).describe_registry) == "ok"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"transient": [{"kind": "explode", "rate": 1.0}]}, "kind must be one of"),
        ({"transient": [{"kind": "throttle", "rate": 2}]}, "rate must be a number from 0 to 1"),
        ({"seed": 1, "colour": "red"}, "unknown keys ['colour']"),
        ({"max_consecutive_failures": -1}, "max_consecutive_failures"),
        ({"access_denied": [{"resources": "payments/api"}]}, "must be a list of strings"),
    ],
    ids=["kind", "rate", "unknown-key", "negative-bound", "resources-not-list"],
)
def test_control_endpoint_rejects_invalid_plan(emulator: EmulatorServer, body: object, fragment: str) -> None:
    status, error = control(emulator, "POST", "faults", body)

    assert status == 400
    assert fragment in error["message"]


def test_control_endpoint_enables_region(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    status, result = control(
        emulator, "POST", "regions", {"account": DEFAULT_ACCOUNT, "region": "af-south-1", "status": "ENABLED"}
    )

    assert status == 200
    assert result["status"] == "ENABLED"
    assert seeder.ecr(DEFAULT_ACCOUNT, "af-south-1").describe_repositories()["repositories"] == []


def test_control_endpoint_sets_latency(emulator: EmulatorServer) -> None:
    try:
        status, result = control(emulator, "POST", "latency", {"latency_ms": 25})
        latency = emulator.latency_ms
    finally:
        emulator.latency_ms = 0

    assert status == 200
    assert result == {"latency_ms": 25.0}
    assert latency == 25.0


def test_control_endpoint_resets_estate(emulator: EmulatorServer, seeder: EstateSeeder) -> None:
    seeder.create_repository(DEFAULT_ACCOUNT, REGION, "payments/api")
    generation = emulator.generation

    status, _ = control(emulator, "POST", "reset")

    assert status == 200
    assert emulator.generation == generation + 1
    assert seeder.ecr(DEFAULT_ACCOUNT, REGION).describe_repositories()["repositories"] == []


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "nothing", 404), ("GET", "reset", 405)])
def test_control_endpoint_rejects_unknown_request(
    emulator: EmulatorServer, method: str, path: str, status: int
) -> None:
    code, error = control(emulator, method, path)

    assert code == status
    assert "message" in error


def test_reset_removes_fault_plan(emulator: EmulatorServer) -> None:
    emulator.state.set_fault_plan(throttle_plan(seed=1))

    emulator.reset()

    assert emulator.state.fault_plan.is_empty
