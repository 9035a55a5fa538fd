"""Mount an ASGI application behind a synchronous httpx.Client, in-process.

httpx ships `ASGITransport` for `AsyncClient` only. The reconciler's clients are synchronous (apply gets its
concurrency from threads), so this transport runs the ASGI app on an event loop in one daemon thread and hands
each request to it. It knows nothing about which app it serves.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, MutableMapping
from typing import Any

import httpx

AsgiApp = Callable[
    [MutableMapping[str, Any], Callable[[], Any], Callable[[MutableMapping[str, Any]], Any]],
    Any,
]


class SyncAsgiTransport(httpx.BaseTransport):
    """A synchronous httpx transport that calls an ASGI app in-process."""

    def __init__(self, app: AsgiApp, *, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self._inner = httpx.ASGITransport(app=app, client=client)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="asgi-transport", daemon=True)
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        async_request = httpx.Request(
            request.method, request.url, headers=request.headers, content=body, extensions=request.extensions
        )
        future = asyncio.run_coroutine_threadsafe(self._send(async_request), self._loop)
        status, headers, content = future.result()
        return httpx.Response(status, headers=headers, content=content, request=request)

    async def _send(self, request: httpx.Request) -> tuple[int, httpx.Headers, bytes]:
        response = await self._inner.handle_async_request(request)
        content = await response.aread()
        await response.aclose()
        return response.status_code, response.headers, content

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        if not self._loop.is_running() and not self._loop.is_closed():
            self._loop.close()
