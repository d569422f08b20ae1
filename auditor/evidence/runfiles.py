"""The data files of one run, rendered the same way every time from what the store holds.

These files go into evidence packages, and their hashes make up the run manifest
that seals the run. So the rendering must be deterministic: sorted keys, a fixed
row order, UTF-8, and times in ISO 8601 UTC.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from auditor.store.db import RunInfo, Store
from auditor.store.models import CallLogRow, PayloadRow, SnapshotRow

RUN_MANIFEST_FORMAT = "ecr-auditor-run-manifest/1"

# Rows read from the store at a time while a file is streamed.
_BATCH = 500


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def json_bytes(value: Any) -> bytes:
    """Pretty, stable JSON: sorted keys, two-space indent, UTF-8, newline at the end."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, default=_default) + "\n").encode()


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"cannot serialise {type(value).__name__} into evidence")


def iso(value: datetime | None) -> str | None:
    """Render a time in UTC. PostgreSQL returns times in the session's time zone and SQLite
    returns naive UTC times, so both are normalised to keep the text the same."""
    if value is None:
        return None
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return utc.isoformat().replace("+00:00", "Z")


def run_metadata(run: RunInfo) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "tool_version": run.tool_version,
        "config_sha256": run.config_sha256,
        "caller_arn": run.caller_arn,
        "caller_account": run.caller_account,
        "host": run.host,
        "pid": run.pid,
        "score": run.score,
        "coverage": run.coverage,
        "exit_code": run.exit_code,
    }


# A data file whose lines are produced on demand, so that sealing a large run hashes
# it without holding it in memory.
Lines = Callable[[], Iterator[bytes]]


@dataclass(frozen=True)
class RunFiles:
    """A run's data files by path inside a package, and the payload bodies they reference.

    The small files are held as bytes. The files with a line per result, snapshot or
    call, and the payload bodies, are read from the store each time they are needed.
    """

    run_id: int
    small: dict[str, bytes]
    streamed: dict[str, Lines]
    store: Store

    def hashes(self) -> dict[str, str]:
        found: dict[str, str] = {path: sha256_hex(body) for path, body in self.small.items()}
        for path, lines in self.streamed.items():
            digest = hashlib.sha256()
            for line in lines():
                digest.update(line)
            found[path] = digest.hexdigest()
        for path, body in self._payloads():
            found[path] = sha256_hex(body)
        return {path: found[path] for path in sorted(found)}

    @property
    def files(self) -> dict[str, bytes]:
        """Every data file in full, for writing a package."""
        return {**self.small, **{path: b"".join(lines()) for path, lines in self.streamed.items()}}

    @property
    def payloads(self) -> dict[str, bytes]:
        """payloads/<sha256>.json -> body as stored, for writing a package."""
        return dict(self._payloads())

    def _payloads(self) -> Iterator[tuple[str, bytes]]:
        seen: set[str] = set()
        for record, body in snapshot_records(self.store, self.run_id):
            sha = record["payload_sha256"]
            if sha is None or body is None or sha in seen:
                continue
            seen.add(sha)
            yield f"payloads/{sha}.json", body.encode()


def run_prefix(run_id: int) -> str:
    return f"runs/{run_id}"


def _json_line(record: Mapping[str, Any]) -> bytes:
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)
    return (text + "\n").encode()


def collect_run_files(store: Store, run: RunInfo) -> RunFiles:
    prefix = run_prefix(run.id)
    counts = store.load_call_counts(run.id)
    small = {
        f"{prefix}/run.json": json_bytes(run_metadata(run)),
        f"{prefix}/scope.json": json_bytes(
            [
                {"account": s.account, "region": s.region, "status": s.status.value, "reason": s.reason}
                for s in store.load_scope(run.id)
            ]
        ),
        f"{prefix}/collection_errors.json": json_bytes(
            [
                {
                    "account": e.account,
                    "region": e.region,
                    "operation": e.operation,
                    "error_code": e.error_code,
                    "message": e.message,
                    "kind": e.kind,
                    "resource": e.resource,
                }
                for e in store.load_errors(run.id)
            ]
        ),
        f"{prefix}/api_calls.json": json_bytes(
            [
                {"service": service, "operation": operation, "count": n, "errors": errors}
                for (service, operation), (n, errors) in sorted(counts.items())
            ]
        ),
    }

    def results() -> Iterator[bytes]:
        for r in store.iter_results(run.id):
            yield _json_line(
                {
                    "id": r.id,
                    "check_id": r.check_id,
                    "area": r.area.value,
                    "severity": r.severity.value,
                    "status": r.status.value,
                    "account": r.resource.account,
                    "region": r.resource.region,
                    "resource_type": r.resource.kind.value,
                    "resource_name": r.resource.name,
                    "reason": r.reason,
                    "evidence": r.evidence,
                }
            )

    def snapshots() -> Iterator[bytes]:
        for record, body in snapshot_records(store, run.id):
            path = None
            if record["payload_sha256"] is not None and body is not None:
                path = f"payloads/{record['payload_sha256']}.json"
            yield _json_line({**record, "payload": path})

    def calls() -> Iterator[bytes]:
        for record in call_log_records(store, run.id):
            yield _json_line(record)

    streamed: dict[str, Lines] = {
        f"{prefix}/results.jsonl": results,
        f"{prefix}/snapshots.jsonl": snapshots,
        f"{prefix}/call_log.jsonl": calls,
    }
    return RunFiles(run.id, small, streamed, store)


def snapshot_records(store: Store, run_id: int) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Yield every snapshot of a run as a record, with its payload body as stored (or None)."""
    with store.session() as session:
        found = session.execute(
            select(SnapshotRow, PayloadRow.body)
            .outerjoin(PayloadRow, SnapshotRow.payload_sha256 == PayloadRow.sha256)
            .where(SnapshotRow.run_id == run_id)
            .order_by(SnapshotRow.id)
            .execution_options(yield_per=_BATCH)
        )
        for row, body in found:
            record = {
                "account": row.account,
                "region": row.region,
                "kind": row.kind,
                "name": row.name,
                "state": row.state,
                "payload_sha256": row.payload_sha256,
                "error_operation": row.error_operation,
                "error_code": row.error_code,
                "error_message": row.error_message,
            }
            yield record, body


def call_log_records(store: Store, run_id: int) -> Iterator[dict[str, Any]]:
    """Yield the run's call log: one record per AWS call, with its request id."""
    with store.session() as session:
        rows = session.scalars(
            select(CallLogRow)
            .where(CallLogRow.run_id == run_id)
            .order_by(CallLogRow.id)
            .execution_options(yield_per=_BATCH)
        )
        for r in rows:
            yield {
                "service": r.service,
                "operation": r.operation,
                "account": r.account,
                "region": r.region,
                "request_id": r.request_id,
                "http_status": r.http_status,
                "error_code": r.error_code,
                "called_at": iso(r.called_at),
                "duration_ms": r.duration_ms,
            }


def run_manifest(files: RunFiles, previous_run_id: int | None, previous_manifest_sha256: str | None) -> bytes:
    """Build the run manifest: the hash of every data file of the run and the previous run's manifest hash."""
    return json_bytes(
        {
            "format": RUN_MANIFEST_FORMAT,
            "run_id": files.run_id,
            "previous_run_id": previous_run_id,
            "previous_manifest_sha256": previous_manifest_sha256,
            "files": files.hashes(),
        }
    )
