import itertools

import pytest
from builders import (
    ACCOUNT,
    REGION,
    failed,
    inventory,
    listing_failure,
    only,
    present,
    repository,
    run_check,
    scan_rule,
    scanning,
)

from auditor.checks.filters import scan_filter_matches
from auditor.checks.model import ResourceType, Status
from auditor.checks.pull_through_cache import (
    ptc_01,
    ptc_02,
    ptc_03,
    ptc_04,
    ptc_05,
    ptc_06,
    scan_filter_covers_prefix,
    template_coverage,
    upstream_from_url,
)
from auditor.inventory import Kind

SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
OTHER = "444455556666"


def rule(prefix, url, upstream=None, credential=None, role=None, **fields):
    payload = {
        "ecrRepositoryPrefix": prefix,
        "upstreamRegistryUrl": url,
        "registryId": ACCOUNT,
        "upstreamRepositoryPrefix": "ROOT",
    }
    if upstream is not None:
        payload["upstreamRegistry"] = upstream
    if credential is not None:
        payload["credentialArn"] = credential
    if role is not None:
        payload["customRoleArn"] = role
    payload.update(fields)
    return present(Kind.PULL_THROUGH_CACHE_RULE, prefix, payload)


def template(prefix, *applied_for):
    payload = {"prefix": prefix, "appliedFor": list(applied_for), "imageTagMutability": "IMMUTABLE",
               "encryptionConfiguration": {"encryptionType": "AES256"}}
    return present(Kind.CREATION_TEMPLATE, prefix, payload)


# ---------------------------------------------------------------------------
# Upstream identification and PTC-01


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("public.ecr.aws", "ecr-public"),
        ("registry-1.docker.io", "docker-hub"),
        ("ghcr.io", "github-container-registry"),
        ("registry.gitlab.com", "gitlab-container-registry"),
        ("myregistry.azurecr.io", "azure-container-registry"),
        ("quay.io", "quay"),
        ("registry.k8s.io", "k8s"),
        ("cgr.dev", "chainguard"),
        ("444455556666.dkr.ecr.us-west-2.amazonaws.com", "ecr"),
        ("444455556666.dkr.ecr.cn-north-1.amazonaws.com.cn", "ecr"),
        ("https://ghcr.io/", "github-container-registry"),
        ("docker.io", None),  # Docker Hub's pull host is registry-1.docker.io
        ("evil.example.com", None),
        ("public.ecr.aws.evil.example.com", None),
        ("4444.dkr.ecr.us-west-2.amazonaws.com", None),  # not a 12-digit account
    ],
)
def test_upstream_from_url(url, expected):
    assert upstream_from_url(url) == expected


@pytest.mark.parametrize(
    ("snapshot", "allowed", "expected"),
    [
        (rule("ecr-public", "public.ecr.aws", "ecr-public"), None, Status.PASS),
        (rule("hub", "registry-1.docker.io", "docker-hub", SECRET), ["ecr-public", "quay"], Status.FAIL),
        (rule("hub", "registry-1.docker.io", None, SECRET), ["docker-hub"], Status.PASS),  # from the URL
        (rule("hub", "registry-1.docker.io", None, SECRET), ["quay"], Status.FAIL),
        (rule("acr", "team.azurecr.io"), ["azure-container-registry"], Status.PASS),
        (rule("odd", "registry.example.com"), None, Status.FAIL),  # unknown URL is never allowed
    ],
)
def test_ptc_01_allowed_upstreams(snapshot, allowed, expected):
    overrides = {} if allowed is None else {"allowed_upstreams": allowed}
    result = only(run_check(ptc_01, inventory(snapshot), **overrides))
    assert result.status is expected
    assert result.resource.kind is ResourceType.PULL_THROUGH_CACHE_RULE
    assert str(result.resource) == f"{ACCOUNT}/{REGION}/pull-through-cache-rule/{snapshot.name}"


def test_ptc_01_names_unknown_url():
    result = only(run_check(ptc_01, inventory(rule("odd", "registry.example.com"))))
    assert "registry.example.com" in result.reason
    assert result.evidence["upstreamRegistryUrl"] == "registry.example.com"


def test_ptc_01_prefers_reported_upstream():
    # ECR reports upstreamRegistry; the URL only decides when it is missing.
    snapshot = rule("q", "quay.io", "quay")
    result = only(run_check(ptc_01, inventory(snapshot), allowed_upstreams=["quay"]))
    assert result.evidence["upstream"] == "quay"


def test_ptc_checks_not_applicable_without_rules():
    result = only(run_check(ptc_01, inventory()))
    assert result.status is Status.NOT_APPLICABLE
    assert result.reason == "registry has no pull through cache rules"


def test_ptc_checks_error_when_rules_not_listed():
    result = only(run_check(ptc_01, inventory(listing_failure(Kind.PULL_THROUGH_CACHE_RULE))))
    assert result.status is Status.ERROR
    assert "AccessDeniedException" in result.reason


# ---------------------------------------------------------------------------
# PTC-02


@pytest.mark.parametrize(
    ("snapshot", "expected", "fragment"),
    [
        (rule("hub", "registry-1.docker.io", "docker-hub", SECRET), Status.PASS, "ecr-pullthroughcache/"),
        (rule("hub", "registry-1.docker.io", "docker-hub"), Status.FAIL, "no credentialArn"),
        (rule("gh", "ghcr.io", "github-container-registry",
              f"arn:aws:secretsmanager:{REGION}:{OTHER}:secret:ecr-pullthroughcache/gh-AbCdEf"),
         Status.FAIL, f"account {OTHER}"),
        (rule("gl", "registry.gitlab.com", "gitlab-container-registry",
              f"arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:ecr-pullthroughcache/gl-AbCdEf"),
         Status.FAIL, "region us-west-2"),
        (rule("cg", "cgr.dev", "chainguard",
              f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:chainguard-token-AbCdEf"),
         Status.FAIL, "does not start with ecr-pullthroughcache/"),
        (rule("acr", "team.azurecr.io", "azure-container-registry",
              f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/ecr-pullthroughcache/acr"),
         Status.FAIL, "not a Secrets Manager secret"),
        (rule("hub", "registry-1.docker.io", None, SECRET), Status.PASS, "docker-hub"),  # upstream from URL
        (rule("ecr-public", "public.ecr.aws", "ecr-public"), Status.NOT_APPLICABLE, "needs no credential"),
        (rule("quay", "quay.io", "quay"), Status.NOT_APPLICABLE, "needs no credential"),
        (rule("k8s", "registry.k8s.io", "k8s"), Status.NOT_APPLICABLE, "needs no credential"),
        (rule("mirror", f"{OTHER}.dkr.ecr.us-west-2.amazonaws.com", "ecr", role="arn:aws:iam::111122223333:role/r"),
         Status.NOT_APPLICABLE, "PTC-05"),
        (rule("odd", "registry.example.com"), Status.ERROR, "cannot tell"),
    ],
)
def test_ptc_02_credentials(snapshot, expected, fragment):
    result = only(run_check(ptc_02, inventory(snapshot)))
    assert result.status is expected
    assert fragment in result.reason


def test_ptc_02_lists_every_secret_problem():
    arn = f"arn:aws:secretsmanager:us-west-2:{OTHER}:secret:token-AbCdEf"
    result = only(run_check(ptc_02, inventory(rule("hub", "registry-1.docker.io", "docker-hub", arn))))
    assert result.status is Status.FAIL
    assert len(result.evidence["problems"]) == 3
    assert result.evidence["secretAccount"] == OTHER


# ---------------------------------------------------------------------------
# Template matching and PTC-03


@pytest.mark.parametrize(
    ("rule_prefix", "templates", "expected"),
    [
        ("docker-hub", [template("docker-hub", "PULL_THROUGH_CACHE")], Status.PASS),
        ("docker-hub/", [template("docker-hub", "PULL_THROUGH_CACHE")], Status.PASS),  # ECR adds the "/"
        ("cache/docker-hub", [template("cache", "PULL_THROUGH_CACHE")], Status.PASS),  # enclosing namespace
        ("docker-hub", [template("ROOT", "PULL_THROUGH_CACHE", "REPLICATION")], Status.PASS),
        ("docker-hub", [template("ROOT", "REPLICATION")], Status.FAIL),
        ("docker-hub", [template("docker-hub", "REPLICATION", "CREATE_ON_PUSH")], Status.FAIL),
        ("docker-hub", [template("docker-hub")], Status.FAIL),  # empty appliedFor applies to nothing
        ("docker-hub", [template("docker", "PULL_THROUGH_CACHE")], Status.FAIL),  # "docker/" is not "docker-hub/"
        ("docker-hub", [template("docker-hub/library", "PULL_THROUGH_CACHE")], Status.FAIL),  # only part
        # A more specific template without the scenario is no candidate, so ROOT still applies.
        ("docker-hub", [template("docker-hub", "REPLICATION"), template("ROOT", "PULL_THROUGH_CACHE")], Status.PASS),
        ("ROOT", [template("ROOT", "PULL_THROUGH_CACHE")], Status.PASS),
        ("ROOT", [template("library", "PULL_THROUGH_CACHE")], Status.FAIL),  # a ROOT rule caches any name
        ("docker-hub", [], Status.FAIL),
    ],
)
def test_ptc_03_template_matching(rule_prefix, templates, expected):
    inv = inventory(rule(rule_prefix, "public.ecr.aws", "ecr-public"), *templates)
    result = only(run_check(ptc_03, inv))
    assert result.status is expected


def test_ptc_03_names_partial_templates():
    inv = inventory(rule("docker-hub", "registry-1.docker.io", "docker-hub", SECRET),
                    template("docker-hub/library", "PULL_THROUGH_CACHE"))
    result = only(run_check(ptc_03, inv))
    assert result.evidence["partialTemplates"] == ["docker-hub/library"]
    assert "docker-hub/library" in result.reason


def test_ptc_03_pass_names_most_specific_template():
    inv = inventory(rule("cache/hub", "public.ecr.aws", "ecr-public"),
                    template("cache", "PULL_THROUGH_CACHE"), template("cache/hub", "PULL_THROUGH_CACHE"),
                    template("ROOT", "PULL_THROUGH_CACHE"))
    result = only(run_check(ptc_03, inv))
    assert result.status is Status.PASS
    assert "template cache/hub" in result.reason


def test_ptc_03_error_when_templates_not_listed():
    inv = inventory(rule("ecr-public", "public.ecr.aws", "ecr-public"), listing_failure(Kind.CREATION_TEMPLATE))
    result = only(run_check(ptc_03, inv))
    assert result.status is Status.ERROR
    assert result.evidence["error_code"] == "AccessDeniedException"


@pytest.mark.parametrize(
    ("templates", "name_prefix", "full", "root", "partial"),
    [
        ([{"prefix": "prod", "appliedFor": ["REPLICATION"]}], "prod/", ("prod",), False, ()),
        ([{"prefix": "prod", "appliedFor": ["REPLICATION"]}], "prod", (), False, ("prod",)),  # "prod-api" escapes
        ([{"prefix": "prod", "appliedFor": ["REPLICATION"]}], "prod-", (), False, ()),
        ([{"prefix": "prod/", "appliedFor": ["REPLICATION"]}], "prod/api", ("prod/",), False, ()),
        ([{"prefix": "ROOT", "appliedFor": ["REPLICATION"]}], "", (), True, ()),
        ([{"prefix": "a", "appliedFor": ["REPLICATION"]}, {"prefix": "a/b", "appliedFor": ["REPLICATION"]}],
         "a/b/", ("a", "a/b"), False, ()),
        ([{"prefix": "a/b", "appliedFor": ["PULL_THROUGH_CACHE"]}], "a/", (), False, ()),
    ],
)
def test_template_coverage(templates, name_prefix, full, root, partial):
    coverage = template_coverage(templates, "REPLICATION", name_prefix)
    assert coverage.full == full
    assert coverage.root is root
    assert coverage.partial == partial


# ---------------------------------------------------------------------------
# Scanning filters over a namespace and PTC-04


@pytest.mark.parametrize(
    ("filter_text", "name_prefix", "expected"),
    [
        ("*", "docker-hub/", True),
        ("*", "", True),
        ("**", "", True),
        ("docker-hub/*", "docker-hub/", True),
        ("docker-hub*", "docker-hub/", True),
        ("docker*", "docker-hub/", True),
        ("docker-hub/*", "docker-hub-mirror/", False),
        ("*hub/*", "docker-hub/", True),
        ("*-hub*", "docker-hub/", True),
        ("d*r*b/*", "docker-hub/", True),
        ("*/library/*", "docker-hub/", False),  # only names under docker-hub/library/
        ("docker-hub/*/*", "docker-hub/", False),  # "docker-hub/nginx" has one component
        ("docker-hub/*x", "docker-hub/", False),  # a literal tail cannot end every name
        ("docker-hub/library*", "docker-hub/", False),
        ("cache/docker-hub/*", "docker-hub/", False),
        ("*", "cache/docker-hub/", True),
        ("hub", "docker-hub/", True),  # contains
        ("hub/", "docker-hub/", True),
        ("docker-hub/", "docker-hub/", True),
        ("docker-hub/n", "docker-hub/", False),
        ("ub/l", "docker-hub/", False),
        ("prod", "", False),  # a ROOT rule caches names without "prod"
        ("", "", True),
    ],
)
def test_scan_filter_covers_prefix(filter_text, name_prefix, expected):
    assert scan_filter_covers_prefix(filter_text, name_prefix) is expected


def _strings(alphabet, max_length):
    for length in range(max_length + 1):
        for letters in itertools.product(alphabet, repeat=length):
            yield "".join(letters)


@pytest.mark.parametrize("name_prefix", ["", "a/", "ab/", "b-a/", "a/b/"])
def test_scan_filter_covers_prefix_exhaustive(name_prefix):
    # Every filter of up to four characters over a small alphabet. A True result must
    # hold for every continuation, and a False result must have a witness among the
    # two names the decision procedure relies on.
    continuations = [x for x in _strings("ab/-", 3) if x]
    for filter_text in _strings("ab/-*", 4):
        covers = scan_filter_covers_prefix(filter_text, name_prefix)
        if covers:
            misses = [x for x in continuations if not scan_filter_matches(filter_text, name_prefix + x)]
            assert misses == [], (filter_text, name_prefix)
        else:
            witnesses = [name_prefix + "aa", name_prefix + "bb"]
            assert not all(scan_filter_matches(filter_text, w) for w in witnesses), (filter_text, name_prefix)


def hub_rule():
    return rule("docker-hub", "registry-1.docker.io", "docker-hub", SECRET)


@pytest.mark.parametrize(
    ("config", "repositories", "expected"),
    [
        (scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "*")]), [repository("docker-hub/library/nginx")],
         Status.PASS),
        (scanning("ENHANCED", [scan_rule("SCAN_ON_PUSH", "docker-hub/*")]), [], Status.PASS),
        (scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "docker-hub/library/*")]),
         [repository("docker-hub/library/nginx")], Status.FAIL),  # existing covered, new names not
        (scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "prod*")]), [], Status.FAIL),
        (scanning("BASIC", []), [repository("docker-hub/nginx", imageScanningConfiguration={"scanOnPush": True})],
         Status.FAIL),  # a new cached repository starts with scanOnPush off
        (scanning("BASIC", [scan_rule("SCAN_ON_PUSH", "hub")]), [repository("docker-hub/nginx")], Status.PASS),
        (scanning("BASIC", [scan_rule("MANUAL", "*")]), [], Status.FAIL),
        # A repository outside the prefix does not matter here.
        (scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "docker-hub/*")]), [repository("team/app")], Status.PASS),
    ],
)
def test_ptc_04_scanning(config, repositories, expected):
    result = only(run_check(ptc_04, inventory(hub_rule(), config, *repositories)))
    assert result.status is expected


def test_ptc_04_counts_only_names_under_prefix():
    config = scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "docker-hub/*"), scan_rule("SCAN_ON_PUSH", "x")])
    # "docker-hub-old/nginx" is not under "docker-hub/", so the rule did not create it.
    inv = inventory(hub_rule(), config, repository("docker-hub/nginx"), repository("docker-hub-old/nginx"))
    result = only(run_check(ptc_04, inv))
    assert result.status is Status.PASS
    assert result.evidence["cachedRepositories"] == 1


def test_ptc_04_names_unscanned_cached_repositories():
    config = scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "*/library/*")])
    inv = inventory(hub_rule(), config, repository("docker-hub/library/nginx"), repository("docker-hub/bitnami/redis"))
    result = only(run_check(ptc_04, inv))
    assert result.status is Status.FAIL
    assert result.evidence["unscannedRepositories"] == ["docker-hub/bitnami/redis"]
    assert "docker-hub/bitnami/redis" in result.reason


def test_ptc_04_root_rule_excludes_other_rules_repositories():
    config = scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "*")])
    inv = inventory(rule("ROOT", f"{OTHER}.dkr.ecr.us-west-2.amazonaws.com", "ecr"), hub_rule(), config,
                    repository("app"), repository("docker-hub/nginx"))
    results = run_check(ptc_04, inv)
    by_name = {r.resource.name: r for r in results}
    assert by_name["ROOT"].status is Status.PASS
    assert by_name["ROOT"].evidence["cachedRepositories"] == 1  # "app" only

    narrow = scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "app*")])
    inv = inventory(rule("ROOT", f"{OTHER}.dkr.ecr.us-west-2.amazonaws.com", "ecr"), narrow, repository("app"))
    result = only(run_check(ptc_04, inv))
    assert result.status is Status.FAIL
    assert "ROOT rule" in result.reason


@pytest.mark.parametrize(
    "snapshots",
    [
        [failed(Kind.REGISTRY_SCANNING_CONFIGURATION, "registry", operation="GetRegistryScanningConfiguration")],
        [scanning("ENHANCED", [scan_rule("CONTINUOUS_SCAN", "*")]), listing_failure(Kind.REPOSITORY)],
    ],
)
def test_ptc_04_error_when_inputs_unreadable(snapshots):
    result = only(run_check(ptc_04, inventory(hub_rule(), *snapshots)))
    assert result.status is Status.ERROR


# ---------------------------------------------------------------------------
# PTC-05


ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecr-upstream"


@pytest.mark.parametrize(
    ("url", "role", "trusted", "expected"),
    [
        (f"{OTHER}.dkr.ecr.us-west-2.amazonaws.com", ROLE, [OTHER], Status.PASS),
        (f"{OTHER}.dkr.ecr.us-west-2.amazonaws.com", None, [OTHER], Status.FAIL),  # cross-account needs a role
        (f"{OTHER}.dkr.ecr.us-west-2.amazonaws.com", ROLE, [], Status.FAIL),  # untrusted account
        (f"{ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com", None, [], Status.PASS),  # own registry, other region
        ("public.ecr.aws", None, [], Status.NOT_APPLICABLE),
    ],
)
def test_ptc_05_ecr_upstream(url, role, trusted, expected):
    snapshot = rule("mirror", url, upstream_from_url(url), role=role)
    result = only(run_check(ptc_05, inventory(snapshot), trusted_accounts=trusted))
    assert result.status is expected


def test_ptc_05_names_both_problems():
    snapshot = rule("mirror", f"{OTHER}.dkr.ecr.us-west-2.amazonaws.com", "ecr")
    result = only(run_check(ptc_05, inventory(snapshot)))
    assert result.status is Status.FAIL
    assert f"upstream account {OTHER} is not trusted" in result.reason
    assert "without a customRoleArn" in result.reason
    assert result.evidence["upstreamRegion"] == "us-west-2"


def test_ptc_05_organisation_scope_is_trusted():
    # With trust_organization on, the accounts of the audit scope are trusted.
    from auditor.inventory import Inventory, ScopeEntry, ScopeStatus

    snapshot = rule("mirror", f"{OTHER}.dkr.ecr.us-west-2.amazonaws.com", "ecr", role=ROLE)
    scope = [ScopeEntry(ACCOUNT, REGION, ScopeStatus.AUDITED), ScopeEntry(OTHER, "us-west-2", ScopeStatus.AUDITED)]
    inv = Inventory.build(scope, [snapshot])
    results = run_check(ptc_05, inv, trust_organization=True)
    rule_results = [r for r in results if r.resource.kind is ResourceType.PULL_THROUGH_CACHE_RULE]
    assert only(rule_results).status is Status.PASS


def test_ptc_05_error_when_ecr_url_unparseable():
    snapshot = rule("mirror", "registry.example.com", "ecr")
    result = only(run_check(ptc_05, inventory(snapshot)))
    assert result.status is Status.ERROR


# ---------------------------------------------------------------------------
# PTC-06


def validation(prefix, valid, failure=None):
    return present(Kind.PULL_THROUGH_CACHE_VALIDATION, prefix,
                   {"ecrRepositoryPrefix": prefix, "isValid": valid, "failure": failure})


@pytest.mark.parametrize(
    ("snapshots", "setting", "expected", "fragment"),
    [
        ([hub_rule(), validation("docker-hub", True)], True, Status.PASS, "authenticated"),
        ([hub_rule(), validation("docker-hub", False, "401 Unauthorized")], True, Status.FAIL, "401 Unauthorized"),
        ([hub_rule(), failed(Kind.PULL_THROUGH_CACHE_VALIDATION, "docker-hub",
                             operation="ValidatePullThroughCacheRule")], True, Status.ERROR, "could not be read"),
        ([hub_rule()], True, Status.ERROR, "could not be read"),  # never collected: unknown
        ([hub_rule(), validation("docker-hub", False)], False, Status.NOT_APPLICABLE, "validate_pull_through_cache"),
        ([rule("ecr-public", "public.ecr.aws", "ecr-public")], True, Status.NOT_APPLICABLE, "no authentication"),
        ([rule("hub", "registry-1.docker.io", "docker-hub")], True, Status.NOT_APPLICABLE, "PTC-02"),
    ],
)
def test_ptc_06_validation(snapshots, setting, expected, fragment):
    result = only(run_check(ptc_06, inventory(*snapshots), validate_pull_through_cache=setting))
    assert result.status is expected
    assert fragment in result.reason
