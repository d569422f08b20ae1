"""Result types of the policy analyser: statements, audiences, grants and the analysis."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

# Organisation id recorded for a condition on the ${aws:ResourceOrgID} policy
# variable, which names the organisation of the account that owns the resource.
OWNER_ORGANIZATION = "${aws:ResourceOrgID}"


class PolicyParseError(ValueError):
    """Policy text that is not valid JSON or not a valid IAM policy document."""


@dataclass(frozen=True, order=True)
class StatementRef:
    """Position of a statement in its policy: zero-based index and optional Sid."""

    index: int
    sid: str | None

    def __str__(self) -> str:
        if self.sid:
            return f"statement {self.index} ({self.sid})"
        return f"statement {self.index}"


class Audience(StrEnum):
    """Kind of caller that a grant reaches."""

    PUBLIC = "public"
    ACCOUNT = "account"
    ORGANIZATION = "organization"
    SERVICE = "service"
    NETWORK = "network"
    # A principal named only by aws:userid or by an ARN without an account id.
    PRINCIPAL = "principal"
    # Users of a SAML or OIDC identity provider, or of a narrowed web identity provider.
    FEDERATED = "federated"


@dataclass(frozen=True)
class Grant:
    """Actions that one Allow statement gives one audience, after Deny statements.

    `principal` is "*", an account id, an ARN or ARN pattern, a service name or
    the organisation ids. `account` is the 12-digit account the grant reaches
    when the principal or a condition names it. `fail_open` marks a grant whose
    only limit is a condition that is true when its key is absent, so it counts
    as public whatever its audience.
    """

    audience: Audience
    principal: str
    account: str | None
    actions: frozenset[str]
    statement: StatementRef
    restriction: str | None
    fail_open: bool
    organization_ids: tuple[str, ...] = ()
    # Action or NotAction patterns as written, for checks that flag "ecr:*" or "*".
    action_patterns: tuple[str, ...] = ()
    not_action: bool = False
    # Resource patterns as written. NotResource patterns carry a "NOT " prefix.
    resources: tuple[str, ...] = ("*",)
    # Deny statements that narrowed this grant or removed some of its actions.
    narrowed_by: tuple[StatementRef, ...] = ()
    # A service principal that no aws:SourceAccount, aws:SourceArn or
    # aws:SourceOrgID condition ties to a caller's resource.
    confused_deputy: bool = False

    @property
    def is_public(self) -> bool:
        return self.audience is Audience.PUBLIC or self.fail_open


_EMPTY_SCOPE_MAP: Mapping[StatementRef, frozenset[str]] = MappingProxyType({})


@dataclass(frozen=True)
class PolicyAnalysis:
    """Result of analysing one policy: the callers it lets in and the statements that grant them."""

    owner_account: str
    grants: tuple[Grant, ...]
    public: bool
    public_actions: frozenset[str]
    # Accounts other than the owner, each with the actions granted to it.
    external_accounts: Mapping[str, frozenset[str]]
    fail_open_statements: tuple[StatementRef, ...]
    # Unique ids (AROA..., AIDA...) that IAM shows in place of deleted principals.
    dangling_principals: tuple[str, ...]
    # Service principals granted access without a source account, ARN or organisation.
    confused_deputy: tuple[str, ...]
    # Allow statements whose grants are limited by network conditions only.
    network_restricted: tuple[StatementRef, ...]
    statements: tuple[StatementRef, ...] = ()
    # ECR actions that statements name but the `actions` scope of the analysis excludes.
    out_of_scope_actions: Mapping[StatementRef, frozenset[str]] = field(
        default_factory=lambda: _EMPTY_SCOPE_MAP
    )

    def grants_for(
        self, audience: Audience | None = None, *, account: str | None = None
    ) -> tuple[Grant, ...]:
        """Select grants by audience and account.

        `Audience.PUBLIC` also selects fail-open grants, which count as public.
        """
        return tuple(grant for grant in self.grants if _grant_selected(grant, audience, account))

    def actions_for(
        self, audience: Audience | None = None, *, account: str | None = None
    ) -> frozenset[str]:
        """Collect the actions granted to an audience or account (all grants by default)."""
        actions: set[str] = set()
        for grant in self.grants_for(audience, account=account):
            actions |= grant.actions
        return frozenset(actions)

    def statements_responsible(
        self,
        audience: Audience | None = None,
        *,
        account: str | None = None,
        actions: Iterable[str] | None = None,
    ) -> tuple[StatementRef, ...]:
        """List the Allow statements behind the selected grants, in policy order.

        With `actions`, only grants that include one of them count.
        """
        requested = None if actions is None else frozenset(actions)
        refs = {
            grant.statement
            for grant in self.grants_for(audience, account=account)
            if requested is None or grant.actions & requested
        }
        return tuple(sorted(refs))

    @property
    def external_grants(self) -> tuple[Grant, ...]:
        return tuple(
            grant
            for grant in self.grants
            if grant.account is not None and grant.account != self.owner_account
        )


def _grant_selected(grant: Grant, audience: Audience | None, account: str | None) -> bool:
    if account is not None and grant.account != account:
        return False
    if audience is None:
        return True
    if audience is Audience.PUBLIC:
        return grant.is_public
    return grant.audience is audience
