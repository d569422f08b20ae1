"""Configuration drift: each kind of setting change between two inventories."""

import json

import pytest
from builders import ACCOUNT, REGION, absent, failed, inventory, present, repository, scan_rule, scanning

from auditor.inventory import REGISTRY, Inventory, Kind, ScopeEntry, ScopeStatus
from auditor.report.drift import ChangeKind, Feature, detect_drift
from auditor.report.drift.coverage import FilterLanguage, classify, covers


def policy(*statements):
    return present(Kind.REGISTRY_POLICY, REGISTRY, {"policyText": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})})


def replication(*rules):
    return present(Kind.REPLICATION_CONFIGURATION, REGISTRY, {"replicationConfiguration": {"rules": list(rules)}})


def template(prefix, **fields):
    return present(Kind.CREATION_TEMPLATE, prefix, {"prefix": prefix, "appliedFor": ["CREATE_ON_PUSH"], **fields})


def signing(*rules):
    return present(Kind.SIGNING_CONFIGURATION, REGISTRY, {"signingConfiguration": {"rules": list(rules)}})


def ptc(prefix, **fields):
    return present(Kind.PULL_THROUGH_CACHE_RULE, prefix, {"ecrRepositoryPrefix": prefix, "upstreamRegistryUrl": "ghcr.io", **fields})


def tags(name, **values):
    return present(Kind.REPOSITORY_TAGS, name, {"tags": [{"Key": k, "Value": v} for k, v in values.items()]})


def setting(name, value):
    return present(Kind.ACCOUNT_SETTING, name, {"name": name, "value": value})


DEST_A = {"region": "eu-west-1", "registryId": ACCOUNT}
DEST_B = {"region": "us-west-2", "registryId": "999988887777"}
PULL = {"Sid": "Pull", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}
PUSH = {"Sid": "Push", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "ecr:PutImage"}

# (case, before snapshots, after snapshots, expected (feature, subject, kind) rows)
CASES = [
    ("scanning filter narrowed",
     [scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "prod*")])],
     [scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "prod-payments*")])],
     [(Feature.SCANNING, "CONTINUOUS_SCAN filters", ChangeKind.NARROWED)]),
    ("scanning filter widened",
     [scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "prod-*")])],
     [scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "*")])],
     [(Feature.SCANNING, "CONTINUOUS_SCAN filters", ChangeKind.WIDENED)]),
    ("scanning filter replaced",
     [scanning("ENHANCED", [scan_rule("SCAN_ON_PUSH", "team-a/*")])],
     [scanning("ENHANCED", [scan_rule("SCAN_ON_PUSH", "team-b/*")])],
     [(Feature.SCANNING, "SCAN_ON_PUSH filters", ChangeKind.CHANGED)]),
    ("scanning rule removed",
     [scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "*"), scan_rule("SCAN_ON_PUSH", "*")])],
     [scanning("ENHANCED", [scan_rule("SCAN_ON_PUSH", "*")])],
     [(Feature.SCANNING, "CONTINUOUS_SCAN rule", ChangeKind.REMOVED)]),
    ("scan type relaxed",
     [scanning("ENHANCED")], [scanning("BASIC")],
     [(Feature.SCANNING, "scan type", ChangeKind.RELAXED)]),
    ("replication destination added",
     [replication({"destinations": [DEST_A]})], [replication({"destinations": [DEST_A, DEST_B]})],
     [(Feature.REPLICATION, "destination 999988887777/us-west-2", ChangeKind.ADDED)]),
    ("replication destination removed",
     [replication({"destinations": [DEST_A, DEST_B]})], [replication({"destinations": [DEST_A]})],
     [(Feature.REPLICATION, "destination 999988887777/us-west-2", ChangeKind.REMOVED)]),
    ("replication filter narrowed",
     [replication({"destinations": [DEST_A]})],
     [replication({"destinations": [DEST_A], "repositoryFilters": [{"filter": "prod-", "filterType": "PREFIX_MATCH"}]})],
     [(Feature.REPLICATION, f"destination {ACCOUNT}/eu-west-1 filters", ChangeKind.NARROWED)]),
    ("template mutability relaxed",
     [template("prod", imageTagMutability="IMMUTABLE")], [template("prod", imageTagMutability="MUTABLE")],
     [(Feature.CREATION_TEMPLATE, "prod tag mutability", ChangeKind.RELAXED)]),
    ("template mutability tightened",
     [template("prod", imageTagMutability="MUTABLE_WITH_EXCLUSION")], [template("prod", imageTagMutability="IMMUTABLE_WITH_EXCLUSION")],
     [(Feature.CREATION_TEMPLATE, "prod tag mutability", ChangeKind.TIGHTENED)]),
    ("template encryption relaxed",
     [template("prod", encryptionConfiguration={"encryptionType": "KMS"})],
     [template("prod", encryptionConfiguration={"encryptionType": "AES256"})],
     [(Feature.CREATION_TEMPLATE, "prod encryption", ChangeKind.RELAXED)]),
    ("template added", [], [template("team")], [(Feature.CREATION_TEMPLATE, "team", ChangeKind.ADDED)]),
    ("template removed", [template("team")], [], [(Feature.CREATION_TEMPLATE, "team", ChangeKind.REMOVED)]),
    ("template repository policy statement added",
     [template("prod")], [template("prod", repositoryPolicy=json.dumps({"Statement": [PULL]}))],
     [(Feature.CREATION_TEMPLATE, "prod repository policy statement Pull", ChangeKind.ADDED)]),
    ("registry policy statement added",
     [policy(PULL)], [policy(PULL, PUSH)], [(Feature.REGISTRY_POLICY, "statement Push", ChangeKind.ADDED)]),
    ("registry policy statement removed",
     [policy(PULL, PUSH)], [policy(PULL)], [(Feature.REGISTRY_POLICY, "statement Push", ChangeKind.REMOVED)]),
    ("registry policy statement changed",
     [policy(PULL)], [policy({**PULL, "Action": ["ecr:BatchGetImage", "ecr:PutImage"]})],
     [(Feature.REGISTRY_POLICY, "statement Pull", ChangeKind.CHANGED)]),
    ("registry policy set", [absent(Kind.REGISTRY_POLICY, REGISTRY)], [policy(PULL)],
     [(Feature.REGISTRY_POLICY, "statement Pull", ChangeKind.ADDED)]),
    ("account setting changed", [setting("REGISTRY_POLICY_SCOPE", "V2")], [setting("REGISTRY_POLICY_SCOPE", "V1")],
     [(Feature.ACCOUNT_SETTING, "REGISTRY_POLICY_SCOPE", ChangeKind.CHANGED)]),
    ("pull through cache credential removed",
     [ptc("ghcr", credentialArn="arn:aws:secretsmanager:eu-west-1:111122223333:secret:ecr-pullthroughcache/x")], [ptc("ghcr")],
     [(Feature.PULL_THROUGH_CACHE, "ghcr credentialArn", ChangeKind.REMOVED)]),
    ("pull through cache rule added", [], [ptc("quay")], [(Feature.PULL_THROUGH_CACHE, "quay", ChangeKind.ADDED)]),
    ("signing filter narrowed",
     [signing({"signingProfileArn": "arn:p"})],
     [signing({"signingProfileArn": "arn:p", "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD_MATCH"}]})],
     [(Feature.SIGNING, "rule arn:p filters", ChangeKind.NARROWED)]),
    ("repository mutability relaxed",
     [repository("app")], [repository("app", imageTagMutability="MUTABLE")],
     [(Feature.REPOSITORY, "app tag mutability", ChangeKind.RELAXED)]),
    ("repository scan on push turned off",
     [repository("app", imageScanningConfiguration={"scanOnPush": True})], [repository("app")],
     [(Feature.REPOSITORY, "app scan on push", ChangeKind.RELAXED)]),
    ("repository policy statement added",
     [repository("app"), absent(Kind.REPOSITORY_POLICY, "app")],
     [repository("app"), present(Kind.REPOSITORY_POLICY, "app", {"policyText": json.dumps({"Statement": [PULL]})})],
     [(Feature.REPOSITORY, "app policy statement Pull", ChangeKind.ADDED)]),
    ("repository tag added",
     [repository("app"), tags("app", owner="web")], [repository("app"), tags("app", owner="web", **{"cost-center": "cc-1"})],
     [(Feature.REPOSITORY, "app tag cost-center", ChangeKind.ADDED)]),
    ("repository created", [], [repository("new")], [(Feature.REPOSITORY, "new", ChangeKind.ADDED)]),
    ("nothing changed", [policy(PULL), scanning("ENHANCED")], [policy(PULL), scanning("ENHANCED")], []),
]


@pytest.mark.parametrize(("case", "before", "after", "expected"), CASES, ids=[c[0] for c in CASES])
def test_drift_detects_change(case, before, after, expected):
    report = detect_drift(inventory(*before), inventory(*after), previous_run_id=1)
    found = [(c.feature, c.subject, c.kind) for c in report.changes]
    assert found == expected
    assert report.not_compared == []


def test_drift_change_keeps_before_and_after():
    report = detect_drift(
        inventory(scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "prod*")])),
        inventory(scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "prod-payments*")])),
        1,
    )
    [change] = report.changes
    assert (change.account, change.region) == (ACCOUNT, REGION)
    assert change.before == "prod*"
    assert change.after == "prod-payments*"


def test_drift_unreadable_setting_not_compared():
    report = detect_drift(inventory(policy(PULL)), inventory(failed(Kind.REGISTRY_POLICY, REGISTRY)), 1)
    assert report.changes == []
    [skipped] = report.not_compared
    assert skipped.feature is Feature.REGISTRY_POLICY
    assert "AccessDeniedException" in skipped.reason


def test_drift_registry_added_to_scope():
    empty = Inventory.build([], [])
    report = detect_drift(empty, inventory(policy(PULL)), 1)
    assert [(c.feature, c.kind) for c in report.changes] == [(Feature.SCOPE, ChangeKind.ADDED)]


def test_drift_unreadable_registry_not_compared():
    now = Inventory.build([ScopeEntry(ACCOUNT, REGION, ScopeStatus.UNREADABLE, "AccessDenied")], [])
    report = detect_drift(inventory(policy(PULL)), now, 1)
    assert report.changes == []
    assert [n.reason for n in report.not_compared] == ["registry was audited, now unreadable"]


@pytest.mark.parametrize(
    ("language", "general", "specific", "expected"),
    [
        (FilterLanguage.WILDCARD, "*", "prod-*", True),
        (FilterLanguage.WILDCARD, "prod*", "prod-payments*", True),
        (FilterLanguage.WILDCARD, "prod-payments*", "prod*", False),
        (FilterLanguage.WILDCARD, "team-*", "team-*/api", True),
        (FilterLanguage.WILDCARD, "a*b", "ab", True),
        (FilterLanguage.WILDCARD, "app", "app*", False),
        (FilterLanguage.PREFIX, "", "prod", True),
        (FilterLanguage.PREFIX, "prod", "prod-web", True),
        (FilterLanguage.PREFIX, "prod-web", "prod", False),
    ],
)
def test_filter_covers(language, general, specific, expected):
    assert covers(language, general, specific) is expected


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (["*"], ["prod*"], ChangeKind.NARROWED),
        (["prod*"], ["*"], ChangeKind.WIDENED),
        (["a*", "b*"], ["a*"], ChangeKind.NARROWED),
        (["a*"], ["b*"], ChangeKind.CHANGED),
        (["a*"], ["a*"], None),
    ],
)
def test_filter_set_classified(before, after, expected):
    assert classify(FilterLanguage.WILDCARD, before, after) is expected
