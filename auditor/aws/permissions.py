"""The read-only operations that ecr-auditor may call, with the IAM permission each needs.

This table is the allow-list: every client the collectors build refuses any other
operation before it leaves the process, and a test holds the collectors to it.
"""

from __future__ import annotations

from types import MappingProxyType

# (service, operation) -> IAM action. Service names are boto3's.
READ_ONLY_OPERATIONS = MappingProxyType(
    {
        ("ecr", "DescribeRepositories"): "ecr:DescribeRepositories",
        ("ecr", "GetRepositoryPolicy"): "ecr:GetRepositoryPolicy",
        ("ecr", "GetLifecyclePolicy"): "ecr:GetLifecyclePolicy",
        ("ecr", "ListTagsForResource"): "ecr:ListTagsForResource",
        ("ecr", "DescribeImages"): "ecr:DescribeImages",
        ("ecr", "DescribeImageScanFindings"): "ecr:DescribeImageScanFindings",
        ("ecr", "GetRegistryPolicy"): "ecr:GetRegistryPolicy",
        ("ecr", "DescribeRegistry"): "ecr:DescribeRegistry",
        ("ecr", "DescribePullThroughCacheRules"): "ecr:DescribePullThroughCacheRules",
        # Makes ECR contact the upstream registry, so it runs only when the config asks.
        ("ecr", "ValidatePullThroughCacheRule"): "ecr:ValidatePullThroughCacheRule",
        ("ecr", "DescribeRepositoryCreationTemplates"): "ecr:DescribeRepositoryCreationTemplates",
        ("ecr", "GetRegistryScanningConfiguration"): "ecr:GetRegistryScanningConfiguration",
        ("ecr", "BatchGetRepositoryScanningConfiguration"): "ecr:BatchGetRepositoryScanningConfiguration",
        ("ecr", "GetAccountSetting"): "ecr:GetAccountSetting",
        ("ecr", "GetSigningConfiguration"): "ecr:GetSigningConfiguration",
        ("ecr", "DescribeImageSigningStatus"): "ecr:DescribeImageSigningStatus",
        ("kms", "DescribeKey"): "kms:DescribeKey",
        ("inspector2", "BatchGetAccountStatus"): "inspector2:BatchGetAccountStatus",
        ("inspector2", "GetConfiguration"): "inspector2:GetConfiguration",
        ("inspector2", "ListFindings"): "inspector2:ListFindings",
        ("account", "ListRegions"): "account:ListRegions",
        ("sts", "GetCallerIdentity"): "sts:GetCallerIdentity",
        ("sts", "AssumeRole"): "sts:AssumeRole",
        ("organizations", "ListAccounts"): "organizations:ListAccounts",
    }
)

# Permissions the calling identity needs in its own account, as opposed to the role
# that ecr-auditor assumes in every audited account.
CALLER_ONLY = frozenset({"sts:AssumeRole", "organizations:ListAccounts"})


class ForbiddenOperationError(RuntimeError):
    """A collector tried to call an operation that is not on the read-only allow-list."""


def is_allowed(service: str, operation: str) -> bool:
    return (service, operation) in READ_ONLY_OPERATIONS
