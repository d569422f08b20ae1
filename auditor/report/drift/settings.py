"""Comparators of one registry's settings between two runs, one per audited feature."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from auditor.inventory import Kind, Registry, Snapshot
from auditor.report.drift.coverage import EVERYTHING, FilterLanguage, classify, describe
from auditor.report.drift.model import ChangeKind, DriftChange, Feature, NotCompared
from auditor.report.drift.policy import compare_policies

# Tag mutability from the most to the least strict. The *_WITH_EXCLUSION settings make
# the listed tags the exception: mutable under IMMUTABLE_WITH_EXCLUSION, immutable under
# MUTABLE_WITH_EXCLUSION.
MUTABILITY_STRICTNESS = {
    "IMMUTABLE": 3,
    "IMMUTABLE_WITH_EXCLUSION": 2,
    "MUTABLE_WITH_EXCLUSION": 1,
    "MUTABLE": 0,
}
# Enhanced scanning (Amazon Inspector) covers OS and language packages continuously;
# basic scanning covers fewer packages.
SCAN_TYPE_STRICTNESS = {"ENHANCED": 1, "BASIC": 0}
# KMS encryption (aws/ecr or a customer key) can be audited and revoked through KMS;
# AES256 uses keys that ECR manages.
ENCRYPTION_STRICTNESS = {"KMS": 1, "KMS_DSSE": 1, "AES256": 0}
# Fields that change whenever AWS rewrites a resource, not when a setting changes.
VOLATILE_FIELDS = frozenset({"createdAt", "updatedAt", "registryId"})


class RegistryDiff:
    """Collects the changes between two snapshots of one registry."""

    def __init__(self, before: Registry, after: Registry) -> None:
        self.before = before
        self.after = after
        self.changes: list[DriftChange] = []
        self.not_compared: list[NotCompared] = []

    def emit(self, feature: Feature, subject: str, kind: ChangeKind, before: str = "", after: str = "") -> None:
        self.changes.append(DriftChange(self.after.account, self.after.region, feature, subject, kind, before, after))

    def skip(self, feature: Feature, reason: str) -> None:
        self.not_compared.append(NotCompared(self.after.account, self.after.region, feature, reason))

    def run(self) -> None:
        self.registry_policy()
        self.account_settings()
        self.replication()
        self.scanning()
        self.signing()
        self.pull_through_cache()
        self.creation_templates()
        self.repositories()

    # -- helpers ----------------------------------------------------------------

    def _pair(self, feature: Feature, kind: Kind, name: str) -> tuple[Snapshot, Snapshot] | None:
        old, new = self.before.get(kind, name), self.after.get(kind, name)
        if not _known(old) and not _known(new) and old.error is None and new.error is None:
            # Collected by neither run (a feature that this version's collectors skip): nothing to compare.
            return None
        for label, snapshot in (("previous", old), ("this", new)):
            if not (snapshot.present or snapshot.absent):
                cause = snapshot.error.describe() if snapshot.error else "not collected"
                self.skip(feature, f"{name}: unreadable in the {label} run ({cause})")
                return None
        return old, new

    def _listings(self, feature: Feature, kind: Kind) -> tuple[dict[str, Snapshot], dict[str, Snapshot]] | None:
        for label, registry in (("previous", self.before), ("this", self.after)):
            error = registry.listing_error(kind)
            if error is not None:
                self.skip(feature, f"listing unreadable in the {label} run ({error.describe()})")
                return None
        old = {s.name: s for s in self.before.items(kind)}
        new = {s.name: s for s in self.after.items(kind)}
        return old, new

    def _keyed(
        self,
        feature: Feature,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        render: Any = None,
    ) -> list[str]:
        """Emit ADDED and REMOVED for keys on one side only; return the keys on both sides."""
        show = render or _compact
        for key in sorted(new.keys() - old.keys()):
            self.emit(feature, key, ChangeKind.ADDED, "", show(new[key]))
        for key in sorted(old.keys() - new.keys()):
            self.emit(feature, key, ChangeKind.REMOVED, show(old[key]), "")
        return sorted(old.keys() & new.keys())

    def _ranked(self, feature: Feature, subject: str, ranks: Mapping[str, int], old: Any, new: Any) -> None:
        if old == new:
            return
        old_rank, new_rank = ranks.get(str(old)), ranks.get(str(new))
        if old_rank is None or new_rank is None or old_rank == new_rank:
            kind = ChangeKind.CHANGED
        else:
            kind = ChangeKind.RELAXED if new_rank < old_rank else ChangeKind.TIGHTENED
        self.emit(feature, subject, kind, _text(old), _text(new))

    def _filters(
        self, feature: Feature, subject: str, language: FilterLanguage, old: list[str], new: list[str]
    ) -> None:
        kind = classify(language, old or [EVERYTHING[language]], new or [EVERYTHING[language]])
        if kind is not None:
            self.emit(feature, subject, kind, describe(language, old), describe(language, new))

    def _fields(self, feature: Feature, subject: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        for key in sorted((old.keys() | new.keys()) - VOLATILE_FIELDS):
            if old.get(key) != new.get(key):
                kind = ChangeKind.CHANGED
                if key not in old:
                    kind = ChangeKind.ADDED
                elif key not in new:
                    kind = ChangeKind.REMOVED
                self.emit(feature, f"{subject} {key}", kind, _text(old.get(key)), _text(new.get(key)))

    # -- features ---------------------------------------------------------------

    def registry_policy(self) -> None:
        pair = self._pair(Feature.REGISTRY_POLICY, Kind.REGISTRY_POLICY, "registry")
        if pair is None:
            return
        old, new = (_policy_text(s) for s in pair)
        compare_policies(old, new, lambda subject, kind, b, a: self.emit(Feature.REGISTRY_POLICY, subject, kind, b, a))

    def account_settings(self) -> None:
        old = {s.name: s for s in self.before.items(Kind.ACCOUNT_SETTING)}
        new = {s.name: s for s in self.after.items(Kind.ACCOUNT_SETTING)}
        for name in sorted(old.keys() | new.keys()):
            pair = self._pair(Feature.ACCOUNT_SETTING, Kind.ACCOUNT_SETTING, name)
            if pair is None:
                continue
            before, after = ((s.payload or {}).get("value") if s.present else None for s in pair)
            if before != after:
                self.emit(Feature.ACCOUNT_SETTING, name, ChangeKind.CHANGED, _text(before), _text(after))

    def replication(self) -> None:
        pair = self._pair(Feature.REPLICATION, Kind.REPLICATION_CONFIGURATION, "registry")
        if pair is None:
            return
        old, new = (_replication_destinations(s) for s in pair)
        for key in self._keyed(
            Feature.REPLICATION, old, new, lambda f: f"filters: {describe(FilterLanguage.PREFIX, f)}"
        ):
            self._filters(Feature.REPLICATION, f"{key} filters", FilterLanguage.PREFIX, old[key], new[key])

    def scanning(self) -> None:
        pair = self._pair(Feature.SCANNING, Kind.REGISTRY_SCANNING_CONFIGURATION, "registry")
        if pair is None:
            return
        old_config, new_config = (((s.payload or {}).get("scanningConfiguration") or {}) for s in pair)
        self._ranked(
            Feature.SCANNING, "scan type", SCAN_TYPE_STRICTNESS, old_config.get("scanType"), new_config.get("scanType")
        )
        old, new = _scanning_rules(old_config), _scanning_rules(new_config)
        for frequency in sorted(new.keys() - old.keys()):
            self.emit(
                Feature.SCANNING,
                f"{frequency} rule",
                ChangeKind.ADDED,
                "",
                describe(FilterLanguage.WILDCARD, new[frequency]),
            )
        for frequency in sorted(old.keys() - new.keys()):
            self.emit(
                Feature.SCANNING,
                f"{frequency} rule",
                ChangeKind.REMOVED,
                describe(FilterLanguage.WILDCARD, old[frequency]),
                "",
            )
        for frequency in sorted(old.keys() & new.keys()):
            self._filters(
                Feature.SCANNING, f"{frequency} filters", FilterLanguage.WILDCARD, old[frequency], new[frequency]
            )

    def signing(self) -> None:
        pair = self._pair(Feature.SIGNING, Kind.SIGNING_CONFIGURATION, "registry")
        if pair is None:
            return
        old, new = (_signing_rules(s) for s in pair)
        keys = self._keyed(Feature.SIGNING, old, new, lambda f: f"filters: {describe(FilterLanguage.WILDCARD, f)}")
        for profile in keys:
            self._filters(Feature.SIGNING, f"{profile} filters", FilterLanguage.WILDCARD, old[profile], new[profile])

    def pull_through_cache(self) -> None:
        listings = self._listings(Feature.PULL_THROUGH_CACHE, Kind.PULL_THROUGH_CACHE_RULE)
        if listings is None:
            return
        old = {name: s.payload or {} for name, s in listings[0].items() if s.present}
        new = {name: s.payload or {} for name, s in listings[1].items() if s.present}
        for prefix in self._keyed(Feature.PULL_THROUGH_CACHE, old, new, _rule_summary):
            self._fields(Feature.PULL_THROUGH_CACHE, prefix, old[prefix], new[prefix])

    def creation_templates(self) -> None:
        listings = self._listings(Feature.CREATION_TEMPLATE, Kind.CREATION_TEMPLATE)
        if listings is None:
            return
        old = {name: s.payload or {} for name, s in listings[0].items() if s.present}
        new = {name: s.payload or {} for name, s in listings[1].items() if s.present}
        for prefix in self._keyed(Feature.CREATION_TEMPLATE, old, new, _template_summary):
            self._template(prefix, old[prefix], new[prefix])

    def _template(self, prefix: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        feature = Feature.CREATION_TEMPLATE
        self._ranked(
            feature,
            f"{prefix} tag mutability",
            MUTABILITY_STRICTNESS,
            old.get("imageTagMutability"),
            new.get("imageTagMutability"),
        )
        self._encryption(feature, prefix, old.get("encryptionConfiguration"), new.get("encryptionConfiguration"))
        compare_policies(
            old.get("repositoryPolicy"),
            new.get("repositoryPolicy"),
            lambda subject, kind, b, a: self.emit(feature, subject, kind, b, a),
            subject=f"{prefix} repository policy",
        )
        handled = {"imageTagMutability", "encryptionConfiguration", "repositoryPolicy"}
        rest_old = {k: v for k, v in old.items() if k not in handled}
        rest_new = {k: v for k, v in new.items() if k not in handled}
        self._fields(feature, prefix, rest_old, rest_new)

    def _encryption(self, feature: Feature, subject: str, old: Any, new: Any) -> None:
        old_type = (old or {}).get("encryptionType")
        new_type = (new or {}).get("encryptionType")
        if old_type != new_type:
            self._ranked(feature, f"{subject} encryption", ENCRYPTION_STRICTNESS, old_type, new_type)
        elif (old or {}).get("kmsKey") != (new or {}).get("kmsKey"):
            self.emit(
                feature,
                f"{subject} KMS key",
                ChangeKind.CHANGED,
                _text((old or {}).get("kmsKey")),
                _text((new or {}).get("kmsKey")),
            )

    def repositories(self) -> None:
        listings = self._listings(Feature.REPOSITORY, Kind.REPOSITORY)
        if listings is None:
            return
        old = {name: s.payload or {} for name, s in listings[0].items() if s.present}
        new = {name: s.payload or {} for name, s in listings[1].items() if s.present}
        for name in self._keyed(Feature.REPOSITORY, old, new, _repository_summary):
            before, after = old[name], new[name]
            self._ranked(
                Feature.REPOSITORY,
                f"{name} tag mutability",
                MUTABILITY_STRICTNESS,
                before.get("imageTagMutability"),
                after.get("imageTagMutability"),
            )
            old_scan = (before.get("imageScanningConfiguration") or {}).get("scanOnPush")
            new_scan = (after.get("imageScanningConfiguration") or {}).get("scanOnPush")
            self._ranked(Feature.REPOSITORY, f"{name} scan on push", {"True": 1, "False": 0}, old_scan, new_scan)
            self._encryption(
                Feature.REPOSITORY, name, before.get("encryptionConfiguration"), after.get("encryptionConfiguration")
            )
            self._repository_policy(name)
            self._repository_tags(name)

    def _repository_tags(self, name: str) -> None:
        old, new = self.before.get(Kind.REPOSITORY_TAGS, name), self.after.get(Kind.REPOSITORY_TAGS, name)
        if not old.present or not new.present:
            return
        before, after = _tags(old.payload), _tags(new.payload)
        for key in sorted(before.keys() | after.keys()):
            if before.get(key) != after.get(key):
                kind = ChangeKind.CHANGED
                if key not in before:
                    kind = ChangeKind.ADDED
                elif key not in after:
                    kind = ChangeKind.REMOVED
                self.emit(Feature.REPOSITORY, f"{name} tag {key}", kind, before.get(key, ""), after.get(key, ""))

    def _repository_policy(self, name: str) -> None:
        old, new = self.before.get(Kind.REPOSITORY_POLICY, name), self.after.get(Kind.REPOSITORY_POLICY, name)
        if not (old.present or old.absent) or not (new.present or new.absent):
            # Unreadable policies of single repositories are ERROR results already; one
            # line per repository here would only repeat them.
            return
        compare_policies(
            _policy_text(old),
            _policy_text(new),
            lambda subject, kind, b, a: self.emit(Feature.REPOSITORY, subject, kind, b, a),
            subject=f"{name} policy",
        )


def _known(snapshot: Snapshot) -> bool:
    return snapshot.present or snapshot.absent


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return _compact(value)


def _policy_text(snapshot: Snapshot) -> str | None:
    if not snapshot.present:
        return None
    text = (snapshot.payload or {}).get("policyText")
    return str(text) if text is not None else None


def _tags(payload: Any) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value", "")) for t in (payload or {}).get("tags") or []}


def _replication_destinations(snapshot: Snapshot) -> dict[str, list[str]]:
    """Map each destination ("account/region") to the prefixes replicated to it.

    A destination that several rules name gets the union of their filters; a rule
    without filters replicates every repository.
    """
    rules = (
        (((snapshot.payload or {}).get("replicationConfiguration") or {}).get("rules") or [])
        if snapshot.present
        else []
    )
    found: dict[str, list[str]] = {}
    for rule in rules:
        filters = [str(f.get("filter", "")) for f in rule.get("repositoryFilters") or []] or [
            EVERYTHING[FilterLanguage.PREFIX]
        ]
        for destination in rule.get("destinations") or []:
            key = f"destination {destination.get('registryId')}/{destination.get('region')}"
            found.setdefault(key, []).extend(filters)
    return found


def _scanning_rules(config: Mapping[str, Any]) -> dict[str, list[str]]:
    rules: dict[str, list[str]] = {}
    for rule in config.get("rules") or []:
        filters = [str(f.get("filter", "")) for f in rule.get("repositoryFilters") or []]
        rules.setdefault(str(rule.get("scanFrequency")), []).extend(filters)
    return rules


def _signing_rules(snapshot: Snapshot) -> dict[str, list[str]]:
    rules = (
        (((snapshot.payload or {}).get("signingConfiguration") or {}).get("rules") or []) if snapshot.present else []
    )
    found: dict[str, list[str]] = {}
    for rule in rules:
        filters = [str(f.get("filter", "")) for f in rule.get("repositoryFilters") or []] or [
            EVERYTHING[FilterLanguage.WILDCARD]
        ]
        found.setdefault(f"rule {rule.get('signingProfileArn')}", []).extend(filters)
    return found


def _rule_summary(rule: Mapping[str, Any]) -> str:
    parts = [str(rule.get("upstreamRegistryUrl", ""))]
    if rule.get("credentialArn"):
        parts.append(f"credential {rule['credentialArn']}")
    if rule.get("customRoleArn"):
        parts.append(f"role {rule['customRoleArn']}")
    return ", ".join(parts)


def _template_summary(template: Mapping[str, Any]) -> str:
    applied = ", ".join(template.get("appliedFor") or []) or "nothing"
    encryption = (template.get("encryptionConfiguration") or {}).get("encryptionType", "?")
    return f"for {applied}; {template.get('imageTagMutability', '?')}; {encryption}"


def _repository_summary(repository: Mapping[str, Any]) -> str:
    encryption = (repository.get("encryptionConfiguration") or {}).get("encryptionType", "?")
    return f"{repository.get('imageTagMutability', '?')}; {encryption}"
