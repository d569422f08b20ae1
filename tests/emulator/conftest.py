"""Fixtures for the emulator's tests.

``emulator_server`` (one server per test process) and ``emulator`` (that server,
reset before the test) come from the repository's root conftest. moto's backends
are process-global, so these tests share that server; only the stop-and-start test
runs a second one, briefly, and changes no state through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from auditor.emulator.seed import EstateSeeder
from auditor.emulator.server import EmulatorServer


@pytest.fixture(autouse=True)
def _no_forced_moto_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Drop MOTO_ACCOUNT_ID, which would send every request to one account."""
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
    yield


@pytest.fixture
def seeder(emulator: EmulatorServer) -> EstateSeeder:
    return EstateSeeder(emulator)


class RawBodies:
    """Records the raw HTTP status, body and headers of each response, by operation name."""

    def __init__(self) -> None:
        self.responses: dict[str, tuple[int, bytes]] = {}
        self.headers: dict[str, dict[str, str]] = {}

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-parse", self._record)
        return client

    def _record(self, operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        self.responses[operation_model.name] = (response_dict["status_code"], response_dict["body"])
        self.headers[operation_model.name] = dict(response_dict["headers"])


@pytest.fixture
def raw_bodies() -> RawBodies:
    return RawBodies()
