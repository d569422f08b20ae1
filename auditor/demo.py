"""The demo: the main job against an emulated estate served on 127.0.0.1.

The demo keeps its own SQLite database in its output directory unless a database
URL is given, so it never writes into a configured production database; running
it again into the same directory adds a run to that history.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3

from auditor.audit import RunOutcome, run_audit
from auditor.config import AuditSettings, CheckSettings, LoadedConfig, Settings
from auditor.errors import ConfigError
from auditor.report.html import write_html_report
from auditor.store.db import Store

DEMO_DATABASE = "ecr-auditor-demo.db"
# Credentials the emulator accepts; they never leave 127.0.0.1.
_EMULATOR_KEY_ID = "testing"
_EMULATOR_SECRET = "testing"  # noqa: S105 - the emulator's dummy secret


@contextmanager
def endpoint_environment(endpoint_url: str) -> Iterator[None]:
    """Point boto3 at the emulator through its own AWS_ENDPOINT_URL variable, then restore."""
    saved = {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE")}
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def demo_settings(accounts: list[str], regions: list[str], role_name: str, trusted: list[str]) -> Settings:
    return Settings(
        audit=AuditSettings(accounts=accounts, regions=regions, role_name=role_name),
        checks=CheckSettings(required_tags=["owner", "cost-center"], trusted_accounts=trusted),
    )


def run_demo(output: Path, *, database_url: str | None = None, repositories_per_registry: int = 30) -> RunOutcome:
    try:
        from auditor.emulator import EmulatorServer, seed_demo_estate
    except ImportError as exc:
        raise ConfigError(
            f"the emulated estate is not installed ({exc.name} is missing)",
            hint="install the extra: pip install 'ecr-auditor[emulator]'",
        ) from exc

    output.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{(output / DEMO_DATABASE).resolve()}"
    with EmulatorServer() as server, endpoint_environment(server.endpoint_url):
        # moto keeps its backends per process: start from an empty estate even when an
        # earlier demo ran in this process.
        server.reset()
        estate = seed_demo_estate(server, repositories_per_registry=repositories_per_registry)
        settings = demo_settings(
            list(estate.accounts), list(estate.regions), estate.role_name, list(estate.trusted_accounts)
        )
        config = LoadedConfig(settings, output / "ecr-auditor-demo.toml", settings.model_dump_json(), found=False)
        session = boto3.Session(
            aws_access_key_id=_EMULATOR_KEY_ID,
            aws_secret_access_key=_EMULATOR_SECRET,
            region_name=estate.regions[0],
        )
        store = Store.open(url)
        try:
            return run_audit(config, store, report_dir=output, session=session, render=write_html_report)
        finally:
            store.close()
