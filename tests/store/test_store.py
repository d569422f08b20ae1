from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect

from auditor.checks.model import Area, ResourceRef, ResourceType, Result, Severity, Status
from auditor.errors import RunNotFoundError, StoreError
from auditor.inventory import (
    REGISTRY,
    CallRecord,
    CollectionError,
    Kind,
    ScopeEntry,
    ScopeStatus,
    Snapshot,
    SnapshotState,
)
from auditor.store.db import Store

ACCOUNT, REGION = "111122223333", "us-east-1"


def snapshots(policy_text: str) -> list[Snapshot]:
    error = CollectionError(ACCOUNT, REGION, "GetLifecyclePolicy", "AccessDeniedException", "no", "lifecycle_policy", "app")
    return [
        Snapshot(ACCOUNT, REGION, Kind.REGISTRY_POLICY, REGISTRY, SnapshotState.PRESENT, {"policyText": policy_text}),
        Snapshot(ACCOUNT, REGION, Kind.REPOSITORY, "app", SnapshotState.PRESENT, {"repositoryName": "app"}),
        Snapshot(ACCOUNT, REGION, Kind.REPOSITORY_POLICY, "app", SnapshotState.ABSENT),
        Snapshot(ACCOUNT, REGION, Kind.LIFECYCLE_POLICY, "app", SnapshotState.ERROR, error=error),
    ]


def save_run(store: Store, policy_text: str = "{}") -> int:
    run_id = store.start_run(tool_version="test", config_sha256="0" * 64)
    scope = ScopeEntry(ACCOUNT, REGION, ScopeStatus.AUDITED)
    taken = snapshots(policy_text)
    store.save_unit(run_id, scope, taken, [taken[-1].error])
    result = Result("REPO-02", Area.REPO, Severity.MEDIUM, ResourceRef(ACCOUNT, REGION, ResourceType.REPOSITORY, "app"),
                    Status.ERROR, "could not read", {"operation": "GetLifecyclePolicy"})
    store.save_results(run_id, [result])
    call = CallRecord("ecr", "DescribeRepositories", ACCOUNT, REGION, "req-1", 200, None, datetime.now(UTC), 12.5)
    store.save_calls(run_id, {("ecr", "DescribeRepositories"): (1, 0)}, [call])
    store.finish_run(run_id, score=50.0, coverage=90.0, exit_code=3)
    return run_id


def test_migration_creates_schema(database_url):
    store = Store.open(database_url)
    tables = set(inspect(store.engine).get_table_names())
    assert {"runs", "payloads", "snapshots", "results", "collection_errors", "scope", "alembic_version"} <= tables
    store.close()


def test_migration_is_idempotent(database_url):
    Store.open(database_url).close()
    store = Store.open(database_url)
    assert store.runs() == []
    store.close()


def test_round_trip_inventory(database_url):
    store = Store.open(database_url)
    run_id = save_run(store, '{"Version": "2012-10-17"}')
    inventory = store.load_inventory(run_id)
    registry = inventory.registry(ACCOUNT, REGION)
    assert registry is not None
    assert registry.get(Kind.REGISTRY_POLICY).payload == {"policyText": '{"Version": "2012-10-17"}'}
    assert registry.get(Kind.REPOSITORY_POLICY, "app").absent
    lifecycle = registry.get(Kind.LIFECYCLE_POLICY, "app")
    assert lifecycle.state is SnapshotState.ERROR
    assert lifecycle.error.error_code == "AccessDeniedException"
    assert lifecycle.error.operation == "GetLifecyclePolicy"
    assert [r.name for r in registry.repositories()] == ["app"]
    store.close()


def test_results_errors_and_calls_round_trip(database_url):
    store = Store.open(database_url)
    run_id = save_run(store)
    [result] = store.load_results(run_id)
    assert result.status is Status.ERROR
    assert result.evidence == {"operation": "GetLifecyclePolicy"}
    assert str(result.resource) == f"{ACCOUNT}/{REGION}/repository/app"
    [error] = store.load_errors(run_id)
    assert (error.operation, error.error_code) == ("GetLifecyclePolicy", "AccessDeniedException")
    assert store.load_call_counts(run_id) == {("ecr", "DescribeRepositories"): (1, 0)}
    info = store.run(run_id)
    assert (info.status, info.score, info.coverage, info.exit_code) == ("complete", 50.0, 90.0, 3)
    store.close()


def test_unchanged_payloads_stored_once(database_url):
    store = Store.open(database_url)
    save_run(store, '{"a": 1}')
    first = store.payload_stats()
    save_run(store, '{"a": 1}')
    assert store.payload_stats() == first
    save_run(store, '{"a": 2}')
    count, _ = store.payload_stats()
    assert count == first[0] + 1
    store.close()


def test_running_run_is_not_latest(database_url):
    store = Store.open(database_url)
    complete = save_run(store)
    running = store.start_run(tool_version="test", config_sha256="")
    assert store.resolve("latest").id == complete
    with pytest.raises(RunNotFoundError):
        store.resolve(running)
    store.fail_run(running, "killed")
    assert store.run(running).status == "failed"
    store.close()


def test_resolve_rejects_garbage(database_url):
    store = Store.open(database_url)
    with pytest.raises(RunNotFoundError):
        store.resolve("latest")
    with pytest.raises(RunNotFoundError):
        store.resolve("seven")
    store.close()


def test_unreachable_postgres_is_store_error():
    with pytest.raises(StoreError) as caught:
        Store.open("postgresql+psycopg://postgres@127.0.0.1:1/none")
    assert "unreachable" in str(caught.value)


def test_packed_snapshot_reads_as_collected():
    from auditor.inventory import _PARSED, canonical_json

    payload = {"repositoryName": "app", "imageDetails": [{"imageDigest": "sha256:" + "a" * 64, "imageTags": ["v1"]}]}
    packed = Snapshot.packed(ACCOUNT, REGION, Kind.IMAGES, "app", canonical_json(payload))
    plain = Snapshot(ACCOUNT, REGION, Kind.IMAGES, "app", SnapshotState.PRESENT, payload)
    assert packed.payload == payload
    assert packed.value() == payload
    assert packed == plain
    assert packed.body == plain.body == canonical_json(payload)
    # Only the most recently read payloads stay parsed: reading many never keeps them all.
    many = [Snapshot.packed(ACCOUNT, REGION, Kind.IMAGES, f"r{i}", canonical_json({"n": i})) for i in range(2000)]
    assert [s.payload["n"] for s in many] == list(range(2000))
    assert len(_PARSED._entries) <= 64


def test_packed_payloads_store_under_the_same_hash(database_url):
    from auditor.inventory import canonical_json

    store = Store.open(database_url)
    payload = {"policyText": '{"Version":"2012-10-17"}'}
    run_id = store.start_run(tool_version="t", config_sha256="0" * 64)
    packed = Snapshot.packed(ACCOUNT, REGION, Kind.REGISTRY_POLICY, "registry", canonical_json(payload))
    plain = Snapshot(ACCOUNT, "eu-west-1", Kind.REGISTRY_POLICY, "registry", SnapshotState.PRESENT, payload)
    store.save_unit(run_id, ScopeEntry(ACCOUNT, REGION, ScopeStatus.AUDITED), [packed], [])
    store.save_unit(run_id, ScopeEntry(ACCOUNT, "eu-west-1", ScopeStatus.AUDITED), [plain], [])
    assert store.payload_stats()[0] == 1  # one body, stored once
    loaded = store.load_inventory(run_id).registry(ACCOUNT, REGION)
    assert loaded is not None and loaded.get(Kind.REGISTRY_POLICY).payload == payload
    store.close()
