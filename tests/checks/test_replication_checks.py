import json

import pytest
from builders import ACCOUNT, REGION, absent, failed, only, present, repository, run_check, scan_rule

from auditor.checks.model import ResourceType, Status
from auditor.checks.replication import (
    NOT_AUDITED,
    repl_01,
    repl_02,
    repl_03,
    repl_04,
    repl_05,
    repl_06,
    replication_rules,
)
from auditor.inventory import LISTING, REGISTRY, Inventory, Kind, ScopeEntry, ScopeStatus

DEST = "444455556666"
DEST_REGION = "us-west-2"
STRANGER = "999988887777"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DEST_KEY = f"arn:aws:kms:{DEST_REGION}:{DEST}:key/5678abcd-12ab-34cd-56ef-1234567890ab"


def destination(account, region):
    return {"registryId": account, "region": region}


def rule(*destinations, filters=None):
    entry = {"destinations": [destination(a, r) for a, r in destinations]}
    if filters is not None:
        entry["repositoryFilters"] = [{"filter": f, "filterType": "PREFIX_MATCH"} for f in filters]
    return entry


def replication(*rules, account=ACCOUNT, region=REGION):
    payload = {"registryId": account, "replicationConfiguration": {"rules": list(rules)}}
    return present(Kind.REPLICATION_CONFIGURATION, REGISTRY, payload, account, region)


def estate(*snapshots, scope=((ACCOUNT, REGION, ScopeStatus.AUDITED),)):
    entries = [ScopeEntry(account, region, status, "test reason") for account, region, status in scope]
    return Inventory.build(entries, snapshots)


SOURCE_AND_DEST = ((ACCOUNT, REGION, ScopeStatus.AUDITED), (DEST, DEST_REGION, ScopeStatus.AUDITED))


def at_dest(snapshot_kind, name, payload):
    return present(snapshot_kind, name, payload, DEST, DEST_REGION)


def registry_policy(statements, account=DEST, region=DEST_REGION):
    text = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return present(Kind.REGISTRY_POLICY, REGISTRY, {"registryId": account, "policyText": text}, account, region)


def allow(principal, actions, **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": actions, "Resource": "*", **extra}


def dest_repository(name, **fields):
    return repository(name, account=DEST, region=DEST_REGION, **fields)


# ---------------------------------------------------------------------------
# Reading the configuration


def test_rules_ignore_destination_equal_to_source():
    inv = estate(replication(rule((ACCOUNT, REGION), (ACCOUNT, "us-east-1"))))
    parsed = replication_rules(inv.registry(ACCOUNT, REGION))
    assert [str(d) for d in parsed[0].destinations] == [f"{ACCOUNT}/us-east-1"]
    assert [str(d) for d in parsed[0].ignored] == [f"{ACCOUNT}/{REGION}"]
    assert parsed[0].prefixes is None


def test_rules_reject_unknown_filter_type():
    raw = {"destinations": [destination(DEST, DEST_REGION)],
           "repositoryFilters": [{"filter": "prod", "filterType": "WILDCARD"}]}
    inv = estate(replication(raw))
    with pytest.raises(ValueError, match="PREFIX_MATCH"):
        replication_rules(inv.registry(ACCOUNT, REGION))


# ---------------------------------------------------------------------------
# REPL-01


@pytest.mark.parametrize(
    ("rules", "overrides", "expected"),
    [
        ([rule((ACCOUNT, "us-east-1"))], {}, Status.NOT_APPLICABLE),
        ([rule((ACCOUNT, "us-east-1"))], {"required_replication_regions": ["us-east-1"]}, Status.PASS),
        ([rule((ACCOUNT, "us-east-1"))], {"required_replication_regions": ["us-east-1", "us-west-2"]}, Status.FAIL),
        ([], {"required_replication_regions": [REGION]}, Status.PASS),  # the source region already has the images
        ([], {"required_replication_regions": ["us-east-1"]}, Status.FAIL),
        ([rule((DEST, "us-east-1"))], {"required_replication_regions": ["us-east-1"]}, Status.PASS),
        ([rule((DEST, REGION))], {"require_cross_region": True}, Status.FAIL),  # cross-account, same region
        ([rule((ACCOUNT, "us-east-1"))], {"require_cross_region": True}, Status.PASS),
        ([rule((ACCOUNT, REGION))], {"require_cross_region": True}, Status.FAIL),  # ignored by AWS
        ([rule((ACCOUNT, "us-east-1"))], {"require_cross_region": True,
                                          "required_replication_regions": ["ap-south-1"]}, Status.FAIL),
    ],
)
def test_repl_01_required_regions(rules, overrides, expected):
    result = only(run_check(repl_01, estate(replication(*rules)), **overrides))
    assert result.status is expected
    assert result.resource.kind is ResourceType.REGISTRY


def test_repl_01_reports_missing_and_ignored():
    inv = estate(replication(rule((ACCOUNT, REGION)), rule((ACCOUNT, "us-east-1"))))
    result = only(run_check(repl_01, inv, required_replication_regions=["us-east-1", "us-west-2"],
                            require_cross_region=True))
    assert result.evidence["missingRegions"] == ["us-west-2"]
    assert result.evidence["ignoredDestinations"] == [f"{ACCOUNT}/{REGION}"]
    assert "us-west-2" in result.reason


def test_repl_01_error_when_registry_unreadable():
    snapshot = failed(Kind.REPLICATION_CONFIGURATION, REGISTRY, operation="DescribeRegistry")
    result = only(run_check(repl_01, estate(snapshot), require_cross_region=True))
    assert result.status is Status.ERROR
    assert result.evidence["operation"] == "DescribeRegistry"


# ---------------------------------------------------------------------------
# REPL-02


@pytest.mark.parametrize(
    ("rules", "overrides", "expected"),
    [
        ([], {}, Status.NOT_APPLICABLE),
        ([rule((ACCOUNT, REGION))], {}, Status.NOT_APPLICABLE),  # only the source itself
        ([rule((ACCOUNT, "us-east-1"))], {}, Status.PASS),
        ([rule((STRANGER, "us-east-1"))], {}, Status.FAIL),
        ([rule((STRANGER, "us-east-1"))], {"trusted_accounts": [STRANGER]}, Status.PASS),
        ([rule((ACCOUNT, "us-east-1")), rule((STRANGER, REGION), filters=["prod"])], {}, Status.FAIL),
    ],
)
def test_repl_02_trusted_destinations(rules, overrides, expected):
    result = only(run_check(repl_02, estate(replication(*rules), repository("prod-api")), **overrides))
    assert result.status is expected


def test_repl_02_every_repository_without_filter():
    inv = estate(replication(rule((STRANGER, "us-east-1"))), repository("app"), repository("prod-api"))
    result = only(run_check(repl_02, inv))
    detail = only(result.evidence["untrustedDestinations"])
    assert detail["replicates"] == "every repository"
    assert detail["repositories"] == ["app", "prod-api"]
    assert f"{STRANGER}/us-east-1 (every repository: app, prod-api)" in result.reason


def test_repl_02_lists_only_filtered_repositories():
    inv = estate(replication(rule((STRANGER, "us-east-1"), filters=["prod"])),
                 repository("app"), repository("prod-api"), repository("production/db"))
    result = only(run_check(repl_02, inv))
    detail = only(result.evidence["untrustedDestinations"])
    assert detail["repositories"] == ["prod-api", "production/db"]
    assert detail["replicates"] == ["prod"]


def test_repl_02_fails_even_when_repositories_unreadable():
    inv = estate(replication(rule((STRANGER, "us-east-1"))), failed(Kind.REPOSITORY, LISTING))
    result = only(run_check(repl_02, inv))
    assert result.status is Status.FAIL
    assert only(result.evidence["untrustedDestinations"])["repositories"] is None
    assert "could not be listed" in result.reason


def test_repl_02_organisation_accounts_trusted():
    scope = (*SOURCE_AND_DEST,)
    inv = estate(replication(rule((DEST, DEST_REGION))), scope=scope)
    results = run_check(repl_02, inv, trust_organization=True)
    source = [r for r in results if r.resource.account == ACCOUNT]
    assert only(source).status is Status.PASS


# ---------------------------------------------------------------------------
# REPL-03


@pytest.mark.parametrize(
    ("rules", "name", "prefixes", "expected"),
    [
        ([rule((ACCOUNT, "us-east-1"))], "payments/api", [], Status.NOT_APPLICABLE),
        ([rule((ACCOUNT, "us-east-1"))], "web", ["payments"], Status.NOT_APPLICABLE),
        ([rule((ACCOUNT, "us-east-1"))], "payments/api", ["payments"], Status.PASS),  # no filter: everything
        ([rule((ACCOUNT, "us-east-1"), filters=["payments/"])], "payments/api", ["payments"], Status.PASS),
        ([rule((ACCOUNT, "us-east-1"), filters=["pay"])], "payments/api", ["payments"], Status.PASS),
        ([rule((ACCOUNT, "us-east-1"), filters=["payments/db"])], "payments/api", ["payments"], Status.FAIL),
        ([rule((ACCOUNT, "us-east-1"), filters=["api"])], "payments/api", ["payments"], Status.FAIL),  # a prefix
        ([rule((ACCOUNT, REGION))], "payments/api", ["payments"], Status.FAIL),  # replicates nowhere
        ([], "payments/api", ["payments"], Status.FAIL),
    ],
)
def test_repl_03_critical_repositories(rules, name, prefixes, expected):
    inv = estate(replication(*rules), repository(name))
    result = only(run_check(repl_03, inv, critical_repository_prefixes=prefixes))
    assert result.status is expected
    assert result.resource.kind is ResourceType.REPOSITORY


def test_repl_03_error_on_unknown_filter_type():
    raw = {"destinations": [destination(DEST, DEST_REGION)],
           "repositoryFilters": [{"filter": "pay", "filterType": "SOMETHING_NEW"}]}
    result = only(run_check(repl_03, estate(replication(raw), repository("payments")),
                            critical_repository_prefixes=["payments"]))
    assert result.status is Status.ERROR
    assert "PREFIX_MATCH" in result.reason


# ---------------------------------------------------------------------------
# REPL-04


ROOT_PRINCIPAL = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
BOTH = ["ecr:ReplicateImage", "ecr:CreateRepository"]


def repl_04_result(*snapshots, scope=SOURCE_AND_DEST, **overrides):
    results = run_check(repl_04, estate(*snapshots, scope=scope), **overrides)
    return only([r for r in results if r.resource.account == ACCOUNT and r.resource.region == REGION])


@pytest.mark.parametrize(
    ("policy", "repositories", "overrides", "expected"),
    [
        ([allow(ROOT_PRINCIPAL, BOTH)], [], {}, Status.PASS),
        ([allow({"AWS": ACCOUNT}, "ecr:*")], [], {}, Status.PASS),
        ([allow(ROOT_PRINCIPAL, "ecr:ReplicateImage")], [], {}, Status.FAIL),  # app is missing there
        ([allow(ROOT_PRINCIPAL, "ecr:ReplicateImage")], [dest_repository("app")], {}, Status.PASS),
        ([allow({"AWS": f"arn:aws:iam::{ACCOUNT}:role/ci"}, BOTH)], [], {}, Status.FAIL),  # one role only
        ([allow({"AWS": f"arn:aws:iam::{STRANGER}:root"}, BOTH)], [], {}, Status.FAIL),
        ([allow("*", BOTH)], [], {}, Status.PASS),  # public: PERM-01 reports it
        ([allow("*", BOTH, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}})], [],
         {"trust_organization": True, "organization_id": "o-abcdefghij"}, Status.PASS),
        ([allow("*", BOTH, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}})], [], {}, Status.FAIL),
        ([allow(ROOT_PRINCIPAL, BOTH),
          {"Effect": "Deny", "Principal": ROOT_PRINCIPAL, "Action": "ecr:ReplicateImage", "Resource": "*"}],
         [], {}, Status.FAIL),
        (None, [], {}, Status.FAIL),
    ],
)
def test_repl_04_destination_policy(policy, repositories, overrides, expected):
    if policy is None:
        dest_policy = absent(Kind.REGISTRY_POLICY, REGISTRY, account=DEST, region=DEST_REGION)
    else:
        dest_policy = registry_policy(policy)
    snapshots = [replication(rule((DEST, DEST_REGION))), repository("app"), dest_policy, *repositories]
    if not repositories:
        snapshots.append(dest_repository("other"))
    result = repl_04_result(*snapshots, **overrides)
    assert result.status is expected
    assert str(result.resource) == f"{ACCOUNT}/{REGION}/replication-destination/{DEST}/{DEST_REGION}"


def test_repl_04_names_repositories_to_create():
    result = repl_04_result(
        replication(rule((DEST, DEST_REGION), filters=["app"])),
        repository("app"), repository("app-two"), repository("web"),
        registry_policy([allow(ROOT_PRINCIPAL, "ecr:ReplicateImage")]), dest_repository("app"),
    )
    assert result.status is Status.FAIL
    assert result.evidence["repositoriesToCreate"] == ["app-two"]
    assert "ecr:CreateRepository" in result.reason


@pytest.mark.parametrize(
    ("scope", "status", "reason"),
    [
        (((ACCOUNT, REGION, ScopeStatus.AUDITED),), Status.NOT_APPLICABLE, NOT_AUDITED),
        (((ACCOUNT, REGION, ScopeStatus.AUDITED), (DEST, DEST_REGION, ScopeStatus.SKIPPED)),
         Status.NOT_APPLICABLE, NOT_AUDITED),
        (((ACCOUNT, REGION, ScopeStatus.AUDITED), (DEST, DEST_REGION, ScopeStatus.UNREADABLE)),
         Status.ERROR, f"destination {DEST}/{DEST_REGION} could not be read: test reason"),
    ],
)
def test_repl_04_destination_scope(scope, status, reason):
    result = repl_04_result(replication(rule((DEST, DEST_REGION))), scope=scope)
    assert result.status is status
    assert result.reason == reason


@pytest.mark.parametrize(
    "dest_policy",
    [
        present(Kind.REGISTRY_POLICY, REGISTRY, {"policyText": "{not json"}, DEST, DEST_REGION),
        failed(Kind.REGISTRY_POLICY, REGISTRY, operation="GetRegistryPolicy", account=DEST, region=DEST_REGION),
    ],
)
def test_repl_04_error_when_destination_policy_unusable(dest_policy):
    result = repl_04_result(replication(rule((DEST, DEST_REGION))), dest_policy)
    assert result.status is Status.ERROR


def test_repl_04_error_when_repositories_unknown():
    result = repl_04_result(
        replication(rule((DEST, DEST_REGION))), repository("app"),
        registry_policy([allow(ROOT_PRINCIPAL, "ecr:ReplicateImage")]),
        failed(Kind.REPOSITORY, LISTING, account=DEST, region=DEST_REGION),
    )
    assert result.status is Status.ERROR
    assert "destination" in result.reason


def test_repl_04_not_applicable_within_account():
    result = repl_04_result(replication(rule((ACCOUNT, "us-east-1"))), scope=((ACCOUNT, REGION, ScopeStatus.AUDITED),))
    assert result.status is Status.NOT_APPLICABLE
    assert result.resource.kind is ResourceType.REGISTRY


def test_repl_04_error_when_source_unreadable():
    snapshot = failed(Kind.REPLICATION_CONFIGURATION, REGISTRY, operation="DescribeRegistry")
    result = repl_04_result(snapshot, scope=((ACCOUNT, REGION, ScopeStatus.AUDITED),))
    assert result.status is Status.ERROR
    assert result.evidence["operation"] == "DescribeRegistry"


def test_repl_04_skips_skipped_and_reports_unreadable_sources():
    scope = ((ACCOUNT, REGION, ScopeStatus.UNREADABLE), (DEST, DEST_REGION, ScopeStatus.SKIPPED))
    results = run_check(repl_04, estate(scope=scope))
    assert only(results).status is Status.ERROR
    assert only(results).resource.account == ACCOUNT


# ---------------------------------------------------------------------------
# REPL-05


def dest_template(prefix, *applied_for):
    return at_dest(Kind.CREATION_TEMPLATE, prefix, {"prefix": prefix, "appliedFor": list(applied_for)})


@pytest.mark.parametrize(
    ("filters", "templates", "expected"),
    [
        (None, [dest_template("ROOT", "REPLICATION")], Status.PASS),
        (None, [dest_template("prod", "REPLICATION")], Status.FAIL),  # other names get defaults
        (["prod/"], [dest_template("prod", "REPLICATION")], Status.PASS),
        (["prod/api", "prod/web"], [dest_template("prod", "REPLICATION")], Status.PASS),
        (["prod"], [dest_template("prod", "REPLICATION")], Status.FAIL),  # "prod-api" is not under prod/
        (["prod/"], [dest_template("prod", "PULL_THROUGH_CACHE")], Status.FAIL),
        (["prod/"], [dest_template("prod", "PULL_THROUGH_CACHE"), dest_template("ROOT", "REPLICATION")],
         Status.PASS),
        (["prod/"], [], Status.FAIL),
    ],
)
def test_repl_05_destination_templates(filters, templates, expected):
    results = run_check(repl_05, estate(replication(rule((DEST, DEST_REGION), filters=filters)), *templates,
                                        scope=SOURCE_AND_DEST))
    result = only([r for r in results if r.resource.account == ACCOUNT])
    assert result.status is expected
    assert result.resource.kind is ResourceType.REPLICATION_DESTINATION


def test_repl_05_names_partial_template():
    results = run_check(repl_05, estate(replication(rule((DEST, DEST_REGION), filters=["prod"])),
                                        dest_template("prod", "REPLICATION"), scope=SOURCE_AND_DEST))
    result = only([r for r in results if r.resource.account == ACCOUNT])
    assert "names starting with 'prod'" in result.reason
    assert "templates prod cover only part" in result.reason


def test_repl_05_cross_region_in_own_account():
    scope = ((ACCOUNT, REGION, ScopeStatus.AUDITED), (ACCOUNT, "us-east-1", ScopeStatus.AUDITED))
    template = present(Kind.CREATION_TEMPLATE, "ROOT", {"prefix": "ROOT", "appliedFor": ["REPLICATION"]},
                       ACCOUNT, "us-east-1")
    results = run_check(repl_05, estate(replication(rule((ACCOUNT, "us-east-1"))), template, scope=scope))
    result = only([r for r in results if r.resource.region == REGION])
    assert result.status is Status.PASS
    assert result.resource.name == f"{ACCOUNT}/us-east-1"


@pytest.mark.parametrize(
    ("extra", "scope", "expected", "reason"),
    [
        ([failed(Kind.CREATION_TEMPLATE, LISTING, account=DEST, region=DEST_REGION)], SOURCE_AND_DEST,
         Status.ERROR, None),
        ([], ((ACCOUNT, REGION, ScopeStatus.AUDITED),), Status.NOT_APPLICABLE, NOT_AUDITED),
    ],
)
def test_repl_05_destination_unusable(extra, scope, expected, reason):
    results = run_check(repl_05, estate(replication(rule((DEST, DEST_REGION))), *extra, scope=scope))
    result = only([r for r in results if r.resource.account == ACCOUNT])
    assert result.status is expected
    if reason is not None:
        assert result.reason == reason


# ---------------------------------------------------------------------------
# REPL-06


def key(arn, manager, account=ACCOUNT, region=REGION):
    return present(Kind.KMS_KEY, arn, {"KeyMetadata": {"Arn": arn, "KeyManager": manager}}, account, region)


def scanning_at(scan_type, rules, account=ACCOUNT, region=REGION):
    payload = {"registryId": account, "scanningConfiguration": {"scanType": scan_type, "rules": rules}}
    return present(Kind.REGISTRY_SCANNING_CONFIGURATION, REGISTRY, payload, account, region)


SCAN_ALL = [scan_rule("CONTINUOUS_SCAN", "*")]


def repl_06_results(*snapshots, scope=SOURCE_AND_DEST, **overrides):
    results = run_check(repl_06, estate(*snapshots, scope=scope), **overrides)
    return [r for r in results if r.resource.account == ACCOUNT and r.resource.region == REGION]


def strong_source(name="app"):
    return repository(name, imageTagMutability="IMMUTABLE",
                      encryptionConfiguration={"encryptionType": "KMS", "kmsKey": KEY})


@pytest.mark.parametrize(
    ("replica", "dest_snapshots", "expected", "fragment"),
    [
        (dest_repository("app", imageTagMutability="IMMUTABLE",
                         encryptionConfiguration={"encryptionType": "KMS", "kmsKey": DEST_KEY}),
         [key(DEST_KEY, "CUSTOMER", DEST, DEST_REGION), scanning_at("ENHANCED", SCAN_ALL, DEST, DEST_REGION)],
         Status.PASS, "as protected"),
        (dest_repository("app", imageTagMutability="MUTABLE",
                         encryptionConfiguration={"encryptionType": "KMS", "kmsKey": DEST_KEY}),
         [key(DEST_KEY, "CUSTOMER", DEST, DEST_REGION), scanning_at("ENHANCED", SCAN_ALL, DEST, DEST_REGION)],
         Status.FAIL, "mutable where the source is immutable"),
        (dest_repository("app", imageTagMutability="IMMUTABLE"),
         [scanning_at("ENHANCED", SCAN_ALL, DEST, DEST_REGION)],
         Status.FAIL, "AWS-managed key"),
        (dest_repository("app", imageTagMutability="IMMUTABLE",
                         encryptionConfiguration={"encryptionType": "KMS", "kmsKey": DEST_KEY}),
         [key(DEST_KEY, "AWS", DEST, DEST_REGION), scanning_at("ENHANCED", SCAN_ALL, DEST, DEST_REGION)],
         Status.FAIL, "AWS-managed key"),
        (dest_repository("app", imageTagMutability="IMMUTABLE",
                         encryptionConfiguration={"encryptionType": "KMS", "kmsKey": DEST_KEY}),
         [key(DEST_KEY, "CUSTOMER", DEST, DEST_REGION),
          scanning_at("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "web*")], DEST, DEST_REGION)],
         Status.FAIL, "not scanned"),
        (dest_repository("app", imageTagMutability="IMMUTABLE",
                         encryptionConfiguration={"encryptionType": "KMS", "kmsKey": DEST_KEY}),
         [key(DEST_KEY, "CUSTOMER", DEST, DEST_REGION),
          failed(Kind.REGISTRY_SCANNING_CONFIGURATION, REGISTRY, account=DEST, region=DEST_REGION)],
         Status.ERROR, "could not be compared"),
        (dest_repository("app", imageTagMutability="IMMUTABLE",
                         encryptionConfiguration={"encryptionType": "KMS", "kmsKey": DEST_KEY}),
         [scanning_at("ENHANCED", SCAN_ALL, DEST, DEST_REGION)],  # the replica's key was never described
         Status.ERROR, "could not be read"),
        (dest_repository("other"), [], Status.NOT_APPLICABLE, f"no replica exists yet at {DEST}/{DEST_REGION}"),
    ],
)
def test_repl_06_replica_against_source(replica, dest_snapshots, expected, fragment):
    result = only(repl_06_results(
        replication(rule((DEST, DEST_REGION))), strong_source(), key(KEY, "CUSTOMER"),
        scanning_at("ENHANCED", SCAN_ALL), replica, *dest_snapshots,
    ))
    assert result.status is expected
    assert fragment in result.reason
    assert str(result.resource) == f"{ACCOUNT}/{REGION}/repository/app"


def test_repl_06_weak_source_has_nothing_to_lose():
    # A mutable, AES256, unscanned source makes any replica at least as strong.
    result = only(repl_06_results(
        replication(rule((DEST, DEST_REGION))), repository("app", imageTagMutability="MUTABLE"),
        scanning_at("BASIC", []), dest_repository("app", imageTagMutability="MUTABLE"),
        scanning_at("BASIC", [], DEST, DEST_REGION),
    ))
    assert result.status is Status.PASS


def test_repl_06_lists_every_weakness():
    result = only(repl_06_results(
        replication(rule((DEST, DEST_REGION))), strong_source(), key(KEY, "CUSTOMER"),
        scanning_at("ENHANCED", SCAN_ALL), dest_repository("app", imageTagMutability="MUTABLE"),
        scanning_at("ENHANCED", [], DEST, DEST_REGION),
    ))
    assert result.status is Status.FAIL
    replica = only(result.evidence["replicas"])
    assert len(replica["weaknesses"]) == 3
    assert result.evidence["source"] == {"immutable": True, "customerManagedKey": True, "scanned": True}


def test_repl_06_destination_not_audited():
    result = only(repl_06_results(replication(rule((DEST, DEST_REGION))), strong_source(),
                                  scope=((ACCOUNT, REGION, ScopeStatus.AUDITED),)))
    assert result.status is Status.NOT_APPLICABLE
    assert result.reason == NOT_AUDITED


def test_repl_06_fail_wins_over_unaudited_destination():
    result = only(repl_06_results(
        replication(rule((DEST, DEST_REGION), (STRANGER, "us-east-1"))), strong_source(), key(KEY, "CUSTOMER"),
        scanning_at("ENHANCED", SCAN_ALL), dest_repository("app", imageTagMutability="MUTABLE"),
        scanning_at("ENHANCED", SCAN_ALL, DEST, DEST_REGION),
    ))
    assert result.status is Status.FAIL
    outcomes = {r["destination"]: r["outcome"] for r in result.evidence["replicas"]}
    assert outcomes == {f"{DEST}/{DEST_REGION}": "weaker", f"{STRANGER}/us-east-1": "not audited"}


def test_repl_06_unreplicated_repository():
    results = repl_06_results(replication(rule((DEST, DEST_REGION), filters=["prod"])),
                              repository("app"), repository("prod-api"), dest_repository("x"))
    by_name = {r.resource.name: r for r in results}
    assert by_name["app"].status is Status.NOT_APPLICABLE
    assert by_name["app"].reason == "repository is not replicated"


@pytest.mark.parametrize(
    ("snapshots", "scope", "expected", "kind"),
    [
        ([replication()], SOURCE_AND_DEST, Status.NOT_APPLICABLE, ResourceType.REGISTRY),
        ([replication(rule((DEST, DEST_REGION))), failed(Kind.REPOSITORY, LISTING)], SOURCE_AND_DEST,
         Status.ERROR, ResourceType.REPOSITORY),
        ([replication(rule((DEST, DEST_REGION)))], SOURCE_AND_DEST, Status.NOT_APPLICABLE, ResourceType.REGISTRY),
        ([replication(rule((DEST, DEST_REGION))), strong_source(), key(KEY, "CUSTOMER"),
          scanning_at("ENHANCED", SCAN_ALL), failed(Kind.REPOSITORY, LISTING, account=DEST, region=DEST_REGION)],
         SOURCE_AND_DEST, Status.ERROR, ResourceType.REPOSITORY),
        ([replication(rule((DEST, DEST_REGION))), strong_source()],
         ((ACCOUNT, REGION, ScopeStatus.AUDITED), (DEST, DEST_REGION, ScopeStatus.UNREADABLE)),
         Status.ERROR, ResourceType.REPOSITORY),
    ],
)
def test_repl_06_unusable_inputs(snapshots, scope, expected, kind):
    result = only(repl_06_results(*snapshots, scope=scope))
    assert result.status is expected
    assert result.resource.kind is kind
