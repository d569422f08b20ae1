"""Checks that ECR applies to policy text before it stores it.

ECR accepts public, cross-account and fail-open repository policies, so the
emulator checks only that the text is JSON with statements and, for registry
policies, that every action is an ECR action. moto 5.2.5 is stricter in both
places: it runs IAM identity-policy validation on repository policies and
accepts only ``ecr:CreateRepository`` and ``ecr:ReplicateImage`` in registry
policies. That is why the layer owns this text.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.emulator.wire import EcrError, invalid_parameter

LIFECYCLE_TAG_STATUSES = ("tagged", "untagged", "any")
LIFECYCLE_COUNT_TYPES = (
    "imageCountMoreThan",
    "sinceImagePushed",
    "sinceImagePulled",
    "sinceImageTransitioned",
)
LIFECYCLE_ACTIONS = ("expire", "transition")


def _statements(text: str, field: str, description: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise invalid_parameter(field, f"Invalid {description} provided") from exc
    if not isinstance(document, dict) or "Statement" not in document:
        raise invalid_parameter(field, f"Invalid {description} provided")
    statements = document["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise invalid_parameter(field, f"Invalid {description} provided")
    for statement in statements:
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise invalid_parameter(field, f"Invalid {description} provided")
    return statements


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def validate_repository_policy(text: str, field: str = "PolicyText") -> None:
    """Raise InvalidParameterException unless ECR would store this repository policy."""
    _statements(text, field, "repository policy")


def validate_registry_policy(text: str) -> None:
    """Raise InvalidParameterException unless ECR would store this registry policy.

    Every Action and NotAction must be an ``ecr:`` action or ``*``.
    """
    for statement in _statements(text, "PolicyText", "registry policy"):
        actions = _as_list(statement.get("Action")) + _as_list(statement.get("NotAction"))
        if not actions:
            raise invalid_parameter("PolicyText", "Invalid registry policy provided")
        for action in actions:
            if not isinstance(action, str) or not (action == "*" or action.lower().startswith("ecr:")):
                raise invalid_parameter(
                    "PolicyText",
                    f"Invalid registry policy provided: action {action!r} is not an ECR action",
                )


def _lifecycle_failure(reason: str) -> EcrError:
    return invalid_parameter("LifecyclePolicyText", f"Lifecycle policy validation failure: {reason}")


def validate_lifecycle_policy(text: str) -> None:
    """Raise InvalidParameterException unless the text is a lifecycle policy ECR accepts.

    A policy is a list of rules with unique positive priorities, each with a
    selection and an action. A selection names a tag status, tag prefixes or
    patterns for tagged images, a count type and number, and a unit for the
    time-based counts. The archive-related count types and the
    ``transition`` action are accepted without checking their further fields.
    """
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise _lifecycle_failure("the text is not valid JSON") from exc
    rules = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(rules, list) or not rules:
        raise _lifecycle_failure("'rules' must be a non-empty list")

    priorities: set[int] = set()
    for rule in rules:
        if not isinstance(rule, dict):
            raise _lifecycle_failure("each rule must be an object")
        priority = rule.get("rulePriority")
        if not isinstance(priority, int) or priority < 1 or priority in priorities:
            raise _lifecycle_failure("'rulePriority' must be a unique integer of at least 1")
        priorities.add(priority)
        _validate_lifecycle_selection(rule.get("selection"))
        action = rule.get("action")
        if not isinstance(action, dict) or action.get("type") not in LIFECYCLE_ACTIONS:
            raise _lifecycle_failure(f"'action.type' must be one of {LIFECYCLE_ACTIONS}")


def _validate_lifecycle_selection(selection: Any) -> None:
    if not isinstance(selection, dict):
        raise _lifecycle_failure("each rule needs a 'selection' object")
    tag_status = selection.get("tagStatus")
    if tag_status not in LIFECYCLE_TAG_STATUSES:
        raise _lifecycle_failure(f"'tagStatus' must be one of {LIFECYCLE_TAG_STATUSES}")
    if tag_status == "tagged" and not (selection.get("tagPrefixList") or selection.get("tagPatternList")):
        raise _lifecycle_failure("a rule with tagStatus 'tagged' needs 'tagPrefixList' or 'tagPatternList'")
    count_type = selection.get("countType")
    if count_type not in LIFECYCLE_COUNT_TYPES:
        raise _lifecycle_failure(f"'countType' must be one of {LIFECYCLE_COUNT_TYPES}")
    count_number = selection.get("countNumber")
    if not isinstance(count_number, int) or count_number < 1:
        raise _lifecycle_failure("'countNumber' must be an integer of at least 1")
    if count_type != "imageCountMoreThan" and selection.get("countUnit") != "days":
        raise _lifecycle_failure(f"countType '{count_type}' needs countUnit 'days'")
