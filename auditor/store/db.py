"""The run store: opening the database, migrating it, and writing and reading runs."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    create_engine,
    delete,
    event,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from auditor.checks.model import Area, ResourceRef, ResourceType, Result, Severity, Status
from auditor.checks.waivers import WaiverReview, WaiverState
from auditor.errors import ConfigError, RunNotFoundError, StoreError
from auditor.inventory import (
    LISTING,
    CallRecord,
    CollectionError,
    FindingKey,
    Inventory,
    Kind,
    ScopeEntry,
    ScopeStatus,
    Snapshot,
    SnapshotState,
    canonical_json,
)
from auditor.resources import migrations_dir
from auditor.store.models import (
    ApiCallCountRow,
    CallLogRow,
    CollectionErrorRow,
    EmailDeliveryRow,
    FindingRow,
    PayloadRow,
    PrunedRunRow,
    ResultRow,
    RunRow,
    ScheduleEventRow,
    ScopeRow,
    SnapshotRow,
    WaiverReviewRow,
)

logger = logging.getLogger(__name__)

_CHUNK = 500
# Rows per INSERT batch. A 10,000-repository run stores about 170,000 results, whose
# mappings and bound parameters would otherwise all sit in memory at once.
_INSERT_BATCH = 2000
# Rows read at a time where a whole run's rows are streamed, such as while sealing.
_READ_BATCH = 500

# The seal columns that migration 0003 added to ``runs``, read when a run is pruned.
_RUN_SEALS = Table(
    "runs", MetaData(), Column("id", Integer, primary_key=True), Column("manifest_sha256", String(64))
)


class RunStatus:
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"


@dataclass(frozen=True)
class RunInfo:
    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    tool_version: str
    config_sha256: str
    caller_arn: str
    caller_account: str
    host: str
    pid: int
    score: float | None
    coverage: float | None
    exit_code: int | None
    error: str | None


def _error_rows(run_id: int, errors: Sequence[CollectionError]) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run_id,
            "account": e.account,
            "region": e.region,
            "operation": e.operation,
            "error_code": e.error_code,
            "message": e.message,
            "kind": e.kind,
            "resource": e.resource,
        }
        for e in errors
    ]


@dataclass(frozen=True)
class FindingRecord:
    """One finding on one image, as stored per run."""

    account: str
    region: str
    repository: str
    image_digest: str
    finding_id: str
    severity: str
    status: str
    package_name: str
    package_version: str
    fixed_in: str | None
    fix_available: str | None
    exploit_available: str | None
    first_observed_at: datetime | None
    source: str
    first_seen_at: datetime | None = None

    @property
    def key(self) -> FindingKey:
        return (
            self.account,
            self.region,
            self.repository,
            self.image_digest,
            self.finding_id,
            self.package_name,
            self.package_version,
        )


def _insert_in_batches(session: Session, model: type[Any], rows: Iterable[dict[str, Any]]) -> None:
    """Insert rows ``_INSERT_BATCH`` at a time, building each batch's mappings only when it is sent."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _INSERT_BATCH:
            session.bulk_insert_mappings(model, batch)
            batch = []
    if batch:
        session.bulk_insert_mappings(model, batch)


def _result_row(run_id: int, result: Result) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "result_id": result.id,
        "check_id": result.check_id,
        "area": result.area.value,
        "severity": result.severity.value,
        "account": result.resource.account,
        "region": result.resource.region,
        "resource_type": result.resource.kind.value,
        "resource_name": result.resource.name,
        "status": result.status.value,
        "reason": result.reason,
        "evidence": canonical_json(result.evidence),
    }


def snapshot_from_row(row: SnapshotRow, body: str | None) -> Snapshot:
    """Rebuild a snapshot from its stored row and payload body."""
    error = None
    if row.error_code is not None:
        error = CollectionError(
            account=row.account,
            region=row.region,
            operation=row.error_operation or "",
            error_code=row.error_code,
            message=row.error_message or "",
            kind=row.kind,
            resource=row.name,
        )
    if body is not None and row.state == SnapshotState.PRESENT.value:
        return Snapshot.packed(row.account, row.region, Kind(row.kind), row.name, body)
    payload = json.loads(body) if body is not None else None
    return Snapshot(row.account, row.region, Kind(row.kind), row.name, SnapshotState(row.state), payload, error)


def result_from_row(row: ResultRow, *, evidence: bool = True) -> Result:
    """Rebuild a result from its row; without ``evidence`` its evidence is left empty."""
    return Result(
        check_id=row.check_id,
        area=Area(row.area),
        severity=Severity(row.severity),
        resource=ResourceRef(row.account, row.region, ResourceType(row.resource_type), row.resource_name),
        status=Status(row.status),
        reason=row.reason,
        evidence=json.loads(row.evidence) if evidence else {},
    )


def _finding_record(row: FindingRow) -> FindingRecord:
    return FindingRecord(
        account=row.account,
        region=row.region,
        repository=row.repository,
        image_digest=row.image_digest,
        finding_id=row.finding_id,
        severity=row.severity,
        status=row.status,
        package_name=row.package_name,
        package_version=row.package_version,
        fixed_in=row.fixed_in,
        fix_available=row.fix_available,
        exploit_available=row.exploit_available,
        first_observed_at=_aware(row.first_observed_at),
        source=row.source,
        first_seen_at=_aware(row.first_seen_at),
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes even for timezone-aware columns; every stored
    # time is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def payload_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def _make_engine(url: str) -> Engine:
    try:
        # Parameters stay out of error messages: they hold whole payloads and would bury the error.
        engine = create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigError(
            f"invalid database URL {url!r}: {exc}",
            hint="use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB",
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Store:
    """Runs, snapshots, results and collection errors in one SQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connect and bring the schema up to date with the migrations."""
        if url.startswith("sqlite:///"):
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                parent = os.path.dirname(os.path.abspath(path))
                os.makedirs(parent, exist_ok=True)
        engine = _make_engine(url)
        store = cls(engine)
        if migrate:
            store.migrate()
        return store

    def migrate(self, revision: str = "head") -> None:
        config = AlembicConfig()
        config.set_main_option("script_location", str(migrations_dir()))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        except OperationalError as exc:
            raise StoreError(
                f"database {self.engine.url.render_as_string(hide_password=True)} is unreachable: "
                f"{exc.orig}",
                hint="check the URL and that the server is running",
            ) from exc

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            raise StoreError(f"database write failed: {exc}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    # Writing a run -------------------------------------------------------------

    def start_run(self, *, tool_version: str, config_sha256: str) -> int:
        now = utcnow()
        with self.session() as session:
            row = RunRow(
                status=RunStatus.RUNNING,
                started_at=now,
                heartbeat_at=now,
                host=socket.gethostname(),
                pid=os.getpid(),
                tool_version=tool_version,
                config_sha256=config_sha256,
            )
            session.add(row)
            session.flush()
            return row.id

    def set_caller(self, run_id: int, caller_arn: str, caller_account: str) -> None:
        with self.session() as session:
            session.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(caller_arn=caller_arn, caller_account=caller_account)
            )

    def save_unit(
        self,
        run_id: int,
        scope: ScopeEntry,
        snapshots: Sequence[Snapshot],
        errors: Sequence[CollectionError],
    ) -> None:
        """Store what one (account, region) unit collected, in one transaction."""
        with self.session() as session:
            session.add(
                ScopeRow(
                    run_id=run_id,
                    account=scope.account,
                    region=scope.region,
                    status=scope.status.value,
                    reason=scope.reason,
                )
            )
            # A chunk at a time, so that a unit of thousands of repositories never has
            # every payload body decompressed at once.
            for start in range(0, len(snapshots), _INSERT_BATCH):
                chunk = snapshots[start : start + _INSERT_BATCH]
                hashes = self._store_payloads(session, chunk)
                session.bulk_insert_mappings(
                    SnapshotRow, [self._snapshot_mapping(run_id, s, h) for s, h in zip(chunk, hashes, strict=True)]
                )
            session.bulk_insert_mappings(CollectionErrorRow, _error_rows(run_id, errors))

    def save_snapshots(self, run_id: int, snapshots: Sequence[Snapshot]) -> None:
        """Store a batch of a unit's snapshots while the unit is still being collected."""
        with self.session() as session:
            hashes = self._store_payloads(session, snapshots)
            session.bulk_insert_mappings(
                SnapshotRow, [self._snapshot_mapping(run_id, s, h) for s, h in zip(snapshots, hashes, strict=True)]
            )

    def save_errors(self, run_id: int, errors: Sequence[CollectionError]) -> None:
        """Store collection errors that belong to no unit's snapshots, such as a failed ListRegions."""
        with self.session() as session:
            session.bulk_insert_mappings(CollectionErrorRow, _error_rows(run_id, errors))

    @staticmethod
    def _snapshot_mapping(run_id: int, snapshot: Snapshot, sha: str | None) -> dict[str, Any]:
        error = snapshot.error
        return {
            "run_id": run_id,
            "account": snapshot.account,
            "region": snapshot.region,
            "kind": snapshot.kind.value,
            "name": snapshot.name,
            "state": snapshot.state.value,
            "payload_sha256": sha,
            "error_operation": error.operation if error else None,
            "error_code": error.error_code if error else None,
            "error_message": error.message if error else None,
        }

    def _store_payloads(self, session: Session, snapshots: Sequence[Snapshot]) -> list[str | None]:
        """Insert payloads not stored yet and return each snapshot's payload hash."""
        bodies: dict[str, str] = {}
        hashes: list[str | None] = []
        for snapshot in snapshots:
            if snapshot.state is not SnapshotState.PRESENT:
                hashes.append(None)
                continue
            body = snapshot.body
            assert body is not None  # a present snapshot always has one
            sha = payload_hash(body)
            bodies[sha] = body
            hashes.append(sha)
        missing = set(bodies)
        keys = list(bodies)
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            found = session.scalars(select(PayloadRow.sha256).where(PayloadRow.sha256.in_(chunk)))
            missing.difference_update(found)
        rows = [{"sha256": sha, "body": bodies[sha], "size": len(bodies[sha])} for sha in sorted(missing)]
        if rows:
            # Should another writer store the same body after the query above, the insert
            # keeps the stored one: equal hashes are equal bodies.
            insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
            session.execute(insert(PayloadRow).on_conflict_do_nothing(index_elements=["sha256"]), rows)
        return hashes

    def save_calls(
        self, run_id: int, counts: dict[tuple[str, str], tuple[int, int]], calls: Sequence[CallRecord]
    ) -> None:
        with self.session() as session:
            session.bulk_insert_mappings(
                ApiCallCountRow,
                [
                    {"run_id": run_id, "service": svc, "operation": op, "count": n, "errors": errs}
                    for (svc, op), (n, errs) in sorted(counts.items())
                ],
            )
            _insert_in_batches(session, CallLogRow, ({"run_id": run_id, **call.__dict__} for call in calls))

    def save_call_log(self, run_id: int, calls: Sequence[CallRecord]) -> None:
        """Store a part of a run's call log; the counts are stored once, by save_calls."""
        if not calls:
            return
        with self.session() as session:
            _insert_in_batches(session, CallLogRow, ({"run_id": run_id, **call.__dict__} for call in calls))

    def save_results(self, run_id: int, results: Iterable[Result]) -> None:
        """Store results as they come, one transaction per batch.

        ``results`` may be a generator that evaluates checks as it goes: committing
        each batch keeps the write lock short, so the run lock's heartbeat is never
        kept waiting by a long evaluation. A run whose results are only partly stored
        is never finished, so it is never shown as complete.
        """
        batch: list[dict[str, Any]] = []
        for result in results:
            batch.append(_result_row(run_id, result))
            if len(batch) >= _INSERT_BATCH:
                self._insert(ResultRow, batch)
                batch = []
        if batch:
            self._insert(ResultRow, batch)

    def _insert(self, model: type[Any], rows: list[dict[str, Any]]) -> None:
        with self.session() as session:
            session.bulk_insert_mappings(model, rows)

    def finish_run(
        self,
        run_id: int,
        *,
        score: float | None,
        coverage: float | None,
        exit_code: int,
    ) -> None:
        """Mark the run complete; until this commits, readers never see it as complete."""
        with self.session() as session:
            session.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(
                    status=RunStatus.COMPLETE,
                    finished_at=utcnow(),
                    score=score,
                    coverage=coverage,
                    exit_code=exit_code,
                )
            )

    def fail_run(self, run_id: int, error: str) -> None:
        with self.session() as session:
            session.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(status=RunStatus.FAILED, finished_at=utcnow(), error=error[:4000])
            )

    # Reading runs --------------------------------------------------------------

    def runs(self, *, include_incomplete: bool = True) -> list[RunInfo]:
        with self.session() as session:
            query = select(RunRow).order_by(RunRow.id)
            if not include_incomplete:
                query = query.where(RunRow.status == RunStatus.COMPLETE)
            return [self._info(row) for row in session.scalars(query)]

    def run(self, run_id: int) -> RunInfo:
        with self.session() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise RunNotFoundError(f"run {run_id} not found", hint="list runs with 'ecr-auditor history'")
            return self._info(row)

    def resolve(self, reference: str | int) -> RunInfo:
        """Resolve ``latest`` or a run number to a complete run."""
        if str(reference) == "latest":
            complete = self.runs(include_incomplete=False)
            if not complete:
                raise RunNotFoundError("no complete run in the database", hint="run 'ecr-auditor run' first")
            return complete[-1]
        try:
            run_id = int(reference)
        except ValueError as exc:
            raise RunNotFoundError(
                f"invalid run reference {reference!r}", hint="give a run number or 'latest'"
            ) from exc
        info = self.run(run_id)
        if info.status != RunStatus.COMPLETE:
            raise RunNotFoundError(f"run {run_id} is {info.status}, not complete")
        return info

    def previous_complete(self, run_id: int) -> RunInfo | None:
        earlier = [r for r in self.runs(include_incomplete=False) if r.id < run_id]
        return earlier[-1] if earlier else None

    @staticmethod
    def _info(row: RunRow) -> RunInfo:
        return RunInfo(
            id=row.id,
            status=row.status,
            started_at=_aware(row.started_at) or row.started_at,
            finished_at=_aware(row.finished_at),
            tool_version=row.tool_version,
            config_sha256=row.config_sha256,
            caller_arn=row.caller_arn,
            caller_account=row.caller_account,
            host=row.host,
            pid=row.pid,
            score=row.score,
            coverage=row.coverage,
            exit_code=row.exit_code,
            error=row.error,
        )

    def count_items(self, run_id: int, kind: Kind) -> dict[tuple[str, str], int]:
        """Count the present snapshots of one listed kind per (account, region)."""
        with self.session() as session:
            rows = session.execute(
                select(SnapshotRow.account, SnapshotRow.region, func.count())
                .where(
                    SnapshotRow.run_id == run_id,
                    SnapshotRow.kind == kind.value,
                    SnapshotRow.name != LISTING,
                    SnapshotRow.state == SnapshotState.PRESENT.value,
                )
                .group_by(SnapshotRow.account, SnapshotRow.region)
            )
            return {(account, region): int(n) for account, region, n in rows}

    def load_snapshots(
        self,
        run_id: int,
        account: str,
        region: str,
        kinds: Iterable[Kind],
        names: tuple[str, str] | None = None,
    ) -> list[Snapshot]:
        """Load the snapshots of one registry of a run, of the given kinds.

        ``names`` limits them to a range of names, first and last included, compared
        byte by byte on both databases.
        """
        wanted = (
            (SnapshotRow.run_id == run_id)
            & (SnapshotRow.account == account)
            & (SnapshotRow.region == region)
            & SnapshotRow.kind.in_([k.value for k in kinds])
        )
        if names is not None:
            # PostgreSQL compares text by the database's locale unless a collation is
            # given, and SQLite compares bytes already.
            column = SnapshotRow.name if self.engine.dialect.name == "sqlite" else SnapshotRow.name.collate("C")
            wanted = wanted & (column >= names[0]) & (column <= names[1])
        with self.session() as session:
            rows = session.execute(
                select(SnapshotRow, PayloadRow.body)
                .outerjoin(PayloadRow, SnapshotRow.payload_sha256 == PayloadRow.sha256)
                .where(wanted)
                .order_by(SnapshotRow.id)
                .execution_options(yield_per=_INSERT_BATCH)
            )
            return [snapshot_from_row(row, body) for row, body in rows]

    def load_inventory(
        self, run_id: int, kinds: Iterable[Kind] | None = None, *, listings: Iterable[Kind] = ()
    ) -> Inventory:
        """Load a run's snapshots, or only those of the given kinds, into an inventory.

        For the kinds in ``listings`` only the record of a failed listing is loaded, so
        that the inventory can tell an unknown listing from an empty one.
        """
        wanted = SnapshotRow.run_id == run_id
        if kinds is not None:
            listed = [k.value for k in listings]
            wanted = wanted & (
                SnapshotRow.kind.in_([k.value for k in kinds])
                | (SnapshotRow.kind.in_(listed) & (SnapshotRow.name == LISTING))
            )
        with self.session() as session:
            scope = [
                ScopeEntry(r.account, r.region, ScopeStatus(r.status), r.reason)
                for r in session.scalars(select(ScopeRow).where(ScopeRow.run_id == run_id))
            ]
            rows = session.execute(
                select(SnapshotRow, PayloadRow.body)
                .outerjoin(PayloadRow, SnapshotRow.payload_sha256 == PayloadRow.sha256)
                .where(wanted)
                .order_by(SnapshotRow.id)
                .execution_options(yield_per=_INSERT_BATCH)
            )
            snapshots = [snapshot_from_row(row, body) for row, body in rows]
            started = session.scalar(select(RunRow.started_at).where(RunRow.id == run_id))
        inventory = Inventory.build(scope, snapshots)
        if started is not None:
            inventory.evaluated_at = _aware(started) or started
        inventory.first_seen = self.first_seen_findings(exclude_run=run_id)
        return inventory

    def load_results(self, run_id: int) -> list[Result]:
        return list(self.iter_results(run_id))

    def iter_results(self, run_id: int) -> Iterator[Result]:
        """Yield a run's results in the order they were stored, reading them in batches."""
        return self.iter_selected_results(select(ResultRow).where(ResultRow.run_id == run_id).order_by(ResultRow.id))

    def iter_selected_results(self, query: Select[Any]) -> Iterator[Result]:
        """Yield the results that a query of result rows selects, reading them in batches."""
        with self.session() as session:
            for row in session.scalars(query.execution_options(yield_per=_READ_BATCH)):
                yield result_from_row(row)

    def load_errors(self, run_id: int) -> list[CollectionError]:
        with self.session() as session:
            rows = session.scalars(
                select(CollectionErrorRow).where(CollectionErrorRow.run_id == run_id).order_by(CollectionErrorRow.id)
            )
            return [
                CollectionError(r.account, r.region, r.operation, r.error_code, r.message, r.kind, r.resource)
                for r in rows
            ]

    def load_scope(self, run_id: int) -> list[ScopeEntry]:
        with self.session() as session:
            rows = session.scalars(select(ScopeRow).where(ScopeRow.run_id == run_id))
            return sorted(
                (ScopeEntry(r.account, r.region, ScopeStatus(r.status), r.reason) for r in rows),
                key=lambda e: (e.account, e.region),
            )

    def load_call_counts(self, run_id: int) -> dict[tuple[str, str], tuple[int, int]]:
        with self.session() as session:
            rows = session.scalars(select(ApiCallCountRow).where(ApiCallCountRow.run_id == run_id))
            return {(r.service, r.operation): (r.count, r.errors) for r in rows}

    def save_findings(self, run_id: int, rows: Sequence[FindingRecord], seen_at: datetime) -> None:
        """Store the run's findings, each with when ecr-auditor first saw it on that image."""
        first_seen = self.first_seen_findings(exclude_run=run_id)
        with self.session() as session:
            _insert_in_batches(
                session,
                FindingRow,
                (
                    {
                        "run_id": run_id,
                        **record.__dict__,
                        "first_seen_at": first_seen.get(record.key, seen_at),
                    }
                    for record in rows
                ),
            )

    def first_seen_findings(self, exclude_run: int | None = None) -> dict[FindingKey, datetime]:
        """Return, per finding on an image, the earliest time any other run saw it."""
        columns = (
            FindingRow.account,
            FindingRow.region,
            FindingRow.repository,
            FindingRow.image_digest,
            FindingRow.finding_id,
            FindingRow.package_name,
            FindingRow.package_version,
        )
        query = select(*columns, func.min(FindingRow.first_seen_at)).group_by(*columns)
        if exclude_run is not None:
            query = query.where(FindingRow.run_id != exclude_run)
        with self.session() as session:
            return {tuple(row[:7]): _aware(row[7]) for row in session.execute(query)}  # type: ignore[misc]

    def load_findings(self, run_id: int) -> list[FindingRecord]:
        with self.session() as session:
            rows = session.scalars(select(FindingRow).where(FindingRow.run_id == run_id).order_by(FindingRow.id))
            return [_finding_record(r) for r in rows]

    def _first_open_findings(self, run_id: int) -> Any:
        """Select the id of the first stored row of each open finding of a repository, so a
        finding counts once per repository, whatever the number of its images carrying it."""
        return (
            select(func.min(FindingRow.id).label("id"))
            .where(FindingRow.run_id == run_id, FindingRow.status == "ACTIVE")
            .group_by(
                FindingRow.account,
                FindingRow.region,
                FindingRow.repository,
                FindingRow.finding_id,
                FindingRow.package_name,
            )
            .subquery()
        )

    def open_finding_counts(
        self, run_id: int, *, by_repository: bool = False
    ) -> dict[tuple[str, str, str], dict[str, int]]:
        """Count a run's open findings per severity, each once per repository: per
        (account, region, repository), or all together under ("", "", "")."""
        first = self._first_open_findings(run_id)
        columns = [FindingRow.account, FindingRow.region, FindingRow.repository] if by_repository else []
        query = (
            select(*columns, FindingRow.severity, func.count())
            .join(first, FindingRow.id == first.c.id)
            .group_by(*columns, FindingRow.severity)
        )
        found: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
        with self.session() as session:
            for row in session.execute(query):
                key = (row[0], row[1], row[2]) if by_repository else ("", "", "")
                found[key][row[-2]] = int(row[-1])
        return found

    def open_findings_of(
        self, run_id: int, repositories: Sequence[tuple[str, str, str]], severities: Sequence[str]
    ) -> dict[tuple[str, str, str], list[FindingRecord]]:
        """Load the open findings of these repositories, each once per repository, of the given severities."""
        wanted = set(repositories)
        found: dict[tuple[str, str, str], list[FindingRecord]] = defaultdict(list)
        names = sorted({name for _, _, name in wanted})
        first = self._first_open_findings(run_id)
        with self.session() as session:
            for start in range(0, len(names), _CHUNK):
                rows = session.scalars(
                    select(FindingRow)
                    .join(first, FindingRow.id == first.c.id)
                    .where(
                        FindingRow.repository.in_(names[start : start + _CHUNK]),
                        FindingRow.severity.in_(severities),
                    )
                    .order_by(FindingRow.id)
                )
                for row in rows:
                    key = (row.account, row.region, row.repository)
                    if key in wanted:
                        found[key].append(_finding_record(row))
        return found

    def images_with_findings(self, run_id: int) -> int:
        """Count the images that have at least one finding stored for this run."""
        images = (
            select(FindingRow.account, FindingRow.region, FindingRow.repository, FindingRow.image_digest)
            .where(FindingRow.run_id == run_id)
            .distinct()
            .subquery()
        )
        with self.session() as session:
            return int(session.scalar(select(func.count()).select_from(images)) or 0)

    def payload_stats(self) -> tuple[int, int]:
        """Return the number of stored payloads and their total size in bytes."""
        with self.session() as session:
            count, size = session.execute(select(func.count(), func.coalesce(func.sum(PayloadRow.size), 0))).one()
            return int(count), int(size)

    # Waivers, schedules, email deliveries and retention ------------------------

    def save_waiver_reviews(self, run_id: int, reviews: Sequence[WaiverReview]) -> None:
        with self.session() as session:
            session.bulk_insert_mappings(
                WaiverReviewRow,
                [
                    {
                        "run_id": run_id,
                        "position": r.position,
                        "check_pattern": r.check,
                        "resource_pattern": r.resource,
                        "reason": r.reason,
                        "approver": r.approver,
                        "approved_on": r.approved,
                        "expires_on": r.expires,
                        "state": r.state.value,
                        "matched": r.matched,
                        "failures": r.failures,
                        "waived": r.waived,
                        "days_left": r.days_left,
                        "expiring_soon": r.expiring_soon,
                        "broad_accounts": r.broad_accounts,
                        "broad_checks": r.broad_checks,
                    }
                    for r in reviews
                ],
            )

    def load_waiver_reviews(self, run_id: int) -> list[WaiverReview]:
        with self.session() as session:
            rows = session.scalars(
                select(WaiverReviewRow).where(WaiverReviewRow.run_id == run_id).order_by(WaiverReviewRow.position)
            )
            return [
                WaiverReview(
                    position=r.position,
                    check=r.check_pattern,
                    resource=r.resource_pattern,
                    reason=r.reason,
                    approver=r.approver,
                    approved=r.approved_on,
                    expires=r.expires_on,
                    state=WaiverState(r.state),
                    matched=r.matched,
                    failures=r.failures,
                    waived=r.waived,
                    days_left=r.days_left,
                    expiring_soon=r.expiring_soon,
                    broad_accounts=r.broad_accounts,
                    broad_checks=r.broad_checks,
                )
                for r in rows
            ]

    def record_schedule_event(
        self,
        schedule: str,
        scheduled_for: datetime,
        outcome: str,
        *,
        run_id: int | None = None,
        detail: str = "",
    ) -> None:
        with self.session() as session:
            session.add(
                ScheduleEventRow(
                    schedule=schedule,
                    scheduled_for=scheduled_for,
                    recorded_at=utcnow(),
                    outcome=outcome,
                    run_id=run_id,
                    detail=detail[:4000],
                    host=socket.gethostname(),
                )
            )

    def schedule_events(
        self,
        *,
        schedule: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        outcomes: Sequence[str] | None = None,
    ) -> list[ScheduleEvent]:
        """Return recorded schedule events in the order of their scheduled time."""
        query = select(ScheduleEventRow).order_by(ScheduleEventRow.scheduled_for, ScheduleEventRow.id)
        if schedule is not None:
            query = query.where(ScheduleEventRow.schedule == schedule)
        if since is not None:
            query = query.where(ScheduleEventRow.scheduled_for >= since)
        if until is not None:
            query = query.where(ScheduleEventRow.scheduled_for < until)
        if outcomes is not None:
            query = query.where(ScheduleEventRow.outcome.in_(outcomes))
        with self.session() as session:
            return [
                ScheduleEvent(
                    schedule=r.schedule,
                    scheduled_for=_aware(r.scheduled_for) or r.scheduled_for,
                    recorded_at=_aware(r.recorded_at) or r.recorded_at,
                    outcome=r.outcome,
                    run_id=r.run_id,
                    detail=r.detail,
                    host=r.host,
                )
                for r in session.scalars(query)
            ]

    def last_scheduled_time(self, schedule: str) -> datetime | None:
        """Return the latest scheduled time recorded for a schedule, whatever its outcome."""
        with self.session() as session:
            latest = session.scalar(
                select(func.max(ScheduleEventRow.scheduled_for)).where(ScheduleEventRow.schedule == schedule)
            )
        return _aware(latest)

    def unfinished_schedule_times(self, run_id: int) -> list[ScheduleEvent]:
        """Return the scheduled times that produced no run (missed, skipped or failed) in a run's period.

        The period starts with the previous complete run and ends when this run
        finished, or now while it is still running.
        """
        run = self.run(run_id)
        previous = self.previous_complete(run_id)
        return self.schedule_events(
            since=previous.started_at if previous else None,
            until=run.finished_at or utcnow(),
            outcomes=("missed", "skipped", "failed"),
        )

    def record_delivery(self, delivery: EmailDelivery) -> None:
        with self.session() as session:
            exists_now = session.get(RunRow, delivery.run_number) is not None
            session.add(
                EmailDeliveryRow(
                    run_id=delivery.run_number if exists_now else None,
                    run_number=delivery.run_number,
                    schedule=delivery.schedule,
                    transport=delivery.transport,
                    recipients=",".join(delivery.recipients),
                    subject=delivery.subject,
                    sent_at=delivery.sent_at,
                    status=delivery.status,
                    message_id=delivery.message_id,
                    detail=delivery.detail[:4000],
                )
            )

    def deliveries(self, *, schedule: str | None = None, status: str | None = None) -> list[EmailDelivery]:
        """Return recorded email deliveries, oldest first."""
        query = select(EmailDeliveryRow).order_by(EmailDeliveryRow.id)
        if schedule is not None:
            query = query.where(EmailDeliveryRow.schedule == schedule)
        if status is not None:
            query = query.where(EmailDeliveryRow.status == status)
        with self.session() as session:
            return [
                EmailDelivery(
                    run_number=r.run_number,
                    schedule=r.schedule,
                    transport=r.transport,
                    recipients=tuple(filter(None, r.recipients.split(","))),
                    subject=r.subject,
                    sent_at=_aware(r.sent_at) or r.sent_at,
                    status=r.status,
                    message_id=r.message_id,
                    detail=r.detail,
                )
                for r in session.scalars(query)
            ]

    def prune_runs(self, *, started_before: datetime, dry_run: bool = False) -> PruneSummary:
        """Delete runs that started before a time, and the payloads no remaining snapshot references.

        The latest complete run and every later run are kept, so run numbers are never
        reused. Running runs are kept too. Each deleted run is listed in ``pruned_runs``
        with its manifest hash. The caller holds the run lock, so no run inserts
        snapshots meanwhile.
        """
        with self.session() as session:
            latest = session.scalar(select(func.max(RunRow.id)).where(RunRow.status == RunStatus.COMPLETE))
            if latest is None:
                return PruneSummary(runs=[], payloads=0, payload_bytes=0, kept_latest=None, dry_run=dry_run)
            doomed = (
                select(RunRow.id)
                .where(RunRow.id < latest, RunRow.started_at < started_before, RunRow.status != RunStatus.RUNNING)
                .scalar_subquery()
            )
            victims = list(session.scalars(select(RunRow).where(RunRow.id.in_(doomed)).order_by(RunRow.id)))
            still_used = exists().where(
                SnapshotRow.payload_sha256 == PayloadRow.sha256, SnapshotRow.run_id.not_in(doomed)
            )
            count, size = session.execute(
                select(func.count(), func.coalesce(func.sum(PayloadRow.size), 0)).where(~still_used)
            ).one()
            summary = PruneSummary(
                runs=[row.id for row in victims],
                payloads=int(count),
                payload_bytes=int(size),
                kept_latest=latest,
                dry_run=dry_run,
            )
            if dry_run or not victims:
                return summary
            now, host = utcnow(), socket.gethostname()
            # runs.manifest_sha256 (migration 0003) is written by auditor.evidence.chain,
            # which maps it outside RunRow.
            seals = dict(
                session.execute(
                    select(_RUN_SEALS.c.id, _RUN_SEALS.c.manifest_sha256).where(_RUN_SEALS.c.id.in_(summary.runs))
                ).all()
            )
            session.bulk_insert_mappings(
                PrunedRunRow,
                [
                    {
                        "run_id": row.id,
                        "status": row.status,
                        "started_at": row.started_at,
                        "finished_at": row.finished_at,
                        "score": row.score,
                        "coverage": row.coverage,
                        "exit_code": row.exit_code,
                        "manifest_sha256": seals.get(row.id),
                        "pruned_at": now,
                        "host": host,
                    }
                    for row in victims
                ],
            )
            # Snapshots, results and the other per-run rows go with their run through ON
            # DELETE CASCADE. Payloads are shared between runs, so they are removed only
            # once no snapshot references them.
            session.execute(
                delete(RunRow).where(RunRow.id.in_(summary.runs)).execution_options(synchronize_session=False)
            )
            unreferenced = ~exists().where(SnapshotRow.payload_sha256 == PayloadRow.sha256)
            session.execute(delete(PayloadRow).where(unreferenced).execution_options(synchronize_session=False))
        logger.info(
            "pruned runs=%d first=%s last=%s payloads=%d bytes=%d kept_latest=%d",
            len(summary.runs),
            summary.runs[0],
            summary.runs[-1],
            summary.payloads,
            summary.payload_bytes,
            latest,
        )
        return summary

    def pruned_seal(self, manifest_sha256: str, *, before: int) -> int | None:
        """Return the id of the pruned run, older than ``before``, that had this manifest hash."""
        with self.session() as session:
            return session.scalar(
                select(PrunedRunRow.run_id)
                .where(PrunedRunRow.manifest_sha256 == manifest_sha256, PrunedRunRow.run_id < before)
                .order_by(PrunedRunRow.run_id.desc())
                .limit(1)
            )

    def pruned_runs(self) -> list[int]:
        with self.session() as session:
            return list(session.scalars(select(PrunedRunRow.run_id).order_by(PrunedRunRow.run_id)))


@dataclass(frozen=True)
class ScheduleEvent:
    schedule: str
    scheduled_for: datetime
    recorded_at: datetime
    outcome: str  # ran, missed, skipped (another run held the lock), failed
    run_id: int | None
    detail: str
    host: str


@dataclass(frozen=True)
class EmailDelivery:
    run_number: int
    schedule: str | None
    transport: str
    recipients: tuple[str, ...]
    subject: str
    sent_at: datetime
    status: str  # sent, unchanged (not sent), failed
    message_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class PruneSummary:
    runs: list[int]
    payloads: int  # payloads removed, or that a dry run would remove
    payload_bytes: int
    kept_latest: int | None  # the latest complete run, never pruned
    dry_run: bool
