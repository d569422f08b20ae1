"""Catalogue of Amazon ECR IAM actions, and wildcard matching of policy Action patterns.

The catalogue is the operation names of botocore's ECR service model plus the
permission-only actions that have no API operation of their own. Matching
follows IAM: `*` matches any run of characters, `?` matches one character, and
the comparison ignores case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import botocore.loaders

__all__ = [
    "ECR_ACTIONS",
    "PERMISSION_ONLY_ACTIONS",
    "READ_ACTIONS",
    "V1_ENFORCED_ACTIONS",
    "WRITE_ACTIONS",
    "expand_actions",
]

# IAM actions that have no ECR API operation of the same name. ECR checks
# ecr:ReplicateImage and ecr:BatchImportUpstreamImage internally during
# cross-account replication and pull through cache imports.
# NOTE: ecr:GetImageCopyStatus comes from pull through cache role policies in public use, not a checked AWS page.
PERMISSION_ONLY_ACTIONS = frozenset(
    {
        "ecr:BatchImportUpstreamImage",
        "ecr:GetImageCopyStatus",
        "ecr:ReplicateImage",
    }
)

# Under REGISTRY_POLICY_SCOPE V1, a registry policy governs only these actions
# (Amazon ECR User Guide, "Private registry permissions").
V1_ENFORCED_ACTIONS = frozenset(
    {"ecr:ReplicateImage", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"}
)

# Name prefixes of actions that only read. The Service Authorization Reference
# files every ECR action with one of these prefixes under the Read or List
# access level, and every other ECR action under Write, Permissions management
# or Tagging.
_READ_PREFIXES = ("Describe", "Get", "List", "BatchGet", "BatchCheck", "Validate")


def _load_ecr_actions() -> frozenset[str]:
    model = botocore.loaders.Loader().load_service_model("ecr", "service-2")
    operations = model["operations"]
    return frozenset(f"ecr:{name}" for name in operations) | PERMISSION_ONLY_ACTIONS


ECR_ACTIONS: frozenset[str] = _load_ecr_actions()

# Every action that can change images, repositories, policies or registry
# settings: the Write, Permissions management and Tagging access levels. An
# operation that a newer botocore adds counts as a write unless its name starts
# with a read prefix, so a new action errs towards being reported.
WRITE_ACTIONS: frozenset[str] = frozenset(
    action
    for action in ECR_ACTIONS
    if not action.removeprefix("ecr:").startswith(_READ_PREFIXES)
)

READ_ACTIONS: frozenset[str] = ECR_ACTIONS - WRITE_ACTIONS

_ACTIONS_BY_LOWER_NAME = {action.lower(): action for action in ECR_ACTIONS}


def _regex_piece(char: str) -> str:
    if char == "*":
        return ".*"
    if char == "?":
        return "."
    return re.escape(char)


@lru_cache(maxsize=1024)
def _match_pattern(pattern: str) -> frozenset[str]:
    """Return the ECR actions that one IAM Action pattern matches."""
    lowered = pattern.strip().lower()
    if "*" not in lowered and "?" not in lowered:
        exact = _ACTIONS_BY_LOWER_NAME.get(lowered)
        return frozenset() if exact is None else frozenset({exact})

    regex = re.compile("".join(_regex_piece(char) for char in lowered), re.DOTALL)
    return frozenset(
        action for lower_name, action in _ACTIONS_BY_LOWER_NAME.items() if regex.fullmatch(lower_name)
    )


def expand_actions(patterns: str | Iterable[str], *, negated: bool = False) -> frozenset[str]:
    """Expand IAM Action patterns into the concrete ECR actions they match.

    Patterns for other services (`s3:GetObject`, `ecr-public:*`) match nothing.
    With `negated=True` the patterns come from a NotAction element, and the
    result is every ECR action that none of them matches.
    """
    if isinstance(patterns, str):
        patterns = (patterns,)

    matched: set[str] = set()
    for pattern in patterns:
        matched |= _match_pattern(pattern)

    if negated:
        return ECR_ACTIONS - matched
    return frozenset(matched)
