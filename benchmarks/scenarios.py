"""One repeat of each tool against a running emulator: the commands, their environment and what is recorded."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from estate import Emulator, EstateShape
from measure import ProcessResult, run_measured, with_requests

logger = logging.getLogger(__name__)

# Exit codes of `ecr-auditor run` for a run that finished and was stored: clean, FAIL results, incomplete.
_AUDITOR_FINISHED = (0, 1, 3)
# Tables whose rows a second run of an unchanged estate adds; payloads are reported apart.
_PER_RUN_TABLES = ("snapshots", "results", "findings", "call_log", "api_call_counts", "collection_errors", "scope")


@dataclass(frozen=True)
class Tools:
    python: Path
    auditor: Path
    prowler: Path
    # HOME of the measured tools, so that neither reads or writes the invoking user's dotfiles.
    home: Path


def tool_environment(tools: Tools, emulator: Emulator, shape: EstateShape) -> dict[str, str]:
    """Return the environment of both tools: the emulator's endpoint and dummy credentials, and no inherited AWS_*."""
    keep = {name: value for name, value in os.environ.items() if name in ("PATH", "LANG", "LC_ALL", "TZ")}
    return {
        **keep,
        "HOME": str(tools.home),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # noqa: S105 - the emulator's dummy credentials
        "AWS_ENDPOINT_URL": emulator.endpoint,
        "AWS_DEFAULT_REGION": shape.regions[0],
    }


def _measured(
    command: list[str], emulator: Emulator, env: dict[str, str], cwd: Path, log: Path, timeout_s: float
) -> ProcessResult:
    emulator.control.reset_stats()
    result = run_measured(command, env=env, cwd=cwd, log_path=log, timeout_s=timeout_s)
    return with_requests(result, emulator.control.stats())


def _auditor_config(work: Path, shape: EstateShape) -> Path:
    regions = ", ".join(f'"{region}"' for region in shape.regions)
    config = work / "ecr-auditor.toml"
    config.write_text(
        "# Written by benchmarks/compare.py: the audit defaults, the estate's regions, a database per repeat.\n"
        f"[audit]\nregions = [{regions}]\n\n"
        f'[database]\nurl = "sqlite:///{work / "audit.db"}"\n\n'
        f'[report]\noutput_dir = "{work / "reports"}"\n'
    )
    return config


def database_facts(database: Path) -> dict[str, Any]:
    """Return the database's size on disk, its stored payloads and the row count of each per-run table."""
    from auditor.store.db import Store

    store = Store.open(f"sqlite:///{database}", migrate=False)
    payloads, payload_bytes = store.payload_stats()
    store.close()
    files = [database, database.with_name(database.name + "-wal")]
    connection = sqlite3.connect(database)
    rows = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in _PER_RUN_TABLES}  # noqa: S608
    connection.close()
    return {
        "file_bytes": sum(f.stat().st_size for f in files if f.exists()),
        "payloads": payloads,
        "payload_bytes": payload_bytes,
        "rows": rows,
    }


def images_read(database: Path) -> dict[str, int]:
    """Count, from run 1's stored image lists, the repositories with a latest image and the further images in use.

    The request budget of the targets is 5 per repository plus 1 per further
    image in use, counted here with the auditor's own rule (pushed or pulled
    within 30 days), independently of the requests it sent.
    """
    from auditor.collect.base import CollectOptions
    from auditor.collect.repositories import images_in_use
    from auditor.inventory import latest_image

    connection = sqlite3.connect(database)
    started = connection.execute("SELECT started_at FROM runs WHERE id = 1").fetchone()[0]
    bodies = connection.execute(
        "SELECT p.body FROM snapshots s JOIN payloads p ON p.sha256 = s.payload_sha256 "
        "WHERE s.run_id = 1 AND s.kind = 'images'"
    ).fetchall()
    connection.close()
    options = CollectOptions(now=datetime.fromisoformat(started).replace(tzinfo=UTC))
    with_latest = 0
    further = 0
    for (body,) in bodies:
        details = json.loads(body)["imageDetails"]
        latest = latest_image(details)
        if latest is None:
            continue
        with_latest += 1
        further += len(images_in_use(details, options, exclude=latest["imageDigest"]))
    return {"repositories_with_latest_image": with_latest, "further_images_in_use": further}


def run_auditor_repeat(
    tools: Tools,
    emulator: Emulator,
    shape: EstateShape,
    work: Path,
    timeout_s: float,
    report_timeout_s: float,
    skip_pdf: bool,
) -> dict[str, Any]:
    """Run ecr-auditor twice on a fresh database, then render the HTML and PDF reports of the latest run."""
    work.mkdir(parents=True)
    config = _auditor_config(work, shape)
    env = tool_environment(tools, emulator, shape)
    database = work / "audit.db"
    run = [str(tools.auditor), "-q", "--config", str(config), "run"]

    first = _measured(run, emulator, env, work, work / "run-1.log", timeout_s)
    record: dict[str, Any] = {"run_1": first.to_dict()}
    if first.exit_code not in _AUDITOR_FINISHED:
        logger.error("ecr-auditor run 1 failed with exit code %d; see %s", first.exit_code, work / "run-1.log")
        return record
    record["database_after_run_1"] = database_facts(database)
    record["images"] = images_read(database)

    second = _measured(run, emulator, env, work, work / "run-2.log", timeout_s)
    record["run_2"] = second.to_dict()
    if second.exit_code in _AUDITOR_FINISHED:
        record["database_after_run_2"] = database_facts(database)

    formats = ("html",) if skip_pdf else ("html", "pdf")
    for name in formats:
        output = work / f"report.{name}"
        command = [str(tools.auditor), "-q", "--config", str(config), "report", "--run", "latest"]
        command += ["--format", name, "-o", str(output)]
        log = work / f"report-{name}.log"
        result = run_measured(command, env=env, cwd=work, log_path=log, timeout_s=report_timeout_s)
        record[f"report_{name}"] = {**result.to_dict(), "bytes": output.stat().st_size if output.exists() else None}
    return record


def run_prowler_repeat(
    tools: Tools, emulator: Emulator, shape: EstateShape, work: Path, timeout_s: float
) -> dict[str, Any]:
    """Run Prowler's ECR checks in the estate's regions, with its default outputs (CSV, JSON-OCSF, HTML)."""
    work.mkdir(parents=True)
    env = tool_environment(tools, emulator, shape)
    command = [str(tools.prowler), "aws", "--services", "ecr", "-f", *shape.regions]
    # -z: failed checks do not set exit code 3, so 0 means the scan finished.
    command += ["--no-banner", "--no-color", "-z", "--output-directory", str(work / "output")]
    result = _measured(command, emulator, env, work, work / "prowler.log", timeout_s)
    if result.exit_code != 0:
        logger.error("Prowler exited with %d; see %s", result.exit_code, work / "prowler.log")
    return {"run": result.to_dict()}
