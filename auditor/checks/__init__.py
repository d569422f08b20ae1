"""The check catalogue: every check ecr-auditor ships, registered explicitly."""

from __future__ import annotations

from auditor.checks.engine import CheckRegistry


def default_registry() -> CheckRegistry:
    """Return the registry of every shipped check, in id order."""
    from auditor.checks import (
        permissions,
        pull_through_cache,
        replication,
        repositories,
        scanning,
        signing,
        templates,
        vulnerabilities,
    )

    return CheckRegistry(
        (
            *permissions.CHECKS,
            *pull_through_cache.CHECKS,
            *replication.CHECKS,
            *repositories.CHECKS,
            *scanning.CHECKS,
            *signing.CHECKS,
            *templates.CHECKS,
            *vulnerabilities.CHECKS,
        )
    )
