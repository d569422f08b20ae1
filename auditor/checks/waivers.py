"""Waivers: approved exceptions from the config, applied to a run's results after evaluation.

A waiver names a check (an id or a glob over ids) and a resource glob over
``account/region/kind/name``. A FAIL result that a waiver in force matches becomes
WAIVED and keeps its reason and evidence, with the waiver added to the evidence
under ``waiver``. PASS, ERROR and NOT_APPLICABLE results never change: a result
that could not be evaluated cannot be waived. When several waivers match one
result, the first in the config applies.

Every waiver is reviewed on every run: active, unmatched (no FAIL result to waive)
or expired, with flags for waivers that expire soon and for broad patterns.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from auditor.checks.model import Result, Status

if TYPE_CHECKING:
    from auditor.config import Waiver, WaiverPolicySettings

_GLOB_CHARACTERS = frozenset("*?[")


class WaiverState(StrEnum):
    ACTIVE = "active"  # in force and waived at least one FAIL result of the run
    UNMATCHED = "unmatched"  # in force but matched no FAIL result of the run
    EXPIRED = "expired"  # past its expiry day: waives nothing


@dataclass(frozen=True)
class WaiverReview:
    """One configured waiver and what it did in one run."""

    position: int  # 1-based place in the config's [[waivers]] list
    check: str
    resource: str
    reason: str
    approver: str
    approved: date | None
    expires: date
    state: WaiverState
    matched: int  # results whose check and resource match, whatever their status
    failures: int  # FAIL results that match; an expired waiver leaves them FAIL
    waived: int  # results this waiver turned from FAIL into WAIVED
    days_left: int  # days from the run to the expiry day; negative once expired
    expiring_soon: bool
    broad_accounts: bool  # the resource pattern does not pin one account
    broad_checks: bool  # the check pattern matches every check

    @property
    def broad(self) -> bool:
        return self.broad_accounts or self.broad_checks

    def evidence(self) -> dict[str, Any]:
        """Return the waiver as recorded in the evidence of each result it waives."""
        return {
            "position": self.position,
            "check": self.check,
            "resource": self.resource,
            "reason": self.reason,
            "approver": self.approver,
            "approved": self.approved.isoformat() if self.approved else None,
            "expires": self.expires.isoformat(),
            "original_status": Status.FAIL.value,
        }


@dataclass(frozen=True)
class WaiverOutcome:
    results: list[Result]
    reviews: list[WaiverReview]


def pins_one_account(resource_pattern: str) -> bool:
    """Tell whether a resource glob is limited to one literal account.

    ``*`` also matches ``/``, so a wildcard anywhere before the first ``/`` (or a
    pattern without ``/``) can reach every account.
    """
    account, separator, _ = resource_pattern.partition("/")
    return bool(separator) and not (_GLOB_CHARACTERS & set(account))


def matches_every_check(check_pattern: str, check_ids: Collection[str]) -> bool:
    if check_pattern == "*":
        return True
    return bool(check_ids) and all(fnmatchcase(check_id, check_pattern) for check_id in check_ids)


def waiver_matches(waiver: Waiver, result: Result) -> bool:
    return fnmatchcase(result.check_id, waiver.check) and fnmatchcase(str(result.resource), waiver.resource)


def in_force(waiver: Waiver, today: date) -> bool:
    """Tell whether a waiver applies on a day: up to and including its expiry day."""
    return today <= waiver.expires


def known_check_ids() -> list[str]:
    from auditor.checks import default_registry  # late: the registry imports every check module

    return [check.id for check in default_registry()]


def apply_waivers(
    results: Iterable[Result],
    waivers: Sequence[Waiver],
    policy: WaiverPolicySettings,
    *,
    today: date | None = None,
    check_ids: Collection[str] | None = None,
) -> WaiverOutcome:
    """Turn FAIL results that a waiver in force matches into WAIVED, and review every waiver.

    ``today`` defaults to the current UTC date; ``check_ids`` to every shipped check.
    """
    applier = WaiverApplier(waivers, policy, today=today, check_ids=check_ids)
    output = [applier.apply(result) for result in results]
    return WaiverOutcome(output, applier.reviews())


class WaiverApplier:
    """Applies waivers one result at a time, counting what each waiver matched, so a
    run's results can be streamed to the store instead of held in a list."""

    def __init__(
        self,
        waivers: Sequence[Waiver],
        policy: WaiverPolicySettings,
        *,
        today: date | None = None,
        check_ids: Collection[str] | None = None,
    ) -> None:
        self._today = today or datetime.now(UTC).date()
        ids = known_check_ids() if check_ids is None else check_ids
        self._waivers = list(waivers)
        self._matched = [0] * len(self._waivers)
        self._failures = [0] * len(self._waivers)
        self._waived = [0] * len(self._waivers)
        self._reviews = [
            _review(position, waiver, policy, self._today, ids)
            for position, waiver in enumerate(self._waivers, start=1)
        ]

    def apply(self, result: Result) -> Result:
        applied: WaiverReview | None = None
        for index, waiver in enumerate(self._waivers):
            if not waiver_matches(waiver, result):
                continue
            self._matched[index] += 1
            if result.status is not Status.FAIL:
                continue
            self._failures[index] += 1
            if applied is None and in_force(waiver, self._today):
                applied = self._reviews[index]
                self._waived[index] += 1
        if applied is None:
            return result
        evidence = {**result.evidence, "waiver": applied.evidence()}
        return replace(result, status=Status.WAIVED, evidence=evidence)

    def reviews(self) -> list[WaiverReview]:
        """Return each waiver's review with the counts of the results applied so far."""
        return [
            replace(
                review,
                matched=self._matched[i],
                failures=self._failures[i],
                waived=self._waived[i],
                state=_state(review, self._waived[i]),
            )
            for i, review in enumerate(self._reviews)
        ]


def review_waivers(
    waivers: Sequence[Waiver], policy: WaiverPolicySettings, *, today: date, check_ids: Collection[str] | None = None
) -> list[WaiverReview]:
    """Review waivers without a run: expiry and breadth only (``matched`` counts stay 0)."""
    ids = known_check_ids() if check_ids is None else check_ids
    return [_review(position, waiver, policy, today, ids) for position, waiver in enumerate(waivers, start=1)]


def unknown_check_patterns(waivers: Iterable[Waiver], check_ids: Collection[str]) -> list[tuple[int, str]]:
    """Return (position, pattern) of each waiver whose check pattern matches no known check."""
    return [
        (position, waiver.check)
        for position, waiver in enumerate(waivers, start=1)
        if not any(fnmatchcase(check_id, waiver.check) for check_id in check_ids)
    ]


def _review(
    position: int, waiver: Waiver, policy: WaiverPolicySettings, today: date, check_ids: Collection[str]
) -> WaiverReview:
    days_left = (waiver.expires - today).days
    expired = not in_force(waiver, today)
    return WaiverReview(
        position=position,
        check=waiver.check,
        resource=waiver.resource,
        reason=waiver.reason,
        approver=waiver.approver,
        approved=waiver.approved,
        expires=waiver.expires,
        state=WaiverState.EXPIRED if expired else WaiverState.UNMATCHED,
        matched=0,
        failures=0,
        waived=0,
        days_left=days_left,
        expiring_soon=not expired and days_left <= policy.expiry_warning_days,
        broad_accounts=not pins_one_account(waiver.resource),
        broad_checks=matches_every_check(waiver.check, check_ids),
    )


def _state(review: WaiverReview, waived: int) -> WaiverState:
    if review.state is WaiverState.EXPIRED:
        return WaiverState.EXPIRED
    return WaiverState.ACTIVE if waived else WaiverState.UNMATCHED


def waiver_warnings(
    waivers: Sequence[Waiver],
    policy: WaiverPolicySettings,
    *,
    today: date | None = None,
    check_ids: Collection[str] | None = None,
) -> list[str]:
    """Describe what an operator should look at in the configured waivers, one line each."""
    today = today or datetime.now(UTC).date()
    ids = known_check_ids() if check_ids is None else check_ids
    unknown = dict(unknown_check_patterns(waivers, ids))
    lines = []
    for review in review_waivers(waivers, policy, today=today, check_ids=ids):
        name = f"waiver {review.position} ({review.check} on {review.resource})"
        if review.position in unknown:
            lines.append(f"{name}: check pattern matches no check of this version; it can never apply")
        if review.state is WaiverState.EXPIRED:
            lines.append(f"{name}: expired on {review.expires.isoformat()} and no longer applies")
        elif review.expiring_soon:
            lines.append(f"{name}: expires in {review.days_left} day(s), on {review.expires.isoformat()}")
        if review.broad_checks:
            lines.append(f"{name}: broad, it matches every check")
        if review.broad_accounts:
            lines.append(f"{name}: broad, its resource pattern does not name one account")
    return lines
