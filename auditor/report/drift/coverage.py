"""Coverage of repository filters, to tell a narrowed filter from a widened one.

ECR has two filter languages: prefix filters (replication, ``PREFIX_MATCH``) and
wildcard filters in which ``*`` matches any characters (scanning ``WILDCARD`` and
signing ``WILDCARD_MATCH``). A rule without filters selects every repository.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache

from auditor.report.drift.model import ChangeKind


class FilterLanguage(StrEnum):
    PREFIX = "prefix"
    WILDCARD = "wildcard"


# The filter that selects every repository, in each language.
EVERYTHING = {FilterLanguage.PREFIX: "", FilterLanguage.WILDCARD: "*"}


@lru_cache(maxsize=4096)
def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def covers(language: FilterLanguage, general: str, specific: str) -> bool:
    """Tell whether every repository name that ``specific`` selects is also selected by ``general``.

    For wildcards this matches ``general`` against the text of ``specific`` with its
    ``*`` kept as a literal character. Only a ``*`` of ``general`` can consume that
    character, and a ``*`` can take any text, so a match proves the inclusion. Some
    inclusions between patterns with several ``*`` are missed, and they are then
    reported as changed rather than narrowed or widened.
    """
    if language is FilterLanguage.PREFIX:
        return specific.startswith(general)
    return _wildcard_regex(general).fullmatch(specific) is not None


def covers_all(language: FilterLanguage, general: Iterable[str], specific: Iterable[str]) -> bool:
    wide = list(general)
    return all(any(covers(language, g, s) for g in wide) for s in specific)


def classify(language: FilterLanguage, before: Iterable[str], after: Iterable[str]) -> ChangeKind | None:
    """Compare two filter sets: NARROWED, WIDENED, CHANGED, or None when they are the same text."""
    old, new = sorted(set(before)), sorted(set(after))
    if old == new:
        return None
    old_covers_new = covers_all(language, old, new)
    new_covers_old = covers_all(language, new, old)
    if old_covers_new and not new_covers_old:
        return ChangeKind.NARROWED
    if new_covers_old and not old_covers_new:
        return ChangeKind.WIDENED
    return ChangeKind.CHANGED


def describe(language: FilterLanguage, filters: Iterable[str]) -> str:
    values = sorted(set(filters))
    if not values or values == [EVERYTHING[language]]:
        return "every repository"
    return ", ".join(values)
