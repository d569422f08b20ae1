"""PERM checks on snapshots: registry policy and scope, repository policies, fail-open conditions."""

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
    repository,
    run_check,
)

from auditor.checks.model import ResourceType, Status
from auditor.checks.permissions import (
    WRITE_OR_DELETE_ACTIONS,
    perm_01,
    perm_02,
    perm_03,
    perm_04,
    perm_05,
    perm_06,
    perm_07,
    perm_08,
)
from auditor.checks.policy import ECR_ACTIONS
from auditor.inventory import REGISTRY, Kind, ScopeStatus

PARTNER = "444455556666"
ORG = "o-a1b2c3d4e5"
PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
REPLICATION = ["ecr:CreateRepository", "ecr:ReplicateImage"]
SCOPE = "REGISTRY_POLICY_SCOPE"


# ---------------------------------------------------------------------------
# Builders


def statement(principal: Any, action: Any, condition: dict[str, Any] | None = None,
              effect: str = "Allow") -> dict[str, Any]:
    result: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": action}
    if condition:
        result["Condition"] = condition
    return result


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def account(number: str) -> dict[str, str]:
    return {"AWS": f"arn:aws:iam::{number}:root"}


def registry_policy(text: str) -> Any:
    return present(Kind.REGISTRY_POLICY, REGISTRY, {"registryId": ACCOUNT, "policyText": text})


def scope(value: str | None) -> Any:
    payload: dict[str, Any] = {"name": SCOPE}
    if value is not None:
        payload["value"] = value
    return present(Kind.ACCOUNT_SETTING, SCOPE, payload)


def scope_unreadable() -> Any:
    return failed(Kind.ACCOUNT_SETTING, SCOPE, operation="GetAccountSetting")


def repository_policy(name: str, text: str) -> Any:
    return present(Kind.REPOSITORY_POLICY, name, {"registryId": ACCOUNT, "repositoryName": name, "policyText": text})


def template(prefix: str, policy: str | None) -> Any:
    payload: dict[str, Any] = {"prefix": prefix, "appliedFor": ["REPLICATION"]}
    if policy is not None:
        payload["repositoryPolicy"] = policy
    return present(Kind.CREATION_TEMPLATE, prefix, payload)


PUBLIC_PULL = document(statement("*", PULL))
PUBLIC_REPLICATE = document(statement("*", "ecr:ReplicateImage"))
PARTNER_PULL = document(statement(account(PARTNER), PULL))
PARTNER_REPLICATION = document(statement(account(PARTNER), REPLICATION))
PARTNER_PUSH = document(statement(account(PARTNER), ["ecr:PutImage", "ecr:InitiateLayerUpload"]))
PARTNER_EVERYTHING = document(statement(account(PARTNER), "ecr:*"))
OWNER_EVERYTHING = document(statement(account(ACCOUNT), "ecr:*"))
OWNER_PUSH = document(statement(account(ACCOUNT), "ecr:PutImage"))
ORG_PULL = document(statement("*", PULL, {"StringEquals": {"aws:PrincipalOrgID": ORG}}))
ORG_PULL_IF_EXISTS = document(statement("*", PULL, {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}))
ORG_REPLICATE_IF_EXISTS = document(
    statement("*", "ecr:ReplicateImage", {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}})
)


def registry_result(results: list[Any]) -> Any:
    return only([r for r in results if r.resource.kind is ResourceType.REGISTRY])


# ---------------------------------------------------------------------------
# Registry policy scope


def test_write_or_delete_actions_exist_in_ecr():
    assert WRITE_OR_DELETE_ACTIONS <= ECR_ACTIONS


@pytest.mark.parametrize(
    ("setting", "expected", "scope_value"),
    [
        (scope("V2"), Status.PASS, "V2"),
        (scope("V1"), Status.FAIL, "V1"),
        (scope("v1"), Status.FAIL, "V1"),
        (scope(None), Status.ERROR, None),
        (scope("V3"), Status.ERROR, None),
        (scope_unreadable(), Status.ERROR, None),
        (absent(Kind.ACCOUNT_SETTING, SCOPE), Status.ERROR, None),
    ],
    ids=["v2", "v1", "lower-case", "no-value", "unknown-value", "unreadable", "absent"],
)
def test_perm_08_scope(setting, expected, scope_value):
    result = only(run_check(perm_08, inventory(setting)))
    assert result.status is expected
    assert result.evidence.get("scope") == scope_value
    assert str(result.resource) == f"{ACCOUNT}/{REGION}/registry/registry"


def test_perm_08_error_names_the_operation():
    result = only(run_check(perm_08, inventory(scope_unreadable())))
    assert result.evidence["operation"] == "GetAccountSetting"
    assert "AccessDeniedException" in result.reason


def test_perm_08_not_collected_is_error():
    result = only(run_check(perm_08, inventory()))
    assert result.status is Status.ERROR


def test_registry_checks_error_for_unreadable_unit():
    inv = inventory(status=ScopeStatus.UNREADABLE, reason="AssumeRole failed")
    for check in (perm_01, perm_02, perm_03, perm_08):
        result = only(run_check(check, inv))
        assert result.status is Status.ERROR, check.id
        assert "AssumeRole failed" in result.reason


# ---------------------------------------------------------------------------
# PERM-01


@pytest.mark.parametrize(
    ("snapshots", "expected"),
    [
        ([], Status.PASS),
        ([absent(Kind.REGISTRY_POLICY, REGISTRY)], Status.PASS),
        ([registry_policy(PUBLIC_PULL), scope("V2")], Status.FAIL),
        ([registry_policy(PUBLIC_PULL), scope("V1")], Status.PASS),
        ([registry_policy(PUBLIC_REPLICATE), scope("V1")], Status.FAIL),
        ([registry_policy(ORG_PULL), scope_unreadable()], Status.PASS),
        ([registry_policy(PUBLIC_REPLICATE), scope_unreadable()], Status.FAIL),
        ([registry_policy(PUBLIC_PULL), scope_unreadable()], Status.ERROR),
        ([registry_policy(PUBLIC_PULL), scope(None)], Status.ERROR),
        ([registry_policy(ORG_PULL_IF_EXISTS), scope("V2")], Status.FAIL),
        ([registry_policy("{not json"), scope("V2")], Status.ERROR),
        ([failed(Kind.REGISTRY_POLICY, REGISTRY, operation="GetRegistryPolicy")], Status.ERROR),
    ],
    ids=["not-collected-absent", "absent", "public-v2", "public-pull-v1", "public-replicate-v1",
         "org-scope-unread", "replicate-scope-unread", "pull-scope-unread", "scope-no-value",
         "fail-open", "invalid-json", "policy-unreadable"],
)
def test_perm_01_registry_policy_public(snapshots, expected):
    if not snapshots:
        snapshots = [absent(Kind.REGISTRY_POLICY, REGISTRY)]
    result = only(run_check(perm_01, inventory(*snapshots)))
    assert result.status is expected


def test_perm_01_unknown_scope_fail_says_so():
    result = only(run_check(perm_01, inventory(registry_policy(PUBLIC_REPLICATE), scope_unreadable())))
    assert result.evidence["scope"] is None
    assert "AccessDeniedException" in result.evidence["scope_error"]
    assert "same under V1 and V2" in result.reason
    assert result.evidence["public_actions"] == ["ecr:ReplicateImage"]


def test_perm_01_unknown_scope_error_names_both_verdicts():
    result = only(run_check(perm_01, inventory(registry_policy(PUBLIC_PULL), scope_unreadable())))
    assert result.evidence["status_under_V1"] == "PASS"
    assert result.evidence["status_under_V2"] == "FAIL"


def test_perm_01_v1_lists_only_enforced_actions():
    text = document(statement("*", "ecr:*"))
    result = only(run_check(perm_01, inventory(registry_policy(text), scope("V1"))))
    assert result.status is Status.FAIL
    assert result.evidence["public_actions"] == sorted(
        ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:ReplicateImage"]
    )
    assert result.evidence["scope"] == "V1"


# ---------------------------------------------------------------------------
# PERM-02


@pytest.mark.parametrize(
    ("text", "setting", "overrides", "expected"),
    [
        (PARTNER_PULL, scope("V2"), {}, Status.FAIL),
        (PARTNER_PULL, scope("V2"), {"trusted_accounts": [PARTNER]}, Status.PASS),
        (PARTNER_PULL, scope("V1"), {}, Status.PASS),
        (PARTNER_REPLICATION, scope("V1"), {}, Status.FAIL),
        (PARTNER_REPLICATION, scope("V1"), {"trusted_accounts": [PARTNER]}, Status.PASS),
        (ORG_PULL, scope("V2"), {}, Status.FAIL),
        (ORG_PULL, scope("V2"), {"trust_organization": True, "organization_id": ORG}, Status.PASS),
        (ORG_PULL, scope("V2"), {"trust_organization": True, "organization_id": "o-zzzzzzzzzz"}, Status.FAIL),
        (PUBLIC_PULL, scope("V2"), {}, Status.PASS),
        (OWNER_EVERYTHING, scope("V2"), {}, Status.PASS),
        (PARTNER_PULL, scope_unreadable(), {}, Status.ERROR),
        (PARTNER_REPLICATION, scope_unreadable(), {}, Status.FAIL),
        (OWNER_EVERYTHING, scope_unreadable(), {}, Status.PASS),
        ('{"Statement": [', scope("V2"), {}, Status.ERROR),
    ],
    ids=["partner-v2", "partner-trusted", "partner-pull-v1", "partner-replication-v1",
         "partner-replication-trusted", "org-untrusted", "org-trusted", "other-org", "public-only",
         "owner-only", "pull-scope-unread", "replication-scope-unread", "owner-scope-unread", "invalid"],
)
def test_perm_02_registry_policy_untrusted_accounts(text, setting, overrides, expected):
    result = only(run_check(perm_02, inventory(registry_policy(text), setting), **overrides))
    assert result.status is expected


def test_perm_02_evidence_names_account_and_actions():
    result = only(run_check(perm_02, inventory(registry_policy(PARTNER_REPLICATION), scope("V2"))))
    assert result.evidence["accounts"] == [PARTNER]
    assert result.evidence["statements"] == ["statement 0"]
    assert result.evidence["grants"][0]["actions"] == sorted(REPLICATION)
    assert PARTNER in result.reason


def test_perm_02_trusts_audited_accounts_with_trust_organization():
    partner_registry = absent(Kind.REGISTRY_POLICY, REGISTRY, account=PARTNER)
    inv = inventory(registry_policy(PARTNER_PULL), scope("V2"), partner_registry,
                    present(Kind.ACCOUNT_SETTING, SCOPE, {"value": "V2"}, account=PARTNER))
    results = run_check(perm_02, inv, trust_organization=True)
    ours = only([r for r in results if r.resource.account == ACCOUNT])
    assert ours.status is Status.PASS


# ---------------------------------------------------------------------------
# PERM-03


@pytest.mark.parametrize(
    ("text", "setting", "expected"),
    [
        (PARTNER_PUSH, scope("V2"), Status.FAIL),
        (PARTNER_EVERYTHING, scope("V2"), Status.FAIL),
        (document(statement(account(PARTNER), "*")), scope("V2"), Status.FAIL),
        (document(statement(account(PARTNER), "ecr:BatchDeleteImage")), scope("V2"), Status.FAIL),
        (document(statement(account(PARTNER), "ecr:SetRepositoryPolicy")), scope("V2"), Status.FAIL),
        (document(statement("*", "ecr:DeleteRepository")), scope("V2"), Status.FAIL),
        (document(statement("*", "ecr:Put*", {"StringEquals": {"aws:PrincipalOrgID": ORG}})), scope("V2"),
         Status.FAIL),
        (PARTNER_PULL, scope("V2"), Status.PASS),
        (PARTNER_REPLICATION, scope("V2"), Status.PASS),
        (OWNER_EVERYTHING, scope("V2"), Status.PASS),
        (PARTNER_REPLICATION, scope("V1"), Status.PASS),
        (PARTNER_PULL, scope("V1"), Status.FAIL),
        (PARTNER_EVERYTHING, scope("V1"), Status.FAIL),
        (OWNER_PUSH, scope("V1"), Status.FAIL),
        (document(statement("*", "s3:GetObject")), scope("V1"), Status.PASS),
        (PARTNER_REPLICATION, scope_unreadable(), Status.PASS),
        (PARTNER_PUSH, scope_unreadable(), Status.FAIL),
        (OWNER_PUSH, scope_unreadable(), Status.ERROR),
    ],
    ids=["push-v2", "ecr-star-v2", "star-v2", "delete-image-v2", "set-policy-v2", "public-delete-v2",
         "org-put-v2", "pull-v2", "replication-v2", "owner-v2", "replication-v1", "pull-v1", "ecr-star-v1",
         "owner-push-v1", "other-service-v1", "replication-unread", "push-unread", "owner-push-unread"],
)
def test_perm_03_registry_policy_breadth_and_scope(text, setting, expected):
    result = only(run_check(perm_03, inventory(registry_policy(text), setting)))
    assert result.status is expected


def test_perm_03_no_policy_passes_without_scope():
    result = only(run_check(perm_03, inventory(absent(Kind.REGISTRY_POLICY, REGISTRY), scope_unreadable())))
    assert result.status is Status.PASS


def test_perm_03_v2_evidence():
    result = only(run_check(perm_03, inventory(registry_policy(PARTNER_EVERYTHING), scope("V2"))))
    assert result.evidence["broad_patterns"] == ["ecr:*"]
    assert result.evidence["write_actions"] == sorted(WRITE_OR_DELETE_ACTIONS)
    assert result.evidence["scope"] == "V2"


def test_perm_03_v1_evidence_lists_unenforced_actions():
    result = only(run_check(perm_03, inventory(registry_policy(PARTNER_PULL), scope("V1"))))
    assert result.evidence["unenforced_actions"] == {"statement 0": sorted(PULL)}
    assert "does not enforce" in result.reason


def test_perm_03_v1_flags_deny_on_unenforced_actions():
    # Under V1 a Deny on pulls denies nothing, so it misleads as much as an Allow would.
    text = document(statement("*", PULL, {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}, effect="Deny"))
    result = only(run_check(perm_03, inventory(registry_policy(text), scope("V1"))))
    assert result.status is Status.FAIL
    assert result.evidence["statements"] == ["statement 0"]


def test_perm_03_unknown_scope_fail_carries_both_verdicts():
    result = only(run_check(perm_03, inventory(registry_policy(PARTNER_PUSH), scope_unreadable())))
    assert result.evidence["under_V1"]["unenforced_actions"]
    assert result.evidence["under_V2"]["write_actions"] == ["ecr:InitiateLayerUpload", "ecr:PutImage"]


# ---------------------------------------------------------------------------
# Repository policies: PERM-04, PERM-05, PERM-06


def repo_inventory(text: str | None) -> Any:
    policy = absent(Kind.REPOSITORY_POLICY, "app") if text is None else repository_policy("app", text)
    return inventory(repository("app"), policy)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, Status.PASS),
        (PARTNER_PULL, Status.PASS),
        (PUBLIC_PULL, Status.FAIL),
        (ORG_PULL, Status.PASS),
        (ORG_PULL_IF_EXISTS, Status.FAIL),
        ("[]", Status.ERROR),
    ],
    ids=["none", "partner", "public", "org", "fail-open", "not-an-object"],
)
def test_perm_04_repository_policy_public(text, expected):
    result = only(run_check(perm_04, repo_inventory(text)))
    assert result.status is expected
    assert str(result.resource) == f"{ACCOUNT}/{REGION}/repository/app"


@pytest.mark.parametrize(
    ("text", "overrides", "expected"),
    [
        (None, {}, Status.PASS),
        (PARTNER_PULL, {}, Status.FAIL),
        (PARTNER_PULL, {"trusted_accounts": [PARTNER]}, Status.PASS),
        (PUBLIC_PULL, {}, Status.PASS),
        (ORG_PULL, {}, Status.FAIL),
        (ORG_PULL, {"trust_organization": True, "organization_id": ORG}, Status.PASS),
        (document(statement({"Service": "codebuild.amazonaws.com"}, PULL,
                            {"StringEquals": {"aws:SourceAccount": PARTNER}})), {}, Status.FAIL),
        (document(statement({"Service": "codebuild.amazonaws.com"}, PULL)), {}, Status.PASS),
        (document(statement({"AWS": f"arn:aws:iam::{PARTNER}:role/ci"}, PULL),
                  statement({"AWS": f"arn:aws:iam::{PARTNER}:role/ci"}, "ecr:*", effect="Deny")), {}, Status.PASS),
        (OWNER_EVERYTHING, {}, Status.PASS),
        ("{", {}, Status.ERROR),
    ],
    ids=["none", "partner", "partner-trusted", "public", "org", "org-trusted", "service-for-partner",
         "service-unbound", "partner-denied", "owner", "invalid"],
)
def test_perm_05_repository_policy_untrusted(text, overrides, expected):
    result = only(run_check(perm_05, repo_inventory(text), **overrides))
    assert result.status is expected


def test_perm_05_evidence():
    result = only(run_check(perm_05, repo_inventory(PARTNER_PULL)))
    assert result.evidence["accounts"] == [PARTNER]
    assert result.evidence["grants"][0]["actions"] == sorted(PULL)


@pytest.mark.parametrize(
    ("text", "expected", "writes"),
    [
        (None, Status.PASS, None),
        (PARTNER_PULL, Status.PASS, None),
        (PARTNER_PUSH, Status.FAIL, ["ecr:InitiateLayerUpload", "ecr:PutImage"]),
        (PARTNER_EVERYTHING, Status.FAIL, sorted(WRITE_OR_DELETE_ACTIONS)),
        (document(statement("*", "ecr:*")), Status.FAIL, sorted(WRITE_OR_DELETE_ACTIONS)),
        (document(statement("*", "ecr:DeleteRepositoryPolicy",
                            {"StringEquals": {"aws:PrincipalOrgID": ORG}})), Status.FAIL,
         ["ecr:DeleteRepositoryPolicy"]),
        (OWNER_EVERYTHING, Status.PASS, None),
        (document(statement({"AWS": f"arn:aws:iam::{ACCOUNT}:role/ci"}, "ecr:*")), Status.PASS, None),
        (document(statement(account(PARTNER), "ecr:TagResource")), Status.PASS, None),
        (document(statement(account(PARTNER), "ecr:*"),
                  statement(account(PARTNER), list(WRITE_OR_DELETE_ACTIONS), effect="Deny")), Status.FAIL, []),
        ("not json", Status.ERROR, None),
    ],
    ids=["none", "pull", "push", "ecr-star", "public-star", "org-delete-policy", "owner", "owner-role",
         "tagging-only", "star-with-deny", "invalid"],
)
def test_perm_06_repository_policy_writes(text, expected, writes):
    result = only(run_check(perm_06, repo_inventory(text)))
    assert result.status is expected
    if writes is not None:
        assert result.evidence["write_actions"] == writes


def test_perm_05_reason_names_every_action_for_ecr_star():
    result = only(run_check(perm_05, repo_inventory(PARTNER_EVERYTHING)))
    assert result.reason == (
        f"repository policy grants every ECR action to account {PARTNER}, outside the trusted set (statement 0)"
    )


def test_perm_06_reason_names_the_broad_pattern():
    result = only(run_check(perm_06, repo_inventory(PARTNER_EVERYTHING)))
    assert result.reason == (
        f"repository policy grants Action ecr:*, with 8 write or delete actions, to account {PARTNER} "
        f"outside account {ACCOUNT} (statement 0)"
    )


@pytest.mark.parametrize("check", [perm_04, perm_05, perm_06], ids=lambda c: c.id)
def test_repository_policy_checks_engine_cases(check):
    assert only(run_check(check, inventory())).status is Status.NOT_APPLICABLE
    listing = only(run_check(check, inventory(listing_failure(Kind.REPOSITORY))))
    assert listing.status is Status.ERROR
    unread = only(run_check(check, inventory(repository("app"), failed(Kind.REPOSITORY_POLICY, "app"))))
    assert unread.status is Status.ERROR
    assert unread.evidence["error_code"] == "AccessDeniedException"


# ---------------------------------------------------------------------------
# PERM-07


def by_resource(results: list[Any]) -> dict[str, Any]:
    return {f"{r.resource.kind.value}/{r.resource.name}": r for r in results}


FAIL_OPEN_CONDITIONS = [
    ({"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}, Status.FAIL),
    ({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": [ORG]}}, Status.FAIL),
    ({"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}}, Status.FAIL),
    ({"StringEqualsIfExists": {"aws:SourceAccount": PARTNER}}, Status.FAIL),
    ({"ArnLikeIfExists": {"aws:SourceArn": f"arn:aws:codebuild:{REGION}:{PARTNER}:project/*"}}, Status.FAIL),
    ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}}, Status.PASS),
    ({"StringEquals": {"aws:PrincipalOrgID": ORG}}, Status.PASS),
    ({"StringEqualsIfExists": {"aws:PrincipalAccount": PARTNER}}, Status.PASS),
    ({"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}, "Null": {"aws:PrincipalOrgID": "false"}}, Status.PASS),
    ({"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}, "StringEquals": {"aws:PrincipalAccount": PARTNER}},
     Status.PASS),
]
FAIL_OPEN_IDS = ["if-exists-org", "for-all-values-org", "for-all-values-paths", "if-exists-source-account",
                 "if-exists-source-arn", "for-any-value-paths", "string-equals", "if-exists-never-absent-key",
                 "null-false-guard", "with-firm-limit"]


@pytest.mark.parametrize(("condition", "expected"), FAIL_OPEN_CONDITIONS, ids=FAIL_OPEN_IDS)
def test_perm_07_repository_policy(condition, expected):
    inv = inventory(repository("app"), repository_policy("app", document(statement("*", PULL, condition))),
                    absent(Kind.REGISTRY_POLICY, REGISTRY))
    results = by_resource(run_check(perm_07, inv))
    assert results["repository/app"].status is expected
    assert results["registry/registry"].status is Status.PASS


@pytest.mark.parametrize(("condition", "expected"), FAIL_OPEN_CONDITIONS, ids=FAIL_OPEN_IDS)
def test_perm_07_registry_and_template_policies(condition, expected):
    text = document(statement("*", ["ecr:ReplicateImage", *PULL], condition))
    inv = inventory(registry_policy(text), scope("V2"), template("team", text))
    results = by_resource(run_check(perm_07, inv))
    assert results["registry/registry"].status is expected
    assert results["creation-template/team"].status is expected


def test_perm_07_fail_open_evidence():
    inv = inventory(registry_policy(ORG_PULL_IF_EXISTS), scope("V2"))
    result = registry_result(run_check(perm_07, inv))
    assert result.status is Status.FAIL
    assert result.evidence["statements"] == ["statement 0"]
    assert "StringEqualsIfExists" in result.evidence["restrictions"][0]
    assert result.evidence["actions"] == sorted(PULL)


def test_perm_07_fail_open_deny_exemption():
    # The Deny spares callers without the key, so the public Allow stays public for them.
    text = document(
        statement("*", PULL),
        statement("*", "ecr:*", {"ForAnyValue:StringNotEquals": {"aws:PrincipalOrgID": [ORG]}}, effect="Deny"),
    )
    inv = inventory(repository("app"), repository_policy("app", text), absent(Kind.REGISTRY_POLICY, REGISTRY))
    result = by_resource(run_check(perm_07, inv))["repository/app"]
    assert result.status is Status.FAIL


@pytest.mark.parametrize(
    ("text", "setting", "expected"),
    [
        (ORG_PULL_IF_EXISTS, scope("V1"), Status.PASS),
        (ORG_REPLICATE_IF_EXISTS, scope("V1"), Status.FAIL),
        (ORG_PULL_IF_EXISTS, scope_unreadable(), Status.ERROR),
        (ORG_REPLICATE_IF_EXISTS, scope_unreadable(), Status.FAIL),
        (ORG_PULL, scope_unreadable(), Status.PASS),
    ],
    ids=["pull-v1", "replicate-v1", "pull-unread", "replicate-unread", "firm-unread"],
)
def test_perm_07_registry_policy_scope(text, setting, expected):
    result = registry_result(run_check(perm_07, inventory(registry_policy(text), setting)))
    assert result.status is expected


def test_perm_07_one_result_per_policy_holder():
    inv = inventory(
        absent(Kind.REGISTRY_POLICY, REGISTRY),
        repository("app"), repository_policy("app", ORG_PULL_IF_EXISTS),
        repository("web"), absent(Kind.REPOSITORY_POLICY, "web"),
        template("ROOT", None), template("team", ORG_PULL),
    )
    results = by_resource(run_check(perm_07, inv))
    assert {name: r.status for name, r in results.items()} == {
        "registry/registry": Status.PASS,
        "repository/app": Status.FAIL,
        "repository/web": Status.PASS,
        "creation-template/ROOT": Status.PASS,
        "creation-template/team": Status.PASS,
    }
    assert str(results["creation-template/team"].resource) == f"{ACCOUNT}/{REGION}/creation-template/team"


def test_perm_07_errors_stay_with_their_resource():
    inv = inventory(
        failed(Kind.REGISTRY_POLICY, REGISTRY, operation="GetRegistryPolicy"),
        repository("app"), failed(Kind.REPOSITORY_POLICY, "app", operation="GetRepositoryPolicy"),
        repository("web"), repository_policy("web", ORG_PULL_IF_EXISTS),
        template("team", "{broken"),
    )
    results = by_resource(run_check(perm_07, inv))
    assert results["registry/registry"].status is Status.ERROR
    assert results["registry/registry"].evidence["operation"] == "GetRegistryPolicy"
    assert results["repository/app"].status is Status.ERROR
    assert results["repository/web"].status is Status.FAIL
    assert results["creation-template/team"].status is Status.ERROR


def test_perm_07_listing_failures_are_errors():
    inv = inventory(absent(Kind.REGISTRY_POLICY, REGISTRY), listing_failure(Kind.REPOSITORY),
                    listing_failure(Kind.CREATION_TEMPLATE))
    results = by_resource(run_check(perm_07, inv))
    assert results["registry/registry"].status is Status.PASS
    assert results["repository/*"].status is Status.ERROR
    assert results["creation-template/*"].status is Status.ERROR


def test_perm_07_unreadable_unit_is_error():
    result = only(run_check(perm_07, inventory(status=ScopeStatus.UNREADABLE, reason="AssumeRole failed")))
    assert result.status is Status.ERROR
    assert "AssumeRole failed" in result.reason


def test_perm_07_malformed_template_is_error():
    inv = inventory(absent(Kind.REGISTRY_POLICY, REGISTRY),
                    present(Kind.CREATION_TEMPLATE, "team", ["not", "a", "template"]))
    result = by_resource(run_check(perm_07, inv))["creation-template/team"]
    assert result.status is Status.ERROR
