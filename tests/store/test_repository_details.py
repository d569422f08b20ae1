"""Repository details read back one chunk of repositories at a time, on every database."""

from auditor.audit import load_details
from auditor.inventory import REGISTRY, Kind, Registry, ScopeEntry, ScopeStatus, Snapshot, SnapshotState
from auditor.store.db import Store

ACCOUNT, REGION = "111122223333", "eu-west-1"
# Names that sort between or around each other byte by byte: "app@..." sorts after "app-2".
NAMES = ["app", "app-2", "app.x", "app/y", "app_z", "apq", "b"]


def _details(name: str) -> list[Snapshot]:
    digest = "sha256:" + format(abs(hash(name)) % 16**8, "08x") * 8
    return [
        Snapshot(ACCOUNT, REGION, Kind.IMAGES, name, SnapshotState.PRESENT, {"imageDetails": [{"imageDigest": digest}]}),
        Snapshot(ACCOUNT, REGION, Kind.LIFECYCLE_POLICY, name, SnapshotState.ABSENT),
        Snapshot(ACCOUNT, REGION, Kind.IMAGE_SCAN_FINDINGS, f"{name}@{digest}", SnapshotState.PRESENT, {"n": name}),
    ]


def test_chunk_loads_exactly_its_repositories(database_url):
    store = Store.open(database_url)
    run_id = store.start_run(tool_version="t", config_sha256="0" * 64)
    snapshots = [d for name in NAMES for d in _details(name)]
    snapshots.append(Snapshot(ACCOUNT, REGION, Kind.REGISTRY_POLICY, REGISTRY, SnapshotState.ABSENT))
    store.save_unit(run_id, ScopeEntry(ACCOUNT, REGION, ScopeStatus.AUDITED), snapshots, [])
    registry = Registry(ACCOUNT, REGION, ScopeEntry(ACCOUNT, REGION, ScopeStatus.AUDITED))

    for chunk in (["app", "app-2"], ["app.x", "app/y", "app_z"], ["apq", "b"], ["app"]):
        loaded = load_details(store, run_id, registry, chunk)
        owners = sorted({s.name.partition("@")[0] for s in loaded})
        assert owners == sorted(chunk), chunk
        assert len(loaded) == 3 * len(chunk), chunk
        assert {s.kind for s in loaded} == {Kind.IMAGES, Kind.LIFECYCLE_POLICY, Kind.IMAGE_SCAN_FINDINGS}
    store.close()
