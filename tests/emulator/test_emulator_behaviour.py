"""Behaviour of the emulated ECR API, exercised through boto3 over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from auditor.emulator.findings import ImageContext, base_image_packages, basic_finding, enhanced_finding
from auditor.emulator.scanning import filter_matches
from auditor.emulator.seed import DEFAULT_ACCOUNT, EstateSeeder
from auditor.emulator.state import utc_now

REGION = "us-east-1"
A = DEFAULT_ACCOUNT
OTHER_ACCOUNT = "210987654321"


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


# -- pagination -----------------------------------------------------------------------


def collect_pages(method: Any, result_key: str, **kwargs: Any) -> tuple[list[Any], int]:
    """Call a list operation page by page; return every item and the number of pages."""
    items: list[Any] = []
    pages = 0
    token = None
    while True:
        response = method(**kwargs, **({"nextToken": token} if token else {}))
        items.extend(response[result_key])
        pages += 1
        token = response.get("nextToken")
        if not token:
            return items, pages


def test_describe_repositories_pages_through_every_repository(seeder: EstateSeeder) -> None:
    names = [f"team{i:02d}/api" for i in range(7)]
    for name in names:
        seeder.create_repository(A, REGION, name)
    ecr = seeder.ecr(A, REGION)

    repositories, pages = collect_pages(ecr.describe_repositories, "repositories", maxResults=3)

    assert sorted(r["repositoryName"] for r in repositories) == names
    assert pages == 3


def test_describe_repositories_default_page_is_100(seeder: EstateSeeder) -> None:
    for i in range(101):
        seeder.create_repository(A, REGION, f"svc{i:03d}")
    ecr = seeder.ecr(A, REGION)

    first = ecr.describe_repositories()
    everything = [r for page in ecr.get_paginator("describe_repositories").paginate() for r in page["repositories"]]

    assert len(first["repositories"]) == 100
    assert "nextToken" in first
    assert len(everything) == 101


def test_describe_images_pages_through_every_image(seeder: EstateSeeder) -> None:
    seeder.create_repository(A, REGION, "data/ingest")
    digests = {seeder.add_image(A, REGION, "data/ingest", tags=[f"v{i}"]) for i in range(250)}
    ecr = seeder.ecr(A, REGION)

    first = ecr.describe_images(repositoryName="data/ingest")
    pages = list(ecr.get_paginator("describe_images").paginate(repositoryName="data/ingest"))

    assert len(first["imageDetails"]) == 100
    assert len(pages) == 3
    assert {d["imageDigest"] for p in pages for d in p["imageDetails"]} == digests


def test_list_images_lists_each_tag_and_untagged_digest(seeder: EstateSeeder) -> None:
    seeder.create_repository(A, REGION, "data/ingest")
    tagged = seeder.add_image(A, REGION, "data/ingest", tags=["v1", "latest"])
    untagged = seeder.add_image(A, REGION, "data/ingest")
    ecr = seeder.ecr(A, REGION)

    identifiers, pages = collect_pages(ecr.list_images, "imageIds", repositoryName="data/ingest", maxResults=1)

    assert pages == 3
    assert identifiers == [
        {"imageDigest": tagged, "imageTag": "v1"},
        {"imageDigest": tagged, "imageTag": "latest"},
        {"imageDigest": untagged},
    ]


@pytest.mark.parametrize("enhanced", [False, True], ids=["basic", "enhanced"])
def test_scan_findings_page_past_100(seeder: EstateSeeder, enhanced: bool) -> None:
    seeder.create_repository(A, REGION, "platform/base-images")
    digest = seeder.add_image(A, REGION, "platform/base-images", tags=["bookworm"])
    packages = base_image_packages()
    if enhanced:
        image = ImageContext(A, REGION, "platform/base-images", digest, ("bookworm",), utc_now())
        now = utc_now()
        found = [enhanced_finding(p, image, first_observed_at=now, last_observed_at=now) for p in packages]
        seeder.add_scan_findings(A, REGION, "platform/base-images", digest, status="ACTIVE", enhanced_findings=found)
    else:
        found = [basic_finding(p) for p in packages]
        seeder.add_scan_findings(A, REGION, "platform/base-images", digest, findings=found)
    ecr = seeder.ecr(A, REGION)
    key = "enhancedFindings" if enhanced else "findings"

    pages = list(
        ecr.get_paginator("describe_image_scan_findings").paginate(
            repositoryName="platform/base-images", imageId={"imageDigest": digest}
        )
    )

    assert len(packages) > 100
    assert [len(page["imageScanFindings"][key]) for page in pages] == [100, len(packages) - 100]
    assert sum(pages[0]["imageScanFindings"]["findingSeverityCounts"].values()) == len(packages)


def test_pull_through_cache_rules_page_and_filter(seeder: EstateSeeder) -> None:
    for prefix, url in (("ecr-public", "public.ecr.aws"), ("quay", "quay.io"), ("k8s", "registry.k8s.io")):
        seeder.create_pull_through_cache_rule(A, REGION, prefix, url)
    ecr = seeder.ecr(A, REGION)

    rules, pages = collect_pages(ecr.describe_pull_through_cache_rules, "pullThroughCacheRules", maxResults=2)
    filtered = ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["quay"])

    assert [r["ecrRepositoryPrefix"] for r in rules] == ["ecr-public", "quay", "k8s"]
    assert pages == 2
    assert [r["upstreamRegistry"] for r in filtered["pullThroughCacheRules"]] == ["quay"]


def test_creation_templates_page_and_filter(seeder: EstateSeeder) -> None:
    for prefix in ("ROOT", "dockerhub", "prod", "team-a"):
        seeder.create_creation_template(A, REGION, prefix, ["PULL_THROUGH_CACHE"])
    ecr = seeder.ecr(A, REGION)

    templates, pages = collect_pages(
        ecr.describe_repository_creation_templates, "repositoryCreationTemplates", maxResults=3
    )
    filtered = ecr.describe_repository_creation_templates(prefixes=["ROOT", "missing"])

    assert [t["prefix"] for t in templates] == ["ROOT", "dockerhub", "prod", "team-a"]
    assert pages == 2
    assert [t["prefix"] for t in filtered["repositoryCreationTemplates"]] == ["ROOT"]


def test_next_token_of_another_operation_is_rejected(seeder: EstateSeeder) -> None:
    for i in range(3):
        seeder.create_repository(A, REGION, f"svc{i}")
    seeder.create_pull_through_cache_rule(A, REGION, "quay", "quay.io")
    ecr = seeder.ecr(A, REGION)
    token = ecr.describe_repositories(maxResults=1)["nextToken"]

    with pytest.raises(ClientError) as raised:
        ecr.describe_pull_through_cache_rules(nextToken=token)

    assert error_code(raised) == "InvalidParameterException"


# -- scanning filters ---------------------------------------------------------------

# (filter, repository, matches): no wildcard means "contains"; a wildcard is a whole-name pattern.
FILTER_CASES = [
    ("prod", "prod-api", True),
    ("prod", "team-prod", True),
    ("prod", "payments/production-api", True),
    ("prod", "payments/api", False),
    ("prod*", "prod-api", True),
    ("prod*", "team-prod", False),
    ("*prod", "team-prod", True),
    ("*prod", "prod-api", False),
    ("*", "anything/at-all", True),
    ("payments/*", "payments/api", True),
    ("payments/*", "payments", False),
    ("pay*api", "payments/api", True),
    ("pay*api", "payments/api-v2", False),
    ("a.b*", "axb-1", False),
]


@pytest.mark.parametrize(("repository_filter", "repository", "matches"), FILTER_CASES)
def test_filter_matches(repository_filter: str, repository: str, matches: bool) -> None:
    assert filter_matches(repository_filter, repository) is matches


# (scan type, rules, legacy scanOnPush, repository, frequency, applied filters)
EFFECTIVE_SCANNING_CASES = [
    ("ENHANCED", {"CONTINUOUS_SCAN": ["prod*"]}, False, "prod-api", "CONTINUOUS_SCAN", ["prod*"]),
    ("ENHANCED", {"CONTINUOUS_SCAN": ["prod*"]}, False, "team-prod", "MANUAL", []),
    ("ENHANCED", {"CONTINUOUS_SCAN": ["prod"]}, False, "team-prod", "CONTINUOUS_SCAN", ["prod"]),
    ("ENHANCED", {"CONTINUOUS_SCAN": ["payments"], "SCAN_ON_PUSH": ["*"]}, False,
     "payments/api", "CONTINUOUS_SCAN", ["payments"]),
    ("ENHANCED", {"SCAN_ON_PUSH": ["*"], "CONTINUOUS_SCAN": ["payments"]}, False,
     "payments/api", "CONTINUOUS_SCAN", ["payments"]),
    ("ENHANCED", {"CONTINUOUS_SCAN": ["payments"], "SCAN_ON_PUSH": ["*"]}, False,
     "search/api", "SCAN_ON_PUSH", ["*"]),
    ("ENHANCED", {"SCAN_ON_PUSH": ["checkout"]}, True, "search/api", "MANUAL", []),
    ("BASIC", {}, True, "search/api", "SCAN_ON_PUSH", []),
    ("BASIC", {}, False, "search/api", "MANUAL", []),
    ("BASIC", {"SCAN_ON_PUSH": ["checkout"]}, True, "search/api", "MANUAL", []),
    ("BASIC", {"SCAN_ON_PUSH": ["checkout", "check*"]}, False,
     "checkout/api", "SCAN_ON_PUSH", ["checkout", "check*"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("scan_type", "rules", "legacy", "repository", "frequency", "applied"), EFFECTIVE_SCANNING_CASES
)
def test_batch_get_repository_scanning_configuration(
    seeder: EstateSeeder,
    scan_type: str,
    rules: dict[str, list[str]],
    legacy: bool,
    repository: str,
    frequency: str,
    applied: list[str],
) -> None:
    seeder.create_repository(A, REGION, repository, scan_on_push=legacy)
    seeder.put_scanning_configuration(A, REGION, scan_type, rules)

    response = seeder.ecr(A, REGION).batch_get_repository_scanning_configuration(
        repositoryNames=[repository, "missing/repo"]
    )

    [configuration] = response["scanningConfigurations"]
    assert configuration["scanFrequency"] == frequency
    assert [f["filter"] for f in configuration["appliedScanFilters"]] == applied
    assert response["failures"] == [
        {
            "repositoryName": "missing/repo",
            "failureCode": "REPOSITORY_NOT_FOUND",
            "failureReason": "The specified repository could not be found",
        }
    ]


# -- accounts and credentials --------------------------------------------------------


def test_assumed_role_lands_in_role_account(seeder: EstateSeeder) -> None:
    sts = seeder.client("sts", OTHER_ACCOUNT)
    seeder.create_repository(OTHER_ACCOUNT, REGION, "ledger/api")
    seeder.put_registry_policy(OTHER_ACCOUNT, REGION, {"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]})  # fmt: skip

    identity = sts.get_caller_identity()
    other_names = [
        r["repositoryName"] for r in seeder.ecr(OTHER_ACCOUNT, REGION).describe_repositories()["repositories"]
    ]
    default_names = [r["repositoryName"] for r in seeder.ecr(A, REGION).describe_repositories()["repositories"]]
    other_arn = seeder.ecr(OTHER_ACCOUNT, REGION).describe_repositories()["repositories"][0]["repositoryArn"]

    assert identity["Account"] == OTHER_ACCOUNT
    assert other_names == ["ledger/api"]
    assert default_names == []
    assert other_arn == f"arn:aws:ecr:{REGION}:{OTHER_ACCOUNT}:repository/ledger/api"
    assert seeder.ecr(OTHER_ACCOUNT, REGION).get_registry_policy()["registryId"] == OTHER_ACCOUNT
    with pytest.raises(ClientError) as raised:
        seeder.ecr(A, REGION).get_registry_policy()
    assert error_code(raised) == "RegistryPolicyNotFoundException"


def test_regions_are_separate_registries(seeder: EstateSeeder) -> None:
    seeder.put_account_setting(A, "eu-west-1", "BLOB_MOUNTING", "ENABLED")

    east = seeder.ecr(A, REGION).get_account_setting(name="BLOB_MOUNTING")["value"]
    west = seeder.ecr(A, "eu-west-1").get_account_setting(name="BLOB_MOUNTING")["value"]

    assert (east, west) == ("DISABLED", "ENABLED")


def test_registry_id_of_another_account_is_rejected(seeder: EstateSeeder) -> None:
    seeder.create_repository(A, REGION, "ledger/api")

    with pytest.raises(ClientError) as raised:
        seeder.ecr(A, REGION).describe_images(repositoryName="ledger/api", registryId=OTHER_ACCOUNT)

    assert error_code(raised) == "InvalidParameterException"


# -- absences and defaults ---------------------------------------------------------------

ABSENCE_CASES = [
    ("get_registry_policy", {}, "RegistryPolicyNotFoundException"),
    ("get_repository_policy", {"repositoryName": "web/frontend"}, "RepositoryPolicyNotFoundException"),
    ("get_lifecycle_policy", {"repositoryName": "web/frontend"}, "LifecyclePolicyNotFoundException"),
    ("get_signing_configuration", {}, "SigningConfigurationNotFoundException"),
    ("get_repository_policy", {"repositoryName": "web/missing"}, "RepositoryNotFoundException"),
    ("list_tags_for_resource", {"resourceArn": f"arn:aws:ecr:{REGION}:{A}:repository/web/missing"},
     "RepositoryNotFoundException"),
    ("describe_images", {"repositoryName": "web/frontend", "imageIds": [{"imageTag": "v9"}]},
     "ImageNotFoundException"),
    ("describe_image_scan_findings", {"repositoryName": "web/frontend", "imageId": {"imageTag": "v1"}},
     "ScanNotFoundException"),
    ("describe_pull_through_cache_rules", {"ecrRepositoryPrefixes": ["quay"]},
     "PullThroughCacheRuleNotFoundException"),
    ("delete_repository_creation_template", {"prefix": "ROOT"}, "TemplateNotFoundException"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "kwargs", "code"), ABSENCE_CASES)
def test_absence_raises_modelled_exception(
    seeder: EstateSeeder, method: str, kwargs: dict[str, Any], code: str
) -> None:
    seeder.create_repository(A, REGION, "web/frontend")
    seeder.add_image(A, REGION, "web/frontend", tags=["v1"])

    with pytest.raises(ClientError) as raised:
        getattr(seeder.ecr(A, REGION), method)(**kwargs)

    assert error_code(raised) == code


def test_registry_defaults(seeder: EstateSeeder) -> None:
    ecr = seeder.ecr(A, REGION)

    settings = {name: ecr.get_account_setting(name=name)["value"] for name in
                ("REGISTRY_POLICY_SCOPE", "BASIC_SCAN_TYPE_VERSION", "BLOB_MOUNTING")}  # fmt: skip
    scanning = ecr.get_registry_scanning_configuration()["scanningConfiguration"]
    registry = ecr.describe_registry()

    assert settings == {"REGISTRY_POLICY_SCOPE": "V2", "BASIC_SCAN_TYPE_VERSION": "AWS_NATIVE",
                        "BLOB_MOUNTING": "DISABLED"}  # fmt: skip
    assert scanning == {"scanType": "BASIC", "rules": []}
    assert registry["replicationConfiguration"] == {"rules": []}
    assert registry["registryId"] == A


def test_v1_scope_is_reported_when_held_in_state(seeder: EstateSeeder) -> None:
    seeder.state.set_account_setting(A, REGION, "REGISTRY_POLICY_SCOPE", "V1")

    value = seeder.ecr(A, REGION).get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"]

    assert value == "V1"


# -- registry settings round trips -------------------------------------------------------


def test_registry_policy_accepts_any_ecr_action(seeder: EstateSeeder) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "All", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
         "Action": ["ecr:*", "ecr:BatchGetImage", "ecr:PutImage", "ecr:DeleteRepository"]},
        {"Effect": "Deny", "Principal": "*", "NotAction": "ecr:Describe*"}]}  # fmt: skip
    seeder.put_registry_policy(A, REGION, policy)

    stored = seeder.ecr(A, REGION).get_registry_policy()["policyText"]

    assert json.loads(stored) == policy


def test_replication_keeps_several_rules(seeder: EstateSeeder) -> None:
    rules = [
        {"destinations": [{"region": "eu-west-1", "registryId": A},
                          {"region": REGION, "registryId": OTHER_ACCOUNT}],
         "repositoryFilters": [{"filter": "payments", "filterType": "PREFIX_MATCH"},
                               {"filter": "checkout", "filterType": "PREFIX_MATCH"}]},
        {"destinations": [{"region": "us-west-2", "registryId": "999988887777"}]},
    ]  # fmt: skip
    seeder.put_replication(A, REGION, rules)

    response = seeder.ecr(A, REGION).describe_registry()["replicationConfiguration"]["rules"]

    assert response == rules


@pytest.mark.parametrize(
    ("prefix", "url", "credential", "code"),
    [
        ("hub", "registry-1.docker.io", None, "InvalidParameterException"),
        ("ghcr", "ghcr.io", None, "InvalidParameterException"),
        ("hub", "registry-1.docker.io", "arn:aws:secretsmanager:us-east-1:123456789012:secret:hub-creds-xyz",
         "ValidationException"),
        ("private", "registry.example.com", None, "UnsupportedUpstreamRegistryException"),
    ],
)  # fmt: skip
def test_pull_through_cache_rule_rejections(
    seeder: EstateSeeder, prefix: str, url: str, credential: str | None, code: str
) -> None:
    with pytest.raises(ClientError) as raised:
        seeder.create_pull_through_cache_rule(A, REGION, prefix, url, credential_arn=credential)

    assert error_code(raised) == code


def test_pull_through_cache_rule_infers_upstream_and_validates(seeder: EstateSeeder) -> None:
    secret = f"arn:aws:secretsmanager:{REGION}:{A}:secret:ecr-pullthroughcache/ghcr-AbCdEf"
    created = seeder.create_pull_through_cache_rule(A, REGION, "ghcr", "ghcr.io", credential_arn=secret)
    seeder.add_pull_through_cache_rule_unchecked(A, REGION, "hub", "registry-1.docker.io", "docker-hub")
    ecr = seeder.ecr(A, REGION)

    valid = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="ghcr")
    seeder.mark_pull_through_cache_rule_invalid(A, REGION, "ghcr", "Authentication failed")
    invalid = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="ghcr")
    unchecked = ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["hub"])["pullThroughCacheRules"][0]

    assert created["upstreamRegistry"] == "github-container-registry"
    assert valid["isValid"] is True
    assert "failure" not in valid
    assert (invalid["isValid"], invalid["failure"]) == (False, "Authentication failed")
    assert "credentialArn" not in unchecked


def test_creation_template_round_trip(seeder: EstateSeeder) -> None:
    created = seeder.create_creation_template(
        A, REGION, "prod", ["CREATE_ON_PUSH", "REPLICATION"],
        mutability="IMMUTABLE_WITH_EXCLUSION", exclusion_filters=["latest"],
        encryption_type="KMS", resource_tags={"owner": "platform"},
    )  # fmt: skip

    [described] = seeder.ecr(A, REGION).describe_repository_creation_templates(prefixes=["prod"])[
        "repositoryCreationTemplates"
    ]

    assert described == created
    assert described["appliedFor"] == ["CREATE_ON_PUSH", "REPLICATION"]
    assert described["imageTagMutabilityExclusionFilters"] == [{"filterType": "WILDCARD", "filter": "latest"}]
    assert described["encryptionConfiguration"] == {"encryptionType": "KMS"}
    assert "customRoleArn" not in described


# -- repositories, policies and KMS ---------------------------------------------------


@pytest.mark.parametrize(
    ("mutability", "filters"),
    [("MUTABLE", None), ("IMMUTABLE", None), ("MUTABLE_WITH_EXCLUSION", ["dev-*"]),
     ("IMMUTABLE_WITH_EXCLUSION", ["latest", "dev-*"])],
)  # fmt: skip
def test_repository_mutability_describes_as_created(
    seeder: EstateSeeder, mutability: str, filters: list[str] | None
) -> None:
    seeder.create_repository(A, REGION, "web/frontend", mutability=mutability, exclusion_filters=filters)

    [repository] = seeder.ecr(A, REGION).describe_repositories()["repositories"]

    assert repository["imageTagMutability"] == mutability
    described_filters = [f["filter"] for f in repository.get("imageTagMutabilityExclusionFilters", [])]
    assert described_filters == (filters or [])


def test_kms_repository_without_key_uses_aws_managed_key(seeder: EstateSeeder) -> None:
    seeder.create_repository(A, REGION, "web/frontend", encryption_type="KMS")
    customer_key = seeder.create_kms_key(A, REGION, "alias/team-key")
    seeder.create_repository(A, REGION, "web/backend", encryption_type="KMS", kms_key=customer_key)
    kms = seeder.client("kms", A, REGION)

    keys = {
        r["repositoryName"]: r["encryptionConfiguration"]["kmsKey"]
        for r in seeder.ecr(A, REGION).describe_repositories()["repositories"]
    }
    managed = kms.describe_key(KeyId=keys["web/frontend"])["KeyMetadata"]
    by_alias = kms.describe_key(KeyId="alias/aws/ecr")["KeyMetadata"]
    customer = kms.describe_key(KeyId=keys["web/backend"])["KeyMetadata"]

    assert managed["KeyManager"] == "AWS"
    assert by_alias["Arn"] == keys["web/frontend"]
    assert customer["KeyManager"] == "CUSTOMER"
    assert keys["web/backend"] == customer_key


def test_repository_policy_keeps_any_statement_aws_stores(seeder: EstateSeeder) -> None:
    seeder.create_repository(A, REGION, "web/frontend")
    policy = {"Version": "2008-10-17", "Statement": [
        {"Sid": "dup", "Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": "ecr:BatchGetImage"},
        {"Sid": "dup", "Effect": "Allow", "Principal": {"AWS": "AROAEXAMPLEDELETED123"},
         "Action": "ecr:*", "Condition": {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ["o-1"]}}}]}  # fmt: skip
    seeder.set_repository_policy(A, REGION, "web/frontend", policy)

    stored = seeder.ecr(A, REGION).get_repository_policy(repositoryName="web/frontend")["policyText"]

    assert json.loads(stored) == policy


def test_unparseable_policy_text_held_in_state_is_returned(seeder: EstateSeeder) -> None:
    seeder.create_repository(A, REGION, "web/frontend")
    seeder.state.set_repository_policy_text(A, REGION, "web/frontend", '{"Statement": [')
    seeder.state.set_lifecycle_policy_text(A, REGION, "web/frontend", '{"rules": ')
    ecr = seeder.ecr(A, REGION)

    policy = ecr.get_repository_policy(repositoryName="web/frontend")["policyText"]
    lifecycle = ecr.get_lifecycle_policy(repositoryName="web/frontend")["lifecyclePolicyText"]

    assert policy == '{"Statement": ['
    assert lifecycle == '{"rules": '


def test_delete_repository_needs_force_when_images_exist(seeder: EstateSeeder) -> None:
    seeder.create_repository(A, REGION, "web/frontend")
    seeder.add_image(A, REGION, "web/frontend", tags=["v1"])
    seeder.set_repository_policy(A, REGION, "web/frontend", {"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]})  # fmt: skip
    ecr = seeder.ecr(A, REGION)

    with pytest.raises(ClientError) as raised:
        ecr.delete_repository(repositoryName="web/frontend")
    ecr.delete_repository(repositoryName="web/frontend", force=True)
    seeder.create_repository(A, REGION, "web/frontend")

    assert error_code(raised) == "RepositoryNotEmptyException"
    assert ecr.describe_images(repositoryName="web/frontend")["imageDetails"] == []
    with pytest.raises(ClientError) as absent:
        ecr.get_repository_policy(repositoryName="web/frontend")
    assert error_code(absent) == "RepositoryPolicyNotFoundException"


def test_tags_are_served_by_moto(seeder: EstateSeeder) -> None:
    arn = seeder.create_repository(A, REGION, "web/frontend", tags={"owner": "web", "cost-center": "cc-1"})[
        "repositoryArn"
    ]

    tags = seeder.ecr(A, REGION).list_tags_for_resource(resourceArn=arn)["tags"]

    assert sorted((t["Key"], t["Value"]) for t in tags) == [("cost-center", "cc-1"), ("owner", "web")]


# -- images and scans ------------------------------------------------------------------


def seed_images(seeder: EstateSeeder) -> dict[str, str]:
    seeder.create_repository(A, REGION, "web/frontend")
    now = utc_now()
    return {
        "tagged": seeder.add_image(A, REGION, "web/frontend", tags=["v1"], pushed_at=now - timedelta(days=3)),
        "untagged": seeder.add_image(A, REGION, "web/frontend", pushed_at=now - timedelta(days=2)),
        "archived": seeder.add_image(A, REGION, "web/frontend", tags=["v0"], archived_at=now),
    }


@pytest.mark.parametrize(
    ("image_filter", "expected"),
    [
        ({}, {"tagged", "untagged"}),
        ({"tagStatus": "TAGGED"}, {"tagged"}),
        ({"tagStatus": "UNTAGGED"}, {"untagged"}),
        ({"imageStatus": "ARCHIVED"}, {"archived"}),
        ({"imageStatus": "ANY"}, {"tagged", "untagged", "archived"}),
        ({"tagStatus": "TAGGED", "imageStatus": "ANY"}, {"tagged", "archived"}),
    ],
)
def test_describe_images_filters(seeder: EstateSeeder, image_filter: dict[str, str], expected: set[str]) -> None:
    digests = seed_images(seeder)
    by_digest = {digest: label for label, digest in digests.items()}

    details = seeder.ecr(A, REGION).describe_images(repositoryName="web/frontend", filter=image_filter)["imageDetails"]

    assert {by_digest[d["imageDigest"]] for d in details} == expected


def test_describe_images_fields(seeder: EstateSeeder) -> None:
    digests = seed_images(seeder)
    seeder.add_scan_findings(A, REGION, "web/frontend", digests["tagged"], findings=[])

    details = {
        d["imageDigest"]: d
        for d in seeder.ecr(A, REGION).describe_images(repositoryName="web/frontend", filter={"imageStatus": "ANY"})[
            "imageDetails"
        ]
    }

    assert details[digests["tagged"]]["imageTags"] == ["v1"]
    assert "imageTags" not in details[digests["untagged"]]
    assert details[digests["archived"]]["imageStatus"] == "ARCHIVED"
    assert "lastArchivedAt" in details[digests["archived"]]
    # AWS-native basic scanning leaves the scan status out of DescribeImages.
    assert "imageScanStatus" not in details[digests["tagged"]]


def test_describe_images_reports_scan_status_under_enhanced(seeder: EstateSeeder) -> None:
    digests = seed_images(seeder)
    seeder.put_scanning_configuration(A, REGION, "ENHANCED", {"CONTINUOUS_SCAN": ["*"]})
    seeder.add_scan_findings(A, REGION, "web/frontend", digests["tagged"], status="ACTIVE", enhanced_findings=[])

    [detail] = seeder.ecr(A, REGION).describe_images(
        repositoryName="web/frontend", imageIds=[{"imageDigest": digests["tagged"]}]
    )["imageDetails"]

    assert detail["imageScanStatus"]["status"] == "ACTIVE"
    assert detail["imageScanFindingsSummary"]["findingSeverityCounts"] == {}


def test_complete_scan_without_results(seeder: EstateSeeder) -> None:
    digests = seed_images(seeder)
    seeder.add_empty_complete_scan(A, REGION, "web/frontend", digests["tagged"])

    response = seeder.ecr(A, REGION).describe_image_scan_findings(
        repositoryName="web/frontend", imageId={"imageTag": "v1"}
    )

    assert response["imageScanStatus"]["status"] == "COMPLETE"
    assert response["imageScanFindings"] == {}


def test_every_scan_status_is_representable(seeder: EstateSeeder) -> None:
    statuses = seeder.ecr(A, REGION).meta.service_model.shape_for("ScanStatus").enum
    seeder.create_repository(A, REGION, "web/frontend")
    ecr = seeder.ecr(A, REGION)

    reported = []
    for status in statuses:
        digest = seeder.add_image(A, REGION, "web/frontend")
        seeder.add_scan_findings(A, REGION, "web/frontend", digest, status=status)
        response = ecr.describe_image_scan_findings(repositoryName="web/frontend", imageId={"imageDigest": digest})
        reported.append(response["imageScanStatus"]["status"])

    assert reported == list(statuses)


def test_signing_status_is_empty_for_unsigned_image(seeder: EstateSeeder) -> None:
    seed_images(seeder)

    response = seeder.ecr(A, REGION).describe_image_signing_status(
        repositoryName="web/frontend", imageId={"imageTag": "v1"}
    )

    assert response["signingStatuses"] == []
    assert response["imageId"]["imageTag"] == "v1"


def test_seeding_an_image_into_a_missing_repository_fails(seeder: EstateSeeder) -> None:
    with pytest.raises(LookupError, match="create it with CreateRepository"):
        seeder.add_image(A, REGION, "web/missing", tags=["v1"])
