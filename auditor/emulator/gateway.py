"""The emulator's outer WSGI application: control endpoint, latency, opt-in regions, faults, extra services.

Every request passes these steps in order:

1. Paths under ``/_emulator/`` go to the control endpoint (``control``).
2. The request is counted by (service, operation) in ``stats``, and the
   configured latency is added.
3. A signed call into an opt-in region that the calling account has not
   enabled fails as AWS fails it (``protocols.unrecognized_client_error``).
   Global services (STS, IAM, Organizations, Account Management) are exempt.
4. The fault plan may deny the call (AssumeRole denial, AccessDenied) or fail
   this attempt with a retryable error.
5. Operations the layer serves for other services (Account Management's
   ListRegions, Inspector, the Tagging API's GetResources) are served here.
6. Everything else goes to the ECR layer, which passes what it does not serve
   to moto.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from auditor.emulator import account_ops, control, inspector_ops, moto_bridge, protocols, tagging_ops
from auditor.emulator.context import Handler, RequestContext
from auditor.emulator.faults import CallInfo
from auditor.emulator.protocols import SignedRequest
from auditor.emulator.state import EmulatorState
from auditor.emulator.wire import ApiError, encode_body

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Response = tuple[int, list[tuple[str, str]], bytes]

# Services whose endpoint is global (or that the emulator treats as global): a
# disabled opt-in region in their credential scope does not reject the call.
# NOTE: STS calls pass in every region so that roles can always be assumed; how
# STS's regional endpoint in a disabled region responds is not emulated.
GLOBAL_SERVICES = frozenset({"sts", "iam", "organizations", "account"})

# Operations of non-ECR services that the layer serves, by signing name.
SERVED_OPERATIONS: dict[str, dict[str, Handler]] = {
    "account": account_ops.HANDLERS,
    "inspector2": inspector_ops.HANDLERS,
    "tagging": tagging_ops.HANDLERS,
}

# The request parameter that names each service's resource, for fault targeting.
_RESOURCE_PARAMETERS = {"ecr": "repositoryName", "kms": "KeyId", "sts": "RoleArn"}


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    return bytes(stream.read(length)) if length > 0 else b""


def call_info(request: SignedRequest) -> CallInfo:
    """Return the facts that fault rules match on for a signed request."""
    name = str(request.params.get(_RESOURCE_PARAMETERS.get(request.service, ""), "") or "")
    arn = ""
    tagged_arn = str(request.params.get("resourceArn", "") or "")
    if not name and request.service == "ecr" and ":repository/" in tagged_arn:
        # ListTagsForResource names its repository only by ARN, arn:aws:ecr:<region>:<account>:repository/<name>.
        name = tagged_arn.split(":repository/", 1)[1]
        arn = tagged_arn
    elif name and request.service == "ecr":
        arn = f"arn:aws:ecr:{request.region}:{request.account}:repository/{name}"
    elif name and request.service == "kms":
        arn = name if name.startswith("arn:") else f"arn:aws:kms:{request.region}:{request.account}:key/{name}"
    elif name and request.service == "sts":
        arn = name
    token = request.params.get("nextToken") or request.params.get("NextToken") or request.params.get("Marker") or ""
    return CallInfo(
        service=request.service,
        operation=request.operation,
        account=request.account,
        region=request.region,
        resource=name,
        resource_arn=arn,
        page_token=str(token),
        parameters_sha256=hashlib.sha256(
            json.dumps(request.params, sort_keys=True, default=str).encode()
        ).hexdigest(),
    )


def _no_moto(params: Any) -> dict[str, Any]:
    raise RuntimeError("this operation is served by the layer alone and has no moto counterpart")


class EmulatorGateway:
    """WSGI application in front of the ECR layer; see the module docstring for the steps."""

    def __init__(
        self,
        inner: WsgiApp,
        state: EmulatorState,
        latency_ms: float = 0.0,
        reset: Callable[[], None] | None = None,
    ) -> None:
        self.inner = inner
        self.state = state
        self.latency_ms = latency_ms
        self.control_hooks = control.ControlHooks(
            state=state,
            set_latency_ms=self._set_latency_ms,
            reset=reset or state.clear,
        )

    @property
    def stats(self) -> control.RequestStats:
        """Requests received since the last reset of the counts, by (service, operation)."""
        return self.control_hooks.stats

    def _set_latency_ms(self, value: float) -> None:
        self.latency_ms = value

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith(control.CONTROL_PREFIX):
            status, document = control.handle(
                str(environ.get("REQUEST_METHOD", "GET")), path, _read_body(environ), self.control_hooks
            )
            payload = json.dumps(document).encode()
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
            return self._send(start_response, (status, headers, payload))

        arrived = time.monotonic()
        body = _read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        request = protocols.parse_signed_request(environ, body)
        if request is None:
            self.stats.count(control.UNSIGNED, str(environ.get("REQUEST_METHOD", "")))
        else:
            self.stats.count(request.service, request.operation)
        # The latency counts from arrival, so parsing the request does not add to it.
        delay = self.latency_ms / 1000.0 - (time.monotonic() - arrived)
        if delay > 0:
            time.sleep(delay)
        if request is None:
            return self.inner(environ, start_response)

        request_id = str(uuid.uuid4())
        json_type = str(environ.get("CONTENT_TYPE") or "application/x-amz-json-1.1")
        rejection = self._rejection(request, request_id, json_type)
        if rejection is not None:
            return self._send(start_response, rejection)
        handler = SERVED_OPERATIONS.get(request.service, {}).get(request.operation)
        if handler is not None:
            return self._send(start_response, self._serve(handler, request, body, request_id, json_type))
        return self.inner(environ, start_response)

    @staticmethod
    def _send(start_response: Callable[..., Any], response: Response) -> list[bytes]:
        status, headers, payload = response
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [payload]

    def _rejection(self, request: SignedRequest, request_id: str, json_type: str) -> Response | None:
        """Return the error response for a call that must fail before it is served, or None."""
        error = self._region_or_fault_error(request)
        if error is None:
            return None
        if not isinstance(error, ApiError):
            logger.debug("injected plain 503 into %s %s/%s", request.operation, request.account, request.region)
            return protocols.unavailable_response(request_id)
        logger.debug(
            "rejected %s:%s for %s/%s with %s",
            request.service,
            request.operation,
            request.account,
            request.region,
            error,
        )
        return protocols.error_response(request.protocol, request.service, error, request_id, json_type)

    def _region_or_fault_error(self, request: SignedRequest) -> ApiError | str | None:
        if request.service not in GLOBAL_SERVICES and not self.state.region_usable(request.account, request.region):
            return protocols.unrecognized_client_error(request)
        plan = self.state.fault_plan
        if plan.is_empty:
            return None
        if request.service == "sts" and request.operation == "AssumeRole":
            role_arn = str(request.params.get("RoleArn", ""))
            if plan.denies_assume_role(role_arn):
                caller = moto_bridge.caller_arn(request.access_key, request.region)
                return ApiError(
                    "AccessDenied",
                    f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                    403,
                )
        call = call_info(request)
        if plan.denies_access(call):
            caller = moto_bridge.caller_arn(request.access_key, request.region)
            return protocols.access_denied_error(request, caller, call.resource_arn or "*")
        kind = plan.transient_failure(call)
        if kind == "throttle":
            return protocols.throttling_error(request)
        if kind == "server_error":
            return protocols.server_error(request)
        return kind

    def _serve(
        self, handler: Handler, request: SignedRequest, body: bytes, request_id: str, json_type: str
    ) -> Response:
        ctx = RequestContext(
            operation=request.operation,
            account=request.account,
            region=request.region,
            state=self.state,
            call_moto=_no_moto,
            access_key=request.access_key,
        )
        content_type = protocols.REST_JSON_CONTENT_TYPE if request.protocol == "rest-json" else json_type
        try:
            params = json.loads(body) if body else {}
        except ValueError as exc:
            params = None
            malformed = f"The request body is not valid JSON: {exc}"
        else:
            malformed = "The request body must be a JSON object"
        if not isinstance(params, dict):
            error = ApiError("SerializationException", malformed, 400)
            return protocols.error_response(request.protocol, request.service, error, request_id, json_type)
        try:
            payload = encode_body(handler(ctx, params))
        except ApiError as error:
            logger.debug("%s:%s for %s/%s: %s", request.service, request.operation, ctx.account, ctx.region, error)
            return protocols.error_response(request.protocol, request.service, error, request_id, json_type)
        except Exception:
            # A bug in the layer. Respond as AWS does to an internal failure, and keep
            # the traceback in the log so the test run shows it.
            logger.exception(
                "layer failed on %s:%s for %s/%s", request.service, request.operation, ctx.account, ctx.region
            )
            failure = protocols.server_error(request)
            return protocols.error_response(request.protocol, request.service, failure, request_id, json_type)
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(payload))),
            ("x-amzn-RequestId", request_id),
        ]
        return 200, headers, payload
