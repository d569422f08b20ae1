"""The engine judging a registry's repositories a chunk at a time gives the same results."""

from builders import ACCOUNT, REGION, inventory, lifecycle, repository, scanning

from auditor.checks import default_registry
from auditor.checks.engine import Engine
from auditor.config import CheckSettings
from auditor.inventory import REPOSITORY_DETAIL_KINDS, Kind

NAMES = [f"svc-{i}" for i in range(7)]


def _inventory():
    snapshots = [scanning("BASIC")]
    for i, name in enumerate(NAMES):
        snapshots.append(repository(name, imageTagMutability="IMMUTABLE" if i % 2 else "MUTABLE"))
        if i % 3:
            snapshots.append(lifecycle(name, [{"rulePriority": 1, "selection": {"tagStatus": "untagged",
                "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
                "action": {"type": "expire"}}]))
    return inventory(*snapshots)


def _key(result):
    return (result.check_id, str(result.resource), result.status, result.reason)


def test_chunks_give_same_results():
    engine = Engine(default_registry(), CheckSettings())
    whole = _inventory()
    expected = sorted(map(_key, engine.registry_results(whole.registry(ACCOUNT, REGION), engine.context(whole))))

    chunked = _inventory()
    registry = chunked.registry(ACCOUNT, REGION)
    details = {kind: dict(registry._by_kind.get(kind, {})) for kind in REPOSITORY_DETAIL_KINDS}
    registry.drop(REPOSITORY_DETAIL_KINDS)
    loads = []

    def load(names):
        # Hold only this chunk's details, as the audit does.
        loads.append(names)
        registry.drop(REPOSITORY_DETAIL_KINDS)
        for by_name in details.values():
            for name, snapshot in by_name.items():
                if name.partition("@")[0] in names:
                    registry.add(snapshot)

    found = list(engine.registry_results(registry, engine.context(chunked), load=load, chunk_size=3))

    assert loads == [NAMES[0:3], NAMES[3:6], NAMES[6:7]]
    assert sorted(map(_key, found)) == expected
    assert any(r.check_id == "REPO-02" for r in found)
    assert details[Kind.LIFECYCLE_POLICY]
