"""PostgreSQL lost or restarted during a run, on a throwaway cluster: exit code 4 with a clear
error when it is gone, and never a half-written run shown as complete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.emulator import EmulatorServer
from auditor.emulator.seed import DEFAULT_ACCOUNT
from auditor.store.db import Store
from reliability import cli
from reliability.estate import seed_estate
from reliability.pgcluster import Cluster, throwaway_cluster


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with throwaway_cluster() as started:
        yield started


def statuses(url: str) -> dict[int, str]:
    store = Store.open(url)
    try:
        return {run.id: run.status for run in store.runs()}
    finally:
        store.close()


def test_database_stopped_mid_run_exits_4(emulator: EmulatorServer, tmp_path: Path, cluster: Cluster) -> None:
    seed_estate(emulator)
    config = cli.write_config(tmp_path, cluster.url, accounts=[DEFAULT_ACCOUNT])
    env = cli.child_environment(emulator)
    emulator.latency_ms = 100

    child = cli.start(config, env, "-v", "run", name="stopped")
    child.wait_for_log("run=1 started")
    cluster.stop()
    code = child.finish()
    emulator.latency_ms = 0

    errors = child.errors()
    assert code == 4, errors
    assert "ecr-auditor: error: database" in errors
    assert "Traceback" not in errors
    assert not (tmp_path / "reports" / "ecr-audit-run-1.html").exists()

    cluster.start()
    assert statuses(cluster.url) == {1: "running"}
    after = cli.run(config, env, "run", name="after")
    assert after.process.returncode in (0, 1), after.errors()
    assert statuses(cluster.url) == {1: "failed", 2: "complete"}


def test_database_restarted_mid_run_never_half_complete(
    emulator: EmulatorServer, tmp_path: Path, cluster: Cluster
) -> None:
    seed_estate(emulator)
    config = cli.write_config(tmp_path, cluster.url, accounts=[DEFAULT_ACCOUNT])
    env = cli.child_environment(emulator)
    reference = cli.run(config, env, "run", name="reference")
    assert reference.process.returncode in (0, 1), reference.errors()
    emulator.latency_ms = 100

    child = cli.start(config, env, "-v", "run", name="restarted")
    child.wait_for_log("run=2 started")
    cluster.restart()
    code = child.finish()
    emulator.latency_ms = 0

    store = Store.open(cluster.url)
    run = store.run(2)
    results = store.load_results(2)
    reference_results = store.load_results(1)
    store.close()
    if code == 4:
        assert "ecr-auditor: error:" in child.errors()
        assert run.status != "complete"
    else:
        # The connection pool's pre-ping replaced the connections that the restart closed.
        assert code == reference.process.returncode, child.errors()
        assert run.status == "complete"
        assert len(results) == len(reference_results)
