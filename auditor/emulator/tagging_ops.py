"""The Resource Groups Tagging API's GetResources for ECR repositories, which moto
5.2.5 does not serve for ECR.

GetResources lists the resources of the caller's region that have tags. AWS may
also list a resource whose tags were all removed, with an empty list; the
emulator lists only repositories with tags, and the collector reads both
responses the same way. The emulator reads the tags that moto's ECR
backend keeps, so TagResource and UntagResource through the ECR API show here.
Only the resource types ``ecr`` and ``ecr:repository`` are served; asking for any
other type is a ValidationException, not an empty answer that would look like
"no tags".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.emulator import moto_bridge
from auditor.emulator.context import Handler, RequestContext
from auditor.emulator.wire import ApiError, encode_token, token_offset

# GetResources accepts ResourcesPerPage from 1 to 100, and uses 50 without it.
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
_SERVED_TYPES = frozenset({"ecr", "ecr:repository"})


def _invalid(message: str) -> ApiError:
    return ApiError("InvalidParameterException", message, 400)


def _page_size(params: Mapping[str, Any]) -> int:
    raw = params.get("ResourcesPerPage", DEFAULT_PAGE_SIZE)
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= MAX_PAGE_SIZE:
        raise _invalid(f"ResourcesPerPage must be between 1 and {MAX_PAGE_SIZE}, not {raw!r}")
    return raw


def _check_types(params: Mapping[str, Any]) -> None:
    types = params.get("ResourceTypeFilters")
    if types is None:
        return
    unserved = sorted(str(t) for t in types if str(t) not in _SERVED_TYPES)
    if unserved:
        raise ApiError(
            "ValidationException",
            f"the emulator serves GetResources only for ECR repositories, not {', '.join(unserved)}",
            400,
        )


def _matches(tags: Mapping[str, str], tag_filters: Any) -> bool:
    """Each TagFilter must hold: the key is present and, when Values are given, has one of them."""
    for tag_filter in tag_filters or []:
        key = tag_filter.get("Key")
        if key not in tags:
            return False
        values = tag_filter.get("Values") or []
        if values and tags[key] not in values:
            return False
    return True


def get_resources(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_types(params)
    size = _page_size(params)
    wanted = set(params.get("ResourceARNList") or [])
    listed = []
    for arn, tags in moto_bridge.repository_tags(ctx.account, ctx.region):
        if wanted and arn not in wanted:
            continue
        if not _matches(tags, params.get("TagFilters")):
            continue
        listed.append({"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]})
    offset = 0
    token = params.get("PaginationToken")
    if token:
        parsed = token_offset(ctx.operation, token)
        if parsed is None:
            raise _invalid("PaginationToken was not issued by GetResources")
        offset = parsed
    end = offset + size
    # AWS ends the listing with an empty PaginationToken, not a missing one.
    return {
        "PaginationToken": encode_token(ctx.operation, end) if end < len(listed) else "",
        "ResourceTagMappingList": listed[offset:end],
    }


HANDLERS: dict[str, Handler] = {"GetResources": get_resources}
