"""Hostile text in tags, policies and finding descriptions: reports render it inert, checks
return ERROR for what does not parse, and nothing crashes."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator

import boto3
import pytest

from auditor.audit import RunOutcome, run_audit
from auditor.checks.model import Status
from auditor.config import AuditSettings, LoadedConfig, Settings
from auditor.emulator import EmulatorServer
from auditor.emulator.seed import DEFAULT_ACCOUNT, EstateSeeder
from auditor.report.exports import ExportFormat
from auditor.report.render import render_run
from auditor.store.db import Store

REGION = "us-east-1"
SCRIPT = '<script>alert("owned")</script><img src=x onerror=alert(1)>'
FORMULAS = ('=HYPERLINK("http://example.com/x","click")', "+SUM(1,2)", "-1+cmd|' /C calc'!A0", "@SUM(A1:A2)")
NON_ASCII = "Überprüfung 監査 \u202eRTL\u202c \U0001f680"
LONG = "L" * 100_000
INVALID_JSON = '{"Version": "2012-10-17", "Statement": [<script>alert(1)</script>'
# Deeper than Python's default recursion limit of 1000, so json.loads raises RecursionError.
DEEP = '{"Version": "2012-10-17", "Statement": ' + "[" * 100_000 + "]" * 100_000 + "}"
# A syntactically valid policy of about 1 MB.
HUGE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"S{i}{SCRIPT}",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"},
                "Action": ["ecr:BatchGetImage"],
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x" * 150}},
            }
            for i in range(3_500)
        ],
    }
)

INVALID_POLICY_REPOSITORY = "hostile/invalid-policy"
DEEP_POLICY_REPOSITORY = "hostile/deep-policy"
HUGE_POLICY_REPOSITORY = "hostile/huge-policy"
TAGGED_REPOSITORY = "hostile/tags"
# Checks that read the repository policy, and so must be ERROR when it does not parse.
REPOSITORY_POLICY_CHECKS = {"PERM-04", "PERM-05", "PERM-06", "PERM-07"}


def seed_hostile_estate(emulator: EmulatorServer) -> None:
    seeder = EstateSeeder(emulator)
    state = emulator.state
    tags = {f"t{i}": value[:256] for i, value in enumerate((SCRIPT, *FORMULAS, NON_ASCII, LONG))}
    seeder.create_repository(DEFAULT_ACCOUNT, REGION, TAGGED_REPOSITORY, tags=tags)
    for name in (INVALID_POLICY_REPOSITORY, DEEP_POLICY_REPOSITORY, HUGE_POLICY_REPOSITORY):
        seeder.create_repository(DEFAULT_ACCOUNT, REGION, name)
    state.set_repository_policy_text(DEFAULT_ACCOUNT, REGION, INVALID_POLICY_REPOSITORY, INVALID_JSON)
    state.set_lifecycle_policy_text(DEFAULT_ACCOUNT, REGION, INVALID_POLICY_REPOSITORY, FORMULAS[0])
    state.set_repository_policy_text(DEFAULT_ACCOUNT, REGION, DEEP_POLICY_REPOSITORY, DEEP)
    state.set_lifecycle_policy_text(DEFAULT_ACCOUNT, REGION, DEEP_POLICY_REPOSITORY, DEEP)
    state.set_repository_policy_text(DEFAULT_ACCOUNT, REGION, HUGE_POLICY_REPOSITORY, HUGE)
    state.set_registry_policy_text(DEFAULT_ACCOUNT, REGION, SCRIPT)

    digest = seeder.add_image(DEFAULT_ACCOUNT, REGION, TAGGED_REPOSITORY, tags=[FORMULAS[0][:128], "v1"])
    seeder.add_scan_findings(
        DEFAULT_ACCOUNT,
        REGION,
        TAGGED_REPOSITORY,
        digest,
        findings=[
            {
                "name": f"CVE-2024-0001{SCRIPT}",
                "description": f"{FORMULAS[1]} {SCRIPT} {NON_ASCII} {LONG}",
                "severity": "CRITICAL",
                "uri": "javascript:alert(1)",
                "attributes": [{"key": "package_name", "value": FORMULAS[3]}],
            }
        ],
    )


@pytest.fixture(scope="module")
def hostile_run(
    emulator_server: EmulatorServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunOutcome, Store]]:
    """Audit the hostile estate once for every test in this module; the tests only read the stored run."""
    directory = tmp_path_factory.mktemp("hostile")
    emulator_server.reset()
    with pytest.MonkeyPatch.context() as environment:
        for name in [n for n in os.environ if n.startswith(("AWS_", "ECR_AUDITOR_"))]:
            environment.delenv(name)
        environment.setenv("AWS_ENDPOINT_URL", emulator_server.endpoint_url)
        environment.setenv("AWS_ACCESS_KEY_ID", "testing")
        environment.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        environment.setenv("AWS_CONFIG_FILE", os.devnull)
        environment.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        seed_hostile_estate(emulator_server)
        settings = Settings(audit=AuditSettings(regions=[REGION], max_attempts=1))
        config = LoadedConfig(settings, directory / "ecr-auditor.toml", "", found=False)
        store = Store.open(f"sqlite:///{directory / 'audit.db'}")
        outcome = run_audit(config, store, session=boto3.Session(region_name=REGION))
    yield outcome, store
    store.close()


def errors_of(outcome: RunOutcome, repository: str) -> set[str]:
    return {
        r.check_id
        for r in outcome.results
        if r.status is Status.ERROR and r.resource.name == repository and r.resource.kind.value == "repository"
    }


def test_unparsable_policies_are_errors(hostile_run):
    outcome, _ = hostile_run
    assert outcome.exit_code == 3
    assert errors_of(outcome, INVALID_POLICY_REPOSITORY) >= REPOSITORY_POLICY_CHECKS
    assert errors_of(outcome, DEEP_POLICY_REPOSITORY) >= REPOSITORY_POLICY_CHECKS
    assert "REPO-02" in errors_of(outcome, INVALID_POLICY_REPOSITORY)
    assert "REPO-02" in errors_of(outcome, DEEP_POLICY_REPOSITORY)
    # A large but valid policy is evaluated, not rejected.
    assert not errors_of(outcome, HUGE_POLICY_REPOSITORY) & REPOSITORY_POLICY_CHECKS
    # The registry policy is script, not JSON.
    registry_errors = [r for r in outcome.results if r.status is Status.ERROR and r.resource.kind.value == "registry"]
    assert registry_errors


def test_html_report_is_inert(hostile_run):
    outcome, store = hostile_run
    html = render_run(store, outcome.run_id, ExportFormat.HTML).decode()
    lowered = html.lower()
    assert "<script>alert" not in lowered
    assert "<img src=x" not in lowered
    assert "onerror=alert(1)>" not in lowered
    assert 'href="javascript:' not in lowered
    assert "&lt;script&gt;alert" in html


def test_csv_cells_neutralised(hostile_run):
    outcome, store = hostile_run
    data = render_run(store, outcome.run_id, ExportFormat.CSV).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert len(rows) == len(outcome.results) + 1
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell[:80]


def test_json_export_keeps_text_as_strings(hostile_run):
    outcome, store = hostile_run
    document = json.loads(render_run(store, outcome.run_id, ExportFormat.JSON))
    text = json.dumps(document, ensure_ascii=False)
    assert SCRIPT.replace('"', '\\"') in text
    assert NON_ASCII.split(" ")[0] in text


def test_pdf_report_renders(hostile_run):
    outcome, store = hostile_run
    pdf = render_run(store, outcome.run_id, ExportFormat.PDF)
    assert pdf.startswith(b"%PDF-")
    assert b"<script>" not in pdf
