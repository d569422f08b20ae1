"""Tests for the IAM resource-policy analyser: a table of ECR policies, parse errors, actions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from auditor.checks.ecr_actions import PERMISSION_ONLY_ACTIONS, READ_ACTIONS
from auditor.checks.policy import (
    ECR_ACTIONS,
    OWNER_ORGANIZATION,
    V1_ENFORCED_ACTIONS,
    WRITE_ACTIONS,
    Audience,
    PolicyParseError,
    StatementRef,
    analyse_policy,
    expand_actions,
)

OWNER = "111122223333"
PARTNER = "444455556666"
VENDOR = "555566667777"
ORG = "o-a1b2c3d4e5"

PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
PUSH = ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"]


def allow(principal: Any, action: Any = "ecr:*", condition: Mapping[str, Any] | None = None,
          sid: str | None = None, *, not_principal: bool = False, not_action: bool = False) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow"}
    if sid:
        statement["Sid"] = sid
    statement["NotPrincipal" if not_principal else "Principal"] = principal
    statement["NotAction" if not_action else "Action"] = action
    if condition:
        statement["Condition"] = dict(condition)
    return statement


def deny(principal: Any = "*", action: Any = "ecr:*", condition: Mapping[str, Any] | None = None,
         sid: str | None = None, *, not_principal: bool = False) -> dict[str, Any]:
    statement = allow(principal, action, condition, sid, not_principal=not_principal)
    statement["Effect"] = "Deny"
    return statement


def policy(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def ref_text(ref: StatementRef) -> str:
    return f"{ref.index}:{ref.sid}" if ref.sid else str(ref.index)


@dataclass(frozen=True)
class Case:
    """One policy and what the analyser must find in it.

    `external` maps each account other than the owner to actions it must be
    granted (a spot check); `external_exact` lists accounts whose action set must
    match exactly. `responsible` names the statements behind the public and
    external grants as "index" or "index:Sid".
    """

    id: str
    document: dict[str, Any] | str
    public: bool
    external: Mapping[str, frozenset[str]] = field(default_factory=dict)
    responsible: tuple[str, ...] = ()
    fail_open: tuple[str, ...] = ()
    public_has: frozenset[str] = frozenset()
    public_lacks: frozenset[str] = frozenset()
    external_exact: Mapping[str, frozenset[str]] = field(default_factory=dict)
    audiences: frozenset[Audience] | None = None
    dangling: tuple[str, ...] = ()
    confused_deputy: tuple[str, ...] = ()
    network_restricted: tuple[str, ...] = ()
    scope: frozenset[str] | None = None


def acts(*names: str) -> frozenset[str]:
    return frozenset(f"ecr:{name}" for name in names)


CASES = [
    # Statement, Principal and Action shapes.
    Case("statement-object-principal-star",
         {"Version": "2012-10-17", "Statement": allow("*", "ecr:*")},
         public=True, responsible=("0",), public_has=acts("PutImage", "DeleteRepository", "ReplicateImage")),
    Case("principal-aws-star", policy(allow({"AWS": "*"}, "ecr:BatchGetImage", sid="PublicPull")),
         public=True, responsible=("0:PublicPull",), public_has=acts("BatchGetImage"),
         public_lacks=acts("PutImage")),
    Case("principal-aws-star-in-list", policy(allow({"AWS": [f"arn:aws:iam::{PARTNER}:root", "*"]}, PULL)),
         public=True, external={PARTNER: acts("BatchGetImage")}, responsible=("0",)),
    Case("principal-account-id", policy(allow({"AWS": PARTNER}, PULL)),
         public=False, external_exact={PARTNER: frozenset(PULL)}, responsible=("0",),
         audiences=frozenset({Audience.ACCOUNT})),
    Case("principal-bare-arn-string", policy(allow(f"arn:aws:iam::{PARTNER}:root", PULL)),
         public=False, external={PARTNER: acts("BatchGetImage")}, responsible=("0",)),
    Case("principal-list-root-and-role",
         policy(allow({"AWS": [f"arn:aws:iam::{PARTNER}:root", f"arn:aws:iam::{VENDOR}:role/ci-deploy"]}, PULL + PUSH)),
         public=False, external={PARTNER: acts("PutImage"), VENDOR: acts("BatchGetImage", "PutImage")},
         responsible=("0",)),
    Case("principal-aws-cn-role", policy(allow({"AWS": f"arn:aws-cn:iam::{PARTNER}:role/puller"}, PULL)),
         public=False, external={PARTNER: acts("GetDownloadUrlForLayer")}, responsible=("0",)),
    Case("principal-aws-us-gov-user", policy(allow({"AWS": f"arn:aws-us-gov:iam::{PARTNER}:user/deployer"}, PUSH)),
         public=False, external={PARTNER: acts("PutImage", "CompleteLayerUpload")}, responsible=("0",)),
    Case("principal-assumed-role",
         policy(allow({"AWS": f"arn:aws:sts::{PARTNER}:assumed-role/Builder/session-1"}, "ecr:BatchGetImage")),
         public=False, external_exact={PARTNER: acts("BatchGetImage")}, responsible=("0",)),
    Case("own-account-principals-not-external",
         policy(allow({"AWS": [OWNER, f"arn:aws:iam::{OWNER}:root", f"arn:aws:iam::{OWNER}:role/ci"]}, "ecr:*")),
         public=False, audiences=frozenset({Audience.ACCOUNT})),
    Case("dangling-unique-ids",
         policy(allow({"AWS": ["AROAJ2ZK6EXAMPLE7Q5T", "AIDAJQABLZS4A3QDU576Q"]}, PULL)),
         public=False, dangling=("AIDAJQABLZS4A3QDU576Q", "AROAJ2ZK6EXAMPLE7Q5T"), audiences=frozenset()),
    Case("dangling-beside-live-account",
         policy(allow({"AWS": ["AROAJ2ZK6EXAMPLE7Q5T", f"arn:aws:iam::{PARTNER}:root"]}, PULL)),
         public=False, external={PARTNER: acts("BatchGetImage")}, responsible=("0",),
         dangling=("AROAJ2ZK6EXAMPLE7Q5T",)),
    # Service and Federated principals.
    Case("service-without-source-condition",
         policy(allow({"Service": "codebuild.amazonaws.com"}, PULL, sid="CodeBuildPull")),
         public=False, confused_deputy=("codebuild.amazonaws.com",), audiences=frozenset({Audience.SERVICE})),
    Case("service-with-external-source-account",
         policy(allow({"Service": "codebuild.amazonaws.com"}, PULL,
                      {"StringEquals": {"aws:SourceAccount": PARTNER}})),
         public=False, external_exact={PARTNER: frozenset(PULL)}, responsible=("0",)),
    Case("service-with-own-source-arn",
         policy(allow({"Service": "lambda.amazonaws.com"}, PULL,
                      {"ArnLike": {"aws:SourceArn": f"arn:aws:lambda:eu-west-1:{OWNER}:function:*"}})),
         public=False, audiences=frozenset({Audience.SERVICE})),
    Case("service-source-account-if-exists-is-confused-deputy",
         policy(allow({"Service": "codebuild.amazonaws.com"}, PULL,
                      {"StringEqualsIfExists": {"aws:SourceAccount": PARTNER}})),
         public=False, confused_deputy=("codebuild.amazonaws.com",)),
    Case("federated-saml-provider-other-account",
         policy(allow({"Federated": f"arn:aws:iam::{PARTNER}:saml-provider/corp-idp"}, PULL)),
         public=False, external={PARTNER: acts("BatchGetImage")}, responsible=("0",),
         audiences=frozenset({Audience.FEDERATED})),
    Case("federated-public-web-identity",
         policy(allow({"Federated": "accounts.google.com"}, PULL)),
         public=True, responsible=("0",), public_has=acts("BatchGetImage")),
    Case("federated-cognito-narrowed-by-aud",
         policy(allow({"Federated": "cognito-identity.amazonaws.com"}, PULL,
                      {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:12345678-abcd-1234-abcd-123456789012"}})),
         public=False, audiences=frozenset({Audience.FEDERATED})),
    # Action and NotAction.
    Case("not-action-grants-the-rest",
         policy(allow("*", ["ecr:PutImage", "ecr:DeleteRepository", "ecr:BatchDeleteImage"], not_action=True)),
         public=True, responsible=("0",), public_has=acts("BatchGetImage", "SetRepositoryPolicy"),
         public_lacks=acts("PutImage", "DeleteRepository", "BatchDeleteImage")),
    Case("action-prefix-wildcard", policy(allow("*", "ecr:Batch*")),
         public=True, responsible=("0",), public_has=acts("BatchGetImage", "BatchDeleteImage", "BatchImportUpstreamImage"),
         public_lacks=acts("PutImage", "GetDownloadUrlForLayer")),
    Case("action-star-matches-every-ecr-action", policy(allow({"AWS": PARTNER}, "*")),
         public=False, external_exact={PARTNER: ECR_ACTIONS}, responsible=("0",)),
    Case("action-case-insensitive", policy(allow({"AWS": PARTNER}, ["ECR:batchgetimage", "Ecr:PUTIMAGE"])),
         public=False, external_exact={PARTNER: acts("BatchGetImage", "PutImage")}, responsible=("0",)),
    Case("non-ecr-actions-grant-nothing", policy(allow("*", ["s3:GetObject", "ecr-public:*"])),
         public=False, audiences=frozenset()),
    # Effects and explicit Deny.
    Case("deny-only-grants-nothing", policy(deny("*", "ecr:*")), public=False, audiences=frozenset()),
    Case("deny-everyone-overrides-allow", policy(allow("*", "ecr:*"), deny("*", "ecr:*")),
         public=False, audiences=frozenset()),
    Case("deny-removes-some-actions",
         policy(allow("*", PULL + PUSH), deny({"AWS": "*"}, "ecr:Put*")),
         public=True, responsible=("0",), public_has=acts("BatchGetImage", "UploadLayerPart"),
         public_lacks=acts("PutImage")),
    Case("deny-outside-organization-restricts-allow",
         policy(allow("*", PULL, sid="OrgPull"),
                deny("*", "ecr:*", {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}, sid="DenyOutsideOrg")),
         public=False, audiences=frozenset({Audience.ORGANIZATION})),
    Case("deny-outside-org-keeps-external-account",
         policy(allow({"AWS": PARTNER}, PULL),
                deny("*", "ecr:*", {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}})),
         public=False, external={PARTNER: acts("BatchGetImage")}, responsible=("0",)),
    Case("deny-outside-named-accounts",
         policy(allow("*", PULL), deny("*", "ecr:*", {"StringNotEquals": {"aws:PrincipalAccount": [OWNER, PARTNER]}})),
         public=False, external_exact={PARTNER: frozenset(PULL)}, responsible=("0",)),
    Case("deny-owner-account-variable",
         policy(allow("*", PULL), deny("*", "ecr:*",
                                        {"StringNotEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}})),
         public=False, audiences=frozenset({Audience.ACCOUNT})),
    Case("deny-for-any-value-org-paths-fails-open",
         policy(allow("*", PULL),
                deny("*", "ecr:*", {"ForAnyValue:StringNotLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}})),
         public=True, responsible=("0",), fail_open=("0", "1"), public_has=acts("BatchGetImage")),
    Case("deny-not-principal-restricts-to-listed",
         policy(allow("*", PULL), deny({"AWS": [f"arn:aws:iam::{PARTNER}:root", OWNER]}, "ecr:*", not_principal=True)),
         public=False, external_exact={PARTNER: frozenset(PULL)}, responsible=("0",)),
    Case("deny-named-account-overrides-its-allow",
         policy(allow({"AWS": [PARTNER, VENDOR]}, PULL), deny({"AWS": f"arn:aws:iam::{VENDOR}:root"}, "ecr:*")),
         public=False, external_exact={PARTNER: frozenset(PULL)}, responsible=("0",)),
    Case("deny-on-positive-account-condition",
         policy(allow({"AWS": [PARTNER, VENDOR]}, PULL),
                deny("*", "ecr:BatchGetImage", {"StringEquals": {"aws:PrincipalAccount": VENDOR}})),
         public=False, external_exact={PARTNER: frozenset(PULL), VENDOR: acts("GetDownloadUrlForLayer", "BatchCheckLayerAvailability")},
         responsible=("0",)),
    Case("deny-with-secure-transport-removes-nothing",
         policy(allow("*", PULL), deny("*", "ecr:*", {"Bool": {"aws:SecureTransport": "false"}})),
         public=True, responsible=("0",), public_has=frozenset(PULL)),
    Case("deny-outside-vpc-endpoint-is-network-only",
         policy(allow("*", PULL), deny("*", "ecr:*", {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f67890"}})),
         public=False, network_restricted=("0",), audiences=frozenset({Audience.NETWORK})),
    Case("deny-outside-org-exempts-service-principals",
         policy(allow("*", PULL, sid="OrgPull"),
                allow({"Service": "codebuild.amazonaws.com"}, PULL, {"StringEquals": {"aws:SourceAccount": PARTNER}}),
                deny("*", "ecr:*", {"StringNotEquals": {"aws:PrincipalOrgID": ORG},
                                    "Bool": {"aws:PrincipalIsAWSService": "false"}})),
         public=False, external={PARTNER: acts("BatchGetImage")}, responsible=("1",),
         audiences=frozenset({Audience.ORGANIZATION, Audience.SERVICE})),
    Case("deny-outside-source-account-drops-direct-callers",
         policy(allow("*", PULL), deny("*", "ecr:*", {"StringNotEquals": {"aws:SourceAccount": PARTNER}})),
         public=False, external_exact={PARTNER: frozenset(PULL)}, responsible=("0",)),
    Case("deny-outside-source-account-ties-service",
         policy(allow({"Service": "codebuild.amazonaws.com"}, PULL),
                deny("*", "ecr:*", {"StringNotEquals": {"aws:SourceAccount": OWNER}})),
         public=False, audiences=frozenset({Audience.SERVICE})),
    Case("deny-outside-org-drops-service-principal",
         policy(allow({"Service": "codebuild.amazonaws.com"}, PULL, {"StringEquals": {"aws:SourceAccount": PARTNER}}),
                deny("*", "ecr:*", {"StringNotEquals": {"aws:PrincipalOrgID": ORG}})),
         public=False, audiences=frozenset()),
    Case("deny-outside-vpc-endpoint-keeps-account-grant",
         policy(allow({"AWS": PARTNER}, PULL),
                deny("*", "ecr:*", {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f67890"}})),
         public=False, external_exact={PARTNER: frozenset(PULL)}, responsible=("0",)),
    Case("deny-two-negated-keys-spare-either",
         policy(allow("*", PULL), deny("*", "ecr:*", {"StringNotEquals": {
             "aws:PrincipalOrgID": ORG, "aws:SourceVpce": "vpce-0a1b2c3d4e5f67890"}})),
         public=False, network_restricted=("0",), audiences=frozenset({Audience.ORGANIZATION, Audience.NETWORK})),
    Case("deny-with-null-false-fails-open",
         policy(allow("*", PULL), deny("*", "ecr:*", {"StringNotEquals": {"aws:PrincipalOrgID": ORG},
                                                      "Null": {"aws:PrincipalOrgID": "false"}})),
         public=True, responsible=("0",), fail_open=("0", "1")),
    Case("deny-null-test-alone-removes-nothing",
         policy(allow("*", PULL), deny("*", "ecr:*", {"Null": {"aws:PrincipalOrgID": "false"}})),
         public=True, responsible=("0",), public_has=frozenset(PULL)),
    Case("deny-fail-open-keeps-network-grant",
         policy(allow("*", PULL, {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f67890"}}),
                deny("*", "ecr:*", {"ForAnyValue:StringNotLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}})),
         public=False, network_restricted=("0",)),
    Case("deny-other-org-cancels-org-allow",
         policy(allow("*", PULL, {"StringEquals": {"aws:PrincipalOrgID": ORG}}),
                deny("*", "ecr:*", {"StringNotEquals": {"aws:PrincipalOrgID": "o-zyxwvut987"}})),
         public=False, audiences=frozenset()),
    Case("deny-not-principal-role-narrows-account",
         policy(allow({"AWS": PARTNER}, PULL),
                deny({"AWS": f"arn:aws:iam::{PARTNER}:role/puller"}, "ecr:*", not_principal=True)),
         public=False, external_exact={PARTNER: frozenset(PULL)}, responsible=("0",)),
    Case("deny-not-principal-service-keeps-confused-deputy",
         policy(allow("*", PULL), deny({"Service": "codebuild.amazonaws.com"}, "ecr:*", not_principal=True)),
         public=False, confused_deputy=("codebuild.amazonaws.com",)),
    Case("deny-principal-arn-narrows-account",
         policy(allow({"AWS": PARTNER}, PUSH),
                deny("*", "ecr:*", {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{VENDOR}:role/ci-*"}})),
         public=False, audiences=frozenset()),
    Case("principal-arn-with-wildcard-account",
         policy(allow({"AWS": "arn:aws:iam::*:root"}, PULL)),
         public=True, responsible=("0",)),
    Case("allow-not-principal-is-public",
         policy(allow({"AWS": f"arn:aws:iam::{PARTNER}:root"}, PULL, not_principal=True)),
         public=True, responsible=("0",), public_has=frozenset(PULL)),
    # Conditions on a wildcard principal.
    Case("org-id-string-equals-restricts",
         policy(allow("*", PULL, {"StringEquals": {"aws:PrincipalOrgID": ORG}})),
         public=False, audiences=frozenset({Audience.ORGANIZATION})),
    Case("org-id-string-like-star-restricts-nothing",
         policy(allow("*", PULL, {"StringLike": {"aws:PrincipalOrgID": "*"}})),
         public=True, responsible=("0",)),
    Case("org-id-partial-wildcard-restricts-nothing",
         policy(allow("*", PULL, {"StringLike": {"aws:PrincipalOrgID": "o-*"}})),
         public=True, responsible=("0",)),
    Case("org-paths-for-any-value-restricts",
         policy(allow("*", PULL, {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/r-ab12/ou-ab12-11111111/*"}})),
         public=False, audiences=frozenset({Audience.ORGANIZATION})),
    Case("org-paths-for-all-values-fails-open",
         policy(allow("*", PULL, {"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}})),
         public=True, responsible=("0",), fail_open=("0",)),
    Case("org-id-if-exists-fails-open",
         policy(allow("*", PULL, {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}, sid="OrgPullIfExists")),
         public=True, responsible=("0:OrgPullIfExists",), fail_open=("0:OrgPullIfExists",)),
    Case("org-id-if-exists-closed-by-null-false",
         policy(allow("*", PULL, {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG},
                                  "Null": {"aws:PrincipalOrgID": "false"}})),
         public=False, audiences=frozenset({Audience.ORGANIZATION})),
    Case("org-id-for-any-value-restricts",
         policy(allow("*", PULL, {"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": ORG}})),
         public=False, audiences=frozenset({Audience.ORGANIZATION})),
    Case("principal-account-condition",
         policy(allow("*", PULL, {"StringEquals": {"aws:PrincipalAccount": PARTNER}})),
         public=False, external_exact={PARTNER: frozenset(PULL)}, responsible=("0",)),
    Case("principal-account-if-exists-still-restricts",
         policy(allow("*", PULL, {"StringEqualsIfExists": {"aws:PrincipalAccount": PARTNER}})),
         public=False, external={PARTNER: acts("BatchGetImage")}, responsible=("0",)),
    Case("principal-arn-like-role-pattern",
         policy(allow("*", PUSH, {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{PARTNER}:role/ci-*"}})),
         public=False, external_exact={PARTNER: frozenset(PUSH)}, responsible=("0",)),
    Case("principal-arn-wildcard-account-restricts-nothing",
         policy(allow("*", PUSH, {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin"}})),
         public=True, responsible=("0",)),
    Case("arn-equals-accepts-wildcards",
         policy(allow("*", PULL, {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::*:root"}})),
         public=True, responsible=("0",)),
    Case("userid-condition-restricts",
         policy(allow("*", PULL, {"StringLike": {"aws:userid": "AROAJ2ZK6EXAMPLE7Q5T:*"}})),
         public=False, audiences=frozenset({Audience.PRINCIPAL})),
    Case("source-account-condition-grants-account",
         policy(allow("*", PULL, {"StringEquals": {"aws:SourceAccount": PARTNER}})),
         public=False, external_exact={PARTNER: frozenset(PULL)}, responsible=("0",)),
    Case("source-account-if-exists-fails-open",
         policy(allow("*", PULL, {"StringEqualsIfExists": {"aws:SourceAccount": PARTNER}})),
         public=True, external={PARTNER: acts("BatchGetImage")}, responsible=("0",), fail_open=("0",)),
    Case("source-arn-for-all-values-fails-open",
         policy(allow("*", PULL, {"ForAllValues:ArnLike": {"aws:SourceArn": f"arn:aws:codebuild:*:{PARTNER}:project/*"}})),
         public=True, external={PARTNER: acts("BatchGetImage")}, responsible=("0",), fail_open=("0",)),
    Case("source-owner-condition-grants-account",
         policy(allow("*", PULL, {"StringEquals": {"aws:SourceOwner": VENDOR}})),
         public=False, external={VENDOR: acts("BatchGetImage")}, responsible=("0",)),
    Case("source-org-id-restricts",
         policy(allow("*", PULL, {"StringEquals": {"aws:SourceOrgID": ORG}})),
         public=False, audiences=frozenset({Audience.ORGANIZATION})),
    Case("source-org-id-if-exists-fails-open",
         policy(allow("*", PULL, {"StringEqualsIfExists": {"aws:SourceOrgID": ORG}})),
         public=True, responsible=("0",), fail_open=("0",)),
    Case("source-org-paths-for-any-value-restricts",
         policy(allow("*", PULL, {"ForAnyValue:StringLike": {"aws:SourceOrgPaths": f"{ORG}/*"}})),
         public=False, audiences=frozenset({Audience.ORGANIZATION})),
    Case("principal-service-name-restricts",
         policy(allow("*", PULL, {"StringEquals": {"aws:PrincipalServiceName": "codebuild.amazonaws.com"}})),
         public=False, confused_deputy=("codebuild.amazonaws.com",)),
    Case("secure-transport-restricts-nothing",
         policy(allow("*", PULL, {"Bool": {"aws:SecureTransport": "true"}})),
         public=True, responsible=("0",)),
    Case("source-vpce-is-network-only",
         policy(allow("*", PULL, {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f67890"}})),
         public=False, network_restricted=("0",), audiences=frozenset({Audience.NETWORK})),
    Case("source-vpc-is-network-only",
         policy(allow("*", PULL, {"StringEquals": {"aws:SourceVpc": "vpc-0a1b2c3d4e5f67890"}}, sid="VpcPull")),
         public=False, network_restricted=("0:VpcPull",)),
    Case("source-ip-range-is-network-only",
         policy(allow("*", PULL, {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.7/32"]}})),
         public=False, network_restricted=("0",)),
    Case("source-ip-everywhere-restricts-nothing",
         policy(allow("*", PULL, {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})),
         public=True, responsible=("0",)),
    Case("source-vpce-if-exists-fails-open",
         policy(allow("*", PULL, {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f67890"}})),
         public=True, responsible=("0",), fail_open=("0",)),
    Case("condition-keys-case-insensitive",
         policy(allow("*", PULL, {"StringEquals": {"AWS:principalorgid": ORG}})),
         public=False, audiences=frozenset({Audience.ORGANIZATION})),
    Case("condition-keys-anded-one-restricting-is-enough",
         policy(allow("*", PULL, {"Bool": {"aws:SecureTransport": "true"},
                                  "StringEquals": {"aws:PrincipalOrgID": ORG}})),
         public=False, audiences=frozenset({Audience.ORGANIZATION})),
    Case("firm-key-beats-fail-open-key",
         policy(allow("*", PULL, {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG},
                                  "StringEquals": {"aws:PrincipalAccount": PARTNER}})),
         public=False, external={PARTNER: acts("BatchGetImage")}, responsible=("0",)),
    Case("string-not-equals-on-allow-is-public",
         policy(allow("*", PULL, {"StringNotEquals": {"aws:PrincipalAccount": VENDOR}})),
         public=True, responsible=("0",)),
    Case("condition-value-list-names-two-accounts",
         policy(allow("*", PULL, {"StringEquals": {"aws:PrincipalAccount": [PARTNER, VENDOR]}})),
         public=False, external_exact={PARTNER: frozenset(PULL), VENDOR: frozenset(PULL)}, responsible=("0",)),
    Case("null-operator-alone-restricts-nothing",
         policy(allow("*", PULL, {"Null": {"aws:PrincipalOrgID": "false"}})),
         public=True, responsible=("0",)),
    Case("version-2008-ecr-console-policy",
         policy(allow({"AWS": [f"arn:aws:iam::{PARTNER}:root"]}, PULL, sid="AllowPull"), version="2008-10-17"),
         public=False, external={PARTNER: acts("BatchGetImage")}, responsible=("0:AllowPull",)),
    Case("owner-organization-variable",
         policy(allow("*", PULL, {"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}})),
         public=False, audiences=frozenset({Audience.ORGANIZATION})),
    Case("lambda-cross-account-pull-example",
         policy(allow({"AWS": f"arn:aws:iam::{PARTNER}:root"}, PULL[:2], sid="CrossAccountPermission"),
                allow({"Service": "lambda.amazonaws.com"}, PULL[:2],
                      {"StringLike": {"aws:sourceARN": f"arn:aws:lambda:us-east-1:{PARTNER}:function:*"}},
                      sid="LambdaECRImageCrossAccountRetrievalPolicy")),
         public=False, external_exact={PARTNER: frozenset(PULL[:2])},
         responsible=("0:CrossAccountPermission", "1:LambdaECRImageCrossAccountRetrievalPolicy")),
    Case("version-missing-still-parses",
         {"Statement": [allow({"AWS": VENDOR}, "ecr:BatchGetImage")]},
         public=False, external_exact={VENDOR: acts("BatchGetImage")}, responsible=("0",)),
    # Scope of the analysis: the V1 registry policy scope enforces three actions.
    Case("v1-scope-counts-enforced-actions-only",
         policy(allow({"AWS": f"arn:aws:iam::{PARTNER}:root"}, "ecr:*", sid="Replication")),
         public=False, external_exact={PARTNER: V1_ENFORCED_ACTIONS}, responsible=("0:Replication",),
         scope=V1_ENFORCED_ACTIONS),
    Case("v1-scope-public-pull-grants-nothing",
         policy(allow("*", PULL)), public=False, audiences=frozenset(), scope=V1_ENFORCED_ACTIONS),
]


def test_case_table_has_unique_ids() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 40


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_policy_case(case: Case) -> None:
    analysis = analyse_policy(case.document, OWNER, actions=case.scope)

    assert analysis.public is case.public
    assert set(analysis.external_accounts) == set(case.external) | set(case.external_exact)
    for account, actions in case.external.items():
        assert actions <= analysis.external_accounts[account], account
    for account, actions in case.external_exact.items():
        assert analysis.external_accounts[account] == actions, account
    assert case.public_has <= analysis.public_actions
    assert not case.public_lacks & analysis.public_actions

    findings = {
        grant.statement
        for grant in analysis.grants
        if grant.is_public or (grant.account is not None and grant.account != OWNER)
    }
    assert tuple(ref_text(ref) for ref in sorted(findings)) == case.responsible
    assert tuple(ref_text(ref) for ref in analysis.fail_open_statements) == case.fail_open
    assert analysis.dangling_principals == case.dangling
    assert analysis.confused_deputy == case.confused_deputy
    assert tuple(ref_text(ref) for ref in analysis.network_restricted) == case.network_restricted
    if case.audiences is not None:
        assert {grant.audience for grant in analysis.grants} == case.audiences


def test_public_statements_include_fail_open() -> None:
    document = policy(
        allow({"AWS": PARTNER}, PULL, sid="Partner"),
        allow("*", "ecr:BatchGetImage", {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}, sid="Org"),
    )
    analysis = analyse_policy(json.dumps(document), OWNER)

    assert analysis.statements_responsible(Audience.PUBLIC) == (StatementRef(1, "Org"),)
    assert analysis.statements_responsible(account=PARTNER) == (StatementRef(0, "Partner"),)
    assert analysis.statements_responsible(actions=["ecr:GetDownloadUrlForLayer"]) == (StatementRef(0, "Partner"),)
    assert analysis.actions_for(Audience.PUBLIC) == acts("BatchGetImage")
    assert analysis.actions_for(account=PARTNER) == frozenset(PULL)
    assert [grant.organization_ids for grant in analysis.grants_for(Audience.ORGANIZATION)] == [(ORG,)]


def test_grant_fields_for_fail_open_org() -> None:
    document = policy(allow("*", PULL, {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}))
    (grant,) = analyse_policy(document, OWNER).grants

    assert grant.audience is Audience.ORGANIZATION
    assert grant.fail_open is True
    assert grant.is_public is True
    assert grant.organization_ids == (ORG,)
    assert grant.restriction is not None
    assert "aws:PrincipalOrgID = o-a1b2c3d4e5" in grant.restriction


def test_deny_narrowing_recorded_on_grant() -> None:
    document = policy(
        allow("*", PULL + PUSH),
        deny("*", PUSH, {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}, sid="PushInsideOrg"),
    )
    analysis = analyse_policy(document, OWNER)

    assert analysis.public_actions == frozenset(PULL)
    (narrowed,) = analysis.grants_for(Audience.ORGANIZATION)
    assert narrowed.actions == frozenset(PUSH)
    assert narrowed.narrowed_by == (StatementRef(1, "PushInsideOrg"),)
    assert narrowed.organization_ids == (ORG,)


def test_deny_missing_grant_leaves_it_whole() -> None:
    document = policy(allow({"AWS": PARTNER}, "ecr:*"), deny({"AWS": VENDOR}, "ecr:PutImage"))
    (grant,) = analyse_policy(document, OWNER).grants

    assert grant.actions == ECR_ACTIONS
    assert grant.narrowed_by == ()


def test_owner_organization_variable_recorded() -> None:
    document = policy(allow("*", PULL, {"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}))
    (grant,) = analyse_policy(document, OWNER).grants

    assert grant.organization_ids == (OWNER_ORGANIZATION,)


def test_policy_variables_literal_before_2012() -> None:
    document = policy(allow("*", PULL, {"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}),
                      version="2008-10-17")
    (grant,) = analyse_policy(document, OWNER).grants

    assert grant.organization_ids == ("${aws:ResourceOrgID}",)


def test_action_patterns_kept_on_grant() -> None:
    document = policy(allow({"AWS": PARTNER}, ["ecr:*"]), allow({"AWS": VENDOR}, ["ecr:PutImage"], not_action=True))
    first, second = analyse_policy(document, OWNER).grants

    assert first.action_patterns == ("ecr:*",)
    assert first.not_action is False
    assert second.action_patterns == ("ecr:PutImage",)
    assert second.not_action is True


def test_out_of_scope_actions_listed() -> None:
    document = policy(allow({"AWS": PARTNER}, ["ecr:ReplicateImage", "ecr:BatchGetImage"], sid="Mixed"))
    analysis = analyse_policy(document, OWNER, actions=V1_ENFORCED_ACTIONS)

    assert dict(analysis.out_of_scope_actions) == {StatementRef(0, "Mixed"): acts("BatchGetImage")}
    assert analysis.external_accounts[PARTNER] == acts("ReplicateImage")


def test_deny_narrowing_names_statement() -> None:
    document = policy(
        allow({"AWS": PARTNER}, PULL),
        deny("*", "ecr:*", {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f67890"}}, sid="OnlyViaEndpoint"),
    )
    (grant,) = analyse_policy(document, OWNER).grants

    assert grant.narrowed_by == (StatementRef(1, "OnlyViaEndpoint"),)
    assert grant.restriction is not None
    assert "aws:SourceVpce = vpce-0a1b2c3d4e5f67890" in grant.restriction
    assert "statement 1 (OnlyViaEndpoint) denies every other caller" in grant.restriction


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"Statement": [}', "invalid JSON at line 1 column 16"),
        ("{\n  \"Statement\": [\n    {\"Effect\": \"Allow\",,}\n  ]\n}", "invalid JSON at line 3"),
        ("", "invalid JSON at line 1 column 1"),
        ("[]", "must be a JSON object"),
        ('{"Version": "2012-10-17"}', "Statement is missing"),
        ('{"Statement": "Allow everything"}', "Statement must be an object or a list"),
        ('{"Statement": [42]}', "statement 0 must be an object"),
        ('{"Statement": {"Principal": "*", "Action": "ecr:*"}}', "Effect is missing"),
        ('{"Statement": {"Effect": "Permit", "Principal": "*", "Action": "ecr:*"}}', "Effect must be"),
        ('{"Statement": {"Effect": "Allow", "Action": "ecr:*"}}', "Principal or NotPrincipal"),
        ('{"Statement": {"Effect": "Allow", "Principal": "*"}}', "Action or NotAction"),
        ('{"Statement": {"Effect": "Allow", "Principal": "*", "Action": 7}}', "Action must be a string"),
        ('{"Statement": {"Effect": "Allow", "Principal": {"Group": "x"}, "Action": "ecr:*"}}', "unknown Principal type"),
        ('{"Statement": {"Effect": "Allow", "Principal": {"AWS": "admins"}, "Action": "ecr:*"}}',
         "unrecognised AWS principal"),
        ('{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "ecr:*", "Condition": []}}',
         "Condition must be an object"),
        ('{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "ecr:*",'
         ' "Condition": {"StringEqualz": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}}', "unknown condition operator"),
        ('{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "ecr:*",'
         ' "Condition": {"StringEquals": {"aws:PrincipalOrgID": []}}}}', "empty list of values"),
        ('{"Statement": {"Effect": "Allow", "Effect": "Deny", "Principal": "*", "Action": "ecr:*"}}',
         "duplicate key 'Effect'"),
        ('{"Statement": {"Effect": "Deny", "Principal": {"CanonicalUser": "79a59df900b949e5"}, "Action": "ecr:*"}}',
         "CanonicalUser"),
        ('{"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::12345:root"}, "Action": "ecr:*"}}',
         "no valid account id"),
        ('{"Statement": {"Effect": "Allow", "Principal": "*", "NotPrincipal": "*", "Action": "ecr:*"}}',
         "exactly one of Principal or NotPrincipal"),
    ],
    ids=[
        "truncated-json", "json-error-line-3", "empty-text", "array-document", "statement-missing",
        "statement-string", "statement-item-number", "effect-missing", "effect-invalid", "principal-missing",
        "action-missing", "action-number", "principal-type-unknown", "aws-principal-unrecognised",
        "condition-not-object", "operator-unknown", "condition-values-empty", "duplicate-key",
        "canonical-user", "short-account-in-arn", "principal-and-not-principal",
    ],
)
def test_parse_error(text: str, message: str) -> None:
    with pytest.raises(PolicyParseError, match=message):
        analyse_policy(text, OWNER)


def test_parse_error_is_value_error() -> None:
    assert issubclass(PolicyParseError, ValueError)


def test_owner_account_validated() -> None:
    with pytest.raises(ValueError, match="12-digit"):
        analyse_policy(policy(allow("*")), "not-an-account")


@pytest.mark.parametrize(
    ("patterns", "negated", "included", "excluded"),
    [
        ("*", False, acts("PutImage", "ReplicateImage", "GetAuthorizationToken"), frozenset()),
        ("ecr:*", False, acts("BatchImportUpstreamImage", "DeleteRepository"), frozenset()),
        (["ecr:Batch*"], False, acts("BatchGetImage", "BatchDeleteImage", "BatchCheckLayerAvailability"),
         acts("PutImage")),
        ("ECR:putimage", False, acts("PutImage"), acts("PutImageTagMutability")),
        ("ecr:?utImage", False, acts("PutImage"), acts("PutImageScanningConfiguration")),
        (["s3:*", "ecr-public:*", "sts:AssumeRole"], False, frozenset(), ECR_ACTIONS),
        (["ecr:PutImage", "ecr:Delete*"], True, acts("BatchGetImage", "SetRepositoryPolicy"),
         acts("PutImage", "DeleteRepository", "DeleteRepositoryPolicy")),
        ("ecr:NoSuchAction", False, frozenset(), ECR_ACTIONS),
    ],
    ids=["star", "ecr-star", "batch-prefix", "case-insensitive", "question-mark", "other-services",
         "negated", "unknown-action"],
)
def test_expand_actions(patterns: str | list[str], negated: bool, included: frozenset[str],
                        excluded: frozenset[str]) -> None:
    expanded = expand_actions(patterns, negated=negated)

    assert included <= expanded
    assert not excluded & expanded


def test_ecr_actions_cover_service_model_and_iam_only() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("ecr")
    assert {f"ecr:{name}" for name in model.operation_names} <= ECR_ACTIONS
    assert PERMISSION_ONLY_ACTIONS <= ECR_ACTIONS
    assert V1_ENFORCED_ACTIONS <= ECR_ACTIONS
    assert all(action.startswith("ecr:") for action in ECR_ACTIONS)


def test_write_actions_classification() -> None:
    required = acts("PutImage", "InitiateLayerUpload", "UploadLayerPart", "CompleteLayerUpload",
                    "BatchDeleteImage", "DeleteRepository", "SetRepositoryPolicy", "DeleteRepositoryPolicy",
                    "PutRegistryPolicy", "PutReplicationConfiguration", "ReplicateImage", "TagResource")
    assert required <= WRITE_ACTIONS
    assert not acts("BatchGetImage", "GetDownloadUrlForLayer", "DescribeImages", "ListImages",
                    "GetAuthorizationToken") & WRITE_ACTIONS
    assert READ_ACTIONS | WRITE_ACTIONS == ECR_ACTIONS
    assert not READ_ACTIONS & WRITE_ACTIONS


def test_policies_read_back_from_emulator(emulator) -> None:
    """Policy text as the ECR API returns it parses and keeps its verdicts."""
    ecr = boto3.client("ecr", region_name="us-east-1")
    registry_id = ecr.describe_registry()["registryId"]
    ecr.create_repository(repositoryName="team/api")
    repository_policy = policy(allow({"AWS": "*"}, PULL, {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}},
                                     sid="OrgPull"))
    ecr.set_repository_policy(repositoryName="team/api", policyText=json.dumps(repository_policy))
    registry_policy = policy(allow({"AWS": f"arn:aws:iam::{PARTNER}:root"},
                                   ["ecr:ReplicateImage", "ecr:CreateRepository"], sid="Replication"))
    ecr.put_registry_policy(policyText=json.dumps(registry_policy))

    repository_text = ecr.get_repository_policy(repositoryName="team/api")["policyText"]
    registry_text = ecr.get_registry_policy()["policyText"]
    repository_analysis = analyse_policy(repository_text, registry_id)
    registry_analysis = analyse_policy(registry_text, registry_id, actions=V1_ENFORCED_ACTIONS)

    assert repository_analysis.public is True
    assert repository_analysis.fail_open_statements == (StatementRef(0, "OrgPull"),)
    assert registry_analysis.public is False
    assert registry_analysis.external_accounts == {PARTNER: acts("ReplicateImage", "CreateRepository")}
