"""Deterministic fault injection: throttling, server errors, access denial and AssumeRole denial.

A ``FaultPlan`` states which calls fail and how. Three kinds of rule exist:

- ``TransientFault``: a seeded fraction (``rate``) of the matching calls fail with
  throttling (``throttle``), a modelled 500 error (``server_error``) or a plain
  503 without a body (``unavailable``). Whether one attempt fails is a hash of
  the seed, the rule's position, the call and the attempt number, so the same
  plan and the same calls always fail the same way. No call fails more than
  ``max_consecutive_failures`` times in a row: the attempt after that succeeds,
  so a client whose retry budget exceeds that bound always gets through.
- ``AccessDenial``: every matching call fails with AccessDeniedException.
- ``AssumeRoleDenial``: STS AssumeRole fails with AccessDenied for the chosen
  role ARNs, or for every role in the chosen accounts.

A call is identified by service, operation, account, region, resource (the
repository name for ECR, the key id for KMS, the role ARN for AssumeRole), page
token and a digest of all its parameters. Without the digest, two different
calls in flight at once (the tags of two repositories, the scan findings of two
images of one repository) would share one count of consecutive failures. One of
them could then fail more often than the bound. The attempt number is
counted here, per call: the server sees a retry as the same call again.
Counting on the server, and not reading the SDK's ``amz-sdk-request`` header,
keeps the bound for clients that retry on their own.
"""

from __future__ import annotations

import fnmatch
import hashlib
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

TransientKind = Literal["throttle", "server_error", "unavailable"]
TRANSIENT_KINDS: tuple[str, ...] = get_args(TransientKind)
# Retries with botocore's default "standard" mode make three attempts, so two
# failures in a row still let a default client succeed.
DEFAULT_MAX_CONSECUTIVE_FAILURES = 2


@dataclass(frozen=True)
class CallInfo:
    """The facts about one request that fault rules match on."""

    service: str
    operation: str
    account: str
    region: str
    # Short resource name (repository name, key id, role ARN), or "" for none.
    resource: str = ""
    # ARN form of the resource, or "" when the call has no resource.
    resource_arn: str = ""
    page_token: str = ""
    # SHA-256 of the request's parameters in canonical JSON; a retry sends the same parameters.
    parameters_sha256: str = ""

    def identity(self) -> tuple[str, ...]:
        return (
            self.service,
            self.operation,
            self.account,
            self.region,
            self.resource,
            self.page_token,
            self.parameters_sha256,
        )


def _strings(value: object, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"{name} must be a list of strings, not {value!r}")
    items = tuple(value)
    if not all(isinstance(item, str) and item for item in items):
        raise ValueError(f"{name} must contain only non-empty strings, not {list(items)!r}")
    return items


def _matches_any(patterns: tuple[str, ...], *values: str) -> bool:
    """Return whether no patterns are given, or one of them matches one of the values.

    Patterns use shell wildcards (``*``, ``?``), so ``payments/*`` matches every
    repository under ``payments/``.
    """
    if not patterns:
        return True
    return any(value and fnmatch.fnmatchcase(value, pattern) for pattern in patterns for value in values)


@dataclass(frozen=True)
class CallFilter:
    """Selector of the calls a rule applies to. An empty tuple matches every value of that field.

    ``resources`` patterns match the short resource name or its ARN.
    """

    services: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()

    def matches(self, call: CallInfo) -> bool:
        return (
            _matches_any(self.services, call.service)
            and _matches_any(self.operations, call.operation)
            and _matches_any(self.accounts, call.account)
            and _matches_any(self.regions, call.region)
            and _matches_any(self.resources, call.resource, call.resource_arn)
        )

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "services": list(self.services),
            "operations": list(self.operations),
            "accounts": list(self.accounts),
            "regions": list(self.regions),
            "resources": list(self.resources),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str) -> CallFilter:
        return cls(
            services=_strings(data.get("services"), f"{name}.services"),
            operations=_strings(data.get("operations"), f"{name}.operations"),
            accounts=_strings(data.get("accounts"), f"{name}.accounts"),
            regions=_strings(data.get("regions"), f"{name}.regions"),
            resources=_strings(data.get("resources"), f"{name}.resources"),
        )


_FILTER_KEYS = frozenset({"services", "operations", "accounts", "regions", "resources"})


def _check_keys(data: object, allowed: frozenset[str], name: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{name} must be a JSON object, not {data!r}")
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"{name} has unknown keys {sorted(unknown)}; allowed keys are {sorted(allowed)}")
    return data


@dataclass(frozen=True)
class TransientFault:
    """Fail a seeded fraction of the matching calls with a retryable error."""

    kind: TransientKind
    rate: float
    match: CallFilter = field(default_factory=CallFilter)

    def __post_init__(self) -> None:
        if self.kind not in TRANSIENT_KINDS:
            raise ValueError(f"kind must be one of {list(TRANSIENT_KINDS)}, not {self.kind!r}")
        if isinstance(self.rate, bool) or not isinstance(self.rate, int | float) or not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be a number from 0 to 1, not {self.rate!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rate": self.rate, **self.match.to_dict()}

    @classmethod
    def from_dict(cls, data: object, name: str) -> TransientFault:
        checked = _check_keys(data, _FILTER_KEYS | {"kind", "rate"}, name)
        kind = checked.get("kind")
        if kind not in TRANSIENT_KINDS:
            raise ValueError(f"{name}.kind must be one of {list(TRANSIENT_KINDS)}, not {kind!r}")
        return cls(
            kind=cast(TransientKind, kind), rate=checked.get("rate", 1.0), match=CallFilter.from_dict(checked, name)
        )


@dataclass(frozen=True)
class AccessDenial:
    """Deny every matching call with AccessDeniedException."""

    match: CallFilter

    def to_dict(self) -> dict[str, Any]:
        return self.match.to_dict()

    @classmethod
    def from_dict(cls, data: object, name: str) -> AccessDenial:
        return cls(CallFilter.from_dict(_check_keys(data, _FILTER_KEYS, name), name))


@dataclass(frozen=True)
class AssumeRoleDenial:
    """Deny STS AssumeRole for these role ARN patterns and for every role in these accounts."""

    role_arns: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()

    def denies(self, role_arn: str) -> bool:
        if any(fnmatch.fnmatchcase(role_arn, pattern) for pattern in self.role_arns):
            return True
        # arn:aws:iam::<account>:role/<name>
        parts = role_arn.split(":")
        return len(parts) >= 5 and parts[4] in self.accounts

    def to_dict(self) -> dict[str, list[str]]:
        return {"role_arns": list(self.role_arns), "accounts": list(self.accounts)}

    @classmethod
    def from_dict(cls, data: object, name: str) -> AssumeRoleDenial:
        checked = _check_keys(data, frozenset({"role_arns", "accounts"}), name)
        return cls(
            role_arns=_strings(checked.get("role_arns"), f"{name}.role_arns"),
            accounts=_strings(checked.get("accounts"), f"{name}.accounts"),
        )


def _draw(seed: int, rule_index: int, identity: tuple[str, ...], attempt: int) -> float:
    """Return a number in [0, 1) that depends only on its arguments."""
    material = "\x1f".join((str(seed), str(rule_index), *identity, str(attempt)))
    digest = hashlib.sha256(material.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


_PLAN_KEYS = frozenset({"seed", "max_consecutive_failures", "transient", "access_denied", "assume_role_denied"})


class FaultPlan:
    """The faults that the emulator injects, with the per-call failure counts it needs.

    Rules are immutable. The counts of consecutive failures change with every
    decision and are guarded by a lock, because the server decides on several
    threads at once.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
        transient: Iterable[TransientFault] = (),
        access_denied: Iterable[AccessDenial] = (),
        assume_role_denied: AssumeRoleDenial | None = None,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed must be an integer, not {seed!r}")
        if (
            isinstance(max_consecutive_failures, bool)
            or not isinstance(max_consecutive_failures, int)
            or max_consecutive_failures < 0
        ):
            raise ValueError(
                f"max_consecutive_failures must be an integer of 0 or more, not {max_consecutive_failures!r}"
            )
        self.seed = seed
        self.max_consecutive_failures = max_consecutive_failures
        self.transient = tuple(transient)
        self.access_denied = tuple(access_denied)
        self.assume_role_denied = assume_role_denied or AssumeRoleDenial()
        self._lock = threading.Lock()
        self._consecutive_failures: dict[tuple[str, ...], int] = {}

    @property
    def is_empty(self) -> bool:
        return not (
            self.transient
            or self.access_denied
            or self.assume_role_denied.role_arns
            or self.assume_role_denied.accounts
        )

    def denies_access(self, call: CallInfo) -> bool:
        return any(denial.match.matches(call) for denial in self.access_denied)

    def denies_assume_role(self, role_arn: str) -> bool:
        return self.assume_role_denied.denies(role_arn)

    def transient_failure(self, call: CallInfo) -> TransientKind | None:
        """Return the retryable error this attempt of `call` fails with, or None to let it through.

        Letting a call through resets its count of consecutive failures, so the
        next identical call starts again at attempt 1.
        """
        if not self.transient:
            return None
        identity = call.identity()
        with self._lock:
            failures = self._consecutive_failures.get(identity, 0)
            if failures < self.max_consecutive_failures:
                attempt = failures + 1
                for index, rule in enumerate(self.transient):
                    if rule.match.matches(call) and _draw(self.seed, index, identity, attempt) < rule.rate:
                        self._consecutive_failures[identity] = attempt
                        return rule.kind
            self._consecutive_failures.pop(identity, None)
            return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "max_consecutive_failures": self.max_consecutive_failures,
            "transient": [rule.to_dict() for rule in self.transient],
            "access_denied": [denial.to_dict() for denial in self.access_denied],
            "assume_role_denied": self.assume_role_denied.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: object) -> FaultPlan:
        """Build a plan from its JSON form (see ``to_dict``); raise ValueError on any invalid field."""
        checked = _check_keys(data, _PLAN_KEYS, "fault plan")
        transient = checked.get("transient") or []
        denied = checked.get("access_denied") or []
        if not isinstance(transient, list):
            raise ValueError(f"transient must be a list of rules, not {transient!r}")
        if not isinstance(denied, list):
            raise ValueError(f"access_denied must be a list of rules, not {denied!r}")
        assume_role = checked.get("assume_role_denied")
        return cls(
            seed=checked.get("seed", 0),
            max_consecutive_failures=checked.get("max_consecutive_failures", DEFAULT_MAX_CONSECUTIVE_FAILURES),
            transient=[TransientFault.from_dict(rule, f"transient[{i}]") for i, rule in enumerate(transient)],
            access_denied=[AccessDenial.from_dict(rule, f"access_denied[{i}]") for i, rule in enumerate(denied)],
            assume_role_denied=(
                None if assume_role is None else AssumeRoleDenial.from_dict(assume_role, "assume_role_denied")
            ),
        )
