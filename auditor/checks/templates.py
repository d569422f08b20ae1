"""Repository creation template checks (TMPL): the settings of repositories that ECR creates.

ECR applies a template to the repositories it creates for pull through cache,
replication and create-on-push (`appliedFor`). Each check judges one template,
named by its prefix (`ROOT` for the registry-wide template), with the same rules
as the matching repository check where one exists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from auditor.checks.engine import Context, item_check
from auditor.checks.frameworks import ACCESS_CONTROL, iso, nist
from auditor.checks.model import (
    Area,
    CheckMeta,
    Remediation,
    ResourceType,
    Severity,
    Status,
    Verdict,
    failed,
    not_applicable,
    passed,
)
from auditor.checks.permissions import analyse_text, public_verdict, untrusted_verdict
from auditor.checks.repositories import judge_encryption, judge_mutability, missing_tags
from auditor.inventory import Kind, Registry, Snapshot

TEMPLATES_PAGE = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html"
TEMPLATE_ROLE_PAGE = (
    "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-create-iam.html"
)
UPDATE_TEMPLATE = "aws ecr update-repository-creation-template --prefix PREFIX"
DESCRIBE_TEMPLATES = "ecr:DescribeRepositoryCreationTemplates"
KMS_TYPES = frozenset({"KMS", "KMS_DSSE"})


def template_payload(item: Snapshot) -> Mapping[str, Any]:
    """Return the template as DescribeRepositoryCreationTemplates returned it."""
    payload: Mapping[str, Any] = item.value() or {}
    return payload


@item_check(
    CheckMeta(
        id="TMPL-01",
        title="Creation template makes image tags immutable",
        area=Area.TMPL,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.CREATION_TEMPLATE,
        rationale=(
            "Every repository that ECR creates from the template starts with its tag mutability. A mutable "
            "tag can be pointed at another image after review or scanning. IMMUTABLE_WITH_EXCLUSION passes "
            "unless allow_immutability_exclusions is false, as for repositories."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Repository creation templates > select the template > Edit > "
                "Image tag mutability: Immutable > Save."
            ),
            cli=f"{UPDATE_TEMPLATE} --image-tag-mutability IMMUTABLE",
        ),
        controls=(nist("SI-7"), nist("CM-2"), iso("8.9")),
        permissions=(DESCRIBE_TEMPLATES,),
        references=(TEMPLATES_PAGE,),
    ),
    Kind.CREATION_TEMPLATE,
)
def tmpl_01(item: Snapshot, registry: Registry, context: Context) -> Verdict:
    return judge_mutability(template_payload(item), context.settings.allow_immutability_exclusions)


def judge_template_encryption(registry: Registry, encryption: Mapping[str, Any] | None, settings: Any) -> Verdict:
    """Judge a template's encryption as REPO-04 does, reading an alias or key id through its key ARN.

    The ECR API model documents a template's kmsKey as a key ARN, but the text
    comes back as stored, so a key id, alias name or alias ARN is not ruled out.
    kms_key_arns lists key ARNs, and KMS DescribeKey returns the key ARN
    (KeyMetadata.Arn) for each of those forms, so the approved list is compared
    with that ARN.
    """
    verdict = judge_encryption(registry, encryption, settings)
    key = str((encryption or {}).get("kmsKey") or "")
    if not key or verdict.status not in (Status.PASS, Status.FAIL):
        return verdict
    metadata = registry.get(Kind.KMS_KEY, key)
    if not metadata.present:
        return verdict
    key_arn = (metadata.payload.get("KeyMetadata") or {}).get("Arn")
    if not key_arn or key_arn == key:
        return verdict

    evidence = {**verdict.evidence, "keyArn": key_arn}
    customer_managed = evidence.get("keyManager") == "CUSTOMER"
    approved = settings.kms_key_arns
    if customer_managed and approved:
        # judge_encryption compared the key as written with the approved ARNs.
        if key_arn in approved:
            return passed(f"encrypted with customer-managed KMS key {key} ({key_arn})", **evidence)
        return failed(f"customer-managed KMS key {key} ({key_arn}) is not in kms_key_arns", **evidence)
    return Verdict(verdict.status, verdict.reason, evidence)


@item_check(
    CheckMeta(
        id="TMPL-02",
        title="Creation template encrypts with a customer-managed KMS key",
        area=Area.TMPL,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.CREATION_TEMPLATE,
        rationale=(
            "Encryption is fixed when a repository is created, so a template without a customer-managed key "
            "creates repositories that can only be fixed by recreating them. A customer-managed key puts "
            "decryption under the organisation's key policy, audit trail and revocation."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Repository creation templates > select the template > Edit > "
                "Encryption: AWS KMS > choose a customer-managed key, and set a repository creation role."
            ),
            cli=(
                f"{UPDATE_TEMPLATE} --encryption-configuration "
                "encryptionType=KMS,kmsKey=arn:aws:kms:REGION:ACCOUNT:key/KEY_ID --custom-role-arn ROLE_ARN"
            ),
        ),
        controls=(nist("SC-28"), iso("8.24")),
        permissions=(DESCRIBE_TEMPLATES, "kms:DescribeKey"),
        references=(TEMPLATES_PAGE, "https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html"),
    ),
    Kind.CREATION_TEMPLATE,
)
def tmpl_02(item: Snapshot, registry: Registry, context: Context) -> Verdict:
    encryption = template_payload(item).get("encryptionConfiguration")
    return judge_template_encryption(registry, encryption, context.settings)


def lifecycle_problem(text: str) -> str | None:
    """Return why lifecycle policy text is not one that ECR accepts, or None when it is.

    ECR takes a JSON object whose "rules" is a non-empty list of rule objects
    (Amazon ECR User Guide, "Lifecycle policy properties").
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
    rules = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(rules, list) or not rules:
        return "'rules' must be a non-empty list"
    if not all(isinstance(rule, dict) for rule in rules):
        return "each rule must be a JSON object"
    return None


@item_check(
    CheckMeta(
        id="TMPL-03",
        title="Creation template has a valid lifecycle policy",
        area=Area.TMPL,
        severity=Severity.LOW,
        resource_type=ResourceType.CREATION_TEMPLATE,
        rationale=(
            "Repositories that ECR creates for pull through cache and replication fill up without anyone "
            "pushing to them. A template without a lifecycle policy, or with one that does not parse, "
            "creates repositories that keep every image."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Repository creation templates > select the template > Edit > "
                "Lifecycle policy > add rules (for example expire untagged images after 14 days)."
            ),
            cli=f"{UPDATE_TEMPLATE} --lifecycle-policy file://lifecycle-policy.json",
        ),
        controls=(nist("CM-2"), nist("CM-6"), iso("8.9")),
        permissions=(DESCRIBE_TEMPLATES,),
        references=(TEMPLATES_PAGE, "https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html"),
    ),
    Kind.CREATION_TEMPLATE,
)
def tmpl_03(item: Snapshot, registry: Registry, context: Context) -> Verdict:
    text = template_payload(item).get("lifecyclePolicy")
    if not text:
        return failed("creation template has no lifecycle policy")
    problem = lifecycle_problem(str(text))
    if problem is not None:
        # REPO-02 calls a repository's unparseable policy ERROR, but here the text
        # is the configuration under audit, and repositories created from it
        # cannot get a working lifecycle policy.
        return failed(f"creation template lifecycle policy does not parse: {problem}", problem=problem)
    rules = json.loads(str(text))["rules"]
    return passed(f"creation template lifecycle policy has {len(rules)} rule(s)", rules=len(rules))


@item_check(
    CheckMeta(
        id="TMPL-04",
        title="Creation template repository policy grants nothing to the public or untrusted accounts",
        area=Area.TMPL,
        severity=Severity.CRITICAL,
        resource_type=ResourceType.CREATION_TEMPLATE,
        rationale=(
            "Every repository that ECR creates from the template gets its repository policy, so a public or "
            "untrusted grant in it spreads to each new repository as soon as it exists, with no one "
            "reviewing that repository."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Repository creation templates > select the template > Edit > "
                "Repository permissions > remove Principal \"*\" and accounts outside the trusted set."
            ),
            cli=f"{UPDATE_TEMPLATE} --repository-policy file://policy.json",
        ),
        controls=ACCESS_CONTROL,
        permissions=(DESCRIBE_TEMPLATES,),
        references=(TEMPLATES_PAGE,),
    ),
    Kind.CREATION_TEMPLATE,
)
def tmpl_04(item: Snapshot, registry: Registry, context: Context) -> Verdict:
    text = template_payload(item).get("repositoryPolicy")
    if not text:
        return passed("creation template has no repository policy")
    analysis = analyse_text(str(text), registry.account)
    if isinstance(analysis, Verdict):
        return analysis
    subject = "creation template repository policy"
    public = public_verdict(analysis, subject)
    untrusted = untrusted_verdict(analysis, context, subject)
    if public.status is Status.FAIL and untrusted.status is Status.FAIL:
        evidence = {**untrusted.evidence, **public.evidence, "untrusted_statements": untrusted.evidence["statements"]}
        return failed(f"{public.reason}; it also grants accounts outside the trusted set", **evidence)
    if public.status is Status.FAIL:
        return public
    if untrusted.status is Status.FAIL:
        return untrusted
    return passed(f"{subject} grants nothing to the public or to accounts outside the trusted set",
                  **untrusted.evidence)


def _role_account(role_arn: str) -> str | None:
    """Return the account of an IAM role ARN, or None when the text is not one."""
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    account = parts[4]
    return account if len(account) == 12 and account.isdigit() else None


@item_check(
    CheckMeta(
        id="TMPL-05",
        title="Creation template has a same-account role where it needs one",
        area=Area.TMPL,
        severity=Severity.HIGH,
        resource_type=ResourceType.CREATION_TEMPLATE,
        rationale=(
            "ECR needs a repository creation role (customRoleArn) to apply resource tags or KMS encryption "
            "from a template, and the role must be in the registry's account. Without it, or with a role "
            "elsewhere, creating a repository through the template fails, and with it the pull through cache "
            "import or replication that needed the repository."
        ),
        remediation=Remediation(
            console=(
                "IAM > Roles > create a role that ecr.amazonaws.com may assume, with ecr:CreateRepository, "
                "ecr:ReplicateImage, ecr:TagResource and the KMS grant permissions; then Amazon ECR > Repository "
                "creation templates > Edit > Repository creation role > choose it."
            ),
            cli=f"{UPDATE_TEMPLATE} --custom-role-arn arn:aws:iam::ACCOUNT:role/ecr-template-role",
        ),
        controls=(nist("CM-6"), iso("8.9")),
        permissions=(DESCRIBE_TEMPLATES,),
        references=(TEMPLATE_ROLE_PAGE,),
    ),
    Kind.CREATION_TEMPLATE,
)
def tmpl_05(item: Snapshot, registry: Registry, context: Context) -> Verdict:
    template = template_payload(item)
    tags = [str(tag.get("Key", tag.get("key", ""))) for tag in template.get("resourceTags") or []]
    encryption_type = str((template.get("encryptionConfiguration") or {}).get("encryptionType", "AES256")).upper()
    # NOTE: KMS with the AWS-managed aws/ecr key also counts as needing the role, which the AWS guide leaves open.
    uses_kms = encryption_type in KMS_TYPES
    role = str(template.get("customRoleArn") or "")
    needs: list[str] = []
    if tags:
        needs.append("resource tags")
    if uses_kms:
        needs.append(f"{encryption_type} encryption")
    evidence: dict[str, Any] = {"customRoleArn": role or None, "resourceTags": tags, "encryptionType": encryption_type}

    if role:
        account = _role_account(role)
        if account is None:
            return failed(f"customRoleArn {role} is not an IAM role ARN", **evidence)
        evidence["roleAccount"] = account
        if account != registry.account:
            return failed(f"customRoleArn {role} is in account {account}, not the registry's account", **evidence)
        return passed(f"creation template uses role {role} in the registry's account", **evidence)
    if needs:
        return failed(f"creation template applies {' and '.join(needs)} without a customRoleArn", **evidence)
    return passed("creation template applies no resource tags or KMS encryption, so it needs no role", **evidence)


@item_check(
    CheckMeta(
        id="TMPL-06",
        title="Creation template applies the required tags",
        area=Area.TMPL,
        severity=Severity.LOW,
        resource_type=ResourceType.CREATION_TEMPLATE,
        rationale=(
            "Repositories that ECR creates carry only the template's resource tags, so a template without "
            "the ownership and cost tags creates repositories that no team is found for."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Repository creation templates > select the template > Edit > "
                "Resource tags > add the missing keys (and a repository creation role)."
            ),
            cli=f"{UPDATE_TEMPLATE} --resource-tags Key=owner,Value=TEAM --custom-role-arn ROLE_ARN",
        ),
        controls=(nist("CM-8"), iso("5.9")),
        permissions=(DESCRIBE_TEMPLATES,),
        references=(TEMPLATES_PAGE,),
    ),
    Kind.CREATION_TEMPLATE,
)
def tmpl_06(item: Snapshot, registry: Registry, context: Context) -> Verdict:
    required = list(context.settings.required_tags)
    if not required:
        return not_applicable("required_tags is empty")
    missing = missing_tags(list(template_payload(item).get("resourceTags") or []), required)
    if missing:
        return failed(f"creation template lacks tag(s): {', '.join(missing)}", missing=missing, required=required)
    return passed("creation template applies every required tag", required=required)


@item_check(
    CheckMeta(
        id="TMPL-07",
        title="Creation template applies to at least one scenario",
        area=Area.TMPL,
        severity=Severity.LOW,
        resource_type=ResourceType.CREATION_TEMPLATE,
        rationale=(
            "A template whose appliedFor is empty never applies, so repositories that ECR creates under its "
            "prefix get another template's settings or the account defaults, while the template suggests "
            "otherwise."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Repository creation templates > select the template > Edit > "
                "Applied for: choose pull through cache, replication or create on push."
            ),
            cli=f"{UPDATE_TEMPLATE} --applied-for PULL_THROUGH_CACHE REPLICATION",
        ),
        controls=(nist("CM-2"), iso("8.9")),
        permissions=(DESCRIBE_TEMPLATES,),
        references=(TEMPLATES_PAGE,),
    ),
    Kind.CREATION_TEMPLATE,
)
def tmpl_07(item: Snapshot, registry: Registry, context: Context) -> Verdict:
    applied_for = [str(scenario) for scenario in template_payload(item).get("appliedFor") or []]
    if not applied_for:
        return failed("creation template applies to no scenario: appliedFor is empty", appliedFor=applied_for)
    return passed(f"creation template applies to {', '.join(applied_for)}", appliedFor=applied_for)


CHECKS = (tmpl_01, tmpl_02, tmpl_03, tmpl_04, tmpl_05, tmpl_06, tmpl_07)
