"""Pull through cache checks end to end: emulated estate, collectors, store and engine."""

import boto3

from auditor.audit import run_audit
from auditor.checks.model import Status
from auditor.config import load
from auditor.emulator import PullThroughCacheRule
from auditor.store.db import Store

REGION = "us-east-1"
ACCOUNT = "123456789012"
TRUSTED = "210987654321"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
FOREIGN_SECRET = f"arn:aws:secretsmanager:{REGION}:{TRUSTED}:secret:ecr-pullthroughcache/ghcr-AbCdEf"


def audit(tmp_path, checks_section):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text(f'[audit]\nregions = ["{REGION}"]\n\n[checks]\n{checks_section}\n')
    store = Store.open(f"sqlite:///{tmp_path / 'audit.db'}")
    try:
        outcome = run_audit(load(config), store)
        stored = store.load_results(outcome.run_id)
    finally:
        store.close()
    return {(r.check_id, r.resource.name): r for r in stored if r.check_id.startswith("PTC-")}


def seed(emulator):
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="docker-hub", upstreamRegistryUrl="registry-1.docker.io",
                                       credentialArn=SECRET)
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ghcr", upstreamRegistryUrl="ghcr.io",
                                       credentialArn=FOREIGN_SECRET)
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="mirror",
                                       upstreamRegistryUrl=f"{TRUSTED}.dkr.ecr.us-west-2.amazonaws.com",
                                       customRoleArn=f"arn:aws:iam::{ACCOUNT}:role/ecr-upstream")
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="stranger",
                                       upstreamRegistryUrl="999988887777.dkr.ecr.us-west-2.amazonaws.com")
    # A rule that today's API would reject, as older registries may still hold.
    emulator.state.put_pull_through_cache_rule(ACCOUNT, REGION, PullThroughCacheRule(
        ecr_repository_prefix="odd", upstream_registry_url="registry.example.com", upstream_registry="quay"))
    emulator.state.set_pull_through_cache_rule_validity(ACCOUNT, REGION, "docker-hub", False,
                                                        "upstream returned 401 Unauthorized")

    ecr.create_repository_creation_template(prefix="docker-hub", appliedFor=["PULL_THROUGH_CACHE"],
                                            imageTagMutability="IMMUTABLE")
    ecr.create_repository_creation_template(prefix="quay", appliedFor=["REPLICATION"])

    ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=[
        {"scanFrequency": "CONTINUOUS_SCAN",
         "repositoryFilters": [{"filter": "docker-hub/*", "filterType": "WILDCARD"}]},
        {"scanFrequency": "SCAN_ON_PUSH",
         "repositoryFilters": [{"filter": "quay/library/*", "filterType": "WILDCARD"}]},
    ])
    ecr.create_repository(repositoryName="docker-hub/library/nginx")
    ecr.create_repository(repositoryName="quay/library/redis")


def test_pull_through_cache_checks_end_to_end(emulator, tmp_path):
    seed(emulator)
    results = audit(tmp_path, f'trusted_accounts = ["{TRUSTED}"]\nvalidate_pull_through_cache = true\n'
                              'allowed_upstreams = ["docker-hub", "github-container-registry", "ecr", "quay"]')

    def status(check_id, prefix):
        return results[(check_id, prefix)].status

    result = results[("PTC-01", "docker-hub")]
    assert str(result.resource) == f"{ACCOUNT}/{REGION}/pull-through-cache-rule/docker-hub"
    assert result.status is Status.PASS
    assert status("PTC-01", "odd") is Status.PASS  # upstreamRegistry decides, as ECR reports it
    assert results[("PTC-01", "odd")].evidence["urlUpstream"] is None

    assert status("PTC-02", "docker-hub") is Status.PASS
    assert status("PTC-02", "ghcr") is Status.FAIL
    assert TRUSTED in results[("PTC-02", "ghcr")].reason
    assert status("PTC-02", "quay") is Status.NOT_APPLICABLE
    assert status("PTC-02", "mirror") is Status.NOT_APPLICABLE

    assert status("PTC-03", "docker-hub") is Status.PASS
    assert status("PTC-03", "quay") is Status.FAIL  # its template is for replication only
    assert status("PTC-03", "ghcr") is Status.FAIL

    assert status("PTC-04", "docker-hub") is Status.PASS
    quay = results[("PTC-04", "quay")]
    assert quay.status is Status.FAIL  # the existing repository is scanned, new names would not be
    assert quay.evidence["unscannedRepositories"] == []
    assert quay.evidence["coveringFilters"] == []

    assert status("PTC-05", "mirror") is Status.PASS
    assert status("PTC-05", "stranger") is Status.FAIL
    assert status("PTC-05", "docker-hub") is Status.NOT_APPLICABLE

    validation = results[("PTC-06", "docker-hub")]
    assert validation.status is Status.FAIL
    assert "401 Unauthorized" in validation.reason
    assert status("PTC-06", "ghcr") is Status.PASS
    assert status("PTC-06", "quay") is Status.NOT_APPLICABLE


def test_pull_through_cache_validation_off_end_to_end(emulator, tmp_path):
    seed(emulator)
    results = audit(tmp_path, "validate_pull_through_cache = false")
    validation = results[("PTC-06", "docker-hub")]
    assert validation.status is Status.NOT_APPLICABLE
    assert "validate_pull_through_cache" in validation.reason
    assert results[("PTC-01", "stranger")].status is Status.PASS  # default: every upstream AWS supports
