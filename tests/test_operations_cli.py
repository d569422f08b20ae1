"""The operator commands end to end: schedule --once, email, diff, prune, history, errors."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from deliver.mailbox import SmtpServer
from sqlalchemy import update

from auditor.cli import main
from auditor.inventory import Kind, ScopeEntry, ScopeStatus, Snapshot, SnapshotState
from auditor.store.db import Store, utcnow
from auditor.store.lock import RunLock
from auditor.store.models import PayloadRow, RunRow

REGION = "us-east-1"
ACCOUNT = "123456789012"


def cli(config, *arguments):
    return main(["--config", str(config), *arguments])


@pytest.fixture
def ecr(emulator):
    client = boto3.client("ecr", region_name=REGION)
    client.create_repository(repositoryName="app")
    return client


def test_schedule_once_emails_pdf(tmp_path, ecr, capsys):
    with SmtpServer(tmp_path, "tls") as server:
        config = tmp_path / "ecr-auditor.toml"
        config.write_text(
            f'[audit]\nregions = ["{REGION}"]\n'
            + server.config_toml()
            + '[[schedules]]\nname = "weekly"\ncron = "0 7 * * mon"\nrecipients = ["ciso@example.com"]\n'
        )
        code = cli(config, "schedule", "--once", "weekly")
    err = capsys.readouterr().err
    assert code == 1  # the audit's exit code: a high failure remains
    assert "schedule weekly: ran, run 1, exit code 1" in err
    [received] = server.received
    [part] = list(received.message.iter_attachments())
    assert part.get_filename() == "ecr-audit-run-1.pdf"
    assert part.get_content().startswith(b"%PDF-")

    assert cli(config, "history", "--schedule") == 0
    out = capsys.readouterr().out
    assert "weekly" in out
    assert "ran" in out
    assert "started by hand; email sent to 1 recipient(s)" in out


def test_schedule_once_unknown_name(tmp_path, capsys):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text('[[schedules]]\nname = "daily"\ncron = "0 5 * * *"\n')
    assert cli(config, "schedule", "--once", "nightly") == 2
    assert "no schedule named 'nightly'" in capsys.readouterr().err


def test_email_command_sends_latest(tmp_path, ecr, capsys):
    with SmtpServer(tmp_path) as server:
        config = tmp_path / "ecr-auditor.toml"
        config.write_text(f'[audit]\nregions = ["{REGION}"]\n' + server.config_toml())
        assert cli(config, "run") == 1
        capsys.readouterr()
        assert cli(config, "email", "--to", "a@example.com", "--to", "b@example.com") == 0
    out, err = capsys.readouterr()
    [received] = server.received
    assert received.recipients == ["a@example.com", "b@example.com"]
    assert out.strip() == received.message["Message-ID"]
    assert "run 1: email sent to 2 recipient(s)" in err


def test_email_without_sender_is_config_error(tmp_path, ecr, capsys):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text(f'[audit]\nregions = ["{REGION}"]\n')
    cli(config, "run")
    capsys.readouterr()
    assert cli(config, "email", "--to", "a@example.com") == 2
    assert "missing key 'email.sender'" in capsys.readouterr().err


def test_diff_shows_results_and_settings(tmp_path, ecr, capsys):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text(f'[audit]\nregions = ["{REGION}"]\n')
    assert cli(config, "run") == 1
    ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=[])
    ecr.create_repository(repositoryName="new-app")
    cli(config, "run")
    capsys.readouterr()

    assert cli(config, "diff", "1", "latest") == 0
    out, err = capsys.readouterr()
    assert err.startswith("run 1 -> run 2: score ")
    lines = out.splitlines()
    [scan] = [line for line in lines if " SCAN-01 " in line]
    assert "FAIL -> PASS" in scan
    new_app = [line for line in lines if line.endswith("]") and f"{ACCOUNT}/{REGION}/repository/new-app" in line]
    assert new_app
    assert all("none -> " in line for line in new_app)
    settings = [line for line in lines if line.startswith("setting ")]
    assert any("Scanning" in line for line in settings)

    assert cli(config, "diff", "1", "2", "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    scan = [c for c in document["results"] if c["check"] == "SCAN-01"]
    assert [(c["before"], c["after"]) for c in scan] == [("FAIL", "PASS")]
    assert len(scan[0]["id"]) == 20
    assert any(s["feature"] == "Scanning" for s in document["settings"])


def test_diff_unknown_run(tmp_path, capsys):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text("")
    assert cli(config, "diff", "1", "2") == 2
    assert "run 1 not found" in capsys.readouterr().err


# Retention --------------------------------------------------------------------------


def snapshot(name: str, body: dict) -> Snapshot:
    return Snapshot(ACCOUNT, REGION, Kind.REPOSITORY, name, SnapshotState.PRESENT, body)


def stored_run(store: Store, *snapshots: Snapshot, days_ago: int, status: str = "complete") -> int:
    run_id = store.start_run(tool_version="test", config_sha256="0" * 64)
    store.save_unit(run_id, ScopeEntry(ACCOUNT, REGION, ScopeStatus.AUDITED), list(snapshots), [])
    if status == "complete":
        store.finish_run(run_id, score=90.0, coverage=100.0, exit_code=0)
    elif status == "failed":
        store.fail_run(run_id, "test failure")
    with store.session() as session:
        session.execute(
            update(RunRow).where(RunRow.id == run_id).values(started_at=utcnow() - timedelta(days=days_ago))
        )
    return run_id


def payload_count(store: Store) -> int:
    return store.payload_stats()[0]


def test_prune_keeps_shared_payloads(tmp_path, database_url, capsys):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n')
    store = Store.open(database_url)
    shared = snapshot("shared", {"repositoryName": "shared"})
    only_old = snapshot("old-only", {"repositoryName": "old-only", "version": 1})
    first = stored_run(store, shared, only_old, days_ago=90)
    failed = stored_run(store, shared, days_ago=60, status="failed")
    second = stored_run(store, shared, days_ago=40)
    latest = stored_run(store, shared, snapshot("new", {"repositoryName": "new"}), days_ago=1)
    assert payload_count(store) == 3
    store.close()

    assert cli(config, "prune", "--older-than", "30", "--dry-run") == 0
    out, err = capsys.readouterr()
    assert out.split() == [str(first), str(failed), str(second)]
    assert "would delete 3 run(s) and 1 unreferenced payload(s)" in err
    store = Store.open(database_url)
    assert [r.id for r in store.runs()] == [first, failed, second, latest]
    store.close()

    assert cli(config, "prune", "--older-than", "30") == 0
    out, err = capsys.readouterr()
    assert out.split() == [str(first), str(failed), str(second)]
    assert "deleted 3 run(s) and 1 unreferenced payload(s)" in err
    assert f"kept the latest complete run {latest}" in err
    store = Store.open(database_url)
    assert [r.id for r in store.runs()] == [latest]
    assert store.pruned_runs() == [first, failed, second]
    assert payload_count(store) == 2
    registry = store.load_inventory(latest).registry(ACCOUNT, REGION)
    assert sorted(r.name for r in registry.repositories()) == ["new", "shared"]
    with store.session() as session:
        assert session.query(PayloadRow).count() == 2
    store.close()

    assert cli(config, "history") == 0
    assert "3 run(s) were pruned" in capsys.readouterr().err


def test_prune_never_removes_latest_complete(tmp_path, database_url, capsys):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n')
    store = Store.open(database_url)
    old = stored_run(store, snapshot("a", {"repositoryName": "a"}), days_ago=100)
    latest_complete = stored_run(store, snapshot("a", {"repositoryName": "a"}), days_ago=90)
    newer_failed = stored_run(store, days_ago=80, status="failed")
    store.close()

    assert cli(config, "prune", "--older-than", "0") == 0
    assert capsys.readouterr().out.split() == [str(old)]
    store = Store.open(database_url)
    assert [r.id for r in store.runs()] == [latest_complete, newer_failed]
    assert payload_count(store) == 1
    store.close()


def test_prune_waits_for_no_run(tmp_path, database_url, capsys):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n')
    store = Store.open(database_url)
    stored_run(store, days_ago=100)
    stored_run(store, days_ago=1)
    with RunLock(store):
        assert cli(config, "prune", "--older-than", "30") == 2
    assert "holds the lock" in capsys.readouterr().err
    assert len(store.runs()) == 2
    store.close()


def test_prune_rejects_negative_days(tmp_path, capsys):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text("")
    assert cli(config, "prune", "--older-than", "-1") == 2
    assert "invalid --older-than -1" in capsys.readouterr().err


# Errors and validation ---------------------------------------------------------------


def test_each_config_error_on_its_own_line(tmp_path, capsys):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text("[audit]\nmax_workers = 0\nfail_on = 'urgent'\n")
    assert cli(config, "config", "validate") == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"ecr-auditor: error: {config}: invalid value") for line in lines)
    assert "Traceback" not in "\n".join(lines)


def test_debug_shows_traceback(tmp_path, capsys):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text("[audit]\nmax_workers = 0\n")
    assert main(["--debug", "--config", str(config), "config", "validate"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_validate_lists_waiver_warnings_and_schedules(tmp_path, capsys):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text(
        "[[waivers]]\ncheck = '*'\nresource = '*'\nreason = 'everything'\napprover = 'nobody'\nexpires = 2000-01-01\n"
        "[[schedules]]\nname = 'daily'\ncron = '0 5 * * *'\n"
    )
    assert cli(config, "config", "validate") == 0
    err = capsys.readouterr().err
    assert "warning: waiver 1 (* on *): expired on 2000-01-01" in err
    assert "warning: waiver 1 (* on *): broad, it matches every check" in err
    assert "schedule daily: 0 5 * * * (audit), next " in err


def test_evidence_of_oldest_kept_run_after_prune(tmp_path, database_url, capsys):
    from auditor.evidence.chain import seal_pending

    config = tmp_path / "ecr-auditor.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n')
    store = Store.open(database_url)
    stored_run(store, snapshot("app", {"repositoryName": "app"}), days_ago=90)
    kept = stored_run(store, snapshot("app", {"repositoryName": "app", "v": 2}), days_ago=1)
    seal_pending(store)
    store.close()
    assert cli(config, "prune", "--older-than", "30") == 0
    package = tmp_path / "kept.zip"
    assert cli(config, "evidence", "export", "--run", str(kept), "--output", str(package)) == 0
    assert cli(config, "evidence", "verify", str(package)) == 0
