"""The data files of one run, rendered the same way every time from what the store holds.

These files go into evidence packages, and their hashes make up the run manifest
that seals the run. So the rendering must be deterministic: sorted keys, a fixed
row order, UTF-8, and times in ISO 8601 UTC.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from auditor.store.db import RunInfo, Store
from auditor.store.models import CallLogRow, PayloadRow, SnapshotRow

RUN_MANIFEST_FORMAT = "ecr-auditor-run-manifest/1"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def json_bytes(value: Any) -> bytes:
    """Pretty, stable JSON: sorted keys, two-space indent, UTF-8, newline at the end."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, default=_default) + "\n").encode()


def jsonl_bytes(rows: Iterable[Mapping[str, Any]]) -> bytes:
    lines = [json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default) for r in rows]
    return ("\n".join(lines) + "\n").encode() if lines else b""


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


@dataclass(frozen=True)
class RunFiles:
    """A run's data files by path inside a package, and the payload bodies they reference."""

    run_id: int
    files: dict[str, bytes]
    payloads: dict[str, bytes]  # payloads/<sha256>.json -> body as stored

    def hashes(self) -> dict[str, str]:
        every = {**self.files, **self.payloads}
        return {path: sha256_hex(every[path]) for path in sorted(every)}


def run_prefix(run_id: int) -> str:
    return f"runs/{run_id}"


def collect_run_files(store: Store, run: RunInfo) -> RunFiles:
    prefix = run_prefix(run.id)
    results = store.load_results(run.id)
    counts = store.load_call_counts(run.id)
    files = {
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
        f"{prefix}/results.jsonl": jsonl_bytes(
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
            for r in results
        ),
    }
    snapshots, payloads = _snapshots(store, run.id)
    files[f"{prefix}/snapshots.jsonl"] = jsonl_bytes(snapshots)
    files[f"{prefix}/call_log.jsonl"] = jsonl_bytes(call_log_records(store, run.id))
    return RunFiles(run.id, files, payloads)


def snapshot_records(store: Store, run_id: int) -> list[tuple[dict[str, Any], str | None]]:
    """Read every snapshot of a run as a record, with its payload body as stored (or None)."""
    records: list[tuple[dict[str, Any], str | None]] = []
    with store.session() as session:
        found = session.execute(
            select(SnapshotRow, PayloadRow.body)
            .outerjoin(PayloadRow, SnapshotRow.payload_sha256 == PayloadRow.sha256)
            .where(SnapshotRow.run_id == run_id)
            .order_by(SnapshotRow.id)
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
            records.append((record, body))
    return records


def _snapshots(store: Store, run_id: int) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    rows: list[dict[str, Any]] = []
    payloads: dict[str, bytes] = {}
    for record, body in snapshot_records(store, run_id):
        path = None
        if record["payload_sha256"] is not None and body is not None:
            path = f"payloads/{record['payload_sha256']}.json"
            payloads[path] = body.encode()
        rows.append({**record, "payload": path})
    return rows, payloads


def call_log_records(store: Store, run_id: int) -> list[dict[str, Any]]:
    """Read the run's call log: one record per AWS call, with its request id."""
    with store.session() as session:
        rows = session.scalars(select(CallLogRow).where(CallLogRow.run_id == run_id).order_by(CallLogRow.id))
        return [
            {
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
            for r in rows
        ]


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
