"""Deny statements: which callers each one certainly applies to, and what it leaves of a grant."""

from __future__ import annotations

import enum
import fnmatch
import logging
from dataclasses import dataclass, replace

from auditor.checks.policy.allow import (
    _grants_within_limits,
    _intersect_sets,
    _principal_text_for_account,
)
from auditor.checks.policy.conditions import (
    _IDENTITY_KEYS,
    _MATCHING_OPERATORS,
    _join_restrictions,
    _KeyKind,
    _keys_required_present,
    _Limit,
    _make_limit,
    _negated_operators,
    _value_is_specific,
)
from auditor.checks.policy.model import (
    Audience,
    Grant,
    StatementRef,
)
from auditor.checks.policy.parse import (
    _ACCOUNT_ID,
    _Principal,
    _split_arn,
    _Statement,
)

logger = logging.getLogger(__name__)


class _DenyKind(enum.Enum):
    EVERYONE = enum.auto()  # denies every caller of the covered actions
    PRINCIPALS = enum.auto()  # denies only the named principals
    TARGETED = enum.auto()  # denies callers in named accounts or organisations
    EXCEPT = enum.auto()  # denies everyone outside the alternatives
    IGNORED = enum.auto()  # may not apply to every request of any grant


@dataclass(frozen=True)
class _NotPrincipals:
    """The principals a Deny with NotPrincipal exempts."""

    principals: tuple[_Principal, ...]
    text: str


@dataclass(frozen=True)
class _DenyRule:
    ref: StatementRef
    actions: frozenset[str]
    kind: _DenyKind
    principals: tuple[_Principal, ...] = ()
    alternatives: tuple[_Limit | _NotPrincipals, ...] = ()
    target_accounts: frozenset[str] = frozenset()
    target_organizations: frozenset[str] = frozenset()
    # aws:PrincipalIsAWSService = false: calls by service principals are exempt.
    exempts_services: bool = False


def _ignored(statement: _Statement, reason: str) -> _DenyRule:
    logger.debug("deny statement not applied: statement=%s reason=%s", statement.ref, reason)
    return _DenyRule(statement.ref, statement.actions, _DenyKind.IGNORED)


def _deny_rule(statement: _Statement) -> _DenyRule:
    """Classify a Deny by the callers it certainly applies to.

    A Deny that applies only under a further condition (aws:SecureTransport,
    aws:ViaAWSService, a tag) cannot be relied on to remove access, so it is
    ignored: the analysis then reports more access, never less.
    """
    wildcard = any(principal.value == "*" for principal in statement.principals)
    alternatives: list[_Limit | _NotPrincipals] = []
    if statement.not_principal:
        if wildcard:
            return _ignored(statement, "NotPrincipal * exempts everyone")
        text = ", ".join(principal.value for principal in statement.principals)
        note = f"{statement.ref} denies every other caller"
        alternatives.append(_NotPrincipals(statement.principals, f"principal in [{text}] ({note})"))
    elif not wildcard:
        if statement.clauses:
            # NOTE: a conditional Deny on named principals is not evaluated and removes nothing.
            return _ignored(statement, "condition on a Deny for named principals")
        return _DenyRule(statement.ref, statement.actions, _DenyKind.PRINCIPALS, statement.principals)

    present = _keys_required_present(statement.clauses)
    exempts_services = False
    target_accounts: list[frozenset[str]] = []
    target_organizations: list[frozenset[str]] = []
    for clause in statement.clauses:
        info = _IDENTITY_KEYS.get(clause.key)
        if (
            clause.key == "aws:principalisawsservice"
            and clause.base == "bool"
            and [value.lower() for value in clause.values] == ["false"]
        ):
            exempts_services = True
        elif clause.base == "null" and info is not None and clause.key in present:
            continue  # read below: a Null-false key lets callers without it escape
        elif info is None:
            return _ignored(statement, f"condition key {clause.key_text}")
        elif clause.base in _negated_operators(info.kind):
            if not all(_value_is_specific(value, info.kind, clause.base) for value in clause.values):
                return _ignored(statement, f"wildcard value for {clause.key_text}")
            # A negated operator is true when the key is absent, and so is
            # ForAllValues, so the Deny catches callers without the key. Under
            # ForAnyValue, or with a Null-false test, those callers escape.
            escapes = info.may_be_absent and (
                clause.qualifier == "foranyvalue" or clause.key in present
            )
            note = f"{statement.ref} denies every other caller"
            if escapes:
                note += ", but not callers whose request lacks the key"
            alternatives.append(_make_limit(clause, info, fail_open=escapes, note=note))
        elif (
            clause.base in _MATCHING_OPERATORS
            and not clause.if_exists
            and not info.source
            and info.kind in (_KeyKind.ACCOUNT, _KeyKind.ORGANIZATION)
            and all(_value_is_specific(value, info.kind, clause.base) for value in clause.values)
        ):
            limit = _make_limit(clause, info, fail_open=False)
            if info.kind is _KeyKind.ACCOUNT:
                target_accounts.append(limit.accounts)
            else:
                target_organizations.append(limit.organization_ids)
        else:
            return _ignored(statement, f"{clause.operator} on {clause.key_text}")

    negated_keys = {alternative.clause.key for alternative in alternatives if isinstance(alternative, _Limit)}
    if present - negated_keys:
        # A Null-false test on its own denies only callers that carry the key.
        return _ignored(statement, "Null condition without a negated condition on the same key")
    if target_accounts or target_organizations:
        if alternatives or exempts_services or (target_accounts and target_organizations):
            return _ignored(statement, "mixed conditions on a targeted Deny")
        return _DenyRule(
            statement.ref,
            statement.actions,
            _DenyKind.TARGETED,
            target_accounts=_intersect_sets(target_accounts) or frozenset(),
            target_organizations=_intersect_sets(target_organizations) or frozenset(),
        )
    kind = _DenyKind.EXCEPT if alternatives else _DenyKind.EVERYONE
    return _DenyRule(
        statement.ref,
        statement.actions,
        kind,
        alternatives=tuple(alternatives),
        exempts_services=exempts_services,
    )


def _is_whole_account(principal: str) -> bool:
    return bool(_ACCOUNT_ID.fullmatch(principal)) or principal.endswith(":root")


def _principal_account(principal: _Principal) -> str | None:
    if principal.type != "AWS":
        return None
    if _ACCOUNT_ID.fullmatch(principal.value):
        return principal.value
    parts = _split_arn(principal.value)
    if parts is not None and _ACCOUNT_ID.fullmatch(parts[4]):
        return parts[4]
    return None


def _named_principal_matches(principal: _Principal, grant: Grant) -> bool:
    if principal.type == "Service":
        return grant.audience is Audience.SERVICE and grant.principal.lower() == principal.value.lower()
    if grant.audience is not Audience.ACCOUNT:
        return False
    account = _principal_account(principal)
    if account is None or account != grant.account:
        return False
    return _is_whole_account(principal.value) or principal.value == grant.principal


def _anyone_like(grant: Grant) -> bool:
    """Tell whether a grant reaches callers that no identity condition limits."""
    if grant.audience in (Audience.PUBLIC, Audience.NETWORK):
        return True
    return grant.fail_open and grant.audience is not Audience.SERVICE


def _within_not_principals(grant: Grant, alternative: _NotPrincipals) -> list[Grant]:
    restriction = _join_restrictions(grant.restriction, alternative.text)
    if grant.audience is Audience.SERVICE:
        exempted = any(_named_principal_matches(p, grant) for p in alternative.principals)
        return [replace(grant, restriction=restriction)] if exempted else []

    if _anyone_like(grant) or grant.audience is Audience.ORGANIZATION:
        grants: list[Grant] = []
        for principal in alternative.principals:
            account = _principal_account(principal)
            if principal.type == "Service":
                grants.append(replace(grant, audience=Audience.SERVICE, principal=principal.value,
                                      account=None, fail_open=False, confused_deputy=True,
                                      restriction=restriction))
            elif account is not None:
                grants.append(replace(grant, audience=Audience.ACCOUNT, principal=principal.value,
                                      account=account, fail_open=False, restriction=restriction))
        return grants  # fmt: skip

    if grant.audience is not Audience.ACCOUNT:
        return [grant]  # the principal's account is unknown, so the grant is kept
    same_account = [p for p in alternative.principals if _principal_account(p) == grant.account]
    if any(_is_whole_account(p.value) or p.value == grant.principal for p in same_account):
        return [replace(grant, restriction=restriction)]
    if _is_whole_account(grant.principal):
        return [replace(grant, principal=p.value, restriction=restriction) for p in same_account]
    return []


def _within_limit(grant: Grant, limit: _Limit) -> list[Grant]:
    """Narrow a grant to the callers a Deny's negated condition exempts."""
    if limit.fail_open:
        # Callers without the key escape the Deny. A public grant stays public
        # and is marked fail-open, while any other grant keeps its own limits.
        if grant.is_public:
            return _grants_within_limits(grant, [limit], fail_open=True)
        return [grant]

    if _anyone_like(grant):
        return _grants_within_limits(grant, [limit], fail_open=False)

    restriction = _join_restrictions(grant.restriction, limit.text)
    if grant.audience is Audience.SERVICE:
        if limit.kind is _KeyKind.SERVICE_NAME:
            names = {value.lower() for value in limit.clause.values}
            return [replace(grant, restriction=restriction)] if grant.principal.lower() in names else []
        if not limit.source:
            return []  # service principals carry no caller organisation, account or VPC
        tied = replace(grant, restriction=restriction, confused_deputy=False)
        if limit.names_accounts:
            if grant.account is not None:
                return [tied] if grant.account in limit.accounts else []
            return [replace(tied, account=account) for account in sorted(limit.accounts)]
        org_ids = tuple(sorted(limit.organization_ids)) or grant.organization_ids
        return [replace(tied, organization_ids=org_ids)]

    if limit.source or limit.kind is _KeyKind.SERVICE_NAME:
        return []  # direct calls by IAM principals carry no aws:Source* or service name

    if limit.kind in (_KeyKind.ORGANIZATION, _KeyKind.ORGANIZATION_PATH):
        organizations = limit.organization_ids
        if grant.organization_ids:
            organizations = organizations & frozenset(grant.organization_ids)
            if not organizations:
                return []  # an account belongs to one organisation at most
        narrowed = replace(grant, restriction=restriction, organization_ids=tuple(sorted(organizations)))
        if grant.audience is Audience.ORGANIZATION:
            narrowed = replace(narrowed, principal=", ".join(narrowed.organization_ids))
        return [narrowed]

    if limit.names_accounts:
        if grant.audience is Audience.ORGANIZATION:
            return [replace(grant, audience=Audience.ACCOUNT, account=account, restriction=restriction,
                            principal=_principal_text_for_account([limit], account))
                    for account in sorted(limit.accounts)]  # fmt: skip
        if grant.account is None:
            return [replace(grant, restriction=restriction)]
        if grant.account not in limit.accounts:
            return []
        if limit.kind is _KeyKind.ARN and _is_whole_account(grant.principal):
            return [replace(grant, restriction=restriction,
                            principal=_principal_text_for_account([limit], grant.account))]
        if limit.kind is _KeyKind.ARN and not any(
            fnmatch.fnmatchcase(grant.principal, pattern) for pattern in limit.clause.values
        ):
            return []
        return [replace(grant, restriction=restriction)]

    return [replace(grant, restriction=restriction)]  # a network or user-id limit is only noted


def _apply_deny(grants: list[Grant], rule: _DenyRule, fail_open_refs: set[StatementRef]) -> list[Grant]:
    if rule.kind is _DenyKind.IGNORED:
        return grants

    result: list[Grant] = []
    for grant in grants:
        covered = grant.actions & rule.actions
        exempt = rule.exempts_services and grant.audience is Audience.SERVICE
        if not covered or exempt:
            result.append(grant)
            continue

        denied_part = replace(grant, actions=covered, narrowed_by=(*grant.narrowed_by, rule.ref))
        survivors = _narrow(denied_part, rule)
        if survivors == [denied_part]:
            result.append(grant)  # the Deny does not reach this grant's callers
            continue

        if grant.actions - covered:
            result.append(replace(grant, actions=grant.actions - covered))
        for narrowed in survivors:
            if narrowed.fail_open and not grant.fail_open:
                fail_open_refs.add(rule.ref)
            if narrowed not in result:
                result.append(narrowed)
    return result


def _narrow(grant: Grant, rule: _DenyRule) -> list[Grant]:
    """Return what is left of a grant, limited to the Deny's actions, once the Deny applies."""
    if rule.kind is _DenyKind.EVERYONE:
        return []
    if rule.kind is _DenyKind.PRINCIPALS:
        denied = any(_named_principal_matches(principal, grant) for principal in rule.principals)
        return [] if denied else [grant]
    if rule.kind is _DenyKind.TARGETED:
        in_accounts = grant.account is not None and grant.account in rule.target_accounts
        in_organizations = bool(grant.organization_ids) and set(grant.organization_ids) <= rule.target_organizations
        caller = grant.audience in (Audience.ACCOUNT, Audience.ORGANIZATION)
        return [] if caller and (in_accounts or in_organizations) else [grant]

    # EXCEPT: the Deny spares callers inside any one alternative, so the grant
    # survives as the union of its intersections with them.
    survivors: list[Grant] = []
    for alternative in rule.alternatives:
        if isinstance(alternative, _NotPrincipals):
            survivors.extend(_within_not_principals(grant, alternative))
        else:
            survivors.extend(_within_limit(grant, alternative))
    return survivors
