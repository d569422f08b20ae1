"""Two complete runs written through the Store API, with settings that change between them.

Run 1 and run 2 differ in every way the reports show: failures fixed and new
failures, a scanning filter narrowed, a replication destination added, a template's
tag mutability relaxed, a registry policy statement added. Some values are hostile
(markup, spreadsheet formulas) to test escaping and CSV neutralisation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.checks.model import Area, ResourceRef, ResourceType, Result, Severity, Status
from auditor.inventory import REGISTRY, CallRecord, Kind, ScopeEntry, ScopeStatus, Snapshot, SnapshotState
from auditor.store.db import Store

# moto's default account, so that Security Hub imports through the emulator accept the findings.
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "444455556666"
REGION = "us-east-1"
SKIPPED_REGION = "ap-east-1"
HOSTILE_NAME = "<script>alert(1)</script>"
FORMULA_NAME = '=HYPERLINK("http://attacker.invalid","x")'
FORMULA_PREFIXES = ("=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)", "\tTAB", "\rCR")


def _present(kind: Kind, name: str, payload: Any, account: str = ACCOUNT) -> Snapshot:
    return Snapshot(account, REGION, kind, name, SnapshotState.PRESENT, payload)


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"policyText": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


ORG_PULL = {"Sid": "OrgPull", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
VENDOR = {"Sid": "Vendor", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
          "Action": "ecr:ReplicateImage"}


def settings_snapshots(second: bool, account: str = ACCOUNT) -> list[Snapshot]:
    """Registry settings of one run; ``second`` applies the changes of run 2."""
    statements = [ORG_PULL, VENDOR] if second else [ORG_PULL]
    destinations = [{"region": "eu-west-1", "registryId": account}]
    if second:
        destinations.append({"region": "us-west-2", "registryId": account})
    continuous = ["prod-payments*"] if second else ["prod*"]
    template = {
        "prefix": "prod",
        "appliedFor": ["CREATE_ON_PUSH"],
        "imageTagMutability": "MUTABLE" if second else "IMMUTABLE",
        "encryptionConfiguration": {"encryptionType": "AES256"},
        "description": HOSTILE_NAME,
    }
    return [
        _present(Kind.REGISTRY_POLICY, REGISTRY, _policy(*statements), account),
        _present(Kind.ACCOUNT_SETTING, "BLOB_MOUNTING", {"name": "BLOB_MOUNTING", "value": "ENABLED"}, account),
        _present(
            Kind.REPLICATION_CONFIGURATION,
            REGISTRY,
            {"replicationConfiguration": {"rules": [{"destinations": destinations}]}},
            account,
        ),
        _present(
            Kind.REGISTRY_SCANNING_CONFIGURATION,
            REGISTRY,
            {"scanningConfiguration": {"scanType": "ENHANCED", "rules": [
                {"scanFrequency": "CONTINUOUS_SCAN",
                 "repositoryFilters": [{"filter": f, "filterType": "WILDCARD"} for f in continuous]}]}},
            account,
        ),
        Snapshot(account, REGION, Kind.SIGNING_CONFIGURATION, REGISTRY, SnapshotState.ABSENT),
        _present(Kind.PULL_THROUGH_CACHE_RULE, "hub", {"ecrRepositoryPrefix": "hub",
                 "upstreamRegistryUrl": FORMULA_NAME, "upstreamRegistry": "docker-hub"}, account),
        _present(Kind.CREATION_TEMPLATE, "prod", template, account),
        _present(Kind.REPOSITORY, "app", {"repositoryName": "app", "imageTagMutability": "IMMUTABLE",
                 "repositoryArn": f"arn:aws:ecr:{REGION}:{account}:repository/app"}, account),
    ]


def _result(check_id: str, severity: Severity, status: Status, name: str, reason: str,
            kind: ResourceType = ResourceType.REPOSITORY, account: str = ACCOUNT) -> Result:
    area = Area(check_id.split("-")[0])
    return Result(check_id, area, severity, ResourceRef(account, REGION, kind, name), status, reason, {"seen": name})


def results(second: bool) -> list[Result]:
    """Run 1 fails REPO-01 on "legacy"; run 2 fixes it and fails PERM-02 on the registry."""
    found = [
        _result("PERM-01", Severity.CRITICAL, Status.PASS, REGISTRY, "no public grant", ResourceType.REGISTRY),
        _result("PERM-02", Severity.HIGH, Status.FAIL if second else Status.PASS, REGISTRY,
                "grants account 999988887777" if second else "only trusted accounts", ResourceType.REGISTRY),
        _result("REPO-01", Severity.MEDIUM, Status.PASS if second else Status.FAIL, "legacy", "image tags are MUTABLE"),
        _result("REPO-01", Severity.MEDIUM, Status.FAIL, HOSTILE_NAME, f"tags of {HOSTILE_NAME} are MUTABLE"),
        _result("REPO-02", Severity.MEDIUM, Status.ERROR, "app", "lifecycle policy could not be read"),
        _result("SCAN-01", Severity.MEDIUM, Status.PASS, REGISTRY, "ENHANCED", ResourceType.REGISTRY),
        _result("TMPL-01", Severity.MEDIUM, Status.FAIL if second else Status.PASS, "prod",
                "tags are MUTABLE" if second else "tags are IMMUTABLE", ResourceType.CREATION_TEMPLATE),
        _result("REPL-02", Severity.HIGH, Status.NOT_APPLICABLE, REGISTRY, "no replication", ResourceType.REGISTRY,
                OTHER_ACCOUNT),
        _result("REPO-05", Severity.LOW, Status.FAIL, FORMULA_NAME, FORMULA_NAME),
    ]
    found += [
        _result("REPO-05", Severity.LOW, Status.FAIL, f"formula-{i}", value) for i, value in enumerate(FORMULA_PREFIXES)
    ]
    return found


@dataclass(frozen=True)
class SampleRuns:
    first: int
    second: int


def save_run(store: Store, second: bool, started: datetime, extra: list[Result] | None = None) -> int:
    run_id = store.start_run(tool_version="0.1.0-test", config_sha256="c" * 64)
    store.set_caller(run_id, f"arn:aws:sts::{ACCOUNT}:assumed-role/auditor/ecr-auditor", ACCOUNT)
    store.save_unit(run_id, ScopeEntry(ACCOUNT, REGION, ScopeStatus.AUDITED), settings_snapshots(second), [])
    store.save_unit(run_id, ScopeEntry(OTHER_ACCOUNT, REGION, ScopeStatus.AUDITED), settings_snapshots(False, OTHER_ACCOUNT), [])
    store.save_unit(run_id, ScopeEntry(ACCOUNT, SKIPPED_REGION, ScopeStatus.SKIPPED, "region not enabled"), [], [])
    calls = [
        CallRecord("ecr", "DescribeRegistry", ACCOUNT, REGION, f"req-{run_id}-{i}", 200, None, started, 10.0)
        for i in range(3)
    ]
    store.save_calls(run_id, {("ecr", "DescribeRegistry"): (3, 0)}, calls)
    store.save_results(run_id, results(second) + (extra or []))
    store.finish_run(run_id, score=None, coverage=None, exit_code=1)
    _set_started(store, run_id, started)
    return run_id


def _set_started(store: Store, run_id: int, started: datetime) -> None:
    from sqlalchemy import update

    from auditor.store.models import RunRow

    with store.session() as session:
        session.execute(update(RunRow).where(RunRow.id == run_id).values(started_at=started))


def sample_runs(store: Store, extra: list[Result] | None = None) -> SampleRuns:
    """Write run 1 (two days ago) and run 2 (today)."""
    today = datetime.now(UTC).replace(microsecond=0)
    first = save_run(store, False, today - timedelta(days=2))
    second = save_run(store, True, today, extra)
    return SampleRuns(first, second)
