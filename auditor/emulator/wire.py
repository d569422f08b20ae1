"""Wire format of the emulated ECR API: AWS JSON 1.1 bodies, errors and pagination.

ECR speaks the ``awsJson1_1`` protocol: a POST whose ``X-Amz-Target`` header names
the operation, a JSON body, timestamps as epoch seconds, and errors as HTTP 400
with ``{"__type": "<ExceptionName>", "message": "..."}``. botocore turns
``__type`` into the modelled exception class, so the names used here must be
the ones in the botocore ECR service model.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import botocore.session
from botocore.model import ServiceModel, StringShape

ECR_TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921."
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"

# ECR list operations return 100 items per page by default and accept a maxResults
# of at most 1000. DescribeRepositories, DescribeImages, ListImages,
# DescribeImageScanFindings, DescribePullThroughCacheRules and
# DescribeRepositoryCreationTemplates all document "between 1 and 1000".
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

T = TypeVar("T")


class ApiError(Exception):
    """An AWS error response: the error code, its message, HTTP status and any modelled extra members.

    ``extra`` contains the members beside ``message`` that the error shape defines, such
    as Inspector's ``reason`` on ValidationException.
    """

    def __init__(self, code: str, message: str, status: int = 400, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.extra = dict(extra or {})

    def body(self) -> bytes:
        """Return the awsJson error body, which carries the code in ``__type``."""
        return json.dumps({"__type": self.code, "message": self.message, **self.extra}).encode()


class EcrError(ApiError):
    """An ECR error response: the modelled exception name, its message and HTTP status."""


def invalid_parameter(name: str, constraint: str) -> EcrError:
    """Build the InvalidParameterException that ECR returns for a rejected request field."""
    return EcrError(
        "InvalidParameterException",
        f"Invalid parameter at '{name}' failed to satisfy constraint: '{constraint}'",
    )


def validation_error(name: str, value: object, constraint: str) -> EcrError:
    """Build the ValidationException that AWS request validation returns."""
    return EcrError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: {constraint}",
    )


@functools.lru_cache(maxsize=1)
def ecr_service_model() -> ServiceModel:
    """Load the botocore ECR service model once per process."""
    return botocore.session.get_session().get_service_model("ecr")


def model_enum(shape_name: str) -> tuple[str, ...]:
    """Return the enum values of a string shape in the ECR service model."""
    shape = ecr_service_model().shape_for(shape_name)
    return tuple(shape.enum) if isinstance(shape, StringShape) else ()


def to_wire(value: Any) -> Any:
    """Convert a response value to JSON-ready form, with datetimes as epoch seconds.

    Keys whose value is None are dropped, because AWS leaves absent members out
    of the body instead of sending null.
    """
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    return value


def encode_body(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(to_wire(payload)).encode()


def page_size(params: Mapping[str, Any]) -> int:
    """Return the page size of a list request, validated against ECR's 1..1000 range."""
    raw = params.get("maxResults")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= MAX_PAGE_SIZE:
        raise invalid_parameter("maxResults", f"Member must have value between 1 and {MAX_PAGE_SIZE}")
    return raw


def encode_token(operation: str, offset: int) -> str:
    raw = json.dumps({"operation": operation, "offset": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_token(operation: str, token: object) -> int:
    """Return the offset stored in a nextToken issued by `operation`.

    Raises InvalidParameterException for a token that this emulator did not issue
    for the same operation, as ECR does for a tampered or foreign token.
    """
    offset = token_offset(operation, token)
    if offset is None:
        raise invalid_parameter("nextToken", "Invalid token")
    return offset


def token_offset(operation: str, token: object) -> int | None:
    """Return the offset stored in a token that `operation` issued, or None for any other value."""
    if not isinstance(token, str):
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(decoded, dict) or decoded.get("operation") != operation:
        return None
    offset = decoded.get("offset")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        return None
    return offset


def paginate(operation: str, items: Sequence[T], params: Mapping[str, Any]) -> tuple[list[T], str | None]:
    """Return one page of `items` and the nextToken for the following page, if any.

    Tokens hold an offset, so a page boundary moves if items are added or removed
    between calls; ECR makes no stronger promise about concurrent changes either.
    """
    size = page_size(params)
    token = params.get("nextToken")
    offset = 0 if token is None else decode_token(operation, token)
    page = list(items[offset : offset + size])
    following = offset + size
    next_token = encode_token(operation, following) if following < len(items) else None
    return page, next_token
