"""The request log on its own (redaction, since/op filters, counting, bounds), and when the app records it."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import MutableMapping
from typing import Any

import pytest

from reconciler.emulator import build_state, create_app
from reconciler.emulator.requestlog import RequestLog, redact, redact_target


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "/contactnow/token.php?action=get&username=demo&password=s3cr3t&format=json",
            "/contactnow/token.php?action=get&username=demo&password=***&format=json",
        ),
        (
            "/contactnow/ecnow.php?token=0123456789abcdef&method=ecnow_records&action=read",
            "/contactnow/ecnow.php?token=***&method=ecnow_records&action=read",
        ),
        ("/x?TOKEN=abc&Password=def", "/x?TOKEN=***&Password=***"),
        ("/x?token[0]=abc", "/x?token[0]=***"),
        ("Authorization: Basic ZGVtbzpkZW1vLXRva2Vu", "Authorization: Basic ***"),
        ("Bearer abc.def-ghi", "Bearer ***"),
        ("http://demo:demo-token@127.0.0.1:8000/cc", "http://***@127.0.0.1:8000/cc"),
        ('{"token": "abc", "x": 1}', '{"token": "***", "x": 1}'),
        ("/x?tokenize=1&mytoken=2", "/x?tokenize=1&mytoken=2"),
        ("error=Invalid token", "error=Invalid token"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_target_joins_path_and_query() -> None:
    assert redact_target("/contactnow/ecnow.php", "") == "/contactnow/ecnow.php"
    assert redact_target("/a", "token=t&b=1") == "/a?token=***&b=1"


def test_record_redacts_path_and_result_and_counts() -> None:
    log = RequestLog()
    log.record(
        time=1.0, method="get", path="/t.php?password=pw", op="token.get", status=200, result="success"
    )
    log.record(
        time=2.0,
        method="POST",
        path="/e.php?token=tk",
        op="ecnow_records.create",
        rows=3,
        status=None,
        result="success token=tk",
        fault="commit_then_fail:drop",
        committed=True,
    )
    log.record(
        time=3.0, method="POST", path="/e.php", op="ecnow_records.create", status=502, fault="error:502"
    )
    entries = log.entries()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].to_dict() == {
        "seq": 1,
        "time": 1.0,
        "method": "GET",
        "path": "/t.php?password=***",
        "op": "token.get",
        "rows": None,
        "status": 200,
        "result": "success",
        "fault": None,
        "committed": False,
    }
    assert entries[1].path == "/e.php?token=***"
    assert entries[1].result == "success token=***"
    assert "pw" not in repr(entries) and "tk" not in repr(entries)
    assert log.count(op="ecnow_records.create") == 2
    assert log.count(op="ecnow_records.create", committed=True) == 1
    assert log.count(fault="error") == 1
    assert log.count(fault="commit_then_fail") == 1
    assert log.count(status=502, method="post") == 1
    assert [e.seq for e in log.entries(since=1, op="ecnow_records.create")] == [2, 3]


def test_clear_keeps_seq_counting_and_bound_drops_oldest() -> None:
    log = RequestLog(max_entries=2)
    for i in range(3):
        log.record(time=float(i), method="GET", path="/", op="x")
    assert [e.seq for e in log] == [2, 3]
    log.clear()
    assert len(log) == 0
    assert log.last_seq == 3
    assert log.record(time=0.0, method="GET", path="/", op="x").seq == 4
    with pytest.raises(ValueError, match="max_entries must be at least 1"):
        RequestLog(max_entries=0)


def test_thread_safe_sequence() -> None:
    log = RequestLog()

    def work() -> None:
        for _ in range(500):
            log.record(time=0.0, method="GET", path="/", op="x")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [e.seq for e in log] == list(range(1, 2001))


def test_a_bodiless_answer_is_logged_before_its_headers_leave() -> None:
    """A 204, or a 404 with no body, is whole once its headers are out (uvicorn writes them at once), so a client
    may read the log before the empty body message reaches the middleware: the entry is recorded first."""
    state = build_state()
    state.store.execute(
        "INSERT INTO cc_members(campaign_id, customer_id, schedule, status, status_code, disposition_code,"
        " ext_trans_data, seq) VALUES (125, 10000001, NULL, 0, 0, 1000, '', 1)"
    )
    app = create_app(state)
    logged_at_start: list[tuple[int, int]] = []

    async def call(method: str, path: str, body: bytes) -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                logged_at_start.append((int(message["status"]), len(state.log.entries())))

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"authorization", b"Basic " + base64.b64encode(b"demo:demo-token"))],
            "client": ("127.0.0.1", 50000),
            "server": ("emulator", 80),
        }
        await app(scope, receive, send)

    async def calls() -> None:
        await call("PATCH", "/cc/api/tstats/campaigns/999", b'{"status": "PAUSED"}')
        await call("DELETE", "/cc/api/tstats/campaigns/125/customers/10000001", b"")

    try:
        asyncio.run(calls())
    finally:
        state.store.close()
    assert logged_at_start == [(404, 1), (204, 2)]
