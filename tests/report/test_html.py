"""The HTML report: escaping, the sections of the executive summary, the inline script and size."""

import base64
import hashlib
import re
import time
from html.parser import HTMLParser

import pytest
from report.sample_runs import FORMULA_NAME, HOSTILE_NAME

from auditor.checks.model import Area, ResourceRef, ResourceType, Result, Severity, Status
from auditor.inventory import ScopeEntry, ScopeStatus
from auditor.report.html import render_html, write_html_report
from auditor.report.model import build_report_model
from auditor.store.db import Store


class Page(HTMLParser):
    """Collects text, scripts, element ids and the Content-Security-Policy of a page."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.scripts: list[str] = []
        self.ids: set[str] = set()
        self.csp = ""
        self.svg = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag == "svg":
            self.svg += 1
        if tag == "meta" and attributes.get("http-equiv") == "Content-Security-Policy":
            self.csp = attributes["content"]

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


@pytest.fixture(scope="module")
def page(sample_store):
    store, runs = sample_store
    html = render_html(build_report_model(store, runs.second))
    parsed = Page()
    parsed.feed(html)
    return html, parsed


def test_hostile_values_are_escaped(page):
    html, parsed = page
    assert HOSTILE_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE_NAME in " ".join(parsed.text)
    assert FORMULA_NAME.replace('"', "&#34;") in html


def test_csp_allows_only_table_script(page):
    _, parsed = page
    [script] = parsed.scripts
    assert "makeSortable" in script
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in parsed.csp
    assert "default-src 'none'" in parsed.csp


def test_summary_lists_new_and_resolved_failures(page):
    _, parsed = page
    text = " ".join(parsed.text)
    assert re.search(r"1 new failure|2 new failures", text)
    assert "Failures resolved since run 1" in text
    assert "New failures since run 1" in text
    for section in ("summary", "trend", "drift", "frameworks", "inventory", "scope", "results", "run"):
        assert section in parsed.ids


def test_summary_names_worst_accounts_and_regions(page):
    _, parsed = page
    text = " ".join(parsed.text)
    assert "Worst accounts" in text
    assert "Worst regions" in text
    assert "123456789012" in text


def test_drift_section_lists_changes(page):
    _, parsed = page
    text = " ".join(parsed.text)
    for expected in ("narrowed", "relaxed", "statement Vendor", "destination 123456789012/us-west-2"):
        assert expected in text


def test_trend_chart_is_inline(page):
    html, parsed = page
    assert parsed.svg >= 1
    assert re.search(r'<figure class="chart"><svg', html)
    assert "<img" not in html


def test_framework_matrix_shows_notes(page):
    _, parsed = page
    text = " ".join(parsed.text)
    assert "Framework matrix" in text
    assert "AWS Foundational Security Best Practices" in text
    assert "ECR.2 passes only IMMUTABLE" in text


def test_html_has_no_external_reference(page):
    html, _ = page
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "@import" not in html


def test_every_result_row_carries_its_id(sample_store, page):
    store, runs = sample_store
    html, _ = page
    for result in store.load_results(runs.second):
        assert result.id in html


def test_html_report_of_ten_thousand_results(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'large.db'}")
    run_id = store.start_run(tool_version="test", config_sha256="0" * 64)
    accounts = [f"{100000000000 + i}" for i in range(20)]
    for account in accounts:
        store.save_unit(run_id, ScopeEntry(account, "eu-west-1", ScopeStatus.AUDITED), [], [])
    results = [
        Result(
            "REPO-01",
            Area.REPO,
            Severity.MEDIUM,
            ResourceRef(accounts[i % 20], "eu-west-1", ResourceType.REPOSITORY, f"team-{i % 97}/service-{i}"),
            Status.FAIL if i % 3 else Status.PASS,
            "image tags are MUTABLE",
        )
        for i in range(10_000)
    ]
    store.save_results(run_id, results)
    store.finish_run(run_id, score=None, coverage=None, exit_code=1)
    started = time.monotonic()
    path = write_html_report(store, run_id, tmp_path)
    seconds = time.monotonic() - started
    store.close()
    html = path.read_text()
    assert path.name == f"ecr-audit-run-{run_id}.html"
    assert seconds < 30
    assert html.count('class="findings sortable filterable all-results"') == 1
    assert html.count("<tr class=\"status-") >= 10_000 + 6_666
    assert len(html) < 25_000_000
