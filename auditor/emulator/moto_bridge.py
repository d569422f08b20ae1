"""The few places where the emulator reads or changes moto's in-process backends.

moto 5.2.5 keeps every backend in process-global dictionaries keyed by account and
region. The emulator's HTTP server runs moto in the same process, so the layer
can look up repositories and KMS keys directly instead of calling itself over
HTTP. Everything that depends on moto internals lives here, so a moto upgrade
touches one module.
"""

from __future__ import annotations

import logging
import os
import re
import threading

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ecr.models import Repository, ecr_backends
from moto.iam.models import get_account_id_from
from moto.kms.models import kms_backends
from moto.moto_api._internal.models import moto_api_backend
from moto.organizations.models import organizations_backends
from moto.sts.models import sts_backends

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "account_for_access_key",
    "caller_arn",
    "create_repository_direct",
    "ensure_aws_managed_key",
    "kms_key_exists",
    "management_account",
    "repository",
    "repository_names",
    "repository_tags",
    "reset_moto",
]

_KMS_KEY_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"key/(?P<key_id>[A-Za-z0-9-]+)$"
)
_managed_key_lock = threading.Lock()


def account_for_access_key(access_key: str | None) -> str:
    """Return the account that moto attributes a request with this access key to.

    Follows moto's own order, so that the layer and moto always agree. The
    ``MOTO_ACCOUNT_ID`` environment variable wins. Next comes the account of an
    access key that moto issued, for example through STS AssumeRole. Any other
    key belongs to moto's default account 123456789012.
    """
    forced = os.environ.get("MOTO_ACCOUNT_ID")
    if forced:
        return forced
    if not access_key:
        return DEFAULT_ACCOUNT_ID
    return get_account_id_from(access_key)


def caller_arn(access_key: str | None, region: str) -> str:
    """Return the ARN that STS GetCallerIdentity reports for an access key, as moto computes it.

    Keys from AssumeRole give the assumed-role ARN; any other key gives moto's
    placeholder user ``arn:aws:sts::<account>:user/moto``.
    """
    account = account_for_access_key(access_key)
    _user_id, arn, _account = sts_backends[account]["aws"].get_caller_identity(access_key or "", region)
    return str(arn)


def management_account(account: str) -> str | None:
    """Return the management account of the moto organization that `account` belongs to, or None."""
    membership = organizations_backends.master_accounts.get(account)
    if membership is not None:
        return str(membership[0])
    if organizations_backends[account]["aws"].org is not None:
        return account
    return None


def repository(account: str, region: str, name: str) -> Repository | None:
    """Return moto's repository object, or None when the registry has no such repository."""
    return ecr_backends[account][region].repositories.get(name)


def repository_names(account: str, region: str) -> list[str]:
    """Return the names of moto's repositories in creation order."""
    return list(ecr_backends[account][region].repositories)


def repository_tags(account: str, region: str) -> list[tuple[str, dict[str, str]]]:
    """Return (repository ARN, tags) for each repository that has tags, in creation order,
    as the Resource Groups Tagging API lists them."""
    backend = ecr_backends[account][region]
    found = []
    for repository in list(backend.repositories.values()):
        tags = dict(backend.tagger.get_tag_dict_for_resource(repository.arn))
        if tags:
            found.append((repository.arn, tags))
    return found


def create_repository_direct(
    account: str,
    region: str,
    name: str,
    *,
    mutability: str = "MUTABLE",
    encryption: dict[str, str] | None = None,
    scan_on_push: bool = False,
    tags: dict[str, str] | None = None,
    exclusion_filters: list[str] | None = None,
) -> Repository:
    """Create a repository in moto's ECR backend without an HTTP round trip.

    For bulk seeding only: it skips the layer's CreateRepository checks, so the
    caller passes a valid name and, for KMS encryption, a key ARN that exists.
    """
    repository: Repository = ecr_backends[account][region].create_repository(
        repository_name=name,
        registry_id=None,
        encryption_config=dict(encryption) if encryption else {"encryptionType": "AES256"},
        image_scan_config={"scanOnPush": scan_on_push},
        image_tag_mutability=mutability,
        tags=[{"Key": key, "Value": value} for key, value in (tags or {}).items()],
        image_tag_mutability_exclusion_filters=(
            None
            if exclusion_filters is None
            else [{"filterType": "WILDCARD", "filter": pattern} for pattern in exclusion_filters]
        ),
    )
    return repository


def ensure_aws_managed_key(account: str, region: str, service: str = "ecr") -> str:
    """Create (once) the AWS managed key ``alias/aws/<service>`` and return its ARN.

    moto 5.2.5 creates managed keys only for a fixed list of aliases that lacks
    ``alias/aws/ecr``, and reports every key it creates as ``KeyManager:
    CUSTOMER``. ECR encrypts a repository created with ``encryptionType: KMS`` and
    no ``kmsKey`` with the account's AWS managed ``aws/ecr`` key, for which
    DescribeKey returns ``KeyManager: AWS``. This builds that key in moto's
    KMS backend so that DescribeKey over HTTP returns it.
    """
    alias = f"alias/aws/{service}"
    backend = kms_backends[account][region]
    with _managed_key_lock:
        existing = backend.get_key_id_from_alias(alias)
        if existing is not None:
            return str(backend.keys[existing].arn)
        key = backend.create_key(
            policy=None,
            key_usage="ENCRYPT_DECRYPT",
            key_spec="SYMMETRIC_DEFAULT",
            description=(f"Default key that protects my {service.upper()} data when no other key is defined"),
            tags=None,
        )
        key.key_manager = "AWS"
        backend.create_alias(key.id, alias)
        logger.debug("created AWS managed key %s for %s in %s/%s", key.arn, alias, account, region)
        return str(key.arn)


def kms_key_exists(key_arn: str) -> bool:
    """Return whether a KMS key ARN names a key that exists in moto's KMS backend."""
    match = _KMS_KEY_ARN.match(key_arn)
    if match is None:
        return False
    backend = kms_backends[match["account"]][match["region"]]
    return match["key_id"] in backend.keys


def reset_moto() -> None:
    """Clear every moto backend of this process (the same as POST /moto-api/reset)."""
    moto_api_backend.reset()
