"""The check catalogue: every check ecr-auditor ships, registered explicitly."""

from __future__ import annotations

from auditor.checks.engine import CheckRegistry


def default_registry() -> CheckRegistry:
    """Return the registry of every shipped check, in id order."""
    from auditor.checks import permissions, repositories, scanning

    return CheckRegistry((*permissions.CHECKS, *repositories.CHECKS, *scanning.CHECKS))
