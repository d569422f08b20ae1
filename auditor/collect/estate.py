"""Collection across accounts and regions: one unit per (account, region), run by a
bounded pool. A failing unit is recorded and never stops the others."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from auditor.aws.session import SessionFactory, error_code, error_message
from auditor.aws.targets import Target
from auditor.collect.base import Clients, CollectOptions, UnitCollector
from auditor.collect.inspector import collect_inspector
from auditor.collect.registry import collect_registry
from auditor.collect.repositories import collect_repositories
from auditor.inventory import CollectionError, ScopeEntry, ScopeStatus, Snapshot

logger = logging.getLogger(__name__)

# Receives batches of repository details from the threads that collect units.
Sink = Callable[[list[Snapshot]], None]
_DRAIN_SECONDS = 0.5


@dataclass(frozen=True)
class UnitResult:
    scope: ScopeEntry
    snapshots: list[Snapshot]
    errors: list[CollectionError]
    seconds: float


def collect_unit(
    factory: SessionFactory, target: Target, options: CollectOptions, sink: Sink | None = None
) -> UnitResult:
    """Collect one (account, region). With a ``sink``, repository details go there in
    batches as they are collected, and the result keeps the registry's own settings
    and listings."""
    started = time.monotonic()
    account, region = target.account, target.region
    try:
        session = factory.session_for(account)
        clients = Clients(
            ecr=factory.client(session, "ecr", region, account),
            kms=factory.client(session, "kms", region, account),
            inspector=factory.client(session, "inspector2", region, account),
            tagging=factory.client(session, "resourcegroupstaggingapi", region, account),
        )
    except (ClientError, BotoCoreError) as exc:
        code, message = error_code(exc), error_message(exc)
        logger.error("account=%s region=%s operation=AssumeRole error=%s", account, region, code)
        error = CollectionError(account, region, "AssumeRole", code, message)
        scope = ScopeEntry(account, region, ScopeStatus.UNREADABLE, f"AssumeRole failed with {code}: {message}")
        return UnitResult(scope, [], [error], time.monotonic() - started)

    unit = UnitCollector(account, region, clients, options, sink=sink)
    collect_registry(unit)
    images = collect_repositories(unit)
    collect_inspector(unit, images)
    unit.flush()
    seconds = time.monotonic() - started
    logger.info(
        "account=%s region=%s snapshots=%d errors=%d seconds=%.2f",
        account,
        region,
        len(unit.snapshots),
        len(unit.errors),
        seconds,
    )
    return UnitResult(ScopeEntry(account, region, ScopeStatus.AUDITED), unit.snapshots, unit.errors, seconds)


def collect_estate(
    factory: SessionFactory,
    targets: Iterable[Target],
    *,
    max_workers: int,
    options: CollectOptions,
    on_unit: Callable[[UnitResult], None] | None = None,
    sink: Sink | None = None,
    drain: Callable[[], None] | None = None,
) -> Iterator[UnitResult]:
    """Collect every target and yield each unit's result as it completes.

    ``sink`` receives repository details from the collecting threads. ``drain``, when
    given, runs on the calling thread at least every half second while units are
    collected, and before each unit is yielded, for example to store what the sink
    queued.
    """
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="unit") as pool:
        waiting: set[Future[UnitResult]] = {
            pool.submit(collect_unit, factory, target, options, sink) for target in targets
        }
        while waiting:
            done, waiting = wait(waiting, timeout=_DRAIN_SECONDS, return_when=FIRST_COMPLETED)
            if drain is not None:
                drain()
            for future in done:
                result = future.result()
                if on_unit is not None:
                    on_unit(result)
                yield result
