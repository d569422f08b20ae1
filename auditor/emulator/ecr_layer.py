"""WSGI middleware that serves part of the ECR API in front of moto.

Every request that the gateway (``gateway.EmulatorGateway``) does not serve
itself passes through ``EcrLayerMiddleware``. The layer serves an ECR JSON
request whose operation is in ``LAYER_OPERATIONS`` from its state, and a few of
those operations also call moto. Every other request, ECR or not, goes to moto
unchanged. Operations that moto serves directly include the tag operations,
PutImageTagMutability and PutImageScanningConfiguration.

NOTE: PutImage, BatchGetImage and BatchDeleteImage still go to moto, whose image
store the layer does not read; seed images through ``EmulatorState.add_image``.
"""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

from auditor.emulator import image_ops, moto_bridge, registry_ops, repository_ops
from auditor.emulator.context import Handler, RequestContext
from auditor.emulator.state import EmulatorState
from auditor.emulator.wire import ECR_TARGET_PREFIX, JSON_CONTENT_TYPE, ApiError, EcrError, encode_body

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

LAYER_OPERATIONS: dict[str, Handler] = {
    **registry_ops.HANDLERS,
    **repository_ops.HANDLERS,
    **image_ops.HANDLERS,
}

# Credential=<access key>/<date>/<region>/<service>/aws4_request in a SigV4 header.
_CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
DEFAULT_REGION = "us-east-1"


def caller_from_authorization(header: str | None) -> tuple[str, str]:
    """Return the (account, region) of a request from its SigV4 Authorization header.

    The account comes from the access key, resolved as moto resolves it, so keys
    that moto's STS AssumeRole issued map to the role's account. An unsigned
    request is attributed to moto's default account in us-east-1.
    """
    match = _CREDENTIAL_SCOPE.search(header or "")
    if match is None:
        return moto_bridge.account_for_access_key(None), DEFAULT_REGION
    access_key, region, _service = match.groups()
    return moto_bridge.account_for_access_key(access_key), region


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    return bytes(stream.read(length)) if length > 0 else b""


class EcrLayerMiddleware:
    """The ECR layer in front of moto's dispatcher; ``gateway.EmulatorGateway`` wraps it."""

    def __init__(self, moto_app: WsgiApp, state: EmulatorState) -> None:
        self.moto_app = moto_app
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        operation = target[len(ECR_TARGET_PREFIX) :] if target.startswith(ECR_TARGET_PREFIX) else ""
        handler = LAYER_OPERATIONS.get(operation)
        if handler is None:
            return self.moto_app(environ, start_response)

        body = _read_body(environ)
        account, region = caller_from_authorization(environ.get("HTTP_AUTHORIZATION"))
        request_id = str(uuid.uuid4())
        ctx = RequestContext(
            operation=operation,
            account=account,
            region=region,
            state=self.state,
            call_moto=lambda params: self._call_moto(environ, params),
        )
        status, payload = self._run(handler, ctx, body)
        logger.debug("%s %s/%s -> %s (request %s)", operation, account, region, status, request_id)
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [
                ("Content-Type", JSON_CONTENT_TYPE),
                ("Content-Length", str(len(payload))),
                ("x-amzn-RequestId", request_id),
            ],
        )
        return [payload]

    @staticmethod
    def _run(handler: Handler, ctx: RequestContext, body: bytes) -> tuple[int, bytes]:
        try:
            params = json.loads(body) if body else {}
            if not isinstance(params, dict):
                raise EcrError("SerializationException", "The request body must be a JSON object")
            return 200, encode_body(handler(ctx, params))
        except json.JSONDecodeError as exc:
            malformed = EcrError("SerializationException", f"The request body is not valid JSON: {exc}")
            logger.debug("%s for %s/%s: %s", ctx.operation, ctx.account, ctx.region, malformed)
            return malformed.status, malformed.body()
        except ApiError as error:
            # Most of these are data (a policy that does not exist), so DEBUG, not WARNING.
            logger.debug("%s for %s/%s: %s", ctx.operation, ctx.account, ctx.region, error)
            return error.status, error.body()
        except Exception:
            # A bug in the layer. Respond as AWS does to an internal failure, and keep
            # the traceback in the log so the test run shows it.
            logger.exception("layer failed on %s for %s/%s", ctx.operation, ctx.account, ctx.region)
            failure = EcrError("ServerException", f"The emulator failed on {ctx.operation}", 500)
            return failure.status, failure.body()

    def _call_moto(self, environ: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        """Send the current operation with `params` to moto and return its parsed response.

        Raises EcrError with moto's exception name and message when moto returns
        an error.
        """
        body = json.dumps(params).encode()
        inner = dict(environ)
        inner["wsgi.input"] = io.BytesIO(body)
        inner["CONTENT_LENGTH"] = str(len(body))
        captured: dict[str, str] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], Any]:
            captured["status"] = status
            return chunks.append

        result = self.moto_app(inner, start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status = int(captured["status"].split()[0])
        response = json.loads(b"".join(chunks) or b"{}")
        if not isinstance(response, dict):
            raise EcrError(
                "ServerException", f"moto returned status {status} with a body that is not a JSON object", 500
            )
        if status >= 400:
            code = str(response.get("__type", "ServerException")).rsplit("#", 1)[-1]
            message = str(response.get("message") or response.get("Message") or "")
            raise EcrError(code, message, status)
        return response
