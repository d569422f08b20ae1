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

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "account_for_access_key",
    "ensure_aws_managed_key",
    "kms_key_exists",
    "repository",
    "repository_names",
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


def repository(account: str, region: str, name: str) -> Repository | None:
    """Return moto's repository object, or None when the registry has no such repository."""
    return ecr_backends[account][region].repositories.get(name)


def repository_names(account: str, region: str) -> list[str]:
    """Return the names of moto's repositories in creation order."""
    return list(ecr_backends[account][region].repositories)


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
