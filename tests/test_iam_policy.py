import json
from pathlib import Path

from auditor.aws.permissions import CALLER_ONLY, READ_ONLY_OPERATIONS, iam_policy_documents

DOC = Path(__file__).resolve().parents[1] / "docs" / "iam-policy.json"


def test_iam_policy_document_is_current():
    assert json.loads(DOC.read_text()) == iam_policy_documents(), "regenerate: ecr-auditor iam-policy > docs/iam-policy.json"


def test_member_role_is_read_only_and_complete():
    [statement] = iam_policy_documents()["member_account_role"]["Statement"]
    actions = set(statement["Action"])
    assert actions == set(READ_ONLY_OPERATIONS.values()) - CALLER_ONLY - {"sts:GetCallerIdentity"}
    verbs = ("Describe", "Get", "List", "BatchGet", "Validate")
    assert all(a.split(":")[1].startswith(verbs) for a in actions)
    assert {"kms:DescribeKey", "inspector2:ListFindings", "account:ListRegions"} <= actions


def test_caller_policy_separate():
    statements = iam_policy_documents()["caller"]["Statement"]
    assert {a for s in statements for a in s["Action"]} == {"organizations:ListAccounts", "sts:AssumeRole"}
