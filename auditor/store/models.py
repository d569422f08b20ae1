"""SQLAlchemy models of the run history.

Payloads are stored once by content hash and referenced by every snapshot that saw
them unchanged, so history grows with change rather than with the number of runs.
The schema is created and upgraded only by the Alembic migrations in ``migrations/``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
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
    # The evidence hash chain (migration 0003), written by auditor.evidence.chain.
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    previous_manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


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


class FindingRow(Base):
    """One vulnerability finding on one image as one run saw it."""

    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_run", "run_id"),
        Index("ix_findings_identity", "account", "region", "repository", "image_digest", "finding_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    account: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    repository: Mapped[str] = mapped_column(String(256))
    image_digest: Mapped[str] = mapped_column(String(128))
    finding_id: Mapped[str] = mapped_column(String(256))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    package_name: Mapped[str] = mapped_column(String(512))
    package_version: Mapped[str] = mapped_column(String(256))
    fixed_in: Mapped[str | None] = mapped_column(String(256))
    fix_available: Mapped[str | None] = mapped_column(String(16))
    exploit_available: Mapped[str | None] = mapped_column(String(16))
    first_observed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When ecr-auditor first saw this finding on this image, for sources without firstObservedAt.
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(16))


class WaiverReviewRow(Base):
    """One configured waiver and what it did in one run (auditor.checks.waivers.WaiverReview)."""

    __tablename__ = "waiver_reviews"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1-based place in the config
    check_pattern: Mapped[str] = mapped_column(String(32))
    resource_pattern: Mapped[str] = mapped_column(String(2048))
    reason: Mapped[str] = mapped_column(Text)
    approver: Mapped[str] = mapped_column(String(1000))
    approved_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))  # active, unmatched, expired
    matched: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer)
    waived: Mapped[int] = mapped_column(Integer)
    days_left: Mapped[int] = mapped_column(Integer)
    expiring_soon: Mapped[bool] = mapped_column(Boolean)
    broad_accounts: Mapped[bool] = mapped_column(Boolean)
    broad_checks: Mapped[bool] = mapped_column(Boolean)


class ScheduleEventRow(Base):
    """One time a schedule of `ecr-auditor schedule` was due: ran, missed, skipped or failed."""

    __tablename__ = "schedule_events"
    __table_args__ = (Index("ix_schedule_events_schedule_time", "schedule", "scheduled_for"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule: Mapped[str] = mapped_column(String(64))
    scheduled_for: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16))
    # Kept when the run is pruned, so the record of the schedule stays complete.
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    detail: Mapped[str] = mapped_column(Text, default="")
    host: Mapped[str] = mapped_column(String(255), default="")


class EmailDeliveryRow(Base):
    """One emailed report, or one skipped because the results had not changed."""

    __tablename__ = "email_deliveries"
    __table_args__ = (Index("ix_email_deliveries_schedule", "schedule", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    # The run's number, kept after the run is pruned.
    run_number: Mapped[int] = mapped_column(Integer)
    schedule: Mapped[str | None] = mapped_column(String(64))
    transport: Mapped[str] = mapped_column(String(8))
    recipients: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # sent, unchanged, failed
    message_id: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[str] = mapped_column(Text, default="")


class PrunedRunRow(Base):
    """A run that `ecr-auditor prune` removed, so the history still accounts for it."""

    __tablename__ = "pruned_runs"

    run_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    score: Mapped[float | None] = mapped_column(Float)
    coverage: Mapped[float | None] = mapped_column(Float)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    # The run's sealed manifest hash, which the next kept run's seal still names.
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    pruned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    host: Mapped[str] = mapped_column(String(255))
