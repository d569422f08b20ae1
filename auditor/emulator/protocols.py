"""Recognise signed AWS requests of every protocol, and write error responses in each protocol.

The emulator serves several services on one endpoint, as moto does. The SigV4
credential scope names the service and region, and the botocore service model
defines how that service encodes operations and errors:

- ``json`` (ECR, KMS): the operation is in ``X-Amz-Target``; an error is a JSON
  body whose ``__type`` is the code.
- ``rest-json`` (Inspector, Account Management): the operation is the HTTP
  method and path; an error's code is in the ``x-amzn-ErrorType`` header and its
  members in a JSON body.
- ``query`` (STS, IAM): the operation is the ``Action`` form field; an error is an
  XML ``ErrorResponse`` document.

botocore picks the exception class from the code, and its retry handler decides
from the code and the HTTP status, so both must be what AWS sends.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import ServiceModel

from auditor.emulator import moto_bridge
from auditor.emulator.wire import ApiError

# Credential=<access key>/<date>/<region>/<service>/aws4_request in a SigV4 header.
_CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
REST_JSON_CONTENT_TYPE = "application/json"
XML_CONTENT_TYPE = "text/xml"


@dataclass(frozen=True)
class SignedRequest:
    """A SigV4-signed request: who sent it, to which service and region, and its parameters.

    ``params`` is the parsed JSON body for the JSON protocols and the form fields
    (first value of each) for the query protocol. ``operation`` is "" when the
    request matches no operation of the service model.
    """

    service: str
    protocol: str
    operation: str
    access_key: str
    account: str
    region: str
    params: Mapping[str, Any] = field(default_factory=dict)


@functools.lru_cache(maxsize=64)
def service_model(signing_name: str) -> ServiceModel | None:
    """Return the botocore model of the service that signs as `signing_name`, or None if unknown.

    For every service the emulator serves, the signing name is also the
    service's botocore name.
    """
    try:
        return botocore.session.get_session().get_service_model(signing_name)
    except UnknownServiceError:
        return None


def _label_pattern(request_uri: str) -> re.Pattern[str]:
    path = request_uri.split("?", 1)[0]
    parts = re.split(r"(\{[^}]+\})", path)
    regex = ""
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            regex += ".+" if part.endswith("+}") else "[^/]+"
        else:
            regex += re.escape(part)
    return re.compile(regex + "$")


@functools.lru_cache(maxsize=64)
def _rest_routes(signing_name: str) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    model = service_model(signing_name)
    if model is None:
        return ()
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        routes.append((str(http["method"]).upper(), _label_pattern(str(http["requestUri"])), name))
    # Literal paths before templated ones, so /findings/list wins over /{id}.
    routes.sort(key=lambda route: route[1].pattern.count("[^/]+") + route[1].pattern.count(".+"))
    return tuple(routes)


def rest_operation(signing_name: str, method: str, path: str) -> str:
    """Return the operation of a rest-json service that a method and path address, or ""."""
    for route_method, pattern, name in _rest_routes(signing_name):
        if route_method == method.upper() and pattern.match(path):
            return name
    return ""


def credential_scope(header: str | None) -> tuple[str, str, str] | None:
    """Return (access key, region, service) from a SigV4 Authorization header, or None."""
    match = _CREDENTIAL_SCOPE.search(header or "")
    if match is None:
        return None
    access_key, region, service = match.groups()
    return access_key, region, service


def _json_params(body: bytes) -> Mapping[str, Any]:
    try:
        parsed = json.loads(body) if body else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def parse_signed_request(environ: Mapping[str, Any], body: bytes) -> SignedRequest | None:
    """Describe a signed request, or return None for an unsigned one.

    The body is parsed leniently: a body that is not valid JSON gives empty
    parameters here, and the handler that serves the operation reports it.
    """
    scope = credential_scope(environ.get("HTTP_AUTHORIZATION"))
    if scope is None:
        return None
    access_key, region, service = scope
    model = service_model(service)
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if model is not None:
        protocol = model.protocol
    elif target:
        protocol = "json"
    else:
        protocol = "unknown"
    operation = ""
    params: Mapping[str, Any] = {}
    if protocol == "json" or target:
        operation = target.split(".", 1)[1] if "." in target else ""
        params = _json_params(body)
    elif protocol == "rest-json":
        operation = rest_operation(
            service, str(environ.get("REQUEST_METHOD", "GET")), str(environ.get("PATH_INFO", ""))
        )
        params = _json_params(body)
    elif protocol in ("query", "ec2"):
        # EC2's protocol sends the operation as the query protocol does, in the Action form field.
        fields = parse_qs(body.decode("utf-8", errors="replace"))
        params = {key: values[0] for key, values in fields.items() if values}
        operation = str(params.get("Action", ""))
    return SignedRequest(
        service=service,
        protocol=protocol,
        operation=operation,
        access_key=access_key,
        account=moto_bridge.account_for_access_key(access_key),
        region=region,
        params=params,
    )


# -- error codes for each protocol ------------------------------------------------


def _modelled_status(request: SignedRequest, code: str) -> int | None:
    """Return the HTTP status the service model gives error `code`, or None if it does not model it."""
    model = service_model(request.service)
    if model is None or code not in model.shape_names:
        return None
    error = model.shape_for(code).metadata.get("error", {})
    status = error.get("httpStatusCode")
    return int(status) if status is not None else None


def throttling_error(request: SignedRequest) -> ApiError:
    """Build the throttling error the request's service returns.

    ECR and KMS (JSON protocol) return ``ThrottlingException`` "Rate exceeded"
    with HTTP 400; ECR does not model it, but botocore's retry handler treats
    the code as throttling for every service. rest-json services return their
    modelled throttling error (HTTP 429 for Inspector's ThrottlingException and
    the Account API's TooManyRequestsException). Query services return
    ``Throttling``.
    """
    if request.protocol == "rest-json":
        for code in ("ThrottlingException", "TooManyRequestsException"):
            status = _modelled_status(request, code)
            if status is not None:
                return ApiError(code, "Rate exceeded", status)
        return ApiError("ThrottlingException", "Rate exceeded", 429)
    if request.protocol == "query":
        return ApiError("Throttling", "Rate exceeded", 400)
    return ApiError("ThrottlingException", "Rate exceeded", 400)


# The modelled internal error of the JSON-protocol services the emulator serves.
_JSON_SERVER_ERRORS = {"ecr": "ServerException", "kms": "KMSInternalException"}


def server_error(request: SignedRequest) -> ApiError:
    """Build the HTTP 500 error the request's service returns for an internal failure."""
    message = "An internal error occurred. Try again later."
    if request.protocol == "json" and request.service in _JSON_SERVER_ERRORS:
        return ApiError(_JSON_SERVER_ERRORS[request.service], message, 500)
    if request.protocol == "rest-json" and _modelled_status(request, "InternalServerException") is not None:
        return ApiError("InternalServerException", message, 500)
    return ApiError("InternalFailure", message, 500)


def access_denied_error(request: SignedRequest, caller_arn: str, resource_arn: str) -> ApiError:
    """Build the error for a call that IAM denies, with AWS's usual message.

    JSON services return AccessDeniedException with HTTP 400, rest-json services
    their modelled AccessDeniedException (HTTP 403), query services AccessDenied
    with HTTP 403.
    """
    action = f"{request.service}:{request.operation}"
    message = (
        f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource_arn} "
        f"because no identity-based policy allows the {action} action"
    )
    if request.protocol == "rest-json":
        return ApiError("AccessDeniedException", message, _modelled_status(request, "AccessDeniedException") or 403)
    if request.protocol == "query":
        return ApiError("AccessDenied", message, 403)
    return ApiError("AccessDeniedException", message, 400)


def unrecognized_client_error(request: SignedRequest) -> ApiError:
    """Build the error AWS returns for credentials used in a region the account has not enabled.

    For JSON services this is HTTP 400 ``UnrecognizedClientException`` "The
    security token included in the request is invalid.". Public bug reports show
    it for ECR, Lambda and CloudWatch Logs calls in disabled opt-in regions
    (awslabs/ecr-cleanup-lambda pull request 33, epsagon/clear-lambda-storage
    issue 9, nccgroup/ScoutSuite issue 1389).
    NOTE: the HTTP status for rest-json services (403 here) is not confirmed
    against AWS; botocore raises the same ClientError code either way.
    """
    message = "The security token included in the request is invalid."
    if request.protocol == "query":
        return ApiError("InvalidClientTokenId", message, 403)
    if request.protocol == "rest-json":
        return ApiError("UnrecognizedClientException", message, 403)
    return ApiError("UnrecognizedClientException", message, 400)


# -- response encoding ----------------------------------------------------------------


def error_response(
    protocol: str,
    service: str,
    error: ApiError,
    request_id: str,
    json_content_type: str = "application/x-amz-json-1.1",
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Encode `error` as the protocol does and return (status, headers, body)."""
    headers = [("x-amzn-RequestId", request_id)]
    if protocol == "rest-json":
        body = json.dumps({"message": error.message, **error.extra}).encode()
        headers += [("x-amzn-ErrorType", error.code), ("Content-Type", REST_JSON_CONTENT_TYPE)]
    elif protocol in ("query", "rest-xml", "ec2"):
        model = service_model(service)
        version = model.api_version if model is not None else ""
        kind = "Receiver" if error.status >= 500 else "Sender"
        body = (
            f'<ErrorResponse xmlns="https://{service}.amazonaws.com/doc/{version}/">'
            f"<Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>"
            f"<Message>{escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", XML_CONTENT_TYPE))
    else:
        body = error.body()
        headers.append(("Content-Type", json_content_type))
    headers.append(("Content-Length", str(len(body))))
    return error.status, headers, body


def unavailable_response(request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """Return a plain HTTP 503 without a body, as a load balancer in front of a service sends.

    botocore reports it with the code "503" and retries it as a transient error.
    """
    return 503, [("x-amzn-RequestId", request_id), ("Content-Length", "0")], b""
