"""A small emulated estate and an in-process audit, shared by the reliability tests.

Two accounts in two regions, three repositories each with an image, scan findings
and policies, so that most checks have something to evaluate and every
collector makes calls that faults can hit.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import boto3

from auditor.audit import RunOutcome, run_audit
from auditor.config import AuditSettings, CheckSettings, LoadedConfig, Settings
from auditor.emulator import EmulatorServer
from auditor.emulator.seed import DEFAULT_ACCOUNT, EstateSeeder
from auditor.store.db import Store

ROLE_NAME = "ECRAuditorRole"
MEMBER = "222222222222"
ACCOUNTS = (DEFAULT_ACCOUNT, MEMBER)
REGIONS = ("us-east-1", "eu-west-1")
REPOSITORIES = ("payments/api", "web/frontend", "tools/builder")


def seed_estate(emulator: EmulatorServer) -> EstateSeeder:
    """Create the estate described in the module docstring and return its seeder."""
    seeder = EstateSeeder(emulator, role_name=ROLE_NAME)
    for account in ACCOUNTS:
        for region in REGIONS:
            for index, name in enumerate(REPOSITORIES):
                seeder.create_repository(
                    account, region, name, scan_on_push=index % 2 == 0, tags={"team": name.split("/")[0]}
                )
                digest = seeder.add_image(account, region, name, tags=["v1", "latest"])
                seeder.add_scan_findings(
                    account,
                    region,
                    name,
                    digest,
                    findings=[{"name": f"CVE-2024-{1000 + index}", "severity": "HIGH", "uri": "https://example.com"}],
                )
            seeder.set_repository_policy(
                account,
                region,
                REPOSITORIES[0],
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}],
                },
            )
            seeder.put_lifecycle_policy(
                account,
                region,
                REPOSITORIES[1],
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "selection": {
                                "tagStatus": "untagged",
                                "countType": "sinceImagePushed",
                                "countUnit": "days",
                                "countNumber": 14,
                            },
                            "action": {"type": "expire"},
                        }
                    ]
                },
            )
    return seeder


def settings(**audit: Any) -> Settings:
    """Audit settings for the estate; the caller may override any [audit] key."""
    chosen: dict[str, Any] = {
        "role_name": ROLE_NAME,
        "accounts": list(ACCOUNTS),
        "regions": list(REGIONS),
        "max_attempts": 3,
        "max_workers": 4,
        "repository_workers": 4,
    }
    chosen.update(audit)
    return Settings(audit=AuditSettings(**chosen), checks=CheckSettings(trusted_accounts=list(ACCOUNTS)))


def audit(directory: Path, **audit_settings: Any) -> tuple[RunOutcome, Store]:
    """Run one audit in-process into a SQLite file under `directory`; the caller closes the store."""
    directory.mkdir(parents=True, exist_ok=True)
    config = LoadedConfig(settings(**audit_settings), directory / "ecr-auditor.toml", "", found=False)
    store = Store.open(f"sqlite:///{directory / 'audit.db'}")
    outcome = run_audit(config, store, session=boto3.Session(region_name="us-east-1"))
    return outcome, store


def result_table(outcome: RunOutcome) -> set[tuple[str, str, str, str]]:
    """Return every result as (check, resource, status, reason), the part that faults must not change."""
    return {(r.check_id, str(r.resource), r.status.value, r.reason) for r in outcome.results}


def request_count(emulator: EmulatorServer) -> int:
    """Return the requests the emulator received since its counts were last reset."""
    with urllib.request.urlopen(f"{emulator.endpoint_url}/_emulator/stats", timeout=5) as answer:  # noqa: S310
        stats: dict[str, Any] = json.load(answer)
    return int(stats["total"])


def reset_request_count(emulator: EmulatorServer) -> None:
    request = urllib.request.Request(f"{emulator.endpoint_url}/_emulator/stats", method="DELETE")
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310
        pass
