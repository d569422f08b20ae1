"""The scheduler: cron parsing, missed times, catch-up, the lock, email, and SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from apscheduler.triggers.date import DateTrigger
from deliver.mailbox import SmtpServer

from auditor.config import load
from auditor.deliver.cron import crontab_trigger, translate_weekdays
from auditor.deliver.scheduler import AuditScheduler, Outcome
from auditor.errors import ConfigError
from auditor.store.db import Store
from auditor.store.lock import RunLock

REGION = "us-east-1"
REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("*", "*"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("5-7", "fri,sat,sun"),
        ("*/2", "sun,tue,thu,sat"),
        ("1,3", "mon,wed"),
        ("mon-fri", "mon-fri"),
    ],
)
def test_crontab_weekdays_start_on_sunday(field, expected):
    assert translate_weekdays(field) == expected


def test_weekday_cron_fires_on_monday():
    trigger = crontab_trigger("30 6 * * 1", "UTC")
    saturday = datetime(2026, 8, 1, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, saturday) == datetime(2026, 8, 3, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("0 6 * *", "has 4 fields"),
        ("61 6 * * *", "higher than the maximum"),
        ("0 6 1 * 1", "restricts both"),
        ("0 6 * * 9", "out of range"),
    ],
)
def test_invalid_cron_names_key_value_and_file(tmp_path, cron, message):
    path = tmp_path / "ecr-auditor.toml"
    path.write_text(f'[[schedules]]\nname = "daily"\ncron = "{cron}"\n')
    with pytest.raises(ConfigError) as caught:
        load(path)
    text = str(caught.value)
    assert "'schedules.0.cron'" in text
    assert repr(cron) in text
    assert str(path) in text
    assert message in text


@pytest.mark.parametrize(
    ("schedules", "key"),
    [
        ('[[schedules]]\nname = "a"\ncron = "0 5 * * *"\n[[schedules]]\nname = "a"\ncron = "0 6 * * *"\n',
         "schedules.1.name"),
        ('[[schedules]]\nname = "a"\ncron = "0 5 * * *"\naudit = false\n', "schedules.0.recipients"),
        ('[[schedules]]\nname = "a"\ncron = "0 5 * * *"\nrecipients = ["x@example.com"]\n', "email.sender"),
    ],
)
def test_inconsistent_schedules_rejected(tmp_path, schedules, key):
    path = tmp_path / "ecr-auditor.toml"
    path.write_text(schedules)
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert f"'{key}'" in str(caught.value)
    assert str(path) in str(caught.value)


def write_config(tmp_path, schedule: str, extra: str = "") -> Path:
    path = tmp_path / "ecr-auditor.toml"
    path.write_text(f'[audit]\nregions = ["{REGION}"]\n{extra}\n{schedule}')
    return path


def wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def last_fire_before(now: datetime, days: int) -> datetime:
    """05:00 UTC, `days` days before today."""
    return now.replace(hour=5, minute=0, second=0, microsecond=0) - timedelta(days=days)


def expected_missed(last: datetime, now: datetime) -> list[datetime]:
    times, moment = [], last + timedelta(days=1)
    while moment < now:
        times.append(moment)
        moment += timedelta(days=1)
    return times


def test_downtime_recorded_as_missed(tmp_path):
    path = write_config(
        tmp_path, '[scheduler]\ncatch_up = false\n[[schedules]]\nname = "daily"\ncron = "0 5 * * *"\n'
    )
    config = load(path)
    now = datetime.now(UTC)
    last = last_fire_before(now, 3)
    store = Store.open(config.database_url())
    store.record_schedule_event("daily", last, Outcome.RAN, detail="before the outage")
    store.close()

    scheduler = AuditScheduler(config)
    scheduler.start()
    scheduler.shutdown()

    store = Store.open(config.database_url())
    events = store.schedule_events(schedule="daily")
    store.close()
    assert [e.outcome for e in events] == [Outcome.RAN] + [Outcome.MISSED] * len(expected_missed(last, now))
    assert [e.scheduled_for for e in events[1:]] == expected_missed(last, now)
    assert all("not running" in e.detail for e in events[1:])


def test_catch_up_runs_once_after_downtime(tmp_path, emulator):
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="app")
    path = write_config(tmp_path, '[[schedules]]\nname = "daily"\ncron = "0 5 * * *"\n')
    config = load(path)
    now = datetime.now(UTC)
    last = last_fire_before(now, 3)
    store = Store.open(config.database_url())
    store.record_schedule_event("daily", last, Outcome.RAN)

    scheduler = AuditScheduler(config)
    scheduler.start()
    try:
        ran = wait_for(lambda: [e for e in store.schedule_events(outcomes=[Outcome.RAN]) if e.scheduled_for > last])
    finally:
        scheduler.shutdown()
    events = store.schedule_events(schedule="daily")
    runs = store.runs()
    listed_by_report = store.unfinished_schedule_times(runs[-1].id)
    store.close()

    missed = expected_missed(last, now)
    [catch_up] = ran
    assert catch_up.scheduled_for == missed[-1]
    assert "catch-up" in catch_up.detail
    assert catch_up.run_id == runs[-1].id
    assert len(runs) == 1
    assert [e.scheduled_for for e in events if e.outcome == Outcome.MISSED] == missed[:-1]
    # Recorded before the catch-up run finished, so its report and email list them.
    assert [e.scheduled_for for e in listed_by_report] == missed[:-1]


def test_scheduled_run_emails_pdf(tmp_path, emulator):
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="app")
    with SmtpServer(tmp_path, "starttls") as server:
        path = write_config(
            tmp_path,
            '[[schedules]]\nname = "daily"\ncron = "0 5 * * *"\nrecipients = ["ciso@example.com"]\n',
            extra=server.config_toml(),
        )
        fire_at = datetime.now(UTC) + timedelta(seconds=1)
        scheduler = AuditScheduler(load(path), trigger_factory=lambda schedule, tz: DateTrigger(run_date=fire_at))
        scheduler.start()
        try:
            wait_for(lambda: server.received)
            store = Store.open(load(path).database_url())
            [event] = wait_for(lambda: store.schedule_events(schedule="daily"))
            store.close()
        finally:
            scheduler.shutdown()
    [received] = server.received
    [part] = list(received.message.iter_attachments())
    assert part.get_content().startswith(b"%PDF-")
    assert part.get_filename() == f"ecr-audit-run-{event.run_id}.pdf"
    assert event.outcome == Outcome.RAN
    assert event.scheduled_for == fire_at
    assert "email sent to 1 recipient(s)" in event.detail
    assert (tmp_path / "reports" / f"ecr-audit-run-{event.run_id}.pdf").read_bytes() == part.get_content()
    assert (tmp_path / "reports" / f"ecr-audit-run-{event.run_id}.html").exists()


def test_late_start_recorded_as_missed(tmp_path):
    path = write_config(
        tmp_path, '[scheduler]\nmisfire_grace_seconds = 1\n[[schedules]]\nname = "daily"\ncron = "0 5 * * *"\n'
    )
    due = datetime.now(UTC) - timedelta(hours=2)
    scheduler = AuditScheduler(load(path), trigger_factory=lambda schedule, tz: DateTrigger(run_date=due))
    scheduler.start()
    store = Store.open(load(path).database_url())
    try:
        [event] = wait_for(lambda: store.schedule_events(schedule="daily"))
    finally:
        scheduler.shutdown()
        store.close()
    assert event.outcome == Outcome.MISSED
    assert event.scheduled_for == due
    assert "misfire_grace_seconds" in event.detail
    assert event.run_id is None


def test_run_skipped_while_lock_held(tmp_path, emulator):
    path = write_config(tmp_path, '[[schedules]]\nname = "daily"\ncron = "0 5 * * *"\n')
    config = load(path)
    store = Store.open(config.database_url())
    lock = RunLock(store)
    lock.acquire()
    scheduler = AuditScheduler(config)
    try:
        result = scheduler.run_now("daily")
    finally:
        scheduler.shutdown()
        lock.release()
    [event] = store.schedule_events(schedule="daily")
    runs = store.runs()
    store.close()
    assert result.outcome == Outcome.SKIPPED
    assert result.exit_code == 2
    assert event.outcome == Outcome.SKIPPED
    assert "holds the lock" in event.detail
    assert runs == []


def test_no_schedules_is_config_error(tmp_path):
    path = write_config(tmp_path, "")
    with pytest.raises(ConfigError) as caught:
        AuditScheduler(load(path))
    assert "no [[schedules]]" in str(caught.value)


def test_sigterm_stops_scheduler_cleanly(tmp_path):
    path = write_config(tmp_path, '[[schedules]]\nname = "yearly"\ncron = "0 5 1 1 *"\n')
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    process = subprocess.Popen(
        [sys.executable, "-m", "auditor.cli", "-v", "--config", str(path), "schedule"],
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=tmp_path,
    )
    try:
        lines = []
        for line in process.stderr:
            lines.append(line)
            if "scheduler started" in line:
                break
        process.send_signal(signal.SIGTERM)
        _, remaining = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    log = "".join(lines) + remaining
    assert process.returncode == 0, log
    assert "schedule=yearly next_run=" in log
    assert "signal=SIGTERM received" in log
    assert "scheduler stopped" in log
