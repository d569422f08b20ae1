"""Every operation that the layer serves returns bodies that its service model allows.

Each case calls one operation through boto3 over HTTP, captures the raw body with
a ``before-parse`` hook and walks it against the botocore output shape (or, for
an error, checks that the error is one the operation models). ECR, Inspector
(inspector2) and Account Management (account) are covered.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from auditor.emulator import account_ops, inspector_ops
from auditor.emulator.ecr_layer import LAYER_OPERATIONS
from auditor.emulator.faults import FaultPlan, TransientFault
from auditor.emulator.findings import (
    HEADLINE_PACKAGES,
    ImageContext,
    base_image_packages,
    basic_finding,
    enhanced_finding,
)
from auditor.emulator.model_check import response_problems
from auditor.emulator.seed import COSIGN_SIGNATURE, DEFAULT_ACCOUNT, OCI_MANIFEST, EstateSeeder
from auditor.emulator.server import EmulatorServer
from auditor.emulator.state import utc_now

BASIC = "us-east-1"  # BASIC scanning, AWS-native
ENHANCED = "eu-west-1"  # ENHANCED scanning
EMPTY = "ap-southeast-2"  # a registry with default settings only
REPO = "payments/api"
SIGNER = f"arn:aws:signer:{BASIC}:{DEFAULT_ACCOUNT}:/signing-profiles/ecr_release"
PUBLIC_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"]}],
    }
)
LIFECYCLE = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 14,
                },
                "action": {"type": "expire"},
            }
        ]
    }
)


def seed_rich_registries(seeder: EstateSeeder) -> dict[str, str]:
    """Seed one BASIC and one ENHANCED registry with every kind of data; return image digests."""
    account = DEFAULT_ACCOUNT
    digests: dict[str, str] = {}
    for region in (BASIC, ENHANCED):
        seeder.create_repository(
            account,
            region,
            REPO,
            mutability="IMMUTABLE_WITH_EXCLUSION",
            exclusion_filters=["latest"],
            encryption_type="KMS",
            tags={"owner": "payments"},
        )
        latest = seeder.add_image(account, region, REPO, tags=["v2", "latest"], last_pull=utc_now())
        seeder.add_image(
            account,
            region,
            REPO,
            tags=[latest.replace(":", "-") + ".sig"],
            manifest_media_type=OCI_MANIFEST,
            artifact_media_type=COSIGN_SIGNATURE,
        )
        old = seeder.add_image(account, region, REPO, archived_at=utc_now())
        untagged = seeder.add_image(account, region, REPO, subject_digest=latest)
        digests[f"{region}/latest"] = latest
        digests[f"{region}/archived"] = old
        digests[f"{region}/untagged"] = untagged

    seeder.put_scanning_configuration(account, ENHANCED, "ENHANCED", {"CONTINUOUS_SCAN": ["pay*"]})
    seeder.add_scan_findings(
        account,
        BASIC,
        REPO,
        digests[f"{BASIC}/latest"],
        findings=[basic_finding(p) for p in base_image_packages()],
    )
    seeder.add_scan_findings(account, BASIC, REPO, digests[f"{BASIC}/untagged"], status="FAILED")
    image = ImageContext(account, ENHANCED, REPO, digests[f"{ENHANCED}/latest"], ("v2", "latest"), utc_now())
    seeder.add_scan_findings(
        account,
        ENHANCED,
        REPO,
        image.digest,
        status="ACTIVE",
        enhanced_findings=[
            enhanced_finding(p, image, first_observed_at=utc_now(), last_observed_at=utc_now())
            for p in (*HEADLINE_PACKAGES, *base_image_packages()[:5])
        ],
    )
    seeder.add_empty_complete_scan(account, ENHANCED, REPO, digests[f"{ENHANCED}/untagged"])

    seeder.put_registry_policy(account, BASIC, PUBLIC_POLICY)
    seeder.set_repository_policy(account, BASIC, REPO, PUBLIC_POLICY)
    seeder.put_lifecycle_policy(account, BASIC, REPO, LIFECYCLE)
    seeder.put_replication(
        account,
        BASIC,
        [
            {
                "destinations": [{"region": ENHANCED, "registryId": account}],
                "repositoryFilters": [{"filter": "payments", "filterType": "PREFIX_MATCH"}],
                "deleteReplication": {"enabled": False},
            }
        ],
    )
    seeder.create_pull_through_cache_rule(
        account,
        BASIC,
        "dockerhub",
        "registry-1.docker.io",
        credential_arn=f"arn:aws:secretsmanager:{BASIC}:{account}:secret:ecr-pullthroughcache/hub-x1",
    )
    seeder.create_pull_through_cache_rule(account, BASIC, "ecr-public", "public.ecr.aws")
    seeder.mark_pull_through_cache_rule_invalid(account, BASIC, "dockerhub", "Invalid credentials")
    seeder.create_creation_template(
        account,
        BASIC,
        "ROOT",
        ["PULL_THROUGH_CACHE", "REPLICATION"],
        description="defaults",
        mutability="IMMUTABLE_WITH_EXCLUSION",
        exclusion_filters=["latest"],
        encryption_type="KMS",
        resource_tags={"owner": "platform"},
        repository_policy=PUBLIC_POLICY,
        lifecycle_policy=LIFECYCLE,
        custom_role_arn=f"arn:aws:iam::{account}:role/ecr-templates",
    )
    seeder.put_signing_configuration(account, BASIC, {SIGNER: ["payments/*"]})
    seeder.set_signing_status(account, BASIC, REPO, digests[f"{BASIC}/latest"], SIGNER, "COMPLETE")
    seeder.set_signing_status(
        account,
        BASIC,
        REPO,
        digests[f"{BASIC}/untagged"],
        SIGNER,
        "FAILED",
        failure_code="SIGNING_PROFILE_NOT_ACTIVE",
        failure_reason="The signing profile is revoked",
    )
    return digests


Call = Callable[[Any, dict[str, str]], Any]

# (case id, operation, region, call). Every layer operation appears at least once.
SUCCESS_CASES: list[tuple[str, str, str, Call]] = [
    ("put-registry-policy", "PutRegistryPolicy", BASIC,
     lambda ecr, d: ecr.put_registry_policy(policyText=PUBLIC_POLICY)),
    ("get-registry-policy", "GetRegistryPolicy", BASIC, lambda ecr, d: ecr.get_registry_policy()),
    ("delete-registry-policy", "DeleteRegistryPolicy", BASIC,
     lambda ecr, d: ecr.delete_registry_policy()),
    ("put-replication", "PutReplicationConfiguration", BASIC,
     lambda ecr, d: ecr.put_replication_configuration(replicationConfiguration={"rules": [
         {"destinations": [{"region": ENHANCED, "registryId": DEFAULT_ACCOUNT}]},
         {"destinations": [{"region": BASIC, "registryId": "210987654321"}],
          "repositoryFilters": [{"filter": "platform", "filterType": "PREFIX_MATCH"}]},
     ]})),
    ("describe-registry", "DescribeRegistry", BASIC, lambda ecr, d: ecr.describe_registry()),
    ("describe-registry-empty", "DescribeRegistry", EMPTY, lambda ecr, d: ecr.describe_registry()),
    ("create-ptc-rule", "CreatePullThroughCacheRule", BASIC,
     lambda ecr, d: ecr.create_pull_through_cache_rule(
         ecrRepositoryPrefix="ecr-peer",
         upstreamRegistryUrl="210987654321.dkr.ecr.us-east-1.amazonaws.com",
         upstreamRegistry="ecr",
         customRoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/ptc",
         upstreamRepositoryPrefix="team")),
    ("describe-ptc-rules", "DescribePullThroughCacheRules", BASIC,
     lambda ecr, d: ecr.describe_pull_through_cache_rules()),
    ("delete-ptc-rule", "DeletePullThroughCacheRule", BASIC,
     lambda ecr, d: ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="dockerhub")),
    ("validate-ptc-rule-invalid", "ValidatePullThroughCacheRule", BASIC,
     lambda ecr, d: ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="dockerhub")),
    ("validate-ptc-rule-valid", "ValidatePullThroughCacheRule", BASIC,
     lambda ecr, d: ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="ecr-public")),
    ("create-template", "CreateRepositoryCreationTemplate", BASIC,
     lambda ecr, d: ecr.create_repository_creation_template(
         prefix="team-a", appliedFor=[], resourceTags=[{"Key": "owner", "Value": "a"}])),
    ("describe-templates", "DescribeRepositoryCreationTemplates", BASIC,
     lambda ecr, d: ecr.describe_repository_creation_templates()),
    ("delete-template", "DeleteRepositoryCreationTemplate", BASIC,
     lambda ecr, d: ecr.delete_repository_creation_template(prefix="ROOT")),
    ("put-account-setting", "PutAccountSetting", BASIC,
     lambda ecr, d: ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")),
    ("get-account-setting", "GetAccountSetting", BASIC,
     lambda ecr, d: ecr.get_account_setting(name="REGISTRY_POLICY_SCOPE")),
    ("put-signing", "PutSigningConfiguration", BASIC,
     lambda ecr, d: ecr.put_signing_configuration(signingConfiguration={"rules": [
         {"signingProfileArn": SIGNER}]})),
    ("get-signing", "GetSigningConfiguration", BASIC, lambda ecr, d: ecr.get_signing_configuration()),
    ("delete-signing", "DeleteSigningConfiguration", BASIC,
     lambda ecr, d: ecr.delete_signing_configuration()),
    ("put-scanning", "PutRegistryScanningConfiguration", BASIC,
     lambda ecr, d: ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=[
         {"scanFrequency": "SCAN_ON_PUSH",
          "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}])),
    ("get-scanning", "GetRegistryScanningConfiguration", ENHANCED,
     lambda ecr, d: ecr.get_registry_scanning_configuration()),
    ("describe-repositories", "DescribeRepositories", BASIC,
     lambda ecr, d: ecr.describe_repositories(maxResults=1)),
    ("describe-repositories-by-name", "DescribeRepositories", BASIC,
     lambda ecr, d: ecr.describe_repositories(repositoryNames=[REPO])),
    ("create-repository", "CreateRepository", BASIC,
     lambda ecr, d: ecr.create_repository(repositoryName="platform/base",
                                          encryptionConfiguration={"encryptionType": "KMS"})),
    ("delete-repository", "DeleteRepository", BASIC,
     lambda ecr, d: ecr.delete_repository(repositoryName=REPO, force=True)),
    ("set-repository-policy", "SetRepositoryPolicy", BASIC,
     lambda ecr, d: ecr.set_repository_policy(repositoryName=REPO, policyText=PUBLIC_POLICY)),
    ("get-repository-policy", "GetRepositoryPolicy", BASIC,
     lambda ecr, d: ecr.get_repository_policy(repositoryName=REPO)),
    ("delete-repository-policy", "DeleteRepositoryPolicy", BASIC,
     lambda ecr, d: ecr.delete_repository_policy(repositoryName=REPO)),
    ("put-lifecycle", "PutLifecyclePolicy", BASIC,
     lambda ecr, d: ecr.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=LIFECYCLE)),
    ("get-lifecycle", "GetLifecyclePolicy", BASIC,
     lambda ecr, d: ecr.get_lifecycle_policy(repositoryName=REPO)),
    ("delete-lifecycle", "DeleteLifecyclePolicy", BASIC,
     lambda ecr, d: ecr.delete_lifecycle_policy(repositoryName=REPO)),
    ("batch-get-scanning", "BatchGetRepositoryScanningConfiguration", ENHANCED,
     lambda ecr, d: ecr.batch_get_repository_scanning_configuration(repositoryNames=[REPO, "nope"])),
    ("describe-images-basic", "DescribeImages", BASIC,
     lambda ecr, d: ecr.describe_images(repositoryName=REPO, filter={"imageStatus": "ANY"})),
    ("describe-images-enhanced", "DescribeImages", ENHANCED,
     lambda ecr, d: ecr.describe_images(repositoryName=REPO, filter={"imageStatus": "ANY"})),
    ("describe-images-by-id", "DescribeImages", BASIC,
     lambda ecr, d: ecr.describe_images(repositoryName=REPO, imageIds=[{"imageTag": "latest"}])),
    ("list-images", "ListImages", BASIC,
     lambda ecr, d: ecr.list_images(repositoryName=REPO, filter={"tagStatus": "ANY"})),
    ("findings-basic", "DescribeImageScanFindings", BASIC,
     lambda ecr, d: ecr.describe_image_scan_findings(repositoryName=REPO, imageId={"imageTag": "latest"})),
    ("findings-basic-failed", "DescribeImageScanFindings", BASIC,
     lambda ecr, d: ecr.describe_image_scan_findings(
         repositoryName=REPO, imageId={"imageDigest": d[f"{BASIC}/untagged"]})),
    ("findings-enhanced", "DescribeImageScanFindings", ENHANCED,
     lambda ecr, d: ecr.describe_image_scan_findings(repositoryName=REPO, imageId={"imageTag": "v2"})),
    ("findings-complete-but-empty", "DescribeImageScanFindings", ENHANCED,
     lambda ecr, d: ecr.describe_image_scan_findings(
         repositoryName=REPO, imageId={"imageDigest": d[f"{ENHANCED}/untagged"]})),
    ("signing-status", "DescribeImageSigningStatus", BASIC,
     lambda ecr, d: ecr.describe_image_signing_status(repositoryName=REPO, imageId={"imageTag": "latest"})),
    ("signing-status-failed", "DescribeImageSigningStatus", BASIC,
     lambda ecr, d: ecr.describe_image_signing_status(
         repositoryName=REPO, imageId={"imageDigest": d[f"{BASIC}/untagged"]})),
]  # fmt: skip

# (case id, operation, region, call, expected error code).
ERROR_CASES: list[tuple[str, str, str, Call, str]] = [
    ("registry-policy-absent", "GetRegistryPolicy", EMPTY,
     lambda ecr, d: ecr.get_registry_policy(), "RegistryPolicyNotFoundException"),
    ("delete-registry-policy-absent", "DeleteRegistryPolicy", EMPTY,
     lambda ecr, d: ecr.delete_registry_policy(), "RegistryPolicyNotFoundException"),
    ("registry-policy-non-ecr-action", "PutRegistryPolicy", BASIC,
     lambda ecr, d: ecr.put_registry_policy(policyText=json.dumps({"Statement": [
         {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]})),
     "InvalidParameterException"),
    ("replication-to-itself", "PutReplicationConfiguration", BASIC,
     lambda ecr, d: ecr.put_replication_configuration(replicationConfiguration={"rules": [
         {"destinations": [{"region": BASIC, "registryId": DEFAULT_ACCOUNT}]}]}),
     "InvalidParameterException"),
    ("ptc-duplicate", "CreatePullThroughCacheRule", BASIC,
     lambda ecr, d: ecr.create_pull_through_cache_rule(
         ecrRepositoryPrefix="ecr-public", upstreamRegistryUrl="public.ecr.aws"),
     "PullThroughCacheRuleAlreadyExistsException"),
    ("ptc-unsupported-upstream", "CreatePullThroughCacheRule", BASIC,
     lambda ecr, d: ecr.create_pull_through_cache_rule(
         ecrRepositoryPrefix="private", upstreamRegistryUrl="registry.example.com"),
     "UnsupportedUpstreamRegistryException"),
    ("ptc-bad-credential-arn", "CreatePullThroughCacheRule", BASIC,
     lambda ecr, d: ecr.create_pull_through_cache_rule(
         ecrRepositoryPrefix="hub2", upstreamRegistryUrl="registry-1.docker.io",
         credentialArn=f"arn:aws:secretsmanager:{BASIC}:{DEFAULT_ACCOUNT}:secret:dockerhub-creds-AbCd"),
     "ValidationException"),
    ("ptc-describe-unknown-prefix", "DescribePullThroughCacheRules", BASIC,
     lambda ecr, d: ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["quay"]),
     "PullThroughCacheRuleNotFoundException"),
    ("ptc-delete-unknown", "DeletePullThroughCacheRule", BASIC,
     lambda ecr, d: ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="quay"),
     "PullThroughCacheRuleNotFoundException"),
    ("ptc-validate-unknown", "ValidatePullThroughCacheRule", BASIC,
     lambda ecr, d: ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="quay"),
     "PullThroughCacheRuleNotFoundException"),
    ("template-duplicate", "CreateRepositoryCreationTemplate", BASIC,
     lambda ecr, d: ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["REPLICATION"]),
     "TemplateAlreadyExistsException"),
    ("template-delete-unknown", "DeleteRepositoryCreationTemplate", BASIC,
     lambda ecr, d: ecr.delete_repository_creation_template(prefix="nothing"),
     "TemplateNotFoundException"),
    ("templates-bad-token", "DescribeRepositoryCreationTemplates", BASIC,
     lambda ecr, d: ecr.describe_repository_creation_templates(nextToken="not-a-token"),
     "InvalidParameterException"),
    ("account-setting-v1", "PutAccountSetting", BASIC,
     lambda ecr, d: ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V1"),
     "ValidationException"),
    ("account-setting-unknown-name", "GetAccountSetting", BASIC,
     lambda ecr, d: ecr.get_account_setting(name="NO_SUCH_SETTING"), "ValidationException"),
    ("signing-bad-profile", "PutSigningConfiguration", BASIC,
     lambda ecr, d: ecr.put_signing_configuration(signingConfiguration={"rules": [
         {"signingProfileArn": "arn:aws:iam::123456789012:role/not-a-profile"}]}),
     "ValidationException"),
    ("signing-absent", "GetSigningConfiguration", EMPTY,
     lambda ecr, d: ecr.get_signing_configuration(), "SigningConfigurationNotFoundException"),
    ("delete-signing-absent", "DeleteSigningConfiguration", EMPTY,
     lambda ecr, d: ecr.delete_signing_configuration(), "SigningConfigurationNotFoundException"),
    ("scanning-continuous-under-basic", "PutRegistryScanningConfiguration", BASIC,
     lambda ecr, d: ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[
         {"scanFrequency": "CONTINUOUS_SCAN",
          "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]),
     "InvalidParameterException"),
    ("describe-unknown-repository", "DescribeRepositories", BASIC,
     lambda ecr, d: ecr.describe_repositories(repositoryNames=["nope"]), "RepositoryNotFoundException"),
    ("repositories-page-too-large", "DescribeRepositories", BASIC,
     lambda ecr, d: ecr.describe_repositories(maxResults=1001), "InvalidParameterException"),
    ("create-duplicate-repository", "CreateRepository", BASIC,
     lambda ecr, d: ecr.create_repository(repositoryName=REPO), "RepositoryAlreadyExistsException"),
    ("create-with-unknown-key", "CreateRepository", BASIC,
     lambda ecr, d: ecr.create_repository(repositoryName="platform/other", encryptionConfiguration={
         "encryptionType": "KMS",
         "kmsKey": f"arn:aws:kms:{BASIC}:{DEFAULT_ACCOUNT}:key/00000000-0000-0000-0000-000000000000"}),
     "KmsException"),
    ("delete-non-empty", "DeleteRepository", BASIC,
     lambda ecr, d: ecr.delete_repository(repositoryName=REPO), "RepositoryNotEmptyException"),
    ("set-policy-not-json", "SetRepositoryPolicy", BASIC,
     lambda ecr, d: ecr.set_repository_policy(repositoryName=REPO, policyText="{not json"),
     "InvalidParameterException"),
    ("repository-policy-absent", "GetRepositoryPolicy", ENHANCED,
     lambda ecr, d: ecr.get_repository_policy(repositoryName=REPO), "RepositoryPolicyNotFoundException"),
    ("delete-repository-policy-absent", "DeleteRepositoryPolicy", ENHANCED,
     lambda ecr, d: ecr.delete_repository_policy(repositoryName=REPO),
     "RepositoryPolicyNotFoundException"),
    ("lifecycle-invalid", "PutLifecyclePolicy", BASIC,
     lambda ecr, d: ecr.put_lifecycle_policy(
         repositoryName=REPO, lifecyclePolicyText=LIFECYCLE.replace('"expire"', '"archive-forever"')),
     "InvalidParameterException"),
    ("lifecycle-absent", "GetLifecyclePolicy", ENHANCED,
     lambda ecr, d: ecr.get_lifecycle_policy(repositoryName=REPO), "LifecyclePolicyNotFoundException"),
    ("delete-lifecycle-absent", "DeleteLifecyclePolicy", ENHANCED,
     lambda ecr, d: ecr.delete_lifecycle_policy(repositoryName=REPO),
     "LifecyclePolicyNotFoundException"),
    ("batch-scanning-too-many", "BatchGetRepositoryScanningConfiguration", BASIC,
     lambda ecr, d: ecr.batch_get_repository_scanning_configuration(
         repositoryNames=[f"repo{i:02d}" for i in range(26)]),
     "ValidationException"),
    ("describe-images-unknown-tag", "DescribeImages", BASIC,
     lambda ecr, d: ecr.describe_images(repositoryName=REPO, imageIds=[{"imageTag": "v404"}]),
     "ImageNotFoundException"),
    ("describe-images-unknown-repository", "DescribeImages", BASIC,
     lambda ecr, d: ecr.describe_images(repositoryName="nope/nope"), "RepositoryNotFoundException"),
    ("list-images-unknown-repository", "ListImages", BASIC,
     lambda ecr, d: ecr.list_images(repositoryName="nope/nope"), "RepositoryNotFoundException"),
    ("findings-never-scanned", "DescribeImageScanFindings", BASIC,
     lambda ecr, d: ecr.describe_image_scan_findings(
         repositoryName=REPO, imageId={"imageDigest": d[f"{BASIC}/archived"]}),
     "ScanNotFoundException"),
    ("findings-unknown-image", "DescribeImageScanFindings", BASIC,
     lambda ecr, d: ecr.describe_image_scan_findings(repositoryName=REPO, imageId={"imageTag": "v404"}),
     "ImageNotFoundException"),
    ("signing-status-unknown-image", "DescribeImageSigningStatus", BASIC,
     lambda ecr, d: ecr.describe_image_signing_status(repositoryName=REPO, imageId={"imageTag": "v404"}),
     "ImageNotFoundException"),
]  # fmt: skip


def test_success_cases_cover_every_layer_operation() -> None:
    covered = {operation for _, operation, _, _ in SUCCESS_CASES}
    assert covered == set(LAYER_OPERATIONS)


@pytest.mark.parametrize(
    ("operation", "region", "call"),
    [pytest.param(op, region, call, id=case) for case, op, region, call in SUCCESS_CASES],
)
def test_layer_answer_matches_output_shape(
    seeder: EstateSeeder, raw_bodies: Any, operation: str, region: str, call: Call
) -> None:
    digests = seed_rich_registries(seeder)
    ecr = raw_bodies.attach(seeder.ecr(DEFAULT_ACCOUNT, region))

    call(ecr, digests)

    status, body = raw_bodies.responses[operation]
    assert status == 200
    assert response_problems(operation, status, body) == []


@pytest.mark.parametrize(
    ("operation", "region", "call", "code"),
    [pytest.param(op, region, call, code, id=case) for case, op, region, call, code in ERROR_CASES],
)
def test_layer_error_is_modelled(
    seeder: EstateSeeder, raw_bodies: Any, operation: str, region: str, call: Call, code: str
) -> None:
    digests = seed_rich_registries(seeder)
    ecr = raw_bodies.attach(seeder.ecr(DEFAULT_ACCOUNT, region))

    with pytest.raises(ClientError) as raised:
        call(ecr, digests)

    assert raised.value.response["Error"]["Code"] == code
    status, body = raw_bodies.responses[operation]
    assert status == 400
    assert response_problems(operation, status, body) == []


def test_shape_check_rejects_unknown_member() -> None:
    problems = response_problems("GetAccountSetting", 200, b'{"name": "BLOB_MOUNTING", "colour": "red"}')

    assert problems == ["GetAccountSetting: member 'colour' is not in GetAccountSettingResponse"]


def test_shape_check_rejects_value_outside_enum() -> None:
    body = json.dumps({"registryId": "123456789012", "scanningConfiguration": {"scanType": "DEEP"}})

    problems = response_problems("GetRegistryScanningConfiguration", 200, body)

    assert len(problems) == 1
    assert "'DEEP' is not in the ScanType enum" in problems[0]


def test_shape_check_rejects_unmodelled_error() -> None:
    body = json.dumps({"__type": "AccessDeniedException", "message": "no"})

    problems = response_problems("GetRegistryPolicy", 400, body)

    assert len(problems) == 1
    assert "'AccessDeniedException' is not one of the modelled errors" in problems[0]


def test_shape_check_rejects_iso_timestamp() -> None:
    body = json.dumps({"name": "x", "value": "y"})
    good = response_problems("GetAccountSetting", 200, body)
    bad = response_problems(
        "GetLifecyclePolicy",
        200,
        json.dumps({"lifecyclePolicyText": "{}", "lastEvaluatedAt": "2026-01-01T00:00:00Z"}),
    )

    assert good == []
    assert len(bad) == 1
    assert "expected epoch seconds" in bad[0]


# -- Inspector and Account Management -------------------------------------------------------


def seed_inspector(seeder: EstateSeeder) -> None:
    """Enable Inspector in BASIC's registry and record findings of every kind the seed helpers make."""
    account = DEFAULT_ACCOUNT
    seeder.create_repository(account, BASIC, REPO)
    latest = seeder.add_image(account, BASIC, REPO, tags=["v2", "latest"])
    old = seeder.add_image(account, BASIC, REPO, tags=["v1"])
    seeder.enable_inspector(account, BASIC, ["ECR", "LAMBDA"])
    seeder.configure_inspector_rescan(account, BASIC, "DAYS_30", pull_date_rescan_duration="DAYS_14")
    seeder.add_inspector_findings(
        account, BASIC, REPO, latest, HEADLINE_PACKAGES, last_in_use_at=utc_now(), in_use_count=4
    )
    seeder.add_inspector_findings(account, BASIC, REPO, old, base_image_packages(), status="SUPPRESSED")
    seeder.add_inspector_findings(account, BASIC, REPO, old, HEADLINE_PACKAGES[:3], status="CLOSED")


EQUALS_REPO = [{"comparison": "EQUALS", "value": REPO}]

# (case id, service, operation, call).
REST_SUCCESS_CASES: list[tuple[str, str, str, Call]] = [
    ("inspector-status", "inspector2", "BatchGetAccountStatus",
     lambda c, d: c.batch_get_account_status(accountIds=[DEFAULT_ACCOUNT, "210987654321"])),
    ("inspector-enable", "inspector2", "Enable", lambda c, d: c.enable(resourceTypes=["EC2"])),
    ("inspector-disable", "inspector2", "Disable", lambda c, d: c.disable(resourceTypes=["LAMBDA"])),
    ("inspector-configuration", "inspector2", "GetConfiguration", lambda c, d: c.get_configuration()),
    ("inspector-update-configuration", "inspector2", "UpdateConfiguration",
     lambda c, d: c.update_configuration(ecrConfiguration={
         "rescanDuration": "LIFETIME", "pullDateRescanDuration": "DAYS_180", "pullDateRescanMode": "LAST_PULL_DATE"})),
    ("inspector-findings", "inspector2", "ListFindings", lambda c, d: c.list_findings(maxResults=100)),
    ("inspector-findings-filtered", "inspector2", "ListFindings",
     lambda c, d: c.list_findings(
         filterCriteria={"ecrImageRepositoryName": EQUALS_REPO,
                         "resourceType": [{"comparison": "EQUALS", "value": "AWS_ECR_CONTAINER_IMAGE"}],
                         "findingStatus": [{"comparison": "NOT_EQUALS", "value": "SUPPRESSED"}]},
         sortCriteria={"field": "INSPECTOR_SCORE", "sortOrder": "DESC"})),
    ("account-regions", "account", "ListRegions", lambda c, d: c.list_regions()),
    ("account-regions-page", "account", "ListRegions",
     lambda c, d: c.list_regions(MaxResults=3, RegionOptStatusContains=["DISABLED"])),
]  # fmt: skip

# (case id, service, operation, call, expected error code).
REST_ERROR_CASES: list[tuple[str, str, str, Call, str]] = [
    ("inspector-bad-filter", "inspector2", "ListFindings",
     lambda c, d: c.list_findings(filterCriteria={"portRange": [{"beginInclusive": 22}]}), "ValidationException"),
    ("inspector-bad-duration", "inspector2", "UpdateConfiguration",
     lambda c, d: c.update_configuration(ecrConfiguration={"rescanDuration": "DAYS_2"}), "ValidationException"),
    ("inspector-other-account-configuration", "inspector2", "GetConfiguration",
     lambda c, d: c.get_configuration(accountId="210987654321"), "AccessDeniedException"),
    ("account-bad-page-size", "account", "ListRegions", lambda c, d: c.list_regions(MaxResults=99),
     "ValidationException"),
    ("account-other-account", "account", "ListRegions", lambda c, d: c.list_regions(AccountId="210987654321"),
     "AccessDeniedException"),
]  # fmt: skip


def test_rest_cases_cover_every_served_operation() -> None:
    covered = {(service, operation) for _, service, operation, _ in REST_SUCCESS_CASES}
    inspector = {("inspector2", name) for name in inspector_ops.HANDLERS}
    account = {("account", name) for name in account_ops.HANDLERS}
    served = inspector | account

    assert covered == served


@pytest.mark.parametrize(
    ("service", "operation", "call"),
    [pytest.param(service, op, call, id=case) for case, service, op, call in REST_SUCCESS_CASES],
)
def test_rest_answer_matches_output_shape(
    seeder: EstateSeeder, raw_bodies: Any, service: str, operation: str, call: Call
) -> None:
    seed_inspector(seeder)
    client = raw_bodies.attach(seeder.client(service, DEFAULT_ACCOUNT, BASIC))

    call(client, {})

    status, body = raw_bodies.responses[operation]
    assert status == 200
    assert response_problems(operation, status, body, service=service) == []


@pytest.mark.parametrize(
    ("service", "operation", "call", "code"),
    [pytest.param(service, op, call, code, id=case) for case, service, op, call, code in REST_ERROR_CASES],
)
def test_rest_error_is_modelled(
    seeder: EstateSeeder, raw_bodies: Any, service: str, operation: str, call: Call, code: str
) -> None:
    seed_inspector(seeder)
    client = raw_bodies.attach(seeder.client(service, DEFAULT_ACCOUNT, BASIC))

    with pytest.raises(ClientError) as raised:
        call(client, {})

    assert raised.value.response["Error"]["Code"] == code
    status, body = raw_bodies.responses[operation]
    assert status in (400, 403)
    assert response_problems(operation, status, body, service=service, headers=raw_bodies.headers[operation]) == []


@pytest.mark.parametrize(
    ("service", "operation", "call"),
    [
        ("inspector2", "ListFindings", lambda c: c.list_findings()),
        ("inspector2", "BatchGetAccountStatus", lambda c: c.batch_get_account_status()),
        ("account", "ListRegions", lambda c: c.list_regions()),
    ],
)
@pytest.mark.parametrize("kind", ["throttle", "server_error"])
def test_injected_rest_error_is_modelled(
    emulator: EmulatorServer, seeder: EstateSeeder, raw_bodies: Any, service: str, operation: str, call: Any, kind: str
) -> None:
    client = raw_bodies.attach(seeder.client(service, DEFAULT_ACCOUNT, BASIC))
    emulator.state.set_fault_plan(FaultPlan(transient=[TransientFault(kind, 1.0)]))  # type: ignore[arg-type]

    with pytest.raises(ClientError):
        call(client)

    status, body = raw_bodies.responses[operation]
    assert status in (429, 500)
    assert response_problems(operation, status, body, service=service, headers=raw_bodies.headers[operation]) == []


def test_injected_ecr_server_error_is_modelled(emulator: EmulatorServer, seeder: EstateSeeder, raw_bodies: Any) -> None:
    ecr = raw_bodies.attach(seeder.ecr(DEFAULT_ACCOUNT, BASIC))
    emulator.state.set_fault_plan(FaultPlan(transient=[TransientFault("server_error", 1.0)]))

    with pytest.raises(ClientError):
        ecr.describe_registry()

    status, body = raw_bodies.responses["DescribeRegistry"]
    assert status == 500
    assert response_problems("DescribeRegistry", status, body) == []


def test_rest_shape_check_rejects_unknown_member() -> None:
    body = json.dumps({"accounts": [{"accountId": DEFAULT_ACCOUNT, "state": {"status": "ENABLED"},
                                     "resourceState": {"ec2": {"status": "ENABLED"}, "ecr": {"status": "ENABLED"},
                                                       "colour": {"status": "ENABLED"}}}]})  # fmt: skip

    problems = response_problems("BatchGetAccountStatus", 200, body, service="inspector2")

    assert len(problems) == 1
    assert "member 'colour' is not in ResourceState" in problems[0]


def test_rest_shape_check_reads_error_code_from_header() -> None:
    body = json.dumps({"message": "no", "reason": "OTHER"})

    modelled = response_problems(
        "ListFindings", 400, body, service="inspector2", headers={"x-amzn-ErrorType": "ValidationException"}
    )
    unmodelled = response_problems(
        "ListFindings", 400, body, service="inspector2", headers={"x-amzn-ErrorType": "AccessDeniedException"}
    )

    assert modelled == []
    assert len(unmodelled) == 1
    assert "'AccessDeniedException' is not one of the modelled errors" in unmodelled[0]
