"""Sealing runs into a hash chain.

Sealing a complete run stores the SHA-256 of its run manifest, which lists the hash
of every data file of the run and the manifest hash of the previous complete run.
Changing any stored data of a sealed run then changes its recomputed manifest, and
rewriting the whole history would need every later seal to be rewritten too, which
the printed or emailed manifest hashes expose.

The columns live on ``runs`` (migration 0003) and are read and written here through
SQLAlchemy Core, so the ORM model of runs does not need to map them.

`ecr-auditor run` seals each run as soon as it completes. A run whose predecessor was
pruned is checked against the predecessor's manifest hash kept in ``pruned_runs``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select, update

from auditor.errors import AuditorError
from auditor.evidence.runfiles import RunFiles, collect_run_files, run_manifest, sha256_hex
from auditor.store.db import RunInfo, RunStatus, Store

logger = logging.getLogger(__name__)

_metadata = MetaData()
# The columns of ``runs`` that sealing reads and writes (added by migration 0003).
runs_seal = Table(
    "runs",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("status", String(16)),
    Column("manifest_sha256", String(64)),
    Column("previous_manifest_sha256", String(64)),
    Column("sealed_at", DateTime(timezone=True)),
)


class SealMismatchError(AuditorError):
    """A sealed run's stored data no longer matches its manifest hash."""

    exit_code = 4


@dataclass(frozen=True)
class Seal:
    run_id: int
    manifest_sha256: str
    previous_manifest_sha256: str | None
    sealed_at: datetime | None


@dataclass(frozen=True)
class SealedRun:
    """A sealed run with its manifest and data files, ready to be packaged."""

    run: RunInfo
    seal: Seal
    manifest: bytes
    run_files: RunFiles
    previous_run_id: int | None

    @property
    def files(self) -> dict[str, bytes]:
        """The run's data files in full, read from the store when a package is written."""
        return self.run_files.files

    @property
    def payloads(self) -> dict[str, bytes]:
        return self.run_files.payloads


def read_seal(store: Store, run_id: int) -> Seal | None:
    with store.session() as session:
        row = session.execute(
            select(runs_seal.c.manifest_sha256, runs_seal.c.previous_manifest_sha256, runs_seal.c.sealed_at).where(
                runs_seal.c.id == run_id
            )
        ).one_or_none()
    if row is None or row.manifest_sha256 is None:
        return None
    return Seal(run_id, row.manifest_sha256, row.previous_manifest_sha256, row.sealed_at)


def _build(store: Store, run: RunInfo, previous: Seal | None, previous_run_id: int | None) -> tuple[bytes, SealedRun]:
    files = collect_run_files(store, run)
    previous_hash = previous.manifest_sha256 if previous else None
    manifest = run_manifest(files, previous_run_id, previous_hash)
    seal = Seal(run.id, sha256_hex(manifest), previous_hash, None)
    return manifest, SealedRun(run, seal, manifest, files, previous_run_id)


def _all_seals(store: Store) -> dict[int, Seal]:
    with store.session() as session:
        rows = session.execute(
            select(
                runs_seal.c.id, runs_seal.c.manifest_sha256, runs_seal.c.previous_manifest_sha256, runs_seal.c.sealed_at
            ).where(runs_seal.c.manifest_sha256.is_not(None))
        )
        return {r.id: Seal(r.id, r.manifest_sha256, r.previous_manifest_sha256, r.sealed_at) for r in rows}


def _write_seal(store: Store, run: RunInfo, previous: Seal | None) -> Seal:
    manifest, _ = _build(store, run, previous, previous.run_id if previous else None)
    with store.session() as session:
        session.execute(
            update(runs_seal)
            .where(runs_seal.c.id == run.id, runs_seal.c.manifest_sha256.is_(None))
            .values(
                manifest_sha256=sha256_hex(manifest),
                previous_manifest_sha256=previous.manifest_sha256 if previous else None,
                sealed_at=datetime.now(UTC),
            )
        )
    sealed = read_seal(store, run.id)
    if sealed is None:  # pragma: no cover - the update above wrote it, or another process did
        raise AuditorError(f"run {run.id} could not be sealed")
    logger.info("run=%d sealed manifest_sha256=%s", run.id, sealed.manifest_sha256)
    return sealed


def seal_run(store: Store, run_id: int) -> Seal:
    """Seal a complete run, sealing earlier unsealed complete runs first; return its seal.

    Sealing is idempotent: a sealed run keeps the seal it has. Two processes sealing
    at once compute the same hash, and only the first write counts.
    """
    run = store.run(run_id)
    if run.status != RunStatus.COMPLETE:
        raise AuditorError(f"run {run_id} is {run.status}; only complete runs can be sealed")
    seals = _all_seals(store)
    if run_id in seals:
        return seals[run_id]
    previous: Seal | None = None
    for info in store.runs(include_incomplete=False):
        if info.id > run_id:
            break
        previous = seals.get(info.id) or _write_seal(store, info, previous)
    if previous is None:  # pragma: no cover - run_id itself is complete, so the loop reached it
        raise AuditorError(f"run {run_id} could not be sealed")
    return previous


def seal_pending(store: Store) -> list[Seal]:
    """Seal every complete run that is not sealed yet, oldest first, and return the new seals."""
    complete = store.runs(include_incomplete=False)
    before = _all_seals(store)
    if not complete or all(r.id in before for r in complete):
        return []
    seal_run(store, complete[-1].id)
    after = _all_seals(store)
    return [after[r.id] for r in complete if r.id not in before and r.id in after]


def load_sealed(store: Store, run_id: int) -> SealedRun:
    """Seal the run if needed, rebuild its files and check them against the stored seal.

    Raises :class:`SealMismatchError` when the stored data changed after sealing.
    """
    seal = seal_run(store, run_id)
    run = store.run(run_id)
    previous_info = store.previous_complete(run_id)
    previous = read_seal(store, previous_info.id) if previous_info else None
    previous_id = previous_info.id if previous_info else None
    if previous is None and seal.previous_manifest_sha256 is not None:
        # The predecessor was pruned: its manifest hash survives in pruned_runs.
        pruned = store.pruned_seal(seal.previous_manifest_sha256, before=run_id)
        if pruned is not None:
            previous = Seal(pruned, seal.previous_manifest_sha256, None, None)
            previous_id = pruned
    if previous is not None and previous.manifest_sha256 != seal.previous_manifest_sha256:
        raise SealMismatchError(
            f"run {run_id} was sealed after a run {previous.run_id} with manifest "
            f"{seal.previous_manifest_sha256}, but run {previous.run_id} now has {previous.manifest_sha256}",
            hint="the run history in the database was changed after sealing",
        )
    manifest, sealed = _build(store, run, previous, previous_id)
    if sha256_hex(manifest) != seal.manifest_sha256:
        raise SealMismatchError(
            f"the stored data of run {run_id} no longer matches its sealed manifest "
            f"(sealed {seal.manifest_sha256}, now {sha256_hex(manifest)})",
            hint="the run's rows in the database were changed after sealing",
        )
    return SealedRun(run, seal, manifest, sealed.run_files, sealed.previous_run_id)
