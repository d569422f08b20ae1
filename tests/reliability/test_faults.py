"""Seeded faults in the emulated estate: the audit's results survive retryable errors,
lose only what was denied, and exit 3 whenever scope was lost."""

from __future__ import annotations

import time

import pytest

from auditor.checks.model import Status
from auditor.emulator.faults import AccessDenial, AssumeRoleDenial, CallFilter, FaultPlan, TransientFault
from auditor.inventory import ScopeStatus
from reliability.estate import (
    ACCOUNTS,
    MEMBER,
    REGIONS,
    REPOSITORIES,
    audit,
    request_count,
    reset_request_count,
    result_table,
    seed_estate,
)

# Attempts per call in estate.settings(): the first one and two retries.
RETRY_BUDGET = 3


@pytest.mark.parametrize("kind", ["throttle", "server_error", "unavailable"])
def test_transient_faults_leave_results_unchanged(emulator, tmp_path, kind):
    seed_estate(emulator)
    reset_request_count(emulator)
    clean, clean_store = audit(tmp_path / "clean")
    clean_requests = request_count(emulator)
    clean_store.close()

    # 20% of attempts fail, never more than RETRY_BUDGET - 1 times in a row for one call,
    # so every call succeeds within botocore's standard retry budget.
    emulator.state.set_fault_plan(
        FaultPlan(
            seed=7,
            max_consecutive_failures=RETRY_BUDGET - 1,
            transient=[TransientFault(kind=kind, rate=0.2)],
        )
    )
    reset_request_count(emulator)
    started = time.monotonic()
    faulty, faulty_store = audit(tmp_path / "faulty")
    seconds = time.monotonic() - started
    faulty_requests = request_count(emulator)

    assert faulty_requests > clean_requests * 1.1, "the fault plan did not fail enough calls to test retries"
    assert faulty_store.load_errors(faulty.run_id) == []
    assert result_table(faulty) == result_table(clean)
    assert faulty.score == clean.score
    assert faulty.coverage == clean.coverage
    assert faulty.exit_code == clean.exit_code
    assert seconds < 30
    faulty_store.close()


def test_throttling_beyond_retry_budget_is_lost_scope(emulator, tmp_path):
    seed_estate(emulator)
    # Every DescribeRepositories attempt in one registry fails, more times in a row than the budget allows.
    emulator.state.set_fault_plan(
        FaultPlan(
            max_consecutive_failures=RETRY_BUDGET,
            transient=[
                TransientFault(
                    kind="throttle",
                    rate=1.0,
                    match=CallFilter(operations=("DescribeRepositories",), accounts=(MEMBER,), regions=("eu-west-1",)),
                )
            ],
        )
    )
    outcome, store = audit(tmp_path)

    errors = store.load_errors(outcome.run_id)
    assert {(e.account, e.region, e.operation) for e in errors} == {(MEMBER, "eu-west-1", "DescribeRepositories")}
    assert outcome.exit_code == 3
    assert any(r.status is Status.ERROR for r in outcome.results)
    store.close()


def test_denied_repository_errors_only_its_checks(emulator, tmp_path):
    seed_estate(emulator)
    clean, clean_store = audit(tmp_path / "clean")
    clean_store.close()
    denied_repository = REPOSITORIES[0]
    denied_resource = f"{MEMBER}/eu-west-1/repository/{denied_repository}"
    emulator.state.set_fault_plan(
        FaultPlan(
            access_denied=[
                AccessDenial(CallFilter(accounts=(MEMBER,), regions=("eu-west-1",), resources=(denied_repository,)))
            ]
        )
    )
    denied, store = audit(tmp_path / "denied")

    errors = [r for r in denied.results if r.status is Status.ERROR]
    assert errors
    assert {str(r.resource) for r in errors} == {denied_resource}
    # Every other resource keeps the verdict of the fault-free run.
    others = {row for row in result_table(denied) if row[1] != denied_resource}
    assert others == {row for row in result_table(clean) if row[1] != denied_resource}
    assert denied.exit_code == 3
    assert denied.coverage is not None
    assert clean.coverage is not None
    assert denied.coverage < clean.coverage
    store.close()


LOST_SCOPE = {
    "assume role denied": FaultPlan(assume_role_denied=AssumeRoleDenial(accounts=(MEMBER,))),
    "region denied": FaultPlan(access_denied=[AccessDenial(CallFilter(services=("ecr",), regions=("eu-west-1",)))]),
    "operation denied": FaultPlan(access_denied=[AccessDenial(CallFilter(operations=("GetRegistryPolicy",)))]),
    "account denied": FaultPlan(access_denied=[AccessDenial(CallFilter(services=("ecr",), accounts=(MEMBER,)))]),
    "lifecycle policy denied": FaultPlan(
        access_denied=[AccessDenial(CallFilter(operations=("GetLifecyclePolicy",), resources=(REPOSITORIES[1],)))]
    ),
}


@pytest.mark.parametrize("plan", LOST_SCOPE.values(), ids=LOST_SCOPE.keys())
def test_lost_scope_exits_3(emulator, tmp_path, plan):
    seed_estate(emulator)
    emulator.state.set_fault_plan(plan)
    outcome, store = audit(tmp_path)

    assert outcome.exit_code == 3
    assert outcome.incomplete_reasons
    assert store.run(outcome.run_id).status == "complete"
    store.close()


def test_disabled_region_is_skipped_not_lost(emulator, tmp_path):
    seed_estate(emulator)
    # af-south-1 is an opt-in region that the emulator leaves disabled.
    outcome, store = audit(tmp_path, regions=[*REGIONS, "af-south-1"])

    statuses = {(e.account, e.region): e.status for e in store.load_scope(outcome.run_id)}
    for account in ACCOUNTS:
        assert statuses[(account, "af-south-1")] is ScopeStatus.SKIPPED
    assert outcome.exit_code in (0, 1)
    assert not [r for r in outcome.results if r.resource.region == "af-south-1"]
    store.close()


def test_latency_changes_nothing(emulator, tmp_path):
    seed_estate(emulator)
    clean, clean_store = audit(tmp_path / "clean")
    clean_store.close()
    emulator.latency_ms = 20
    try:
        slow, store = audit(tmp_path / "slow")
    finally:
        emulator.latency_ms = 0
    assert result_table(slow) == result_table(clean)
    assert store.load_errors(slow.run_id) == []
    store.close()
