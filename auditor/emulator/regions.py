"""The regions of the ``aws`` partition and which of them an account must opt in to.

The region list comes from botocore's endpoint data, so it grows with botocore.
The AWS Account Management guide ("Enable or disable AWS Regions in your
account") states that regions launched before 20 March 2019 are enabled for every
account and cannot be disabled, and that every later region is an opt-in region,
disabled until the account enables it. The Account Management API reports the
first kind as ``ENABLED_BY_DEFAULT`` and the second as ``ENABLED``, ``ENABLING``,
``DISABLING`` or ``DISABLED``.
"""

from __future__ import annotations

import functools

from botocore.loaders import create_loader

PARTITION = "aws"

# The seventeen regions of the partition that launched before 20 March 2019.
ENABLED_BY_DEFAULT_REGIONS: frozenset[str] = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ap-south-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ca-central-1",
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-north-1",
        "sa-east-1",
    }
)

# RegionOptStatus values of the Account Management API (botocore ``account`` model).
ENABLED_BY_DEFAULT = "ENABLED_BY_DEFAULT"
ENABLED = "ENABLED"
ENABLING = "ENABLING"
DISABLING = "DISABLING"
DISABLED = "DISABLED"
OPT_IN_STATUSES: frozenset[str] = frozenset({ENABLED, ENABLING, DISABLING, DISABLED})
# Statuses in which a region accepts requests. While a region is still enabling, or
# already disabling, AWS rejects the account's credentials there as well.
USABLE_STATUSES: frozenset[str] = frozenset({ENABLED_BY_DEFAULT, ENABLED})


@functools.lru_cache(maxsize=1)
def partition_regions() -> tuple[str, ...]:
    """Return every region of the ``aws`` partition in botocore's endpoint data, sorted."""
    endpoints = create_loader().load_data("endpoints")
    for partition in endpoints["partitions"]:
        if partition["partition"] == PARTITION:
            return tuple(sorted(partition["regions"]))
    raise LookupError(f"botocore's endpoint data has no {PARTITION!r} partition")


def is_opt_in_region(region: str) -> bool:
    """Return whether `region` is a region of the partition that accounts must enable."""
    return region in partition_regions() and region not in ENABLED_BY_DEFAULT_REGIONS


def opt_in_regions() -> tuple[str, ...]:
    return tuple(region for region in partition_regions() if region not in ENABLED_BY_DEFAULT_REGIONS)


def default_status(region: str) -> str:
    """Return the status of `region` in an account that never changed its regions."""
    return DISABLED if is_opt_in_region(region) else ENABLED_BY_DEFAULT
