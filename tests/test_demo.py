"""The demo end to end: emulated estate on 127.0.0.1, three audits with changes, reports, evidence."""

import io
import re
from contextlib import redirect_stdout
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from auditor.cli import main
from auditor.evidence.signing import load_public_key
from auditor.evidence.verify import verify_package
from auditor.store.db import Store

FEATURE_ROWS = ("Registry policy", "Replication", "Scanning", "Signing", "Pull through cache",
                "Creation templates", "Repositories")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if not self._in_script:
            self.text.append(data)


def text_of(path):
    parser = _Text()
    parser.feed(path.read_text())
    return " ".join(parser.text), parser


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    output = tmp_path_factory.mktemp("demo")
    stdout = io.StringIO()
    with redirect_stdout(stdout):
        code = main(["demo", "--output", str(output), "--repositories", "12"])
    return output, code, stdout.getvalue()


def test_demo_prints_last_html_report(demo):
    output, code, stdout = demo
    assert code == 0
    assert stdout.strip().splitlines()[-1] == str(output / "ecr-audit-run-3.html")


def test_demo_keeps_three_complete_runs(demo):
    output, _, _ = demo
    store = Store.open(f"sqlite:///{output / 'ecr-auditor-demo.db'}")
    try:
        assert [r.status for r in store.runs()] == ["complete"] * 3
        inventory = store.load_inventory(1)
        assert len({r.account for r in inventory.registries}) >= 2
        assert len({r.region for r in inventory.registries}) >= 2
    finally:
        store.close()


def test_demo_report_shows_checks_and_settings(demo):
    output, _, _ = demo
    text, parser = text_of(output / "ecr-audit-run-1.html")
    for check_id in ("PERM-01", "PERM-04", "REPO-01", "REPO-02", "REPO-03", "REPO-04", "REPO-05", "SCAN-01", "SCAN-02"):
        assert check_id in text
    for feature in FEATURE_ROWS:
        assert feature in text
    assert "Account setting REGISTRY_POLICY_SCOPE" in text
    assert re.search(r"Score\s+\d+\.\d%", text)
    assert "coverage" in text
    # The table script is the only script; nothing from AWS renders as markup.
    assert parser.scripts == 1


def test_demo_second_run_shows_drift_and_changes(demo):
    output, _, _ = demo
    text, _ = text_of(output / "ecr-audit-run-2.html")
    assert "Compared with run 1" in text
    for change in ("narrowed", "relaxed", "destination 123456789012/us-west-2", "statement OrganizationPull"):
        assert change in text
    assert re.search(r"[1-9]\d* new failures?", text)
    assert re.search(r"[1-9]\d* resolved", text)


def test_demo_last_run_shows_trend_of_three_runs(demo):
    output, _, _ = demo
    text, _ = text_of(output / "ecr-audit-run-3.html")
    assert "over the last 3 complete runs" in text
    assert "statement VendorReplication" in text
    assert "destination 999988887777/us-west-2" in text


def test_demo_writes_pdf_and_signed_evidence(demo):
    output, _, _ = demo
    reader = PdfReader(output / "ecr-audit-run-3.pdf")
    assert len(reader.pages) > 10
    assert "compliance report" in reader.pages[0].extract_text().lower()
    report = verify_package(output / "ecr-audit-run-3-evidence.zip", load_public_key(output / "evidence-signing-key.pub"))
    assert report.ok, report.problems
    assert report.run_ids == [3]
    assert report.signature_checked_with == "the given public key"


def test_demo_rejects_too_few_repositories(tmp_path, capsys):
    assert main(["demo", "--output", str(tmp_path), "--repositories", "0"]) == 2
    assert "invalid --repositories 0" in capsys.readouterr().err
