"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for delivery tests.

Modes: plain, STARTTLS and implicit TLS, with a throwaway self-signed certificate
made with `cryptography`, and optionally a required login.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for 127.0.0.1 and its key; return (certificate, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ecr-auditor test SMTP")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """Messages received by the server, and the logins it accepted or rejected."""

    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 in one of three modes: plain, starttls or tls."""

    def __init__(self, directory: Path, mode: str = "plain", login: tuple[str, str] | None = None) -> None:
        self.mode = mode
        self.mailbox = Mailbox()
        self.port = free_port()
        self.certificate: Path | None = None
        context = None
        if mode != "plain":
            self.certificate, key = make_certificate(directory)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.certificate, key)
        options: dict = {}
        if login is not None:
            expected_user, expected_password = login

            def authenticate(server, session, envelope, mechanism, auth_data):
                ok = (
                    isinstance(auth_data, LoginPassword)
                    and auth_data.login.decode() == expected_user
                    and auth_data.password.decode() == expected_password
                )
                self.mailbox.logins.append((auth_data.login.decode(), ok))
                return AuthResult(success=ok, handled=False)

            # Implicit TLS is encrypted from the start; aiosmtpd only counts STARTTLS as TLS here.
            options.update(authenticator=authenticate, auth_required=True, auth_require_tls=mode == "starttls")
        if mode == "starttls":
            options.update(tls_context=context, require_starttls=True)
        self.controller = Controller(
            self.mailbox,
            hostname=HOST,
            port=self.port,
            ssl_context=context if mode == "tls" else None,
            server_hostname="ecr-auditor-test",
            **options,
        )

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        return self.mailbox.received

    def config_toml(self, *, sender: str = "auditor@example.com") -> str:
        """The [email] section that sends through this server."""
        lines = [
            "[email]",
            'transport = "smtp"',
            f'sender = "{sender}"',
            "[email.smtp]",
            f'host = "{HOST}"',
            f"port = {self.port}",
            f'security = "{"none" if self.mode == "plain" else self.mode}"',
            "timeout_seconds = 10",
        ]
        if self.certificate is not None:
            lines.append(f'ca_file = "{self.certificate}"')
        return "\n".join(lines) + "\n"
