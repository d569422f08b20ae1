"""Exception hierarchy shared by every layer.

The CLI turns each of these into one readable line and an exit code; library code
raises them and never calls ``sys.exit``.
"""

from __future__ import annotations


class AuditorError(Exception):
    """Base class for failures the CLI reports without a traceback."""

    exit_code = 4

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} ({self.hint})" if self.hint else text


class ConfigError(AuditorError):
    """Invalid usage or configuration: nothing was done."""

    exit_code = 2


class LockHeldError(AuditorError):
    """Another live run holds the database lock."""

    exit_code = 2


class StoreError(AuditorError):
    """The database could not be reached or written."""

    exit_code = 4


class ReportError(AuditorError):
    """A report could not be rendered or written."""

    exit_code = 4


class RunNotFoundError(AuditorError):
    """A run id or alias names no complete run."""

    exit_code = 2
