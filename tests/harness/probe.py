"""ASGI instrumentation in front of the emulator app: how many requests it holds at once.

`Probe(app)` passes every request through to the emulator. A watch on a set of ops (the emulator's request-log
names: `ecnow_records.create`, `cc.add`...) sees each matching request when it arrives, before the emulator
fails or serves it, and again when its answer is complete:

    with probe.watch("ecnow_records.create", hold_until=3) as seen:
        ...                      # run the reconciler
    seen.arrived, seen.peak      # how many arrived; the most in flight at once

`gated=True` holds every arrival until the test calls `Watch.open()`, so that a client is caught in the middle
of its work for as long as the test needs (`Watch.wait_for(n, timeout)` waits for the n-th arrival).

`hold_until=n` holds every arrival until n have arrived, so that n concurrent requests are seen in flight
together however slowly the client sends them; a client that never has n in flight is let through after
HOLD_SECONDS and shows a lower peak. A request leaves the count just before the last byte of its answer is sent,
so a client cannot send its next request before that. A connection dropped without an answer leaves it when the
emulator has dropped it.

It works the same whether the app is served on loopback or called in-process. Ops are told from the method, path
and query string (`faults.classify`), as the reconciler's clients send their writes; a ContactNow request that
names its method only in a POSTed form (the token request does) is not recognised here.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.emulator.faults import classify

HOLD_SECONDS = 30.0
"""The longest an arrival is held waiting for the others: far beyond any correct client, short of a timeout."""

GATE_SECONDS = 120.0
"""The longest a gate holds an arrival: a test that never opens it fails on its own timeouts, not by hanging."""


@dataclass
class Watch:
    """What a probe saw of the requests of some ops while the watch was on."""

    ops: frozenset[str]
    hold_until: int = 0
    arrived: int = 0
    """Requests that arrived."""
    in_flight: int = 0
    """Requests that arrived and are not yet answered."""
    peak: int = 0
    """The most requests in flight at once."""
    gated: bool = False
    """Whether arrivals are held until `open()`."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _all_here: asyncio.Event | None = field(default=None, repr=False)
    _arrivals: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _opened: threading.Event = field(default_factory=threading.Event, repr=False)

    def _arrive(self) -> int:
        with self._lock:
            self.arrived += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            number = self.arrived
        with self._arrivals:
            self._arrivals.notify_all()
        return number

    def wait_for(self, arrivals: int, timeout: float) -> bool:
        """Block the calling thread until `arrivals` requests have arrived, or `timeout` seconds passed."""
        with self._arrivals:
            return self._arrivals.wait_for(lambda: self.arrived >= arrivals, timeout)

    def open(self) -> None:
        """Let the held arrivals, and all later ones, through."""
        self._opened.set()

    async def _wait_until_open(self) -> None:
        """Wait (in the server's event loop, which keeps serving other requests) until the gate is opened."""
        waited = 0.0
        while not self._opened.is_set() and waited < GATE_SECONDS:
            await asyncio.sleep(0.01)
            waited += 0.01

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    async def _hold(self, number: int) -> None:
        """Wait (in the server's event loop) until `hold_until` requests have arrived."""
        if self._all_here is None:
            self._all_here = asyncio.Event()
        if number >= self.hold_until:
            self._all_here.set()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._all_here.wait(), HOLD_SECONDS)


class Probe:
    """An ASGI app that serves `app` and reports the requests of the ops being watched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._watches: list[Watch] = []

    @contextlib.contextmanager
    def watch(
        self, ops: str | frozenset[str], *, hold_until: int = 0, gated: bool = False
    ) -> Iterator[Watch]:
        """Watch the requests of `ops` (one op or a set) while the block runs; `gated` holds each one until
        `Watch.open()` (or the end of the block)."""
        watched = Watch(frozenset({ops}) if isinstance(ops, str) else ops, hold_until, gated=gated)
        self._watches = [*self._watches, watched]
        try:
            yield watched
        finally:
            watched.open()
            self._watches = [other for other in self._watches if other is not watched]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watches = self._watching(scope)
        if not watches:
            await self.app(scope, receive, send)
            return
        numbers = [watched._arrive() for watched in watches]
        left = False

        def leave() -> None:
            nonlocal left
            if not left:
                left = True
                for watched in watches:
                    watched._leave()

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                leave()
            await send(message)

        try:
            for watched, number in zip(watches, numbers, strict=True):
                if watched.hold_until:
                    await watched._hold(number)
                if watched.gated:
                    await watched._wait_until_open()
            await self.app(scope, receive, answer)
        finally:
            leave()

    def _watching(self, scope: Scope) -> list[Watch]:
        watches = self._watches
        if not watches or scope["type"] != "http":
            return []
        query = bytes(scope.get("query_string", b"")).decode("latin-1")
        args: dict[str, str] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            args.setdefault(name, value)
        op = classify(str(scope.get("method", "GET")).upper(), str(scope.get("path", "")), args)
        return [watched for watched in watches if op in watched.ops]
