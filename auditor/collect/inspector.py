"""Amazon Inspector, for registries that use enhanced scanning: the account's ECR
scanning status, the ECR re-scan duration, and the findings of the images whose
findings the auditor reads."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from auditor.collect.base import UnitCollector, all_pages, normalise
from auditor.inventory import REGISTRY, Kind

logger = logging.getLogger(__name__)

# ListFindings accepts at most 10 values in one filter list (ecrImageHash).
_HASHES_PER_CALL = 10


def uses_enhanced_scanning(unit: UnitCollector) -> bool:
    snapshot = unit.find(Kind.REGISTRY_SCANNING_CONFIGURATION, REGISTRY)
    if snapshot is None or not snapshot.present:
        return False
    configuration = snapshot.payload.get("scanningConfiguration") or {}
    return str(configuration.get("scanType", "")).upper() == "ENHANCED"


def collect_inspector(unit: UnitCollector, images: list[tuple[str, str]]) -> None:
    if not uses_enhanced_scanning(unit) or unit.clients.inspector is None:
        return
    inspector = unit.clients.inspector
    unit.fetch(
        Kind.INSPECTOR_ACCOUNT_STATUS,
        unit.account,
        "BatchGetAccountStatus",
        lambda: inspector.batch_get_account_status(accountIds=[unit.account]),
    )
    unit.fetch(Kind.INSPECTOR_CONFIGURATION, REGISTRY, "GetConfiguration", inspector.get_configuration)
    # The repositories that contain each digest, because one image can be pushed to several.
    holders: dict[str, list[str]] = defaultdict(list)
    for repository, digest in sorted(set(images)):
        holders[digest].append(repository)
    digests = sorted(holders)
    batches = [digests[start : start + _HASHES_PER_CALL] for start in range(0, len(digests), _HASHES_PER_CALL)]
    # One ListFindings call per 10 digests: run them through a pool so that a
    # registry with thousands of images in use does not wait for each in turn.
    # NOTE: these calls (1 per 10 images read) are half the requests beyond 5 per repository + 1 per image in use.
    with ThreadPoolExecutor(max_workers=unit.options.repository_workers, thread_name_prefix="inspector") as pool:
        # list() re-raises anything unexpected from a worker instead of dropping it.
        list(pool.map(lambda batch: _collect_findings(unit, batch, holders), batches))


def _collect_findings(unit: UnitCollector, digests: list[str], holders: Mapping[str, list[str]]) -> None:
    criteria: dict[str, Any] = {
        "resourceType": [{"comparison": "EQUALS", "value": "AWS_ECR_CONTAINER_IMAGE"}],
        "ecrImageRegistry": [{"comparison": "EQUALS", "value": unit.account}],
        "ecrImageHash": [{"comparison": "EQUALS", "value": d} for d in digests],
    }
    targets = sorted((repository, digest) for digest in digests for repository in holders[digest])
    try:
        answer = all_pages(unit.clients.inspector.list_findings, ("findings",), filterCriteria=criteria, maxResults=100)
    except (ClientError, BotoCoreError) as exc:
        for repository, digest in targets:
            unit.failure(Kind.INSPECTOR_FINDINGS, f"{repository}@{digest}", "ListFindings", exc)
        return
    grouped: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for finding in answer["findings"]:
        for resource in finding.get("resources") or []:
            image = (resource.get("details") or {}).get("awsEcrContainerImage") or {}
            grouped[(str(image.get("repositoryName")), str(image.get("imageHash")))].append(finding)
    for repository, digest in targets:
        findings = sorted(grouped.get((repository, digest), []), key=lambda f: str(f.get("findingArn", "")))
        unit.present(Kind.INSPECTOR_FINDINGS, f"{repository}@{digest}", normalise({"findings": findings}))
