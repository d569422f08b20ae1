"""The AWS Account Management API's ListRegions, which moto 5.2.5 lacks.

The Account API is a rest-json service: ``POST /listRegions`` with a JSON body.
Every region of the ``aws`` partition is listed. The seventeen default regions
are ``ENABLED_BY_DEFAULT``. Each opt-in region has the status that the state
contains for the account, which is ``DISABLED`` unless seeded otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from auditor.emulator import moto_bridge, regions
from auditor.emulator.context import Handler, RequestContext
from auditor.emulator.wire import ApiError, encode_token, token_offset

_ACCOUNT_ID = re.compile(r"^\d{12}$")
# The account model's ListRegionsRequestMaxResultsInteger range.
MAX_PAGE_SIZE = 50


def _validation_error(message: str) -> ApiError:
    return ApiError("ValidationException", message, 400, {"reason": "fieldValidationFailed"})


def _target_account(ctx: RequestContext, params: Mapping[str, Any]) -> str:
    """Return the account whose regions the request lists.

    Without ``AccountId`` that is the caller's account. With it, AWS requires the
    caller to be the organization's management account (or its delegated
    administrator) and the named account to be a member. The management account
    may not name itself. The emulator checks membership in moto's Organizations
    backend.
    NOTE: delegated administrators of the Account Management service are not
    emulated, so only the management account may pass AccountId.
    """
    account_id = params.get("AccountId")
    if account_id is None:
        return ctx.account
    if not isinstance(account_id, str) or _ACCOUNT_ID.match(account_id) is None:
        raise _validation_error(f"Invalid AccountId '{account_id}': it must be a 12-digit account ID")
    caller_management = moto_bridge.management_account(ctx.account)
    if caller_management == ctx.account and account_id == ctx.account:
        raise _validation_error(
            "The management account can't specify its own AccountId; call ListRegions without AccountId"
        )
    if caller_management == ctx.account and moto_bridge.management_account(account_id) == ctx.account:
        return account_id
    raise ApiError(
        "AccessDeniedException",
        f"User: {moto_bridge.caller_arn(ctx.access_key, ctx.region)} is not authorized to perform: "
        f"account:ListRegions on resource: arn:aws:account::{ctx.account}:account/{account_id}",
        403,
    )


def _page_size(params: Mapping[str, Any]) -> int | None:
    raw = params.get("MaxResults")
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_PAGE_SIZE:
        raise _validation_error(f"Invalid MaxResults {raw!r}: it must be between 1 and {MAX_PAGE_SIZE}")
    return raw


def list_regions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Serve ListRegions, with the RegionOptStatusContains filter and MaxResults/NextToken paging.

    AWS documents no default page size; without MaxResults the emulator returns
    every region in one page.
    """
    account = _target_account(ctx, params)
    wanted = params.get("RegionOptStatusContains")
    if wanted is not None:
        statuses = {regions.ENABLED_BY_DEFAULT, *regions.OPT_IN_STATUSES}
        if not isinstance(wanted, list) or any(status not in statuses for status in wanted):
            raise _validation_error(f"Invalid RegionOptStatusContains {wanted!r}: values must be in {sorted(statuses)}")
    listed = [
        {"RegionName": region, "RegionOptStatus": ctx.state.region_status(account, region)}
        for region in regions.partition_regions()
    ]
    if wanted:
        listed = [entry for entry in listed if entry["RegionOptStatus"] in wanted]

    size = _page_size(params)
    token = params.get("NextToken")
    offset = 0
    if token is not None:
        parsed = token_offset(ctx.operation, token)
        if parsed is None:
            raise _validation_error("Invalid NextToken: it was not issued by ListRegions")
        offset = parsed
    end = len(listed) if size is None else offset + size
    page = listed[offset:end]
    response: dict[str, Any] = {"Regions": page}
    if end < len(listed):
        response["NextToken"] = encode_token(ctx.operation, end)
    return response


HANDLERS: dict[str, Handler] = {"ListRegions": list_regions}
