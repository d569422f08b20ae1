"""Which accounts and grants an organisation trusts.

The trusted set is the owning account, the accounts in ``trusted_accounts`` and,
with ``trust_organization`` on, every account of the audit scope (the accounts of
the organisation that this run audits) and grants limited to ``organization_id``.
Shared by the PERM, PTC, REPL and TMPL checks so that they agree.
"""

from __future__ import annotations

from auditor.checks.engine import Context
from auditor.checks.policy import OWNER_ORGANIZATION, Audience, Grant, PolicyAnalysis


def trusted_accounts(context: Context) -> frozenset[str]:
    settings = context.settings
    trusted = set(settings.trusted_accounts)
    if settings.trust_organization:
        trusted.update(r.account for r in context.inventory.audited())
    return frozenset(trusted)


def is_trusted_account(account: str, owner: str, context: Context) -> bool:
    return account == owner or account in trusted_accounts(context)


def is_trusted_grant(grant: Grant, owner: str, context: Context) -> bool:
    """Tell whether a grant reaches only the owner and trusted accounts.

    Public and fail-open grants are never trusted. A grant limited to an
    organisation is trusted only with ``trust_organization`` on and an organisation
    id that is ``organization_id`` or the owner's own (``${aws:ResourceOrgID}``).
    """
    if grant.is_public:
        return False
    if grant.audience is Audience.ORGANIZATION:
        settings = context.settings
        if not settings.trust_organization:
            return False
        accepted = {OWNER_ORGANIZATION}
        if settings.organization_id:
            accepted.add(settings.organization_id)
        return bool(grant.organization_ids) and set(grant.organization_ids) <= accepted
    if grant.account is None:
        # A service principal with no source account, a network-only grant or a
        # principal named without an account reaches no identifiable external account.
        return True
    return is_trusted_account(grant.account, owner, context)


def untrusted_grants(analysis: PolicyAnalysis, context: Context) -> list[Grant]:
    """Return the grants that reach someone outside the owner and the trusted set, public ones excluded."""
    owner = analysis.owner_account
    return [g for g in analysis.grants if not g.is_public and not is_trusted_grant(g, owner, context)]
