"""Import a run's failures into AWS Security Hub with BatchImportFindings.

This is the only AWS write that ecr-auditor makes, and only when asked
(``ecr-auditor report --import-to-security-hub``). Its client accepts the
operations of ``auditor.aws.permissions.DELIVERY_OPERATIONS`` and nothing else.

With the default product ARN, Security Hub accepts a finding only from the account
that the finding's AwsAccountId names (BatchImportFindings API reference), so the
findings of other audited accounts are skipped and counted. Failures of the previous
run that are resolved now are sent with RecordState ARCHIVED, so that Security Hub
stops showing them as active.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from auditor.aws.permissions import ForbiddenOperationError, is_allowed, is_delivery_allowed
from auditor.aws.session import error_code, error_message
from auditor.checks import default_registry
from auditor.checks.model import Result
from auditor.errors import ConfigError, ReportError
from auditor.report.exports import asff_finding, failures, first_failed_ids
from auditor.report.history import first_failed
from auditor.report.model import ReportModel
from auditor.store.db import Store

logger = logging.getLogger(__name__)

# BatchImportFindings accepts at most 100 findings per request.
BATCH_SIZE = 100


@dataclass
class ImportSummary:
    account: str
    region: str
    imported: int = 0
    archived: int = 0
    skipped_other_accounts: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (finding id, error code, message)


def _guard(model: Any, **_: Any) -> None:
    service = model.service_model.service_name
    # Security Hub's client may make its delivery call; the STS client only reads.
    allowed = is_delivery_allowed(service, model.name) if service == "securityhub" else is_allowed(service, model.name)
    if not allowed:
        raise ForbiddenOperationError(f"{service}:{model.name} is not on the allow-list of the Security Hub import")


def _client(session: boto3.Session, service: str, region: str) -> Any:
    client = session.client(service, region_name=region)  # type: ignore[call-overload]
    client.meta.events.register(f"before-call.{service}", _guard)
    return client


def import_findings(
    store: Store, model: ReportModel, session: boto3.Session, region: str | None = None
) -> ImportSummary:
    """Import the run's failures (and archive resolved ones) into the caller's Security Hub."""
    home = region or session.region_name
    if not home:
        raise ConfigError("no region for Security Hub", hint="pass --security-hub-region or set AWS_REGION")
    try:
        account = _client(session, "sts", home).get_caller_identity()["Account"]
    except (ClientError, BotoCoreError) as exc:
        raise ReportError(f"sts:GetCallerIdentity failed with {error_code(exc)}: {error_message(exc)}") from exc

    summary = ImportSummary(account=account, region=home)
    checks = default_registry()
    since = first_failed(store, model.run.id, first_failed_ids(model))
    findings: list[dict[str, Any]] = []
    for result, archived in _selected(model, account, summary):
        findings.append(asff_finding(result, model, checks, since.get(result.id), home_region=home, archived=archived))

    client = _client(session, "securityhub", home)
    for start in range(0, len(findings), BATCH_SIZE):
        batch = findings[start : start + BATCH_SIZE]
        try:
            answer = client.batch_import_findings(Findings=batch)
        except (ClientError, BotoCoreError) as exc:
            raise ReportError(
                f"securityhub:BatchImportFindings failed with {error_code(exc)}: {error_message(exc)}",
                hint="check that Security Hub is enabled in this account and region",
            ) from exc
        failed = {f["Id"]: f for f in answer.get("FailedFindings", [])}
        for finding in batch:
            problem = failed.get(finding["Id"])
            if problem is not None:
                summary.failed.append((finding["Id"], problem.get("ErrorCode", ""), problem.get("ErrorMessage", "")))
            elif finding["RecordState"] == "ARCHIVED":
                summary.archived += 1
            else:
                summary.imported += 1

    logger.info(
        "securityhub account=%s region=%s imported=%d archived=%d failed=%d skipped_other_accounts=%d",
        account,
        home,
        summary.imported,
        summary.archived,
        len(summary.failed),
        summary.skipped_other_accounts,
    )
    return summary


def _selected(model: ReportModel, account: str, summary: ImportSummary) -> Sequence[tuple[Result, bool]]:
    chosen: list[tuple[Result, bool]] = []
    candidates = [(r, False) for r in failures(model.results)] + [(r, True) for r, _ in model.comparison.resolved]
    for result, archived in candidates:
        if result.resource.account == account:
            chosen.append((result, archived))
        else:
            summary.skipped_other_accounts += 1
    return chosen
