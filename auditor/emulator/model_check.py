"""Check raw response bodies against a botocore service model (ECR by default).

botocore validates requests but parses responses leniently: a member the model
does not define, a wrong type or an enum value outside the model pass silently.
The emulator's tests run every layer response through ``response_problems`` so
that the emulator cannot drift from what AWS is able to send. Responses of the
JSON protocol (ECR) and of the rest-json protocol (Inspector, Account
Management) are both checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape

# Required members that the emulator leaves out on purpose, by (service, shape).
# Inspector's State marks errorCode and errorMessage required, yet a state
# without an error has no ErrorCode value to report; moto 5.2.5 omits them too.
# NOTE: not checked against a live BatchGetAccountStatus response.
OMITTED_REQUIRED_MEMBERS: dict[tuple[str, str], frozenset[str]] = {
    ("inspector2", "State"): frozenset({"errorCode", "errorMessage"}),
}


def response_problems(
    operation: str,
    status: int,
    body: bytes | str,
    *,
    service: str = "ecr",
    headers: Mapping[str, str] | None = None,
) -> list[str]:
    """Return every way a raw response body departs from the service model; empty means valid.

    A 2xx body is walked against the operation's output shape. Any other status
    must carry an error that the operation models, with a string ``message``
    and no members outside the error's shape. The JSON protocol names the error
    in the body's ``__type``, rest-json in the ``x-amzn-ErrorType`` header.
    """
    model = botocore.session.get_session().get_service_model(service)
    operation_model = model.operation_model(operation)
    try:
        document = json.loads(body or b"{}")
    except ValueError as exc:
        return [f"{operation}: body is not JSON: {exc}"]
    if 200 <= status < 300:
        problems: list[str] = []
        if operation_model.output_shape is None:
            if document:
                problems.append(f"{operation}: the model defines no output but the body has {document}")
            return problems
        _walk(operation_model.output_shape, document, operation, problems, service)
        return problems
    modelled = {shape.name: shape for shape in operation_model.error_shapes}
    if model.protocol == "rest-json":
        code = {key.lower(): value for key, value in (headers or {}).items()}.get("x-amzn-errortype")
        return _error_problems(operation, document, code, modelled, service)
    if not isinstance(document, dict):
        return [f"{operation}: error body is not an object"]
    return _error_problems(
        operation, {k: v for k, v in document.items() if k != "__type"}, document.get("__type"), modelled, service
    )


def _error_problems(
    operation: str, document: Any, code: object, modelled: Mapping[str, Shape], service: str
) -> list[str]:
    if not isinstance(document, dict):
        return [f"{operation}: error body is not an object"]
    if code not in modelled:
        return [f"{operation}: error type {code!r} is not one of the modelled errors {sorted(modelled)}"]
    problems: list[str] = []
    if not isinstance(document.get("message"), str):
        problems.append(f"{operation}: error has no string message")
    _walk(modelled[str(code)], document, f"{operation} {code}", problems, service)
    return problems


def _walk(shape: Shape, value: Any, path: str, problems: list[str], service: str) -> None:
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        _walk_structure(shape, value, path, problems, service)
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list ({shape.name}), got {type(value).__name__}")
            return
        for index, item in enumerate(value):
            _walk(shape.member, item, f"{path}[{index}]", problems, service)
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a map ({shape.name}), got {type(value).__name__}")
            return
        for key, item in value.items():
            _walk(shape.key, key, f"{path}<key {key}>", problems, service)
            _walk(shape.value, item, f"{path}.{key}", problems, service)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string ({shape.name}), got {type(value).__name__}")
            return
        enum = shape.enum if isinstance(shape, StringShape) else []
        if enum and value not in enum:
            problems.append(f"{path}: {value!r} is not in the {shape.name} enum {list(enum)}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{path}: expected an integer ({shape.name}), got {value!r}")
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{path}: expected a number ({shape.name}), got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean ({shape.name}), got {value!r}")
    elif kind == "timestamp":
        # The JSON protocol sends timestamps as epoch seconds.
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{path}: expected epoch seconds ({shape.name}), got {value!r}")
    elif kind == "blob":
        if not isinstance(value, str):
            problems.append(f"{path}: expected base64 text ({shape.name}), got {value!r}")
    else:
        problems.append(f"{path}: shape type {kind!r} of {shape.name} is not checked")


def _walk_structure(shape: StructureShape, value: Any, path: str, problems: list[str], service: str) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: expected an object ({shape.name}), got {type(value).__name__}")
        return
    members = shape.members
    for name, item in value.items():
        if name not in members:
            problems.append(f"{path}: member {name!r} is not in {shape.name}")
            continue
        _walk(members[name], item, f"{path}.{name}", problems, service)
    omitted = OMITTED_REQUIRED_MEMBERS.get((service, shape.name), frozenset())
    for required in shape.required_members:
        if required not in value and required not in omitted:
            problems.append(f"{path}: required member {required!r} of {shape.name} is missing")
