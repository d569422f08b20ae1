"""PERM checks end to end: policies written through boto3 into the emulator, audited by the CLI."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from auditor.checks.model import Status
from auditor.cli import main
from auditor.store.db import Store

CALLER = "123456789012"
SIBLING = "210987654321"  # a second audited account, trusted through trust_organization
PARTNER = "444455556666"  # never trusted
ORG = "o-a1b2c3d4e5"
V2_REGION = "us-east-1"
V1_REGION = "eu-west-1"
PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
PUSH = ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"]
FAIL_OPEN = {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}


def allow(principal: Any, action: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        result["Condition"] = condition
    return result


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def root(account: str) -> dict[str, str]:
    return {"AWS": f"arn:aws:iam::{account}:root"}


def ecr(region: str, account: str = CALLER) -> Any:
    if account == CALLER:
        return boto3.client("ecr", region_name=region)
    issued = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/ECRAuditorRole", RoleSessionName="perm-e2e"
    )["Credentials"]
    return boto3.client(
        "ecr",
        region_name=region,
        aws_access_key_id=issued["AccessKeyId"],
        aws_secret_access_key=issued["SecretAccessKey"],
        aws_session_token=issued["SessionToken"],
    )


def repository(client: Any, name: str, text: str | None = None) -> None:
    client.create_repository(repositoryName=name)
    if text is not None:
        client.set_repository_policy(repositoryName=name, policyText=text)


@pytest.fixture
def estate(emulator):
    """Build one V2 and one V1 registry of the caller with good and bad policies, and a sibling account."""
    east = ecr(V2_REGION)
    east.put_registry_policy(policyText=policy(
        allow(root(PARTNER), PUSH),                 # PERM-02 and PERM-03 FAIL
        allow("*", PULL, FAIL_OPEN),                # PERM-01 and PERM-07 FAIL: public through a fail-open condition
        allow(root(SIBLING), ["ecr:CreateRepository", "ecr:ReplicateImage"]),  # trusted replication source
    ))
    repository(east, "public-app", policy(allow("*", PULL)))
    repository(east, "partner-app", policy(allow(root(PARTNER), "ecr:*")))
    repository(east, "sibling-app", policy(allow(root(SIBLING), PULL)))
    repository(east, "fail-open-app", policy(allow({"AWS": "*"}, PULL, FAIL_OPEN)))
    repository(east, "org-app", policy(allow("*", PULL, {"StringEquals": {"aws:PrincipalOrgID": ORG}})))
    repository(east, "plain")
    repository(east, "broken")
    emulator.state.set_repository_policy_text(CALLER, V2_REGION, "broken", '{"Statement": [')
    east.create_repository_creation_template(
        prefix="cache", appliedFor=["PULL_THROUGH_CACHE"], repositoryPolicy=policy(allow("*", PULL, FAIL_OPEN))
    )

    west = ecr(V1_REGION)
    # AWS no longer accepts V1 through PutAccountSetting, but registries that never moved still report it.
    emulator.state.set_account_setting(CALLER, V1_REGION, "REGISTRY_POLICY_SCOPE", "V1")
    west.put_registry_policy(policyText=policy(
        allow(root(PARTNER), PULL),                 # not enforced under V1: PERM-02 PASS, PERM-03 FAIL
        allow(root(SIBLING), "ecr:ReplicateImage"),
    ))

    ecr(V2_REGION, SIBLING).create_repository(repositoryName="mirror")
    return emulator


def run_audit_cli(tmp_path) -> tuple[int, dict[tuple[str, str], Any]]:
    config = tmp_path / "ecr-auditor.toml"
    config.write_text(
        "[audit]\n"
        f'accounts = ["{CALLER}", "{SIBLING}"]\n'
        f'regions = ["{V2_REGION}", "{V1_REGION}"]\n'
        "[checks]\n"
        "trust_organization = true\n"
        f'organization_id = "{ORG}"\n'
    )
    exit_code = main(["--config", str(config), "run"])
    store = Store.open(f"sqlite:///{tmp_path / 'ecr-auditor.db'}")
    try:
        run = store.resolve("latest")
        results = store.load_results(run.id)
    finally:
        store.close()
    by_key = {(r.check_id, str(r.resource)): r for r in results if r.check_id.startswith("PERM-")}
    return exit_code, by_key


def registry(region: str, account: str = CALLER) -> str:
    return f"{account}/{region}/registry/registry"


def repo(name: str) -> str:
    return f"{CALLER}/{V2_REGION}/repository/{name}"


EXPECTED = [
    ("PERM-01", registry(V2_REGION), Status.FAIL),
    ("PERM-01", registry(V1_REGION), Status.PASS),
    ("PERM-02", registry(V2_REGION), Status.FAIL),
    ("PERM-02", registry(V1_REGION), Status.PASS),
    ("PERM-03", registry(V2_REGION), Status.FAIL),
    ("PERM-03", registry(V1_REGION), Status.FAIL),
    ("PERM-03", registry(V2_REGION, SIBLING), Status.PASS),
    ("PERM-04", repo("public-app"), Status.FAIL),
    ("PERM-04", repo("fail-open-app"), Status.FAIL),
    ("PERM-04", repo("partner-app"), Status.PASS),
    ("PERM-04", repo("org-app"), Status.PASS),
    ("PERM-04", repo("plain"), Status.PASS),
    ("PERM-04", repo("broken"), Status.ERROR),
    ("PERM-04", registry(V1_REGION), Status.NOT_APPLICABLE),
    ("PERM-05", repo("partner-app"), Status.FAIL),
    ("PERM-05", repo("sibling-app"), Status.PASS),
    ("PERM-05", repo("org-app"), Status.PASS),
    ("PERM-05", repo("public-app"), Status.PASS),
    ("PERM-05", repo("broken"), Status.ERROR),
    ("PERM-06", repo("partner-app"), Status.FAIL),
    ("PERM-06", repo("public-app"), Status.PASS),
    ("PERM-06", repo("sibling-app"), Status.PASS),
    ("PERM-07", registry(V2_REGION), Status.FAIL),
    ("PERM-07", registry(V1_REGION), Status.PASS),
    ("PERM-07", repo("fail-open-app"), Status.FAIL),
    ("PERM-07", repo("org-app"), Status.PASS),
    ("PERM-07", repo("broken"), Status.ERROR),
    ("PERM-07", f"{CALLER}/{V2_REGION}/creation-template/cache", Status.FAIL),
    ("PERM-08", registry(V2_REGION), Status.PASS),
    ("PERM-08", registry(V1_REGION), Status.FAIL),
    ("PERM-08", registry(V2_REGION, SIBLING), Status.PASS),
]


def test_perm_checks_on_emulated_estate(estate, tmp_path):
    exit_code, results = run_audit_cli(tmp_path)
    assert exit_code == 3  # the unparseable repository policy makes the run incomplete
    for check_id, resource, expected in EXPECTED:
        result = results.get((check_id, resource))
        assert result is not None, f"{check_id} has no result for {resource}"
        assert result.status is expected, f"{check_id} {resource}: {result.status} {result.reason}"

    perm_02 = results[("PERM-02", registry(V2_REGION))]
    assert perm_02.evidence["accounts"] == [PARTNER]
    perm_03_v1 = results[("PERM-03", registry(V1_REGION))]
    assert perm_03_v1.evidence["scope"] == "V1"
    assert perm_03_v1.evidence["unenforced_actions"] == {"statement 0": sorted(PULL)}
    perm_07 = results[("PERM-07", registry(V2_REGION))]
    assert perm_07.evidence["statements"] == ["statement 1"]
    assert "policy text does not parse" in results[("PERM-04", repo("broken"))].reason
