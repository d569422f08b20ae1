"""Signing checks end to end: emulated estate, collectors, store and engine."""

from datetime import UTC, datetime, timedelta

import boto3

from auditor.audit import run_audit
from auditor.checks.model import Status
from auditor.config import load
from auditor.emulator import ImageRecord
from auditor.store.db import Store

REGION = "us-east-1"
ACCOUNT = "123456789012"
PROFILE = f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/release"
OCI = "application/vnd.oci.image.manifest.v1+json"


def digest(n):
    return "sha256:" + f"{n:x}" * 64


def audit(tmp_path, checks_section):
    config = tmp_path / "ecr-auditor.toml"
    config.write_text(f'[audit]\nregions = ["{REGION}"]\n\n[checks]\n{checks_section}\n')
    store = Store.open(f"sqlite:///{tmp_path / 'audit.db'}")
    try:
        outcome = run_audit(load(config), store)
        stored = store.load_results(outcome.run_id)
    finally:
        store.close()
    return {(r.check_id, r.resource.name): r for r in stored if r.check_id.startswith("SIGN-")}


def push(emulator, repository, number, age_days):
    pushed = datetime.now(UTC) - timedelta(days=age_days)
    emulator.state.add_image(ACCOUNT, REGION, repository, ImageRecord(digest(number), pushed, 100, OCI, [f"v{number}"]))


def test_signing_checks_end_to_end(emulator, tmp_path):
    ecr = boto3.client("ecr", region_name=REGION)
    for name in ("release/api", "release/web", "release/new", "team/tool"):
        ecr.create_repository(repositoryName=name)
    ecr.put_signing_configuration(signingConfiguration={"rules": [
        {"signingProfileArn": PROFILE, "repositoryFilters": [{"filter": "release/*", "filterType": "WILDCARD_MATCH"}]}]})

    push(emulator, "release/api", 1, 10)
    push(emulator, "release/api", 2, 1)  # the latest image; only it is judged
    emulator.state.set_signing_statuses(ACCOUNT, REGION, "release/api", digest(1),
                                        [{"signingProfileArn": PROFILE, "status": "FAILED"}])
    emulator.state.set_signing_statuses(ACCOUNT, REGION, "release/api", digest(2),
                                        [{"signingProfileArn": PROFILE, "status": "COMPLETE"}])
    push(emulator, "release/web", 3, 1)
    emulator.state.set_signing_statuses(ACCOUNT, REGION, "release/web", digest(3), [{
        "signingProfileArn": PROFILE, "status": "FAILED", "failureCode": "ACCESS_DENIED",
        "failureReason": "ECR could not call signer:SignPayload"}])
    push(emulator, "team/tool", 4, 1)

    results = audit(tmp_path, 'signing_required_prefixes = ["release/", "team/"]')

    assert results[("SIGN-01", "release/api")].status is Status.PASS
    assert results[("SIGN-01", "team/tool")].status is Status.FAIL

    signed = results[("SIGN-02", "release/api")]
    assert signed.status is Status.PASS
    assert signed.evidence["imageDigest"] == digest(2)
    failed = results[("SIGN-02", "release/web")]
    assert failed.status is Status.FAIL
    assert "signer:SignPayload" in failed.reason
    assert results[("SIGN-02", "release/new")].reason == "repository has no image"
    assert results[("SIGN-02", "team/tool")].status is Status.NOT_APPLICABLE


def test_signing_required_without_configuration_end_to_end(emulator, tmp_path):
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="release/api")
    push(emulator, "release/api", 5, 1)
    results = audit(tmp_path, 'signing_required_prefixes = ["release/"]')
    assert results[("SIGN-01", "release/api")].status is Status.FAIL
    assert results[("SIGN-02", "release/api")].reason == "no signing rule covers the repository"
