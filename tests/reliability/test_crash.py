"""SIGKILL during collection and during report writing: the next run marks the dead run
failed and completes, and earlier runs and their reports stay intact, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

from auditor.emulator import EmulatorServer
from auditor.emulator.seed import DEFAULT_ACCOUNT
from auditor.store.db import Store
from reliability import cli
from reliability.estate import seed_estate

COMPLETE_EXIT_CODES = (0, 1)


def report_path(workdir: Path, run_id: int) -> Path:
    return workdir / "reports" / f"ecr-audit-run-{run_id}.html"


def assert_whole_html(path: Path) -> None:
    text = path.read_text()
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert text.rstrip().endswith("</html>")


def run_states(database_url: str) -> dict[int, str]:
    store = Store.open(database_url)
    try:
        return {run.id: run.status for run in store.runs()}
    finally:
        store.close()


def test_killed_runs_recovered(emulator: EmulatorServer, tmp_path: Path, database_url: str) -> None:
    seed_estate(emulator)
    # One registry keeps each of the five runs short; the latency below stretches run 2 instead.
    config = cli.write_config(tmp_path, database_url, accounts=[DEFAULT_ACCOUNT], regions=["us-east-1"])
    env = cli.child_environment(emulator)

    first = cli.run(config, env, "run", name="run1")
    assert first.process.returncode in COMPLETE_EXIT_CODES, first.errors()
    first_report = report_path(tmp_path, 1).read_bytes()
    store = Store.open(database_url)
    first_results = sorted((r.check_id, str(r.resource), r.status.value) for r in store.load_results(1))
    first_score = store.run(1).score
    store.close()

    # Run 2: killed while it collects. Latency keeps collection going long enough to land inside it.
    emulator.latency_ms = 100
    collecting = cli.start(config, env, "-v", "run", name="run2")
    collecting.wait_for_log("run=2 started")
    time.sleep(0.5)
    collecting.kill()
    emulator.latency_ms = 0
    assert run_states(database_url)[2] == "running"
    assert not report_path(tmp_path, 2).exists()

    # Run 3: killed after the run was stored as complete and before it was sealed or reported.
    unsealed = cli.start(config, env, "-v", "run", name="run3")
    unsealed.wait_for_log("run=3 complete")
    unsealed.kill()

    # Run 4: killed while its HTML report is rendered and written.
    reporting = cli.start(config, env, "-v", "run", name="run4")
    reporting.wait_for_log("run=4 sealed")
    reporting.kill()

    last = cli.run(config, env, "run", name="run5")
    assert last.process.returncode in COMPLETE_EXIT_CODES, last.errors()

    store = Store.open(database_url)
    runs = {run.id: run for run in store.runs()}
    assert runs[2].status == "failed"
    assert runs[2].error is not None
    assert "stopped before the run finished" in runs[2].error
    assert runs[2].score is None
    assert [runs[i].status for i in (1, 3, 4, 5)] == ["complete"] * 4
    assert sorted((r.check_id, str(r.resource), r.status.value) for r in store.load_results(1)) == first_results
    assert store.run(1).score == first_score
    assert store.load_results(2) == []
    store.close()

    # Earlier reports are untouched; a report cut short by the kill is either whole or absent.
    assert report_path(tmp_path, 1).read_bytes() == first_report
    assert not report_path(tmp_path, 3).exists()
    if report_path(tmp_path, 4).exists():
        assert_whole_html(report_path(tmp_path, 4))
    assert_whole_html(report_path(tmp_path, 5))

    # The report of a run killed before it was written can be rendered afterwards, and the evidence chain holds.
    rendered = cli.run(config, env, "report", "--run", "3", "-o", str(report_path(tmp_path, 3)), name="report")
    assert rendered.process.returncode == 0, rendered.errors()
    assert_whole_html(report_path(tmp_path, 3))
    package = tmp_path / "evidence.zip"
    exported = cli.run(config, env, "evidence", "export", "--run", "5", "-o", str(package), name="export")
    assert exported.process.returncode == 0, exported.errors()
    verified = cli.run(config, env, "evidence", "verify", str(package), name="verify")
    assert verified.process.returncode == 0, verified.errors()
