"""Repository checks (REPO): tag mutability, lifecycle policies, encryption, tags."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from auditor.checks.engine import Context, repository_check
from auditor.checks.frameworks import CONFIGURATION_BASELINE, fsbp, iso, nist
from auditor.checks.model import (
    Area,
    CheckMeta,
    Remediation,
    ResourceType,
    Severity,
    Verdict,
    errored,
    failed,
    not_applicable,
    passed,
)
from auditor.inventory import Kind, Registry, Repository

MUTABLE = frozenset({"MUTABLE", "MUTABLE_WITH_EXCLUSION"})


def judge_mutability(payload: Mapping[str, Any], allow_exclusions: bool) -> Verdict:
    """Judge tag mutability; shared by REPO-01 and the creation-template check."""
    mutability = str(payload.get("imageTagMutability", "MUTABLE"))
    exclusions = [f.get("filter") for f in payload.get("imageTagMutabilityExclusionFilters") or []]
    if mutability in MUTABLE:
        return failed(f"image tags are {mutability}", imageTagMutability=mutability, exclusions=exclusions)
    if mutability == "IMMUTABLE_WITH_EXCLUSION":
        if not allow_exclusions:
            return failed(
                "image tags are immutable except for excluded tags, and exclusions are not allowed",
                imageTagMutability=mutability,
                exclusions=exclusions,
            )
        return passed(
            f"image tags are immutable except tags matching {', '.join(map(str, exclusions)) or 'no filter'}",
            imageTagMutability=mutability,
            exclusions=exclusions,
        )
    if mutability == "IMMUTABLE":
        return passed("image tags are immutable", imageTagMutability=mutability)
    return errored(f"unknown tag mutability {mutability!r}", imageTagMutability=mutability)


@repository_check(
    CheckMeta(
        id="REPO-01",
        title="Image tags are immutable",
        area=Area.REPO,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "A mutable tag can be pointed at a different image after it was reviewed, scanned "
            "or deployed, so the tag no longer identifies what runs."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Repositories > select the repository > Edit > "
                "Image tag mutability: Immutable (or Immutable with exclusions) > Save."
            ),
            cli=(
                "aws ecr put-image-tag-mutability --repository-name NAME "
                "--image-tag-mutability IMMUTABLE"
            ),
        ),
        controls=(
            fsbp("ECR.2", "ECR.2 passes only IMMUTABLE; this check also passes IMMUTABLE_WITH_EXCLUSION unless "
                 "allow_immutability_exclusions is false"),
            nist("SI-7"),
            nist("CM-2"),
            iso("8.9"),
        ),
        permissions=("ecr:DescribeRepositories",),
        references=("https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html",),
    )
)
def repo_01(repository: Repository, context: Context) -> Verdict:
    return judge_mutability(repository.payload, context.settings.allow_immutability_exclusions)


def parse_lifecycle(text: str) -> list[Mapping[str, Any]]:
    """Parse lifecycle policy text into its rules; raises ValueError when it does not parse."""
    document = json.loads(text)
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise ValueError("lifecycle policy has no 'rules' list")
    return [r for r in document["rules"] if isinstance(r, dict)]


@repository_check(
    CheckMeta(
        id="REPO-02",
        title="Repository has a lifecycle policy",
        area=Area.REPO,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "Without a lifecycle policy old and vulnerable images accumulate, stay pullable and "
            "keep costing storage."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Repositories > select the repository > Lifecycle Policy > "
                "Create rule (for example expire untagged images after 14 days)."
            ),
            cli="aws ecr put-lifecycle-policy --repository-name NAME --lifecycle-policy-text file://policy.json",
        ),
        controls=(fsbp("ECR.3"), nist("CM-8"), nist("SI-2"), iso("8.9")),
        permissions=("ecr:GetLifecyclePolicy",),
        references=("https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html",),
    )
)
def repo_02(repository: Repository, context: Context) -> Verdict:
    policy = repository.get(Kind.LIFECYCLE_POLICY).value()
    if policy is None:
        return failed("repository has no lifecycle policy")
    try:
        rules = parse_lifecycle(policy.get("lifecyclePolicyText", ""))
    except ValueError as exc:
        return errored(f"lifecycle policy text does not parse: {exc}")
    return passed(f"lifecycle policy has {len(rules)} rule(s)", rules=len(rules))


def _expires_tagged(rule: Mapping[str, Any]) -> bool:
    action = rule.get("action") or {}
    selection = rule.get("selection") or {}
    tag_status = str(selection.get("tagStatus", "")).lower()
    return str(action.get("type", "")).lower() == "expire" and tag_status in ("tagged", "any")


@repository_check(
    CheckMeta(
        id="REPO-03",
        title="Lifecycle policy expires tagged images",
        area=Area.REPO,
        severity=Severity.LOW,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "A lifecycle policy that only removes untagged images keeps every tagged image "
            "forever, including old vulnerable releases."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Repositories > select the repository > Lifecycle Policy > add a rule "
                "with Tag status 'Tagged' or 'Any' and an expiry (image count or age)."
            ),
            cli="aws ecr put-lifecycle-policy --repository-name NAME --lifecycle-policy-text file://policy.json",
        ),
        controls=(nist("CM-8"), nist("SI-2"), *CONFIGURATION_BASELINE[:1]),
        permissions=("ecr:GetLifecyclePolicy",),
        references=("https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html",),
    )
)
def repo_03(repository: Repository, context: Context) -> Verdict:
    policy = repository.get(Kind.LIFECYCLE_POLICY).value()
    if policy is None:
        return not_applicable("repository has no lifecycle policy (see REPO-02)")
    try:
        rules = parse_lifecycle(policy.get("lifecyclePolicyText", ""))
    except ValueError as exc:
        return errored(f"lifecycle policy text does not parse: {exc}")
    expiring = [r.get("rulePriority") for r in rules if _expires_tagged(r)]
    if not expiring:
        return failed("lifecycle policy never expires tagged images", rules=len(rules))
    return passed(f"rule(s) {', '.join(map(str, expiring))} expire tagged images", rule_priorities=expiring)


def judge_encryption(
    registry: Registry, encryption: Mapping[str, Any] | None, settings: Any
) -> Verdict:
    """Judge encryption at rest against require_cmk and kms_key_arns; shared with templates."""
    if not settings.require_cmk:
        return not_applicable("require_cmk is off")
    encryption = encryption or {}
    kind = str(encryption.get("encryptionType", "AES256")).upper()
    if kind == "AES256":
        return failed("encrypted with AES256 (Amazon S3-managed keys), not a customer-managed KMS key",
                      encryptionType=kind)
    if kind not in ("KMS", "KMS_DSSE"):
        return errored(f"unknown encryption type {kind!r}", encryptionType=kind)
    key = encryption.get("kmsKey")
    if not key:
        return failed(f"encrypted with {kind} under the AWS-managed aws/ecr key", encryptionType=kind)
    key = str(key)
    owner = key.split(":")[4] if key.startswith("arn:") and key.count(":") >= 5 else registry.account
    evidence: dict[str, Any] = {"encryptionType": kind, "kmsKey": key, "keyAccount": owner}
    metadata_snapshot = registry.get(Kind.KMS_KEY, key)
    if not metadata_snapshot.present and not metadata_snapshot.absent:
        cause = metadata_snapshot.error.describe() if metadata_snapshot.error else "not collected"
        return errored(f"the manager of KMS key {key} could not be read: {cause}", **evidence)
    if metadata_snapshot.absent:
        return failed(f"KMS key {key} was not found", **evidence)
    manager = str((metadata_snapshot.payload.get("KeyMetadata") or {}).get("KeyManager", ""))
    evidence["keyManager"] = manager
    elsewhere = f" in account {owner}" if owner != registry.account else ""
    if manager != "CUSTOMER":
        return failed(f"encrypted with the AWS-managed KMS key {key}{elsewhere}", **evidence)
    approved = settings.kms_key_arns
    if approved and key not in approved:
        return failed(f"customer-managed KMS key {key}{elsewhere} is not in kms_key_arns", **evidence)
    return passed(f"encrypted with customer-managed KMS key {key}{elsewhere}", **evidence)


@repository_check(
    CheckMeta(
        id="REPO-04",
        title="Repository is encrypted with a customer-managed KMS key",
        area=Area.REPO,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "A customer-managed key puts decryption under the organisation's own key policy, "
            "audit trail and revocation; AES256 and the AWS-managed key do not."
        ),
        remediation=Remediation(
            console=(
                "Encryption is fixed at creation: create a new repository with Encryption "
                "settings > AWS KMS > a customer-managed key, copy the images, and delete the old one."
            ),
            cli=(
                "aws ecr create-repository --repository-name NAME --encryption-configuration "
                "encryptionType=KMS,kmsKey=arn:aws:kms:REGION:ACCOUNT:key/KEY_ID"
            ),
        ),
        controls=(fsbp("ECR.5"), nist("SC-28"), iso("8.24")),
        permissions=("ecr:DescribeRepositories", "kms:DescribeKey"),
        references=("https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html",),
    )
)
def repo_04(repository: Repository, context: Context) -> Verdict:
    return judge_encryption(
        repository.registry, repository.payload.get("encryptionConfiguration"), context.settings
    )


def missing_tags(tags: list[Mapping[str, Any]], required: list[str]) -> list[str]:
    present = {str(t.get("Key", t.get("key", ""))) for t in tags}
    return [name for name in required if name not in present]


@repository_check(
    CheckMeta(
        id="REPO-05",
        title="Repository carries the required tags",
        area=Area.REPO,
        severity=Severity.LOW,
        resource_type=ResourceType.REPOSITORY,
        rationale="Ownership and cost tags let findings reach the team that can fix them.",
        remediation=Remediation(
            console="Amazon ECR > Repositories > select the repository > Tags > Manage tags > add the missing keys.",
            cli="aws ecr tag-resource --resource-arn ARN --tags Key=owner,Value=TEAM",
        ),
        controls=(nist("CM-8"), iso("5.9")),
        permissions=("tag:GetResources", "ecr:ListTagsForResource"),
    )
)
def repo_05(repository: Repository, context: Context) -> Verdict:
    required = list(context.settings.required_tags)
    if not required:
        return not_applicable("required_tags is empty")
    answer = repository.get(Kind.REPOSITORY_TAGS).value() or {}
    missing = missing_tags(answer.get("tags", []), required)
    if missing:
        return failed(f"missing tag(s): {', '.join(missing)}", missing=missing)
    return passed("carries every required tag", required=required)


CHECKS = (repo_01, repo_02, repo_03, repo_04, repo_05)
