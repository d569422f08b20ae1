"""The single-writer lock, kept in the database itself so that it holds across hosts
and containers that share one database.

The holder records its host, process and a heartbeat. A lock is stale, and
belongs to a dead run, when its heartbeat is older than ``stale_after`` or when
its host is this host and its process no longer exists. The next run takes a
stale lock over and marks every run still shown as running as failed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from auditor.errors import LockHeldError, StoreError
from auditor.store.db import RunStatus, Store, utcnow
from auditor.store.models import RunLockRow, RunRow

logger = logging.getLogger(__name__)

LOCK_ID = 1
HEARTBEAT_SECONDS = 30.0
STALE_AFTER = timedelta(minutes=5)


class RunLock:
    """Context manager that holds the run lock and keeps its heartbeat fresh."""

    def __init__(
        self,
        store: Store,
        *,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self.store = store
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_after = stale_after
        self.run_id: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        """Take the lock, or raise LockHeldError naming the live holder."""
        now = utcnow()
        with self.store.session() as session:
            cutoff = now - self.stale_after
            stale = session.scalar(
                select(RunLockRow).where(RunLockRow.id == LOCK_ID, RunLockRow.heartbeat_at < cutoff)
            )
            if stale is not None:
                logger.warning(
                    "lock of run=%s host=%s pid=%s is stale since %s; taking it over",
                    stale.run_id,
                    stale.host,
                    stale.pid,
                    stale.heartbeat_at,
                )
                # Conditional on the old heartbeat, so two starters cannot both take over.
                session.execute(
                    delete(RunLockRow)
                    .where(RunLockRow.id == LOCK_ID, RunLockRow.heartbeat_at < cutoff)
                    .execution_options(synchronize_session=False)
                )
        self._take_over_from_dead_process()
        try:
            with self.store.session() as session:
                session.add(
                    RunLockRow(
                        id=LOCK_ID,
                        run_id=0,
                        host=socket.gethostname(),
                        pid=os.getpid(),
                        acquired_at=now,
                        heartbeat_at=now,
                    )
                )
        except StoreError as exc:
            if not _is_conflict(exc):
                raise
            raise self._held_error() from exc
        self.fail_abandoned_runs()

    def _take_over_from_dead_process(self) -> None:
        """Delete the lock if its holder ran on this host and that process no longer exists.

        A killed run leaves its heartbeat fresh for up to ``stale_after``; on the same
        host the missing process shows at once that no process will renew it.
        """
        host = socket.gethostname()
        with self.store.session() as session:
            holder = session.get(RunLockRow, LOCK_ID)
            if holder is None or holder.host != host or _process_exists(holder.pid):
                return
            logger.warning(
                "lock of run=%s host=%s pid=%s belongs to a process that no longer exists; taking it over",
                holder.run_id,
                holder.host,
                holder.pid,
            )
            # Conditional on the holder read above, so two starters cannot both take over.
            session.execute(
                delete(RunLockRow)
                .where(
                    RunLockRow.id == LOCK_ID,
                    RunLockRow.host == holder.host,
                    RunLockRow.pid == holder.pid,
                    RunLockRow.acquired_at == holder.acquired_at,
                )
                .execution_options(synchronize_session=False)
            )

    def _held_error(self) -> LockHeldError:
        with self.store.session() as session:
            holder = session.get(RunLockRow, LOCK_ID)
        if holder is None:
            return LockHeldError("another run took the lock at the same moment", hint="try again")
        return LockHeldError(
            f"run {holder.run_id} holds the lock (host {holder.host}, pid {holder.pid}, "
            f"heartbeat {_show(holder.heartbeat_at)})",
            hint="wait for it to finish; a dead run's lock is taken over at once on the same host, "
            f"and from another host after {int(self.stale_after.total_seconds())} s without a heartbeat",
        )

    def fail_abandoned_runs(self) -> list[int]:
        """Mark runs still shown as running, whose process no longer holds the lock, as failed."""
        with self.store.session() as session:
            abandoned = list(session.scalars(select(RunRow.id).where(RunRow.status == RunStatus.RUNNING)))
            if abandoned:
                session.execute(
                    update(RunRow)
                    .where(RunRow.id.in_(abandoned))
                    .values(
                        status=RunStatus.FAILED,
                        finished_at=utcnow(),
                        error="the process stopped before the run finished (no heartbeat; marked by the next run)",
                    )
                )
        for run_id in abandoned:
            logger.warning("run=%d was abandoned by a dead process; marked failed", run_id)
        return abandoned

    def attach(self, run_id: int) -> None:
        """Record which run holds the lock and start the heartbeat."""
        self.run_id = run_id
        with self.store.session() as session:
            session.execute(update(RunLockRow).where(RunLockRow.id == LOCK_ID).values(run_id=run_id))
        self._thread = threading.Thread(target=self._beat, name="run-lock-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            self.beat()

    def beat(self) -> None:
        now = utcnow()
        with self.store.session() as session:
            session.execute(update(RunLockRow).where(RunLockRow.id == LOCK_ID).values(heartbeat_at=now))
            if self.run_id is not None:
                session.execute(update(RunRow).where(RunRow.id == self.run_id).values(heartbeat_at=now))

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.store.session() as session:
            session.execute(
                delete(RunLockRow).where(
                    RunLockRow.id == LOCK_ID,
                    RunLockRow.host == socket.gethostname(),
                    RunLockRow.pid == os.getpid(),
                )
            )

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _process_exists(pid: int) -> bool:
    """Return whether a process with this id exists on this host.

    Signal 0 checks existence and permission without sending anything (kill(2)).
    NOTE: a recycled pid looks alive, and then only the heartbeat age frees the lock.
    """
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        # The process exists but belongs to another user.
        return True
    return True


def _is_conflict(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, IntegrityError):
            return True
        cause = cause.__cause__
    return False


def _show(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
