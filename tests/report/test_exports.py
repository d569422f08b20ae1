"""Exports: CSV neutralisation, JSON, OCSF and ASFF shapes, the report command and Security Hub import."""

import csv
import io
import json
import re

import boto3
import pytest
from report.sample_runs import ACCOUNT, FORMULA_NAME, FORMULA_PREFIXES, HOSTILE_NAME, OTHER_ACCOUNT

from auditor.checks.model import Status
from auditor.cli import main
from auditor.report.exports import ExportFormat, neutralise
from auditor.report.model import build_report_model
from auditor.report.render import render_model
from auditor.report.securityhub import import_findings


@pytest.fixture(scope="module")
def model(sample_store):
    store, runs = sample_store
    return store, build_report_model(store, runs.second)


def export(model, fmt):
    store, built = model
    return render_model(store, built, fmt)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
    ],
)
def test_csv_cell_neutralised(value, expected):
    assert neutralise(value) == expected


def test_csv_rows_neutralised(model):
    _, built = model
    text = export(model, ExportFormat.CSV).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == len(built.results)
    assert {r["result_id"] for r in rows} == {r.id for r in built.results}
    names = {r["resource_name"] for r in rows}
    assert "'" + FORMULA_NAME in names
    assert FORMULA_NAME not in names
    reasons = {r["reason"] for r in rows}
    for value in FORMULA_PREFIXES:
        assert "'" + value in reasons
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert {r["previous_status"] for r in rows if r["check_id"] == "TMPL-01"} == {"PASS"}


def test_json_holds_the_whole_run(model):
    _, built = model
    document = json.loads(export(model, ExportFormat.JSON))
    assert document["run"]["id"] == built.run.id
    assert len(document["results"]) == len(built.results)
    assert all(len(r["id"]) == 20 for r in document["results"])
    assert {s["kind"] for s in document["snapshots"]} >= {"registry_policy", "creation_template"}
    assert any(s["payload"] and s["payload"].get("description") == HOSTILE_NAME for s in document["snapshots"])
    assert len(document["call_log"]) == 3
    assert all(c["request_id"] for c in document["call_log"])
    assert {c["change"] for c in document["drift"]["changes"]} == {"added", "narrowed", "relaxed"}
    assert len(document["new_failures"]) == 2
    assert [s["status"] for s in document["scope"]].count("skipped") == 1
    assert document["frameworks"]


# Required attributes of OCSF 1.3.0 for the Compliance Finding class and the objects it uses.
OCSF_REQUIRED = {
    "": ("activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time", "metadata", "finding_info", "compliance"),
    "metadata": ("version", "product"),
    "metadata.product": ("vendor_name",),
    "finding_info": ("uid",),
    "compliance": ("standards",),
}


def _path(event, dotted):
    value = event
    for part in filter(None, dotted.split(".")):
        value = value[part]
    return value


def test_ocsf_events_are_compliance_findings(model):
    _, built = model
    events = json.loads(export(model, ExportFormat.OCSF))
    assert len(events) == len(built.results)
    for event in events:
        for parent, names in OCSF_REQUIRED.items():
            for name in names:
                assert name in _path(event, parent), f"{parent}.{name} missing"
        assert event["class_uid"] == 2003
        assert event["category_uid"] == 2
        assert event["type_uid"] == 200301
        assert event["metadata"]["version"] == "1.3.0"
        assert isinstance(event["time"], int)
        assert event["severity_id"] in (2, 3, 4, 5)
        assert event["compliance"]["standards"]
        assert event["resources"][0]["uid"]
    by_uid = {e["finding_info"]["uid"]: e for e in events}
    assert set(by_uid) == {r.id for r in built.results}
    statuses = {r.status: by_uid[r.id]["compliance"]["status_id"] for r in built.results}
    assert statuses[Status.PASS] == 1
    assert statuses[Status.FAIL] == 3
    assert statuses[Status.ERROR] == 2


# Required top-level fields of an AWS Security Finding (ASFF), from the Security Hub user guide.
ASFF_REQUIRED = (
    "AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn",
    "Resources", "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt",
)
ISO_8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_asff_findings_are_the_failures(model):
    _, built = model
    findings = json.loads(export(model, ExportFormat.ASFF))
    failures = [r for r in built.results if r.status is Status.FAIL]
    assert len(findings) == len(failures)
    for finding in findings:
        for name in ASFF_REQUIRED:
            assert finding.get(name), f"{name} missing"
        assert finding["SchemaVersion"] == "2018-10-08"
        assert re.fullmatch(r"\d{12}", finding["AwsAccountId"])
        assert re.fullmatch(r"arn:aws:securityhub:[a-z0-9-]+:\d{12}:product/\d{12}/default", finding["ProductArn"])
        assert ISO_8601.match(finding["CreatedAt"])
        assert ISO_8601.match(finding["UpdatedAt"])
        assert finding["Severity"]["Label"] in ("LOW", "MEDIUM", "HIGH", "CRITICAL")
        assert len(finding["Title"]) <= 256
        assert len(finding["Description"]) <= 1024
        assert all(t.count("/") <= 2 for t in finding["Types"])
        [resource] = finding["Resources"]
        assert resource["Id"] and resource["Type"]
        assert finding["Compliance"]["Status"] == "FAILED"
    assert {f["ProductFields"]["ecr-auditor/ResultId"] for f in findings} == {r.id for r in failures}
    repository = next(f for f in findings if f["Resources"][0]["Type"] == "AwsEcrRepository")
    assert repository["Resources"][0]["Id"].startswith(f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/")


def test_asff_import_into_security_hub(model, emulator):
    store, built = model
    session = boto3.Session(region_name="us-east-1")
    summary = import_findings(store, built, session)
    failures = [r for r in built.results if r.status is Status.FAIL]
    assert summary.account == ACCOUNT
    assert summary.imported == len([r for r in failures if r.resource.account == ACCOUNT])
    assert summary.archived == len(built.comparison.resolved)
    assert summary.skipped_other_accounts == len([r for r in failures if r.resource.account == OTHER_ACCOUNT])
    assert summary.failed == []
    stored = session.client("securityhub").get_findings(MaxResults=100)["Findings"]
    assert len(stored) == summary.imported + summary.archived
    assert {f["RecordState"] for f in stored} == {"ACTIVE", "ARCHIVED"}


@pytest.fixture
def database(sample_store):
    store, runs = sample_store
    return str(store.engine.url), runs


def test_report_command_writes_pdf_to_stdout(database, capsysbinary):
    url, runs = database
    assert main(["--database-url", url, "report", "--run", str(runs.second), "--format", "pdf", "-o", "-"]) == 0
    data = capsysbinary.readouterr().out
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize("fmt", ["html", "json", "csv", "ocsf", "asff"])
def test_report_command_writes_each_format(database, tmp_path, capsys, fmt):
    url, runs = database
    target = tmp_path / f"out.{fmt}"
    assert main(["--database-url", url, "report", "--run", "latest", "--format", fmt, "-o", str(target)]) == 0
    assert capsys.readouterr().out.strip() == str(target)
    data = target.read_bytes()
    assert data
    if fmt in ("json", "ocsf", "asff"):
        json.loads(data)


def test_report_command_rejects_unknown_format(database, capsys):
    url, _ = database
    with pytest.raises(SystemExit) as exit_info:
        main(["--database-url", url, "report", "--format", "xlsx", "-o", "-"])
    assert exit_info.value.code == 2
