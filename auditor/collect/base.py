"""Shared machinery of the collectors: one unit of work per (account, region).

Every call goes through :meth:`UnitCollector.fetch`, which turns AWS's "not found"
exceptions into ABSENT snapshots (data) and any other failure into an ERROR
snapshot plus a collection error with its account, region and operation.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from auditor.aws.session import error_code, error_message
from auditor.inventory import (
    LISTING,
    REPOSITORY_DETAIL_KINDS,
    CollectionError,
    Kind,
    Snapshot,
    SnapshotState,
    canonical_json,
)

logger = logging.getLogger(__name__)

# Response fields that change between identical responses and would defeat storing
# payloads once by content hash.
_VOLATILE_KEYS = ("ResponseMetadata", "nextToken")


def normalise(payload: Mapping[str, Any]) -> Any:
    """Drop volatile fields and turn the response into plain JSON types (timestamps as
    ISO 8601 UTC text), so a fresh payload equals the same payload read back from
    the store."""
    trimmed = {k: v for k, v in payload.items() if k not in _VOLATILE_KEYS}
    return json.loads(canonical_json(trimmed))


# Repository details handed to a unit's sink at a time.
SINK_BATCH = 500


@dataclass
class Clients:
    ecr: Any
    kms: Any
    inspector: Any = None
    tagging: Any = None


@dataclass(frozen=True)
class CollectOptions:
    # The same default as [audit] repository_workers: at 40 ms per call, 16 workers read about
    # 400 calls per second from one registry, twice what 8 did.
    repository_workers: int = 16
    # ValidatePullThroughCacheRule makes ECR contact the upstream registry, so it runs
    # only when the config enables it.
    validate_pull_through_cache: bool = False
    # Findings are read for the latest image and for every image pushed or pulled
    # within this many days.
    in_use_days: int = 30
    now: datetime | None = None


@dataclass
class UnitCollector:
    """Collects the snapshots of one (account, region) registry."""

    account: str
    region: str
    clients: Clients
    options: CollectOptions = field(default_factory=CollectOptions)
    snapshots: list[Snapshot] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    # Receives repository details in batches as they are collected, in place of
    # ``snapshots``; None keeps every snapshot in ``snapshots``.
    sink: Callable[[list[Snapshot]], None] | None = None
    _pending: list[Snapshot] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def find(self, kind: Kind, name: str) -> Snapshot | None:
        """Return a snapshot this unit already took, if any."""
        with self._lock:
            for snapshot in self.snapshots:
                if snapshot.kind is kind and snapshot.name == name:
                    return snapshot
        return None

    def snapshots_of(self, kind: Kind) -> list[Snapshot]:
        """Return the snapshots of one kind this unit took so far."""
        with self._lock:
            return [s for s in self.snapshots if s.kind is kind]

    def add(self, snapshot: Snapshot) -> Snapshot:
        batch: list[Snapshot] = []
        with self._lock:
            if self.sink is None or snapshot.kind not in REPOSITORY_DETAIL_KINDS:
                self.snapshots.append(snapshot)
            else:
                self._pending.append(snapshot)
                if len(self._pending) >= SINK_BATCH:
                    batch, self._pending = self._pending, []
        if batch and self.sink is not None:
            self.sink(batch)
        return snapshot

    def flush(self) -> None:
        """Send the repository details not sent yet to the sink."""
        with self._lock:
            batch, self._pending = self._pending, []
        if batch and self.sink is not None:
            self.sink(batch)

    def present(self, kind: Kind, name: str, payload: Any) -> Snapshot:
        return self.present_body(kind, name, canonical_json(payload))

    def present_body(self, kind: Kind, name: str, body: str) -> Snapshot:
        """Record a present snapshot from its payload's canonical JSON."""
        return self.add(Snapshot.packed(self.account, self.region, kind, name, body))

    def failure(
        self, kind: Kind, name: str, operation: str, exc: ClientError | BotoCoreError
    ) -> Snapshot:
        error = CollectionError(
            account=self.account,
            region=self.region,
            operation=operation,
            error_code=error_code(exc),
            message=error_message(exc),
            kind=kind.value,
            resource=name,
        )
        logger.warning(
            "account=%s region=%s operation=%s resource=%s error=%s",
            self.account,
            self.region,
            operation,
            name,
            error.error_code,
        )
        with self._lock:
            self.errors.append(error)
        return self.add(Snapshot(self.account, self.region, kind, name, SnapshotState.ERROR, error=error))

    def fetch(
        self,
        kind: Kind,
        name: str,
        operation: str,
        call: Callable[[], Mapping[str, Any]],
        *,
        absent: tuple[str, ...] = (),
        shape: Callable[[Mapping[str, Any]], Any] = normalise,
    ) -> Snapshot:
        """Call AWS once and record the outcome as a snapshot."""
        try:
            answer = call()
        except ClientError as exc:
            if error_code(exc) in absent:
                return self.add(Snapshot(self.account, self.region, kind, name, SnapshotState.ABSENT))
            return self.failure(kind, name, operation, exc)
        except BotoCoreError as exc:
            return self.failure(kind, name, operation, exc)
        return self.present(kind, name, shape(answer))

    def listing_failed(self, kind: Kind, operation: str, exc: ClientError | BotoCoreError) -> None:
        """Record that a listing call failed, so every item it would have found is unknown."""
        self.failure(kind, LISTING, operation, exc)


def pages(call: Callable[..., Mapping[str, Any]], **params: Any) -> Iterator[Mapping[str, Any]]:
    """Yield each page of a ``nextToken`` API, from the first to the last.

    Raises the client's exceptions.
    """
    token: str | None = None
    while True:
        page = call(**params, **({"nextToken": token} if token else {}))
        yield page
        token = page.get("nextToken")
        if not token:
            return


def all_pages(
    call: Callable[..., Mapping[str, Any]], list_keys: tuple[str, ...], **params: Any
) -> dict[str, Any]:
    """Call a ``nextToken`` API until the last page and concatenate its lists.

    Non-list fields come from the first page. Raises the client's exceptions.
    """
    merged: dict[str, Any] = {}
    for page in pages(call, **params):
        for key, value in page.items():
            if key in list_keys:
                merged.setdefault(key, []).extend(value)
            elif key not in merged:
                merged[key] = value
    for key in list_keys:
        merged.setdefault(key, [])
    return merged
