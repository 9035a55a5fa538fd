"""Serve the emulator over HTTP with uvicorn: blocking (`serve`) or in a thread (`running_server`).

with running_server() as base_url:          # http://127.0.0.1:PORT, a free port
    httpx.get(f"{base_url}/contactnow/token.php", params={...})
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from .app import build_state, create_app
from .faults import apply_spec
from .state import EmulatorState

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 10.0


LISTENING = "emulator listening on http://%s:%d/"
"""The line `serve` logs once its socket is bound (before it accepts); with port 0 it names the port chosen."""


def serve(host: str, port: int, db: str | None, seed: str | None, faults: list[str] | None = None) -> None:
    """Run the emulator on HOST:PORT until interrupted (blocking). `faults` are fault-spec strings.

    Port 0 lets the system choose a free port, which the LISTENING log line names: a process that starts the
    emulator reads it there, rather than guessing a free port that another process could take first.
    """
    state = build_state(db, seed)
    try:
        for spec in faults or []:
            apply_spec(state, spec)  # fault rules, and the token_lifetime / read_lag settings
        config = uvicorn.Config(
            create_app(state), host=host, port=port, lifespan="off", log_level="warning", access_log=False
        )
        sock = config.bind_socket()
        log.info(LISTENING, host, sock.getsockname()[1])
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        state.store.close()


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the main thread keeps its own handlers
        return None


class ServerThread:
    """An ASGI app served by uvicorn on 127.0.0.1 (a free port) in a daemon thread.

    `start()` returns the base URL once the server accepts connections; `stop()` shuts it down.
    """

    def __init__(self, app: ASGIApp) -> None:
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only for such sockets
        # (without it every response waits ~40 ms for a delayed ACK).
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = _ThreadServer(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name=f"emulator-{self.port}",
            daemon=True,
        )

    def start(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not self._server.started:
            self.stop()
            raise RuntimeError("the emulator server did not start")
        return self.base_url

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(SHUTDOWN_TIMEOUT)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(SHUTDOWN_TIMEOUT)
        self._sock.close()


@contextlib.contextmanager
def running_server(state: EmulatorState | None = None, **build_kwargs: Any) -> Iterator[str]:
    """Serve `state` (or `build_state(**build_kwargs)`) on 127.0.0.1, a free port, in a background thread.

    Yields the base URL `http://127.0.0.1:PORT`; stops the server when the block ends. A state built here is
    closed here too; a state passed in stays open (the caller owns it).
    """
    owned = state is None
    if state is None:
        state = build_state(**build_kwargs)
    try:
        server = ServerThread(create_app(state))
        try:
            yield server.start()
        finally:
            server.stop()
    finally:
        if owned:
            state.store.close()
