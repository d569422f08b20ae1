"""Registry-level ECR operations served by the layer.

Registry policy, replication, pull through cache rules, repository creation
templates, account settings, signing configuration and registry scanning
configuration. moto 5.2.5 implements none of these, or implements them with
limits that AWS does not have (one replication rule, two registry policy
actions).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from auditor.emulator.context import (
    Handler,
    RequestContext,
    check_list,
    check_registry_id,
    check_string,
    optional_string,
    required_string,
)
from auditor.emulator.policy_text import (
    validate_lifecycle_policy,
    validate_registry_policy,
    validate_repository_policy,
)
from auditor.emulator.state import (
    PullThroughCacheRule,
    RepositoryCreationTemplate,
    utc_now,
)
from auditor.emulator.wire import EcrError, invalid_parameter, paginate, validation_error

# ---------------------------------------------------------------------------
# Registry policy


def put_registry_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    text = check_string("RegistryPolicyText", required_string(params, "policyText"), "policyText")
    validate_registry_policy(text)
    ctx.state.set_registry_policy_text(ctx.account, ctx.region, text)
    return {"registryId": ctx.account, "policyText": text}


def _registry_policy_not_found(account: str) -> EcrError:
    return EcrError(
        "RegistryPolicyNotFoundException",
        f"Registry policy does not exist in the registry with id '{account}'",
    )


def get_registry_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    text = ctx.state.registry(ctx.account, ctx.region).registry_policy
    if text is None:
        raise _registry_policy_not_found(ctx.account)
    return {"registryId": ctx.account, "policyText": text}


def delete_registry_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.state.lock:
        registry = ctx.state.registry(ctx.account, ctx.region)
        text = registry.registry_policy
        if text is None:
            raise _registry_policy_not_found(ctx.account)
        registry.registry_policy = None
    return {"registryId": ctx.account, "policyText": text}


# ---------------------------------------------------------------------------
# Replication


def _validated_replication_rule(ctx: RequestContext, index: int, rule: Any) -> dict[str, Any]:
    field = f"replicationConfiguration.rules.{index}"
    if not isinstance(rule, dict):
        raise validation_error(field, rule, "Member must be an object")
    destinations = check_list("ReplicationDestinationList", rule.get("destinations"), f"{field}.destinations")
    for destination in destinations:
        region = check_string("Region", destination.get("region"), f"{field}.destinations.region")
        registry_id = check_string("RegistryId", destination.get("registryId"), f"{field}.destinations.registryId")
        if region == ctx.region and registry_id == ctx.account:
            raise invalid_parameter(
                "replicationConfiguration",
                "Replication destination cannot be the same as the source registry",
            )
    if "repositoryFilters" in rule:
        filters = check_list("RepositoryFilterList", rule["repositoryFilters"], f"{field}.repositoryFilters")
        for repository_filter in filters:
            check_string(
                "RepositoryFilterType",
                repository_filter.get("filterType"),
                f"{field}.repositoryFilters.filterType",
            )
            check_string(
                "RepositoryFilterValue",
                repository_filter.get("filter"),
                f"{field}.repositoryFilters.filter",
            )
    return copy.deepcopy(rule)


def put_replication_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    configuration = params.get("replicationConfiguration")
    if not isinstance(configuration, dict):
        raise validation_error("replicationConfiguration", configuration, "Member must not be null")
    rules = check_list("ReplicationRuleList", configuration.get("rules"), "replicationConfiguration.rules")
    validated = [_validated_replication_rule(ctx, i, rule) for i, rule in enumerate(rules)]
    with ctx.state.lock:
        ctx.state.registry(ctx.account, ctx.region).replication_rules = validated
    return {"replicationConfiguration": {"rules": copy.deepcopy(validated)}}


def describe_registry(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.state.lock:
        rules = copy.deepcopy(ctx.state.registry(ctx.account, ctx.region).replication_rules)
    return {"registryId": ctx.account, "replicationConfiguration": {"rules": rules}}


# ---------------------------------------------------------------------------
# Pull through cache rules

# Upstream registry URLs as the ECR service model documents them for
# CreatePullThroughCacheRule's upstreamRegistryUrl. That list has no URL for
# chainguard, so cgr.dev is assumed.
_UPSTREAM_URLS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ecr", re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")),
    ("ecr-public", re.compile(r"^public\.ecr\.aws$")),
    ("docker-hub", re.compile(r"^registry-1\.docker\.io$")),
    ("github-container-registry", re.compile(r"^ghcr\.io$")),
    ("gitlab-container-registry", re.compile(r"^registry\.gitlab\.com$")),
    ("k8s", re.compile(r"^registry\.k8s\.io$")),
    ("quay", re.compile(r"^quay\.io$")),
    ("azure-container-registry", re.compile(r"^[a-z0-9]+\.azurecr\.io$")),
    ("chainguard", re.compile(r"^cgr\.dev$")),
)
# Upstreams that ECR accepts only with a Secrets Manager credential.
AUTHENTICATED_UPSTREAMS = frozenset(
    {
        "docker-hub",
        "github-container-registry",
        "gitlab-container-registry",
        "azure-container-registry",
        "chainguard",
    }
)
# NOTE: 50 rules per registry is an assumed quota, not checked against the ECR
# service quotas page; raise it if a test needs more.
MAX_PULL_THROUGH_CACHE_RULES = 50


def upstream_for_url(url: str) -> str | None:
    """Return the upstreamRegistry value that an upstream registry URL belongs to."""
    for upstream, pattern in _UPSTREAM_URLS:
        if pattern.match(url):
            return upstream
    return None


def _rule_fields(rule: PullThroughCacheRule, account: str) -> dict[str, Any]:
    return {
        "ecrRepositoryPrefix": rule.ecr_repository_prefix,
        "upstreamRegistryUrl": rule.upstream_registry_url,
        "createdAt": rule.created_at,
        "registryId": account,
        "credentialArn": rule.credential_arn,
        "customRoleArn": rule.custom_role_arn,
        "upstreamRepositoryPrefix": rule.upstream_repository_prefix,
    }


def _rule_not_found(prefix: str, account: str) -> EcrError:
    return EcrError(
        "PullThroughCacheRuleNotFoundException",
        f"The pull through cache rule with prefix '{prefix}' does not exist in the registry with id '{account}'",
    )


def create_pull_through_cache_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    check_registry_id(ctx, params)
    prefix = check_string(
        "PullThroughCacheRuleRepositoryPrefix",
        required_string(params, "ecrRepositoryPrefix"),
        "ecrRepositoryPrefix",
    )
    url = required_string(params, "upstreamRegistryUrl")
    inferred = upstream_for_url(url)
    upstream = optional_string(params, "upstreamRegistry")
    if upstream is not None:
        check_string("UpstreamRegistry", upstream, "upstreamRegistry")
        if inferred != upstream:
            raise invalid_parameter("upstreamRegistryUrl", f"'{url}' is not a registry URL of upstream '{upstream}'")
    elif inferred is None:
        raise EcrError(
            "UnsupportedUpstreamRegistryException",
            f"The upstream registry URL '{url}' is not supported",
        )
    else:
        upstream = inferred

    credential_arn = optional_string(params, "credentialArn")
    if credential_arn is not None:
        check_string("CredentialArn", credential_arn, "credentialArn")
    elif upstream in AUTHENTICATED_UPSTREAMS:
        raise invalid_parameter("credentialArn", f"A credential ARN is required for upstream registry '{upstream}'")
    custom_role_arn = optional_string(params, "customRoleArn")
    if custom_role_arn is not None:
        check_string("CustomRoleArn", custom_role_arn, "customRoleArn")
    upstream_prefix = optional_string(params, "upstreamRepositoryPrefix")
    if upstream_prefix is not None:
        check_string("PullThroughCacheRuleRepositoryPrefix", upstream_prefix, "upstreamRepositoryPrefix")

    now = utc_now()
    rule = PullThroughCacheRule(
        ecr_repository_prefix=prefix,
        upstream_registry_url=url,
        upstream_registry=upstream,
        created_at=now,
        updated_at=now,
        credential_arn=credential_arn,
        custom_role_arn=custom_role_arn,
        # ECR uses ROOT when no upstream prefix is given (ECR service model).
        upstream_repository_prefix=upstream_prefix or "ROOT",
    )
    with ctx.state.lock:
        rules = ctx.state.registry(ctx.account, ctx.region).pull_through_cache_rules
        if prefix in rules:
            raise EcrError(
                "PullThroughCacheRuleAlreadyExistsException",
                f"A pull through cache rule with prefix '{prefix}' already exists in the "
                f"registry with id '{ctx.account}'",
            )
        if len(rules) >= MAX_PULL_THROUGH_CACHE_RULES:
            raise EcrError(
                "LimitExceededException",
                f"The registry already has {MAX_PULL_THROUGH_CACHE_RULES} pull through cache rules, the maximum",
            )
        rules[prefix] = rule
    return {**_rule_fields(rule, ctx.account), "upstreamRegistry": upstream}


def describe_pull_through_cache_rules(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    check_registry_id(ctx, params)
    with ctx.state.lock:
        rules = list(ctx.state.registry(ctx.account, ctx.region).pull_through_cache_rules.values())
    prefixes = params.get("ecrRepositoryPrefixes")
    if prefixes is not None:
        known = {rule.ecr_repository_prefix for rule in rules}
        for prefix in prefixes:
            if prefix not in known:
                raise _rule_not_found(prefix, ctx.account)
        rules = [rule for rule in rules if rule.ecr_repository_prefix in prefixes]
    page, next_token = paginate(ctx.operation, rules, params)
    return {
        "pullThroughCacheRules": [
            {
                **_rule_fields(rule, ctx.account),
                "upstreamRegistry": rule.upstream_registry,
                "updatedAt": rule.updated_at,
            }
            for rule in page
        ],
        "nextToken": next_token,
    }


def delete_pull_through_cache_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    check_registry_id(ctx, params)
    prefix = required_string(params, "ecrRepositoryPrefix")
    with ctx.state.lock:
        rules = ctx.state.registry(ctx.account, ctx.region).pull_through_cache_rules
        rule = rules.pop(prefix, None)
    if rule is None:
        raise _rule_not_found(prefix, ctx.account)
    return _rule_fields(rule, ctx.account)


def validate_pull_through_cache_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    check_registry_id(ctx, params)
    prefix = required_string(params, "ecrRepositoryPrefix")
    with ctx.state.lock:
        rule = ctx.state.registry(ctx.account, ctx.region).pull_through_cache_rules.get(prefix)
    if rule is None:
        raise _rule_not_found(prefix, ctx.account)
    response = _rule_fields(rule, ctx.account)
    del response["createdAt"]
    response["isValid"] = rule.is_valid
    response["failure"] = None if rule.is_valid else (rule.validation_failure or "")
    return response


# ---------------------------------------------------------------------------
# Repository creation templates


def template_fields(template: RepositoryCreationTemplate) -> dict[str, Any]:
    return {
        "prefix": template.prefix,
        "description": template.description,
        "encryptionConfiguration": dict(template.encryption_configuration),
        "resourceTags": [dict(tag) for tag in template.resource_tags],
        "imageTagMutability": template.image_tag_mutability,
        "imageTagMutabilityExclusionFilters": (
            None
            if template.image_tag_mutability_exclusion_filters is None
            else [dict(f) for f in template.image_tag_mutability_exclusion_filters]
        ),
        "repositoryPolicy": template.repository_policy,
        "lifecyclePolicy": template.lifecycle_policy,
        "appliedFor": list(template.applied_for),
        "customRoleArn": template.custom_role_arn,
        "createdAt": template.created_at,
        "updatedAt": template.updated_at,
    }


def check_mutability(mutability: str, exclusion_filters: Any, field_prefix: str) -> None:
    """Check that exclusion filters come exactly with the *_WITH_EXCLUSION mutabilities."""
    check_string("ImageTagMutability", mutability, f"{field_prefix}imageTagMutability")
    with_exclusion = mutability.endswith("_WITH_EXCLUSION")
    field = f"{field_prefix}imageTagMutabilityExclusionFilters"
    if exclusion_filters is None:
        if with_exclusion:
            raise invalid_parameter(
                field,
                f"ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as {mutability}",
            )
        return
    if not with_exclusion:
        raise invalid_parameter(
            field, f"ImageTagMutabilityExclusionFilters must be null when imageTagMutability is set as {mutability}"
        )
    for exclusion in check_list("ImageTagMutabilityExclusionFilters", exclusion_filters, field):
        check_string("ImageTagMutabilityExclusionFilterType", exclusion.get("filterType"), field)
        check_string("ImageTagMutabilityExclusionFilterValue", exclusion.get("filter"), field)


def _template_encryption(params: dict[str, Any]) -> dict[str, str]:
    encryption = params.get("encryptionConfiguration")
    if encryption is None:
        return {"encryptionType": "AES256"}
    encryption_type = check_string(
        "EncryptionType", encryption.get("encryptionType"), "encryptionConfiguration.encryptionType"
    )
    kms_key = encryption.get("kmsKey")
    if kms_key:
        check_string("KmsKeyForRepositoryCreationTemplate", kms_key, "encryptionConfiguration.kmsKey")
        if encryption_type == "AES256":
            raise invalid_parameter("encryptionConfiguration", "kmsKey can be given only with encryption type KMS")
        return {"encryptionType": encryption_type, "kmsKey": kms_key}
    return {"encryptionType": encryption_type}


def create_repository_creation_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    prefix = check_string("Prefix", required_string(params, "prefix"), "prefix")
    applied_for = check_list("RCTAppliedForList", params.get("appliedFor"), "appliedFor")
    for scenario in applied_for:
        check_string("RCTAppliedFor", scenario, "appliedFor")
    mutability = optional_string(params, "imageTagMutability") or "MUTABLE"
    exclusion_filters = params.get("imageTagMutabilityExclusionFilters")
    check_mutability(mutability, exclusion_filters, "")
    repository_policy = optional_string(params, "repositoryPolicy")
    if repository_policy:
        check_string("RepositoryPolicyText", repository_policy, "repositoryPolicy")
        validate_repository_policy(repository_policy, "repositoryPolicy")
    lifecycle_policy = optional_string(params, "lifecyclePolicy")
    if lifecycle_policy:
        validate_lifecycle_policy(lifecycle_policy)
    custom_role_arn = optional_string(params, "customRoleArn")
    if custom_role_arn is not None:
        check_string("CustomRoleArn", custom_role_arn, "customRoleArn")
    description = optional_string(params, "description")
    if description is not None:
        check_string("RepositoryTemplateDescription", description, "description")

    now = utc_now()
    template = RepositoryCreationTemplate(
        prefix=prefix,
        applied_for=list(dict.fromkeys(applied_for)),
        encryption_configuration=_template_encryption(params),
        image_tag_mutability=mutability,
        created_at=now,
        updated_at=now,
        description=description,
        resource_tags=[dict(tag) for tag in params.get("resourceTags") or []],
        image_tag_mutability_exclusion_filters=(
            None if exclusion_filters is None else [dict(f) for f in exclusion_filters]
        ),
        repository_policy=repository_policy or None,
        lifecycle_policy=lifecycle_policy or None,
        custom_role_arn=custom_role_arn,
    )
    with ctx.state.lock:
        templates = ctx.state.registry(ctx.account, ctx.region).creation_templates
        if prefix in templates:
            raise EcrError(
                "TemplateAlreadyExistsException",
                f"A repository creation template with prefix '{prefix}' already exists in "
                f"the registry with id '{ctx.account}'",
            )
        templates[prefix] = template
    return {"registryId": ctx.account, "repositoryCreationTemplate": template_fields(template)}


def describe_repository_creation_templates(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.state.lock:
        templates = list(ctx.state.registry(ctx.account, ctx.region).creation_templates.values())
    prefixes = params.get("prefixes")
    if prefixes:
        # Prefixes without a template are left out of the response, not reported as
        # errors, because the operation models no TemplateNotFoundException.
        templates = [template for template in templates if template.prefix in prefixes]
    page, next_token = paginate(ctx.operation, templates, params)
    return {
        "registryId": ctx.account,
        "repositoryCreationTemplates": [template_fields(template) for template in page],
        "nextToken": next_token,
    }


def delete_repository_creation_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    prefix = required_string(params, "prefix")
    with ctx.state.lock:
        templates = ctx.state.registry(ctx.account, ctx.region).creation_templates
        template = templates.pop(prefix, None)
    if template is None:
        raise EcrError(
            "TemplateNotFoundException",
            f"The repository creation template with prefix '{prefix}' does not exist in the "
            f"registry with id '{ctx.account}'",
        )
    return {"registryId": ctx.account, "repositoryCreationTemplate": template_fields(template)}


# ---------------------------------------------------------------------------
# Account settings

# Values that PutAccountSetting accepts, from the AccountSettingValue documentation
# in the ECR service model (botocore 1.44). V1 and CLAIR are no longer accepted,
# but GetAccountSetting reports them for registries that still hold them, which
# the state's set_account_setting seeds.
ACCEPTED_ACCOUNT_SETTING_VALUES: dict[str, tuple[str, ...]] = {
    "BASIC_SCAN_TYPE_VERSION": ("AWS_NATIVE",),
    "REGISTRY_POLICY_SCOPE": ("V2",),
    "BLOB_MOUNTING": ("ENABLED", "DISABLED"),
}


def _account_setting_name(params: dict[str, Any]) -> str:
    name = required_string(params, "name")
    if name not in ACCEPTED_ACCOUNT_SETTING_VALUES:
        raise validation_error("name", name, f"Member must be one of {sorted(ACCEPTED_ACCOUNT_SETTING_VALUES)}")
    return name


def put_account_setting(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = _account_setting_name(params)
    value = required_string(params, "value")
    accepted = ACCEPTED_ACCOUNT_SETTING_VALUES[name]
    if value not in accepted:
        raise validation_error("value", value, f"Member must be one of {list(accepted)} for {name}")
    ctx.state.set_account_setting(ctx.account, ctx.region, name, value)
    return {"name": name, "value": value}


def get_account_setting(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = _account_setting_name(params)
    with ctx.state.lock:
        value = ctx.state.registry(ctx.account, ctx.region).account_settings[name]
    return {"name": name, "value": value}


# ---------------------------------------------------------------------------
# Signing configuration


def put_signing_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    configuration = params.get("signingConfiguration")
    if not isinstance(configuration, dict):
        raise validation_error("signingConfiguration", configuration, "Member must not be null")
    rules = check_list("SigningRuleList", configuration.get("rules"), "signingConfiguration.rules")
    for index, rule in enumerate(rules):
        field = f"signingConfiguration.rules.{index}"
        check_string("SigningProfileArn", rule.get("signingProfileArn"), f"{field}.signingProfileArn")
        if "repositoryFilters" in rule:
            filters = check_list("SigningRepositoryFilterList", rule["repositoryFilters"], f"{field}.repositoryFilters")
            for signing_filter in filters:
                check_string(
                    "SigningRepositoryFilterType",
                    signing_filter.get("filterType"),
                    f"{field}.repositoryFilters.filterType",
                )
                check_string(
                    "SigningRepositoryFilterValue",
                    signing_filter.get("filter"),
                    f"{field}.repositoryFilters.filter",
                )
    stored = {"rules": copy.deepcopy(rules)}
    with ctx.state.lock:
        ctx.state.registry(ctx.account, ctx.region).signing_configuration = stored
    return {"signingConfiguration": copy.deepcopy(stored)}


def _signing_not_found(account: str) -> EcrError:
    return EcrError(
        "SigningConfigurationNotFoundException",
        f"Signing configuration does not exist in the registry with id '{account}'",
    )


def get_signing_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.state.lock:
        configuration = ctx.state.registry(ctx.account, ctx.region).signing_configuration
        if configuration is None:
            raise _signing_not_found(ctx.account)
        return {"registryId": ctx.account, "signingConfiguration": copy.deepcopy(configuration)}


def delete_signing_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.state.lock:
        registry = ctx.state.registry(ctx.account, ctx.region)
        configuration = registry.signing_configuration
        if configuration is None:
            raise _signing_not_found(ctx.account)
        registry.signing_configuration = None
    return {"registryId": ctx.account, "signingConfiguration": configuration}


# ---------------------------------------------------------------------------
# Registry scanning configuration

# Frequencies each scan type accepts. The ECR service model documents for
# RegistryScanningRule.scanFrequency that ENHANCED supports CONTINUOUS_SCAN and
# SCAN_ON_PUSH, BASIC supports SCAN_ON_PUSH, and MANUAL is the default.
_FREQUENCIES_BY_SCAN_TYPE = {
    "ENHANCED": ("CONTINUOUS_SCAN", "SCAN_ON_PUSH"),
    "BASIC": ("SCAN_ON_PUSH", "MANUAL"),
}


def put_registry_scanning_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    scan_type = check_string("ScanType", params.get("scanType") or "BASIC", "scanType")
    rules = check_list("RegistryScanningRuleList", params.get("rules") or [], "rules")
    seen_frequencies: set[str] = set()
    for index, rule in enumerate(rules):
        field = f"rules.{index}"
        frequency = check_string("ScanFrequency", rule.get("scanFrequency"), f"{field}.scanFrequency")
        if frequency not in _FREQUENCIES_BY_SCAN_TYPE[scan_type]:
            raise invalid_parameter(
                f"{field}.scanFrequency",
                f"Scan frequency {frequency} is not supported for scan type {scan_type}",
            )
        if frequency in seen_frequencies:
            raise invalid_parameter("rules", f"Only one rule is allowed for scan frequency {frequency}")
        seen_frequencies.add(frequency)
        filters = check_list(
            "ScanningRepositoryFilterList", rule.get("repositoryFilters"), f"{field}.repositoryFilters"
        )
        for scanning_filter in filters:
            check_string(
                "ScanningRepositoryFilterType",
                scanning_filter.get("filterType"),
                f"{field}.repositoryFilters.filterType",
            )
            check_string(
                "ScanningRepositoryFilterValue",
                scanning_filter.get("filter"),
                f"{field}.repositoryFilters.filter",
            )
    stored_rules = copy.deepcopy(rules)
    with ctx.state.lock:
        registry = ctx.state.registry(ctx.account, ctx.region)
        registry.scan_type = scan_type
        registry.scanning_rules = stored_rules
    return {
        "registryScanningConfiguration": {
            "scanType": scan_type,
            "rules": copy.deepcopy(stored_rules),
        }
    }


def get_registry_scanning_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.state.lock:
        registry = ctx.state.registry(ctx.account, ctx.region)
        return {
            "registryId": ctx.account,
            "scanningConfiguration": {
                "scanType": registry.scan_type,
                "rules": copy.deepcopy(registry.scanning_rules),
            },
        }


HANDLERS: dict[str, Handler] = {
    "PutRegistryPolicy": put_registry_policy,
    "GetRegistryPolicy": get_registry_policy,
    "DeleteRegistryPolicy": delete_registry_policy,
    "PutReplicationConfiguration": put_replication_configuration,
    "DescribeRegistry": describe_registry,
    "CreatePullThroughCacheRule": create_pull_through_cache_rule,
    "DescribePullThroughCacheRules": describe_pull_through_cache_rules,
    "DeletePullThroughCacheRule": delete_pull_through_cache_rule,
    "ValidatePullThroughCacheRule": validate_pull_through_cache_rule,
    "CreateRepositoryCreationTemplate": create_repository_creation_template,
    "DescribeRepositoryCreationTemplates": describe_repository_creation_templates,
    "DeleteRepositoryCreationTemplate": delete_repository_creation_template,
    "PutAccountSetting": put_account_setting,
    "GetAccountSetting": get_account_setting,
    "PutSigningConfiguration": put_signing_configuration,
    "GetSigningConfiguration": get_signing_configuration,
    "DeleteSigningConfiguration": delete_signing_configuration,
    "PutRegistryScanningConfiguration": put_registry_scanning_configuration,
    "GetRegistryScanningConfiguration": get_registry_scanning_configuration,
}
