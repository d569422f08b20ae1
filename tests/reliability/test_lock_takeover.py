"""The run lock of a process that died on this host is taken over at once, without waiting for the heartbeat."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from sqlalchemy import update

from auditor.errors import LockHeldError
from auditor.store.db import Store
from auditor.store.lock import RunLock
from auditor.store.models import RunLockRow


def dead_pid() -> int:
    """Return the id of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def hold_lock_as(store: Store, host: str, pid: int) -> int:
    """Take the lock and attach a run, then rewrite the holder as another process."""
    lock = RunLock(store, heartbeat_seconds=3600)
    lock.acquire()
    run_id = store.start_run(tool_version="t", config_sha256="")
    lock.attach(run_id)
    lock._stop.set()  # no more heartbeats: the process "dies" with a fresh heartbeat on record
    with store.session() as session:
        session.execute(update(RunLockRow).values(host=host, pid=pid))
    return run_id


def test_dead_local_holder_taken_over_at_once(database_url):
    store = Store.open(database_url)
    dead_run = hold_lock_as(store, socket.gethostname(), dead_pid())

    fresh = RunLock(store)
    fresh.acquire()

    info = store.run(dead_run)
    assert info.status == "failed"
    assert info.error is not None
    with store.session() as session:
        holder = session.get(RunLockRow, 1)
        assert holder is not None
        assert holder.pid == os.getpid()
    fresh.release()
    store.close()


@pytest.mark.parametrize(
    ("host", "alive"),
    [
        ("another-host.example", False),  # a pid on another host tells nothing about this host's processes
        (None, True),  # this host, and the process is alive (the test process itself)
    ],
)
def test_holder_with_fresh_heartbeat_kept(database_url, host, alive):
    store = Store.open(database_url)
    pid = os.getpid() if alive else dead_pid()
    held_run = hold_lock_as(store, host or socket.gethostname(), pid)

    with pytest.raises(LockHeldError) as caught:
        RunLock(store).acquire()

    assert f"run {held_run} holds the lock" in str(caught.value)
    assert store.run(held_run).status == "running"
    store.close()
