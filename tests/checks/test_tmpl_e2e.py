"""TMPL checks end to end: creation templates written into the emulator, audited by the CLI."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from auditor.checks.model import Status
from auditor.cli import main
from auditor.emulator.moto_bridge import ensure_aws_managed_key
from auditor.emulator.state import RepositoryCreationTemplate
from auditor.store.db import Store

ACCOUNT = "123456789012"
PARTNER = "444455556666"
ORG = "o-a1b2c3d4e5"
REGION = "us-east-1"
EMPTY_REGION = "eu-west-1"
ALIAS = "alias/ecr-templates"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecr-template-role"
PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
LIFECYCLE = json.dumps({"rules": [{
    "rulePriority": 1,
    "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
    "action": {"type": "expire"},
}]})
TMPL_CHECKS = [f"TMPL-0{number}" for number in range(1, 8)]


def policy(principal: Any, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": PULL}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture
def estate(emulator):
    """Create templates that pass and fail each TMPL check in us-east-1, and none in eu-west-1."""
    kms = boto3.client("kms", region_name=REGION)
    key_arn = kms.create_key(Description="ecr templates")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=key_arn)
    managed_key = ensure_aws_managed_key(ACCOUNT, REGION)

    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository_creation_template(
        prefix="good",
        appliedFor=["PULL_THROUGH_CACHE", "REPLICATION"],
        imageTagMutability="IMMUTABLE",
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key_arn},
        lifecyclePolicy=LIFECYCLE,
        resourceTags=[{"Key": "owner", "Value": "platform"}],
        customRoleArn=ROLE,
        repositoryPolicy=policy("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}}),
    )
    ecr.create_repository_creation_template(
        prefix="bad",
        appliedFor=["CREATE_ON_PUSH"],
        imageTagMutability="MUTABLE",
        resourceTags=[{"Key": "team", "Value": "web"}],
        repositoryPolicy=policy("*"),
    )
    ecr.create_repository_creation_template(
        prefix="managed",
        appliedFor=["REPLICATION"],
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest"}],
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": managed_key},
        lifecyclePolicy=LIFECYCLE,
        customRoleArn=ROLE,
        repositoryPolicy=policy({"AWS": f"arn:aws:iam::{PARTNER}:root"}),
    )
    # The API takes only key ARNs for kmsKey and rejects invalid lifecycle
    # policies, but templates stored by other means hold an alias and any text.
    aliased = RepositoryCreationTemplate(
        prefix="aliased",
        applied_for=[],
        encryption_configuration={"encryptionType": "KMS", "kmsKey": ALIAS},
        image_tag_mutability="IMMUTABLE",
        resource_tags=[{"Key": "owner", "Value": "data"}],
        lifecycle_policy='{"rules": [',
        repository_policy='{"Statement": ',
        custom_role_arn=f"arn:aws:iam::{PARTNER}:role/ecr-template-role",
    )
    with emulator.state.lock:
        emulator.state.registry(ACCOUNT, REGION).creation_templates["aliased"] = aliased
    return key_arn


def run_audit_cli(tmp_path, key_arn: str) -> tuple[int, dict[tuple[str, str], Any]]:
    config = tmp_path / "ecr-auditor.toml"
    config.write_text(
        "[audit]\n"
        f'regions = ["{REGION}", "{EMPTY_REGION}"]\n'
        "[checks]\n"
        'required_tags = ["owner"]\n'
        f'kms_key_arns = ["{key_arn}"]\n'
        "trust_organization = true\n"
        f'organization_id = "{ORG}"\n'
    )
    exit_code = main(["--config", str(config), "run"])
    store = Store.open(f"sqlite:///{tmp_path / 'ecr-auditor.db'}")
    try:
        results = store.load_results(store.resolve("latest").id)
    finally:
        store.close()
    return exit_code, {(r.check_id, str(r.resource)): r for r in results if r.check_id.startswith("TMPL-")}


def template(prefix: str) -> str:
    return f"{ACCOUNT}/{REGION}/creation-template/{prefix}"


# Expected statuses of TMPL-01 to TMPL-07, in that order, for each template prefix.
EXPECTED = {
    "good": ["PASS", "PASS", "PASS", "PASS", "PASS", "PASS", "PASS"],
    "bad": ["FAIL", "FAIL", "FAIL", "FAIL", "FAIL", "FAIL", "PASS"],
    "managed": ["PASS", "FAIL", "PASS", "FAIL", "PASS", "FAIL", "PASS"],
    "aliased": ["PASS", "PASS", "FAIL", "ERROR", "FAIL", "PASS", "FAIL"],
}


def test_tmpl_checks_on_emulated_estate(estate, tmp_path):
    exit_code, results = run_audit_cli(tmp_path, estate)
    assert exit_code == 3  # the aliased template's policy does not parse

    for prefix, statuses in EXPECTED.items():
        for check_id, expected in zip(TMPL_CHECKS, statuses, strict=True):
            result = results.get((check_id, template(prefix)))
            assert result is not None, f"{check_id} has no result for {prefix}"
            assert result.status is Status(expected), f"{check_id} {prefix}: {result.status} {result.reason}"

    for check_id in TMPL_CHECKS:
        empty = results[(check_id, f"{ACCOUNT}/{EMPTY_REGION}/registry/registry")]
        assert empty.status is Status.NOT_APPLICABLE

    aliased_key = results[("TMPL-02", template("aliased"))]
    assert aliased_key.evidence["kmsKey"] == ALIAS
    assert aliased_key.evidence["keyArn"] == estate
    assert results[("TMPL-02", template("managed"))].evidence["keyManager"] == "AWS"
    assert results[("TMPL-05", template("aliased"))].evidence["roleAccount"] == PARTNER
    assert results[("TMPL-05", template("bad"))].reason == (
        "creation template applies resource tags without a customRoleArn"
    )
    assert "does not parse" in results[("TMPL-03", template("aliased"))].reason
    assert results[("TMPL-04", template("managed"))].evidence["accounts"] == [PARTNER]
