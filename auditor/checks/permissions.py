"""Registry permission checks (PERM): registry and repository policies.

Verdicts consider the registry and repository policies alone; service control
policies, resource control policies and identity policies are not seen.

The account setting REGISTRY_POLICY_SCOPE decides what a registry policy
governs. Under V2 it applies to every ECR action on every repository of the
registry. Under V1 it enforces only ecr:ReplicateImage,
ecr:BatchImportUpstreamImage and ecr:CreateRepository (Amazon ECR User Guide,
"Private registry permissions"). A check that needs the scope reads it only
when its verdict depends on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from auditor.checks.engine import (
    Context,
    inventory_check,
    registry_check,
    registry_ref,
    repository_check,
    repository_ref,
)
from auditor.checks.frameworks import ACCESS_CONTROL, iso, nist
from auditor.checks.model import (
    Area,
    CheckMeta,
    Remediation,
    ResourceRef,
    ResourceType,
    Severity,
    Status,
    Verdict,
    errored,
    failed,
    passed,
)
from auditor.checks.policy import (
    ECR_ACTIONS,
    V1_ENFORCED_ACTIONS,
    Audience,
    Grant,
    PolicyAnalysis,
    PolicyParseError,
    analyse_policy,
)
from auditor.checks.trust import trusted_accounts, untrusted_grants
from auditor.inventory import InputUnavailable, Kind, Registry, Repository

logger = logging.getLogger(__name__)

SCOPE_SETTING = "REGISTRY_POLICY_SCOPE"
SCOPES = ("V1", "V2")

# The write and delete actions that PERM-03 and PERM-06 name: pushing images
# (PutImage and the three layer-upload actions), deleting images or the
# repository, and replacing or deleting the repository policy.
WRITE_OR_DELETE_ACTIONS = frozenset(
    {
        "ecr:PutImage",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:BatchDeleteImage",
        "ecr:DeleteRepository",
        "ecr:SetRepositoryPolicy",
        "ecr:DeleteRepositoryPolicy",
    }
)
# Action patterns that grant every ECR action, whatever ECR adds later.
BROAD_ACTION_PATTERNS = frozenset({"*", "ecr:*"})


class ScopeUnreadableError(ValueError):
    """A GetAccountSetting response for REGISTRY_POLICY_SCOPE that names neither V1 nor V2."""


def registry_policy_scope(registry: Registry) -> str:
    """Return the registry policy scope, "V1" or "V2".

    GetAccountSetting always returns the value for REGISTRY_POLICY_SCOPE, "V2"
    for registries created since V2 exists and "V1" for older ones that never
    moved, so a response without either is not read as a default.

    Raises InputUnavailable when the setting could not be collected, and
    ScopeUnreadableError when the response contains no V1 or V2 value.
    """
    response = registry.account_setting(SCOPE_SETTING).value()
    value = response.get("value") if isinstance(response, Mapping) else None
    if not isinstance(value, str) or value.upper() not in SCOPES:
        raise ScopeUnreadableError(f"GetAccountSetting returned no V1 or V2 value for {SCOPE_SETTING}: {response!r}")
    return value.upper()


def enforced_actions(scope: str) -> frozenset[str] | None:
    """Return the actions a registry policy enforces under a scope; None means every ECR action."""
    return V1_ENFORCED_ACTIONS if scope == "V1" else None


def _read_scope(registry: Registry) -> tuple[str | None, str]:
    """Return the scope, or None with the reason it could not be read."""
    try:
        return registry_policy_scope(registry), ""
    except (InputUnavailable, ScopeUnreadableError) as problem:
        return None, str(problem)


def judge_under_scope(
    registry: Registry, judge: Callable[[str, bool], Verdict], *, monotonic: bool = True
) -> Verdict:
    """Judge a registry policy under the registry's scope, or under both when the scope is unreadable.

    `judge(scope, known)` judges under one scope, and `known` is False when
    the scope is assumed, so that its reason does not claim it. An unreadable scope
    is ERROR only when the verdict depends on it. With `monotonic`, whatever
    `judge` finds under V1 it also finds under V2 (V1 enforces a subset of the
    actions), so a FAIL under V1 and a PASS under V2 hold under either scope.
    Otherwise the two verdicts must agree.
    """
    scope, problem = _read_scope(registry)
    if scope is not None:
        return judge(scope, True)

    under_v1, under_v2 = judge("V1", False), judge("V2", False)
    note = f"{SCOPE_SETTING} could not be read, but the verdict is the same under V1 and V2"
    unknown = {"scope": None, "scope_error": problem}
    if monotonic:
        if under_v1.status is Status.FAIL:
            return Verdict(Status.FAIL, f"{under_v1.reason} ({note})", {**under_v1.evidence, **unknown})
        if under_v2.status is Status.PASS:
            return Verdict(Status.PASS, f"{under_v2.reason} ({note})", {**under_v2.evidence, **unknown})
    elif under_v1.status is under_v2.status and under_v1.status in (Status.PASS, Status.FAIL):
        reason = f"under V1, {under_v1.reason}; under V2, {under_v2.reason} ({note})"
        evidence = {**unknown, "under_V1": dict(under_v1.evidence), "under_V2": dict(under_v2.evidence)}
        return Verdict(under_v1.status, reason, evidence)
    return errored(
        f"{SCOPE_SETTING} could not be read, and the verdict depends on it: {problem}",
        status_under_V1=under_v1.status.value,
        status_under_V2=under_v2.status.value,
        **unknown,
    )


# ---------------------------------------------------------------------------
# Reading policies


def analyse_text(text: str, owner: str, actions: frozenset[str] | None = None) -> PolicyAnalysis | Verdict:
    """Analyse policy text, or return an ERROR verdict naming why it does not parse."""
    try:
        return analyse_policy(text, owner, actions=actions)
    except PolicyParseError as exc:
        return errored(f"policy text does not parse: {exc}")


def registry_policy_text(registry: Registry) -> str | None:
    """Return the registry policy text, or None when the registry has none."""
    answer: Mapping[str, Any] | None = registry.get(Kind.REGISTRY_POLICY).value()
    return None if answer is None else str(answer.get("policyText", ""))


def repository_policy_text(repository: Repository) -> str | None:
    answer: Mapping[str, Any] | None = repository.get(Kind.REPOSITORY_POLICY).value()
    return None if answer is None else str(answer.get("policyText", ""))


# ---------------------------------------------------------------------------
# Verdicts on one analysed policy, shared with the creation-template checks


def _shown(items: Sequence[str], limit: int = 5) -> str:
    """Join the first items for a one-line reason and count the rest."""
    text = ", ".join(items[:limit])
    if len(items) > limit:
        text += f" and {len(items) - limit} more"
    return text


def actions_text(actions: Iterable[str]) -> str:
    """Name granted actions for a reason line; the whole catalogue reads as "every ECR action"."""
    granted = frozenset(actions)
    if granted >= ECR_ACTIONS:
        return "every ECR action"
    return _shown(sorted(granted))


def audience_label(grant: Grant) -> str:
    """Name who a grant reaches, in words for a reason line."""
    if grant.is_public:
        return "the public"
    if grant.audience is Audience.ORGANIZATION:
        return f"organization {', '.join(grant.organization_ids)}"
    if grant.audience is Audience.ACCOUNT:
        return f"account {grant.account}"
    if grant.audience is Audience.SERVICE:
        return f"{grant.principal} for account {grant.account}" if grant.account else grant.principal
    if grant.audience is Audience.NETWORK:
        return f"any caller with {grant.restriction}"
    return f"{grant.audience.value} {grant.principal}"


def describe_grant(grant: Grant) -> dict[str, Any]:
    """Return the evidence fields of one grant."""
    return {
        "statement": str(grant.statement),
        "audience": grant.audience.value,
        "principal": grant.principal,
        "account": grant.account,
        "organizations": list(grant.organization_ids),
        "actions": sorted(grant.actions),
        "restriction": grant.restriction,
        "fail_open": grant.fail_open,
    }


def _statements(grants: Iterable[Grant]) -> list[str]:
    return [str(ref) for ref in sorted({grant.statement for grant in grants})]


def public_verdict(analysis: PolicyAnalysis, subject: str, **context: Any) -> Verdict:
    """FAIL when the analysis finds public access, naming the statements and actions."""
    if not analysis.public:
        return passed(f"{subject} grants nothing to the public", **context)
    statements = [str(s) for s in analysis.statements_responsible(Audience.PUBLIC)]
    actions = sorted(analysis.public_actions)
    fail_open = [str(s) for s in analysis.fail_open_statements]
    reason = f"{subject} grants {actions_text(actions)} to the public ({', '.join(statements)})"
    if fail_open:
        reason += "; restricted only by a condition that fails open"
    return failed(reason, public_actions=actions, statements=statements, fail_open_statements=fail_open, **context)


def untrusted_verdict(analysis: PolicyAnalysis, context: Context, subject: str, **extra: Any) -> Verdict:
    """FAIL when the policy grants an account or organisation outside the trusted set; public grants are left out."""
    trusted = sorted(trusted_accounts(context))
    grants = untrusted_grants(analysis, context)
    if not grants:
        return passed(f"{subject} grants no account outside the trusted set", trusted_accounts=trusted, **extra)
    targets = sorted({audience_label(grant) for grant in grants})
    actions = sorted({action for grant in grants for action in grant.actions})
    statements = _statements(grants)
    accounts = sorted({grant.account for grant in grants if grant.account})
    organizations = sorted({org for grant in grants for org in grant.organization_ids if not grant.account})
    reason = f"{subject} grants {actions_text(actions)} to {_shown(targets, 3)}, outside the trusted set"
    return failed(
        f"{reason} ({', '.join(statements)})",
        accounts=accounts,
        organizations=organizations,
        statements=statements,
        grants=[describe_grant(grant) for grant in grants],
        trusted_accounts=trusted,
        **extra,
    )


def _reaches_outside(grant: Grant, owner: str) -> bool:
    """Tell whether a grant may reach callers outside the owning account.

    A grant whose account is unknown (an organisation, a network, a service
    principal with no source account) is counted as outside, because nothing
    ties it to the owner.
    """
    return grant.is_public or grant.account != owner


def broad_patterns(grant: Grant) -> list[str]:
    """Return the Action patterns of a grant that name every ECR action ("*" or "ecr:*").

    The pattern counts as written, even where a Deny has removed some of the actions it matches.
    """
    if grant.not_action:
        return []
    return sorted({pattern for pattern in grant.action_patterns if pattern.strip().lower() in BROAD_ACTION_PATTERNS})


def outside_write_verdict(analysis: PolicyAnalysis, subject: str, **extra: Any) -> Verdict:
    """FAIL when the policy grants "*", "ecr:*" or a write or delete action to anyone outside the owning account."""
    owner = analysis.owner_account
    found: list[Grant] = []
    for grant in analysis.grants:
        if not _reaches_outside(grant, owner):
            continue
        if grant.actions & WRITE_OR_DELETE_ACTIONS or broad_patterns(grant):
            found.append(grant)
    if not found:
        return passed(f"{subject} grants no write or delete action outside account {owner}", **extra)

    writes = sorted({action for grant in found for action in grant.actions & WRITE_OR_DELETE_ACTIONS})
    patterns = sorted({pattern for grant in found for pattern in broad_patterns(grant)})
    if patterns:
        granted = f"Action {' and '.join(patterns)}"
        if writes:
            granted += f", with {len(writes)} write or delete actions,"
    else:
        granted = _shown(writes)
    targets = sorted({audience_label(grant) for grant in found})
    statements = _statements(found)
    return failed(
        f"{subject} grants {granted} to {_shown(targets, 3)} outside account {owner} ({', '.join(statements)})",
        write_actions=writes,
        broad_patterns=patterns,
        statements=statements,
        grants=[describe_grant(grant) for grant in found],
        **extra,
    )


def fail_open_verdict(analysis: PolicyAnalysis, subject: str, **extra: Any) -> Verdict:
    """FAIL when a wildcard principal is restricted only by a condition that fails open."""
    refs = [str(ref) for ref in analysis.fail_open_statements]
    if not refs:
        return passed(f"{subject} restricts no wildcard principal by a condition that fails open", **extra)
    grants = [grant for grant in analysis.grants if grant.fail_open]
    restrictions = sorted({grant.restriction for grant in grants if grant.restriction})
    detail = f": {restrictions[0]}" if restrictions else ""
    return failed(
        f"{subject} restricts a wildcard principal only by a condition that fails open ({', '.join(refs)}){detail}",
        statements=refs,
        restrictions=restrictions,
        actions=sorted({action for grant in grants for action in grant.actions}),
        grants=[describe_grant(grant) for grant in grants],
        **extra,
    )


def out_of_scope_verdict(analysis: PolicyAnalysis, subject: str, **extra: Any) -> Verdict:
    """FAIL when statements name ECR actions that the analysis scope excludes, where they have no effect."""
    if not analysis.out_of_scope_actions:
        return passed(f"{subject} names only actions that scope V1 enforces", **extra)
    unenforced = {str(ref): sorted(actions) for ref, actions in sorted(analysis.out_of_scope_actions.items())}
    parts = [f"{ref} ({_shown(actions, 3)})" for ref, actions in unenforced.items()]
    return failed(
        f"{subject} names actions that scope V1 does not enforce, so they have no effect: {'; '.join(parts)}",
        unenforced_actions=unenforced,
        statements=list(unenforced),
        **extra,
    )


# ---------------------------------------------------------------------------
# Registry policy checks


REGISTRY_POLICY_PERMISSIONS = ("ecr:GetRegistryPolicy", "ecr:GetAccountSetting")
REGISTRY_PERMISSIONS_PAGE = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions.html"
REPOSITORY_POLICIES_PAGE = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html"
SCOPE_PAGE = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions-account-settings.html"
PUT_REGISTRY_POLICY = "aws ecr put-registry-policy --policy-text file://registry-policy.json"
SET_REPOSITORY_POLICY = "aws ecr set-repository-policy --repository-name NAME --policy-text file://policy.json"


def _judge_registry_policy(
    registry: Registry,
    first_look: Callable[[PolicyAnalysis], Verdict],
    judge: Callable[..., Verdict],
    *,
    monotonic: bool = True,
) -> Verdict:
    """Judge the registry policy, reading the scope only when the verdict depends on it.

    `first_look` judges the analysis over every ECR action. Its PASS is a PASS
    under either scope, so the scope is not read. Otherwise
    `judge(analysis, subject, scope=...)` runs on the analysis of the actions
    that the registry's scope enforces.
    """
    text = registry_policy_text(registry)
    if text is None:
        return passed("registry has no registry policy")
    analysis = analyse_text(text, registry.account)
    if isinstance(analysis, Verdict):
        return analysis
    verdict = first_look(analysis)
    if verdict.status is Status.PASS:
        return verdict

    def under(scope: str, known: bool) -> Verdict:
        scoped = analysis if scope == "V2" else analyse_policy(text, registry.account, actions=enforced_actions(scope))
        subject = f"registry policy (scope {scope})" if known else "registry policy"
        return judge(scoped, subject, scope=scope)

    return judge_under_scope(registry, under, monotonic=monotonic)


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
            cli=PUT_REGISTRY_POLICY,
        ),
        controls=ACCESS_CONTROL,
        permissions=REGISTRY_POLICY_PERMISSIONS,
        references=(REGISTRY_PERMISSIONS_PAGE,),
    )
)
def perm_01(registry: Registry, context: Context) -> Verdict:
    return _judge_registry_policy(
        registry,
        lambda analysis: public_verdict(analysis, "registry policy"),
        public_verdict,
    )


@registry_check(
    CheckMeta(
        id="PERM-02",
        title="Registry policy grants no account outside the trusted set",
        area=Area.PERM,
        severity=Severity.HIGH,
        resource_type=ResourceType.REGISTRY,
        rationale=(
            "An account that the registry policy names can use every action the policy grants it: under "
            "V2 on every repository of the registry, under V1 to replicate into, import into or create "
            "repositories. Only accounts in trusted_accounts (and, with trust_organization, the "
            "organisation's accounts) should appear."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Permissions > remove the statements or principals that name "
                "accounts outside the trusted set, or add them to trusted_accounts if they are trusted."
            ),
            cli=PUT_REGISTRY_POLICY,
        ),
        controls=ACCESS_CONTROL,
        permissions=REGISTRY_POLICY_PERMISSIONS,
        references=(REGISTRY_PERMISSIONS_PAGE,),
    )
)
def perm_02(registry: Registry, context: Context) -> Verdict:
    return _judge_registry_policy(
        registry,
        lambda analysis: untrusted_verdict(analysis, context, "registry policy"),
        lambda analysis, subject, **extra: untrusted_verdict(analysis, context, subject, **extra),
    )


def _perm_03_under(analysis: PolicyAnalysis, subject: str, *, scope: str) -> Verdict:
    if scope == "V1":
        return out_of_scope_verdict(analysis, subject, scope=scope)
    return outside_write_verdict(analysis, subject, scope=scope)


def _perm_03_first_look(text: str, registry: Registry) -> Callable[[PolicyAnalysis], Verdict]:
    """PASS only when the policy passes under both scopes, so the scope need not be read."""

    def look(analysis: PolicyAnalysis) -> Verdict:
        under_v2 = outside_write_verdict(analysis, "registry policy")
        if under_v2.status is not Status.PASS:
            return under_v2
        v1_analysis = analyse_policy(text, registry.account, actions=V1_ENFORCED_ACTIONS)
        under_v1 = out_of_scope_verdict(v1_analysis, "registry policy")
        if under_v1.status is not Status.PASS:
            return under_v1
        return passed(
            "registry policy grants no write or delete action outside the account and names only actions "
            "that scope V1 enforces"
        )

    return look


@registry_check(
    CheckMeta(
        id="PERM-03",
        title="Registry policy grants no broad or write access outside the account and matches its scope",
        area=Area.PERM,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REGISTRY,
        rationale=(
            "Under the V2 scope a registry policy that grants ecr:*, * or write and delete actions (PutImage, "
            "layer upload, BatchDeleteImage, DeleteRepository, SetRepositoryPolicy, DeleteRepositoryPolicy) "
            "to another account lets it replace or delete images and policies in every repository. Under V1 "
            "statements for any other action than ReplicateImage, BatchImportUpstreamImage and "
            "CreateRepository grant nothing, and mislead readers about who has access."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Permissions > under V2, narrow external statements to the "
                "actions they need (for replication: ecr:CreateRepository and ecr:ReplicateImage); under V1, "
                "remove statements for actions that V1 does not enforce."
            ),
            cli=PUT_REGISTRY_POLICY,
        ),
        controls=ACCESS_CONTROL,
        permissions=REGISTRY_POLICY_PERMISSIONS,
        references=(REGISTRY_PERMISSIONS_PAGE, SCOPE_PAGE),
    )
)
def perm_03(registry: Registry, context: Context) -> Verdict:
    text = registry_policy_text(registry)
    if text is None:
        return passed("registry has no registry policy")
    # The V1 and V2 tests differ, so neither verdict implies the other.
    return _judge_registry_policy(registry, _perm_03_first_look(text, registry), _perm_03_under, monotonic=False)


# ---------------------------------------------------------------------------
# Repository policy checks


def _repository_analysis(repository: Repository) -> PolicyAnalysis | Verdict:
    """Analyse the repository policy, or return the verdict for a missing or unparseable one."""
    text = repository_policy_text(repository)
    if text is None:
        return passed("repository has no repository policy")
    return analyse_text(text, repository.registry.account)


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
            cli=SET_REPOSITORY_POLICY,
        ),
        controls=ACCESS_CONTROL,
        permissions=("ecr:GetRepositoryPolicy",),
        references=(REPOSITORY_POLICIES_PAGE,),
    )
)
def perm_04(repository: Repository, context: Context) -> Verdict:
    analysis = _repository_analysis(repository)
    if isinstance(analysis, Verdict):
        return analysis
    return public_verdict(analysis, "repository policy")


@repository_check(
    CheckMeta(
        id="PERM-05",
        title="Repository policy grants no account outside the trusted set",
        area=Area.PERM,
        severity=Severity.HIGH,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "A cross-account grant is not public, but every identity that the other account lets use it "
            "can reach the repository. Only accounts in trusted_accounts (and, with trust_organization, "
            "the organisation's accounts) should appear. Public grants are reported by PERM-04."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Repositories > select the repository > Permissions > remove the statements or "
                "principals that name accounts outside the trusted set."
            ),
            cli=SET_REPOSITORY_POLICY,
        ),
        controls=ACCESS_CONTROL,
        permissions=("ecr:GetRepositoryPolicy",),
        references=(REPOSITORY_POLICIES_PAGE,),
    )
)
def perm_05(repository: Repository, context: Context) -> Verdict:
    analysis = _repository_analysis(repository)
    if isinstance(analysis, Verdict):
        return analysis
    return untrusted_verdict(analysis, context, "repository policy")


@repository_check(
    CheckMeta(
        id="PERM-06",
        title="Repository policy grants no write or delete action outside the account",
        area=Area.PERM,
        severity=Severity.HIGH,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "A principal outside the owning account that may push, delete images, delete the repository "
            "or rewrite its policy can replace what others deploy or lock the owner out. Read-only "
            "cross-account pulls are the usual need; ecr:* and * grant writes as well."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Repositories > select the repository > Permissions > limit statements for other "
                "accounts to pull actions (ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, "
                "ecr:BatchCheckLayerAvailability)."
            ),
            cli=SET_REPOSITORY_POLICY,
        ),
        controls=ACCESS_CONTROL,
        permissions=("ecr:GetRepositoryPolicy",),
        references=(REPOSITORY_POLICIES_PAGE,),
    )
)
def perm_06(repository: Repository, context: Context) -> Verdict:
    analysis = _repository_analysis(repository)
    if isinstance(analysis, Verdict):
        return analysis
    return outside_write_verdict(analysis, "repository policy")


# ---------------------------------------------------------------------------
# PERM-07: every policy of the run


# Exceptions of a check body on an AWS response of an unexpected shape. The engine
# turns them into ERROR for the other scopes; an inventory check does it itself.
_MALFORMED_INPUT = (KeyError, TypeError, ValueError, AttributeError)


def _guarded(resource: ResourceRef, judge: Callable[[], Verdict]) -> tuple[ResourceRef, Verdict]:
    """Run one judgement, turning a missing or malformed input into an ERROR for that resource only."""
    try:
        return resource, judge()
    except InputUnavailable as missing:
        evidence: dict[str, Any] = {"input": missing.kind}
        if missing.error is not None:
            evidence.update(operation=missing.error.operation, error_code=missing.error.error_code)
        return resource, errored(str(missing), **evidence)
    except _MALFORMED_INPUT as problem:
        logger.warning("check=PERM-07 resource=%s failed on malformed input: %r", resource, problem)
        return resource, errored(f"input could not be evaluated: {problem!r}")


def _fail_open_in_registry_policy(registry: Registry) -> Verdict:
    return _judge_registry_policy(
        registry,
        lambda analysis: fail_open_verdict(analysis, "registry policy"),
        fail_open_verdict,
    )


def _fail_open_in_repository_policy(repository: Repository) -> Verdict:
    analysis = _repository_analysis(repository)
    if isinstance(analysis, Verdict):
        return analysis
    return fail_open_verdict(analysis, "repository policy")


def _fail_open_in_template_policy(template: Mapping[str, Any], registry: Registry) -> Verdict:
    text = template.get("repositoryPolicy")
    if not text:
        return passed("creation template has no repository policy")
    analysis = analyse_text(str(text), registry.account)
    if isinstance(analysis, Verdict):
        return analysis
    return fail_open_verdict(analysis, "creation template repository policy")


def _fail_open_in_registry(registry: Registry) -> Iterator[tuple[ResourceRef, Verdict]]:
    yield _guarded(registry_ref(registry), lambda: _fail_open_in_registry_policy(registry))

    failure = registry.listing_error(Kind.REPOSITORY)
    if failure is not None:
        yield repository_ref(registry, "*"), errored(f"repositories could not be listed: {failure.describe()}")
    else:
        for repository in registry.repositories():
            ref = repository_ref(registry, repository.name)
            yield _guarded(ref, lambda r=repository: _fail_open_in_repository_policy(r))  # type: ignore[misc]

    template_ref = ResourceRef(registry.account, registry.region, ResourceType.CREATION_TEMPLATE, "*")
    failure = registry.listing_error(Kind.CREATION_TEMPLATE)
    if failure is not None:
        yield template_ref, errored(f"creation templates could not be listed: {failure.describe()}")
        return
    for item in registry.items(Kind.CREATION_TEMPLATE):
        ref = ResourceRef(registry.account, registry.region, ResourceType.CREATION_TEMPLATE, item.name)
        yield _guarded(ref, lambda i=item: _fail_open_in_template_policy(i.value() or {}, registry))  # type: ignore[misc]


@inventory_check(
    CheckMeta(
        id="PERM-07",
        title="No policy restricts a wildcard principal only by a condition that fails open",
        area=Area.PERM,
        severity=Severity.HIGH,
        resource_type=ResourceType.REGISTRY,
        rationale=(
            "A condition such as StringEqualsIfExists or ForAllValues:StringEquals on aws:PrincipalOrgID "
            "or aws:SourceAccount is true when the key is absent from the request, and callers outside any "
            "organisation, or direct callers, send no such key: the statement is public although it looks "
            "restricted. One result per registry for the registry policy, one per repository for its "
            "repository policy and one per creation template for the policy it gives new repositories."
        ),
        remediation=Remediation(
            console=(
                "Edit the policy (registry: Private registry > Permissions; repository: Permissions; template: "
                "Private registry > Repository creation templates) and replace ...IfExists and ForAllValues: "
                "operators on identity keys with StringEquals, or ForAnyValue: for aws:PrincipalOrgPaths."
            ),
            cli=SET_REPOSITORY_POLICY,
        ),
        controls=ACCESS_CONTROL,
        permissions=(
            "ecr:GetRegistryPolicy",
            "ecr:GetAccountSetting",
            "ecr:DescribeRepositories",
            "ecr:GetRepositoryPolicy",
            "ecr:DescribeRepositoryCreationTemplates",
        ),
        references=(
            REGISTRY_PERMISSIONS_PAGE,
            REPOSITORY_POLICIES_PAGE,
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html",
        ),
    )
)
def perm_07(context: Context) -> Iterator[tuple[ResourceRef, Verdict]]:
    for registry in context.inventory.audited():
        if registry.unit_error is not None:
            yield registry_ref(registry), errored(f"registry could not be read: {registry.unit_error}")
            continue
        yield from _fail_open_in_registry(registry)


# ---------------------------------------------------------------------------
# PERM-08: the scope setting itself


@registry_check(
    CheckMeta(
        id="PERM-08",
        title="Registry policy scope is V2",
        area=Area.PERM,
        severity=Severity.LOW,
        resource_type=ResourceType.REGISTRY,
        rationale=(
            "Under REGISTRY_POLICY_SCOPE V1 the registry policy enforces only ReplicateImage, "
            "BatchImportUpstreamImage and CreateRepository, so registry-wide statements for other actions "
            "have no effect. AWS recommends V2 and does not recommend reverting to V1."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Feature & Settings > Permissions > Enable (V2). Review the "
                "registry policy first: under V2 every statement in it takes effect on every repository."
            ),
            cli="aws ecr put-account-setting --name REGISTRY_POLICY_SCOPE --value V2",
        ),
        controls=(nist("CM-6"), iso("8.9")),
        permissions=("ecr:GetAccountSetting",),
        references=(SCOPE_PAGE,),
    )
)
def perm_08(registry: Registry, context: Context) -> Verdict:
    try:
        scope = registry_policy_scope(registry)
    except ScopeUnreadableError as problem:
        return errored(str(problem))
    if scope == "V1":
        return failed(
            f"{SCOPE_SETTING} is V1: the registry policy enforces only {', '.join(sorted(V1_ENFORCED_ACTIONS))}",
            scope=scope,
        )
    return passed(f"{SCOPE_SETTING} is V2: the registry policy governs every ECR action", scope=scope)


CHECKS = (perm_01, perm_02, perm_03, perm_04, perm_05, perm_06, perm_07, perm_08)
