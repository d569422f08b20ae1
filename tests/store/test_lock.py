from datetime import timedelta

import pytest
from sqlalchemy import update

from auditor.errors import LockHeldError
from auditor.store.db import Store, utcnow
from auditor.store.lock import RunLock
from auditor.store.models import RunLockRow


def test_second_live_run_is_refused_naming_holder(database_url):
    store = Store.open(database_url)
    first = RunLock(store)
    first.acquire()
    run_id = store.start_run(tool_version="t", config_sha256="")
    first.attach(run_id)
    with pytest.raises(LockHeldError) as caught:
        RunLock(store).acquire()
    assert f"run {run_id} holds the lock" in str(caught.value)
    assert caught.value.exit_code == 2
    first.release()
    second = RunLock(store)
    second.acquire()  # free again after release
    second.release()
    store.close()


def test_stale_lock_taken_over_and_dead_run_failed(database_url):
    store = Store.open(database_url)
    dead = RunLock(store)
    dead.acquire()
    dead_run = store.start_run(tool_version="t", config_sha256="")
    dead.attach(dead_run)
    dead._stop.set()  # the process "dies": no more heartbeats, lock left behind
    with store.session() as session:
        session.execute(update(RunLockRow).values(heartbeat_at=utcnow() - timedelta(minutes=10)))
    fresh = RunLock(store, stale_after=timedelta(minutes=5))
    fresh.acquire()
    info = store.run(dead_run)
    assert info.status == "failed"
    assert "heartbeat" in info.error
    fresh.release()
    store.close()


def test_heartbeat_updates_run(database_url):
    store = Store.open(database_url)
    lock = RunLock(store, heartbeat_seconds=3600)
    lock.acquire()
    run_id = store.start_run(tool_version="t", config_sha256="")
    lock.attach(run_id)
    before = store.run(run_id)
    lock.beat()
    with store.session() as session:
        row = session.get(RunLockRow, 1)
        assert row.run_id == run_id
    lock.release()
    assert before.status == "running"
    store.close()
