"""SQLAlchemy models of the run history.

Payloads are stored once by content hash and referenced by every snapshot that saw
them unchanged, so history grows with change rather than with the number of runs.
The schema is created and upgraded only by the Alembic migrations in ``migrations/``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # running, complete, failed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    tool_version: Mapped[str] = mapped_column(String(64), default="")
    config_sha256: Mapped[str] = mapped_column(String(64), default="")
    caller_arn: Mapped[str] = mapped_column(String(2048), default="")
    caller_account: Mapped[str] = mapped_column(String(12), default="")
    score: Mapped[float | None] = mapped_column(Float)
    coverage: Mapped[float | None] = mapped_column(Float)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class PayloadRow(Base):
    __tablename__ = "payloads"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)


class SnapshotRow(Base):
    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_run_unit", "run_id", "account", "region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    account: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(1024))
    state: Mapped[str] = mapped_column(String(16))  # present, absent, error
    payload_sha256: Mapped[str | None] = mapped_column(ForeignKey("payloads.sha256"), index=True)
    error_operation: Mapped[str | None] = mapped_column(String(128))
    error_code: Mapped[str | None] = mapped_column(String(128))
    error_message: Mapped[str | None] = mapped_column(Text)


class ScopeRow(Base):
    __tablename__ = "scope"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    account: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # audited, skipped, unreadable
    reason: Mapped[str] = mapped_column(Text, default="")


class ResultRow(Base):
    __tablename__ = "results"
    __table_args__ = (Index("ix_results_run_status", "run_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    result_id: Mapped[str] = mapped_column(String(40), index=True)
    check_id: Mapped[str] = mapped_column(String(16))
    area: Mapped[str] = mapped_column(String(8))
    severity: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_name: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)  # canonical JSON


class CollectionErrorRow(Base):
    __tablename__ = "collection_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    account: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    operation: Mapped[str] = mapped_column(String(128))
    error_code: Mapped[str] = mapped_column(String(128))
    message: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(64))
    resource: Mapped[str | None] = mapped_column(String(1024))


class ApiCallCountRow(Base):
    __tablename__ = "api_call_counts"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    operation: Mapped[str] = mapped_column(String(128), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer, default=0)


class CallLogRow(Base):
    """One AWS call: the request id lets an auditor match it with CloudTrail."""

    __tablename__ = "call_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    service: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(128))
    account: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[str] = mapped_column(String(128), default="")
    http_status: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(128))
    called_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[float] = mapped_column(Float)


class RunLockRow(Base):
    """The single-writer lock, held in the database so that it works across hosts and containers."""

    __tablename__ = "run_lock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1: one lock
    run_id: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
