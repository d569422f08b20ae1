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
        # Makes ECR contact the upstream registry, so it runs only when the config enables it.
        ("ecr", "ValidatePullThroughCacheRule"): "ecr:ValidatePullThroughCacheRule",
        ("ecr", "DescribeRepositoryCreationTemplates"): "ecr:DescribeRepositoryCreationTemplates",
        ("ecr", "GetRegistryScanningConfiguration"): "ecr:GetRegistryScanningConfiguration",
        ("ecr", "BatchGetRepositoryScanningConfiguration"): "ecr:BatchGetRepositoryScanningConfiguration",
        ("ecr", "GetAccountSetting"): "ecr:GetAccountSetting",
        ("ecr", "GetSigningConfiguration"): "ecr:GetSigningConfiguration",
        ("ecr", "DescribeImageSigningStatus"): "ecr:DescribeImageSigningStatus",
        # The tags of every repository of a region in pages of 100, instead of one
        # ListTagsForResource per repository (which remains the fallback).
        ("resourcegroupstaggingapi", "GetResources"): "tag:GetResources",
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

# The only AWS calls ecr-auditor makes that change anything: sending the report by
# email through Amazon SES, and importing findings into AWS Security Hub when the
# report command is given --import-to-security-hub. They are deliberately absent from
# READ_ONLY_OPERATIONS, so no collector client can make them and the audit role never
# needs them. Only the delivery clients accept them, each for its own service:
# auditor.deliver.email for SES and auditor.report.securityhub for Security Hub.
DELIVERY_OPERATIONS = MappingProxyType(
    {
        # SES API v2 authorises SendEmail with raw content as ses:SendEmail.
        ("sesv2", "SendEmail"): "ses:SendEmail",
        ("ses", "SendRawEmail"): "ses:SendRawEmail",
        # DELIVERY (write): imports ASFF findings into the caller's own Security Hub.
        ("securityhub", "BatchImportFindings"): "securityhub:BatchImportFindings",
    }
)

# Permissions the calling identity needs in its own account, as opposed to the role
# that ecr-auditor assumes in every audited account.
CALLER_ONLY = frozenset({"sts:AssumeRole", "organizations:ListAccounts"})


class ForbiddenOperationError(RuntimeError):
    """A collector tried to call an operation that is not on the read-only allow-list."""


def is_allowed(service: str, operation: str) -> bool:
    return (service, operation) in READ_ONLY_OPERATIONS


def is_delivery_allowed(service: str, operation: str) -> bool:
    return (service, operation) in DELIVERY_OPERATIONS


def iam_policy_documents() -> dict[str, dict[str, object]]:
    """Build the IAM policies ecr-auditor needs, from the allow-list.

    ``member_account_role`` is the policy of the role assumed in every audited
    account (and of the caller in its own account); ``caller`` is what the calling
    identity needs besides, to discover accounts and assume that role. The role name
    in the caller's policy is the default ``audit.role_name``. sts:GetCallerIdentity
    needs no permission.
    """
    member = sorted(
        {action for action in READ_ONLY_OPERATIONS.values() if action not in CALLER_ONLY} - {"sts:GetCallerIdentity"}
    )
    return {
        "member_account_role": {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "EcrAuditorReadOnly", "Effect": "Allow", "Action": member, "Resource": "*"}],
        },
        "caller": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DiscoverAccounts",
                    "Effect": "Allow",
                    "Action": ["organizations:ListAccounts"],
                    "Resource": "*",
                },
                {
                    "Sid": "AssumeAuditRole",
                    "Effect": "Allow",
                    "Action": ["sts:AssumeRole"],
                    "Resource": "arn:aws:iam::*:role/ECRAuditorRole",
                },
            ],
        },
    }
