"""Fakes shared by the provider client tests: scripted vendor handlers for httpx.MockTransport, a recording
retry policy, and a real loopback HTTP server (uvicorn in a thread) for streaming and logging tests."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from json_layouts import ROWS, streamed

from reconciler.providers.http.retry import RetryPolicy

CN_BASE = "https://api-106.dxi.eu/"
PASSWORD = "pa ss/w&rd=+1"  # characters that URL-encoding changes
USERNAME = "api-user"
TOKENS = ("3b0c1d2e" * 5, "9f8e7d6c" * 5, "0a1b2c3d" * 5)
CC_TENANT = "acme-tenant"
CC_TOKEN = "cc-Tok3n/with+chars="

Fault = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class Sleeps:
    """A sleep that records instead of sleeping."""

    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def policy(
    sleeps: Sleeps, *, jitter: float = 1.0, attempts: int = 5, cap: float = 60.0, now: float | None = None
) -> RetryPolicy:
    """A retry policy that records its sleeps; `jitter` is what random() returns."""
    if now is None:
        return RetryPolicy(
            max_attempts=attempts,
            base_delay=0.5,
            max_delay=4.0,
            max_retry_after=cap,
            sleep=sleeps,
            random=lambda: jitter,
        )
    fixed = now
    return RetryPolicy(
        max_attempts=attempts,
        base_delay=0.5,
        max_delay=4.0,
        max_retry_after=cap,
        sleep=sleeps,
        random=lambda: jitter,
        now=lambda: fixed,
    )


class Scripted:
    """A MockTransport handler that serves a fixed sequence of answers (in order) and records every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class ChunkStream(httpx.SyncByteStream):
    """A body sent as the chunks of an iterator, as they come (never joined)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


class BreakingStream(httpx.SyncByteStream):
    """A body that sends `prefix` and then fails with `error` (by default like a reset connection)."""

    def __init__(self, prefix: bytes, error: Exception | None = None) -> None:
        self.prefix = prefix
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield self.prefix
        raise self.error or httpx.ReadError("connection reset by peer")


def arguments(request: httpx.Request) -> dict[str, str]:
    """Query parameters and form fields of a request, merged."""
    merged = dict(request.url.params)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        merged.update(parse_qsl(request.content.decode(), keep_blank_values=True))
    return merged


def envelope(status: int = 200, **body: Any) -> httpx.Response:
    return httpx.Response(status, json=body)


def record(record_id: int, dataset: int = 7) -> dict[str, Any]:
    """A ContactNow record as the API sends it (every value text)."""
    return {
        "id": str(record_id),
        "datasetid": str(dataset),
        "VENDOR_URN": f"U-{record_id}",
        "MobilePhone": "0770",
    }


@dataclass
class Seen:
    """One request the fake ContactNow received."""

    script: str
    args: dict[str, str]
    body: bytes
    headers: httpx.Headers
    path: str

    @property
    def op(self) -> str:
        if self.script == "token.php":
            return f"token.{self.args.get('action')}"
        return f"{self.args.get('method')}.{self.args.get('action')}"


class FakeContactNow:
    """A scripted ContactNow for MockTransport: tokens, records with limit/start paging, write envelopes.

    `faults[op]` is a queue of responses, exceptions or handlers served (in order) instead of the normal
    answer for that operation ("token.get", "ecnow_records.read", "ecnow_records.create", ...).
    """

    def __init__(self, records: list[dict[str, Any]] | None = None) -> None:
        self.records = records or []
        self.seen: list[Seen] = []
        self.faults: dict[str, list[Fault]] = {}
        self.issued = 0
        self.token: str | None = None
        self.write_answer: dict[str, Any] | None = None
        self.tables: list[dict[str, Any]] = []
        self.layout = "compact"
        """How records reads are written (json_layouts.STYLES), a few rows a chunk when not compact."""

    def ops(self) -> list[str]:
        return [seen.op for seen in self.seen]

    def fault(self, op: str, *faults: Fault) -> None:
        self.faults.setdefault(op, []).extend(faults)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        script = request.url.path.rsplit("/", 1)[-1]
        seen = Seen(script, arguments(request), request.content, request.headers, request.url.path)
        self.seen.append(seen)
        queue = self.faults.get(seen.op)
        if queue:
            fault = queue.pop(0)
            if isinstance(fault, Exception):
                raise fault
            if isinstance(fault, httpx.Response):
                return fault
            return fault(request)
        if script == "token.php":
            if seen.args.get("username") != USERNAME or seen.args.get("password") != PASSWORD:
                return envelope(success=False, error="Authentication failure")
            self.token = TOKENS[self.issued % len(TOKENS)]
            self.issued += 1
            return envelope(success=True, token=self.token, expire=int(time.time()) + 43200)
        if seen.args.get("token") != self.token:
            return envelope(success=False, error="Invalid token")
        if seen.op == "ecnow_records.read":
            return self._read_records(seen.args)
        if seen.op.endswith((".create", ".update")):
            rows = json.loads(request.content)
            answer = self.write_answer or {"success": True, "total": len(rows), "bad": 0, "key": 501}
            return envelope(**answer)
        if seen.op == "campaign_tables.read":
            return envelope(success=True, total=len(self.tables), list=self.tables)
        return envelope(success=True, total=0, list=[])

    def _read_records(self, args: Mapping[str, str]) -> httpx.Response:
        rows = [
            row for row in self.records if "dataset" not in args or str(row["datasetid"]) == args["dataset"]
        ]
        rows.sort(key=lambda row: int(row["id"]))
        total = len(rows)
        if "limit" in args:
            start = int(args.get("start", "0"))
            rows = rows[start : start + int(args["limit"])]
        if self.layout == "compact":
            return envelope(success=True, total=total, list=rows)
        body = {"success": True, "total": total, "list": [ROWS]}
        return httpx.Response(
            200, stream=ChunkStream(streamed(body, iter(rows), self.layout, rows_per_chunk=2))
        )


# ------------------------------------------------------------------------------------ real loopback server


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run an ASGI app with uvicorn on 127.0.0.1 in a thread; yield its base URL; stop it afterwards."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="test-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
