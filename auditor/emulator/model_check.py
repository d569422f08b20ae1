"""Check raw ECR response bodies against the botocore ECR service model.

botocore validates requests but parses responses leniently: a member the model
does not define, a wrong type or an enum value outside the model pass silently.
The emulator's tests run every layer response through ``response_problems`` so
that the emulator cannot drift from what AWS is able to send.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from auditor.emulator.wire import ecr_service_model, model_enum


def response_problems(operation: str, status: int, body: bytes | str) -> list[str]:
    """Return every way a raw response body departs from the ECR model; empty means valid.

    A 2xx body is walked against the operation's output shape. Any other status
    must carry an error whose ``__type`` is one of the operation's modelled
    errors and whose ``message`` is a string.
    """
    operation_model = ecr_service_model().operation_model(operation)
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
        _walk(operation_model.output_shape, document, operation, problems)
        return problems
    return _error_problems(operation, document, [shape.name for shape in operation_model.error_shapes])


def _error_problems(operation: str, document: Any, modelled: list[str]) -> list[str]:
    if not isinstance(document, dict):
        return [f"{operation}: error body is not an object"]
    problems = []
    code = document.get("__type")
    if code not in modelled:
        problems.append(f"{operation}: error type {code!r} is not one of the modelled errors {modelled}")
    if not isinstance(document.get("message"), str):
        problems.append(f"{operation}: error has no string message")
    extra = set(document) - {"__type", "message"}
    if extra:
        problems.append(f"{operation}: error has members outside the model: {sorted(extra)}")
    return problems


def _walk(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        _walk_structure(shape, value, path, problems)
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list ({shape.name}), got {type(value).__name__}")
            return
        for index, item in enumerate(value):
            _walk(shape.member, item, f"{path}[{index}]", problems)
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a map ({shape.name}), got {type(value).__name__}")
            return
        for key, item in value.items():
            _walk(shape.key, key, f"{path}<key {key}>", problems)
            _walk(shape.value, item, f"{path}.{key}", problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string ({shape.name}), got {type(value).__name__}")
            return
        enum = model_enum(shape.name)
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


def _walk_structure(shape: StructureShape, value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: expected an object ({shape.name}), got {type(value).__name__}")
        return
    members = shape.members
    for name, item in value.items():
        if name not in members:
            problems.append(f"{path}: member {name!r} is not in {shape.name}")
            continue
        _walk(members[name], item, f"{path}.{name}", problems)
    for required in shape.required_members:
        if required not in value:
            problems.append(f"{path}: required member {required!r} of {shape.name} is missing")
