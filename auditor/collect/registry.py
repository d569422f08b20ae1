"""Registry-wide settings: permissions, account settings, replication, scanning,
signing, pull through cache rules and repository creation templates."""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError

from auditor.collect.base import UnitCollector, all_pages, normalise
from auditor.inventory import REGISTRY, Kind

logger = logging.getLogger(__name__)

# Account settings that change what the checks conclude. REGISTRY_POLICY_SCOPE decides
# which actions a registry policy governs (V1: three actions; V2: every ECR action).
ACCOUNT_SETTINGS = ("REGISTRY_POLICY_SCOPE", "BASIC_SCAN_TYPE_VERSION", "BLOB_MOUNTING")


def collect_registry(unit: UnitCollector) -> None:
    ecr = unit.clients.ecr
    unit.fetch(
        Kind.REGISTRY_POLICY,
        REGISTRY,
        "GetRegistryPolicy",
        ecr.get_registry_policy,
        absent=("RegistryPolicyNotFoundException",),
    )
    for name in ACCOUNT_SETTINGS:
        unit.fetch(
            Kind.ACCOUNT_SETTING,
            name,
            "GetAccountSetting",
            lambda n=name: ecr.get_account_setting(name=n),  # type: ignore[misc]
        )
    unit.fetch(Kind.REPLICATION_CONFIGURATION, REGISTRY, "DescribeRegistry", ecr.describe_registry)
    unit.fetch(
        Kind.REGISTRY_SCANNING_CONFIGURATION,
        REGISTRY,
        "GetRegistryScanningConfiguration",
        ecr.get_registry_scanning_configuration,
    )
    unit.fetch(
        Kind.SIGNING_CONFIGURATION,
        REGISTRY,
        "GetSigningConfiguration",
        ecr.get_signing_configuration,
        absent=("SigningConfigurationNotFoundException",),
    )
    collect_pull_through_cache_rules(unit)
    collect_creation_templates(unit)


def collect_pull_through_cache_rules(unit: UnitCollector) -> None:
    try:
        answer = all_pages(
            unit.clients.ecr.describe_pull_through_cache_rules,
            ("pullThroughCacheRules",),
            maxResults=1000,
        )
    except (ClientError, BotoCoreError) as exc:
        unit.listing_failed(Kind.PULL_THROUGH_CACHE_RULE, "DescribePullThroughCacheRules", exc)
        return
    for rule in answer["pullThroughCacheRules"]:
        prefix = rule["ecrRepositoryPrefix"]
        unit.present(Kind.PULL_THROUGH_CACHE_RULE, prefix, normalise(rule))
        if unit.options.validate_pull_through_cache and rule.get("credentialArn"):
            validate_pull_through_cache_rule(unit, prefix)


def validate_pull_through_cache_rule(unit: UnitCollector, prefix: str) -> None:
    unit.fetch(
        Kind.PULL_THROUGH_CACHE_VALIDATION,
        prefix,
        "ValidatePullThroughCacheRule",
        lambda: unit.clients.ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix=prefix),
    )


def collect_creation_templates(unit: UnitCollector) -> None:
    try:
        answer = all_pages(
            unit.clients.ecr.describe_repository_creation_templates,
            ("repositoryCreationTemplates",),
            maxResults=1000,
        )
    except (ClientError, BotoCoreError) as exc:
        unit.listing_failed(Kind.CREATION_TEMPLATE, "DescribeRepositoryCreationTemplates", exc)
        return
    for template in answer["repositoryCreationTemplates"]:
        unit.present(Kind.CREATION_TEMPLATE, template["prefix"], normalise(template))
