"""Repository-level ECR operations: moto's repositories, with the layer's additions.

moto keeps the repositories themselves (name, ARN, mutability and its exclusion
filters, encryption, legacy scanOnPush flag, tags). The layer wraps three of
moto's operations and owns the policy text:

- DescribeRepositories: moto 5.2.5 ignores maxResults and nextToken and returns
  one list, with a ``failures`` member that the ECR model does not have. The
  layer pages moto's full response.
- CreateRepository: for ``encryptionType: KMS`` without ``kmsKey`` moto invents a
  key ARN that KMS does not know; ECR uses the account's AWS managed ``aws/ecr``
  key, so the layer fills that key in.
- DeleteRepository: the layer owns the images, so it applies the
  RepositoryNotEmptyException rule and drops its own record afterwards.
- Repository and lifecycle policies: moto validates them more strictly than ECR
  (see policy_text), and the layer must also hold text that no longer parses.
"""

from __future__ import annotations

from typing import Any

from auditor.emulator import moto_bridge
from auditor.emulator.context import (
    Handler,
    RequestContext,
    check_list,
    check_registry_id,
    check_string,
    require_repository,
    required_string,
)
from auditor.emulator.policy_text import validate_lifecycle_policy, validate_repository_policy
from auditor.emulator.scanning import effective_scanning
from auditor.emulator.wire import EcrError, invalid_parameter, paginate


def describe_repositories(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    check_registry_id(ctx, params)
    names = params.get("repositoryNames")
    if names is not None and ("maxResults" in params or "nextToken" in params):
        raise invalid_parameter("maxResults", "maxResults and nextToken cannot be used with repositoryNames")
    moto_params = {k: v for k, v in params.items() if k not in ("maxResults", "nextToken")}
    repositories: list[dict[str, Any]] = ctx.call_moto(moto_params).get("repositories", [])
    if names is not None:
        return {"repositories": repositories}
    page, next_token = paginate(ctx.operation, repositories, params)
    return {"repositories": page, "nextToken": next_token}


def create_repository(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    check_registry_id(ctx, params)
    moto_params = dict(params)
    encryption = params.get("encryptionConfiguration")
    if isinstance(encryption, dict) and encryption.get("encryptionType") in ("KMS", "KMS_DSSE"):
        kms_key = encryption.get("kmsKey")
        if not kms_key:
            kms_key = moto_bridge.ensure_aws_managed_key(ctx.account, ctx.region)
        elif kms_key.startswith("arn:"):
            # CreateRepository models KmsException, and the key must be in the
            # repository's region (ECR service model), so reject unknown keys here.
            if f":kms:{ctx.region}:" not in kms_key or not moto_bridge.kms_key_exists(kms_key):
                raise EcrError(
                    "KmsException",
                    f"The KMS key '{kms_key}' does not exist or is not in region {ctx.region}",
                )
        # NOTE: a key id or alias in kmsKey is passed to moto unchecked and
        # described as given; ECR would resolve it to the key's ARN.
        moto_params["encryptionConfiguration"] = {**encryption, "kmsKey": kms_key}
    return ctx.call_moto(moto_params)


def delete_repository(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, _, extras = require_repository(ctx, params)
    if extras.images and not params.get("force"):
        raise EcrError(
            "RepositoryNotEmptyException",
            f"The repository with name '{name}' in registry with id '{ctx.account}' cannot "
            "be deleted because it still contains images",
        )
    response = ctx.call_moto(params)
    ctx.state.drop_repository(ctx.account, ctx.region, name)
    return response


# ---------------------------------------------------------------------------
# Repository policy


def _repository_policy_not_found(name: str, account: str) -> EcrError:
    return EcrError(
        "RepositoryPolicyNotFoundException",
        f"Repository policy does not exist for the repository with name '{name}' in the registry with id '{account}'",
    )


def set_repository_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, _, extras = require_repository(ctx, params)
    text = check_string("RepositoryPolicyText", required_string(params, "policyText"), "policyText")
    validate_repository_policy(text)
    with ctx.state.lock:
        extras.policy_text = text
    return {"registryId": ctx.account, "repositoryName": name, "policyText": text}


def get_repository_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, _, extras = require_repository(ctx, params)
    with ctx.state.lock:
        text = extras.policy_text
    if text is None:
        raise _repository_policy_not_found(name, ctx.account)
    return {"registryId": ctx.account, "repositoryName": name, "policyText": text}


def delete_repository_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, _, extras = require_repository(ctx, params)
    with ctx.state.lock:
        text = extras.policy_text
        extras.policy_text = None
    if text is None:
        raise _repository_policy_not_found(name, ctx.account)
    return {"registryId": ctx.account, "repositoryName": name, "policyText": text}


# ---------------------------------------------------------------------------
# Lifecycle policy


def _lifecycle_policy_not_found(name: str, account: str) -> EcrError:
    return EcrError(
        "LifecyclePolicyNotFoundException",
        f"Lifecycle policy does not exist for the repository with name '{name}' in the registry with id '{account}'",
    )


def put_lifecycle_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, _, extras = require_repository(ctx, params)
    text = check_string("LifecyclePolicyText", required_string(params, "lifecyclePolicyText"), "lifecyclePolicyText")
    validate_lifecycle_policy(text)
    with ctx.state.lock:
        extras.lifecycle_policy_text = text
        extras.lifecycle_last_evaluated_at = None
    return {"registryId": ctx.account, "repositoryName": name, "lifecyclePolicyText": text}


def _lifecycle_response(ctx: RequestContext, params: dict[str, Any], *, delete: bool) -> dict[str, Any]:
    name, _, extras = require_repository(ctx, params)
    with ctx.state.lock:
        text = extras.lifecycle_policy_text
        evaluated_at = extras.lifecycle_last_evaluated_at
        if delete:
            extras.lifecycle_policy_text = None
            extras.lifecycle_last_evaluated_at = None
    if text is None:
        raise _lifecycle_policy_not_found(name, ctx.account)
    return {
        "registryId": ctx.account,
        "repositoryName": name,
        "lifecyclePolicyText": text,
        "lastEvaluatedAt": evaluated_at,
    }


def get_lifecycle_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _lifecycle_response(ctx, params, delete=False)


def delete_lifecycle_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _lifecycle_response(ctx, params, delete=True)


# ---------------------------------------------------------------------------
# Effective scanning configuration


def batch_get_repository_scanning_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    names = check_list("ScanningConfigurationRepositoryNameList", params.get("repositoryNames"), "repositoryNames")
    with ctx.state.lock:
        registry = ctx.state.registry(ctx.account, ctx.region)
        scan_type = registry.scan_type
        rules = list(registry.scanning_rules)

    configurations: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    for name in names:
        repository = moto_bridge.repository(ctx.account, ctx.region, name)
        if repository is None:
            failures.append(
                {
                    "repositoryName": name,
                    "failureCode": "REPOSITORY_NOT_FOUND",
                    "failureReason": "The specified repository could not be found",
                }
            )
            continue
        legacy_configuration = repository.image_scanning_configuration
        scan_on_push = isinstance(legacy_configuration, dict) and bool(legacy_configuration.get("scanOnPush", False))
        configurations.append(
            {
                "repositoryArn": repository.arn,
                "repositoryName": name,
                **effective_scanning(scan_type, rules, name, scan_on_push),
            }
        )
    return {"scanningConfigurations": configurations, "failures": failures}


HANDLERS: dict[str, Handler] = {
    "DescribeRepositories": describe_repositories,
    "CreateRepository": create_repository,
    "DeleteRepository": delete_repository,
    "SetRepositoryPolicy": set_repository_policy,
    "GetRepositoryPolicy": get_repository_policy,
    "DeleteRepositoryPolicy": delete_repository_policy,
    "PutLifecyclePolicy": put_lifecycle_policy,
    "GetLifecyclePolicy": get_lifecycle_policy,
    "DeleteLifecyclePolicy": delete_lifecycle_policy,
    "BatchGetRepositoryScanningConfiguration": batch_get_repository_scanning_configuration,
}
