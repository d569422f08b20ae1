"""Shared fixtures: databases (SQLite and PostgreSQL) and the emulated estate."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

# The PostgreSQL server that .ci/run starts; every storage test runs on it and on SQLite.
POSTGRES_ADMIN_URL = os.environ.get(
    "ECR_AUDITOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's AWS and ecr-auditor settings out of every test."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "ECR_AUDITOR_")) and name != "ECR_AUDITOR_TEST_POSTGRES_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"ecr_auditor_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Every storage test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def emulator_server():
    """One emulated estate per test process: moto keeps its backends process-global."""
    from auditor.emulator import EmulatorServer

    with EmulatorServer() as server:
        yield server


@pytest.fixture
def emulator(emulator_server, monkeypatch: pytest.MonkeyPatch):
    """The emulated estate, emptied, with boto3 pointed at it through AWS_ENDPOINT_URL."""
    emulator_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator_server.endpoint_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return emulator_server
