"""Entry point of the policy analyser: `analyse_policy` and the summary it returns."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from auditor.checks.ecr_actions import ECR_ACTIONS
from auditor.checks.policy.allow import (
    _allow_grants,
)
from auditor.checks.policy.deny import (
    _apply_deny,
    _deny_rule,
)
from auditor.checks.policy.model import (
    Audience,
    Grant,
    PolicyAnalysis,
    StatementRef,
)
from auditor.checks.policy.parse import (
    _ACCOUNT_ID,
    _UNIQUE_ID,
    _parse_policy,
    _Statement,
)


def _unique(items: Iterable[Grant]) -> Iterator[Grant]:
    seen: list[Grant] = []
    for item in items:
        if item not in seen:
            seen.append(item)
            yield item


def analyse_policy(
    document: str | bytes | Mapping[str, Any],
    owner_account: str,
    *,
    actions: frozenset[str] | None = None,
) -> PolicyAnalysis:
    """Analyse one resource policy of a registry, repository or creation template.

    `document` is the policy text as ECR returns it, or the parsed JSON object.
    `owner_account` is the account that owns the registry. `actions` limits the
    actions that count, for example V1_ENFORCED_ACTIONS under the V1 registry
    policy scope; None counts every ECR action.

    Raises PolicyParseError when the text is not JSON or not a policy document,
    naming what is wrong, and ValueError when `owner_account` is not a 12-digit id.
    """
    if not _ACCOUNT_ID.fullmatch(owner_account):
        raise ValueError(f"owner account must be a 12-digit account id, not {owner_account!r}")
    scope = ECR_ACTIONS if actions is None else frozenset(actions)
    statements = _parse_policy(document, scope, owner_account)

    grants: list[Grant] = []
    for statement in statements:
        if statement.effect == "Allow":
            grants.extend(_allow_grants(statement))

    fail_open_refs: set[StatementRef] = set()
    for statement in statements:
        if statement.effect == "Deny":
            grants = _apply_deny(grants, _deny_rule(statement), fail_open_refs)

    kept = tuple(_unique(grant for grant in grants if grant.actions))
    return _summarise(kept, statements, owner_account, fail_open_refs)


def _summarise(
    grants: tuple[Grant, ...],
    statements: Sequence[_Statement],
    owner_account: str,
    fail_open_refs: set[StatementRef],
) -> PolicyAnalysis:
    public_actions: set[str] = set()
    external: dict[str, frozenset[str]] = {}
    for grant in grants:
        if grant.is_public:
            public_actions |= grant.actions
        if grant.account is not None and grant.account != owner_account:
            external[grant.account] = external.get(grant.account, frozenset()) | grant.actions

    fail_open_refs |= {grant.statement for grant in grants if grant.fail_open}
    dangling = {
        principal.value
        for statement in statements
        for principal in statement.principals
        if principal.type == "AWS" and _UNIQUE_ID.fullmatch(principal.value)
    }
    out_of_scope = {statement.ref: statement.out_of_scope for statement in statements if statement.out_of_scope}

    return PolicyAnalysis(
        owner_account=owner_account,
        grants=grants,
        public=bool(public_actions),
        public_actions=frozenset(public_actions),
        external_accounts=MappingProxyType(dict(sorted(external.items()))),
        fail_open_statements=tuple(sorted(fail_open_refs)),
        dangling_principals=tuple(sorted(dangling)),
        confused_deputy=tuple(sorted({grant.principal for grant in grants if grant.confused_deputy})),
        network_restricted=tuple(
            sorted({grant.statement for grant in grants if grant.audience is Audience.NETWORK and not grant.fail_open})
        ),
        statements=tuple(statement.ref for statement in statements),
        out_of_scope_actions=MappingProxyType(out_of_scope),
    )
