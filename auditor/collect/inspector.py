"""Amazon Inspector, for registries that use enhanced scanning: the account's ECR
scanning status, the ECR re-scan duration, and the findings of the images that
Inspector reports in use."""

from __future__ import annotations

import logging
import zlib
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from auditor.collect.base import UnitCollector, pages
from auditor.collect.repositories import collect_scan_findings
from auditor.inventory import REGISTRY, Kind, canonical_json

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
    """Read Inspector's ECR status and configuration, and the findings of every image that
    Inspector reports in use within ``in_use_days``.

    ``images`` are the (repository, digest) pairs whose scans were already read through
    DescribeImageScanFindings, which relays Inspector's findings as enhancedFindings.
    So Inspector is asked once per registry, for the images it saw running
    (``ecrImageLastInUseAt``), not once per ten images read. An image in use that
    was not read yet gets its scan read too, so VULN-02 judges it.
    """
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
    now = unit.options.now or datetime.now(UTC)
    criteria: dict[str, Any] = {
        "resourceType": [{"comparison": "EQUALS", "value": "AWS_ECR_CONTAINER_IMAGE"}],
        "ecrImageRegistry": [{"comparison": "EQUALS", "value": unit.account}],
        "ecrImageLastInUseAt": [
            {"startInclusive": now - timedelta(days=unit.options.in_use_days), "endInclusive": now}
        ],
    }
    # A registry can have thousands of findings of a few kilobytes each. So each is kept as
    # compressed canonical JSON while the pages are read, and parsed again only when read.
    grouped: dict[tuple[str, str], list[tuple[str, bytes]]] = defaultdict(list)
    try:
        for page in pages(inspector.list_findings, filterCriteria=criteria, maxResults=100):
            for finding in page.get("findings") or []:
                arn = str(finding.get("findingArn", ""))
                body = zlib.compress(canonical_json(finding).encode(), 1)
                for resource in finding.get("resources") or []:
                    image = (resource.get("details") or {}).get("awsEcrContainerImage") or {}
                    grouped[(str(image.get("repositoryName")), str(image.get("imageHash")))].append((arn, body))
    except (ClientError, BotoCoreError) as exc:
        unit.listing_failed(Kind.INSPECTOR_FINDINGS, "ListFindings", exc)
        return
    for (repository, digest), findings in sorted(grouped.items()):
        # The same text that canonical_json({"findings": [...]}) gives, findings in ARN order.
        joined = ",".join(zlib.decompress(body).decode() for _, body in sorted(findings, key=lambda f: f[0]))
        unit.present_body(Kind.INSPECTOR_FINDINGS, f"{repository}@{digest}", '{"findings":[' + joined + "]}")
    read = set(images)
    listed = {s.name for s in unit.snapshots_of(Kind.REPOSITORY)}
    unread = sorted(key for key in grouped if key not in read and key[0] in listed)
    if unread:
        with ThreadPoolExecutor(max_workers=unit.options.repository_workers, thread_name_prefix="inspector") as pool:
            # list() re-raises anything unexpected from a worker instead of dropping it.
            list(pool.map(lambda key: collect_scan_findings(unit, *key), unread))
