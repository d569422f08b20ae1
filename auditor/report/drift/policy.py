"""Statement-level comparison of IAM-style policy documents (registry and repository policies)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from auditor.report.drift.model import ChangeKind


def _statements(text: str | None) -> dict[str, str] | None:
    """Key each statement by its Sid, or by its own text when it has none; None when unparsable."""
    if text is None:
        return {}
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        # RecursionError: nested deeper than json can parse.
        return None
    if not isinstance(document, dict):
        return None
    raw = document.get("Statement", [])
    statements = raw if isinstance(raw, list) else [raw]
    keyed: dict[str, str] = {}
    for index, statement in enumerate(statements):
        rendered = json.dumps(statement, sort_keys=True, separators=(", ", ": "))
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        key = f"statement {sid}" if sid else f"statement without Sid #{index + 1}: {rendered}"
        # Two statements with one Sid are invalid in IAM, but keep both rather than lose one.
        while key in keyed:
            key += "'"
        keyed[key] = rendered
    return keyed


def compare_policies(
    before: str | None, after: str | None, emit: Callable[[str, ChangeKind, str, str], Any], subject: str = ""
) -> None:
    """Call ``emit(subject, kind, before, after)`` for each statement added, removed or changed.

    ``None`` stands for no policy. Statements without a Sid have no identity across
    runs, so a change to one shows as one statement removed and one added.
    """
    prefix = f"{subject} " if subject else ""
    old, new = _statements(before), _statements(after)
    if old is None or new is None:
        if before != after:
            emit(f"{prefix}policy text".strip(), ChangeKind.CHANGED, before or "", after or "")
        return
    for key in sorted(new.keys() - old.keys()):
        emit(f"{prefix}{_short(key)}", ChangeKind.ADDED, "", new[key])
    for key in sorted(old.keys() - new.keys()):
        emit(f"{prefix}{_short(key)}", ChangeKind.REMOVED, old[key], "")
    for key in sorted(old.keys() & new.keys()):
        if old[key] != new[key]:
            emit(f"{prefix}{_short(key)}", ChangeKind.CHANGED, old[key], new[key])


def _short(key: str) -> str:
    # The statement text itself goes into before/after; the subject keeps only its position.
    return key.split(":", 1)[0]
