"""Report model against earlier runs: new and resolved failures, trend, drift, on every database."""

from report.sample_runs import HOSTILE_NAME, REGION

from auditor.checks.model import Area, Status
from auditor.checks.score import score
from auditor.report.drift import ChangeKind, Feature
from auditor.report.history import first_failed, trend
from auditor.report.model import ReportOptions, build_report_model


def test_new_and_resolved_failures_match_by_result_id(every_database_store):
    store, runs = every_database_store
    model = build_report_model(store, runs.second)
    new = {(r.check_id, r.resource.name) for r in model.comparison.new_failures}
    resolved = {(r.check_id, r.resource.name, now) for r, now in model.comparison.resolved}
    assert new == {("PERM-02", "registry"), ("TMPL-01", "prod")}
    assert resolved == {("REPO-01", "legacy", Status.PASS)}
    # The hostile-named repository failed in both runs: continuing, neither new nor resolved.
    assert HOSTILE_NAME not in {name for _, name in new}
    assert model.comparison.continuing == 8
    assert model.previous is not None and model.previous.id == runs.first


def test_first_run_has_nothing_to_compare(every_database_store):
    store, runs = every_database_store
    model = build_report_model(store, runs.first)
    assert model.previous is None
    assert model.comparison.new_failures == []
    assert model.drift is None
    assert model.score_change is None


def test_drift_between_sample_runs(every_database_store):
    store, runs = every_database_store
    model = build_report_model(store, runs.second)
    assert model.drift is not None
    found = {(c.account, c.feature, c.subject, c.kind) for c in model.drift.changes}
    account = "123456789012"
    assert found == {
        (account, Feature.REGISTRY_POLICY, "statement Vendor", ChangeKind.ADDED),
        (account, Feature.REPLICATION, f"destination {account}/us-west-2", ChangeKind.ADDED),
        (account, Feature.SCANNING, "CONTINUOUS_SCAN filters", ChangeKind.NARROWED),
        (account, Feature.CREATION_TEMPLATE, "prod tag mutability", ChangeKind.RELAXED),
    }
    assert all(c.region == REGION for c in model.drift.changes)


def test_trend_matches_scores_of_each_run(every_database_store):
    store, runs = every_database_store
    points = trend(store, store.run(runs.second), runs=12)
    assert [p.run_id for p in points] == [runs.first, runs.second]
    for point in points:
        results = store.load_results(point.run_id)
        assert point.total == score(results).score
        assert point.coverage == score(results).coverage
        repo = [r for r in results if r.area is Area.REPO]
        assert point.areas[Area.REPO] == score(repo).score


def test_trend_keeps_last_runs_only(every_database_store):
    store, runs = every_database_store
    points = trend(store, store.run(runs.second), runs=1)
    assert [p.run_id for p in points] == [runs.second]


def test_trend_chart_is_inline_svg(every_database_store):
    store, runs = every_database_store
    model = build_report_model(store, runs.second, options=ReportOptions(trend_runs=5))
    assert model.trend_chart.startswith("<svg")
    assert "<?xml" not in model.trend_chart
    assert 'href="http' not in model.trend_chart


def test_first_failed_is_earliest_failing_run(every_database_store):
    store, runs = every_database_store
    model = build_report_model(store, runs.second)
    by_name = {r.resource.name: r.id for r in model.results if r.status is Status.FAIL}
    since = first_failed(store, runs.second, list(by_name.values()))
    assert since[by_name[HOSTILE_NAME]] == store.run(runs.first).started_at
    assert since[by_name["prod"]] == store.run(runs.second).started_at


def test_score_change_against_previous_run(every_database_store):
    store, runs = every_database_store
    model = build_report_model(store, runs.second)
    expected = round(score(model.results).score - score(store.load_results(runs.first)).score, 1)
    assert model.score_change == expected
    assert model.severity_change(model.results[1].severity) == 1
