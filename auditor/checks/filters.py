"""Repository name filters as ECR defines them for scanning rules.

A scanning filter without ``*`` matches every repository name that contains it; a
filter with ``*`` is a whole-name pattern in which ``*`` matches any run of
characters (``prod*`` matches ``prod-api`` but not ``team-prod``). When a
continuous rule and a scan-on-push rule both match, continuous applies. Under
ENHANCED a repository that matches no rule is not scanned; under BASIC it is MANUAL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

CONTINUOUS = "CONTINUOUS_SCAN"
ON_PUSH = "SCAN_ON_PUSH"
MANUAL = "MANUAL"


@lru_cache(maxsize=4096)
def _pattern(filter_text: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in filter_text.split("*")) + "$", re.DOTALL)


def scan_filter_matches(filter_text: str, repository: str) -> bool:
    if "*" not in filter_text:
        return filter_text in repository
    return _pattern(filter_text).match(repository) is not None


@dataclass(frozen=True)
class EffectiveScanning:
    scan_type: str
    frequency: str | None  # CONTINUOUS_SCAN, SCAN_ON_PUSH, MANUAL, or None when not scanned
    matched_filters: tuple[str, ...]
    source: str  # "registry rule", "repository scanOnPush", "no rule"


def _rule_filters(rule: Mapping[str, Any]) -> list[str]:
    return [str(f.get("filter", "")) for f in rule.get("repositoryFilters") or []]


def effective_scanning(
    configuration: Mapping[str, Any], repository: str, legacy_scan_on_push: bool = False
) -> EffectiveScanning:
    """Work out how a repository is scanned from the registry scanning configuration.

    ``configuration`` is the ``scanningConfiguration`` of
    get_registry_scanning_configuration. The repository's legacy ``scanOnPush``
    flag counts only under BASIC with no registry rules.
    """
    scan_type = str(configuration.get("scanType", "BASIC")).upper()
    rules: Sequence[Mapping[str, Any]] = configuration.get("rules") or []
    by_frequency: dict[str, list[str]] = {}
    for rule in rules:
        matched = [f for f in _rule_filters(rule) if scan_filter_matches(f, repository)]
        if matched:
            by_frequency.setdefault(str(rule.get("scanFrequency", "")), []).extend(matched)
    for frequency in (CONTINUOUS, ON_PUSH):
        if frequency in by_frequency:
            return EffectiveScanning(scan_type, frequency, tuple(by_frequency[frequency]), "registry rule")
    if scan_type == "BASIC" and not rules and legacy_scan_on_push:
        return EffectiveScanning(scan_type, ON_PUSH, (), "repository scanOnPush")
    if scan_type == "ENHANCED":
        return EffectiveScanning(scan_type, None, (), "no rule")
    return EffectiveScanning(scan_type, MANUAL, (), "no rule")


def signing_filter_matches(filter_text: str, repository: str) -> bool:
    """Match a signing rule filter (``WILDCARD_MATCH``): the whole name must match and
    ``*`` matches any run of characters, so ``myapp`` matches only ``myapp``."""
    return _pattern(filter_text).match(repository) is not None


def signing_rules_covering(configuration: Mapping[str, Any], repository: str) -> list[Mapping[str, Any]]:
    """Return the signing rules that sign images pushed to the repository.

    A rule without repository filters signs every image pushed to the registry
    (ECR API reference, SigningRule).
    """
    covering = []
    for rule in configuration.get("rules") or []:
        filters = [str(f.get("filter", "")) for f in rule.get("repositoryFilters") or []]
        if not filters or any(signing_filter_matches(f, repository) for f in filters):
            covering.append(rule)
    return covering
