"""Registry permission checks (PERM): registry and repository policies.

Verdicts consider the registry and repository policies alone; service control
policies, resource control policies and identity policies are not seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.checks.engine import Context, registry_check, repository_check
from auditor.checks.frameworks import ACCESS_CONTROL
from auditor.checks.model import (
    Area,
    CheckMeta,
    Remediation,
    ResourceType,
    Severity,
    Verdict,
    errored,
    failed,
    passed,
)
from auditor.checks.policy import (
    V1_ENFORCED_ACTIONS,
    Audience,
    PolicyAnalysis,
    PolicyParseError,
    analyse_policy,
)
from auditor.inventory import Kind, Registry, Repository

SCOPE_SETTING = "REGISTRY_POLICY_SCOPE"


def registry_policy_scope(registry: Registry) -> str:
    """Return V1 or V2; raises InputUnavailable when the setting could not be read.

    Under V2, the default for new registries, the registry policy governs every ECR
    action on every repository; under V1 only ReplicateImage, BatchImportUpstreamImage
    and CreateRepository are enforced.
    """
    answer = registry.account_setting(SCOPE_SETTING).value()
    if answer is None:
        return "V2"
    return str(answer.get("value", "V2")).upper()


def public_verdict(analysis: PolicyAnalysis, subject: str, **context: Any) -> Verdict:
    """FAIL when the analysis finds public access, naming the statements and actions."""
    if not analysis.public:
        return passed(f"{subject} grants nothing to the public", **context)
    statements = [str(s) for s in analysis.statements_responsible(Audience.PUBLIC)]
    actions = sorted(analysis.public_actions)
    fail_open = [str(s) for s in analysis.fail_open_statements]
    shown = ", ".join(actions[:5]) + (f" and {len(actions) - 5} more" if len(actions) > 5 else "")
    reason = f"{subject} grants {shown} to the public ({', '.join(statements)})"
    if fail_open:
        reason += "; restricted only by a condition that fails open"
    return failed(reason, public_actions=actions, statements=statements, fail_open_statements=fail_open, **context)


def analyse_text(text: str, owner: str, actions: frozenset[str] | None = None) -> PolicyAnalysis | Verdict:
    """Analyse policy text, or return an ERROR verdict naming why it does not parse."""
    try:
        return analyse_policy(text, owner, actions=actions)
    except PolicyParseError as exc:
        return errored(f"policy text does not parse: {exc}")


@registry_check(
    CheckMeta(
        id="PERM-01",
        title="Registry policy grants nothing to the public",
        area=Area.PERM,
        severity=Severity.CRITICAL,
        resource_type=ResourceType.REGISTRY,
        rationale=(
            "Under the V2 registry policy scope a public grant in the registry policy reaches every "
            "repository of the registry; under V1 it still lets anyone replicate into, import into "
            "or create repositories in it."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Permissions > edit the statement with Principal \"*\" "
                "to name accounts or add an aws:PrincipalOrgID condition, or delete it."
            ),
            cli="aws ecr put-registry-policy --policy-text file://registry-policy.json",
        ),
        controls=ACCESS_CONTROL,
        permissions=("ecr:GetRegistryPolicy", "ecr:GetAccountSetting"),
        references=("https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions.html",),
    )
)
def perm_01(registry: Registry, context: Context) -> Verdict:
    policy = registry.get(Kind.REGISTRY_POLICY).value()
    if policy is None:
        return passed("registry has no registry policy")
    text = str(policy.get("policyText", ""))
    analysis = analyse_text(text, registry.account)
    if isinstance(analysis, Verdict):
        return analysis
    if not analysis.public:
        return passed("registry policy grants nothing to the public")
    # Only now does the scope matter: it decides which public actions are enforced.
    scope = registry_policy_scope(registry)
    if scope == "V1":
        analysis = analyse_policy(text, registry.account, actions=V1_ENFORCED_ACTIONS)
    return public_verdict(analysis, f"registry policy (scope {scope})", scope=scope)


def repository_policy_text(repository: Repository) -> str | None:
    answer: Mapping[str, Any] | None = repository.get(Kind.REPOSITORY_POLICY).value()
    return None if answer is None else str(answer.get("policyText", ""))


@repository_check(
    CheckMeta(
        id="PERM-04",
        title="Repository policy grants nothing to the public",
        area=Area.PERM,
        severity=Severity.CRITICAL,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "A repository policy with a public grant lets anyone on the internet with AWS credentials "
            "pull (or, with write actions, replace) the repository's images."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Repositories > select the repository > Permissions > Edit policy JSON > "
                "replace Principal \"*\" with named accounts or add an aws:PrincipalOrgID condition."
            ),
            cli="aws ecr set-repository-policy --repository-name NAME --policy-text file://policy.json",
        ),
        controls=ACCESS_CONTROL,
        permissions=("ecr:GetRepositoryPolicy",),
        references=("https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html",),
    )
)
def perm_04(repository: Repository, context: Context) -> Verdict:
    text = repository_policy_text(repository)
    if text is None:
        return passed("repository has no repository policy")
    analysis = analyse_text(text, repository.registry.account)
    if isinstance(analysis, Verdict):
        return analysis
    return public_verdict(analysis, "repository policy")


CHECKS = (perm_01, perm_04)
