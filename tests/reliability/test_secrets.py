"""SMTP passwords, signing keys and AWS credentials never reach logs, the database, reports
or evidence packages, even with -vv debug logging."""

from __future__ import annotations

import base64
import zipfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from deliver.mailbox import SmtpServer

from auditor.emulator import EmulatorServer
from reliability import cli
from reliability.estate import seed_estate

# Distinctive fake values: none of them is a real credential.
AWS_SECRET = "FakeAwsSecretKey0ReliabilityTest0zQx7Lm2Vb9Np4Rt6Wy"
SMTP_USER = "smtp-user-reliability-k3j9"
SMTP_PASSWORD = "SmtpPassword-Reliability-9f8e7d6c5b4a"


def encodings(secret: bytes) -> list[bytes]:
    """Return the forms in which a secret could leak: as is, hex and base64 (SMTP AUTH sends base64)."""
    return [secret, secret.hex().encode(), base64.b64encode(secret).rstrip(b"=")]


def every_output(directory: Path) -> dict[str, bytes]:
    """Return the bytes of every file under `directory`, with each zip member as a file of its own."""
    outputs: dict[str, bytes] = {}
    for path in sorted(directory.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        outputs[str(path)] = data
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as package:
                for member in package.namelist():
                    outputs[f"{path}!{member}"] = package.read(member)
    return outputs


def test_secrets_absent_from_every_output(emulator: EmulatorServer, tmp_path: Path) -> None:
    seed_estate(emulator)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    raw_key = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    keys = tmp_path.parent / f"{tmp_path.name}-keys"
    keys.mkdir()
    (keys / "signing.pem").write_bytes(pem)
    pem_body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
    secrets = {
        "AWS secret access key": encodings(AWS_SECRET.encode()),
        "SMTP password": encodings(SMTP_PASSWORD.encode()),
        "signing key (raw)": encodings(raw_key),
        "signing key (PEM body)": [pem_body, pem_body[:40]],
    }

    (keys / "smtp").mkdir()
    with SmtpServer(keys / "smtp", "tls", login=(SMTP_USER, SMTP_PASSWORD)) as smtp:
        config = cli.write_config(
            tmp_path,
            f"sqlite:///{tmp_path / 'audit.db'}",
            f'\n[evidence]\nsigning_key = "{keys / "signing.pem"}"\n\n{smtp.config_toml()}',
            regions=["us-east-1"],
        )
        env = cli.child_environment(
            emulator,
            AWS_SECRET_ACCESS_KEY=AWS_SECRET,
            ECR_AUDITOR_SMTP_USERNAME=SMTP_USER,
            ECR_AUDITOR_SMTP_PASSWORD=SMTP_PASSWORD,
        )
        steps = [
            ("run", ["run"]),
            ("json", ["report", "--format", "json", "-o", str(tmp_path / "out" / "report.json")]),
            ("csv", ["report", "--format", "csv", "-o", str(tmp_path / "out" / "report.csv")]),
            ("evidence", ["evidence", "export", "--run", "latest", "-o", str(tmp_path / "out" / "evidence.zip")]),
            ("email", ["email", "--run", "latest", "--to", "auditor@example.com"]),
        ]
        # The PDF report is covered by the email step, which renders it and attaches it.
        for name, args in steps:
            child = cli.run(config, env, "-vv", "--debug", *args, name=name)
            assert child.process.returncode in (0, 1), f"{name}: {child.errors()}"
        assert smtp.mailbox.logins == [(SMTP_USER, True)]
        assert len(smtp.received) == 1
        sent = smtp.received[0]

    outputs = every_output(tmp_path)
    outputs["the email as received"] = sent.data
    outputs.update(
        (f"email attachment {part.get_filename()}", part.get_content()) for part in sent.message.iter_attachments()
    )
    assert any(name.endswith("audit.db") for name in outputs)
    assert any("evidence.zip!" in name for name in outputs)
    assert any(name.endswith(".pdf") and data.startswith(b"%PDF") for name, data in outputs.items())
    # -vv sets the auditor's own loggers to DEBUG; their INFO lines show the log went to standard error.
    assert b"level=INFO" in outputs[str(tmp_path / "run.stderr")]
    leaks = [
        f"{label} in {name}"
        for name, data in outputs.items()
        for label, forms in secrets.items()
        if any(form in data for form in forms)
    ]
    assert leaks == []
