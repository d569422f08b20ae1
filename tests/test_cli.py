"""The command line end to end against the emulated estate, one test per exit code."""

import json

import boto3
import pytest

from auditor.cli import main

REGION = "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture
def workdir(tmp_path, emulator):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text('[audit]\nregions = ["us-east-1"]\nfail_on = "high"\n')
    return tmp_path


def run(workdir, *extra):
    return main(["--config", str(workdir / "ecr-auditor.toml"), *extra])


def test_exit_0_when_clean(workdir, capsys):
    boto3.client("ecr", region_name=REGION).create_repository(
        repositoryName="app", imageScanningConfiguration={"scanOnPush": True})
    assert run(workdir, "run") == 0
    out = capsys.readouterr().out.strip()
    assert out.endswith("ecr-audit-run-1.html")
    assert (workdir / "reports" / "ecr-audit-run-1.html").exists()
    assert (workdir / "ecr-auditor.db").exists()  # SQLite beside the config


def test_exit_1_on_high_failure(workdir):
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="app")  # never scanned
    assert run(workdir, "run") == 1


def test_fail_on_threshold_changes_exit(workdir):
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="app")
    (workdir / "ecr-auditor.toml").write_text('[audit]\nregions = ["us-east-1"]\nfail_on = "critical"\n')
    assert run(workdir, "run") == 0


def test_exit_2_on_usage_error(workdir):
    with pytest.raises(SystemExit) as caught:
        run(workdir, "run", "--no-such-flag")
    assert caught.value.code == 2


def test_exit_2_on_unknown_run(workdir, capsys):
    assert run(workdir, "report", "--run", "99", "-o", str(workdir / "r.html")) == 2
    assert "run 99 not found" in capsys.readouterr().err


def test_exit_3_when_a_check_errors(workdir, emulator):
    boto3.client("ecr", region_name=REGION).create_repository(
        repositoryName="app", imageScanningConfiguration={"scanOnPush": True})
    emulator.state.set_lifecycle_policy_text(ACCOUNT, REGION, "app", "{this is not json")
    assert run(workdir, "run") == 3


def test_exit_3_wins_over_failures(workdir, emulator):
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="app")
    emulator.state.set_lifecycle_policy_text(ACCOUNT, REGION, "app", "{this is not json")
    assert run(workdir, "run") == 3


def test_exit_4_when_database_unreachable(workdir, capsys):
    assert run(workdir, "--database-url", "postgresql+psycopg://postgres@127.0.0.1:1/none", "run") == 4
    assert "unreachable" in capsys.readouterr().err


def test_exit_4_when_report_cannot_be_written(workdir, capsys):
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="app")
    blocker = workdir / "blocked"
    blocker.write_text("a file where the report directory should be")
    assert run(workdir, "run", "--output", str(blocker)) == 4
    assert "could not be written" in capsys.readouterr().err
    # The run itself is stored complete; only the report failed.
    assert run(workdir, "history") == 0


def test_checks_list_json(capsys):
    assert main(["checks", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    ids = {r["id"] for r in rows}
    assert {"REPO-01", "REPO-05", "SCAN-01", "SCAN-02", "PERM-01", "PERM-04"} <= ids
    assert all({"id", "title", "area", "severity"} <= set(r) for r in rows)


def test_history_and_report_to_stdout(workdir, capsys):
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="app")
    run(workdir, "run")
    run(workdir, "run")
    capsys.readouterr()
    assert run(workdir, "history") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert "complete" in lines[2]
    assert run(workdir, "report", "--run", "latest", "-o", "-") == 0
    html = capsys.readouterr().out
    assert html.startswith("<!DOCTYPE html>")
    assert "Run 2" in html


def test_exit_2_while_another_run_holds_the_lock(workdir, capsys):
    from auditor.store.db import Store
    from auditor.store.lock import RunLock

    store = Store.open(f"sqlite:///{workdir / 'ecr-auditor.db'}")
    holder = RunLock(store)
    holder.acquire()
    holder.attach(store.start_run(tool_version="t", config_sha256=""))
    try:
        assert run(workdir, "run") == 2
        assert "holds the lock" in capsys.readouterr().err
    finally:
        holder.release()
        store.close()
