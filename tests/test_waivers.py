"""Waivers: matching, states, flags, config validation, and the run and report end to end."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import boto3
import pytest

from auditor.audit import run_audit
from auditor.checks.model import Area, ResourceRef, ResourceType, Result, Severity, Status
from auditor.checks.score import failures_at_or_above, score
from auditor.checks.waivers import WaiverState, apply_waivers, pins_one_account, waiver_warnings
from auditor.config import EXAMPLE_CONFIG, LoadedConfig, Waiver, WaiverPolicySettings, load, parse
from auditor.errors import ConfigError
from auditor.report.html import render_html
from auditor.report.model import build_report_model
from auditor.store.db import Store

TODAY = date(2026, 6, 1)
ACCOUNT, REGION = "111122223333", "eu-west-1"
CHECK_IDS = ["REPO-01", "REPO-02", "SCAN-01", "SCAN-02"]
POLICY = WaiverPolicySettings(expiry_warning_days=30)


def result(check_id: str = "REPO-01", name: str = "app", status: Status = Status.FAIL, account: str = ACCOUNT) -> Result:
    return Result(
        check_id=check_id,
        area=Area.REPO,
        severity=Severity.HIGH,
        resource=ResourceRef(account, REGION, ResourceType.REPOSITORY, name),
        status=status,
        reason=f"{check_id} failed on {name}",
        evidence={"imageTagMutability": "MUTABLE"},
    )


def waiver(check: str = "REPO-01", resource: str = f"{ACCOUNT}/{REGION}/repository/app", days: int = 60, **extra) -> Waiver:
    return Waiver(
        check=check,
        resource=resource,
        reason="legacy application, retired in Q3",
        approver="jane.doe@example.com",
        expires=TODAY + timedelta(days=days),
        **extra,
    )


def apply(results, *waivers):
    return apply_waivers(results, list(waivers), POLICY, today=TODAY, check_ids=CHECK_IDS)


@pytest.mark.parametrize(
    ("check", "resource", "target", "expected"),
    [
        ("REPO-01", f"{ACCOUNT}/{REGION}/repository/app", result(), Status.WAIVED),
        ("REPO-*", f"{ACCOUNT}/{REGION}/repository/a*", result(), Status.WAIVED),
        ("REPO-01", f"{ACCOUNT}/*", result(), Status.WAIVED),
        ("REPO-0[12]", "*/repository/app", result(), Status.WAIVED),
        ("REPO-02", f"{ACCOUNT}/{REGION}/repository/app", result(), Status.FAIL),
        ("REPO-01", f"{ACCOUNT}/{REGION}/repository/other", result(), Status.FAIL),
        ("REPO-01", f"{ACCOUNT}/{REGION}/repository/APP", result(), Status.FAIL),  # case-sensitive like ECR names
        ("REPO-01", "999999999999/*", result(), Status.FAIL),
        ("REPO-01", f"{ACCOUNT}/*", result(status=Status.PASS), Status.PASS),
        ("REPO-01", f"{ACCOUNT}/*", result(status=Status.ERROR), Status.ERROR),
        ("REPO-01", f"{ACCOUNT}/*", result(status=Status.NOT_APPLICABLE), Status.NOT_APPLICABLE),
    ],
)
def test_waiver_matching(check, resource, target, expected):
    [after] = apply([target], waiver(check, resource)).results
    assert after.status is expected


def test_waived_result_keeps_failure_evidence():
    original = result()
    [after] = apply([original], waiver(approved=TODAY - timedelta(days=10))).results
    assert after.status is Status.WAIVED
    assert after.reason == original.reason
    assert after.id == original.id
    assert after.evidence["imageTagMutability"] == "MUTABLE"
    recorded = after.evidence["waiver"]
    assert recorded["original_status"] == "FAIL"
    assert recorded["approver"] == "jane.doe@example.com"
    assert recorded["expires"] == (TODAY + timedelta(days=60)).isoformat()
    assert recorded["approved"] == (TODAY - timedelta(days=10)).isoformat()
    assert recorded["position"] == 1


@pytest.mark.parametrize(
    ("days", "status", "state", "expiring_soon"),
    [
        (31, Status.WAIVED, WaiverState.ACTIVE, False),
        (30, Status.WAIVED, WaiverState.ACTIVE, True),
        (0, Status.WAIVED, WaiverState.ACTIVE, True),  # the expiry day itself still applies
        (-1, Status.FAIL, WaiverState.EXPIRED, False),
        (-400, Status.FAIL, WaiverState.EXPIRED, False),
    ],
)
def test_expiry_boundaries(days, status, state, expiring_soon):
    outcome = apply([result()], waiver(days=days))
    [after] = outcome.results
    [review] = outcome.reviews
    assert after.status is status
    assert review.state is state
    assert review.expiring_soon is expiring_soon
    assert review.days_left == days
    assert review.failures == 1
    assert review.waived == (1 if status is Status.WAIVED else 0)


def test_first_matching_waiver_applies():
    outcome = apply([result()], waiver(resource=f"{ACCOUNT}/*"), waiver())
    first, second = outcome.reviews
    assert (first.state, first.waived, first.matched) == (WaiverState.ACTIVE, 1, 1)
    assert (second.state, second.waived, second.matched) == (WaiverState.UNMATCHED, 0, 1)
    assert outcome.results[0].evidence["waiver"]["position"] == 1


def test_expired_waiver_leaves_room_for_next():
    outcome = apply([result()], waiver(days=-1), waiver(resource=f"{ACCOUNT}/*"))
    expired, active = outcome.reviews
    assert expired.state is WaiverState.EXPIRED
    assert active.state is WaiverState.ACTIVE
    assert outcome.results[0].evidence["waiver"]["position"] == 2


@pytest.mark.parametrize(
    ("targets", "matched"),
    [([], 0), ([result(name="other")], 0), ([result(status=Status.PASS)], 1)],
)
def test_unmatched_waiver_reported(targets, matched):
    [review] = apply(targets, waiver()).reviews
    assert review.state is WaiverState.UNMATCHED
    assert review.matched == matched
    assert review.waived == 0


@pytest.mark.parametrize(
    ("check", "resource", "broad_checks", "broad_accounts"),
    [
        ("REPO-01", f"{ACCOUNT}/{REGION}/repository/app", False, False),
        ("REPO-01", f"{ACCOUNT}/*", False, False),
        ("REPO-01", "*", False, True),
        ("REPO-01", "*/eu-west-1/repository/app", False, True),
        ("REPO-01", "1111222233*/eu-west-1/repository/app", False, True),
        ("REPO-01", "app", False, True),
        ("*", f"{ACCOUNT}/*", True, False),
        ("[RS]*", f"{ACCOUNT}/*", True, False),
        ("REPO-*", f"{ACCOUNT}/*", False, False),
        ("*", "*", True, True),
    ],
)
def test_broad_patterns_flagged(check, resource, broad_checks, broad_accounts):
    [review] = apply([result()], waiver(check, resource)).reviews
    assert review.broad_checks is broad_checks
    assert review.broad_accounts is broad_accounts
    assert pins_one_account(resource) is not broad_accounts


def test_waived_counts_as_pass_but_never_for_exit():
    outcome = apply([result(), result("REPO-02")], waiver())
    assert score(outcome.results).score == 50.0
    assert [r.check_id for r in failures_at_or_above(outcome.results, Severity.HIGH)] == ["REPO-02"]


def test_warnings_list_what_to_review():
    waivers = [waiver(days=-3), waiver(days=5), waiver("*", "*"), waiver("NOPE-01")]
    lines = waiver_warnings(waivers, POLICY, today=TODAY, check_ids=CHECK_IDS)
    assert any(line.startswith("waiver 1 ") and "expired on" in line for line in lines)
    assert any(line.startswith("waiver 2 ") and "expires in 5 day(s)" in line for line in lines)
    assert any(line.startswith("waiver 3 ") and "every check" in line for line in lines)
    assert any(line.startswith("waiver 3 ") and "one account" in line for line in lines)
    assert any(line.startswith("waiver 4 ") and "matches no check" in line for line in lines)


# Configuration ------------------------------------------------------------------

WAIVER_TOML = """
[[waivers]]
check = "REPO-01"
resource = "111122223333/*"
reason = "legacy"
approver = "jane"
"""


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        (WAIVER_TOML + "expires = 2026-01-01\napproved = 2026-02-01\n", "waivers.0.expires", "datetime.date(2026, 1, 1)"),
        (WAIVER_TOML + "expires = 'soon'\n", "waivers.0.expires", "'soon'"),
        (WAIVER_TOML.replace('"REPO-01"', '"repo 01"') + "expires = 2026-01-01\n", "waivers.0.check", "'repo 01'"),
        (WAIVER_TOML.replace('"legacy"', '"   "') + "expires = 2026-01-01\n", "waivers.0.reason", "'   '"),
        (WAIVER_TOML + "expires = 2026-01-01\nowner = 'x'\n", "waivers.0.owner", "'x'"),
        (WAIVER_TOML, "waivers.0.expires", "{'check'"),
        ("[waiver_policy]\nexpiry_warning_days = -1\n", "waiver_policy.expiry_warning_days", "-1"),
        (
            "[waiver_policy]\nmax_duration_days = 90\n" + WAIVER_TOML + "expires = 2026-12-31\napproved = 2026-01-01\n",
            "waivers.0.expires",
            "'2026-12-31'",
        ),
        ("[waiver_policy]\nmax_duration_days = 90\n" + WAIVER_TOML + "expires = 2026-01-01\n", "waivers.0.approved", ""),
    ],
)
def test_invalid_waiver_names_key_value_and_file(tmp_path, text, key, value):
    path = tmp_path / "ecr-auditor.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert f"'{key}'" in message
    assert value in message
    assert str(path) in message
    assert caught.value.exit_code == 2


def test_max_duration_accepts_short_waiver(tmp_path):
    text = "[waiver_policy]\nmax_duration_days = 90\n" + WAIVER_TOML + "expires = 2026-03-01\napproved = 2026-01-01\n"
    settings = parse(text, tmp_path / "ecr-auditor.toml")
    assert settings.waivers[0].expires == date(2026, 3, 1)


def test_example_config_examples_are_valid():
    # Uncomment the example [[waivers]] and [[schedules]] tables: they must stay valid.
    lines = []
    for line in EXAMPLE_CONFIG.splitlines():
        if re.match(r"^# (\[\[(waivers|schedules)\]\]|(check|resource|reason|approver|approved|expires|name|cron|"
                    r"audit|recipients|only_when_changed|sender|host) = )", line):
            line = line[2:]
        lines.append("" if line == "#" else line)
    settings = parse("\n".join(lines), Path("example.toml"))
    assert [w.check for w in settings.waivers] == ["REPO-05"]
    assert [s.name for s in settings.schedules] == ["daily-audit", "weekly-report"]
    assert settings.email.sender == "ecr-auditor@example.com"


# End to end -----------------------------------------------------------------------

E2E_ACCOUNT, E2E_REGION = "123456789012", "us-east-1"


def e2e_config(tmp_path, today: date) -> LoadedConfig:
    resource = f"{E2E_ACCOUNT}/{E2E_REGION}/repository"
    text = f"""
[audit]
regions = ["{E2E_REGION}"]
fail_on = "high"

[[waivers]]
check = "SCAN-02"
resource = "{resource}/app"
reason = "Scanned by the CI pipeline before every push."
approver = "jane.doe@example.com"
expires = {today + timedelta(days=10)}

[[waivers]]
check = "REPO-01"
resource = "{resource}/app"
reason = "Tags are moved on purpose during the migration."
approver = "jane.doe@example.com"
expires = {today - timedelta(days=2)}

[[waivers]]
check = "REPO-02"
resource = "{resource}/retired-*"
reason = "Retired repositories keep every image."
approver = "jane.doe@example.com"
expires = {today + timedelta(days=100)}
"""
    path = tmp_path / "ecr-auditor.toml"
    path.write_text(text)
    return load(path)


def test_run_applies_waivers_and_report_shows_them(tmp_path, emulator):
    boto3.client("ecr", region_name=E2E_REGION).create_repository(repositoryName="app")
    config = e2e_config(tmp_path, date.today())
    store = Store.open(config.database_url())
    try:
        outcome = run_audit(config, store)
        stored = {r.check_id: r for r in store.load_results(outcome.run_id) if r.resource.name == "app"}
        reviews = store.load_waiver_reviews(outcome.run_id)
        html = render_html(build_report_model(store, outcome.run_id))
    finally:
        store.close()

    # SCAN-02 (high) is waived, so only medium failures remain: exit code 0 with fail_on = high.
    assert outcome.exit_code == 0
    assert stored["SCAN-02"].status is Status.WAIVED
    assert stored["SCAN-02"].reason.startswith("BASIC scanning is MANUAL")
    assert stored["SCAN-02"].evidence["waiver"]["reason"] == "Scanned by the CI pipeline before every push."
    assert stored["REPO-01"].status is Status.FAIL
    assert [(r.position, r.state, r.waived, r.failures) for r in reviews] == [
        (1, WaiverState.ACTIVE, 1, 1),
        (2, WaiverState.EXPIRED, 0, 1),
        (3, WaiverState.UNMATCHED, 0, 0),
    ]
    assert reviews[0].expiring_soon

    section = html[html.index('<section id="waivers">') :]
    section = section[: section.index("</section>")]
    assert "expired" in section
    assert "matches no failure" in section
    assert "expires soon" in section
    assert "<td>WAIVED</td>" in section
    assert "Scanned by the CI pipeline before every push." in section
