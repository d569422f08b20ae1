"""Machine-readable exports of a run: JSON, CSV, OCSF and ASFF.

Every exported result carries its stable id (``Result.id``), so a consumer can
follow one check on one resource from run to run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from auditor.checks import default_registry
from auditor.checks.engine import CheckRegistry
from auditor.checks.model import CheckMeta, ResourceRef, ResourceType, Result, Severity, Status
from auditor.evidence.runfiles import call_log_records, iso, run_metadata, snapshot_records
from auditor.report.model import ReportModel
from auditor.store.db import Store

TOOL_NAME = "ecr-auditor"


class ExportFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"
    JSON = "json"
    CSV = "csv"
    OCSF = "ocsf"
    ASFF = "asff"


def _dump(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False, default=_default) + "\n").encode()


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, StrEnum):
        return value.value
    raise TypeError(f"cannot export {type(value).__name__}")


def _meta(checks: CheckRegistry, check_id: str) -> CheckMeta | None:
    return checks.get(check_id).meta if check_id in checks else None


def _score(score: Any) -> dict[str, Any]:
    return {"score": score.score, "coverage": score.coverage, "counts": {s.value: n for s, n in score.counts.items()}}


def result_record(result: Result, checks: CheckRegistry) -> dict[str, Any]:
    meta = _meta(checks, result.check_id)
    return {
        "id": result.id,
        "check_id": result.check_id,
        "title": meta.title if meta else "",
        "area": result.area.value,
        "severity": result.severity.value,
        "status": result.status.value,
        "account": result.resource.account,
        "region": result.resource.region,
        "resource_type": result.resource.kind.value,
        "resource_name": result.resource.name,
        "resource": str(result.resource),
        "reason": result.reason,
        "evidence": dict(result.evidence),
    }


# -- JSON ------------------------------------------------------------------------


def export_json(store: Store, model: ReportModel, checks: CheckRegistry | None = None) -> bytes:
    """Export the whole run: metadata, scores, results, comparison, drift, scope, errors, API
    calls, the call log and every collected snapshot with its payload."""
    checks = checks or default_registry()
    run_id = model.run.id
    comparison = model.full_comparison()
    document = {
        "format": "ecr-auditor-run/1",
        "run": run_metadata(model.run),
        "seal": (
            {
                "manifest_sha256": model.seal.manifest_sha256,
                "previous_manifest_sha256": model.seal.previous_manifest_sha256,
            }
            if model.seal
            else None
        ),
        "score": _score(model.total),
        "areas": [{"area": s.area.value, "title": s.area.label, **_score(s.score)} for s in model.areas],
        "accounts_and_regions": [
            {"account": account, "region": region, **_score(unit)} for (account, region), unit in model.by_unit.items()
        ],
        "frameworks": [
            {
                "framework": matrix.framework.value,
                **_score(matrix.score),
                "controls": [
                    {
                        "control": control.control_id,
                        "state": control.state,
                        "checks": [
                            {"check_id": c.meta.id, "note": c.note, "counts": {s.value: n for s, n in c.counts.items()}}
                            for c in control.checks
                        ],
                    }
                    for control in matrix.controls
                ],
            }
            for matrix in model.frameworks
        ],
        "previous_run_id": model.previous.id if model.previous else None,
        "new_failures": [r.id for r in comparison.new_failures],
        "resolved_failures": [{"id": r.id, "status_now": s.value if s else None} for r, s in comparison.resolved],
        "drift": (
            {
                "previous_run_id": model.drift.previous_run_id,
                "changes": [
                    {
                        "account": c.account,
                        "region": c.region,
                        "feature": c.feature.value,
                        "setting": c.subject,
                        "change": c.kind.value,
                        "before": c.before,
                        "after": c.after,
                    }
                    for c in model.drift.changes
                ],
                "not_compared": [
                    {"account": n.account, "region": n.region, "feature": n.feature.value, "reason": n.reason}
                    for n in model.drift.not_compared
                ],
            }
            if model.drift
            else None
        ),
        "results": [result_record(r, checks) for r in model.results],
        "scope": [
            {"account": r.account, "region": r.region, "status": r.status.value, "reason": r.reason}
            for r in model.registries
        ],
        "collection_errors": [
            {
                "account": e.account,
                "region": e.region,
                "operation": e.operation,
                "error_code": e.error_code,
                "message": e.message,
                "resource": e.resource,
            }
            for e in model.errors
        ],
        "api_calls": [{"service": s, "operation": o, "count": n, "errors": e} for s, o, n, e in model.api_calls],
        "call_log": list(call_log_records(store, run_id)),
        "snapshots": [
            {**record, "payload": json.loads(body) if body is not None else None}
            for record, body in snapshot_records(store, run_id)
        ],
    }
    return _dump(document)


# -- CSV -------------------------------------------------------------------------

CSV_COLUMNS = (
    "result_id",
    "run_id",
    "check_id",
    "title",
    "area",
    "severity",
    "status",
    "previous_status",
    "account",
    "region",
    "resource_type",
    "resource_name",
    "reason",
    "evidence",
)
# A spreadsheet treats a cell that starts with one of these as a formula (or, for tab
# and carriage return, may strip them and then see one), so such cells get a leading
# apostrophe. OWASP lists the same characters under "CSV Injection".
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def export_csv(model: ReportModel, checks: CheckRegistry | None = None) -> bytes:
    """Export one row per result, with every text cell neutralised against spreadsheet formula injection."""
    checks = checks or default_registry()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    previous = model.full_comparison().previous_status
    for result in model.results:
        meta = _meta(checks, result.check_id)
        before = previous.get(result.id)
        row = (
            result.id,
            model.run.id,
            result.check_id,
            meta.title if meta else "",
            result.area.value,
            result.severity.value,
            result.status.value,
            before.value if before else "",
            result.resource.account,
            result.resource.region,
            result.resource.kind.value,
            result.resource.name,
            result.reason,
            json.dumps(dict(result.evidence), sort_keys=True, default=str),
        )
        writer.writerow([neutralise(cell) for cell in row])
    # A byte order mark makes Excel read the file as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode()


# -- shared by OCSF and ASFF ---------------------------------------------------------


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def resource_arn(resource: ResourceRef) -> str | None:
    """Return the ARN of a repository or image, or None for resources without one (registry settings)."""
    prefix = f"arn:{partition(resource.region)}:ecr:{resource.region}:{resource.account}:repository"
    if resource.kind is ResourceType.REPOSITORY:
        return f"{prefix}/{resource.name}"
    if resource.kind is ResourceType.IMAGE and "@" in resource.name:
        repository, digest = resource.name.split("@", 1)
        # The form that Amazon Inspector and Security Hub use for ECR images.
        return f"{prefix}/{repository}/{digest}"
    return None


def requirements(meta: CheckMeta | None) -> list[str]:
    if meta is None:
        return []
    return [f"{c.framework.value} {c.control_id}" for c in meta.controls]


def _moment(model: ReportModel) -> datetime:
    return model.run.finished_at or model.run.started_at


# -- OCSF ------------------------------------------------------------------------

OCSF_VERSION = "1.3.0"
OCSF_CLASS_UID = 2003  # Compliance Finding
OCSF_CATEGORY_UID = 2  # Findings
OCSF_ACTIVITY_CREATE = 1
OCSF_SEVERITY = {
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}
# compliance.status_id: 1 Pass, 2 Warning (no result for lack of information), 3 Fail, 99 Other.
OCSF_COMPLIANCE_STATUS = {
    Status.PASS: (1, "Pass"),
    Status.ERROR: (2, "Warning"),
    Status.FAIL: (3, "Fail"),
    Status.WAIVED: (3, "Fail"),
    Status.NOT_APPLICABLE: (99, "Not applicable"),
}
# Finding status_id: 1 New, 3 Suppressed (a waiver), 4 Resolved.
OCSF_FINDING_STATUS = {
    Status.FAIL: (1, "New"),
    Status.ERROR: (1, "New"),
    Status.WAIVED: (3, "Suppressed"),
    Status.PASS: (4, "Resolved"),
    Status.NOT_APPLICABLE: (4, "Resolved"),
}
_OCSF_RESOURCE_TYPES = {
    ResourceType.REPOSITORY: "AWS::ECR::Repository",
    ResourceType.IMAGE: "AWS::ECR::Image",
    ResourceType.REGISTRY: "AWS::ECR::Registry",
    ResourceType.PULL_THROUGH_CACHE_RULE: "AWS::ECR::PullThroughCacheRule",
    ResourceType.CREATION_TEMPLATE: "AWS::ECR::RepositoryCreationTemplate",
    ResourceType.REPLICATION_RULE: "AWS::ECR::ReplicationConfiguration",
    ResourceType.REPLICATION_DESTINATION: "AWS::ECR::ReplicationConfiguration",
}


def _ms(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1000)


def ocsf_event(
    result: Result, model: ReportModel, checks: CheckRegistry, first_failed: datetime | None
) -> dict[str, Any]:
    meta = _meta(checks, result.check_id)
    severity_id, severity = OCSF_SEVERITY[result.severity]
    compliance_id, compliance_status = OCSF_COMPLIANCE_STATUS[result.status]
    status_id, status = OCSF_FINDING_STATUS[result.status]
    frameworks = sorted({c.framework.value for c in meta.controls}) if meta else []
    account = {"uid": result.resource.account, "type_id": 10, "type": "AWS Account"}
    moment = _moment(model)

    finding_info: dict[str, Any] = {
        "uid": result.id,
        "title": f"{result.check_id} {meta.title}" if meta else result.check_id,
        "desc": meta.rationale if meta else "",
        "types": [result.area.label],
        "analytic": {
            "uid": result.check_id,
            "name": meta.title if meta else result.check_id,
            "type_id": 1,
            "type": "Rule",
        },
        "last_seen_time": _ms(moment),
    }
    if first_failed is not None:
        finding_info["first_seen_time"] = _ms(first_failed)

    event: dict[str, Any] = {
        "activity_id": OCSF_ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": OCSF_CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": OCSF_CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": OCSF_CLASS_UID * 100 + OCSF_ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "time": _ms(moment),
        "message": result.reason,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": TOOL_NAME, "vendor_name": TOOL_NAME, "version": model.run.tool_version},
            "uid": f"{model.run.id}:{result.id}",
            "correlation_uid": f"run-{model.run.id}",
        },
        "finding_info": finding_info,
        "compliance": {
            "standards": frameworks or [f"{TOOL_NAME} check catalogue"],
            "control": result.check_id,
            "requirements": requirements(meta),
            "status_id": compliance_id,
            "status": compliance_status,
            "status_detail": result.reason,
        },
        "resources": [
            {
                "uid": resource_arn(result.resource) or str(result.resource),
                "name": result.resource.name,
                "type": _OCSF_RESOURCE_TYPES.get(result.resource.kind, result.resource.kind.value),
                "region": result.resource.region,
                "cloud_partition": partition(result.resource.region),
                "owner": {"account": account},
                "data": dict(result.evidence),
            }
        ],
        "cloud": {"provider": "AWS", "region": result.resource.region, "account": account},
        "unmapped": {"ecr_auditor_status": result.status.value, "ecr_auditor_run_id": model.run.id},
    }
    if meta is not None:
        event["remediation"] = {"desc": meta.remediation.console, "references": list(meta.references)}
    return event


def export_ocsf(model: ReportModel, first_failed: Mapping[str, datetime], checks: CheckRegistry | None = None) -> bytes:
    """Export every result as an OCSF Compliance Finding event, in one JSON array."""
    checks = checks or default_registry()
    return _dump([ocsf_event(r, model, checks, first_failed.get(r.id)) for r in model.results])


# -- ASFF ------------------------------------------------------------------------

ASFF_SCHEMA_VERSION = "2018-10-08"
ASFF_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards"
# Field limits from the AWS Security Finding Format reference.
_TITLE_MAX = 256
_DESCRIPTION_MAX = 1024
_RECOMMENDATION_MAX = 512
_REQUIREMENTS_MAX = 32


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def product_arn(region: str, account: str) -> str:
    """Return the ARN of Security Hub's default product, for findings that an account imports itself."""
    return f"arn:{partition(region)}:securityhub:{region}:{account}:product/{account}/default"


def asff_finding(
    result: Result,
    model: ReportModel,
    checks: CheckRegistry,
    first_failed: datetime | None,
    *,
    home_region: str | None = None,
    archived: bool = False,
) -> dict[str, Any]:
    """Convert one result into an ASFF finding.

    ``home_region`` names the Security Hub region that imports the finding; the
    product ARN must name it. Without it the resource's own region is used.
    """
    meta = _meta(checks, result.check_id)
    region = result.resource.region
    updated = _moment(model)
    arn = resource_arn(result.resource)
    resource_type = {ResourceType.REPOSITORY: "AwsEcrRepository", ResourceType.IMAGE: "AwsEcrContainerImage"}
    title = f"{result.check_id} {meta.title}" if meta else result.check_id
    description = result.reason if meta is None else f"{result.reason} {meta.rationale}"
    severity = {"Label": result.severity.value.upper(), "Original": result.severity.value}
    finding: dict[str, Any] = {
        "SchemaVersion": ASFF_SCHEMA_VERSION,
        "Id": f"{TOOL_NAME}/{result.check_id}/{result.id}",
        "ProductArn": product_arn(home_region or region, result.resource.account),
        "ProductName": TOOL_NAME,
        "CompanyName": TOOL_NAME,
        "GeneratorId": f"{TOOL_NAME}/{result.check_id}",
        "AwsAccountId": result.resource.account,
        "Region": region,
        "Types": [ASFF_TYPE],
        "CreatedAt": _iso_z(first_failed or updated),
        "UpdatedAt": _iso_z(updated),
        "FirstObservedAt": _iso_z(first_failed or updated),
        "LastObservedAt": _iso_z(updated),
        "Severity": severity,
        "FindingProviderFields": {"Severity": severity, "Types": [ASFF_TYPE]},
        "Title": _clip(title, _TITLE_MAX),
        "Description": _clip(description, _DESCRIPTION_MAX),
        "Resources": [
            {
                "Type": resource_type.get(result.resource.kind, "Other"),
                "Id": arn or str(result.resource),
                "Partition": partition(region),
                "Region": region,
                "Details": {
                    "Other": {
                        "ecr-auditor/ResourceType": result.resource.kind.value,
                        "ecr-auditor/Name": _clip(result.resource.name, 1024),
                    }
                },
            }
        ],
        "Compliance": {
            "Status": "PASSED" if archived else "FAILED",
            "RelatedRequirements": [_clip(r, 256) for r in requirements(meta)[:_REQUIREMENTS_MAX]],
        },
        "RecordState": "ARCHIVED" if archived else "ACTIVE",
        "ProductFields": {
            "ecr-auditor/ResultId": result.id,
            "ecr-auditor/CheckId": result.check_id,
            "ecr-auditor/RunId": str(model.run.id),
            "ecr-auditor/Area": result.area.value,
        },
    }
    if meta is not None:
        recommendation: dict[str, str] = {"Text": _clip(meta.remediation.console, _RECOMMENDATION_MAX)}
        if meta.references:
            recommendation["Url"] = meta.references[0]
        finding["Remediation"] = {"Recommendation": recommendation}
    if not finding["Compliance"]["RelatedRequirements"]:
        del finding["Compliance"]["RelatedRequirements"]
    return finding


def failures(results: Iterable[Result]) -> list[Result]:
    return [r for r in results if r.status is Status.FAIL]


def export_asff(model: ReportModel, first_failed: Mapping[str, datetime], checks: CheckRegistry | None = None) -> bytes:
    """Export the run's failures as ASFF findings, in one JSON array.

    ``aws securityhub batch-import-findings --findings file://PATH`` accepts the array
    in slices of at most 100 findings.
    """
    checks = checks or default_registry()
    return _dump([asff_finding(r, model, checks, first_failed.get(r.id)) for r in failures(model.results)])


def first_failed_ids(model: ReportModel) -> Sequence[str]:
    return [r.id for r in model.results if r.status in (Status.FAIL, Status.WAIVED, Status.ERROR)]
