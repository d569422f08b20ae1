"""Locate files that ship with the package: report templates and migrations.

An installed wheel carries them inside the package (``auditor/_templates`` and
``auditor/_migrations``, see pyproject.toml); a source checkout keeps them at the
repository root, where editable installs find them.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"none of {', '.join(map(str, candidates))} exists")


def templates_dir() -> Path:
    return _first_existing(_PACKAGE / "_templates", _PACKAGE.parent / "reports" / "templates")


def migrations_dir() -> Path:
    return _first_existing(_PACKAGE / "_migrations", _PACKAGE.parent / "migrations")
