"""Request context and parameter helpers shared by the layer's operation handlers."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from moto.ecr.models import Repository

from auditor.emulator import moto_bridge
from auditor.emulator.state import EmulatorState, RepositoryExtras
from auditor.emulator.wire import EcrError, ecr_service_model, model_enum, validation_error

# Repository names as the ECR model's RepositoryName shape defines them.
REPOSITORY_NAME = re.compile(r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$")


@dataclass
class RequestContext:
    """One ECR request with the caller's account and region.

    ``account`` comes from the SigV4 access key and ``region`` from the credential
    scope. ``call_moto`` sends the same operation with another JSON body to moto
    and returns moto's parsed response. It raises EcrError for moto's error responses.
    """

    operation: str
    account: str
    region: str
    state: EmulatorState
    call_moto: Callable[[Mapping[str, Any]], dict[str, Any]]
    # SigV4 access key of the request, for messages that name the caller.
    access_key: str | None = None


Handler = Callable[[RequestContext, dict[str, Any]], dict[str, Any]]


def required_string(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise validation_error(name, value, "Member must not be null")
    return value


def optional_string(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise validation_error(name, value, "Member must be a string")
    return value


def check_registry_id(ctx: RequestContext, params: Mapping[str, Any]) -> str:
    """Return the registry a request addresses, which must be the caller's own.

    NOTE: ECR lets a caller reach another account's repositories when that
    registry's policies allow it. The emulator does not evaluate policies, so it
    rejects any registryId other than the caller's account.
    """
    registry_id = params.get("registryId")
    if registry_id is None or registry_id == ctx.account:
        return ctx.account
    raise EcrError(
        "InvalidParameterException",
        f"Invalid parameter at 'registryId' failed to satisfy constraint: 'the emulator "
        f"serves only the caller's own registry {ctx.account}, not {registry_id}'",
    )


def repository_not_found(name: str, registry_id: str) -> EcrError:
    return EcrError(
        "RepositoryNotFoundException",
        f"The repository with name '{name}' does not exist in the registry with id '{registry_id}'",
    )


def require_repository(ctx: RequestContext, params: Mapping[str, Any]) -> tuple[str, Repository, RepositoryExtras]:
    """Return the named repository from moto and the layer's record of it.

    Raises RepositoryNotFoundException, as ECR does, when moto has no repository
    of that name in the caller's registry.
    """
    registry_id = check_registry_id(ctx, params)
    name = required_string(params, "repositoryName")
    repository = moto_bridge.repository(ctx.account, ctx.region, name)
    if repository is None:
        raise repository_not_found(name, registry_id)
    return name, repository, ctx.state.repository_extras(ctx.account, ctx.region, name)


def check_string(shape_name: str, value: object, field: str) -> str:
    """Check a string against its ECR model shape (length, pattern, enum).

    botocore validates only types, required members and minimum lengths on the
    client side, so the server checks the remaining constraints. A violation
    raises ValidationException, as AWS request validation does.
    """
    shape = ecr_service_model().shape_for(shape_name)
    if not isinstance(value, str):
        raise validation_error(field, value, "Member must be a string")
    metadata = shape.metadata
    if "min" in metadata and len(value) < metadata["min"]:
        raise validation_error(field, value, f"Member must have length greater than or equal to {metadata['min']}")
    if "max" in metadata and len(value) > metadata["max"]:
        raise validation_error(field, value, f"Member must have length less than or equal to {metadata['max']}")
    if "pattern" in metadata and re.search(metadata["pattern"], value) is None:
        raise validation_error(field, value, f"Member must satisfy regular expression pattern: {metadata['pattern']}")
    enum = model_enum(shape_name)
    if enum and value not in enum:
        raise validation_error(field, value, f"Member must satisfy enum value set: {enum}")
    return value


def check_list(shape_name: str, value: object, field: str) -> list[Any]:
    """Check a list against the length limits of its ECR model shape."""
    if not isinstance(value, list):
        raise validation_error(field, value, "Member must be a list")
    metadata = ecr_service_model().shape_for(shape_name).metadata
    if "min" in metadata and len(value) < metadata["min"]:
        raise validation_error(field, len(value), f"Member must have length greater than or equal to {metadata['min']}")
    if "max" in metadata and len(value) > metadata["max"]:
        raise validation_error(field, len(value), f"Member must have length less than or equal to {metadata['max']}")
    return value
