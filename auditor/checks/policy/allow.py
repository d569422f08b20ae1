"""Grants of Allow statements: who each principal and its conditions let in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from auditor.checks.policy.conditions import (
    _MATCHING_OPERATORS,
    _NETWORK_KINDS,
    _format_values,
    _is_literal,
    _join_restrictions,
    _KeyKind,
    _Limit,
    _statement_limits,
    _value_account,
)
from auditor.checks.policy.model import (
    Audience,
    Grant,
)
from auditor.checks.policy.parse import (
    _ACCOUNT_ID,
    _UNIQUE_ID,
    _split_arn,
    _Statement,
)


def _grant(statement: _Statement, audience: Audience, principal: str, **fields: Any) -> Grant:
    values: dict[str, Any] = {
        "account": None,
        "restriction": None,
        "fail_open": False,
        "actions": statement.actions,
        "action_patterns": statement.action_patterns,
        "not_action": statement.not_action,
        "resources": statement.resources,
    }
    values.update(fields)
    return Grant(audience=audience, principal=principal, statement=statement.ref, **values)


def _intersect_sets(sets: Iterable[frozenset[str]]) -> frozenset[str] | None:
    result: frozenset[str] | None = None
    for item in sets:
        result = item if result is None else result & item
    return result


def _grants_within_limits(template: Grant, limits: Sequence[_Limit], fail_open: bool) -> list[Grant]:
    """Derive the grants of a caller-is-anyone grant that ANDed limits narrow down.

    The most specific limit sets the audience: accounts, then principals whose
    account is unknown, then service names, then organisations, then networks.
    """
    restriction = _join_restrictions(template.restriction, *(limit.text for limit in limits))
    base = replace(template, restriction=restriction, fail_open=fail_open)
    identity = [limit for limit in limits if limit.kind not in _NETWORK_KINDS]
    organizations = _intersect_sets(
        limit.organization_ids
        for limit in identity
        if limit.kind in (_KeyKind.ORGANIZATION, _KeyKind.ORGANIZATION_PATH)
    )
    org_ids = tuple(sorted(organizations or ()))

    accounts = _intersect_sets(limit.accounts for limit in identity if limit.names_accounts)
    if accounts is not None:
        return [
            replace(
                base,
                audience=Audience.ACCOUNT,
                principal=_principal_text_for_account(identity, account),
                account=account,
                organization_ids=org_ids,
            )
            for account in sorted(accounts)
        ]

    principals = [
        limit for limit in identity if limit.kind in (_KeyKind.ARN, _KeyKind.USER_ID)
    ]
    if principals:
        text = _format_values(principals[0].clause.values)
        return [replace(base, audience=Audience.PRINCIPAL, principal=text, organization_ids=org_ids)]

    services = [limit for limit in identity if limit.kind is _KeyKind.SERVICE_NAME]
    if services:
        return [
            replace(base, audience=Audience.SERVICE, principal=name, organization_ids=org_ids,
                    confused_deputy=not org_ids)
            for name in services[0].clause.values
        ]  # fmt: skip

    if organizations is not None:
        if not organizations:
            return []  # two organisation limits that no caller can meet at once
        return [
            replace(base, audience=Audience.ORGANIZATION, principal=", ".join(org_ids),
                    organization_ids=org_ids)
        ]  # fmt: skip

    return [replace(base, audience=Audience.NETWORK)]


def _principal_text_for_account(limits: Sequence[_Limit], account: str) -> str:
    for limit in limits:
        if limit.kind is _KeyKind.ARN:
            arns = [value for value in limit.clause.values if _value_account(value, _KeyKind.ARN) == account]
            if arns:
                return _format_values(arns)
    return account


def _wildcard_grants(statement: _Statement, principal: str) -> list[Grant]:
    template = _grant(statement, Audience.PUBLIC, principal)
    limits = _statement_limits(statement)
    firm = [limit for limit in limits if not limit.fail_open]
    if firm:
        # One firm limit is enough because condition keys are ANDed. Fail-open
        # limits stay in the restriction text.
        fail_open_texts = [limit.text for limit in limits if limit.fail_open]
        template = replace(template, restriction=_join_restrictions(*fail_open_texts))
        return _grants_within_limits(template, firm, fail_open=False)
    if limits:
        return _grants_within_limits(template, limits, fail_open=True)
    return [template]


def _account_grant(statement: _Statement, principal: str, account: str) -> Grant:
    limits = _statement_limits(statement)
    organizations = _intersect_sets(
        limit.organization_ids
        for limit in limits
        if not limit.fail_open and limit.kind in (_KeyKind.ORGANIZATION, _KeyKind.ORGANIZATION_PATH)
    )
    return _grant(
        statement,
        Audience.ACCOUNT,
        principal,
        account=account,
        restriction=_join_restrictions(*(limit.text for limit in limits)),
        organization_ids=tuple(sorted(organizations or ())),
    )


def _aws_principal_grants(statement: _Statement, value: str) -> list[Grant]:
    if value == "*":
        return _wildcard_grants(statement, "*")
    if _UNIQUE_ID.fullmatch(value):
        return []  # a deleted principal, reported as dangling, grants nothing
    if _ACCOUNT_ID.fullmatch(value):
        return [_account_grant(statement, value, value)]

    # Parsing accepted the value, so it is an IAM or STS ARN with an account field.
    parts = _split_arn(value)
    account = parts[4] if parts is not None else "*"
    if _ACCOUNT_ID.fullmatch(account):
        return [_account_grant(statement, value, account)]
    # IAM rejects wildcards in principal ARNs. If one is stored anyway, it could
    # match any account.
    return _wildcard_grants(statement, value)


def _service_grants(statement: _Statement, service: str) -> list[Grant]:
    """Grant to a service principal, tied to accounts by the aws:Source* conditions.

    Without a firm aws:SourceAccount, aws:SourceArn or aws:SourceOrgID limit the
    service can be made to act for any customer: the confused-deputy problem.
    """
    limits = [limit for limit in _statement_limits(statement) if limit.source]
    firm = [limit for limit in limits if not limit.fail_open]
    restriction = _join_restrictions(*(limit.text for limit in limits))
    template = _grant(statement, Audience.SERVICE, service, restriction=restriction)

    accounts = _intersect_sets(limit.accounts for limit in firm if limit.names_accounts)
    if accounts is not None:
        return [replace(template, account=account) for account in sorted(accounts)]
    organizations = _intersect_sets(limit.organization_ids for limit in firm if limit.organization_ids)
    if organizations is not None:
        return [replace(template, organization_ids=tuple(sorted(organizations)))]
    return [replace(template, confused_deputy=not firm)]


def _federated_grants(statement: _Statement, provider: str) -> list[Grant]:
    parts = _split_arn(provider)
    if parts is not None:
        # NOTE: provider keys such as token.actions.githubusercontent.com:sub are not read for SAML or OIDC ARNs.
        account = parts[4] if _ACCOUNT_ID.fullmatch(parts[4]) else None
        return [_grant(statement, Audience.FEDERATED, provider, account=account)]

    # A public web identity provider (accounts.google.com, cognito-identity.amazonaws.com,
    # ...) signs in anyone, unless a provider key such as "accounts.google.com:aud"
    # narrows the statement to one application.
    prefix = provider.lower() + ":"
    narrowing = [
        clause
        for clause in statement.clauses
        if clause.key.startswith(prefix)
        and clause.base in _MATCHING_OPERATORS
        and not clause.if_exists
        and clause.qualifier != "forallvalues"
        and all(_is_literal(value, clause.base) for value in clause.values)
    ]
    if not narrowing:
        return [_grant(statement, Audience.PUBLIC, f"Federated {provider}")]
    restriction = " and ".join(
        f"{clause.key_text} = {_format_values(clause.values)}" for clause in narrowing
    )
    return [_grant(statement, Audience.FEDERATED, provider, restriction=restriction)]


def _allow_grants(statement: _Statement) -> list[Grant]:
    if statement.not_principal:
        # Allow with NotPrincipal lets in everyone except the listed principals.
        if any(principal.value == "*" for principal in statement.principals):
            return []
        excluded = ", ".join(principal.value for principal in statement.principals)
        return _wildcard_grants(statement, f"* except {excluded}")

    grants: list[Grant] = []
    for principal in statement.principals:
        if principal.type == "AWS":
            grants.extend(_aws_principal_grants(statement, principal.value))
        elif principal.type == "Service":
            grants.extend(_service_grants(statement, principal.value))
        else:
            grants.extend(_federated_grants(statement, principal.value))
    return grants
