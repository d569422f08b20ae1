"""TMPL checks on snapshots: one result per repository creation template."""

from __future__ import annotations

import json
from typing import Any

import pytest
from builders import (
    ACCOUNT,
    REGION,
    absent,
    failed,
    inventory,
    listing_failure,
    only,
    present,
    run_check,
)

from auditor.checks.model import ResourceType, Status
from auditor.checks.templates import (
    lifecycle_problem,
    tmpl_01,
    tmpl_02,
    tmpl_03,
    tmpl_04,
    tmpl_05,
    tmpl_06,
    tmpl_07,
)
from auditor.inventory import Kind, ScopeStatus

PARTNER = "444455556666"
ORG = "o-a1b2c3d4e5"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/9999abcd-12ab-34cd-56ef-1234567890ab"
AWS_MANAGED_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/aaaa0000-12ab-34cd-56ef-1234567890ab"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
ALIAS = "alias/ecr-templates"
ALIAS_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/ecr-templates"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecr-template-role"
LIFECYCLE = json.dumps({"rules": [{"rulePriority": 1, "description": "expire untagged",
                                   "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                                 "countUnit": "days", "countNumber": 14},
                                   "action": {"type": "expire"}}]})
PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
ALL_CHECKS = [tmpl_01, tmpl_02, tmpl_03, tmpl_04, tmpl_05, tmpl_06, tmpl_07]


def template(prefix: str = "team", **fields: Any) -> Any:
    """A template that passes every TMPL check, with `fields` replacing or (as None) removing keys."""
    payload: dict[str, Any] = {
        "prefix": prefix,
        "appliedFor": ["PULL_THROUGH_CACHE", "REPLICATION"],
        "imageTagMutability": "IMMUTABLE",
        "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": KEY},
        "lifecyclePolicy": LIFECYCLE,
        "resourceTags": [{"Key": "owner", "Value": "platform"}],
        "customRoleArn": ROLE,
        "createdAt": "2025-01-01T00:00:00+00:00",
        "updatedAt": "2025-01-01T00:00:00+00:00",
    }
    for name, value in fields.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    return present(Kind.CREATION_TEMPLATE, prefix, payload)


def key(name: str, manager: str = "CUSTOMER", arn: str = KEY) -> Any:
    return present(Kind.KMS_KEY, name, {"KeyMetadata": {"Arn": arn, "KeyManager": manager,
                                                        "AWSAccountId": ACCOUNT}})


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": PULL}
    if condition:
        result["Condition"] = condition
    return result


def test_good_template_passes_every_check():
    inv = inventory(template(), key(KEY))
    for check in ALL_CHECKS:
        result = only(run_check(check, inv, required_tags=["owner"]))
        assert result.status is Status.PASS, (check.id, result.reason)
        assert str(result.resource) == f"{ACCOUNT}/{REGION}/creation-template/team"


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.id)
def test_engine_cases(check):
    none = only(run_check(check, inventory()))
    assert none.status is Status.NOT_APPLICABLE
    assert none.resource.kind is ResourceType.REGISTRY
    listing = only(run_check(check, inventory(listing_failure(Kind.CREATION_TEMPLATE))))
    assert listing.status is Status.ERROR
    assert str(listing.resource) == f"{ACCOUNT}/{REGION}/creation-template/*"
    unit = only(run_check(check, inventory(status=ScopeStatus.UNREADABLE, reason="AssumeRole failed")))
    assert unit.status is Status.ERROR


def test_each_template_is_judged_alone():
    inv = inventory(template("ROOT", imageTagMutability="MUTABLE"), template("team"))
    results = {r.resource.name: r.status for r in run_check(tmpl_01, inv)}
    assert results == {"ROOT": Status.FAIL, "team": Status.PASS}


# ---------------------------------------------------------------------------
# TMPL-01


@pytest.mark.parametrize(
    ("mutability", "allow_exclusions", "expected"),
    [
        ("IMMUTABLE", True, Status.PASS),
        ("MUTABLE", True, Status.FAIL),
        ("MUTABLE_WITH_EXCLUSION", True, Status.FAIL),
        ("IMMUTABLE_WITH_EXCLUSION", True, Status.PASS),
        ("IMMUTABLE_WITH_EXCLUSION", False, Status.FAIL),
        (None, True, Status.FAIL),
        ("SOMETHING_NEW", True, Status.ERROR),
    ],
    ids=["immutable", "mutable", "mutable-exclusion", "immutable-exclusion", "exclusions-disallowed",
         "default-mutable", "unknown"],
)
def test_tmpl_01_mutability(mutability, allow_exclusions, expected):
    filters = [{"filterType": "WILDCARD", "filter": "latest"}]
    inv = inventory(template(imageTagMutability=mutability, imageTagMutabilityExclusionFilters=filters))
    result = only(run_check(tmpl_01, inv, allow_immutability_exclusions=allow_exclusions))
    assert result.status is expected


# ---------------------------------------------------------------------------
# TMPL-02


@pytest.mark.parametrize(
    ("encryption", "keys", "overrides", "expected"),
    [
        (None, [], {}, Status.FAIL),
        ({"encryptionType": "AES256"}, [], {}, Status.FAIL),
        ({"encryptionType": "KMS"}, [], {}, Status.FAIL),
        ({"encryptionType": "KMS", "kmsKey": ""}, [], {}, Status.FAIL),
        ({"encryptionType": "KMS", "kmsKey": KEY}, [key(KEY)], {}, Status.PASS),
        ({"encryptionType": "KMS_DSSE", "kmsKey": KEY}, [key(KEY)], {}, Status.PASS),
        ({"encryptionType": "KMS", "kmsKey": KEY}, [key(KEY, "AWS")], {}, Status.FAIL),
        ({"encryptionType": "KMS", "kmsKey": ALIAS}, [key(ALIAS)], {}, Status.PASS),
        ({"encryptionType": "KMS", "kmsKey": ALIAS_ARN}, [key(ALIAS_ARN)], {}, Status.PASS),
        ({"encryptionType": "KMS", "kmsKey": KEY_ID}, [key(KEY_ID)], {}, Status.PASS),
        ({"encryptionType": "KMS", "kmsKey": ALIAS}, [key(ALIAS)], {"kms_key_arns": [KEY]}, Status.PASS),
        ({"encryptionType": "KMS", "kmsKey": ALIAS_ARN}, [key(ALIAS_ARN)], {"kms_key_arns": [KEY]}, Status.PASS),
        ({"encryptionType": "KMS", "kmsKey": ALIAS}, [key(ALIAS)], {"kms_key_arns": [OTHER_KEY]}, Status.FAIL),
        ({"encryptionType": "KMS", "kmsKey": KEY}, [key(KEY)], {"kms_key_arns": [OTHER_KEY]}, Status.FAIL),
        ({"encryptionType": "KMS", "kmsKey": "alias/aws/ecr"}, [key("alias/aws/ecr", "AWS", AWS_MANAGED_KEY)], {},
         Status.FAIL),
        ({"encryptionType": "KMS", "kmsKey": ALIAS}, [failed(Kind.KMS_KEY, ALIAS, operation="DescribeKey")], {},
         Status.ERROR),
        ({"encryptionType": "KMS", "kmsKey": ALIAS}, [], {}, Status.ERROR),
        ({"encryptionType": "KMS", "kmsKey": ALIAS}, [absent(Kind.KMS_KEY, ALIAS)], {}, Status.FAIL),
        ({"encryptionType": "AES256"}, [], {"require_cmk": False}, Status.NOT_APPLICABLE),
    ],
    ids=["absent", "aes256", "kms-default-key", "kms-empty-key", "cmk", "dsse-cmk", "aws-managed-arn", "alias",
         "alias-arn", "key-id", "alias-approved", "alias-arn-approved", "alias-not-approved", "arn-not-approved",
         "aws-ecr-alias", "alias-unreadable", "alias-not-collected", "alias-not-found", "cmk-not-required"],
)
def test_tmpl_02_encryption(encryption, keys, overrides, expected):
    inv = inventory(template(encryptionConfiguration=encryption), *keys)
    result = only(run_check(tmpl_02, inv, **overrides))
    assert result.status is expected


def test_tmpl_02_alias_evidence_names_key_arn():
    inv = inventory(template(encryptionConfiguration={"encryptionType": "KMS", "kmsKey": ALIAS}), key(ALIAS))
    result = only(run_check(tmpl_02, inv, kms_key_arns=[KEY]))
    assert result.evidence["kmsKey"] == ALIAS
    assert result.evidence["keyArn"] == KEY
    assert result.evidence["keyManager"] == "CUSTOMER"
    assert KEY in result.reason


# ---------------------------------------------------------------------------
# TMPL-03


@pytest.mark.parametrize(
    ("text", "expected", "problem"),
    [
        (LIFECYCLE, Status.PASS, None),
        (None, Status.FAIL, None),
        ("", Status.FAIL, None),
        ("{not json", Status.FAIL, "invalid JSON at line 1 column 2: Expecting property name enclosed in double quotes"),
        ('{"rules": []}', Status.FAIL, "'rules' must be a non-empty list"),
        ("[]", Status.FAIL, "'rules' must be a non-empty list"),
        ('{"rules": ["expire"]}', Status.FAIL, "each rule must be a JSON object"),
    ],
    ids=["valid", "absent", "empty", "invalid-json", "no-rules", "not-an-object", "rule-not-object"],
)
def test_tmpl_03_lifecycle_policy(text, expected, problem):
    result = only(run_check(tmpl_03, inventory(template(lifecyclePolicy=text))))
    assert result.status is expected
    assert result.evidence.get("problem") == problem


def test_tmpl_03_counts_rules():
    result = only(run_check(tmpl_03, inventory(template())))
    assert result.evidence["rules"] == 1


def test_lifecycle_problem_accepts_valid_text():
    assert lifecycle_problem(LIFECYCLE) is None


# ---------------------------------------------------------------------------
# TMPL-04


@pytest.mark.parametrize(
    ("text", "overrides", "expected"),
    [
        (None, {}, Status.PASS),
        ("", {}, Status.PASS),
        (policy(allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})), {}, Status.PASS),
        (policy(allow("*")), {}, Status.FAIL),
        (policy(allow({"AWS": "*"}, {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}})), {}, Status.FAIL),
        (policy(allow({"AWS": PARTNER})), {}, Status.FAIL),
        (policy(allow({"AWS": PARTNER})), {"trusted_accounts": [PARTNER]}, Status.PASS),
        (policy(allow("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}})), {}, Status.FAIL),
        (policy(allow("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}})),
         {"trust_organization": True, "organization_id": ORG}, Status.PASS),
        (policy(allow("*"), allow({"AWS": PARTNER})), {}, Status.FAIL),
        ("{broken", {}, Status.ERROR),
    ],
    ids=["absent", "empty", "owner", "public", "fail-open", "partner", "partner-trusted", "org-untrusted",
         "org-trusted", "public-and-partner", "invalid"],
)
def test_tmpl_04_repository_policy(text, overrides, expected):
    result = only(run_check(tmpl_04, inventory(template(repositoryPolicy=text)), **overrides))
    assert result.status is expected


def test_tmpl_04_public_and_untrusted_evidence():
    text = policy(allow("*"), allow({"AWS": PARTNER}))
    result = only(run_check(tmpl_04, inventory(template(repositoryPolicy=text))))
    assert result.evidence["public_actions"] == sorted(PULL)
    assert result.evidence["accounts"] == [PARTNER]
    assert result.evidence["untrusted_statements"] == ["statement 1"]


# ---------------------------------------------------------------------------
# TMPL-05


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"resourceTags": [], "encryptionConfiguration": {"encryptionType": "AES256"}, "customRoleArn": None},
         Status.PASS),
        ({"encryptionConfiguration": {"encryptionType": "AES256"}, "customRoleArn": None}, Status.FAIL),
        ({"resourceTags": [], "customRoleArn": None}, Status.FAIL),
        ({"resourceTags": [], "encryptionConfiguration": {"encryptionType": "KMS_DSSE"}, "customRoleArn": None},
         Status.FAIL),
        ({"customRoleArn": ""}, Status.FAIL),
        ({}, Status.PASS),
        ({"customRoleArn": f"arn:aws:iam::{PARTNER}:role/ecr-template-role"}, Status.FAIL),
        ({"customRoleArn": f"arn:aws:iam::{ACCOUNT}:user/someone"}, Status.FAIL),
        ({"customRoleArn": "ecr-template-role"}, Status.FAIL),
        ({"resourceTags": [], "encryptionConfiguration": {"encryptionType": "AES256"}}, Status.PASS),
        ({"resourceTags": [], "encryptionConfiguration": {"encryptionType": "AES256"},
          "customRoleArn": f"arn:aws:iam::{PARTNER}:role/x"}, Status.FAIL),
    ],
    ids=["needs-nothing", "tags-no-role", "kms-no-role", "dsse-no-role", "empty-role", "same-account-role",
         "role-elsewhere", "user-not-role", "role-name-only", "role-not-needed", "unneeded-role-elsewhere"],
)
def test_tmpl_05_custom_role(fields, expected):
    result = only(run_check(tmpl_05, inventory(template(**fields))))
    assert result.status is expected


def test_tmpl_05_evidence_names_role_account():
    role = f"arn:aws:iam::{PARTNER}:role/ecr-template-role"
    result = only(run_check(tmpl_05, inventory(template(customRoleArn=role))))
    assert result.evidence["roleAccount"] == PARTNER
    assert PARTNER in result.reason


def test_tmpl_05_reason_names_what_needs_the_role():
    result = only(run_check(tmpl_05, inventory(template(customRoleArn=None))))
    assert result.reason == "creation template applies resource tags and KMS encryption without a customRoleArn"


# ---------------------------------------------------------------------------
# TMPL-06 and TMPL-07


@pytest.mark.parametrize(
    ("tags", "required", "expected", "missing"),
    [
        ([{"Key": "owner", "Value": "a"}, {"Key": "cost-center", "Value": "1"}], ["owner", "cost-center"],
         Status.PASS, None),
        ([{"Key": "owner", "Value": "a"}], ["owner", "cost-center"], Status.FAIL, ["cost-center"]),
        ([{"Key": "Owner", "Value": "a"}], ["owner"], Status.FAIL, ["owner"]),
        (None, ["owner"], Status.FAIL, ["owner"]),
        ([], [], Status.NOT_APPLICABLE, None),
    ],
    ids=["all", "one-missing", "case-sensitive", "no-tags", "none-required"],
)
def test_tmpl_06_required_tags(tags, required, expected, missing):
    result = only(run_check(tmpl_06, inventory(template(resourceTags=tags)), required_tags=required))
    assert result.status is expected
    assert result.evidence.get("missing") == missing


@pytest.mark.parametrize(
    ("applied_for", "expected"),
    [
        (["CREATE_ON_PUSH"], Status.PASS),
        (["PULL_THROUGH_CACHE", "REPLICATION", "CREATE_ON_PUSH"], Status.PASS),
        ([], Status.FAIL),
        (None, Status.FAIL),
    ],
    ids=["one", "all", "empty", "missing"],
)
def test_tmpl_07_applied_for(applied_for, expected):
    result = only(run_check(tmpl_07, inventory(template(appliedFor=applied_for))))
    assert result.status is expected
    assert result.evidence["appliedFor"] == (applied_for or [])
