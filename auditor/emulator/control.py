"""The emulator's JSON control endpoint under ``/_emulator/``, for servers in another process.

A test or benchmark that starts ``python -m auditor.emulator serve`` cannot
reach the server's Python objects, so these paths set what the Python API sets:

- ``GET /_emulator/health``: ``{"status": "ok"}`` once the server accepts requests.
- ``GET /_emulator/faults``: the current fault plan, in ``FaultPlan.to_dict`` form.
- ``POST /_emulator/faults``: replace the fault plan with the JSON body.
- ``DELETE /_emulator/faults``: remove every fault.
- ``POST /_emulator/regions``: ``{"account": ..., "region": ..., "status": "ENABLED"}``
  sets an opt-in region's status for an account.
- ``POST /_emulator/latency``: ``{"latency_ms": 40}`` sets the delay before every request.
- ``POST /_emulator/reset``: clear moto and the layer state, as ``EmulatorServer.reset`` does.
- ``GET /_emulator/stats``: the requests received since the last stats reset, counted by
  (service, operation), in ``RequestStats.to_dict`` form.
- ``DELETE /_emulator/stats``: set every count to zero and return the emptied stats.

The server binds only to loopback addresses, so these paths need no credentials.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auditor.emulator.faults import FaultPlan
from auditor.emulator.state import EmulatorState

logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/_emulator/"

# The service name under which requests without a SigV4 signature are counted.
UNSIGNED = "unsigned"


class RequestStats:
    """Requests received, counted by (service, operation), with the wall-clock times of the first and last.

    The gateway counts each request once, on arrival and before the injected
    latency, so a benchmark can compare tools by the requests that reached the
    server and by when the first one arrived. Control requests are not counted.
    Thread-safe, because the server serves each request in its own thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._since = time.time()
        self._first: float | None = None
        self._last: float | None = None

    def count(self, service: str, operation: str) -> None:
        """Count one request; an empty operation (one the service model does not define) counts as "unknown"."""
        now = time.time()
        with self._lock:
            self._counts[(service, operation or "unknown")] += 1
            if self._first is None:
                self._first = now
            self._last = now

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._since = time.time()
            self._first = None
            self._last = None

    def to_dict(self) -> dict[str, Any]:
        """Return the counts as JSON: times are seconds since the Unix epoch, null before the first request."""
        with self._lock:
            operations = [
                {"service": service, "operation": operation, "count": count}
                for (service, operation), count in sorted(self._counts.items())
            ]
            return {
                "total": sum(self._counts.values()),
                "since": self._since,
                "first_request_at": self._first,
                "last_request_at": self._last,
                "operations": operations,
            }


@dataclass
class ControlHooks:
    """Targets of the control endpoint: the layer state, the request latency, a full reset and the request counts."""

    state: EmulatorState
    set_latency_ms: Callable[[float], None]
    reset: Callable[[], None]
    stats: RequestStats = field(default_factory=RequestStats)


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body) if body else {}
    except ValueError as exc:
        raise ControlError(400, f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ControlError(400, "The request body must be a JSON object")
    return parsed


def _faults(method: str, body: bytes, hooks: ControlHooks) -> dict[str, Any]:
    if method == "POST":
        try:
            plan = FaultPlan.from_dict(_json_object(body))
        except ValueError as exc:
            raise ControlError(400, f"Invalid fault plan: {exc}") from exc
        hooks.state.set_fault_plan(plan)
        logger.info("fault plan replaced through the control endpoint: %s", plan.to_dict())
    elif method == "DELETE":
        hooks.state.set_fault_plan(None)
        logger.info("fault plan removed through the control endpoint")
    elif method != "GET":
        raise ControlError(405, f"{method} is not allowed on /_emulator/faults; use GET, POST or DELETE")
    return hooks.state.fault_plan.to_dict()


def _regions(body: bytes, hooks: ControlHooks) -> dict[str, Any]:
    request = _json_object(body)
    account, region, status = request.get("account"), request.get("region"), request.get("status")
    if not isinstance(account, str) or not isinstance(region, str) or not isinstance(status, str):
        raise ControlError(400, 'The body needs string fields "account", "region" and "status"')
    try:
        hooks.state.set_region_status(account, region, status)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from exc
    return {"account": account, "region": region, "status": hooks.state.region_status(account, region)}


def _latency(body: bytes, hooks: ControlHooks) -> dict[str, Any]:
    value = _json_object(body).get("latency_ms")
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ControlError(400, f'"latency_ms" must be a number of 0 or more, not {value!r}')
    hooks.set_latency_ms(float(value))
    return {"latency_ms": float(value)}


def _stats(method: str, hooks: ControlHooks) -> dict[str, Any]:
    if method == "DELETE":
        hooks.stats.reset()
        logger.info("request counts reset through the control endpoint")
    elif method != "GET":
        raise ControlError(405, f"{method} is not allowed on /_emulator/stats; use GET or DELETE")
    return hooks.stats.to_dict()


def handle(method: str, path: str, body: bytes, hooks: ControlHooks) -> tuple[int, dict[str, Any]]:
    """Serve one control request and return (HTTP status, JSON body)."""
    name = path[len(CONTROL_PREFIX) :].strip("/")
    try:
        if name == "health" and method == "GET":
            return 200, {"status": "ok"}
        if name == "faults":
            return 200, _faults(method, body, hooks)
        if name == "stats":
            return 200, _stats(method, hooks)
        if method != "POST" and name in ("regions", "latency", "reset"):
            raise ControlError(405, f"{method} is not allowed on {path}; use POST")
        if name == "regions":
            return 200, _regions(body, hooks)
        if name == "latency":
            return 200, _latency(body, hooks)
        if name == "reset":
            hooks.reset()
            return 200, {"status": "reset"}
        raise ControlError(404, f"No control endpoint at {path}; see auditor.emulator.control for the list")
    except ControlError as error:
        logger.warning("control request %s %s rejected: %s", method, path, error.message)
        return error.status, {"message": error.message}
