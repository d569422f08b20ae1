"""Condition keys that say who calls, or from where, and how one clause limits the callers."""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from auditor.checks.policy.model import (
    OWNER_ORGANIZATION,
)
from auditor.checks.policy.parse import (
    _ACCOUNT_ID,
    _Clause,
    _has_wildcard,
    _split_arn,
    _Statement,
)


class _KeyKind(enum.Enum):
    ORGANIZATION = enum.auto()
    ORGANIZATION_PATH = enum.auto()
    ACCOUNT = enum.auto()
    ARN = enum.auto()
    USER_ID = enum.auto()
    SERVICE_NAME = enum.auto()
    NETWORK = enum.auto()
    IP_ADDRESS = enum.auto()


@dataclass(frozen=True)
class _KeyInfo:
    kind: _KeyKind
    # The key can be missing from a request: org keys for callers outside any
    # organisation, aws:Source* keys on direct calls, network keys off a VPC
    # endpoint, aws:PrincipalServiceName for callers that are not services.
    may_be_absent: bool
    # aws:Source* keys describe the resource an AWS service acts for, not the caller.
    source: bool = False


_IDENTITY_KEYS: dict[str, _KeyInfo] = {
    "aws:principalorgid": _KeyInfo(_KeyKind.ORGANIZATION, may_be_absent=True),
    "aws:principalorgpaths": _KeyInfo(_KeyKind.ORGANIZATION_PATH, may_be_absent=True),
    "aws:principalaccount": _KeyInfo(_KeyKind.ACCOUNT, may_be_absent=False),
    "aws:principalarn": _KeyInfo(_KeyKind.ARN, may_be_absent=False),
    "aws:userid": _KeyInfo(_KeyKind.USER_ID, may_be_absent=False),
    "aws:principalservicename": _KeyInfo(_KeyKind.SERVICE_NAME, may_be_absent=True),
    "aws:sourceaccount": _KeyInfo(_KeyKind.ACCOUNT, may_be_absent=True, source=True),
    "aws:sourceowner": _KeyInfo(_KeyKind.ACCOUNT, may_be_absent=True, source=True),
    "aws:sourcearn": _KeyInfo(_KeyKind.ARN, may_be_absent=True, source=True),
    "aws:sourceorgid": _KeyInfo(_KeyKind.ORGANIZATION, may_be_absent=True, source=True),
    "aws:sourceorgpaths": _KeyInfo(_KeyKind.ORGANIZATION_PATH, may_be_absent=True, source=True),
    "aws:sourcevpce": _KeyInfo(_KeyKind.NETWORK, may_be_absent=True),
    "aws:sourcevpc": _KeyInfo(_KeyKind.NETWORK, may_be_absent=True),
    # aws:SourceIp is absent on requests through a VPC endpoint.
    "aws:sourceip": _KeyInfo(_KeyKind.IP_ADDRESS, may_be_absent=True),
    "aws:vpcsourceip": _KeyInfo(_KeyKind.IP_ADDRESS, may_be_absent=True),
}

_NETWORK_KINDS = frozenset({_KeyKind.NETWORK, _KeyKind.IP_ADDRESS})
_MATCHING_OPERATORS = frozenset(
    {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"}
)
_NEGATED_OPERATORS = frozenset(
    {"stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals", "arnnotlike"}
)
# ArnEquals and ArnNotEquals accept wildcards just as ArnLike does, but the
# StringEquals family compares "*" literally.
_WILDCARD_OPERATORS = frozenset(
    {"stringlike", "stringnotlike", "arnequals", "arnlike", "arnnotequals", "arnnotlike"}
)
# A negated operator shows the set it spares, because a Deny with it leaves only that set.
_OPERATOR_SYMBOLS = {
    "stringequals": "=", "stringequalsignorecase": "=", "arnequals": "=",
    "stringlike": "like", "arnlike": "like", "ipaddress": "in",
    "stringnotequals": "=", "stringnotequalsignorecase": "=", "arnnotequals": "=",
    "stringnotlike": "like", "arnnotlike": "like", "notipaddress": "in",
}  # fmt: skip


def _matching_operators(kind: _KeyKind) -> frozenset[str]:
    return frozenset({"ipaddress"}) if kind is _KeyKind.IP_ADDRESS else _MATCHING_OPERATORS


def _negated_operators(kind: _KeyKind) -> frozenset[str]:
    return frozenset({"notipaddress"}) if kind is _KeyKind.IP_ADDRESS else _NEGATED_OPERATORS


@dataclass(frozen=True)
class _Limit:
    """A condition clause that limits callers to a set, read as "caller is in the set"."""

    clause: _Clause
    kind: _KeyKind
    source: bool
    accounts: frozenset[str]
    organization_ids: frozenset[str]
    # True when every value names an account, so `accounts` is the whole set.
    names_accounts: bool
    fail_open: bool
    text: str


def _value_is_specific(value: str, kind: _KeyKind, operator: str) -> bool:
    """Decide whether one condition value pins callers down to a set that no stranger can join.

    A wildcard in an account id, organisation id, service name or network id
    matches ids that anyone can create, so "o-*" or "1111*" limits nothing. In an
    ARN or path, only the account or organisation part must be literal, because
    "arn:aws:iam::111122223333:role/ci-*" stays inside one account.
    """
    if "${" in value.replace(OWNER_ORGANIZATION, ""):
        return False  # a policy variable other than the owner's account or organisation
    wildcards = operator in _WILDCARD_OPERATORS
    if kind is _KeyKind.IP_ADDRESS:
        try:
            return ipaddress.ip_network(value, strict=False).prefixlen > 0
        except ValueError:
            return True  # an invalid address matches no request
    if kind is _KeyKind.ARN:
        parts = _split_arn(value)
        if parts is not None and parts[4]:
            return not (wildcards and _has_wildcard(parts[4]))
        return _is_literal(value, operator)
    if kind in (_KeyKind.ORGANIZATION_PATH, _KeyKind.USER_ID):
        separator = "/" if kind is _KeyKind.ORGANIZATION_PATH else ":"
        head = value.split(separator, 1)[0]
        return bool(head) and not (wildcards and _has_wildcard(head))
    return _is_literal(value, operator)


def _is_literal(value: str, operator: str) -> bool:
    """Tell whether a non-empty condition value matches only itself under the operator."""
    return bool(value) and not (operator in _WILDCARD_OPERATORS and _has_wildcard(value))


def _value_account(value: str, kind: _KeyKind) -> str | None:
    if kind is _KeyKind.ACCOUNT and _ACCOUNT_ID.fullmatch(value):
        return value
    if kind is _KeyKind.ARN:
        parts = _split_arn(value)
        if parts is not None and _ACCOUNT_ID.fullmatch(parts[4]):
            return parts[4]
    return None


def _value_organization(value: str, kind: _KeyKind) -> str | None:
    if kind is _KeyKind.ORGANIZATION:
        return value
    if kind is _KeyKind.ORGANIZATION_PATH:
        return value.split("/", 1)[0]
    return None


def _format_values(values: Sequence[str]) -> str:
    return values[0] if len(values) == 1 else "[" + ", ".join(values) + "]"


def _make_limit(clause: _Clause, info: _KeyInfo, *, fail_open: bool, note: str | None = None) -> _Limit:
    accounts = {_value_account(value, info.kind) for value in clause.values}
    organizations = {_value_organization(value, info.kind) for value in clause.values}
    text = f"{clause.key_text} {_OPERATOR_SYMBOLS[clause.base]} {_format_values(clause.values)}"
    if note:
        text += f" ({note})"
    return _Limit(
        clause=clause,
        kind=info.kind,
        source=info.source,
        accounts=frozenset(account for account in accounts if account is not None),
        organization_ids=frozenset(org for org in organizations if org is not None),
        # A value under an account key that is not a 12-digit id matches no account.
        names_accounts=info.kind is _KeyKind.ACCOUNT or (info.kind is _KeyKind.ARN and None not in accounts),
        fail_open=fail_open,
        text=text,
    )


def _keys_required_present(clauses: Iterable[_Clause]) -> frozenset[str]:
    """Collect the keys that a `Null: {key: "false"}` clause requires to be present."""
    return frozenset(
        clause.key
        for clause in clauses
        if clause.base == "null" and all(value.lower() == "false" for value in clause.values)
    )


def _allow_limit(clause: _Clause, present: frozenset[str]) -> _Limit | None:
    """Read one clause of an Allow statement as a limit on callers, or None if it limits nothing.

    Negated operators (StringNotEquals and the like) on an Allow let in everyone
    outside a set: `StringNotEquals aws:PrincipalAccount X` admits every account
    but X, and on a key that can be absent it also admits every request without
    the key. They exclude callers but never name who gets in, so they limit nothing.
    """
    info = _IDENTITY_KEYS.get(clause.key)
    if info is None or clause.base not in _matching_operators(info.kind):
        return None
    if not all(_value_is_specific(value, info.kind, clause.base) for value in clause.values):
        return None
    absent_passes = clause.if_exists or clause.qualifier == "forallvalues"
    fail_open = info.may_be_absent and absent_passes and clause.key not in present
    note = f"{clause.operator} is true when the key is absent" if fail_open else None
    return _make_limit(clause, info, fail_open=fail_open, note=note)


def _statement_limits(statement: _Statement) -> list[_Limit]:
    present = _keys_required_present(statement.clauses)
    limits = (_allow_limit(clause, present) for clause in statement.clauses)
    return [limit for limit in limits if limit is not None]


def _join_restrictions(*parts: str | None) -> str | None:
    texts = [part for part in parts if part]
    return " and ".join(texts) if texts else None
