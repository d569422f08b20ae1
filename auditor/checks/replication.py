"""Replication checks (REPL): destinations, coverage, and what replicas look like at the destination.

A registry's replication configuration (DescribeRegistry) contains rules. Each rule
lists destinations (account and region) and optional repository filters. The only
filter type is PREFIX_MATCH, a plain prefix of the repository name, and a rule
without filters replicates every repository (API reference, RepositoryFilter).

A destination equal to the source registry (same account and region) replicates
nothing, so every check here ignores it and lists it as ignored in the evidence.

REPL-01 and REPL-02 judge the source registry, REPL-03 each source repository.
REPL-04 and REPL-05 judge each destination of a registry, as resource kind
``replication-destination`` named ``<account>/<region>`` under the source
registry. REPL-06 judges each source repository against its replicas. The last
three read the destination registry from the same run; a destination outside the
audit scope is NOT_APPLICABLE with the reason "destination not audited".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from auditor.checks.engine import (
    Context,
    inventory_check,
    registry_check,
    registry_ref,
    repository_check,
    repository_ref,
)
from auditor.checks.filters import CONTINUOUS, ON_PUSH, effective_scanning
from auditor.checks.frameworks import iso, nist, soc2
from auditor.checks.model import (
    Area,
    CheckMeta,
    Remediation,
    ResourceRef,
    ResourceType,
    Severity,
    Status,
    Verdict,
    errored,
    failed,
    not_applicable,
    passed,
)
from auditor.checks.permissions import analyse_text
from auditor.checks.policy import Audience, Grant
from auditor.checks.pull_through_cache import TemplateCoverage, coverage_text, template_coverage
from auditor.checks.repositories import judge_mutability
from auditor.checks.scanning import scanning_configuration
from auditor.checks.trust import is_trusted_account, is_trusted_grant
from auditor.inventory import InputUnavailable, Kind, Registry, Repository, ScopeStatus

logger = logging.getLogger(__name__)

PREFIX_MATCH = "PREFIX_MATCH"
REPLICATION = "REPLICATION"
NOT_AUDITED = "destination not audited"
REPLICATE_IMAGE = "ecr:ReplicateImage"
CREATE_REPOSITORY = "ecr:CreateRepository"

REFERENCES = (
    "https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html",
    "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ReplicationRule.html",
)
CONFIGURE_CONSOLE = (
    "Amazon ECR > Private registry > Features & Settings > Replication > Edit: add or change the rule's "
    "destinations and repository filters."
)
CONFIGURE_CLI = "aws ecr put-replication-configuration --replication-configuration file://replication.json"
BACKUP_CONTROLS = (nist("CP-9"), iso("8.13"), soc2("A1.2"))

T = TypeVar("T")


# ---------------------------------------------------------------------------
# The replication configuration


@dataclass(frozen=True, order=True)
class Destination:
    account: str
    region: str

    def __str__(self) -> str:
        return f"{self.account}/{self.region}"


@dataclass(frozen=True)
class ReplicationRule:
    """One rule, with the destinations that replicate something and those that AWS ignores."""

    index: int
    destinations: tuple[Destination, ...]
    ignored: tuple[Destination, ...]
    # PREFIX_MATCH filter values; None when the rule has no filter and so replicates everything.
    prefixes: tuple[str, ...] | None

    def replicates(self, repository: str) -> bool:
        return self.prefixes is None or any(repository.startswith(p) for p in self.prefixes)

    def describe(self) -> str:
        if self.prefixes is None:
            return "every repository"
        return "repositories starting with " + ", ".join(self.prefixes)


def replication_rules(registry: Registry) -> list[ReplicationRule]:
    """Read the registry's replication rules.

    Raises InputUnavailable when DescribeRegistry failed, and ValueError for a
    filter type other than PREFIX_MATCH because coverage would then be a guess.
    """
    answer = registry.get(Kind.REPLICATION_CONFIGURATION).value() or {}
    raw_rules = (answer.get("replicationConfiguration") or {}).get("rules") or []
    source = Destination(registry.account, registry.region)
    rules = []
    for index, raw in enumerate(raw_rules):
        effective: list[Destination] = []
        ignored: list[Destination] = []
        for entry in raw.get("destinations") or []:
            destination = Destination(str(entry["registryId"]), str(entry["region"]))
            (ignored if destination == source else effective).append(destination)
        filters = raw.get("repositoryFilters") or []
        for entry in filters:
            kind = str(entry.get("filterType", ""))
            if kind != PREFIX_MATCH:
                raise ValueError(f"replication rule {index} has filter type {kind!r}; only PREFIX_MATCH is known")
        prefixes = tuple(str(entry.get("filter", "")) for entry in filters) if filters else None
        rules.append(ReplicationRule(index, tuple(dict.fromkeys(effective)), tuple(ignored), prefixes))
    return rules


def destinations_of(rules: Sequence[ReplicationRule]) -> dict[Destination, list[ReplicationRule]]:
    """Map each destination that replicates something to the rules that name it, in destination order."""
    targets: dict[Destination, list[ReplicationRule]] = {}
    for rule in rules:
        for destination in rule.destinations:
            targets.setdefault(destination, []).append(rule)
    return dict(sorted(targets.items()))


def _ignored(rules: Sequence[ReplicationRule]) -> list[str]:
    return sorted({str(d) for rule in rules for d in rule.ignored})


def destination_ref(registry: Registry, destination: Destination) -> ResourceRef:
    return ResourceRef(registry.account, registry.region, ResourceType.REPLICATION_DESTINATION, str(destination))


def _list_names(names: Sequence[str], limit: int = 5) -> str:
    text = ", ".join(names[:limit])
    return text + (f" and {len(names) - limit} more" if len(names) > limit else "")


# ---------------------------------------------------------------------------
# Checks on the source registry and its repositories


@registry_check(
    CheckMeta(
        id="REPL-01",
        title="Registry replicates to the required regions",
        area=Area.REPL,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REGISTRY,
        rationale=(
            "Images held in one region are lost to every workload when that region is unavailable; "
            "replication keeps copies in the regions recovery plans depend on."
        ),
        remediation=Remediation(console=CONFIGURE_CONSOLE, cli=CONFIGURE_CLI),
        controls=(*BACKUP_CONTROLS, nist("CP-6")),
        permissions=("ecr:DescribeRegistry",),
        references=REFERENCES,
    )
)
def repl_01(registry: Registry, context: Context) -> Verdict:
    settings = context.settings
    required = list(settings.required_replication_regions)
    if not required and not settings.require_cross_region:
        return not_applicable("neither required_replication_regions nor require_cross_region is set")
    rules = replication_rules(registry)
    destinations = list(destinations_of(rules))
    regions = sorted({d.region for d in destinations})
    # The registry's own region already contains the images, and AWS ignores a
    # destination equal to the source, so that region needs no rule.
    missing = [region for region in required if region != registry.region and region not in regions]
    leaving = [str(d) for d in destinations if d.region != registry.region]
    evidence: dict[str, Any] = {
        "destinations": [str(d) for d in destinations],
        "ignoredDestinations": _ignored(rules),
        "requiredRegions": required,
        "missingRegions": missing,
        "requireCrossRegion": bool(settings.require_cross_region),
        "crossRegionDestinations": leaving,
    }
    problems = []
    if missing:
        problems.append(f"no rule replicates to {', '.join(missing)}")
    if settings.require_cross_region and not leaving:
        problems.append(f"no rule replicates out of {registry.region}")
    if problems:
        return failed(" and ".join(problems), **evidence)
    return passed(f"replicates to {', '.join(regions)}", **evidence)


@registry_check(
    CheckMeta(
        id="REPL-02",
        title="Replication goes only to trusted accounts",
        area=Area.REPL,
        severity=Severity.HIGH,
        resource_type=ResourceType.REGISTRY,
        rationale=(
            "Replication copies every image pushed to the matching repositories into the destination "
            "account, whose owner then controls those copies; an untrusted destination is a standing "
            "data transfer out of the organisation."
        ),
        remediation=Remediation(console=CONFIGURE_CONSOLE, cli=CONFIGURE_CLI),
        controls=(nist("AC-4"), iso("5.14"), soc2("CC6.7")),
        permissions=("ecr:DescribeRegistry", "ecr:DescribeRepositories"),
        references=REFERENCES,
    )
)
def repl_02(registry: Registry, context: Context) -> Verdict:
    rules = replication_rules(registry)
    targets = destinations_of(rules)
    if not targets:
        return not_applicable("registry has no replication destinations", ignoredDestinations=_ignored(rules))
    untrusted = {d: r for d, r in targets.items() if not is_trusted_account(d.account, registry.account, context)}
    evidence: dict[str, Any] = {"destinations": [str(d) for d in targets], "ignoredDestinations": _ignored(rules)}
    if not untrusted:
        return passed("every replication destination is in a trusted account", **evidence)

    names = [r.name for r in registry.repositories()] if registry.listing_ok(Kind.REPOSITORY) else None
    details = []
    parts = []
    for destination, destination_rules in untrusted.items():
        every = any(rule.prefixes is None for rule in destination_rules)
        scope = "every repository" if every else "; ".join(rule.describe() for rule in destination_rules)
        entry: dict[str, Any] = {
            "destination": str(destination),
            "rules": [rule.index for rule in destination_rules],
            "replicates": "every repository" if every else sorted(
                {p for rule in destination_rules for p in rule.prefixes or ()}
            ),
            "repositories": None,
        }
        if names is None:
            parts.append(f"{destination} ({scope}; repositories could not be listed)")
        else:
            matched = [n for n in names if any(rule.replicates(n) for rule in destination_rules)]
            entry["repositories"] = matched
            parts.append(f"{destination} ({scope}: {_list_names(matched) if matched else 'none yet'})")
        details.append(entry)

    evidence["untrustedDestinations"] = details
    return failed(f"replicates to untrusted account(s): {'; '.join(parts)}", **evidence)


@repository_check(
    CheckMeta(
        id="REPL-03",
        title="Critical repository is replicated",
        area=Area.REPL,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "Repositories the organisation marks critical must survive the loss of their region or "
            "account, which only a replication rule that matches them provides."
        ),
        remediation=Remediation(console=CONFIGURE_CONSOLE, cli=CONFIGURE_CLI),
        controls=BACKUP_CONTROLS,
        permissions=("ecr:DescribeRegistry", "ecr:DescribeRepositories"),
        references=REFERENCES,
    )
)
def repl_03(repository: Repository, context: Context) -> Verdict:
    prefixes = list(context.settings.critical_repository_prefixes)
    if not prefixes:
        return not_applicable("critical_repository_prefixes is empty")
    # The setting lists name prefixes, matched as PREFIX_MATCH filters match.
    matched = [p for p in prefixes if repository.name.startswith(p)]
    if not matched:
        return not_applicable("repository matches no critical_repository_prefixes entry")
    rules = replication_rules(repository.registry)
    covering = [rule for rule in rules if rule.destinations and rule.replicates(repository.name)]
    evidence: dict[str, Any] = {"criticalPrefixes": matched, "ignoredDestinations": _ignored(rules)}
    if not covering:
        return failed("critical repository is covered by no replication rule", **evidence)
    destinations = sorted({str(d) for rule in covering for d in rule.destinations})
    evidence.update(rules=[rule.index for rule in covering], destinations=destinations)
    return passed(f"replicated to {', '.join(destinations)}", **evidence)


# ---------------------------------------------------------------------------
# Cross-scope checks: the destination registry comes from the same run


def _attempt(call: Callable[[], T]) -> T | Verdict:
    """Run one judgement, turning a missing or malformed input into an ERROR verdict.

    Inventory checks run outside the engine's per-resource guard, so they apply
    the same rule themselves: an input that could not be read is ERROR, never a pass.
    """
    try:
        return call()
    except InputUnavailable as missing:
        evidence: dict[str, Any] = {"input": missing.kind}
        if missing.error is not None:
            evidence.update(operation=missing.error.operation, error_code=missing.error.error_code)
        return errored(str(missing), **evidence)
    except (KeyError, TypeError, ValueError, AttributeError) as problem:
        logger.warning("replication input could not be evaluated: %r", problem)
        return errored(f"input could not be evaluated: {problem!r}")


def audited_destination(context: Context, destination: Destination) -> Registry | Verdict:
    """Return the destination registry of this run, or the verdict for one outside the scope or unreadable."""
    target = context.inventory.registry(destination.account, destination.region)
    if target is None:
        return not_applicable(NOT_AUDITED, destination=str(destination), scope="outside the audit scope")
    if target.scope.status is ScopeStatus.SKIPPED:
        return not_applicable(NOT_AUDITED, destination=str(destination),
                              scope=f"skipped: {target.scope.reason or 'region not enabled'}")
    if target.unit_error is not None:
        return errored(f"destination {destination} could not be read: {target.unit_error}",
                       destination=str(destination))
    return target


def _source_rules(context: Context) -> Iterator[tuple[Registry, list[ReplicationRule] | Verdict]]:
    """Yield each audited registry with its replication rules, or the ERROR that stands for them."""
    for registry in context.inventory.audited():
        if registry.unit_error is not None:
            yield registry, errored(f"registry could not be read: {registry.unit_error}")
            continue
        yield registry, _attempt(partial(replication_rules, registry))


def _listing_verdict(registry: Registry, kind: Kind, subject: str) -> Verdict | None:
    failure = registry.listing_error(kind)
    if failure is None:
        return None
    return errored(f"{kind.value} of {subject} could not be listed: {failure.describe()}",
                   operation=failure.operation, error_code=failure.error_code)


def _is_whole_account(principal: str) -> bool:
    return (len(principal) == 12 and principal.isdigit()) or principal.endswith(":root")


def grant_reaches_account(grant: Grant, account: str, owner: str, context: Context) -> bool:
    """Tell whether a grant of the destination's registry policy lets a whole source account in.

    AWS documents the grant to the source account's root principal (ECR User
    Guide, "Private registry policy examples"), so a grant counts when it names
    that account (its id or its root ARN), is public, or is limited to a trusted
    organisation. With trust_organization on, every audited account counts as a
    member. A grant to one role or user of the account does not count.
    """
    if grant.is_public:
        return True
    if grant.audience is Audience.ACCOUNT:
        return grant.account == account and _is_whole_account(grant.principal)
    if grant.audience is Audience.ORGANIZATION:
        return bool(context.settings.trust_organization) and is_trusted_grant(grant, owner, context)
    return False


def _replicas_to_create(
    source: Registry, target: Registry, rules: Sequence[ReplicationRule]
) -> list[str] | Verdict:
    """Return the source repositories these rules replicate that do not exist at the destination yet."""
    problem = _listing_verdict(source, Kind.REPOSITORY, "the source") or _listing_verdict(
        target, Kind.REPOSITORY, "the destination"
    )
    if problem is not None:
        return problem
    existing = {r.name for r in target.repositories()}
    replicated = [r.name for r in source.repositories() if any(rule.replicates(r.name) for rule in rules)]
    return [name for name in replicated if name not in existing]


def _judge_destination_policy(
    source: Registry, destination: Destination, rules: Sequence[ReplicationRule], context: Context
) -> Verdict:
    target = audited_destination(context, destination)
    if isinstance(target, Verdict):
        return target

    evidence: dict[str, Any] = {"destination": str(destination), "rules": [rule.index for rule in rules]}
    policy = target.get(Kind.REGISTRY_POLICY).value()
    if policy is None:
        return failed(f"destination {destination} has no registry policy, so account {source.account} "
                      "cannot replicate into it", **evidence)
    analysis = analyse_text(str(policy.get("policyText", "")), target.account)
    if isinstance(analysis, Verdict):
        return Verdict(analysis.status, f"registry policy of {destination}: {analysis.reason}", evidence)

    # NOTE: the analysis ignores Resource, so a grant limited to some repositories counts for all of them.
    grants = [g for g in analysis.grants if grant_reaches_account(g, source.account, target.account, context)]
    granted: set[str] = set()
    for grant in grants:
        granted |= grant.actions
    evidence.update(
        statements=sorted({str(g.statement) for g in grants}),
        grantedActions=sorted(granted & {REPLICATE_IMAGE, CREATE_REPOSITORY}),
        restrictions=sorted({g.restriction for g in grants if g.restriction}),
    )
    if REPLICATE_IMAGE not in granted:
        return failed(f"registry policy of {destination} does not let account {source.account} "
                      f"call {REPLICATE_IMAGE}", **evidence)

    # ReplicateImage is enough where every replica repository already exists (same
    # page: without ecr:CreateRepository the destination must create them itself).
    missing = _replicas_to_create(source, target, rules)
    if isinstance(missing, Verdict):
        return Verdict(missing.status, missing.reason, {**evidence, **missing.evidence})
    evidence["repositoriesToCreate"] = missing
    if missing and CREATE_REPOSITORY not in granted:
        return failed(f"registry policy of {destination} does not let account {source.account} call "
                      f"{CREATE_REPOSITORY}, and {_list_names(missing)} do not exist there yet", **evidence)

    actions = " and ".join(a.removeprefix("ecr:") for a in sorted(granted & {REPLICATE_IMAGE, CREATE_REPOSITORY}))
    return passed(f"registry policy of {destination} lets account {source.account} call {actions}", **evidence)


@inventory_check(
    CheckMeta(
        id="REPL-04",
        title="Cross-account destination allows replication",
        area=Area.REPL,
        severity=Severity.HIGH,
        resource_type=ResourceType.REPLICATION_DESTINATION,
        rationale=(
            "Cross-account replication works only when the destination's registry policy lets the "
            "source account call ecr:ReplicateImage (and ecr:CreateRepository for repositories that "
            "do not exist there yet); without it the copies that recovery relies on never arrive."
        ),
        remediation=Remediation(
            console=(
                "In the destination account: Amazon ECR > Private registry > Permissions > add a "
                "statement allowing arn:aws:iam::SOURCE_ACCOUNT:root ecr:ReplicateImage and "
                "ecr:CreateRepository."
            ),
            cli="aws ecr put-registry-policy --policy-text file://registry-policy.json",
        ),
        controls=BACKUP_CONTROLS,
        permissions=("ecr:DescribeRegistry", "ecr:GetRegistryPolicy", "ecr:DescribeRepositories"),
        references=(
            *REFERENCES,
            "https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions-examples.html",
        ),
    )
)
def repl_04(context: Context) -> Iterator[tuple[ResourceRef, Verdict]]:
    for registry, rules in _source_rules(context):
        if isinstance(rules, Verdict):
            yield registry_ref(registry), rules
            continue
        cross = {d: r for d, r in destinations_of(rules).items() if d.account != registry.account}
        if not cross:
            yield registry_ref(registry), not_applicable("registry replicates to no other account")
            continue
        for destination, destination_rules in cross.items():
            judge = partial(_judge_destination_policy, registry, destination, destination_rules, context)
            yield destination_ref(registry, destination), _attempt(judge)


def _prefix_text(prefix: str) -> str:
    return f"names starting with '{prefix}'" if prefix else "every repository"


def _judge_destination_templates(
    source: Registry, destination: Destination, rules: Sequence[ReplicationRule], context: Context
) -> Verdict:
    target = audited_destination(context, destination)
    if isinstance(target, Verdict):
        return target
    problem = _listing_verdict(target, Kind.CREATION_TEMPLATE, f"destination {destination}")
    if problem is not None:
        return problem
    templates = [s.value() or {} for s in target.items(Kind.CREATION_TEMPLATE)]
    if any(rule.prefixes is None for rule in rules):
        prefixes = [""]
    else:
        prefixes = sorted({p for rule in rules for p in rule.prefixes or ()})
    coverages = [template_coverage(templates, REPLICATION, prefix) for prefix in prefixes]
    evidence: dict[str, Any] = {
        "destination": str(destination),
        "rules": [rule.index for rule in rules],
        "coverage": [_coverage_evidence(c) for c in coverages],
    }
    uncovered = [c for c in coverages if not c.covered]
    if uncovered:
        parts = []
        for coverage in uncovered:
            text = _prefix_text(coverage.name_prefix)
            if coverage.partial:
                text += f" (templates {', '.join(coverage.partial)} cover only part)"
            parts.append(text)
        return failed(f"destination {destination} has no REPLICATION template for {'; '.join(parts)}, "
                      "so replicas get default settings", **evidence)
    covered = "; ".join(f"{_prefix_text(c.name_prefix)} get {coverage_text(c)}" for c in coverages)
    return passed(f"at {destination}, {covered}", **evidence)


def _coverage_evidence(coverage: TemplateCoverage) -> dict[str, Any]:
    return {
        "prefix": coverage.name_prefix,
        "templates": list(coverage.full),
        "rootTemplate": coverage.root,
        "partialTemplates": list(coverage.partial),
    }


@inventory_check(
    CheckMeta(
        id="REPL-05",
        title="Destination has a creation template for replicas",
        area=Area.REPL,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REPLICATION_DESTINATION,
        rationale=(
            "Replication copies images, not repository settings: immutability, scanning, encryption, "
            "lifecycle and repository policies are not copied, so without a REPLICATION creation "
            "template at the destination every replica repository gets account defaults."
        ),
        remediation=Remediation(
            console=(
                "In the destination registry: Amazon ECR > Private registry > Features & Settings > "
                "Repository creation templates > Create template > prefix covering the replicated "
                "repositories (or ROOT), applied for Replication."
            ),
            cli=(
                "aws ecr create-repository-creation-template --prefix PREFIX --applied-for REPLICATION "
                "--image-tag-mutability IMMUTABLE"
            ),
        ),
        controls=(nist("CM-2"), nist("CM-6"), iso("8.9")),
        permissions=("ecr:DescribeRegistry", "ecr:DescribeRepositoryCreationTemplates"),
        references=(
            *REFERENCES,
            "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html",
        ),
    )
)
def repl_05(context: Context) -> Iterator[tuple[ResourceRef, Verdict]]:
    for registry, rules in _source_rules(context):
        if isinstance(rules, Verdict):
            yield registry_ref(registry), rules
            continue
        targets = destinations_of(rules)
        if not targets:
            yield registry_ref(registry), not_applicable("registry has no replication destinations")
            continue
        for destination, destination_rules in targets.items():
            judge = partial(_judge_destination_templates, registry, destination, destination_rules, context)
            yield destination_ref(registry, destination), _attempt(judge)


# ---------------------------------------------------------------------------
# REPL-06: replicas against their sources


@dataclass
class Protection:
    """The protections of one repository. None marks an aspect that could not be read."""

    immutable: bool | None
    customer_key: bool | None
    scanned: bool | None
    problems: list[str] = field(default_factory=list)


def _customer_key(registry: Registry, payload: Mapping[str, Any]) -> tuple[bool | None, str | None]:
    encryption = payload.get("encryptionConfiguration") or {}
    kind = str(encryption.get("encryptionType", "AES256")).upper()
    if kind == "AES256":
        return False, None
    if kind not in ("KMS", "KMS_DSSE"):
        return None, f"unknown encryption type {kind}"
    key = encryption.get("kmsKey")
    if not key:
        return False, None  # the AWS-managed aws/ecr key
    snapshot = registry.get(Kind.KMS_KEY, str(key))
    if snapshot.absent:
        return None, f"KMS key {key} was not found"
    if not snapshot.present:
        cause = snapshot.error.describe() if snapshot.error else "not collected"
        return None, f"KMS key {key} could not be read: {cause}"
    manager = str((snapshot.payload.get("KeyMetadata") or {}).get("KeyManager", ""))
    return manager == "CUSTOMER", None


def protection_of(registry: Registry, repository: Mapping[str, Any], context: Context) -> Protection:
    """Read the mutability, key management and automatic scanning of one repository payload."""
    problems: list[str] = []
    mutability = judge_mutability(repository, context.settings.allow_immutability_exclusions)
    immutable = None if mutability.status is Status.ERROR else mutability.status is Status.PASS
    if immutable is None:
        problems.append(mutability.reason)
    customer_key, key_problem = _customer_key(registry, repository)
    if key_problem:
        problems.append(key_problem)
    scanned: bool | None
    try:
        configuration = scanning_configuration(registry)
    except InputUnavailable as missing:
        scanned = None
        problems.append(str(missing))
    else:
        legacy = bool((repository.get("imageScanningConfiguration") or {}).get("scanOnPush"))
        name = str(repository.get("repositoryName", ""))
        frequency = effective_scanning(configuration, name, legacy_scan_on_push=legacy).frequency
        scanned = frequency in (CONTINUOUS, ON_PUSH)
    return Protection(immutable, customer_key, scanned, problems)


_ASPECTS = (
    ("immutable", "mutable where the source is immutable"),
    ("customer_key", "encrypted with an AWS-managed key where the source uses a customer-managed key"),
    ("scanned", "not scanned automatically where the source is"),
)


@dataclass(frozen=True)
class ReplicaComparison:
    destination: Destination
    outcome: str  # "weaker", "as strong", "error", "no replica", "not audited"
    detail: str
    weaknesses: tuple[str, ...] = ()

    def evidence(self) -> dict[str, Any]:
        return {"destination": str(self.destination), "outcome": self.outcome, "detail": self.detail,
                "weaknesses": list(self.weaknesses)}


def compare_replica(
    repository: Repository, source: Protection, destination: Destination, context: Context
) -> ReplicaComparison:
    """Compare a source repository with its replica at one destination."""
    target = audited_destination(context, destination)
    if isinstance(target, Verdict):
        outcome = "not audited" if target.status is Status.NOT_APPLICABLE else "error"
        return ReplicaComparison(destination, outcome, target.reason)
    problem = _listing_verdict(target, Kind.REPOSITORY, f"destination {destination}")
    if problem is not None:
        return ReplicaComparison(destination, "error", problem.reason)
    replicas = {r.name: r for r in target.repositories()}
    replica = replicas.get(repository.name)
    if replica is None:
        return ReplicaComparison(destination, "no replica", f"no repository {repository.name} at {destination} yet")
    protection = protection_of(target, replica.payload, context)
    weaknesses = []
    unknown = []
    for aspect, text in _ASPECTS:
        at_source, at_replica = getattr(source, aspect), getattr(protection, aspect)
        if at_source is True and at_replica is False:
            weaknesses.append(text)
        elif (at_source is True and at_replica is None) or (at_source is None and at_replica is False):
            unknown.append(aspect)
    if weaknesses:
        return ReplicaComparison(destination, "weaker", "; ".join(weaknesses), tuple(weaknesses))
    if unknown:
        problems = "; ".join(source.problems + protection.problems) or "input missing"
        return ReplicaComparison(destination, "error", f"cannot compare {', '.join(unknown)}: {problems}")
    return ReplicaComparison(destination, "as strong", "replica is as protected as the source")


def _judge_replicas(repository: Repository, rules: Sequence[ReplicationRule], context: Context) -> Verdict:
    destinations = sorted({d for rule in rules if rule.replicates(repository.name) for d in rule.destinations})
    if not destinations:
        return not_applicable("repository is not replicated")
    source = protection_of(repository.registry, repository.payload, context)
    comparisons = [compare_replica(repository, source, d, context) for d in destinations]
    evidence: dict[str, Any] = {
        "source": {"immutable": source.immutable, "customerManagedKey": source.customer_key,
                   "scanned": source.scanned},
        "replicas": [c.evidence() for c in comparisons],
    }
    by_outcome: dict[str, list[ReplicaComparison]] = {}
    for comparison in comparisons:
        by_outcome.setdefault(comparison.outcome, []).append(comparison)
    if "weaker" in by_outcome:
        text = "; ".join(f"replica at {c.destination} is {c.detail}" for c in by_outcome["weaker"])
        return failed(text, **evidence)
    if "error" in by_outcome:
        first = by_outcome["error"][0]
        return errored(f"replica at {first.destination} could not be compared: {first.detail}", **evidence)
    if "as strong" in by_outcome:
        strong = ", ".join(str(c.destination) for c in by_outcome["as strong"])
        return passed(f"replicas at {strong} are as protected as the source", **evidence)
    if "no replica" not in by_outcome:
        return not_applicable(NOT_AUDITED, **evidence)
    waiting = ", ".join(str(c.destination) for c in by_outcome["no replica"])
    return not_applicable(f"no replica exists yet at {waiting}", **evidence)


@inventory_check(
    CheckMeta(
        id="REPL-06",
        title="Replicas are as protected as their source",
        area=Area.REPL,
        severity=Severity.MEDIUM,
        resource_type=ResourceType.REPOSITORY,
        rationale=(
            "A replica that is mutable, encrypted with an AWS-managed key or not scanned where its "
            "source is not undoes the source's protection for everyone who pulls from the destination."
        ),
        remediation=Remediation(
            console=(
                "In the destination registry: set the replica's tag immutability, add it to a scanning "
                "rule, and recreate it with a customer-managed key (encryption is fixed at creation); add "
                "a REPLICATION creation template so new replicas start protected."
            ),
            cli="aws ecr put-image-tag-mutability --repository-name NAME --image-tag-mutability IMMUTABLE",
        ),
        controls=(nist("CM-6"), nist("SC-28"), nist("RA-5"), iso("8.9")),
        permissions=(
            "ecr:DescribeRegistry",
            "ecr:DescribeRepositories",
            "ecr:GetRegistryScanningConfiguration",
            "kms:DescribeKey",
        ),
        references=REFERENCES,
    )
)
def repl_06(context: Context) -> Iterator[tuple[ResourceRef, Verdict]]:
    for registry, rules in _source_rules(context):
        if isinstance(rules, Verdict):
            yield registry_ref(registry), rules
            continue
        if not destinations_of(rules):
            yield registry_ref(registry), not_applicable("registry has no replication destinations")
            continue
        problem = _listing_verdict(registry, Kind.REPOSITORY, "the source")
        if problem is not None:
            yield repository_ref(registry, "*"), problem
            continue
        repositories = registry.repositories()
        if not repositories:
            yield registry_ref(registry), not_applicable("registry has no repositories")
            continue
        for repository in repositories:
            judge = partial(_judge_replicas, repository, rules, context)
            yield repository_ref(registry, repository.name), _attempt(judge)


CHECKS = (repl_01, repl_02, repl_03, repl_04, repl_05, repl_06)
