"""Reports of runs with more results than they list: counts over every result, rows up to the limit.

Each run here has about 1,300 results and the report options list far fewer, so every
figure the model shows is checked against the same figure computed from every result.
"""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from report.sample_runs import ACCOUNT, OTHER_ACCOUNT, REGION, _result, save_run

from auditor.checks.model import Area, Severity, Status
from auditor.checks.score import score, score_by
from auditor.report.frameworks import framework_matrices
from auditor.report.history import compare
from auditor.report.html import render_html
from auditor.report.model import ReportOptions, build_report_model
from auditor.store.db import Store

CHECKS = [("REPO-01", Severity.MEDIUM), ("REPO-02", Severity.MEDIUM), ("VULN-01", Severity.HIGH),
          ("PERM-03", Severity.CRITICAL)]
OPTIONS = ReportOptions(pdf_max_rows=40, html_max_rows=150)


def _many(second: bool) -> list:
    """330 repositories in two accounts, each judged by four checks; which fail changes between runs."""
    found = []
    for i in range(330):
        account = ACCOUNT if i % 2 else OTHER_ACCOUNT
        for position, (check_id, severity) in enumerate(CHECKS):
            flip = (i + position + (7 if second else 0)) % 5
            status = [Status.FAIL, Status.PASS, Status.PASS, Status.ERROR, Status.FAIL][flip]
            found.append(_result(check_id, severity, status, f"svc-{i:03d}", f"{check_id} on svc-{i:03d}",
                                 account=account))
    return found


@pytest.fixture
def large_store(database_url):
    store = Store.open(database_url)
    started = datetime(2026, 11, 1, tzinfo=UTC)
    first = save_run(store, False, started, _many(False))
    second = save_run(store, True, started + timedelta(days=7), _many(True))
    yield store, first, second
    store.close()


def test_scores_and_counts_cover_every_result(large_store):
    store, _, second = large_store
    everything = store.load_results(second)
    model = build_report_model(store, second, options=OPTIONS)
    assert model.result_count == len(everything) > OPTIONS.html_max_rows
    assert model.total == score(everything)
    assert model.by_unit == score_by(everything, lambda r: (r.resource.account, r.resource.region))
    failed = Counter(r.severity for r in everything if r.status is Status.FAIL)
    assert model.failed_by_severity == {s: failed.get(s, 0) for s in Severity}
    for section in model.areas:
        in_area = [r for r in everything if r.area is section.area]
        assert section.score == score(in_area)
        assert section.finding_count == sum(1 for r in in_area if r.status in (Status.FAIL, Status.ERROR))
        for check in section.checks:
            counts = Counter(r.status for r in everything if r.check_id == check.meta.id)
            assert check.counts == {s: counts.get(s, 0) for s in Status}
    full = framework_matrices(everything, _registry())
    assert [(m.framework, m.score) for m in model.frameworks] == [(m.framework, m.score) for m in full]


def test_rows_stop_at_the_limit_most_severe_first(large_store):
    store, _, second = large_store
    model = build_report_model(store, second, options=OPTIONS)
    listed = model.listed_results
    assert len(listed) == OPTIONS.html_max_rows
    # Failures first, the critical check's before the others.
    assert {r.status for r in listed} == {Status.FAIL}
    assert listed[0].check_id == "PERM-03"
    for section in model.areas:
        read = sum(len(c.findings) for c in section.checks)
        assert read == min(section.finding_count, OPTIONS.row_budget)
        for item in section.limited(OPTIONS.pdf_max_rows):
            assert item.omitted == item.check.finding_total - len(item.rows)
    repo = next(s for s in model.areas if s.area is Area.REPO)
    # Rows are read without their evidence; counts and reasons are what lists show.
    assert all(r.evidence == {} for c in repo.checks for r in c.findings)


def test_comparison_counts_every_change_and_lists_the_first(large_store):
    store, first, second = large_store
    model = build_report_model(store, second, options=OPTIONS)
    full = compare(store.load_results(second), store.load_results(first), store.run(first))
    assert model.comparison.new_failure_count == len(full.new_failures)
    assert model.comparison.resolved_count == len(full.resolved)
    assert model.comparison.continuing == full.continuing
    assert len(model.comparison.new_failures) == min(len(full.new_failures), OPTIONS.row_budget)
    assert {r.id for r in model.comparison.new_failures} <= {r.id for r in full.new_failures}
    now = {r.id: s for r, s in full.resolved}
    assert all(now[r.id] == s for r, s in model.comparison.resolved)
    # Exports still see every change.
    assert model.full_comparison().new_failure_count == len(full.new_failures)


def test_html_says_how_many_results_it_leaves_out(large_store):
    store, _, second = large_store
    model = build_report_model(store, second, options=OPTIONS)
    html = render_html(model)
    assert f"The first 150 of the run's {model.result_count:,}" in html
    assert "report.html_max_rows" in html
    assert html.count('<tr class="status-') <= 2 * OPTIONS.row_budget + len(model.areas) * OPTIONS.row_budget


def _registry():
    from auditor.checks import default_registry

    return default_registry()


def test_small_runs_list_every_result(large_store):
    store, _, second = large_store
    model = build_report_model(store, second, options=ReportOptions(html_max_rows=100_000))
    assert len(model.listed_results) == model.result_count
    assert "Every result of the run" in render_html(model)
    assert REGION in {r.resource.region for r in model.listed_results}
