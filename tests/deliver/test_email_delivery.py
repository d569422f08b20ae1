"""Email delivery against a real SMTP server on 127.0.0.1 and SES in the emulator (moto)."""

from __future__ import annotations

import io
import logging
from email.message import EmailMessage

import boto3
import pytest
from deliver.mailbox import SmtpServer
from moto.ses.models import ses_backends
from pypdf import PdfReader

from auditor.audit import run_audit
from auditor.aws.permissions import DELIVERY_OPERATIONS, READ_ONLY_OPERATIONS, is_allowed, is_delivery_allowed
from auditor.config import LoadedConfig, parse
from auditor.deliver.email import DeliveryError, DeliveryStatus, deliver_report
from auditor.errors import ConfigError
from auditor.inventory import ScopeEntry, ScopeStatus
from auditor.report.pdf import render_pdf
from auditor.store.db import Store

# aiosmtpd counts only STARTTLS as TLS, so it warns about the login over implicit TLS too.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account for the dummy credentials
SENDER = "auditor@example.com"
USER, PASSWORD = "mailer", "s3cret-Pa55word"


def make_config(tmp_path, email_toml: str) -> LoadedConfig:
    text = f'[audit]\nregions = ["{REGION}"]\n' + email_toml
    path = tmp_path / "ecr-auditor.toml"
    path.write_text(text)
    return LoadedConfig(parse(text, path), path, text, found=True)


def audit(config: LoadedConfig, store: Store) -> int:
    return run_audit(config, store).run_id


@pytest.fixture
def estate(emulator):
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="app")  # fails the scan-on-push check
    return ecr


@pytest.fixture
def store(tmp_path):
    opened = Store.open(f"sqlite:///{tmp_path / 'audit.db'}")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def some_pdf(tmp_path_factory) -> bytes:
    """A real PDF report of a small stored run, for tests about failures rather than attachments.

    WeasyPrint takes seconds per report, so those tests share this one.
    """
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('pdf') / 'audit.db'}")
    run_id = store.start_run(tool_version="test", config_sha256="0" * 64)
    store.save_unit(run_id, ScopeEntry(ACCOUNT, REGION, ScopeStatus.AUDITED), [], [])
    store.finish_run(run_id, score=None, coverage=None, exit_code=0)
    try:
        return render_pdf(store, run_id)
    finally:
        store.close()


def attachment(message: EmailMessage) -> tuple[str, bytes]:
    [part] = list(message.iter_attachments())
    return part.get_filename(), part.get_content()


def subject(message: EmailMessage) -> str:
    # A folded header keeps the space of its first continuation line when Python parses it.
    return str(message["Subject"]).strip()


def html_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


@pytest.mark.parametrize(
    ("mode", "login"),
    [("plain", False), ("starttls", True), ("tls", True)],
)
def test_smtp_delivers_pdf(tmp_path, estate, store, monkeypatch, caplog, some_pdf, mode, login):
    caplog.set_level(logging.DEBUG, logger="auditor")
    if login:
        monkeypatch.setenv("ECR_AUDITOR_SMTP_USERNAME", USER)
        monkeypatch.setenv("ECR_AUDITOR_SMTP_PASSWORD", PASSWORD)

    with SmtpServer(tmp_path, mode, login=(USER, PASSWORD) if login else None) as server:
        config = make_config(tmp_path, server.config_toml())
        run_id = audit(config, store)
        # One mode renders the run's own PDF; the others attach a shared one, because
        # WeasyPrint takes seconds per report.
        pdf = None if mode == "plain" else some_pdf
        delivery = deliver_report(store, run_id, config, ["ciso@example.com", "ops@example.com"], pdf=pdf)

    assert delivery.status == DeliveryStatus.SENT
    [received] = server.received
    assert received.sender == SENDER
    assert received.recipients == ["ciso@example.com", "ops@example.com"]
    message = received.message
    assert subject(message).startswith(f"[ecr-auditor] ECR audit run {run_id}: score ")
    assert "(first run)" in subject(message)
    assert "coverage 100.0%" in subject(message)
    assert message["Message-ID"] == delivery.message_id

    name, pdf = attachment(message)
    assert name == f"ecr-audit-run-{run_id}.pdf"
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    if mode == "plain":
        assert f"run {run_id}" in reader.pages[0].extract_text()
    assert f"Amazon ECR compliance: run {run_id}" in html_body(message)
    assert server.mailbox.logins == ([(USER, True)] if login else [])
    assert PASSWORD not in caplog.text
    assert store.deliveries()[-1].status == DeliveryStatus.SENT


def test_subject_carries_score_change(tmp_path, estate, store, some_pdf):
    with SmtpServer(tmp_path) as server:
        config = make_config(tmp_path, server.config_toml())
        first = audit(config, store)
        estate.put_image_scanning_configuration(repositoryName="app", imageScanningConfiguration={"scanOnPush": True})
        second = audit(config, store)
        deliver_report(store, second, config, ["ciso@example.com"], pdf=some_pdf)
    before, after = store.run(first).score, store.run(second).score
    assert after > before
    [received] = server.received
    assert f"score {after:.1f} ({after - before:+.1f} since run {first})" in subject(received.message)
    assert "resolved" in html_body(received.message)


def test_rejected_login_is_recorded_and_raised(tmp_path, estate, store, monkeypatch, caplog, some_pdf):
    monkeypatch.setenv("ECR_AUDITOR_SMTP_USERNAME", USER)
    monkeypatch.setenv("ECR_AUDITOR_SMTP_PASSWORD", "wrong-password")
    with SmtpServer(tmp_path, "starttls", login=(USER, PASSWORD)) as server:
        config = make_config(tmp_path, server.config_toml())
        run_id = audit(config, store)
        with pytest.raises(DeliveryError) as caught:
            deliver_report(store, run_id, config, ["ciso@example.com"], pdf=some_pdf)
    assert caught.value.exit_code == 4
    assert "login" in str(caught.value)
    assert "wrong-password" not in str(caught.value) + caplog.text
    assert server.received == []
    [delivery] = store.deliveries()
    assert delivery.status == DeliveryStatus.FAILED


@pytest.mark.parametrize(
    ("mode", "variables", "expected"),
    [
        ("plain", {"ECR_AUDITOR_SMTP_USERNAME": USER, "ECR_AUDITOR_SMTP_PASSWORD": PASSWORD}, "without TLS"),
        ("starttls", {"ECR_AUDITOR_SMTP_USERNAME": USER}, "only one of"),
    ],
)
def test_unsafe_login_refused_before_sending(tmp_path, estate, store, monkeypatch, mode, variables, expected):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with SmtpServer(tmp_path, mode) as server:
        config = make_config(tmp_path, server.config_toml())
        run_id = audit(config, store)
        with pytest.raises(ConfigError) as caught:
            deliver_report(store, run_id, config, ["ciso@example.com"])
    assert expected in str(caught.value)
    assert server.received == []


def test_untrusted_certificate_fails(tmp_path, estate, store, some_pdf):
    with SmtpServer(tmp_path, "tls") as server:
        config = make_config(tmp_path, server.config_toml().replace(f'ca_file = "{server.certificate}"', ""))
        run_id = audit(config, store)
        with pytest.raises(DeliveryError) as caught:
            deliver_report(store, run_id, config, ["ciso@example.com"], pdf=some_pdf)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert server.received == []


def test_only_when_changed_skips_equal_results(tmp_path, estate, store, some_pdf):
    with SmtpServer(tmp_path) as server:
        config = make_config(tmp_path, server.config_toml())

        def send(run_id):
            return deliver_report(
                store, run_id, config, ["a@example.com"], schedule="weekly", only_when_changed=True, pdf=some_pdf
            )

        first = audit(config, store)
        sent = send(first)
        again = send(first)
        same = audit(config, store)
        unchanged = send(same)
        estate.create_repository(repositoryName="second")
        changed = audit(config, store)
        resent = send(changed)
    assert [d.status for d in (sent, again, unchanged, resent)] == ["sent", "unchanged", "unchanged", "sent"]
    assert len(server.received) == 2
    assert [d.run_number for d in store.deliveries(schedule="weekly", status="sent")] == [first, changed]


@pytest.mark.parametrize("api", ["sesv2", "ses"])
def test_ses_delivers_pdf(tmp_path, estate, store, some_pdf, api):
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    config = make_config(
        tmp_path, f'[email]\ntransport = "ses"\nsender = "{SENDER}"\n[email.ses]\nregion = "{REGION}"\napi = "{api}"\n'
    )
    run_id = audit(config, store)
    delivery = deliver_report(store, run_id, config, ["ciso@example.com"], pdf=some_pdf)
    [sent] = ses_backends[ACCOUNT][REGION].sent_messages
    assert sent.id == delivery.message_id
    assert "ciso@example.com" in sent.destinations[0]
    from email import message_from_string, policy

    message = message_from_string(sent.raw_data, policy=policy.default)
    name, pdf = attachment(message)
    assert name == f"ecr-audit-run-{run_id}.pdf"
    assert pdf == some_pdf


def test_ses_unverified_sender_fails(tmp_path, estate, store, some_pdf):
    config = make_config(tmp_path, f'[email]\ntransport = "ses"\nsender = "{SENDER}"\n')
    run_id = audit(config, store)
    with pytest.raises(DeliveryError) as caught:
        deliver_report(store, run_id, config, ["ciso@example.com"], pdf=some_pdf)
    assert "MessageRejected" in str(caught.value)


def test_delivery_allow_list_is_separate():
    assert set(DELIVERY_OPERATIONS).isdisjoint(READ_ONLY_OPERATIONS)
    for service, operation in DELIVERY_OPERATIONS:
        assert is_delivery_allowed(service, operation)
        assert not is_allowed(service, operation)
    assert not is_delivery_allowed("ecr", "DescribeRepositories")
    assert not is_delivery_allowed("ses", "DeleteIdentity")
