"""Planning of the (account, region) units a run audits.

Accounts come from the config or from AWS Organizations; regions from the config
or from each account's enabled regions (account:ListRegions). A listed region
that an account has not enabled is skipped: neither an error nor compliant.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from auditor.aws.session import SessionFactory, error_code, error_message
from auditor.config import AuditSettings
from auditor.errors import AuditorError
from auditor.inventory import CollectionError, ScopeEntry, ScopeStatus

logger = logging.getLogger(__name__)

# Regions an account can use: opted in, or enabled by default.
ENABLED_STATUSES = ("ENABLED", "ENABLED_BY_DEFAULT")
# The region name recorded for an account whose regions could not be found out.
UNKNOWN_REGION = "*"


class DiscoveryError(AuditorError):
    """Accounts could not be discovered, so nothing can be audited."""

    exit_code = 4


@dataclass(frozen=True)
class Target:
    account: str
    region: str


@dataclass
class TargetPlan:
    targets: list[Target] = field(default_factory=list)
    skipped: list[ScopeEntry] = field(default_factory=list)
    unreadable: list[tuple[ScopeEntry, CollectionError]] = field(default_factory=list)
    warnings: list[CollectionError] = field(default_factory=list)


def _is_active(account: Mapping[str, Any]) -> bool:
    # Organizations is retiring the Status field in favour of State; read State first.
    state = account.get("State") or account.get("Status")
    return str(state).upper() == "ACTIVE"


def organization_accounts(factory: SessionFactory) -> list[str]:
    """List the active accounts of the caller's organisation, every page."""
    client = factory.client(factory.base_session, "organizations", factory.home_region, factory.caller().account)
    accounts: list[str] = []
    try:
        for page in client.get_paginator("list_accounts").paginate():
            accounts.extend(a["Id"] for a in page.get("Accounts", []) if _is_active(a))
    except (ClientError, BotoCoreError) as exc:
        raise DiscoveryError(
            f"organizations:ListAccounts failed with {error_code(exc)}: {error_message(exc)}",
            hint="run from the management or a delegated administrator account, or list audit.accounts",
        ) from exc
    return sorted(accounts)


def choose_accounts(settings: AuditSettings, factory: SessionFactory) -> list[str]:
    if settings.organization:
        discovered = organization_accounts(factory)
        chosen = [a for a in discovered if a in set(settings.accounts)] if settings.accounts else discovered
    else:
        chosen = list(dict.fromkeys(settings.accounts)) or [factory.caller().account]
    excluded = set(settings.exclude_accounts)
    return [a for a in chosen if a not in excluded]


def enabled_regions(factory: SessionFactory, account: str) -> list[str]:
    """Return the regions enabled for the account; raises ClientError or BotoCoreError."""
    session = factory.session_for(account)
    client = factory.client(session, "account", factory.home_region, account)
    regions: list[str] = []
    paginator = client.get_paginator("list_regions")
    for page in paginator.paginate(RegionOptStatusContains=list(ENABLED_STATUSES)):
        regions.extend(r["RegionName"] for r in page.get("Regions", []))
    return sorted(regions)


def plan_targets(settings: AuditSettings, factory: SessionFactory) -> TargetPlan:
    plan = TargetPlan()
    for account in choose_accounts(settings, factory):
        _plan_account(settings, factory, account, plan)
    return plan


def _plan_account(settings: AuditSettings, factory: SessionFactory, account: str, plan: TargetPlan) -> None:
    configured = list(dict.fromkeys(settings.regions))
    try:
        enabled = enabled_regions(factory, account)
    except (ClientError, BotoCoreError) as exc:
        code, message = error_code(exc), error_message(exc)
        operation = "AssumeRole" if _assume_failed(exc) else "ListRegions"
        error = CollectionError(account, UNKNOWN_REGION, operation, code, message)
        if operation == "AssumeRole":
            reason = f"AssumeRole failed with {code}: {message}"
            for region in configured or [UNKNOWN_REGION]:
                entry = ScopeEntry(account, region, ScopeStatus.UNREADABLE, reason)
                plan.unreadable.append((entry, CollectionError(account, region, operation, code, message)))
            return
        if not configured:
            reason = f"enabled regions could not be listed: ListRegions failed with {code}: {message}"
            plan.unreadable.append((ScopeEntry(account, UNKNOWN_REGION, ScopeStatus.UNREADABLE, reason), error))
            return
        # Without ListRegions the listed regions are tried as they are; a region that
        # turns out to be disabled then fails as a unit instead of being skipped.
        logger.warning("account=%s operation=ListRegions error=%s regions=as-configured", account, code)
        plan.warnings.append(error)
        plan.targets.extend(Target(account, region) for region in configured)
        return
    if not configured:
        plan.targets.extend(Target(account, region) for region in enabled)
        return
    for region in configured:
        if region in enabled:
            plan.targets.append(Target(account, region))
        else:
            plan.skipped.append(
                ScopeEntry(account, region, ScopeStatus.SKIPPED, "region is not enabled for the account")
            )


def _assume_failed(exc: ClientError | BotoCoreError) -> bool:
    return isinstance(exc, ClientError) and exc.operation_name == "AssumeRole"
