"""Replication checks end to end across two emulated accounts and two regions."""

import json

from auditor.audit import run_audit
from auditor.checks.model import ResourceType, Status
from auditor.config import load
from auditor.emulator.seed import EstateSeeder
from auditor.store.db import Store

SOURCE = "123456789012"
PARTNER = "210987654321"
STRANGER = "999988887777"
EAST, WEST = "us-east-1", "us-west-2"


def audit(tmp_path, checks_section):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text(
        f'[audit]\naccounts = ["{SOURCE}", "{PARTNER}"]\nregions = ["{EAST}", "{WEST}"]\n\n[checks]\n{checks_section}\n'
    )
    store = Store.open(f"sqlite:///{tmp_path / 'audit.db'}")
    try:
        outcome = run_audit(load(config), store)
        stored = store.load_results(outcome.run_id)
    finally:
        store.close()
    return [r for r in stored if r.check_id.startswith("REPL-")]


def seed(emulator):
    seeder = EstateSeeder(emulator)
    source = seeder.ecr(SOURCE, EAST)
    source.put_replication_configuration(replicationConfiguration={"rules": [
        {"destinations": [{"region": EAST, "registryId": PARTNER}],
         "repositoryFilters": [{"filter": "prod/", "filterType": "PREFIX_MATCH"}]},
        {"destinations": [{"region": WEST, "registryId": SOURCE}]},
        {"destinations": [{"region": EAST, "registryId": STRANGER}],
         "repositoryFilters": [{"filter": "prod/", "filterType": "PREFIX_MATCH"}]},
    ]})
    source.put_registry_scanning_configuration(scanType="ENHANCED", rules=[
        {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}])
    source.create_repository(repositoryName="prod/api", imageTagMutability="IMMUTABLE")
    source.create_repository(repositoryName="web", imageTagMutability="IMMUTABLE")

    # Cross-region replica in the same account: a template, but the replica is mutable.
    west = seeder.ecr(SOURCE, WEST)
    west.create_repository_creation_template(prefix="ROOT", appliedFor=["REPLICATION"],
                                             imageTagMutability="IMMUTABLE")
    west.put_registry_scanning_configuration(scanType="ENHANCED", rules=[
        {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}])
    west.create_repository(repositoryName="prod/api", imageTagMutability="MUTABLE")
    west.create_repository(repositoryName="web", imageTagMutability="IMMUTABLE")

    # The partner account lets the source replicate, but has no creation template.
    partner = seeder.ecr(PARTNER, EAST)
    partner.put_registry_policy(policyText=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "ReplicationFromSource", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{SOURCE}:root"},
        "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"],
        "Resource": f"arn:aws:ecr:{EAST}:{PARTNER}:repository/*"}]}))


def test_replication_checks_end_to_end(emulator, tmp_path):
    seed(emulator)
    results = audit(tmp_path, f'trusted_accounts = ["{PARTNER}"]\nrequired_replication_regions = ["{WEST}"]\n'
                              'critical_repository_prefixes = ["prod/", "web"]')
    found = {(r.check_id, str(r.resource)): r for r in results}
    source_registry = f"{SOURCE}/{EAST}/registry/registry"

    assert found[("REPL-01", source_registry)].status is Status.PASS
    assert found[("REPL-01", f"{SOURCE}/{WEST}/registry/registry")].status is Status.PASS  # its own region
    assert found[("REPL-01", f"{PARTNER}/{EAST}/registry/registry")].status is Status.FAIL

    untrusted = found[("REPL-02", source_registry)]
    assert untrusted.status is Status.FAIL
    assert untrusted.evidence["untrustedDestinations"][0]["repositories"] == ["prod/api"]

    assert found[("REPL-03", f"{SOURCE}/{EAST}/repository/prod/api")].status is Status.PASS
    assert found[("REPL-03", f"{SOURCE}/{EAST}/repository/web")].status is Status.PASS  # rule without filter

    destination = f"{SOURCE}/{EAST}/replication-destination"
    assert found[("REPL-04", f"{destination}/{PARTNER}/{EAST}")].status is Status.PASS
    outside = found[("REPL-04", f"{destination}/{STRANGER}/{EAST}")]
    assert outside.status is Status.NOT_APPLICABLE
    assert outside.reason == "destination not audited"
    assert outside.resource.kind is ResourceType.REPLICATION_DESTINATION

    assert found[("REPL-05", f"{destination}/{SOURCE}/{WEST}")].status is Status.PASS
    assert found[("REPL-05", f"{destination}/{PARTNER}/{EAST}")].status is Status.FAIL
    assert found[("REPL-05", f"{destination}/{STRANGER}/{EAST}")].reason == "destination not audited"

    replica = found[("REPL-06", f"{SOURCE}/{EAST}/repository/prod/api")]
    assert replica.status is Status.FAIL
    assert "mutable where the source is immutable" in replica.reason
    outcomes = {entry["destination"]: entry["outcome"] for entry in replica.evidence["replicas"]}
    assert outcomes == {f"{SOURCE}/{WEST}": "weaker", f"{PARTNER}/{EAST}": "no replica",
                        f"{STRANGER}/{EAST}": "not audited"}
    assert found[("REPL-06", f"{SOURCE}/{EAST}/repository/web")].status is Status.PASS


def test_replication_denied_by_destination_end_to_end(emulator, tmp_path):
    seed(emulator)
    EstateSeeder(emulator).ecr(PARTNER, EAST).delete_registry_policy()
    results = audit(tmp_path, f'trusted_accounts = ["{PARTNER}"]')
    found = {(r.check_id, r.resource.name): r for r in results if r.resource.account == SOURCE}
    denied = found[("REPL-04", f"{PARTNER}/{EAST}")]
    assert denied.status is Status.FAIL
    assert "no registry policy" in denied.reason
