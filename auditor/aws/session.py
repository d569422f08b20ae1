"""AWS sessions, role assumption and call accounting.

The endpoint is left to boto3's own configuration (``AWS_ENDPOINT_URL`` and the
per-service ``AWS_ENDPOINT_URL_<SERVICE>`` variables), so the same code runs
against AWS and against the emulated estate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

from auditor.aws.permissions import ForbiddenOperationError, is_allowed
from auditor.inventory import CallRecord

logger = logging.getLogger(__name__)

SESSION_NAME = "ecr-auditor"
_PARTITION_HOME = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}


@dataclass(frozen=True)
class CallerIdentity:
    arn: str
    account: str

    @property
    def is_assumed_role(self) -> bool:
        return ":assumed-role/" in self.arn


class CallRecorder:
    """Counts every AWS call by service and operation and keeps its request id.

    Attached to clients through botocore's event system; thread-safe because one
    recorder serves every worker of a run.
    """

    def __init__(self, on_call: Callable[[CallRecord], None] | None = None) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[tuple[str, str]] = Counter()
        self.error_counts: Counter[tuple[str, str]] = Counter()
        self.calls: list[CallRecord] = []
        self._on_call = on_call
        self.first_call_at: float | None = None

    def attach(self, client: Any, account: str, region: str) -> None:
        service = client.meta.service_model.service_name
        events = client.meta.events
        events.register(f"before-call.{service}", self._guard_and_start)
        events.register(
            f"after-call.{service}",
            lambda **kw: self._finish(service, account, region, **kw),
        )
        events.register(
            f"after-call-error.{service}",
            lambda **kw: self._finish_error(service, account, region, **kw),
        )

    @staticmethod
    def _guard_and_start(model: Any, context: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        if not is_allowed(service, model.name):
            raise ForbiddenOperationError(
                f"{service}:{model.name} is not on the read-only allow-list of ecr-auditor"
            )
        context["ecr_auditor_started"] = time.monotonic()
        context["ecr_auditor_called_at"] = datetime.now(UTC)

    def _finish(
        self,
        service: str,
        account: str,
        region: str,
        http_response: Any,
        parsed: dict[str, Any],
        model: Any,
        context: dict[str, Any],
        **_: Any,
    ) -> None:
        metadata = parsed.get("ResponseMetadata", {})
        error_code = parsed.get("Error", {}).get("Code") if http_response.status_code >= 300 else None
        self._record(
            service,
            model.name,
            account,
            region,
            context,
            request_id=metadata.get("RequestId", ""),
            http_status=http_response.status_code,
            error_code=error_code,
        )

    def _finish_error(
        self,
        service: str,
        account: str,
        region: str,
        context: dict[str, Any],
        exception: Exception,
        event_name: str,
        **_: Any,
    ) -> None:
        # botocore emits after-call-error.<service id>.<operation> with only the exception
        # and the request context, so the operation comes from the event's name.
        operation = event_name.rsplit(".", 1)[-1]
        self._record(
            service, operation, account, region, context, request_id="", http_status=None,
            error_code=type(exception).__name__,
        )

    def _record(
        self,
        service: str,
        operation: str,
        account: str,
        region: str,
        context: dict[str, Any],
        *,
        request_id: str,
        http_status: int | None,
        error_code: str | None,
    ) -> None:
        started = context.get("ecr_auditor_started", time.monotonic())
        record = CallRecord(
            service=service,
            operation=operation,
            account=account,
            region=region,
            request_id=request_id,
            http_status=http_status,
            error_code=error_code,
            called_at=context.get("ecr_auditor_called_at", datetime.now(UTC)),
            duration_ms=round((time.monotonic() - started) * 1000.0, 2),
        )
        with self._lock:
            if self.first_call_at is None:
                self.first_call_at = started
            self.counts[(service, operation)] += 1
            if error_code:
                self.error_counts[(service, operation)] += 1
            self.calls.append(record)
        if self._on_call is not None:
            self._on_call(record)

    def drain(self) -> list[CallRecord]:
        """Return the calls recorded since the last drain and forget them; the counts stay."""
        with self._lock:
            calls, self.calls = self.calls, []
        return calls

    def summary(self) -> dict[tuple[str, str], tuple[int, int]]:
        with self._lock:
            return {key: (n, self.error_counts[key]) for key, n in self.counts.items()}


class SessionFactory:
    """Builds boto3 sessions for the caller's account and, by AssumeRole, for the others."""

    def __init__(
        self,
        recorder: CallRecorder,
        *,
        role_name: str,
        external_id: str | None = None,
        session_duration: int = 3600,
        max_attempts: int = 5,
        retry_mode: str = "standard",
        max_pool_connections: int = 16,
        base_session: boto3.Session | None = None,
    ) -> None:
        self.recorder = recorder
        self.role_name = role_name
        self.external_id = external_id
        self.session_duration = session_duration
        self._base = base_session or boto3.Session()
        # total_max_attempts counts the first attempt too; Config's max_attempts
        # counts retries only.
        retries: Any = {"mode": retry_mode, "total_max_attempts": max_attempts}
        self._config = Config(
            retries=retries,
            max_pool_connections=max_pool_connections,
            user_agent_extra="ecr-auditor",
        )
        self._caller: CallerIdentity | None = None
        self._sessions: dict[str, boto3.Session] = {}
        self._lock = threading.Lock()

    @property
    def default_region(self) -> str | None:
        return self._base.region_name

    @property
    def base_session(self) -> boto3.Session:
        return self._base

    @property
    def home_region(self) -> str:
        """The region for account-wide calls (STS, Organizations, Account) in the caller's partition."""
        if self._base.region_name:
            return self._base.region_name
        partition = self.caller().arn.split(":")[1] if self._caller else "aws"
        return _PARTITION_HOME.get(partition, "us-east-1")

    def caller(self) -> CallerIdentity:
        if self._caller is None:
            sts = self._client(self._base, "sts", self._base.region_name or "us-east-1", "caller")
            answer = sts.get_caller_identity()
            self._caller = CallerIdentity(arn=answer["Arn"], account=answer["Account"])
        return self._caller

    def session_for(self, account: str) -> boto3.Session:
        """Return a session for the account; raises ClientError when the role cannot be assumed."""
        if account == self.caller().account:
            return self._base
        with self._lock:
            if account not in self._sessions:
                self._sessions[account] = self._assume(account)
            return self._sessions[account]

    def client(self, session: boto3.Session, service: str, region: str, account: str) -> Any:
        return self._client(session, service, region, account)

    def _client(self, session: boto3.Session, service: str, region: str, account: str) -> Any:
        client = session.client(service, region_name=region, config=self._config)  # type: ignore[call-overload]
        self.recorder.attach(client, account, region)
        return client

    def role_arn(self, account: str) -> str:
        partition = self.caller().arn.split(":")[1]
        name = self.role_name.replace("{account}", account)
        return f"arn:{partition}:iam::{account}:role/{name}"

    def duration(self) -> int:
        """Seconds to ask AssumeRole for; AWS caps role chaining at one hour."""
        if self.caller().is_assumed_role:
            return min(self.session_duration, 3600)
        return self.session_duration

    def _assume(self, account: str) -> boto3.Session:
        role_arn = self.role_arn(account)
        region = self.home_region
        sts = self._client(self._base, "sts", region, self.caller().account)

        def fetch() -> dict[str, str]:
            params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
            if self.external_id:
                params["ExternalId"] = self.external_id
            params["DurationSeconds"] = self.duration()
            credentials = sts.assume_role(**params)["Credentials"]
            return {
                "access_key": credentials["AccessKeyId"],
                "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"],
                "expiry_time": credentials["Expiration"].isoformat(),
            }

        refreshable = RefreshableCredentials.create_from_metadata(
            metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
        )
        core = botocore.session.get_session()
        # Every account's clients reuse the service models that the caller's session has
        # read: a loader of its own per account costs about 13 MB (ECR, KMS, Inspector).
        core.register_component("data_loader", self._base._session.get_component("data_loader"))
        core._credentials = refreshable  # type: ignore[attr-defined]  # botocore has no public setter
        core.set_config_variable("region", region)
        logger.info("account=%s role=%s assumed", account, role_arn)
        return boto3.Session(botocore_session=core)


def error_code(exc: ClientError | BotoCoreError) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__


def error_message(exc: ClientError | BotoCoreError) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Message", str(exc)))
    return str(exc)
