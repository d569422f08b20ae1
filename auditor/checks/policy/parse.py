"""Parsing of an IAM resource policy document into statements, principals and condition clauses."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.checks.ecr_actions import expand_actions
from auditor.checks.policy.model import (
    OWNER_ORGANIZATION,
    PolicyParseError,
    StatementRef,
)


@dataclass(frozen=True)
class _Principal:
    type: str  # "AWS", "Service", "Federated" or "CanonicalUser"
    value: str


@dataclass(frozen=True)
class _Clause:
    """One condition key under one operator, with its values."""

    operator: str
    base: str  # lower-case operator name without set qualifier or IfExists
    qualifier: str  # "", "forallvalues" or "foranyvalue"
    if_exists: bool
    key: str  # lower case, because IAM compares condition keys case-insensitively
    key_text: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class _Statement:
    ref: StatementRef
    effect: str
    principals: tuple[_Principal, ...]
    not_principal: bool
    actions: frozenset[str]
    out_of_scope: frozenset[str]
    action_patterns: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    clauses: tuple[_Clause, ...]


_ACCOUNT_ID = re.compile(r"\d{12}")
_PARTITION = re.compile(r"aws(-[a-z0-9]+)*")
# IAM shows a deleted user (AIDA) or role (AROA) as its unique id.
_UNIQUE_ID = re.compile(r"A(IDA|ROA)[A-Z0-9]{12,}")
_PRINCIPAL_TYPES = {name.lower(): name for name in ("AWS", "Service", "Federated", "CanonicalUser")}
_OPERATORS = frozenset(
    name.lower()
    for name in (
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
        "StringLike", "StringNotLike",
        "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
        "NumericGreaterThan", "NumericGreaterThanEquals",
        "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
        "DateGreaterThan", "DateGreaterThanEquals",
        "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
        "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
    )
)  # fmt: skip
_OPERATOR_SYNTAX = re.compile(r"(?:(ForAllValues|ForAnyValue):)?([A-Za-z]+?)(IfExists)?", re.I)
# Policy variables that name the resource owner, resolved where the owner is known.
_OWNER_ACCOUNT_VARIABLE = re.compile(r"\$\{aws:ResourceAccount\}", re.I)
_OWNER_ORG_VARIABLE = re.compile(r"\$\{aws:ResourceOrg(ID|Paths)\}", re.I)


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads silently keeps the last of two equal keys. An auditor must not
    # guess which of two Effect or Condition values AWS applies.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise PolicyParseError(f"invalid policy: duplicate key {key!r} in one JSON object")
        result[key] = value
    return result


def _load_document(document: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(document, str | bytes):
        try:
            parsed = json.loads(document, object_pairs_hook=_reject_duplicate_keys)
        except json.JSONDecodeError as error:
            raise PolicyParseError(
                f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
            ) from error
        except RecursionError as error:
            # The json module parses nested arrays and objects recursively, so a document
            # nested deeper than the interpreter's recursion limit raises RecursionError.
            raise PolicyParseError("invalid JSON: arrays or objects nested too deeply to parse") from error
    else:
        parsed = document
    if not isinstance(parsed, Mapping):
        raise PolicyParseError(
            f"policy document must be a JSON object, not {type(parsed).__name__}"
        )
    return parsed


def _string_list(value: Any, where: str, element: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise PolicyParseError(f"{where}: {element} must be a string or a list of strings")


def _parse_principals(value: Any, where: str, element: str) -> tuple[_Principal, ...]:
    # The IAM grammar allows only "*" as a bare string. Other strings and lists
    # are read as AWS principals because some tools write them that way.
    if isinstance(value, str | list):
        return tuple(_Principal("AWS", item) for item in _string_list(value, where, element))
    if not isinstance(value, Mapping):
        raise PolicyParseError(f"{where}: {element} must be \"*\" or an object")

    principals: list[_Principal] = []
    for type_name, entries in value.items():
        canonical = _PRINCIPAL_TYPES.get(str(type_name).lower())
        if canonical is None:
            raise PolicyParseError(f"{where}: unknown {element} type {type_name!r}")
        if canonical == "CanonicalUser":
            raise PolicyParseError(f"{where}: CanonicalUser principals are valid only in Amazon S3 policies")
        principals.extend(
            _Principal(canonical, entry)
            for entry in _string_list(entries, where, f"{element} {canonical}")
        )
    for principal in principals:
        if principal.type == "AWS":
            _validate_aws_principal(principal.value, where)
    return tuple(principals)


def _validate_aws_principal(value: str, where: str) -> None:
    """Raise PolicyParseError unless the value is "*", an account, an IAM or STS ARN, or a unique id."""
    if value == "*" or _ACCOUNT_ID.fullmatch(value) or _UNIQUE_ID.fullmatch(value):
        return
    parts = _split_arn(value)
    if parts is None or not _PARTITION.fullmatch(parts[1]) or parts[2] not in ("iam", "sts"):
        raise PolicyParseError(f"{where}: unrecognised AWS principal {value!r}")
    if not (_ACCOUNT_ID.fullmatch(parts[4]) or _has_wildcard(parts[4])):
        raise PolicyParseError(f"{where}: AWS principal {value!r} has no valid account id")


def _condition_values(value: Any, where: str, key: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise PolicyParseError(f"{where}: condition key {key!r} has an empty list of values")
    values: list[str] = []
    for item in items:
        if isinstance(item, bool):
            values.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            values.append(str(item))
        else:
            raise PolicyParseError(
                f"{where}: condition key {key!r} has a value that is not a string, number or boolean"
            )
    return tuple(values)


def _resolve_variables(value: str, owner_account: str) -> str:
    value = _OWNER_ACCOUNT_VARIABLE.sub(owner_account, value)
    return _OWNER_ORG_VARIABLE.sub(OWNER_ORGANIZATION, value)


def _parse_conditions(
    value: Any, where: str, owner_account: str, variables: bool
) -> tuple[_Clause, ...]:
    if not isinstance(value, Mapping):
        raise PolicyParseError(f"{where}: Condition must be an object")

    clauses: list[_Clause] = []
    for operator, block in value.items():
        match = _OPERATOR_SYNTAX.fullmatch(str(operator))
        base = match.group(2).lower() if match else ""
        if match is None or base not in _OPERATORS:
            raise PolicyParseError(f"{where}: unknown condition operator {operator!r}")
        if base == "null" and match.group(3):
            raise PolicyParseError(f"{where}: condition operator {operator!r} is invalid")
        if not isinstance(block, Mapping):
            raise PolicyParseError(f"{where}: condition operator {operator!r} must map keys to values")

        for key, raw_values in block.items():
            values = _condition_values(raw_values, where, str(key))
            if variables:
                values = tuple(_resolve_variables(item, owner_account) for item in values)
            clauses.append(
                _Clause(
                    operator=str(operator),
                    base=base,
                    qualifier=(match.group(1) or "").lower(),
                    if_exists=bool(match.group(3)),
                    key=str(key).lower(),
                    key_text=str(key),
                    values=values,
                )
            )
    return tuple(clauses)


def _parse_statement(
    index: int, raw: Any, scope: frozenset[str], owner_account: str, variables: bool
) -> _Statement:
    if not isinstance(raw, Mapping):
        raise PolicyParseError(f"statement {index} must be an object")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyParseError(f"statement {index}: Sid must be a string")
    ref = StatementRef(index, sid or None)
    where = str(ref)

    effect = raw.get("Effect")
    if effect is None:
        raise PolicyParseError(f"{where}: Effect is missing")
    if effect not in ("Allow", "Deny"):
        raise PolicyParseError(f'{where}: Effect must be "Allow" or "Deny", not {effect!r}')

    if ("Principal" in raw) == ("NotPrincipal" in raw):
        raise PolicyParseError(f"{where}: a resource policy statement needs exactly one of Principal or NotPrincipal")
    not_principal = "NotPrincipal" in raw
    element = "NotPrincipal" if not_principal else "Principal"
    principals = _parse_principals(raw[element], where, element)

    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyParseError(f"{where}: a statement needs exactly one of Action or NotAction")
    not_action = "NotAction" in raw
    patterns = _string_list(raw["NotAction" if not_action else "Action"], where, "Action")
    named = expand_actions(patterns, negated=not_action)

    if "NotResource" in raw:
        resources = tuple(f"NOT {item}" for item in _string_list(raw["NotResource"], where, "NotResource"))
    elif "Resource" in raw:
        resources = _string_list(raw["Resource"], where, "Resource")
    else:
        resources = ("*",)

    clauses: tuple[_Clause, ...] = ()
    if "Condition" in raw:
        clauses = _parse_conditions(raw["Condition"], where, owner_account, variables)

    return _Statement(
        ref=ref,
        effect=effect,
        principals=principals,
        not_principal=not_principal,
        actions=named & scope,
        out_of_scope=named - scope,
        action_patterns=patterns,
        not_action=not_action,
        resources=resources,
        clauses=clauses,
    )


def _parse_policy(
    document: str | bytes | Mapping[str, Any], scope: frozenset[str], owner_account: str
) -> list[_Statement]:
    policy = _load_document(document)
    if "Statement" not in policy:
        raise PolicyParseError("invalid policy: Statement is missing")
    raw_statements = policy["Statement"]
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        raise PolicyParseError("invalid policy: Statement must be an object or a list")

    # Policy variables exist only in policy language version 2012-10-17. In
    # older documents "${...}" is literal text.
    variables = policy.get("Version") == "2012-10-17"
    return [
        _parse_statement(index, raw, scope, owner_account, variables)
        for index, raw in enumerate(raw_statements)
    ]


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def _split_arn(value: str) -> list[str] | None:
    parts = value.split(":", 5)
    if len(parts) == 6 and parts[0].lower() == "arn":
        return parts
    return None
