"""Email delivery of a run's report: an HTML summary with the PDF report attached.

Two transports: SMTP (STARTTLS, implicit TLS, or a plain connection to a local
relay) with a login read from environment variables, and Amazon SES through the
boto3 credential chain. The SMTP login is never logged or stored. The SES client
accepts only the operations in ``DELIVERY_OPERATIONS``, the one write allow-list,
kept apart from the collectors' read-only one.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from jinja2 import Environment, FileSystemLoader, select_autoescape

from auditor.aws.permissions import ForbiddenOperationError, is_delivery_allowed
from auditor.checks.model import Severity, Status
from auditor.checks.score import Score, score
from auditor.checks.waivers import WaiverReview, WaiverState
from auditor.config import EmailSettings, LoadedConfig
from auditor.deliver.changes import ResultChange, compare_results, compare_runs
from auditor.errors import AuditorError, ConfigError, RunNotFoundError
from auditor.report.pdf import render_pdf
from auditor.store.db import EmailDelivery, RunInfo, ScheduleEvent, Store, utcnow

logger = logging.getLogger(__name__)

_TEMPLATES = Path(__file__).resolve().parent / "templates"
# Rows of new and resolved failures listed in the email body; the PDF has them all.
MAX_LISTED_CHANGES = 25


class DeliveryError(AuditorError):
    """The report could not be sent."""

    exit_code = 4


class DeliveryStatus:
    SENT = "sent"
    UNCHANGED = "unchanged"  # not sent: the results equal those of the run last sent
    FAILED = "failed"


@dataclass(frozen=True)
class RunSummary:
    """The facts about one run that the email body shows."""

    run: RunInfo
    previous: RunInfo | None
    total: Score
    failed_by_severity: dict[Severity, int]
    new_failures: list[ResultChange]
    resolved_failures: list[ResultChange]
    settings_changed: int
    waivers: list[WaiverReview]
    missed_runs: list[ScheduleEvent]
    collection_errors: int

    @property
    def score_change(self) -> float | None:
        if self.previous is None or self.previous.score is None or self.run.score is None:
            return None
        return round(self.run.score - self.previous.score, 1)

    @property
    def expiring_waivers(self) -> list[WaiverReview]:
        return [w for w in self.waivers if w.expiring_soon]

    @property
    def expired_waivers(self) -> list[WaiverReview]:
        return [w for w in self.waivers if w.state is WaiverState.EXPIRED]

    @property
    def unmatched_waivers(self) -> list[WaiverReview]:
        return [w for w in self.waivers if w.state is WaiverState.UNMATCHED]

    @property
    def broad_waivers(self) -> list[WaiverReview]:
        return [w for w in self.waivers if w.broad and w.state is not WaiverState.EXPIRED]


def summarise_run(store: Store, run_id: int) -> RunSummary:
    run = store.run(run_id)
    previous = store.previous_complete(run_id)
    results = store.load_results(run_id)
    if previous is not None:
        comparison = compare_runs(store, previous.id, run_id)
        new_failures, resolved = comparison.new_failures, comparison.resolved_failures
        settings_changed = len(comparison.settings.changes)
    else:
        new_failures, resolved, settings_changed = [], [], 0
    failed = [r.severity for r in results if r.status is Status.FAIL]
    return RunSummary(
        run=run,
        previous=previous,
        total=score(results),
        failed_by_severity={severity: failed.count(severity) for severity in Severity},
        new_failures=new_failures,
        resolved_failures=resolved,
        settings_changed=settings_changed,
        waivers=store.load_waiver_reviews(run_id),
        missed_runs=store.unfinished_schedule_times(run_id),
        collection_errors=len(store.load_errors(run_id)),
    )


def _number(value: float | None, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:.1f}{suffix}"


def describe_change(summary: RunSummary) -> str:
    if summary.previous is None:
        return "first run"
    change = summary.score_change
    if change is None:
        return f"no score to compare with run {summary.previous.id}"
    if change == 0:
        return f"unchanged since run {summary.previous.id}"
    return f"{change:+.1f} since run {summary.previous.id}"


def subject_line(prefix: str, summary: RunSummary) -> str:
    """Return e.g. ``[ecr-auditor] ECR audit run 12: score 84.2 (+3.1 since run 11), coverage 98.0%``."""
    text = (
        f"ECR audit run {summary.run.id}: score {_number(summary.run.score)} ({describe_change(summary)}), "
        f"coverage {_number(summary.run.coverage, '%')}"
    )
    return f"{prefix} {text}" if prefix else text


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(_TEMPLATES)),
        autoescape=select_autoescape(("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(Status=Status, Severity=Severity, max_listed=MAX_LISTED_CHANGES)
    env.filters["number"] = _number
    return env


def compose_message(
    summary: RunSummary, *, pdf: bytes, sender: str, recipients: Sequence[str], subject_prefix: str
) -> EmailMessage:
    """Build the email: plain text and HTML alternatives, and the PDF report attached."""
    env = _environment()
    values: dict[str, Any] = {"summary": summary, "change": describe_change(summary)}
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = subject_line(subject_prefix, summary)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message.set_content(env.get_template("summary.txt.j2").render(values))
    message.add_alternative(env.get_template("summary.html.j2").render(values), subtype="html")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"ecr-audit-run-{summary.run.id}.pdf")
    return message


# Sending ----------------------------------------------------------------------


def send_message(
    message: EmailMessage,
    settings: EmailSettings,
    recipients: Sequence[str],
    *,
    config_dir: Path,
    session: boto3.Session | None = None,
) -> str:
    """Send through the configured transport and return the message id."""
    sender = message["From"]
    if settings.transport == "ses":
        return _send_ses(message, settings, sender, recipients, session)
    return _send_smtp(message, settings, sender, recipients, config_dir)


def check_transport(settings: EmailSettings) -> None:
    """Raise ConfigError for transport settings that cannot send, before any work is done."""
    if settings.transport == "smtp":
        _smtp_login(settings)


def _smtp_login(settings: EmailSettings) -> tuple[str, str] | None:
    """Return the SMTP user name and password from the environment, or None for no login."""
    smtp = settings.smtp
    if smtp.host is None:
        raise ConfigError("missing key 'email.smtp.host': set the SMTP server to send email through SMTP")
    username = os.environ.get(smtp.username_env) or None
    password = os.environ.get(smtp.password_env) or None
    if (username is None) != (password is None):
        raise ConfigError(
            f"only one of ${smtp.username_env} and ${smtp.password_env} is set",
            hint="set both for a server that needs a login, or neither",
        )
    if username is None or password is None:
        return None
    if smtp.security == "none":
        raise ConfigError(
            "the SMTP login is never sent over a connection without TLS (email.smtp.security = 'none')",
            hint="use security = 'starttls' or 'tls', or unset the login variables for a local relay",
        )
    return username, password


def _send_smtp(
    message: EmailMessage, settings: EmailSettings, sender: str, recipients: Sequence[str], config_dir: Path
) -> str:
    smtp = settings.smtp
    login = _smtp_login(settings)
    assert smtp.host is not None  # _smtp_login raises ConfigError without one
    port = smtp.effective_port
    context = _tls_context(smtp.ca_file, config_dir) if smtp.security != "none" else None
    logger.info(
        "smtp sending host=%s port=%d security=%s login=%s recipients=%d",
        smtp.host,
        port,
        smtp.security,
        "yes" if login else "no",
        len(recipients),
    )
    try:
        client: smtplib.SMTP
        if smtp.security == "tls":
            client = smtplib.SMTP_SSL(smtp.host, port, timeout=smtp.timeout_seconds, context=context)
        else:
            client = smtplib.SMTP(smtp.host, port, timeout=smtp.timeout_seconds)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=context)
            if login is not None:
                client.login(*login)
            rejected = client.send_message(message, from_addr=sender, to_addrs=list(recipients))
    except smtplib.SMTPAuthenticationError as exc:
        # The server's reply contains no secret; the user name is left out all the same.
        raise DeliveryError(
            f"SMTP login to {smtp.host}:{port} was rejected ({exc.smtp_code})",
            hint=f"check ${smtp.username_env} and ${smtp.password_env}",
        ) from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise DeliveryError(
            f"sending email through {smtp.host}:{port} ({smtp.security}) failed: {exc}",
            hint="check email.smtp in the config and that the server is reachable",
        ) from exc
    for address, (code, reply) in rejected.items():
        logger.warning("smtp rejected recipient=%s code=%s reply=%r", address, code, reply)
    return str(message["Message-ID"])


def _tls_context(ca_file: Path | None, config_dir: Path) -> ssl.SSLContext:
    if ca_file is None:
        return ssl.create_default_context()
    path = ca_file if ca_file.is_absolute() else config_dir / ca_file
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"invalid value '{ca_file}' for 'email.smtp.ca_file': {path} could not be read: {exc}"
        ) from exc


def _guard_delivery(model: Any, **_: Any) -> None:
    service = model.service_model.service_name
    if not is_delivery_allowed(service, model.name):
        raise ForbiddenOperationError(f"{service}:{model.name} is not on the delivery allow-list of ecr-auditor")


def _send_ses(
    message: EmailMessage,
    settings: EmailSettings,
    sender: str,
    recipients: Sequence[str],
    session: boto3.Session | None,
) -> str:
    ses = settings.ses
    base = session or boto3.Session()
    raw = message.as_bytes()
    # NOTE: SES rejects messages above its size limit; a very large PDF has not been tried against it.
    try:
        client = base.client(ses.api, region_name=ses.region)
        client.meta.events.register(f"before-call.{ses.api}", _guard_delivery)
        logger.info(
            "ses sending api=%s region=%s bytes=%d recipients=%d",
            ses.api,
            client.meta.region_name,
            len(raw),
            len(recipients),
        )
        extra = {"ConfigurationSetName": ses.configuration_set} if ses.configuration_set else {}
        if ses.api == "sesv2":
            answer = client.send_email(
                FromEmailAddress=sender,
                Destination={"ToAddresses": list(recipients)},
                Content={"Raw": {"Data": raw}},
                **extra,
            )
        else:
            answer = client.send_raw_email(
                Source=sender, Destinations=list(recipients), RawMessage={"Data": raw}, **extra
            )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise DeliveryError(
            f"SES {ses.api} rejected the email: {error.get('Code', 'error')}: {error.get('Message', exc)}",
            hint="check that the sender is a verified identity and that the role may call SES",
        ) from exc
    except BotoCoreError as exc:
        raise DeliveryError(f"SES {ses.api} could not be called: {exc}", hint="set email.ses.region") from exc
    return str(answer["MessageId"])


# Delivery of a stored run ------------------------------------------------------


def unchanged_since_last_delivery(store: Store, run_id: int, schedule: str) -> int | None:
    """Return the run this schedule last sent when its results equal this run's, else None."""
    sent = store.deliveries(schedule=schedule, status=DeliveryStatus.SENT)
    if not sent:
        return None
    last = sent[-1].run_number
    if last == run_id:
        return last
    try:
        store.run(last)
    except RunNotFoundError:
        return None  # pruned since: nothing to compare with
    if compare_results(store.load_results(last), store.load_results(run_id)):
        return None
    return last


def deliver_report(
    store: Store,
    run_id: int,
    config: LoadedConfig,
    recipients: Sequence[str],
    *,
    schedule: str | None = None,
    only_when_changed: bool = False,
    session: boto3.Session | None = None,
    pdf: bytes | None = None,
) -> EmailDelivery:
    """Email the run's report and record the delivery; a failed send is recorded and raised.

    ``pdf`` is the run's PDF report when the caller has rendered it already; otherwise
    it is rendered here.
    """
    settings = config.settings.email
    if settings.sender is None:
        raise ConfigError(f"{config.path}: missing key 'email.sender': set the From address to send email")
    if not recipients:
        raise ConfigError("no recipients: give at least one address")
    # Rendering the PDF takes seconds, so settings that cannot work fail first.
    check_transport(settings)
    if only_when_changed and schedule is not None:
        same_as = unchanged_since_last_delivery(store, run_id, schedule)
        if same_as is not None:
            logger.info("email skipped schedule=%s run=%d unchanged_since_run=%d", schedule, run_id, same_as)
            return _record(
                store,
                run_id,
                schedule,
                settings,
                recipients,
                "",
                DeliveryStatus.UNCHANGED,
                detail=f"results equal those of run {same_as}, sent before",
            )
    summary = summarise_run(store, run_id)
    message = compose_message(
        summary,
        pdf=render_pdf(store, run_id) if pdf is None else pdf,
        sender=settings.sender,
        recipients=recipients,
        subject_prefix=settings.subject_prefix,
    )
    subject = str(message["Subject"])
    try:
        message_id = send_message(message, settings, recipients, config_dir=config.directory, session=session)
    except AuditorError as exc:
        _record(store, run_id, schedule, settings, recipients, subject, DeliveryStatus.FAILED, detail=str(exc))
        raise
    logger.info(
        "email sent run=%d schedule=%s transport=%s recipients=%d message_id=%s",
        run_id,
        schedule or "-",
        settings.transport,
        len(recipients),
        message_id,
    )
    return _record(store, run_id, schedule, settings, recipients, subject, DeliveryStatus.SENT, message_id=message_id)


def _record(
    store: Store,
    run_id: int,
    schedule: str | None,
    settings: EmailSettings,
    recipients: Sequence[str],
    subject: str,
    status: str,
    *,
    message_id: str | None = None,
    detail: str = "",
) -> EmailDelivery:
    delivery = EmailDelivery(
        run_number=run_id,
        schedule=schedule,
        transport=settings.transport,
        recipients=tuple(recipients),
        subject=subject,
        sent_at=utcnow(),
        status=status,
        message_id=message_id,
        detail=detail,
    )
    store.record_delivery(delivery)
    return delivery
