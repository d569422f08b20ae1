"""Amazon Inspector (``inspector2``) operations that ecr-auditor reads, served from the layer state.

moto 5.2.5 has an inspector2 backend, but its ListFindings returns results
queued through moto's own API instead of filtering stored findings, and it has
no GetConfiguration. The layer serves these operations from ``InspectorState``:
Enable, Disable, BatchGetAccountStatus, GetConfiguration, UpdateConfiguration
and ListFindings. Every other inspector2 operation still goes to moto.

Inspector is a rest-json service, so errors carry their code in the
``x-amzn-ErrorType`` header (see ``protocols.error_response``).

NOTE: Enable and Disable take effect at once (AWS passes through ENABLING and
DISABLING first), and only the caller's own account, or a member of the
caller's moto organization, can be addressed; Inspector's delegated
administrator is not emulated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from auditor.emulator import moto_bridge
from auditor.emulator.context import Handler, RequestContext
from auditor.emulator.state import INSPECTOR_RESOURCE_TYPES, InspectorState, utc_now
from auditor.emulator.wire import ApiError, encode_token, token_offset

_ACCOUNT_ID = re.compile(r"^\d{12}$")
MAX_PAGE_SIZE = 100  # ListFindingsMaxResults in the inspector2 model
# AWS documents no default page size for ListFindings; 50 is the emulator's choice.
DEFAULT_PAGE_SIZE = 50
RESCAN_DURATIONS = ("LIFETIME", "DAYS_30", "DAYS_180", "DAYS_14", "DAYS_60", "DAYS_90", "DAYS_3", "DAYS_7")
PULL_DATE_RESCAN_DURATIONS = ("DAYS_14", "DAYS_30", "DAYS_60", "DAYS_90", "DAYS_180", "DAYS_3", "DAYS_7")
PULL_DATE_RESCAN_MODES = ("LAST_PULL_DATE", "LAST_IN_USE_AT")


def validation_error(message: str) -> ApiError:
    """Build Inspector's ValidationException, whose model requires a ``reason``."""
    return ApiError("ValidationException", message, 400, {"reason": "FIELD_VALIDATION_FAILED"})


# -- accounts -------------------------------------------------------------------------


def _can_address(ctx: RequestContext, account: str) -> bool:
    return account == ctx.account or moto_bridge.management_account(account) == ctx.account


def _requested_accounts(ctx: RequestContext, params: Mapping[str, Any]) -> list[str]:
    raw = params.get("accountIds")
    if raw is None or raw == []:
        return [ctx.account]
    if not isinstance(raw, list) or any(not isinstance(a, str) or _ACCOUNT_ID.match(a) is None for a in raw):
        raise validation_error(f"accountIds must be a list of 12-digit account IDs, not {raw!r}")
    if len(raw) > 100:
        raise validation_error("accountIds must have at most 100 members")
    return list(dict.fromkeys(raw))


def _account_state(inspector: InspectorState) -> str:
    return "ENABLED" if "ENABLED" in inspector.resource_status.values() else "DISABLED"


def _access_denied_account(account: str, status: str | None = None) -> dict[str, Any]:
    return {
        "accountId": account,
        "errorCode": "ACCESS_DENIED",
        "errorMessage": f"The caller is not the Amazon Inspector administrator of account {account}",
        "status": status,
    }


def batch_get_account_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Serve BatchGetAccountStatus for the caller's region.

    A State without an error carries no errorCode or errorMessage, although the
    model marks both required (see ``model_check.OMITTED_REQUIRED_MEMBERS``).
    """
    accounts = []
    failed = []
    for account in _requested_accounts(ctx, params):
        if not _can_address(ctx, account):
            failed.append(_access_denied_account(account))
            continue
        with ctx.state.lock:
            inspector = ctx.state.registry(account, ctx.region).inspector
            resource_state = {key: {"status": status} for key, status in inspector.resource_status.items()}
            overall = _account_state(inspector)
        accounts.append({"accountId": account, "state": {"status": overall}, "resourceState": resource_state})
    return {"accounts": accounts, "failedAccounts": failed}


def _resource_keys(params: Mapping[str, Any], *, required: bool) -> list[str]:
    raw = params.get("resourceTypes")
    if raw is None or raw == []:
        if required:
            raise validation_error("resourceTypes must name at least one resource type")
        return list(INSPECTOR_RESOURCE_TYPES.values())
    if not isinstance(raw, list) or any(item not in INSPECTOR_RESOURCE_TYPES for item in raw):
        raise validation_error(f"resourceTypes must contain only {sorted(INSPECTOR_RESOURCE_TYPES)}, not {raw!r}")
    return [INSPECTOR_RESOURCE_TYPES[item] for item in raw]


def _toggle(ctx: RequestContext, params: dict[str, Any], *, enable: bool) -> dict[str, Any]:
    keys = _resource_keys(params, required=enable)
    accounts = []
    failed = []
    for account in _requested_accounts(ctx, params):
        if not _can_address(ctx, account):
            failed.append(_access_denied_account(account))
            continue
        with ctx.state.lock:
            inspector = ctx.state.registry(account, ctx.region).inspector
            for key in keys:
                inspector.resource_status[key] = "ENABLED" if enable else "DISABLED"
            statuses = dict(inspector.resource_status)
            overall = _account_state(inspector)
        accounts.append({"accountId": account, "status": overall, "resourceStatus": statuses})
    return {"accounts": accounts, "failedAccounts": failed}


def enable(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _toggle(ctx, params, enable=True)


def disable(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _toggle(ctx, params, enable=False)


# -- configuration --------------------------------------------------------------------


def _configured_account(ctx: RequestContext, params: Mapping[str, Any]) -> str:
    account = params.get("accountId")
    if account is None:
        return ctx.account
    if not isinstance(account, str) or _ACCOUNT_ID.match(account) is None:
        raise validation_error(f"accountId must be a 12-digit account ID, not {account!r}")
    if not _can_address(ctx, account):
        raise ApiError(
            "AccessDeniedException",
            f"The caller is not the Amazon Inspector administrator of account {account}",
            403,
        )
    return account


def get_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    account = _configured_account(ctx, params)
    with ctx.state.lock:
        inspector = ctx.state.registry(account, ctx.region).inspector
        rescan = {
            "rescanDuration": inspector.rescan_duration,
            "pullDateRescanDuration": inspector.pull_date_rescan_duration,
            "pullDateRescanMode": inspector.pull_date_rescan_mode,
            "status": "SUCCESS",
            "updatedAt": inspector.configuration_updated_at,
        }
    return {
        "ecrConfiguration": {"rescanDurationState": rescan},
        "ec2Configuration": {"scanModeState": {"scanMode": "EC2_SSM_AGENT_BASED", "scanModeStatus": "SUCCESS"}},
    }


def _choice(value: object, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise validation_error(f"{field} must be one of {list(allowed)}, not {value!r}")
    return str(value)


def update_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Serve UpdateConfiguration; only ``ecrConfiguration`` is stored, other sections are accepted and ignored."""
    account = _configured_account(ctx, params)
    ecr = params.get("ecrConfiguration")
    if ecr is None:
        return {}
    if not isinstance(ecr, dict):
        raise validation_error("ecrConfiguration must be an object")
    duration = _choice(ecr.get("rescanDuration"), RESCAN_DURATIONS, "ecrConfiguration.rescanDuration")
    pull_duration = ecr.get("pullDateRescanDuration")
    mode = ecr.get("pullDateRescanMode")
    with ctx.state.lock:
        inspector = ctx.state.registry(account, ctx.region).inspector
        inspector.rescan_duration = duration
        if pull_duration is not None:
            inspector.pull_date_rescan_duration = _choice(
                pull_duration, PULL_DATE_RESCAN_DURATIONS, "ecrConfiguration.pullDateRescanDuration"
            )
        if mode is not None:
            inspector.pull_date_rescan_mode = _choice(
                mode, PULL_DATE_RESCAN_MODES, "ecrConfiguration.pullDateRescanMode"
            )
        inspector.configuration_updated_at = utc_now()
    return {}


# -- findings ---------------------------------------------------------------------------

Finding = Mapping[str, Any]


def _resources(finding: Finding) -> list[Mapping[str, Any]]:
    return list(finding.get("resources") or [])


def _images(finding: Finding) -> list[Mapping[str, Any]]:
    images = []
    for resource in _resources(finding):
        image = (resource.get("details") or {}).get("awsEcrContainerImage")
        if image is not None:
            images.append(image)
    return images


def _vulnerability(finding: Finding) -> Mapping[str, Any]:
    return finding.get("packageVulnerabilityDetails") or {}


# Filter name -> the values of that field in a finding. A string filter matches a
# finding when it matches any of the values.
STRING_FIELDS: dict[str, Callable[[Finding], list[Any]]] = {
    "findingArn": lambda f: [f.get("findingArn")],
    "awsAccountId": lambda f: [f.get("awsAccountId")],
    "findingType": lambda f: [f.get("type")],
    "severity": lambda f: [f.get("severity")],
    "findingStatus": lambda f: [f.get("status")],
    "title": lambda f: [f.get("title")],
    "resourceType": lambda f: [r.get("type") for r in _resources(f)],
    "resourceId": lambda f: [r.get("id") for r in _resources(f)],
    "ecrImageRegistry": lambda f: [i.get("registry") for i in _images(f)],
    "ecrImageRepositoryName": lambda f: [i.get("repositoryName") for i in _images(f)],
    "ecrImageHash": lambda f: [i.get("imageHash") for i in _images(f)],
    "ecrImageTags": lambda f: [tag for i in _images(f) for tag in i.get("imageTags") or []],
    "ecrImageArchitecture": lambda f: [i.get("architecture") for i in _images(f)],
    "vulnerabilityId": lambda f: [_vulnerability(f).get("vulnerabilityId")],
    "vulnerabilitySource": lambda f: [_vulnerability(f).get("source")],
    "vendorSeverity": lambda f: [_vulnerability(f).get("vendorSeverity")],
    "fixAvailable": lambda f: [f.get("fixAvailable")],
    "exploitAvailable": lambda f: [f.get("exploitAvailable")],
}
DATE_FIELDS: dict[str, Callable[[Finding], list[Any]]] = {
    "firstObservedAt": lambda f: [f.get("firstObservedAt")],
    "lastObservedAt": lambda f: [f.get("lastObservedAt")],
    "updatedAt": lambda f: [f.get("updatedAt")],
    "ecrImagePushedAt": lambda f: [i.get("pushedAt") for i in _images(f)],
    "ecrImageLastInUseAt": lambda f: [i.get("lastInUseAt") for i in _images(f)],
}
NUMBER_FIELDS: dict[str, Callable[[Finding], list[Any]]] = {
    "inspectorScore": lambda f: [f.get("inspectorScore")],
    "ecrImageInUseCount": lambda f: [i.get("inUseCount") for i in _images(f)],
    "epssScore": lambda f: [(f.get("epss") or {}).get("score")],
}


def _epoch(value: Any) -> float | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _string_matches(values: list[Any], filters: list[Any], field: str) -> bool:
    """Apply one field's string filters: any EQUALS or PREFIX filter may match, every NOT_EQUALS must hold."""
    present = [value for value in values if isinstance(value, str)]
    positive = []
    for item in filters:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise validation_error(f"filterCriteria.{field}: each filter needs a string value")
        comparison = item.get("comparison")
        value = item["value"]
        if comparison == "NOT_EQUALS":
            if value in present:
                return False
        elif comparison == "EQUALS":
            positive.append(value in present)
        elif comparison == "PREFIX":
            positive.append(any(candidate.startswith(value) for candidate in present))
        else:
            raise validation_error(
                f"filterCriteria.{field}: comparison must be EQUALS, PREFIX or NOT_EQUALS, not {comparison!r}"
            )
    return not positive or any(positive)


def _range_matches(values: list[Any], filters: list[Any], field: str, low: str, high: str) -> bool:
    """Apply one field's date or number filters: the finding matches when a value falls in any range."""
    numbers = [number for number in (_epoch(value) for value in values) if number is not None]
    for item in filters:
        if not isinstance(item, dict):
            raise validation_error(f"filterCriteria.{field}: each filter must be an object")
        lower = _epoch(item.get(low))
        upper = _epoch(item.get(high))
        for number in numbers:
            if (lower is None or number >= lower) and (upper is None or number <= upper):
                return True
    return False


def _field_check(field: str, filters: list[Any]) -> Callable[[Finding], bool]:
    """Return the test of one filterCriteria field, or raise ValidationException for an unsupported field."""
    if field in STRING_FIELDS:
        extract = STRING_FIELDS[field]
        return lambda finding: _string_matches(extract(finding), filters, field)
    if field in DATE_FIELDS:
        extract = DATE_FIELDS[field]
        return lambda finding: _range_matches(extract(finding), filters, field, "startInclusive", "endInclusive")
    if field in NUMBER_FIELDS:
        extract = NUMBER_FIELDS[field]
        return lambda finding: _range_matches(extract(finding), filters, field, "lowerInclusive", "upperInclusive")
    # Failing loudly beats returning findings that a real filter would drop.
    raise validation_error(
        f"filterCriteria.{field} is not supported by the emulator; supported filters are "
        f"{sorted([*STRING_FIELDS, *DATE_FIELDS, *NUMBER_FIELDS])}"
    )


def _filter_predicate(criteria: object) -> Callable[[Finding], bool]:
    """Build the test for ListFindings' filterCriteria: every field's filters must match (AND across fields)."""
    if criteria is None:
        return lambda finding: True
    if not isinstance(criteria, dict):
        raise validation_error("filterCriteria must be an object")
    checks: list[Callable[[Finding], bool]] = []
    for field, filters in criteria.items():
        if not isinstance(filters, list) or not 1 <= len(filters) <= 10:
            raise validation_error(f"filterCriteria.{field} must be a list of 1 to 10 filters")
        checks.append(_field_check(str(field), filters))
    # Run every check once on an empty finding, so that a malformed filter is
    # rejected even when no finding is stored.
    for check in checks:
        check({})
    return lambda finding: all(check(finding) for check in checks)


_SEVERITY_RANK = {"UNTRIAGED": 0, "INFORMATIONAL": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}
SORT_KEYS: dict[str, Callable[[Finding], Any]] = {
    "AWS_ACCOUNT_ID": lambda f: f.get("awsAccountId") or "",
    "FINDING_TYPE": lambda f: f.get("type") or "",
    "SEVERITY": lambda f: _SEVERITY_RANK.get(str(f.get("severity")), 0),
    "FIRST_OBSERVED_AT": lambda f: _epoch(f.get("firstObservedAt")) or 0.0,
    "LAST_OBSERVED_AT": lambda f: _epoch(f.get("lastObservedAt")) or 0.0,
    "FINDING_STATUS": lambda f: f.get("status") or "",
    "RESOURCE_TYPE": lambda f: next(iter(STRING_FIELDS["resourceType"](f)), "") or "",
    "ECR_IMAGE_PUSHED_AT": lambda f: _epoch(next(iter(DATE_FIELDS["ecrImagePushedAt"](f)), None)) or 0.0,
    "ECR_IMAGE_REPOSITORY_NAME": lambda f: next(iter(STRING_FIELDS["ecrImageRepositoryName"](f)), "") or "",
    "ECR_IMAGE_REGISTRY": lambda f: next(iter(STRING_FIELDS["ecrImageRegistry"](f)), "") or "",
    "VULNERABILITY_ID": lambda f: _vulnerability(f).get("vulnerabilityId") or "",
    "VULNERABILITY_SOURCE": lambda f: _vulnerability(f).get("source") or "",
    "INSPECTOR_SCORE": lambda f: f.get("inspectorScore") or 0.0,
    "VENDOR_SEVERITY": lambda f: _vulnerability(f).get("vendorSeverity") or "",
    "EPSS_SCORE": lambda f: (f.get("epss") or {}).get("score") or 0.0,
}


def _sorted(findings: list[dict[str, Any]], criteria: object) -> list[dict[str, Any]]:
    if criteria is None:
        return findings
    if not isinstance(criteria, dict):
        raise validation_error("sortCriteria must be an object")
    field = criteria.get("field")
    order = criteria.get("sortOrder")
    if order not in ("ASC", "DESC"):
        raise validation_error(f"sortCriteria.sortOrder must be ASC or DESC, not {order!r}")
    if field not in SORT_KEYS:
        raise validation_error(f"sortCriteria.field must be one of {sorted(SORT_KEYS)}, not {field!r}")
    return sorted(findings, key=SORT_KEYS[field], reverse=order == "DESC")


def _page_size(params: Mapping[str, Any]) -> int:
    raw = params.get("maxResults")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_PAGE_SIZE:
        raise validation_error(f"maxResults must be between 1 and {MAX_PAGE_SIZE}, not {raw!r}")
    return raw


def list_findings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Serve ListFindings over the caller's findings in the caller's region.

    Filters on one field combine with OR (NOT_EQUALS filters must all hold) and
    filters on different fields with AND, as Inspector's filter criteria do.
    Without sortCriteria the findings come in the order they were seeded.
    """
    predicate = _filter_predicate(params.get("filterCriteria"))
    size = _page_size(params)
    with ctx.state.lock:
        stored = list(ctx.state.registry(ctx.account, ctx.region).inspector.findings)
    selected = _sorted([finding for finding in stored if predicate(finding)], params.get("sortCriteria"))
    offset = 0
    token = params.get("nextToken")
    if token is not None:
        parsed = token_offset(ctx.operation, token)
        if parsed is None:
            raise validation_error("nextToken was not issued by ListFindings")
        offset = parsed
    end = offset + size
    response: dict[str, Any] = {"findings": selected[offset:end]}
    if end < len(selected):
        response["nextToken"] = encode_token(ctx.operation, end)
    return response


HANDLERS: dict[str, Handler] = {
    "BatchGetAccountStatus": batch_get_account_status,
    "Disable": disable,
    "Enable": enable,
    "GetConfiguration": get_configuration,
    "ListFindings": list_findings,
    "UpdateConfiguration": update_configuration,
}
