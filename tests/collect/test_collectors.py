"""Collectors over the real boto3 wire path against the emulated estate."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from auditor.aws.permissions import READ_ONLY_OPERATIONS
from auditor.aws.session import CallRecorder, SessionFactory
from auditor.aws.targets import Target
from auditor.collect.base import CollectOptions, normalise
from auditor.collect.estate import collect_unit
from auditor.emulator import ImageRecord, ScanRecord
from auditor.inventory import Inventory, Kind, SnapshotState, canonical_json

MOTO_ACCOUNT = "123456789012"
REGION = "us-east-1"
OCI = "application/vnd.oci.image.manifest.v1+json"


def collect(repository_workers=4):
    recorder = CallRecorder()
    factory = SessionFactory(recorder, role_name="ECRAuditorRole")
    unit = collect_unit(factory, Target(MOTO_ACCOUNT, REGION), CollectOptions(repository_workers=repository_workers))
    registry = Inventory.build([unit.scope], unit.snapshots).registry(MOTO_ACCOUNT, REGION)
    return unit, registry, recorder


def digest(n: int) -> str:
    return "sha256:" + f"{n:064x}"


def test_every_repository_across_pages(emulator):
    ecr = boto3.client("ecr", region_name=REGION)
    names = [f"team/service-{i:04d}" for i in range(1105)]
    for name in names:
        ecr.create_repository(repositoryName=name)
    unit, registry, recorder = collect(repository_workers=16)
    assert [r.name for r in registry.repositories()] == sorted(names)
    assert recorder.counts[("ecr", "DescribeRepositories")] == 2  # 1000 per page
    # 25 names per BatchGetRepositoryScanningConfiguration call.
    assert recorder.counts[("ecr", "BatchGetRepositoryScanningConfiguration")] == 45
    assert unit.errors == []


def test_absences_are_data_not_errors(emulator):
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="app")
    unit, registry, _ = collect()
    assert registry.get(Kind.REGISTRY_POLICY).state is SnapshotState.ABSENT
    assert registry.get(Kind.SIGNING_CONFIGURATION).state is SnapshotState.ABSENT
    assert registry.get(Kind.REPOSITORY_POLICY, "app").state is SnapshotState.ABSENT
    assert registry.get(Kind.LIFECYCLE_POLICY, "app").state is SnapshotState.ABSENT
    assert unit.errors == []


def test_registry_features_collected(emulator):
    ecr = boto3.client("ecr", region_name=REGION)
    policy = {"Version": "2012-10-17", "Statement": [{"Sid": "Pull", "Effect": "Allow",
              "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": ["ecr:BatchGetImage"],
              "Resource": "*"}]}
    ecr.put_registry_policy(policyText=json.dumps(policy))
    # PutAccountSetting only moves a registry to V2; registries created before V2 still report V1.
    emulator.state.set_account_setting(MOTO_ACCOUNT, REGION, "REGISTRY_POLICY_SCOPE", "V1")
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ecr-public", upstreamRegistryUrl="public.ecr.aws")
    ecr.create_repository_creation_template(
        prefix="ROOT", appliedFor=["PULL_THROUGH_CACHE"], imageTagMutability="IMMUTABLE",
    )
    ecr.put_replication_configuration(replicationConfiguration={"rules": [
        {"destinations": [{"region": "eu-west-1", "registryId": MOTO_ACCOUNT}]},
        {"destinations": [{"region": "us-west-2", "registryId": "210987654321"}],
         "repositoryFilters": [{"filter": "prod", "filterType": "PREFIX_MATCH"}]},
    ]})
    ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=[
        {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "prod*", "filterType": "WILDCARD"}]}])
    unit, registry, _ = collect()
    assert json.loads(registry.get(Kind.REGISTRY_POLICY).payload["policyText"]) == policy
    assert registry.account_setting("REGISTRY_POLICY_SCOPE").payload["value"] == "V1"
    assert [s.name for s in registry.items(Kind.PULL_THROUGH_CACHE_RULE)] == ["ecr-public"]
    assert [s.name for s in registry.items(Kind.CREATION_TEMPLATE)] == ["ROOT"]
    rules = registry.get(Kind.REPLICATION_CONFIGURATION).payload["replicationConfiguration"]["rules"]
    assert len(rules) == 2
    scanning = registry.get(Kind.REGISTRY_SCANNING_CONFIGURATION).payload["scanningConfiguration"]
    assert scanning["scanType"] == "ENHANCED"
    assert "ResponseMetadata" not in registry.get(Kind.REGISTRY_POLICY).payload
    assert unit.errors == []


def test_latest_image_scan_read_from_findings(emulator):
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="app")
    now = datetime.now(UTC)
    state = emulator.state
    state.add_image(MOTO_ACCOUNT, REGION, "app", ImageRecord(digest(1), now - timedelta(days=3), 10, OCI, ["v1"]))
    state.add_image(MOTO_ACCOUNT, REGION, "app", ImageRecord(digest(2), now - timedelta(days=1), 10, OCI, ["v2"]))
    # A newer signature and a newer archived image must not count as the latest image.
    state.add_image(MOTO_ACCOUNT, REGION, "app", ImageRecord(
        digest(3), now, 1, OCI, [], artifact_media_type="application/vnd.dev.cosign.artifact.sig.v1+json",
        subject_manifest_digest=digest(2)))
    state.add_image(MOTO_ACCOUNT, REGION, "app", ImageRecord(digest(4), now, 10, OCI, ["old"], status="ARCHIVED"))
    state.set_scan(MOTO_ACCOUNT, REGION, "app", digest(2), ScanRecord(status="COMPLETE", completed_at=now))
    unit, registry, recorder = collect()
    repository = registry.repositories()[0]
    assert repository.latest_image()["imageDigest"] == digest(2)
    scan = repository.scan_findings_of(digest(2))
    assert scan.present
    assert scan.payload["imageScanStatus"]["status"] == "COMPLETE"
    # The latest image and v1, pushed three days ago and so in use; never the
    # signature or the archived image.
    assert recorder.counts[("ecr", "DescribeImageScanFindings")] == 2
    scanned = sorted(s.name for s in unit.snapshots if s.kind is Kind.IMAGE_SCAN_FINDINGS)
    assert scanned == [f"app@{digest(1)}", f"app@{digest(2)}"]


def test_findings_not_read_for_images_out_of_use(emulator):
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="app")
    now = datetime.now(UTC)
    state = emulator.state
    state.add_image(MOTO_ACCOUNT, REGION, "app", ImageRecord(digest(1), now - timedelta(days=90), 10, OCI, ["v1"]))
    state.add_image(MOTO_ACCOUNT, REGION, "app", ImageRecord(
        digest(2), now - timedelta(days=80), 10, OCI, ["v2"], last_recorded_pull_time=now - timedelta(days=1)))
    state.add_image(MOTO_ACCOUNT, REGION, "app", ImageRecord(digest(3), now - timedelta(days=1), 10, OCI, ["v3"]))
    unit, _, recorder = collect()
    scanned = sorted(s.name for s in unit.snapshots if s.kind is Kind.IMAGE_SCAN_FINDINGS)
    assert scanned == [f"app@{digest(2)}", f"app@{digest(3)}"]  # pulled yesterday, and the latest


def test_denied_operation_is_recorded_with_context(emulator, monkeypatch):
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="app")
    recorder = CallRecorder()
    factory = SessionFactory(recorder, role_name="ECRAuditorRole")
    # Fail one operation on the wire path, as AWS answers a missing permission.
    def deny(request, **_):
        if request.headers.get("X-Amz-Target", b"").endswith(b".GetLifecyclePolicy"):
            from botocore.awsrequest import AWSResponse
            raise_for = AWSResponse(request.url, 400, {"x-amzn-RequestId": "denied"},
                                    _RawBody(b'{"__type":"AccessDeniedException","message":"not authorized"}'))
            return raise_for
        return None

    original = factory._client

    def client_with_denial(session, service, region, account):
        client = original(session, service, region, account)
        client.meta.events.register("before-send.ecr", deny)
        return client

    monkeypatch.setattr(factory, "_client", client_with_denial)
    unit = collect_unit(factory, Target(MOTO_ACCOUNT, REGION), CollectOptions(repository_workers=2))
    [error] = unit.errors
    assert (error.account, error.region, error.operation, error.error_code) == (
        MOTO_ACCOUNT, REGION, "GetLifecyclePolicy", "AccessDeniedException")
    registry = Inventory.build([unit.scope], unit.snapshots).registry(MOTO_ACCOUNT, REGION)
    assert registry.get(Kind.LIFECYCLE_POLICY, "app").state is SnapshotState.ERROR
    assert registry.get(Kind.REPOSITORY_POLICY, "app").state is SnapshotState.ABSENT


class _RawBody:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_):
        yield self._body

    def read(self, *_):
        body, self._body = self._body, b""
        return body


def test_only_allow_listed_operations_called(emulator):
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="app")
    _, _, recorder = collect()
    called = set(recorder.counts)
    assert called <= set(READ_ONLY_OPERATIONS)


def test_forbidden_operation_refused_before_sending(emulator):
    from auditor.aws.permissions import ForbiddenOperationError

    recorder = CallRecorder()
    factory = SessionFactory(recorder, role_name="ECRAuditorRole")
    client = factory.client(boto3.Session(region_name=REGION), "ecr", REGION, MOTO_ACCOUNT)
    with pytest.raises(ForbiddenOperationError):
        client.create_repository(repositoryName="should-not-exist")
    assert boto3.client("ecr", region_name=REGION).describe_repositories()["repositories"] == []


def test_unchanged_estate_gives_identical_payloads(emulator):
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="app")
    first, _, _ = collect()
    second, _, _ = collect()

    def content(unit):
        return sorted((s.kind.value, s.name, json.dumps(s.payload, sort_keys=True)) for s in unit.snapshots)

    assert content(first) == content(second)


PROFILE = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release"


def test_signing_status_only_for_covered_latest_images(emulator):
    ecr = boto3.client("ecr", region_name=REGION)
    for name in ("release/api", "scratch/tool"):
        ecr.create_repository(repositoryName=name)
        emulator.state.add_image(MOTO_ACCOUNT, REGION, name, ImageRecord(digest(7), datetime.now(UTC), 10, OCI, ["v1"]))
    ecr.put_signing_configuration(signingConfiguration={"rules": [
        {"signingProfileArn": PROFILE, "repositoryFilters": [{"filter": "release/*", "filterType": "WILDCARD_MATCH"}]}]})
    emulator.state.set_signing_statuses(MOTO_ACCOUNT, REGION, "release/api", digest(7),
                                        [{"signingProfileArn": PROFILE, "status": "COMPLETE"}])
    unit, registry, recorder = collect()
    assert recorder.counts[("ecr", "DescribeImageSigningStatus")] == 1
    status = registry.get(Kind.IMAGE_SIGNING_STATUS, f"release/api@{digest(7)}")
    assert status.payload["signingStatuses"][0]["status"] == "COMPLETE"


def test_pull_through_cache_validated_only_when_asked(emulator):
    ecr = boto3.client("ecr", region_name=REGION)
    secret = f"arn:aws:secretsmanager:{REGION}:{MOTO_ACCOUNT}:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="docker-hub", upstreamRegistryUrl="registry-1.docker.io",
                                       credentialArn=secret)
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ecr-public", upstreamRegistryUrl="public.ecr.aws")
    emulator.state.set_pull_through_cache_rule_validity(MOTO_ACCOUNT, REGION, "docker-hub", False, "upstream 401")
    _, _, recorder = collect()
    assert recorder.counts[("ecr", "ValidatePullThroughCacheRule")] == 0
    factory = SessionFactory(CallRecorder(), role_name="ECRAuditorRole")
    unit = collect_unit(factory, Target(MOTO_ACCOUNT, REGION), CollectOptions(validate_pull_through_cache=True))
    validations = [s for s in unit.snapshots if s.kind is Kind.PULL_THROUGH_CACHE_VALIDATION]
    assert [s.name for s in validations] == ["docker-hub"]  # rules without credentials need no validation
    assert validations[0].payload["isValid"] is False


def enhanced_registry(emulator):
    """Switch the registry to enhanced scanning and return a seeder and the ECR client."""
    from auditor.emulator.seed import EstateSeeder

    ecr = boto3.client("ecr", region_name=REGION)
    ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=[
        {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}])
    return EstateSeeder(emulator), ecr


def test_inspector_asked_once_for_the_images_it_reports_in_use(emulator):
    from auditor.emulator.findings import LIBWEBP_OVERFLOW, AffectedPackage

    seeder, ecr = enhanced_registry(emulator)
    now = datetime.now(UTC)
    for i in range(12):
        ecr.create_repository(repositoryName=f"svc-{i:02d}")
        emulator.state.add_image(MOTO_ACCOUNT, REGION, f"svc-{i:02d}", ImageRecord(digest(100 + i), now, 10, OCI, ["v1"]))
    # An old image of svc-05, neither pushed nor pulled lately, that Inspector saw running 3 days ago.
    old = now - timedelta(days=300)
    emulator.state.add_image(MOTO_ACCOUNT, REGION, "svc-05", ImageRecord(digest(205), old, 10, OCI, ["v0"]))
    # And one of svc-06 that last ran 90 days ago: out of use.
    emulator.state.add_image(MOTO_ACCOUNT, REGION, "svc-06", ImageRecord(digest(206), old, 10, OCI, ["v0"]))
    seeder.enable_inspector(MOTO_ACCOUNT, REGION)
    seeder.configure_inspector_rescan(MOTO_ACCOUNT, REGION, "DAYS_180")
    webp = [AffectedPackage(LIBWEBP_OVERFLOW, "libwebp7", "1.2.4", "1.2.4-0+deb12u1")]
    seeder.add_inspector_findings(MOTO_ACCOUNT, REGION, "svc-03", digest(103), webp,
                                  last_in_use_at=now - timedelta(days=1))
    seeder.add_inspector_findings(MOTO_ACCOUNT, REGION, "svc-05", digest(205), webp,
                                  last_in_use_at=now - timedelta(days=3))
    seeder.add_inspector_findings(MOTO_ACCOUNT, REGION, "svc-06", digest(206), webp,
                                  last_in_use_at=now - timedelta(days=90))
    unit, registry, recorder = collect()
    assert unit.errors == []
    assert recorder.counts[("inspector2", "BatchGetAccountStatus")] == 1
    assert recorder.counts[("inspector2", "GetConfiguration")] == 1
    assert recorder.counts[("inspector2", "ListFindings")] == 1  # one query per registry, not per 10 images
    findings = registry.get(Kind.INSPECTOR_FINDINGS, f"svc-03@{digest(103)}").payload["findings"]
    assert [f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in findings] == ["CVE-2023-4863"]
    # The image in use only according to Inspector gets its findings and its scan read.
    assert registry.get(Kind.INSPECTOR_FINDINGS, f"svc-05@{digest(205)}").present
    assert registry.get(Kind.IMAGE_SCAN_FINDINGS, f"svc-05@{digest(205)}").state is not SnapshotState.ERROR
    # 12 latest images plus the one Inspector reports in use.
    assert recorder.counts[("ecr", "DescribeImageScanFindings")] == 13
    # Out of use: neither listed by Inspector nor read.
    assert not registry.get(Kind.INSPECTOR_FINDINGS, f"svc-06@{digest(206)}").present
    assert not registry.get(Kind.IMAGE_SCAN_FINDINGS, f"svc-06@{digest(206)}").present
    # Images Inspector does not report in use fall back to ECR's relay of its findings.
    assert not registry.get(Kind.INSPECTOR_FINDINGS, f"svc-04@{digest(104)}").present


def test_inspector_findings_over_several_pages(emulator):
    from auditor.emulator.findings import LIBWEBP_OVERFLOW, AffectedPackage

    seeder, ecr = enhanced_registry(emulator)
    now = datetime.now(UTC)
    seeder.enable_inspector(MOTO_ACCOUNT, REGION)
    for i in range(3):
        ecr.create_repository(repositoryName=f"svc-{i}")
        emulator.state.add_image(MOTO_ACCOUNT, REGION, f"svc-{i}", ImageRecord(digest(300 + i), now, 10, OCI, ["v1"]))
        packages = [AffectedPackage(LIBWEBP_OVERFLOW, f"lib-{n:02d}", "1.0", "1.1") for n in range(50)]
        seeder.add_inspector_findings(MOTO_ACCOUNT, REGION, f"svc-{i}", digest(300 + i), packages,
                                      last_in_use_at=now - timedelta(days=1))
    unit, registry, recorder = collect()
    assert unit.errors == []
    assert recorder.counts[("inspector2", "ListFindings")] == 2  # 150 findings, 100 a page
    # Each image's payload is the canonical JSON of its findings in ARN order, as one list of them read at once.
    inspector = boto3.client("inspector2", region_name=REGION)
    listed = [f for page in inspector.get_paginator("list_findings").paginate() for f in page["findings"]]
    for i in range(3):
        image_hash = digest(300 + i)
        expected = sorted(
            (f for f in listed if f["resources"][0]["details"]["awsEcrContainerImage"]["imageHash"] == image_hash),
            key=lambda f: f["findingArn"],
        )
        snapshot = registry.get(Kind.INSPECTOR_FINDINGS, f"svc-{i}@{image_hash}")
        assert len(expected) == 50
        assert snapshot.body == canonical_json(normalise({"findings": expected}))


def test_tags_read_for_the_whole_region_at_once(emulator):
    ecr = boto3.client("ecr", region_name=REGION)
    for i in range(150):
        tags = [{"Key": "owner", "Value": f"team-{i % 3}"}] if i % 2 else []
        ecr.create_repository(repositoryName=f"svc-{i:03d}", tags=tags)
    # Tags removed from a repository: it has none left.
    arn = ecr.describe_repositories(repositoryNames=["svc-001"])["repositories"][0]["repositoryArn"]
    ecr.untag_resource(resourceArn=arn, tagKeys=["owner"])
    unit, registry, recorder = collect(repository_workers=8)
    assert unit.errors == []
    assert recorder.counts[("resourcegroupstaggingapi", "GetResources")] == 1  # 74 tagged, 100 per page
    assert recorder.counts[("ecr", "ListTagsForResource")] == 0
    assert registry.get(Kind.REPOSITORY_TAGS, "svc-003").payload["tags"] == [{"Key": "owner", "Value": "team-0"}]
    assert registry.get(Kind.REPOSITORY_TAGS, "svc-001").payload["tags"] == []
    assert registry.get(Kind.REPOSITORY_TAGS, "svc-002").payload["tags"] == []


def test_tags_read_per_repository_when_the_tagging_api_is_denied(emulator):
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="app", tags=[{"Key": "owner", "Value": "payments"}])
    ecr.create_repository(repositoryName="web")
    from auditor.emulator.faults import AccessDenial, CallFilter, FaultPlan

    emulator.state.set_fault_plan(FaultPlan(access_denied=[AccessDenial(CallFilter(operations=("GetResources",)))]))
    unit, registry, recorder = collect()
    assert unit.errors == []
    assert recorder.counts[("ecr", "ListTagsForResource")] == 2
    assert registry.get(Kind.REPOSITORY_TAGS, "app").payload["tags"] == [{"Key": "owner", "Value": "payments"}]
    assert registry.get(Kind.REPOSITORY_TAGS, "web").payload["tags"] == []
