"""Pull through cache checks (PTC): upstreams, credentials, creation templates, scanning, validation.

A pull through cache rule with prefix ``P`` makes ECR create repositories named
``P/<upstream repository>`` on first pull; ECR treats the prefix as ``P/``
(API reference, CreatePullThroughCacheRule ``ecrRepositoryPrefix``). A rule with
the prefix ``ROOT`` caches under the upstream names themselves, for every
repository that no other rule's prefix claims (ECR User Guide, "Customizing
repository prefixes for ECR to ECR pull through cache").

This module also contains the matching of repository creation templates, which
the replication checks share.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from auditor.checks.engine import Context, item_check
from auditor.checks.filters import CONTINUOUS, ON_PUSH, effective_scanning
from auditor.checks.frameworks import VULNERABILITY_SCANNING, cis_eks, iso, nist
from auditor.checks.model import (
    Area,
    CheckMeta,
    Remediation,
    ResourceType,
    Severity,
    Verdict,
    errored,
    failed,
    not_applicable,
    passed,
)
from auditor.checks.scanning import scanning_configuration
from auditor.checks.trust import is_trusted_account
from auditor.inventory import Kind, Registry, Repository, Snapshot

ROOT = "ROOT"
ECR = "ecr"

_ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
# Upstream registry hosts as listed for upstreamRegistryUrl in the ECR API reference
# (CreatePullThroughCacheRule), mapped to the upstreamRegistry value of each. Azure
# registry names are alphanumeric.
_UPSTREAM_HOSTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (ECR, _ECR_HOST),
    ("ecr-public", re.compile(r"^public\.ecr\.aws$")),
    ("docker-hub", re.compile(r"^registry-1\.docker\.io$")),
    ("github-container-registry", re.compile(r"^ghcr\.io$")),
    ("gitlab-container-registry", re.compile(r"^registry\.gitlab\.com$")),
    ("azure-container-registry", re.compile(r"^[a-z0-9]+\.azurecr\.io$")),
    ("quay", re.compile(r"^quay\.io$")),
    ("k8s", re.compile(r"^registry\.k8s\.io$")),
    ("chainguard", re.compile(r"^cgr\.dev$")),
)

# Upstreams that ECR reaches only with a Secrets Manager secret, and those it reaches
# anonymously. An ECR upstream authenticates with the rule's IAM role instead.
AUTHENTICATED_UPSTREAMS = frozenset(
    {
        "docker-hub",
        "github-container-registry",
        "gitlab-container-registry",
        "azure-container-registry",
        "chainguard",
    }
)
ANONYMOUS_UPSTREAMS = frozenset({"ecr-public", "quay", "k8s"})
# ECR accepts a credential only from a secret whose name starts with this (Secrets
# Manager ARN pattern of the CredentialArn shape in the ECR service model).
SECRET_NAME_PREFIX = "ecr-pullthroughcache/"  # noqa: S105 - a name prefix, not a secret

PULL_THROUGH_CACHE = "PULL_THROUGH_CACHE"
REFERENCES = (
    "https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html",
    "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreatePullThroughCacheRule.html",
)


# ---------------------------------------------------------------------------
# Upstreams


def _host(url: str) -> str:
    host = url.strip().lower()
    for scheme in ("https://", "http://"):
        host = host.removeprefix(scheme)
    return host.split("/", 1)[0]


def upstream_from_url(url: str) -> str | None:
    """Return the upstreamRegistry value whose registry URL this is, or None for an unknown host."""
    host = _host(url)
    for upstream, pattern in _UPSTREAM_HOSTS:
        if pattern.match(host):
            return upstream
    return None


def upstream_of(rule: Mapping[str, Any]) -> str | None:
    """Return the rule's upstream: ``upstreamRegistry`` when ECR reports it, else the one its URL names."""
    named = rule.get("upstreamRegistry")
    if named:
        return str(named)
    return upstream_from_url(str(rule.get("upstreamRegistryUrl", "")))


def ecr_upstream_location(url: str) -> tuple[str, str] | None:
    """Return the (account, region) of an ECR upstream registry URL, or None when it is not one."""
    match = _ECR_HOST.match(_host(url))
    if match is None:
        return None
    return match.group("account"), match.group("region")


def _arn_account(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" and parts[4] else None


def cached_name_prefix(rule_prefix: str) -> str:
    """Return the string that names of the rule's cached repositories start with ("" for ROOT)."""
    if rule_prefix == ROOT:
        return ""
    return rule_prefix.rstrip("/") + "/"


def _rule_upstream_evidence(rule: Mapping[str, Any]) -> dict[str, Any]:
    url = str(rule.get("upstreamRegistryUrl", ""))
    return {
        "upstreamRegistry": rule.get("upstreamRegistry"),
        "upstreamRegistryUrl": url,
        "urlUpstream": upstream_from_url(url),
    }


# ---------------------------------------------------------------------------
# Repository creation templates
#
# A template with prefix T applies to repositories whose names start with "T/"
# (ECR appends the "/"), and the template with prefix ROOT applies to every
# repository that no other template matches (API reference,
# CreateRepositoryCreationTemplate `prefix`). A template applies only to the
# creation scenarios its `appliedFor` lists (same page, `appliedFor`), so a
# template that matches a name but lacks the scenario is not a candidate for that
# scenario and does not stop ROOT from applying.
# NOTE: AWS does not state outright that such a template leaves ROOT in force; this follows the appliedFor wording.


def _template_name_prefix(template_prefix: str) -> str:
    return template_prefix.rstrip("/") + "/"


@dataclass(frozen=True)
class TemplateCoverage:
    """The templates for one scenario that apply to the repository names starting with one string."""

    name_prefix: str
    # Non-ROOT templates that match every such name.
    full: tuple[str, ...]
    # A ROOT template with the scenario exists: it applies wherever no other template does.
    root: bool
    # Non-ROOT templates that match only some such names.
    partial: tuple[str, ...]

    @property
    def covered(self) -> bool:
        return bool(self.full) or self.root


def templates_for(templates: Iterable[Mapping[str, Any]], scenario: str) -> list[str]:
    """Return the prefixes of the templates whose appliedFor lists the scenario."""
    return sorted(str(t.get("prefix", "")) for t in templates if scenario in (t.get("appliedFor") or []))


def template_coverage(templates: Iterable[Mapping[str, Any]], scenario: str, name_prefix: str) -> TemplateCoverage:
    """Work out whether every repository name starting with `name_prefix` gets a template for `scenario`.

    A template "T" matches every such name exactly when `name_prefix` starts with
    "T/"; it matches some of them when "T/" starts with `name_prefix`.
    """
    full: list[str] = []
    partial: list[str] = []
    root = False
    for prefix in templates_for(templates, scenario):
        if prefix == ROOT:
            root = True
            continue
        namespace = _template_name_prefix(prefix)
        if name_prefix.startswith(namespace):
            full.append(prefix)
        elif namespace.startswith(name_prefix):
            partial.append(prefix)
    return TemplateCoverage(name_prefix, tuple(full), root, tuple(partial))


def coverage_text(coverage: TemplateCoverage) -> str:
    """Describe which template applies, for a PASS reason."""
    if coverage.full:
        # The longest prefix is the most specific of the matching templates.
        return f"template {max(coverage.full, key=len)}"
    return "the ROOT template"


# ---------------------------------------------------------------------------
# Scanning filters over a whole namespace


def scan_filter_covers_prefix(filter_text: str, name_prefix: str) -> bool:
    """Decide whether a scanning filter matches every repository name that starts with `name_prefix`.

    Filters match as in `scan_filter_matches`: without ``*`` a filter matches names
    that contain it, with ``*`` it is a whole-name pattern. The decision is exact
    for a `name_prefix` that is empty or ends in "/", as cached-name prefixes do.
    Then ``name_prefix + "aa"`` and ``name_prefix + "bb"`` are both valid names and
    differ in their last character, so a filter part that only the rest of a name
    could satisfy fails for one of them. Hence a contains-filter covers the prefix
    only when it is a substring of it. A pattern covers it only when the pattern
    ends in ``*``, its head is a prefix of `name_prefix`, and its middle parts
    occur in order in the rest of `name_prefix`.
    """
    if "*" not in filter_text:
        return filter_text in name_prefix
    parts = filter_text.split("*")
    head, middle, tail = parts[0], parts[1:-1], parts[-1]
    if tail or not name_prefix.startswith(head):
        return False
    position = len(head)
    for part in middle:
        # The leftmost occurrence is the best choice for a "*"-only pattern.
        found = name_prefix.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


def _scanning_rules_covering(configuration: Mapping[str, Any], name_prefix: str) -> list[str]:
    """Return "FREQUENCY:filter" for each automatic scanning filter that covers the whole prefix."""
    covering = []
    for rule in configuration.get("rules") or []:
        frequency = str(rule.get("scanFrequency", ""))
        if frequency not in (CONTINUOUS, ON_PUSH):
            continue
        for repository_filter in rule.get("repositoryFilters") or []:
            text = str(repository_filter.get("filter", ""))
            if scan_filter_covers_prefix(text, name_prefix):
                covering.append(f"{frequency}:{text}")
    return covering


def cached_repositories(rule_prefix: str, registry: Registry) -> list[Repository]:
    """Return the existing repositories that the rule caches into.

    Under a ROOT rule those are the repositories under no other rule's prefix.
    """
    if rule_prefix != ROOT:
        start = cached_name_prefix(rule_prefix)
        return [r for r in registry.repositories() if r.name.startswith(start)]
    others = [
        cached_name_prefix(s.name) for s in registry.items(Kind.PULL_THROUGH_CACHE_RULE) if s.name != ROOT
    ]
    return [r for r in registry.repositories() if not any(r.name.startswith(o) for o in others)]


# ---------------------------------------------------------------------------
# Checks


def _rule(item: Snapshot) -> Mapping[str, Any]:
    payload: Mapping[str, Any] = item.value() or {}
    return payload


@item_check(
    CheckMeta(
        id="PTC-01",
        title="Pull through cache rule uses an allowed upstream registry",
        area=Area.PTC,
        severity=Severity.HIGH,
        resource_type=ResourceType.PULL_THROUGH_CACHE_RULE,
        rationale=(
            "Every image cached from an upstream registry can be pulled as if it were the "
            "organisation's own, so only upstreams the organisation has approved should feed the registry."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Features & Settings > Pull through cache > select the rule > "
                "Delete, then create a rule for an approved upstream."
            ),
            cli="aws ecr delete-pull-through-cache-rule --ecr-repository-prefix PREFIX",
        ),
        controls=(
            cis_eks("5.1.4", "applied to the upstream registries of pull through cache rules"),
            iso("5.21"),
            nist("CM-7", "the allow-list limits the outside registries that images come from"),
        ),
        permissions=("ecr:DescribePullThroughCacheRules",),
        references=REFERENCES,
    ),
    Kind.PULL_THROUGH_CACHE_RULE,
)
def ptc_01(item: Snapshot, registry: Registry, context: Context) -> Verdict:
    rule = _rule(item)
    upstream = upstream_of(rule)
    evidence = _rule_upstream_evidence(rule)
    if upstream is None:
        url = rule.get("upstreamRegistryUrl")
        return failed(f"upstream registry URL {url!r} is not one that pull through cache supports", **evidence)
    allowed = list(context.settings.allowed_upstreams)
    evidence.update(upstream=upstream, allowed_upstreams=allowed)
    if upstream not in allowed:
        return failed(f"upstream {upstream} is not in allowed_upstreams", **evidence)
    return passed(f"upstream {upstream} is allowed", **evidence)


def _judge_secret(arn: str, registry: Registry) -> Verdict:
    parts = arn.split(":", 6)
    evidence: dict[str, Any] = {"credentialArn": arn}
    if len(parts) != 7 or parts[0] != "arn" or parts[2] != "secretsmanager" or parts[5] != "secret":
        return failed(f"credentialArn {arn} is not a Secrets Manager secret ARN", **evidence)
    region, account, name = parts[3], parts[4], parts[6]
    evidence.update(secretAccount=account, secretRegion=region, secretName=name)
    problems = []
    if account != registry.account:
        problems.append(f"is in account {account}, not {registry.account}")
    if region != registry.region:
        problems.append(f"is in region {region}, not {registry.region}")
    if not name.startswith(SECRET_NAME_PREFIX):
        problems.append(f"has a name that does not start with {SECRET_NAME_PREFIX}")
    if problems:
        return failed(f"secret {name} " + " and ".join(problems), problems=problems, **evidence)
    return passed(f"credential is secret {name} in the registry's account and region", **evidence)


@item_check(
    CheckMeta(
        id="PTC-02",
        title="Authenticated upstream uses a proper Secrets Manager credential",
        area=Area.PTC,
        severity=Severity.HIGH,
        resource_type=ResourceType.PULL_THROUGH_CACHE_RULE,
        rationale=(
            "Docker Hub, GitHub, GitLab, Azure and Chainguard upstreams need credentials; ECR reads "
            "them only from a Secrets Manager secret named ecr-pullthroughcache/... in the registry's "
            "own account and region, where its access can be audited and rotated."
        ),
        remediation=Remediation(
            console=(
                "AWS Secrets Manager > Store a new secret named ecr-pullthroughcache/<upstream> in the "
                "registry's account and region; then Amazon ECR > Pull through cache > edit the rule > "
                "choose that secret."
            ),
            cli=(
                "aws ecr update-pull-through-cache-rule --ecr-repository-prefix PREFIX --credential-arn "
                "arn:aws:secretsmanager:REGION:ACCOUNT:secret:ecr-pullthroughcache/NAME"
            ),
        ),
        controls=(nist("IA-5"), iso("5.17")),
        permissions=("ecr:DescribePullThroughCacheRules",),
        references=REFERENCES,
    ),
    Kind.PULL_THROUGH_CACHE_RULE,
)
def ptc_02(item: Snapshot, registry: Registry, context: Context) -> Verdict:
    rule = _rule(item)
    upstream = upstream_of(rule)
    credential = rule.get("credentialArn")
    if upstream == ECR:
        return not_applicable(
            "an Amazon ECR upstream authenticates with the rule's IAM role, not a secret (see PTC-05)",
            upstream=upstream,
        )
    if upstream in ANONYMOUS_UPSTREAMS:
        return not_applicable(f"upstream {upstream} needs no credential", upstream=upstream, credentialArn=credential)
    if upstream not in AUTHENTICATED_UPSTREAMS and not credential:
        return errored(
            f"cannot tell whether upstream {upstream or rule.get('upstreamRegistryUrl')!r} needs a credential",
            **_rule_upstream_evidence(rule),
        )
    if not credential:
        return failed(f"upstream {upstream} requires authentication but the rule has no credentialArn",
                      upstream=upstream)
    verdict = _judge_secret(str(credential), registry)
    return Verdict(verdict.status, verdict.reason, {"upstream": upstream, **verdict.evidence})


@item_check(
    CheckMeta(
        id="PTC-03",
        title="Cached repositories get a creation template",
        area=Area.PTC,
        severity=Severity.HIGH,
        resource_type=ResourceType.PULL_THROUGH_CACHE_RULE,
        rationale=(
            "Without a repository creation template for PULL_THROUGH_CACHE, ECR creates cached "
            "repositories with account defaults: mutable tags, AES256 encryption, no lifecycle "
            "policy and no repository policy."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Features & Settings > Repository creation templates > "
                "Create template > prefix = the rule's prefix (or ROOT), applied for Pull through cache."
            ),
            cli=(
                "aws ecr create-repository-creation-template --prefix PREFIX --applied-for PULL_THROUGH_CACHE "
                "--image-tag-mutability IMMUTABLE --encryption-configuration encryptionType=KMS,kmsKey=KEY_ARN "
                "--custom-role-arn ROLE_ARN"
            ),
        ),
        controls=(nist("CM-2"), nist("CM-6"), iso("8.9")),
        permissions=("ecr:DescribePullThroughCacheRules", "ecr:DescribeRepositoryCreationTemplates"),
        references=(
            "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html",
            "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepositoryCreationTemplate.html",
        ),
    ),
    Kind.PULL_THROUGH_CACHE_RULE,
)
def ptc_03(item: Snapshot, registry: Registry, context: Context) -> Verdict:
    failure = registry.listing_error(Kind.CREATION_TEMPLATE)
    if failure is not None:
        return errored(f"creation templates could not be listed: {failure.describe()}",
                       operation=failure.operation, error_code=failure.error_code)
    templates = [s.value() or {} for s in registry.items(Kind.CREATION_TEMPLATE)]
    name_prefix = cached_name_prefix(item.name)
    coverage = template_coverage(templates, PULL_THROUGH_CACHE, name_prefix)
    evidence: dict[str, Any] = {
        "cachedNamePrefix": name_prefix,
        "matchingTemplates": list(coverage.full),
        "rootTemplate": coverage.root,
        "partialTemplates": list(coverage.partial),
        "pullThroughCacheTemplates": templates_for(templates, PULL_THROUGH_CACHE),
    }
    if coverage.covered:
        return passed(f"cached repositories get {coverage_text(coverage)}", **evidence)
    namespace = f"'{name_prefix}'" if name_prefix else "any name"
    reason = f"no PULL_THROUGH_CACHE template applies to every repository under {namespace}"
    if coverage.partial:
        reason += f"; only {', '.join(coverage.partial)} cover part of it"
    return failed(reason + ", so the rest get account defaults", **evidence)


@item_check(
    CheckMeta(
        id="PTC-04",
        title="Registry scanning covers every cached repository",
        area=Area.PTC,
        severity=Severity.HIGH,
        resource_type=ResourceType.PULL_THROUGH_CACHE_RULE,
        rationale=(
            "Cached images come from outside the organisation and arrive without any review, so the "
            "registry's scanning rules must match every repository the rule creates, including those "
            "not yet created."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Private registry > Settings > Scanning configuration > add a filter such as "
                "'PREFIX/*' to a continuous or scan-on-push rule. The CLI call replaces every rule, so "
                "include the existing ones."
            ),
            cli=(
                "aws ecr put-registry-scanning-configuration --scan-type ENHANCED --rules "
                "'[{\"scanFrequency\":\"CONTINUOUS_SCAN\",\"repositoryFilters\":"
                "[{\"filter\":\"PREFIX/*\",\"filterType\":\"WILDCARD\"}]}]'"
            ),
        ),
        controls=VULNERABILITY_SCANNING,
        permissions=(
            "ecr:DescribePullThroughCacheRules",
            "ecr:GetRegistryScanningConfiguration",
            "ecr:DescribeRepositories",
        ),
        references=("https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-filters.html",),
    ),
    Kind.PULL_THROUGH_CACHE_RULE,
)
def ptc_04(item: Snapshot, registry: Registry, context: Context) -> Verdict:
    configuration = scanning_configuration(registry)
    failure = registry.listing_error(Kind.REPOSITORY)
    if failure is not None:
        return errored(f"repositories could not be listed: {failure.describe()}",
                       operation=failure.operation, error_code=failure.error_code)
    name_prefix = cached_name_prefix(item.name)
    existing = cached_repositories(item.name, registry)
    unscanned = [r.name for r in existing if not _scanned_automatically(configuration, r)]
    covering = _scanning_rules_covering(configuration, name_prefix)
    evidence: dict[str, Any] = {
        "cachedNamePrefix": name_prefix,
        "scanType": str(configuration.get("scanType", "BASIC")).upper(),
        "coveringFilters": covering,
        "cachedRepositories": len(existing),
        "unscannedRepositories": unscanned,
    }
    problems = []
    if unscanned:
        listed = ", ".join(unscanned[:5]) + (f" and {len(unscanned) - 5} more" if len(unscanned) > 5 else "")
        problems.append(f"cached repositories {listed} are not scanned automatically")
    if not covering:
        # A new repository starts with scanOnPush off, so only a registry rule can scan it.
        problems.append("no continuous or scan-on-push filter covers every new name under "
                        + (f"'{name_prefix}'" if name_prefix else "the ROOT rule"))
    if problems:
        return failed("; ".join(problems), **evidence)
    return passed(f"filters {', '.join(covering)} scan every repository the rule creates", **evidence)


def _scanned_automatically(configuration: Mapping[str, Any], repository: Repository) -> bool:
    legacy = bool((repository.payload.get("imageScanningConfiguration") or {}).get("scanOnPush"))
    effective = effective_scanning(configuration, repository.name, legacy_scan_on_push=legacy)
    return effective.frequency in (CONTINUOUS, ON_PUSH)


@item_check(
    CheckMeta(
        id="PTC-05",
        title="ECR upstream is a trusted account with a role",
        area=Area.PTC,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.PULL_THROUGH_CACHE_RULE,
        rationale=(
            "An ECR-to-ECR rule copies another registry's images into this one; that registry must "
            "belong to a trusted account, and a cross-account upstream is reached only through an "
            "IAM role named in the rule."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Pull through cache > edit the rule: point it at a registry in a trusted "
                "account and choose the IAM role that ECR assumes to reach it."
            ),
            cli=(
                "aws ecr update-pull-through-cache-rule --ecr-repository-prefix PREFIX "
                "--custom-role-arn arn:aws:iam::ACCOUNT:role/ROLE"
            ),
        ),
        controls=(cis_eks("5.1.4", "applied to ECR upstream registries"), iso("5.21"), nist("AC-20")),
        permissions=("ecr:DescribePullThroughCacheRules",),
        references=(
            *REFERENCES,
            "https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-private-wildcards.html",
        ),
    ),
    Kind.PULL_THROUGH_CACHE_RULE,
)
def ptc_05(item: Snapshot, registry: Registry, context: Context) -> Verdict:
    rule = _rule(item)
    upstream = upstream_of(rule)
    if upstream != ECR:
        return not_applicable(f"upstream {upstream or 'unknown'} is not Amazon ECR", upstream=upstream)
    url = str(rule.get("upstreamRegistryUrl", ""))
    location = ecr_upstream_location(url)
    if location is None:
        return errored(f"ECR upstream URL {url!r} names no account and region", upstreamRegistryUrl=url)
    account, region = location
    role = rule.get("customRoleArn")
    evidence: dict[str, Any] = {
        "upstreamAccount": account,
        "upstreamRegion": region,
        "customRoleArn": role,
        "roleAccount": _arn_account(str(role)) if role else None,
    }
    if account == registry.account:
        return passed(f"upstream is this account's own registry in {region}", **evidence)
    problems = []
    if not is_trusted_account(account, registry.account, context):
        problems.append(f"upstream account {account} is not trusted")
    if not role:
        problems.append(f"the rule reaches account {account} without a customRoleArn")
    if problems:
        return failed(" and ".join(problems), **evidence)
    return passed(f"upstream account {account} is trusted and reached through role {role}", **evidence)


@item_check(
    CheckMeta(
        id="PTC-06",
        title="Authenticated pull through cache rule validates",
        area=Area.PTC,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.PULL_THROUGH_CACHE_RULE,
        rationale=(
            "A rule whose stored credential no longer authenticates (revoked token, deleted secret, "
            "wrong key policy) stops refreshing cached images, so images go stale without warning."
        ),
        remediation=Remediation(
            console=(
                "Amazon ECR > Pull through cache > select the rule > Validate; fix the secret's value or "
                "its KMS key policy as the failure says."
            ),
            cli="aws ecr validate-pull-through-cache-rule --ecr-repository-prefix PREFIX",
        ),
        controls=(nist("IA-5", "checks that the stored upstream credential still authenticates"), iso("5.17")),
        permissions=("ecr:DescribePullThroughCacheRules", "ecr:ValidatePullThroughCacheRule"),
        references=("https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ValidatePullThroughCacheRule.html",),
    ),
    Kind.PULL_THROUGH_CACHE_RULE,
)
def ptc_06(item: Snapshot, registry: Registry, context: Context) -> Verdict:
    if not context.settings.validate_pull_through_cache:
        return not_applicable("validate_pull_through_cache is off, so rules were not validated")
    rule = _rule(item)
    upstream = upstream_of(rule)
    if not rule.get("credentialArn"):
        # ValidatePullThroughCacheRule checks the secret, so only rules with one are validated.
        if upstream in AUTHENTICATED_UPSTREAMS:
            return not_applicable(f"upstream {upstream} has no credentialArn to validate (see PTC-02)",
                                  upstream=upstream)
        if upstream == ECR:
            return not_applicable("an Amazon ECR upstream authenticates with the rule's IAM role, not a secret, "
                                  "so it was not validated", upstream=upstream)
        return not_applicable(f"upstream {upstream or 'unknown'} uses no authentication", upstream=upstream)
    validation = registry.get(Kind.PULL_THROUGH_CACHE_VALIDATION, item.name).value()
    if validation is None:
        return errored("ValidatePullThroughCacheRule returned nothing for the rule", upstream=upstream)
    evidence = {"upstream": upstream, "isValid": validation.get("isValid"), "failure": validation.get("failure")}
    if validation.get("isValid") is True:
        return passed("ECR reached the upstream and authenticated", **evidence)
    return failed(f"validation failed: {validation.get('failure') or 'no reason given'}", **evidence)


CHECKS = (ptc_01, ptc_02, ptc_03, ptc_04, ptc_05, ptc_06)
