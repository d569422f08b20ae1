"""ECR's rules for which registry scanning rule applies to a repository.

From the Amazon ECR User Guide page "Configuring enhanced scanning for images in
Amazon ECR": a filter with no wildcard matches every repository name that
contains it. A filter with ``*`` is matched against the whole name, and each
``*`` matches zero or more characters, so ``prod*`` matches ``prod-api`` and not
``team-prod``. When a CONTINUOUS_SCAN rule and a SCAN_ON_PUSH rule both match,
the emulator applies continuous scanning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# A higher rank wins when rules of several frequencies match one repository.
_FREQUENCY_RANK = {"CONTINUOUS_SCAN": 2, "SCAN_ON_PUSH": 1, "MANUAL": 0}


def filter_matches(repository_filter: str, repository_name: str) -> bool:
    """Return whether a WILDCARD scanning filter matches a repository name."""
    if "*" not in repository_filter:
        return repository_filter in repository_name
    pattern = ".*".join(re.escape(part) for part in repository_filter.split("*"))
    return re.fullmatch(pattern, repository_name) is not None


def _matching_filters(rule: Mapping[str, Any], repository_name: str) -> list[dict[str, str]]:
    filters: Iterable[Mapping[str, str]] = rule.get("repositoryFilters", [])
    return [dict(f) for f in filters if filter_matches(f["filter"], repository_name)]


def effective_scanning(
    scan_type: str,
    rules: Sequence[Mapping[str, Any]],
    repository_name: str,
    legacy_scan_on_push: bool,
) -> dict[str, Any]:
    """Return scanFrequency, scanOnPush and appliedScanFilters for one repository.

    Under BASIC with no registry rules, the repository's own (deprecated)
    ``imageScanningConfiguration.scanOnPush`` flag still decides; once the
    registry has rules they override it. A repository that no rule matches gets
    MANUAL, the API's default frequency: under BASIC that means scans run only when
    started by hand, and under ENHANCED, where manual scans do not exist, it means
    the repository is not scanned.
    """
    best_rule: Mapping[str, Any] | None = None
    best_filters: list[dict[str, str]] = []
    for rule in rules:
        matched = _matching_filters(rule, repository_name)
        if not matched:
            continue
        rank = _FREQUENCY_RANK.get(rule["scanFrequency"], 0)
        if best_rule is None or rank > _FREQUENCY_RANK.get(best_rule["scanFrequency"], 0):
            best_rule, best_filters = rule, matched

    if best_rule is not None:
        frequency = str(best_rule["scanFrequency"])
    elif scan_type == "BASIC" and not rules and legacy_scan_on_push:
        frequency = "SCAN_ON_PUSH"
    else:
        frequency = "MANUAL"

    # NOTE: scanOnPush is reported true for CONTINUOUS_SCAN as well, because a
    # continuously scanned repository is also scanned on every push; AWS
    # documentation does not state the flag's value for that case.
    return {
        "scanFrequency": frequency,
        "scanOnPush": frequency in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN"),
        "appliedScanFilters": best_filters,
    }
