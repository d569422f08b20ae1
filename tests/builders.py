"""Builders of inventories for check tests: snapshots as collectors would produce them."""

from __future__ import annotations

import json
from typing import Any

from auditor.config import CheckSettings
from auditor.inventory import (
    LISTING,
    REGISTRY,
    CollectionError,
    Inventory,
    Kind,
    ScopeEntry,
    ScopeStatus,
    Snapshot,
    SnapshotState,
)

ACCOUNT = "111122223333"
REGION = "eu-west-1"


def present(kind: Kind, name: str, payload: Any, account: str = ACCOUNT, region: str = REGION) -> Snapshot:
    return Snapshot(account, region, kind, name, SnapshotState.PRESENT, payload)


def absent(kind: Kind, name: str, account: str = ACCOUNT, region: str = REGION) -> Snapshot:
    return Snapshot(account, region, kind, name, SnapshotState.ABSENT)


def failed(kind: Kind, name: str, code: str = "AccessDeniedException", operation: str = "Get",
           account: str = ACCOUNT, region: str = REGION) -> Snapshot:
    error = CollectionError(account, region, operation, code, "denied by test", kind.value, name)
    return Snapshot(account, region, kind, name, SnapshotState.ERROR, error=error)


def repository(name: str, account: str = ACCOUNT, region: str = REGION, **fields: Any) -> Snapshot:
    payload = {
        "repositoryName": name,
        "repositoryArn": f"arn:aws:ecr:{region}:{account}:repository/{name}",
        "registryId": account,
        "imageTagMutability": "IMMUTABLE",
        "encryptionConfiguration": {"encryptionType": "AES256"},
        "imageScanningConfiguration": {"scanOnPush": False},
    }
    payload.update(fields)
    return present(Kind.REPOSITORY, name, payload, account, region)


def lifecycle(name: str, rules: list[dict[str, Any]] | str) -> Snapshot:
    text = rules if isinstance(rules, str) else json.dumps({"rules": rules})
    return present(Kind.LIFECYCLE_POLICY, name, {"repositoryName": name, "lifecyclePolicyText": text})


def scanning(scan_type: str = "BASIC", rules: list[dict[str, Any]] | None = None) -> Snapshot:
    return present(
        Kind.REGISTRY_SCANNING_CONFIGURATION,
        REGISTRY,
        {"registryId": ACCOUNT, "scanningConfiguration": {"scanType": scan_type, "rules": rules or []}},
    )


def scan_rule(frequency: str, *filters: str) -> dict[str, Any]:
    return {
        "scanFrequency": frequency,
        "repositoryFilters": [{"filter": f, "filterType": "WILDCARD"} for f in filters],
    }


def listing_failure(kind: Kind, code: str = "AccessDeniedException") -> Snapshot:
    return failed(kind, LISTING, code=code)


def inventory(*snapshots: Snapshot, status: ScopeStatus = ScopeStatus.AUDITED, reason: str = "") -> Inventory:
    scope = [ScopeEntry(ACCOUNT, REGION, status, reason)]
    return Inventory.build(scope, snapshots)


def settings(**overrides: Any) -> CheckSettings:
    return CheckSettings(**overrides)


def run_check(check: Any, inv: Inventory, **overrides: Any) -> list[Any]:
    """Evaluate one check through the real engine and return its results."""
    from auditor.checks.engine import CheckRegistry, Engine

    return Engine(CheckRegistry([check]), settings(**overrides)).evaluate(inv)


def only(results: list[Any]) -> Any:
    assert len(results) == 1, results
    return results[0]
