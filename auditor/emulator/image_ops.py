"""Image-level ECR operations, served entirely from the layer's state.

moto 5.2.5's image model cannot set push or pull times, artifact media types,
subject digests or archive status, so the layer keeps every image itself and
moto's own image store stays empty.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from auditor.emulator.context import (
    Handler,
    RequestContext,
    check_string,
    require_repository,
)
from auditor.emulator.state import ImageRecord, RegistryState, RepositoryExtras, ScanRecord
from auditor.emulator.wire import EcrError, invalid_parameter, paginate

# Inspector reports UNTRIAGED, which the ECR FindingSeverity enum of the counts
# lacks. The emulator counts such findings as UNDEFINED (an assumption).
_COUNT_KEY_FOR_SEVERITY = {"UNTRIAGED": "UNDEFINED"}


def _image_not_found(digest: str | None, tag: str | None, name: str, account: str) -> EcrError:
    return EcrError(
        "ImageNotFoundException",
        f"The image with imageId {{imageDigest:'{digest or 'null'}', imageTag:'{tag or 'null'}'}} "
        f"does not exist within the repository with name '{name}' in the registry with id "
        f"'{account}'",
    )


def _image_identifier(image_id: Any) -> tuple[str | None, str | None]:
    if not isinstance(image_id, dict) or not (image_id.get("imageDigest") or image_id.get("imageTag")):
        raise invalid_parameter("imageId", "imageId needs an imageDigest or an imageTag")
    return image_id.get("imageDigest"), image_id.get("imageTag")


def _find_image(extras: RepositoryExtras, image_id: Any, name: str, account: str) -> tuple[ImageRecord, str | None]:
    digest, tag = _image_identifier(image_id)
    image = extras.find_image(digest, tag)
    if image is None:
        raise _image_not_found(digest, tag, name, account)
    return image, tag


def severity_counts(scan: ScanRecord) -> dict[str, int] | None:
    """Return the findingSeverityCounts of a scan: stored counts, or counted from findings."""
    if scan.severity_counts is not None:
        return dict(scan.severity_counts)
    if scan.completed_at is None:
        return None
    counts: Counter[str] = Counter()
    for finding in (scan.findings or []) + (scan.enhanced_findings or []):
        severity = str(finding.get("severity", "UNDEFINED"))
        counts[_COUNT_KEY_FOR_SEVERITY.get(severity, severity)] += 1
    return dict(counts)


def _reports_scans_in_describe_images(registry: RegistryState) -> bool:
    # AWS-native basic scanning leaves imageScanStatus and imageScanFindingsSummary
    # out of DescribeImages, as the DescribeImages documentation in the ECR service
    # model states. Enhanced scanning and the retired Clair-based basic scanning fill them.
    return registry.scan_type == "ENHANCED" or registry.account_settings.get("BASIC_SCAN_TYPE_VERSION") != "AWS_NATIVE"


def _image_detail(
    ctx: RequestContext,
    name: str,
    image: ImageRecord,
    extras: RepositoryExtras,
    with_scans: bool,
) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "registryId": ctx.account,
        "repositoryName": name,
        "imageDigest": image.digest,
        # imageTags is left out for an untagged image instead of sent as [], as moto
        # 5.2.5 also does to match AWS.
        "imageTags": list(image.tags) or None,
        "imageSizeInBytes": image.size_in_bytes,
        "imagePushedAt": image.pushed_at,
        "imageManifestMediaType": image.manifest_media_type,
        "artifactMediaType": image.artifact_media_type,
        "lastRecordedPullTime": image.last_recorded_pull_time,
        "subjectManifestDigest": image.subject_manifest_digest,
        "imageStatus": image.status,
        "lastArchivedAt": image.last_archived_at,
        "lastActivatedAt": image.last_activated_at,
    }
    scan = extras.scans.get(image.digest)
    if with_scans and scan is not None:
        detail["imageScanStatus"] = {"status": scan.status, "description": scan.description}
        summary = {
            "imageScanCompletedAt": scan.completed_at,
            "vulnerabilitySourceUpdatedAt": scan.vulnerability_source_updated_at,
            "findingSeverityCounts": severity_counts(scan),
        }
        if any(value is not None for value in summary.values()):
            detail["imageScanFindingsSummary"] = summary
    return detail


def _filter_images(images: list[ImageRecord], params: dict[str, Any]) -> list[ImageRecord]:
    image_filter = params.get("filter") or {}
    tag_status = check_string("TagStatus", image_filter.get("tagStatus", "ANY"), "filter.tagStatus")
    # Without an imageStatus filter ECR lists ACTIVE images only (DescribeImagesFilter
    # and ListImagesFilter documentation in the ECR service model).
    image_status = check_string("ImageStatusFilter", image_filter.get("imageStatus", "ACTIVE"), "filter.imageStatus")
    selected = []
    for image in images:
        if tag_status == "TAGGED" and not image.tags:
            continue
        if tag_status == "UNTAGGED" and image.tags:
            continue
        if image_status != "ANY" and image.status != image_status:
            continue
        selected.append(image)
    return selected


def describe_images(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, _, extras = require_repository(ctx, params)
    image_ids = params.get("imageIds")
    if image_ids is not None and ("maxResults" in params or "nextToken" in params):
        raise invalid_parameter("maxResults", "maxResults and nextToken cannot be used with imageIds")

    with ctx.state.lock:
        with_scans = _reports_scans_in_describe_images(ctx.state.registry(ctx.account, ctx.region))
        if image_ids is not None:
            found: dict[str, ImageRecord] = {}
            for image_id in image_ids:
                image, _ = _find_image(extras, image_id, name, ctx.account)
                found[image.digest] = image
            return {"imageDetails": [_image_detail(ctx, name, image, extras, with_scans) for image in found.values()]}
        images = _filter_images(list(extras.images), params)
        page, next_token = paginate(ctx.operation, images, params)
        details = [_image_detail(ctx, name, image, extras, with_scans) for image in page]
    return {"imageDetails": details, "nextToken": next_token}


def list_images(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _, _, extras = require_repository(ctx, params)
    with ctx.state.lock:
        images = _filter_images(list(extras.images), params)
    # One entry per tag, and one digest-only entry for an untagged image.
    identifiers: list[dict[str, str]] = []
    for image in images:
        if not image.tags:
            identifiers.append({"imageDigest": image.digest})
        for tag in image.tags:
            identifiers.append({"imageDigest": image.digest, "imageTag": tag})
    page, next_token = paginate(ctx.operation, identifiers, params)
    return {"imageIds": page, "nextToken": next_token}


def _findings_block(scan: ScanRecord, page: list[dict[str, Any]]) -> dict[str, Any] | None:
    block: dict[str, Any] = {
        "imageScanCompletedAt": scan.completed_at,
        "vulnerabilitySourceUpdatedAt": scan.vulnerability_source_updated_at,
        "findingSeverityCounts": severity_counts(scan),
        "findings": page if scan.findings is not None else None,
        "enhancedFindings": page if scan.enhanced_findings is not None else None,
    }
    block = {key: value for key, value in block.items() if value is not None}
    # A finished scan always has the imageScanFindings member, even when it is empty.
    # An ENHANCED registry returns COMPLETE with an empty block for a while after a push.
    if not block and scan.status not in ("COMPLETE", "ACTIVE"):
        return None
    return block


def describe_image_scan_findings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, _, extras = require_repository(ctx, params)
    with ctx.state.lock:
        image, requested_tag = _find_image(extras, params.get("imageId"), name, ctx.account)
        scan = extras.scans.get(image.digest)
    if scan is None:
        raise EcrError(
            "ScanNotFoundException",
            f"Image scan does not exist for the image with '{{imageDigest:'{image.digest}', "
            f"imageTag:'{requested_tag or 'null'}'}}' in the repository with name '{name}' in "
            f"the registry with id '{ctx.account}'",
        )
    all_findings = scan.enhanced_findings if scan.enhanced_findings is not None else scan.findings
    page, next_token = paginate(ctx.operation, all_findings or [], params)
    return {
        "registryId": ctx.account,
        "repositoryName": name,
        "imageId": {"imageDigest": image.digest, "imageTag": requested_tag},
        "imageScanStatus": {"status": scan.status, "description": scan.description},
        "imageScanFindings": _findings_block(scan, page),
        "nextToken": next_token,
    }


def describe_image_signing_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, _, extras = require_repository(ctx, params)
    with ctx.state.lock:
        image, requested_tag = _find_image(extras, params.get("imageId"), name, ctx.account)
        statuses = [dict(status) for status in extras.signing_statuses.get(image.digest, [])]
    return {
        "repositoryName": name,
        "imageId": {"imageDigest": image.digest, "imageTag": requested_tag},
        "registryId": ctx.account,
        "signingStatuses": statuses,
    }


HANDLERS: dict[str, Handler] = {
    "DescribeImages": describe_images,
    "ListImages": list_images,
    "DescribeImageScanFindings": describe_image_scan_findings,
    "DescribeImageSigningStatus": describe_image_signing_status,
}
