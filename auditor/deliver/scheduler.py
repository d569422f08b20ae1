"""`ecr-auditor schedule`: audits and emailed reports on cron schedules, in one long-running process.

APScheduler 3 runs the jobs on a single worker thread, so two jobs of this process
never run at once. The database run lock keeps audits of other processes out too,
and an audit that finds the lock held is recorded as skipped. Missed times coalesce
into one run. Every time a schedule was due is recorded in the ``schedule_events``
table as ran, missed, skipped or failed, so the record of a period is complete:

* times that passed while the scheduler was not running are found at start from the
  last recorded time and the cron expression, recorded as missed, and (with
  ``scheduler.catch_up``) the latest of them runs once;
* times that APScheduler drops (a run that could not start within
  ``misfire_grace_seconds``, or times coalesced into one run) are recorded as missed
  when the next time of that schedule is recorded.

Schedules, the time zone and the database are read at start. Every other setting
(waivers, checks, email) is read again from the config file before each job.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from types import FrameType
from zoneinfo import ZoneInfo

import boto3
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger

from auditor.audit import ExitCode, run_audit
from auditor.config import LoadedConfig, ScheduleSettings, load
from auditor.deliver.cron import crontab_trigger
from auditor.deliver.email import deliver_report
from auditor.errors import AuditorError, ConfigError, LockHeldError, StoreError
from auditor.report.html import write_html_report
from auditor.report.pdf import write_pdf_report
from auditor.store.db import Store, utcnow

logger = logging.getLogger(__name__)

# Maximum of missed times recorded for one gap, so that a minutely schedule after months
# of downtime cannot flood the table. The detail of the last recorded one notes the rest.
MAX_RECORDED_GAP = 1000

TriggerFactory = Callable[[ScheduleSettings, tzinfo], BaseTrigger]


class Outcome:
    RAN = "ran"
    MISSED = "missed"  # no run started for this time
    SKIPPED = "skipped"  # a run was due but another run held the lock, or this schedule was still running
    FAILED = "failed"


@dataclass(frozen=True)
class JobResult:
    schedule: str
    outcome: str
    run_id: int | None = None
    exit_code: int = ExitCode.CLEAN
    detail: str = ""
    # Set for catch-up and hand-started runs; APScheduler's own time otherwise.
    scheduled_for: datetime | None = None


def cron_trigger(schedule: ScheduleSettings, timezone: tzinfo) -> BaseTrigger:
    return crontab_trigger(schedule.cron, timezone)


class AuditScheduler:
    """Runs the configured schedules and records every time each was due."""

    def __init__(
        self,
        config: LoadedConfig,
        *,
        database_url: str | None = None,
        session: boto3.Session | None = None,
        trigger_factory: TriggerFactory = cron_trigger,
    ) -> None:
        settings = config.settings
        if not settings.schedules:
            raise ConfigError(
                f"{config.path}: no [[schedules]] configured",
                hint="add a [[schedules]] table with name and cron, see 'ecr-auditor init'",
            )
        self._config = config
        self._database_url = config.database_url(database_url)
        self._session = session
        self._timezone = ZoneInfo(settings.scheduler.timezone)
        self._schedules = {schedule.name: schedule for schedule in settings.schedules}
        self._triggers = {name: trigger_factory(s, self._timezone) for name, s in self._schedules.items()}
        self._store: Store | None = None
        self._scheduler: BackgroundScheduler | None = None
        self._job_lock = threading.Lock()
        self._record_lock = threading.Lock()

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self._database_url)
        return self._store

    # Running ---------------------------------------------------------------------

    def start(self) -> None:
        """Record what was missed while down, then start the scheduler thread."""
        grace = self._config.settings.scheduler.misfire_grace_seconds
        scheduler = BackgroundScheduler(
            timezone=self._timezone,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        )
        scheduler.add_listener(self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        scheduler.add_listener(self._on_max_instances, EVENT_JOB_MAX_INSTANCES)
        now = utcnow()
        for name in self._schedules:
            scheduler.add_job(self._job, self._triggers[name], args=[name], id=name, name=name)
            self._handle_downtime(scheduler, name, now)
        scheduler.start()
        self._scheduler = scheduler
        for job in scheduler.get_jobs():
            logger.info("schedule=%s next_run=%s", job.id, job.next_run_time)
        logger.info("scheduler started schedules=%d timezone=%s", len(self._schedules), self._timezone)

    def shutdown(self) -> None:
        """Stop scheduling and wait for a running job to finish, so that no run is left half done."""
        if self._scheduler is not None:
            logger.info("scheduler stopping; a running job is allowed to finish")
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
            logger.info("scheduler stopped")
        if self._store is not None:
            self._store.close()
            self._store = None

    def serve(self, stop: threading.Event | None = None) -> None:
        """Run until ``stop`` is set or the process receives SIGTERM or SIGINT."""
        stop = stop or threading.Event()
        previous: dict[int, object] = {}
        if threading.current_thread() is threading.main_thread():

            def request_stop(signum: int, _frame: FrameType | None) -> None:
                logger.info("signal=%s received", signal.Signals(signum).name)
                stop.set()

            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, request_stop)
        try:
            self.start()
            # A timeout keeps the main thread responsive to signals on every platform.
            while not stop.wait(1.0):
                pass
        finally:
            self.shutdown()
            for number, handler in previous.items():
                signal.signal(number, handler)  # type: ignore[arg-type]

    def run_now(self, name: str) -> JobResult:
        """Run one schedule's job at once, outside its cron times, and record it."""
        if name not in self._schedules:
            known = ", ".join(sorted(self._schedules))
            raise ConfigError(f"no schedule named {name!r}", hint=f"configured schedules: {known}")
        started = utcnow()
        result = self._job(name, scheduled_for=started)
        result = replace(result, detail=self._join("started by hand", result.detail))
        self._record(name, started, result.outcome, run_id=result.run_id, detail=result.detail)
        return result

    # The job ---------------------------------------------------------------------

    def _job(self, name: str, scheduled_for: datetime | None = None) -> JobResult:
        with self._job_lock:
            return self._execute(name, scheduled_for)

    def _execute(self, name: str, scheduled_for: datetime | None) -> JobResult:
        schedule = self._schedules[name]
        logger.info("job started schedule=%s audit=%s recipients=%d", name, schedule.audit, len(schedule.recipients))
        run_id: int | None = None
        exit_code: int = ExitCode.CLEAN
        try:
            config = self._reload_config()
            if schedule.audit:
                outcome = run_audit(
                    config, self.store, report_dir=config.report_dir(), session=self._session, render=write_html_report
                )
                run_id, exit_code = outcome.run_id, outcome.exit_code
            else:
                run_id = self.store.resolve("latest").id
            detail = ""
            if schedule.recipients:
                # The PDF that is attached is also kept beside the HTML report.
                pdf = write_pdf_report(self.store, run_id, config.report_dir()).read_bytes()
                delivery = deliver_report(
                    self.store,
                    run_id,
                    config,
                    schedule.recipients,
                    schedule=name,
                    only_when_changed=schedule.only_when_changed,
                    session=self._session,
                    pdf=pdf,
                )
                detail = f"email {delivery.status} to {len(delivery.recipients)} recipient(s)"
        except LockHeldError as exc:
            logger.warning("job skipped schedule=%s because %s", name, exc)
            return JobResult(name, Outcome.SKIPPED, None, exc.exit_code, str(exc), scheduled_for)
        except AuditorError as exc:
            logger.error("job failed schedule=%s run=%s error=%s", name, run_id, exc)
            return JobResult(name, Outcome.FAILED, run_id, exc.exit_code, str(exc), scheduled_for)
        logger.info("job finished schedule=%s run=%s exit_code=%d %s", name, run_id, exit_code, detail)
        return JobResult(name, Outcome.RAN, run_id, exit_code, detail, scheduled_for)

    def _reload_config(self) -> LoadedConfig:
        if not self._config.found:
            return self._config
        return load(self._config.path)

    @staticmethod
    def _join(*parts: str) -> str:
        return "; ".join(part for part in parts if part)

    # Recording -------------------------------------------------------------------

    def _handle_downtime(self, scheduler: BackgroundScheduler, name: str, now: datetime) -> None:
        last = self.store.last_scheduled_time(name)
        if last is None:
            return  # first start of this schedule: nothing can have been missed
        missed = self._due_times(name, last, now)
        if not missed:
            return
        logger.warning("schedule=%s missed=%d while the scheduler was not running", name, len(missed))
        if not self._config.settings.scheduler.catch_up:
            self._record(name, now, None, detail="")
            return
        # Coalesce: one run now stands for the latest missed time. The earlier ones are
        # recorded as missed first, so the run's report and email list them.
        self._record(name, missed[-1], None)
        scheduler.add_job(
            self._job,
            DateTrigger(run_date=now),
            args=[name, missed[-1]],
            id=f"{name}:catch-up",
            name=f"{name} (catch-up)",
            misfire_grace_time=None,
        )

    def _due_times(self, name: str, after: datetime, before: datetime) -> list[datetime]:
        """Return the times a schedule was due strictly between two moments, in UTC."""
        trigger = self._triggers[name]
        times: list[datetime] = []
        moment = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
        while moment is not None and moment < before and len(times) < MAX_RECORDED_GAP:
            times.append(moment.astimezone(UTC))
            moment = trigger.get_next_fire_time(None, moment + timedelta(microseconds=1))
        return times

    def _record(
        self,
        name: str,
        scheduled_for: datetime,
        outcome: str | None,
        *,
        run_id: int | None = None,
        detail: str = "",
    ) -> None:
        """Record one due time, after recording as missed every earlier due time not yet recorded.

        With ``outcome`` None only the missed times before ``scheduled_for`` are recorded.
        """
        with self._record_lock:
            last = self.store.last_scheduled_time(name)
            if last is not None:
                gap = self._due_times(name, last, scheduled_for)
                for index, missed in enumerate(gap):
                    note = "no run started at this time: the scheduler was not running, or the time was coalesced"
                    if index == MAX_RECORDED_GAP - 1:
                        note += f"; later missed times up to {scheduled_for.isoformat()} are not listed"
                    self.store.record_schedule_event(name, missed, Outcome.MISSED, detail=note)
            if outcome is not None:
                self.store.record_schedule_event(name, scheduled_for, outcome, run_id=run_id, detail=detail)

    def _on_event(self, event: JobExecutionEvent) -> None:
        name = event.job_id.split(":", 1)[0]
        try:
            if event.code == EVENT_JOB_EXECUTED:
                result: JobResult = event.retval
                catch_up = event.job_id.endswith(":catch-up")
                detail = self._join("catch-up run for missed times" if catch_up else "", result.detail)
                when = result.scheduled_for or event.scheduled_run_time
                self._record(name, when, result.outcome, run_id=result.run_id, detail=detail)
            elif event.code == EVENT_JOB_MISSED:
                logger.warning("schedule=%s missed time=%s", name, event.scheduled_run_time)
                self._record(
                    name,
                    event.scheduled_run_time,
                    Outcome.MISSED,
                    detail="could not start within scheduler.misfire_grace_seconds of its time",
                )
            else:
                logger.error("schedule=%s job raised %r", name, event.exception)
                self._record(
                    name,
                    event.scheduled_run_time,
                    Outcome.FAILED,
                    detail=f"{type(event.exception).__name__}: {event.exception}",
                )
        except StoreError as exc:
            logger.error("schedule=%s time=%s could not be recorded: %s", name, event.scheduled_run_time, exc)

    def _on_max_instances(self, event: JobSubmissionEvent) -> None:
        name = event.job_id.split(":", 1)[0]
        try:
            for moment in event.scheduled_run_times:
                self._record(
                    name, moment, Outcome.SKIPPED, detail="the previous run of this schedule was still running"
                )
        except StoreError as exc:
            logger.error("schedule=%s skipped times could not be recorded: %s", name, exc)
