"""Repositories with their policies, lifecycle policies, tags, scanning, images, the
scan of each repository's latest image, and the KMS keys that encrypt them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from auditor.aws.session import error_code
from auditor.checks.filters import signing_rules_covering
from auditor.collect.base import CollectOptions, UnitCollector, all_pages, normalise
from auditor.inventory import REGISTRY, Kind, is_archived, is_scannable_image, latest_image
from auditor.vulnerabilities import image_in_use

logger = logging.getLogger(__name__)

# BatchGetRepositoryScanningConfiguration accepts at most 25 repository names.
_SCANNING_BATCH = 25


def collect_repositories(unit: UnitCollector) -> list[tuple[str, str]]:
    """Collect every repository and return the (repository, digest) of each image whose
    findings were read: the latest image and the images in use."""
    ecr = unit.clients.ecr
    try:
        answer = all_pages(ecr.describe_repositories, ("repositories",), maxResults=1000)
    except (ClientError, BotoCoreError) as exc:
        unit.listing_failed(Kind.REPOSITORY, "DescribeRepositories", exc)
        return []
    # Only the names, ARNs and KMS keys are kept: the listing itself is in the snapshots,
    # and a registry's whole listing would otherwise stay in memory while it is collected.
    repositories: list[Mapping[str, Any]] = []
    keys: set[str | None] = set()
    for raw in answer.pop("repositories"):
        repository = normalise(raw)
        name, arn = repository["repositoryName"], repository["repositoryArn"]
        unit.present(Kind.REPOSITORY, name, repository)
        repositories.append({"repositoryName": name, "repositoryArn": arn})
        keys.add(kms_key_of(repository.get("encryptionConfiguration")))
    names = [r["repositoryName"] for r in repositories]
    tags = region_tags(unit) if repositories else None
    signing = unit.find(Kind.SIGNING_CONFIGURATION, REGISTRY)
    signing_configuration = (signing.payload or {}).get("signingConfiguration") if signing else None
    with ThreadPoolExecutor(max_workers=unit.options.repository_workers, thread_name_prefix="repo") as pool:
        # The scanning batches share the pool with the repositories, so that a large
        # registry's 1 call per 25 repositories does not run one after another.
        batches = pool.map(lambda batch: _collect_scanning_batch(unit, batch), _batches(names, _SCANNING_BATCH))
        # list() re-raises anything unexpected from a worker instead of dropping it.
        scanned = list(pool.map(lambda r: _collect_one(unit, r, signing_configuration, tags), repositories))
        list(batches)
    collect_kms_keys(unit, keys)
    return [image for images in scanned for image in images]


def region_tags(unit: UnitCollector) -> dict[str, list[Any]] | None:
    """Read the tags of every tagged repository of the region through the Resource Groups
    Tagging API, 100 repositories a call; None when that fails.

    GetResources lists the repositories that have tags (or had them), so a repository it
    does not list has none. On any failure (for example a role without
    tag:GetResources) the caller falls back to ListTagsForResource per repository.
    """
    tagging = unit.clients.tagging
    if tagging is None:
        return None
    found: dict[str, list[Any]] = {}
    token = ""
    try:
        while True:
            page = tagging.get_resources(
                ResourceTypeFilters=["ecr:repository"],
                ResourcesPerPage=100,
                **({"PaginationToken": token} if token else {}),
            )
            for mapping in page.get("ResourceTagMappingList", []):
                found[str(mapping.get("ResourceARN", ""))] = list(mapping.get("Tags") or [])
            token = page.get("PaginationToken") or ""
            if not token:
                break
    except (ClientError, BotoCoreError) as exc:
        logger.warning(
            "account=%s region=%s operation=GetResources error=%s: reading tags per repository instead",
            unit.account,
            unit.region,
            error_code(exc),
        )
        return None
    return found


def _collect_one(
    unit: UnitCollector,
    repository: Mapping[str, Any],
    signing: Mapping[str, Any] | None,
    tags: Mapping[str, list[Any]] | None,
) -> list[tuple[str, str]]:
    ecr = unit.clients.ecr
    name = repository["repositoryName"]
    unit.fetch(
        Kind.REPOSITORY_POLICY,
        name,
        "GetRepositoryPolicy",
        lambda: ecr.get_repository_policy(repositoryName=name),
        absent=("RepositoryPolicyNotFoundException",),
    )
    unit.fetch(
        Kind.LIFECYCLE_POLICY,
        name,
        "GetLifecyclePolicy",
        lambda: ecr.get_lifecycle_policy(repositoryName=name),
        absent=("LifecyclePolicyNotFoundException",),
    )
    if tags is None:
        unit.fetch(
            Kind.REPOSITORY_TAGS,
            name,
            "ListTagsForResource",
            lambda: ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"]),
        )
    else:
        listed = sorted(tags.get(repository["repositoryArn"], []), key=lambda t: str(t.get("Key")))
        unit.present(Kind.REPOSITORY_TAGS, name, normalise({"tags": listed, "source": "tag:GetResources"}))
    images = unit.fetch(
        Kind.IMAGES,
        name,
        "DescribeImages",
        lambda: all_pages(ecr.describe_images, ("imageDetails",), repositoryName=name, maxResults=1000),
        shape=_images_payload,
    )
    if not images.present:
        return []
    details = images.payload["imageDetails"]
    latest = latest_image(details)
    if latest is None:
        return []
    digests = [latest["imageDigest"], *images_in_use(details, unit.options, exclude=latest["imageDigest"])]
    for digest in digests:
        collect_scan_findings(unit, name, digest)
    if signing and signing_rules_covering(signing, name):
        collect_signing_status(unit, name, latest["imageDigest"])
    return [(name, digest) for digest in digests]


def images_in_use(details: list[Mapping[str, Any]], options: CollectOptions, exclude: str) -> list[str]:
    """Digests of scannable, non-archived images pushed or pulled within in_use_days."""
    now = options.now or datetime.now(UTC)
    return sorted(
        d["imageDigest"]
        for d in details
        if d.get("imageDigest") != exclude
        and is_scannable_image(d)
        and not is_archived(d)
        and image_in_use(d, now, options.in_use_days)
    )


def collect_signing_status(unit: UnitCollector, repository: str, digest: str) -> None:
    ecr = unit.clients.ecr
    unit.fetch(
        Kind.IMAGE_SIGNING_STATUS,
        f"{repository}@{digest}",
        "DescribeImageSigningStatus",
        lambda: ecr.describe_image_signing_status(repositoryName=repository, imageId={"imageDigest": digest}),
        absent=("ImageNotFoundException",),
    )


def _images_payload(answer: Mapping[str, Any]) -> Any:
    # Sorted by digest so that the same images give the same payload (and hash)
    # whatever order the pages came in.
    details = sorted(answer["imageDetails"], key=lambda d: d.get("imageDigest", ""))
    return normalise({"imageDetails": details})


def collect_scan_findings(unit: UnitCollector, repository: str, digest: str) -> None:
    """Read the scan of one image, every page. Under AWS-native basic scanning this is
    the only place the scan status appears: describe_images leaves it out."""
    ecr = unit.clients.ecr

    def call() -> Mapping[str, Any]:
        return _all_finding_pages(ecr, repository, digest)

    unit.fetch(
        Kind.IMAGE_SCAN_FINDINGS,
        f"{repository}@{digest}",
        "DescribeImageScanFindings",
        call,
        absent=("ScanNotFoundException", "ImageNotFoundException"),
    )


def _all_finding_pages(ecr: Any, repository: str, digest: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    findings: list[Any] = []
    enhanced: list[Any] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {
            "repositoryName": repository,
            "imageId": {"imageDigest": digest},
            "maxResults": 1000,
        }
        if token:
            params["nextToken"] = token
        page = ecr.describe_image_scan_findings(**params)
        if not merged:
            merged = dict(page)
        section = page.get("imageScanFindings") or {}
        findings.extend(section.get("findings", []))
        enhanced.extend(section.get("enhancedFindings", []))
        token = page.get("nextToken")
        if not token:
            break
    section = dict(merged.get("imageScanFindings") or {})
    if section or findings or enhanced:
        # Keep the keys AWS sent: an absent key and an empty list mean different things
        # for a COMPLETE scan under enhanced scanning.
        if "findings" in section or findings:
            section["findings"] = findings
        if "enhancedFindings" in section or enhanced:
            section["enhancedFindings"] = enhanced
        merged["imageScanFindings"] = section
    return merged


def _batches(names: list[str], size: int) -> list[list[str]]:
    return [names[start : start + size] for start in range(0, len(names), size)]


def collect_repository_scanning(unit: UnitCollector, names: list[str]) -> None:
    """Read each repository's effective scanning configuration in batches of 25, one batch after another."""
    for batch in _batches(names, _SCANNING_BATCH):
        _collect_scanning_batch(unit, batch)


def _collect_scanning_batch(unit: UnitCollector, batch: list[str]) -> None:
    try:
        answer = unit.clients.ecr.batch_get_repository_scanning_configuration(repositoryNames=batch)
    except (ClientError, BotoCoreError) as exc:
        for name in batch:
            unit.failure(Kind.REPOSITORY_SCANNING, name, "BatchGetRepositoryScanningConfiguration", exc)
        return
    for configuration in answer.get("scanningConfigurations", []):
        unit.present(Kind.REPOSITORY_SCANNING, configuration["repositoryName"], normalise(configuration))
    for failure in answer.get("failures", []):
        error = ClientError(
            {"Error": {"Code": failure.get("failureCode", "Failure"), "Message": failure.get("failureReason", "")}},
            "BatchGetRepositoryScanningConfiguration",
        )
        name = failure["repositoryName"]
        unit.failure(Kind.REPOSITORY_SCANNING, name, "BatchGetRepositoryScanningConfiguration", error)


def kms_key_of(encryption: Mapping[str, Any] | None) -> str | None:
    if not encryption:
        return None
    if str(encryption.get("encryptionType", "")).upper() not in ("KMS", "KMS_DSSE"):
        return None
    key = encryption.get("kmsKey")
    return str(key) if key else None


def collect_kms_keys(unit: UnitCollector, repository_keys: set[str | None]) -> None:
    """Describe each distinct KMS key of the repositories and templates once, to tell
    customer-managed keys from AWS-managed."""
    keys = set(repository_keys)
    templates = [s.payload for s in unit.snapshots if s.kind is Kind.CREATION_TEMPLATE and s.present]
    keys.update(kms_key_of(t.get("encryptionConfiguration")) for t in templates)
    kms = unit.clients.kms
    for key in sorted(k for k in keys if k):
        unit.fetch(
            Kind.KMS_KEY,
            key,
            "DescribeKey",
            lambda k=key: kms.describe_key(KeyId=k),  # type: ignore[misc]
            absent=("NotFoundException",),
        )
