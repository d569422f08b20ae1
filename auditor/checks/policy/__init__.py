"""Analysis of the IAM resource policies on ECR registries, repositories and creation templates.

`analyse_policy` reads one policy document and works out who it lets in: the
public, other AWS accounts, AWS Organizations organisations, AWS service
principals, or anyone inside a named network. It follows IAM policy evaluation
for resource policies as the IAM User Guide describes it ("Policy evaluation
logic", "IAM JSON policy elements: Condition operators", "AWS global condition
context keys"):

- Only Allow statements grant. An explicit Deny removes the actions it covers
  from every grant it certainly applies to. A Deny on everyone outside a set
  (for example `StringNotEquals aws:PrincipalOrgID`) narrows each grant to that
  set, exactly as the same condition on the Allow would.
- A wildcard principal (`"*"`, `{"AWS": "*"}`, or `NotPrincipal` with Allow) is
  limited only by a condition on who calls or where from, with an operator that
  constrains the value and a value that is not a wildcard.
- `...IfExists` and `ForAllValues:` are true when the key is absent from the
  request, so on a key that can be absent they limit nothing: the grant fails
  open and counts as public. `ForAnyValue:` is false on an absent key.

Service control policies, resource control policies, identity policies and the
Resource element are outside this analysis: a grant is reported whatever
repositories its Resource names.

The package is split by stage: `parse` reads the document, `conditions` reads
condition clauses as limits on callers, `allow` turns Allow statements into
grants, `deny` applies Deny statements to them, and `analysis` runs the whole
and summarises. `model` holds the result types.
"""

from __future__ import annotations

from auditor.checks.ecr_actions import (
    ECR_ACTIONS,
    V1_ENFORCED_ACTIONS,
    WRITE_ACTIONS,
    expand_actions,
)
from auditor.checks.policy.analysis import analyse_policy
from auditor.checks.policy.model import (
    OWNER_ORGANIZATION,
    Audience,
    Grant,
    PolicyAnalysis,
    PolicyParseError,
    StatementRef,
)

__all__ = [
    "ECR_ACTIONS",
    "OWNER_ORGANIZATION",
    "V1_ENFORCED_ACTIONS",
    "WRITE_ACTIONS",
    "Audience",
    "Grant",
    "PolicyAnalysis",
    "PolicyParseError",
    "StatementRef",
    "analyse_policy",
    "expand_actions",
]
