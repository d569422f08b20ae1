import pytest
from builders import (
    ACCOUNT,
    REGION,
    absent,
    failed,
    inventory,
    lifecycle,
    listing_failure,
    only,
    present,
    repository,
    run_check,
)

from auditor.checks.model import ResourceType, Status
from auditor.checks.repositories import repo_01, repo_02, repo_03, repo_04, repo_05
from auditor.inventory import Kind, ScopeStatus

KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_ACCOUNT_KEY = f"arn:aws:kms:{REGION}:444455556666:key/0000abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("mutability", "allow_exclusions", "expected"),
    [
        ("IMMUTABLE", True, Status.PASS),
        ("MUTABLE", True, Status.FAIL),
        ("MUTABLE_WITH_EXCLUSION", True, Status.FAIL),
        ("IMMUTABLE_WITH_EXCLUSION", True, Status.PASS),
        ("IMMUTABLE_WITH_EXCLUSION", False, Status.FAIL),
        ("SOMETHING_NEW", True, Status.ERROR),
    ],
)
def test_repo_01_mutability(mutability, allow_exclusions, expected):
    repo = repository(
        "app",
        imageTagMutability=mutability,
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest"}],
    )
    result = only(run_check(repo_01, inventory(repo), allow_immutability_exclusions=allow_exclusions))
    assert result.status is expected
    assert str(result.resource) == f"{ACCOUNT}/{REGION}/repository/app"


def test_repo_01_lists_exclusion_filters():
    repo = repository(
        "app",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "dev-*"}],
    )
    result = only(run_check(repo_01, inventory(repo)))
    assert result.evidence["exclusions"] == ["dev-*"]


def test_repo_checks_not_applicable_without_repositories():
    result = only(run_check(repo_01, inventory()))
    assert result.status is Status.NOT_APPLICABLE
    assert result.resource.kind is ResourceType.REGISTRY


def test_repo_checks_error_when_listing_failed():
    result = only(run_check(repo_01, inventory(listing_failure(Kind.REPOSITORY))))
    assert result.status is Status.ERROR
    assert "AccessDeniedException" in result.reason


def test_unreadable_unit_is_error_not_pass():
    result = only(run_check(repo_02, inventory(status=ScopeStatus.UNREADABLE, reason="AssumeRole failed")))
    assert result.status is Status.ERROR
    assert "AssumeRole failed" in result.reason


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (None, Status.FAIL),
        ([{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                              "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}}],
         Status.PASS),
        ("{not json", Status.ERROR),
        ('{"rules": "nope"}', Status.ERROR),
        ("denied", Status.ERROR),
    ],
)
def test_repo_02_lifecycle_presence(policy, expected):
    if policy is None:
        snapshot = absent(Kind.LIFECYCLE_POLICY, "app")
    elif policy == "denied":
        snapshot = failed(Kind.LIFECYCLE_POLICY, "app", operation="GetLifecyclePolicy")
    else:
        snapshot = lifecycle("app", policy)
    result = only(run_check(repo_02, inventory(repository("app"), snapshot)))
    assert result.status is expected


def test_repo_02_error_names_operation():
    snapshot = failed(Kind.LIFECYCLE_POLICY, "app", operation="GetLifecyclePolicy")
    result = only(run_check(repo_02, inventory(repository("app"), snapshot)))
    assert result.evidence["operation"] == "GetLifecyclePolicy"
    assert result.evidence["error_code"] == "AccessDeniedException"


def test_repo_02_missing_snapshot_is_error():
    # Nothing was collected for the repository's lifecycle policy: unknown, not absent.
    result = only(run_check(repo_02, inventory(repository("app"))))
    assert result.status is Status.ERROR


UNTAGGED_ONLY = {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                                  "countNumber": 5}, "action": {"type": "expire"}}
TAGGED = {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPatternList": ["*"],
                                           "countType": "imageCountMoreThan", "countNumber": 50},
          "action": {"type": "expire"}}
ANY = {"rulePriority": 3, "selection": {"tagStatus": "any", "countType": "sinceImagePushed",
                                        "countUnit": "days", "countNumber": 365}, "action": {"type": "expire"}}
ARCHIVE_TAGGED = {"rulePriority": 4, "selection": {"tagStatus": "tagged", "tagPatternList": ["*"],
                                                   "countType": "sinceImagePushed", "countUnit": "days",
                                                   "countNumber": 90},
                  "action": {"type": "transition", "targetStorageClass": "archive"}}


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([UNTAGGED_ONLY], Status.FAIL),
        ([UNTAGGED_ONLY, TAGGED], Status.PASS),
        ([ANY], Status.PASS),
        ([ARCHIVE_TAGGED], Status.FAIL),  # archiving keeps the image
        ([], Status.FAIL),
    ],
)
def test_repo_03_expires_tagged(rules, expected):
    result = only(run_check(repo_03, inventory(repository("app"), lifecycle("app", rules))))
    assert result.status is expected


def test_repo_03_not_applicable_without_policy():
    result = only(run_check(repo_03, inventory(repository("app"), absent(Kind.LIFECYCLE_POLICY, "app"))))
    assert result.status is Status.NOT_APPLICABLE


def key_snapshot(arn, manager):
    return present(Kind.KMS_KEY, arn, {"KeyMetadata": {"Arn": arn, "KeyManager": manager}})


@pytest.mark.parametrize(
    ("encryption", "keys", "overrides", "expected"),
    [
        ({"encryptionType": "AES256"}, [], {}, Status.FAIL),
        ({"encryptionType": "KMS"}, [], {}, Status.FAIL),
        ({"encryptionType": "KMS", "kmsKey": KEY}, [key_snapshot(KEY, "AWS")], {}, Status.FAIL),
        ({"encryptionType": "KMS", "kmsKey": KEY}, [key_snapshot(KEY, "CUSTOMER")], {}, Status.PASS),
        ({"encryptionType": "KMS_DSSE", "kmsKey": KEY}, [key_snapshot(KEY, "CUSTOMER")], {}, Status.PASS),
        ({"encryptionType": "KMS", "kmsKey": KEY}, [failed(Kind.KMS_KEY, KEY, operation="DescribeKey")], {}, Status.ERROR),
        ({"encryptionType": "KMS", "kmsKey": KEY}, [], {}, Status.ERROR),
        ({"encryptionType": "KMS", "kmsKey": KEY}, [absent(Kind.KMS_KEY, KEY)], {}, Status.FAIL),
        ({"encryptionType": "KMS", "kmsKey": KEY}, [key_snapshot(KEY, "CUSTOMER")],
         {"kms_key_arns": [OTHER_ACCOUNT_KEY]}, Status.FAIL),
        ({"encryptionType": "KMS", "kmsKey": KEY}, [key_snapshot(KEY, "CUSTOMER")], {"kms_key_arns": [KEY]}, Status.PASS),
        ({"encryptionType": "AES256"}, [], {"require_cmk": False}, Status.NOT_APPLICABLE),
    ],
)
def test_repo_04_encryption(encryption, keys, overrides, expected):
    inv = inventory(repository("app", encryptionConfiguration=encryption), *keys)
    result = only(run_check(repo_04, inv, **overrides))
    assert result.status is expected


def test_repo_04_names_key_in_another_account():
    inv = inventory(
        repository("app", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": OTHER_ACCOUNT_KEY}),
        key_snapshot(OTHER_ACCOUNT_KEY, "CUSTOMER"),
    )
    result = only(run_check(repo_04, inv))
    assert result.status is Status.PASS
    assert result.evidence["keyAccount"] == "444455556666"
    assert "444455556666" in result.reason


@pytest.mark.parametrize(
    ("tags", "required", "expected", "missing"),
    [
        ([{"Key": "owner", "Value": "a"}, {"Key": "cost-center", "Value": "1"}], ["owner", "cost-center"], Status.PASS, None),
        ([{"Key": "owner", "Value": "a"}], ["owner", "cost-center"], Status.FAIL, ["cost-center"]),
        ([{"Key": "Owner", "Value": "a"}], ["owner"], Status.FAIL, ["owner"]),  # tag keys are case-sensitive
        ([], [], Status.NOT_APPLICABLE, None),
    ],
)
def test_repo_05_required_tags(tags, required, expected, missing):
    inv = inventory(repository("app"), present(Kind.REPOSITORY_TAGS, "app", {"tags": tags}))
    result = only(run_check(repo_05, inv, required_tags=required))
    assert result.status is expected
    if missing is not None:
        assert result.evidence["missing"] == missing
