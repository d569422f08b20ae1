"""Check declaration, registration and evaluation.

A check is a pure function over the run's inventory. The engine decides which
resources each check sees and turns missing inputs into ERROR results, so check
bodies only judge evidence and never see a failed collection as a pass.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from auditor.checks.model import (
    CheckMeta,
    ResourceRef,
    ResourceType,
    Result,
    Severity,
    Status,
    Verdict,
)
from auditor.inventory import (
    REGISTRY,
    InputUnavailable,
    Inventory,
    Kind,
    Registry,
    Repository,
    Snapshot,
)

logger = logging.getLogger(__name__)

CHECK_ID = re.compile(r"^(PERM|PTC|REPL|TMPL|SCAN|VULN|REPO|SIGN)-\d{2}$")

# Repositories whose checks run together when a caller loads their details in chunks.
REPOSITORY_CHUNK = 500


@dataclass(frozen=True)
class Context:
    inventory: Inventory
    settings: Any


class Scope(StrEnum):
    REGISTRY = "registry"
    REPOSITORY = "repository"
    ITEM = "item"
    INVENTORY = "inventory"


RegistryFn = Callable[[Registry, Context], Verdict]
RepositoryFn = Callable[[Repository, Context], Verdict]
ItemFn = Callable[[Snapshot, Registry, Context], Verdict]
InventoryFn = Callable[[Context], Iterable[tuple[ResourceRef, Verdict]]]


@dataclass(frozen=True)
class Check:
    meta: CheckMeta
    scope: Scope
    function: Callable[..., Any]
    item_kind: Kind | None = None
    item_type: ResourceType | None = None

    @property
    def id(self) -> str:
        return self.meta.id


def registry_check(meta: CheckMeta) -> Callable[[RegistryFn], Check]:
    """Declare a check that judges each audited registry once."""

    def wrap(function: RegistryFn) -> Check:
        return Check(meta, Scope.REGISTRY, function)

    return wrap


def repository_check(meta: CheckMeta) -> Callable[[RepositoryFn], Check]:
    """Declare a check that judges each repository of each audited registry."""

    def wrap(function: RepositoryFn) -> Check:
        return Check(meta, Scope.REPOSITORY, function)

    return wrap


def item_check(meta: CheckMeta, kind: Kind) -> Callable[[ItemFn], Check]:
    """Declare a check that judges each listed registry item of one kind (rules, templates)."""

    def wrap(function: ItemFn) -> Check:
        return Check(meta, Scope.ITEM, function, item_kind=kind, item_type=meta.resource_type)

    return wrap


def inventory_check(meta: CheckMeta) -> Callable[[InventoryFn], Check]:
    """Declare a check that needs the whole run at once, such as following replication."""

    def wrap(function: InventoryFn) -> Check:
        return Check(meta, Scope.INVENTORY, function)

    return wrap


class CheckRegistry:
    """The explicit, ordered set of checks that a build ships."""

    def __init__(self, checks: Iterable[Check]) -> None:
        self._checks: dict[str, Check] = {}
        for check in checks:
            if check.id in self._checks:
                raise ValueError(f"duplicate check id {check.id}")
            if not CHECK_ID.match(check.id):
                raise ValueError(f"check id {check.id!r} does not match AREA-NN")
            if not check.id.startswith(check.meta.area.value + "-"):
                raise ValueError(f"check id {check.id} does not belong to area {check.meta.area}")
            self._checks[check.id] = check

    def __iter__(self) -> Iterator[Check]:
        return iter(sorted(self._checks.values(), key=lambda c: c.id))

    def __len__(self) -> int:
        return len(self._checks)

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._checks

    def get(self, check_id: str) -> Check:
        return self._checks[check_id]


def registry_ref(registry: Registry) -> ResourceRef:
    return ResourceRef(registry.account, registry.region, ResourceType.REGISTRY, REGISTRY)


def repository_ref(registry: Registry, name: str) -> ResourceRef:
    return ResourceRef(registry.account, registry.region, ResourceType.REPOSITORY, name)


# Exceptions that a check body raises when an AWS answer has an unexpected shape.
# They become ERROR results that name the check, never a crash of the whole run and
# never a pass.
# RecursionError: json.loads on a document nested deeper than the recursion limit.
_MALFORMED_INPUT = (KeyError, TypeError, ValueError, AttributeError, RecursionError)


def _judge(call: Callable[[], Verdict], check: Check, resource: ResourceRef) -> Verdict:
    try:
        return call()
    except InputUnavailable as missing:
        evidence: dict[str, Any] = {"input": missing.kind}
        if missing.error is not None:
            evidence.update(operation=missing.error.operation, error_code=missing.error.error_code)
        return Verdict(Status.ERROR, str(missing), evidence)
    except _MALFORMED_INPUT as problem:
        logger.warning("check=%s resource=%s failed on malformed input: %r", check.id, resource, problem)
        return Verdict(Status.ERROR, f"input could not be evaluated: {problem!r}")


class Engine:
    """Evaluates every registered check over one inventory."""

    def __init__(
        self,
        checks: CheckRegistry,
        settings: Any,
        severity_overrides: dict[str, Severity] | None = None,
    ) -> None:
        self._checks = checks
        self._settings = settings
        self._overrides = severity_overrides or {}

    def evaluate(self, inventory: Inventory) -> list[Result]:
        return list(self.results(inventory))

    def context(self, inventory: Inventory) -> Context:
        return Context(inventory, self._settings)

    def results(self, inventory: Inventory) -> Iterator[Result]:
        """Yield every result: registry by registry, then the checks that need the whole run."""
        context = self.context(inventory)
        for registry in inventory.audited():
            yield from self.registry_results(registry, context)
        yield from self.inventory_results(context)

    def registry_results(
        self,
        registry: Registry,
        context: Context,
        *,
        load: Callable[[list[str]], None] | None = None,
        chunk_size: int = REPOSITORY_CHUNK,
    ) -> Iterator[Result]:
        """Yield the results of every check that judges one registry at a time.

        With ``load``, repository checks run on ``chunk_size`` repositories at a time,
        and ``load`` is called with each chunk's names first: so a caller can hold the
        details of one chunk of repositories at a time instead of the whole registry's.
        Registry and item checks run first and never read repository details.
        """
        checks = [c for c in self._checks if c.scope is not Scope.INVENTORY]
        if registry.unit_error is not None:
            reason = f"registry could not be read: {registry.unit_error}"
            for check in checks:
                yield self._result(check, registry_ref(registry), Verdict(Status.ERROR, reason))
            return
        per_repository = [c for c in checks if c.scope is Scope.REPOSITORY]
        for check in checks:
            if check.scope is not Scope.REPOSITORY:
                for resource, verdict in self._run_in_registry(check, registry, context):
                    yield self._result(check, resource, verdict)
        repositories = registry.repositories()
        if load is None or registry.listing_error(Kind.REPOSITORY) is not None or not repositories:
            for check in per_repository:
                for resource, verdict in self._each_repository(check, registry, context):
                    yield self._result(check, resource, verdict)
            return
        for start in range(0, len(repositories), chunk_size):
            chunk = repositories[start : start + chunk_size]
            load([r.name for r in chunk])
            for check in per_repository:
                for repository in chunk:
                    ref = repository_ref(registry, repository.name)
                    verdict = _judge(lambda r=repository, c=check: c.function(r, context), check, ref)  # type: ignore[misc]
                    yield self._result(check, ref, verdict)

    def inventory_results(self, context: Context) -> Iterator[Result]:
        """Yield the results of the checks that read several registries at once."""
        for check in self._checks:
            if check.scope is Scope.INVENTORY:
                for resource, verdict in check.function(context):
                    yield self._result(check, resource, verdict)

    def _result(self, check: Check, resource: ResourceRef, verdict: Verdict) -> Result:
        return Result(
            check_id=check.id,
            area=check.meta.area,
            severity=self._overrides.get(check.id, check.meta.severity),
            resource=resource,
            status=verdict.status,
            reason=verdict.reason,
            evidence=dict(verdict.evidence),
        )

    def _run_in_registry(
        self, check: Check, registry: Registry, context: Context
    ) -> Iterator[tuple[ResourceRef, Verdict]]:
        if check.scope is Scope.REGISTRY:
            ref = registry_ref(registry)
            yield ref, _judge(lambda: check.function(registry, context), check, ref)
        elif check.scope is Scope.REPOSITORY:
            yield from self._each_repository(check, registry, context)
        else:
            yield from self._each_item(check, registry, context)

    def _each_repository(
        self, check: Check, registry: Registry, context: Context
    ) -> Iterator[tuple[ResourceRef, Verdict]]:
        failure = registry.listing_error(Kind.REPOSITORY)
        if failure is not None:
            ref = repository_ref(registry, "*")
            yield ref, Verdict(Status.ERROR, f"repositories could not be listed: {failure.describe()}")
            return
        repositories = registry.repositories()
        if not repositories:
            yield registry_ref(registry), Verdict(Status.NOT_APPLICABLE, "registry has no repositories")
            return
        for repository in repositories:
            ref = repository_ref(registry, repository.name)
            yield ref, _judge(lambda r=repository: check.function(r, context), check, ref)  # type: ignore[misc]

    def _each_item(
        self, check: Check, registry: Registry, context: Context
    ) -> Iterator[tuple[ResourceRef, Verdict]]:
        assert check.item_kind is not None and check.item_type is not None
        kind, item_type = check.item_kind, check.item_type
        failure = registry.listing_error(kind)
        if failure is not None:
            ref = ResourceRef(registry.account, registry.region, item_type, "*")
            yield ref, Verdict(Status.ERROR, f"{kind.value} could not be listed: {failure.describe()}")
            return
        items = registry.items(kind)
        if not items:
            reason = f"registry has no {item_type.value.replace('-', ' ')}s"
            yield registry_ref(registry), Verdict(Status.NOT_APPLICABLE, reason)
            return
        for item in items:
            ref = ResourceRef(registry.account, registry.region, item_type, item.name)
            yield ref, _judge(lambda i=item: check.function(i, registry, context), check, ref)  # type: ignore[misc]


def filter_results(results: Sequence[Result], status: Status) -> list[Result]:
    return [r for r in results if r.status is status]
