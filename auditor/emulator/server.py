"""The emulated AWS endpoint: moto 5.2.5 in server mode behind the gateway and the ECR layer.

One ``EmulatorServer`` per process is the intended use. moto keeps its backends
in process-global dictionaries, so two servers in one process would share every
account and region but not the layer state. Reuse one server and call
``reset()`` between tests, which clears both.

Typical use::

    with EmulatorServer() as server:
        os.environ["AWS_ENDPOINT_URL"] = server.endpoint_url
        ...
        server.reset()
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from types import TracebackType
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from auditor.emulator import moto_bridge
from auditor.emulator.ecr_layer import EcrLayerMiddleware
from auditor.emulator.gateway import EmulatorGateway
from auditor.emulator.state import EmulatorState

logger = logging.getLogger(__name__)

# How often serve_forever checks for shutdown, in seconds; bounds how long stop() waits.
_POLL_INTERVAL_S = 0.05


class _LoggingRequestHandler(MotoRequestHandler):
    """moto's request handler with werkzeug's access lines sent to DEBUG logging."""

    def log(self, type: str, message: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), message % args)


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        is_loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        is_loopback = False
    if not is_loopback:
        raise ValueError(
            f"EmulatorServer binds only to a loopback address such as 127.0.0.1, not {host!r}: "
            "it accepts any credentials and must not be reachable from other hosts"
        )


class EmulatorServer:
    """moto, the ECR layer and the gateway served over HTTP on a loopback address, in a daemon thread."""

    _running_count = 0
    _running_lock = threading.Lock()

    def __init__(self, host: str = "127.0.0.1", port: int = 0, latency_ms: float = 0.0) -> None:
        _check_loopback(host)
        self.host = host
        self.port = port
        self.state = EmulatorState()
        # Incremented by reset(); holders of moto-issued credentials compare it to
        # notice that moto forgot those credentials.
        self.generation = 0
        if latency_ms < 0:
            raise ValueError(f"latency_ms must be zero or positive, not {latency_ms}")
        self._latency_ms = latency_ms
        self._gateway: EmulatorGateway | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def latency_ms(self) -> float:
        """Delay added before every request, in milliseconds (moto's requests included).

        The control endpoint (POST /_emulator/latency) can change it too.
        """
        if self._gateway is not None:
            return self._gateway.latency_ms
        return self._latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        if value < 0:
            raise ValueError(f"latency_ms must be zero or positive, not {value}")
        self._latency_ms = value
        if self._gateway is not None:
            self._gateway.latency_ms = value

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("EmulatorServer is not running; call start() first")
        return f"http://{self.host}:{self._server.port}"

    def start(self) -> str:
        """Start serving and return the endpoint URL. Calling it again changes nothing."""
        if self._server is not None:
            return self.endpoint_url
        self._gateway = EmulatorGateway(
            EcrLayerMiddleware(DomainDispatcherApplication(create_backend_app), self.state),
            self.state,
            self._latency_ms,
            reset=self.reset,
        )
        self._server = make_server(
            self.host,
            self.port,
            self._gateway,
            threaded=True,
            request_handler=_LoggingRequestHandler,
        )
        with EmulatorServer._running_lock:
            if EmulatorServer._running_count:
                logger.warning(
                    "another EmulatorServer is running in this process; both share moto's "
                    "backends but not the layer state"
                )
            EmulatorServer._running_count += 1
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL_S},
            name="ecr-auditor-emulator",
            daemon=True,
        )
        self._thread.start()
        logger.info("emulator listening on %s", self.endpoint_url)
        return self.endpoint_url

    def stop(self) -> None:
        """Stop serving and wait for the server thread. The state is kept."""
        if self._server is None:
            return
        endpoint = self.endpoint_url
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._latency_ms = self._gateway.latency_ms if self._gateway is not None else self._latency_ms
        self._server = None
        self._thread = None
        self._gateway = None
        with EmulatorServer._running_lock:
            EmulatorServer._running_count -= 1
        logger.info("emulator at %s stopped", endpoint)

    def reset(self) -> None:
        """Clear every moto backend and the layer state (faults and region statuses too), and bump ``generation``.

        moto also drops the credentials that STS AssumeRole issued before the reset,
        and then attributes them to its default account.
        """
        moto_bridge.reset_moto()
        self.state.clear()
        self.generation += 1
        logger.debug("emulator reset, generation %d", self.generation)

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
