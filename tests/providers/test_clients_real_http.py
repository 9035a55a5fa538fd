"""Both clients over real HTTP on loopback (uvicorn in a thread): streaming stays within bounded memory, and
DEBUG logging of httpx/httpcore never shows a credential in any form."""

from __future__ import annotations

import base64
import json
import logging
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qsl, quote, quote_plus

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from reconciler.providers.contactcenter.client import ContactCenterClient
from reconciler.providers.contactcenter.wire import AddItem, DeleteOutcome
from reconciler.providers.contactnow.client import ContactNowClient

from .provider_fakes import CC_TENANT, CC_TOKEN, PASSWORD, USERNAME, serve

SERVER_TOKEN = "5e1f0c9a" * 5
CN_RECORDS = 10_000
CC_MEMBERS = 10_000
CHUNK_ROWS = 50
PAD = "p" * 2000  # few, large rows: a big body without tracemalloc's per-object cost
BASIC = "Basic " + base64.b64encode(f"{CC_TENANT}:{CC_TOKEN}".encode()).decode()

_ROW = (
    '{"id":"%d","datasetid":"7","VENDOR_URN":"URN-%08d","FirstName":"Firstname","LastName":"Lastname",'
    '"MobilePhone":"07700%06d","Postcode":"AB1 2CD","ProcessType":"New Prospect","outcomecode":"",'
    '"callback":"0000-00-00 00:00:00","notes":"' + PAD + '"}'
)
_MEMBER = (
    '{"campaign-name":"Winback","campaign-id":1,"record-id":%d,"phone-list":"*Phone Number|555%07d",'
    '"status":0,"status-code":0,"ext-trans-data":"%d' + PAD + '","disposition-code":1000}'
)


async def _form(request: Request) -> dict[str, str]:
    merged = dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        merged.update(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    return merged


async def token(request: Request) -> Response:
    form = await _form(request)
    if form.get("username") != USERNAME or form.get("password") != PASSWORD:
        return JSONResponse({"success": False, "error": "Authentication failure"})
    return JSONResponse({"success": True, "token": SERVER_TOKEN, "expire": 2_000_000_000})


def _chunks(template: str, start: int, stop: int) -> Iterator[bytes]:
    """JSON array items start..stop-1, in chunks. Whole middle chunks repeat (cheap for the server to send,
    so the test measures the client); the first and last rows carry their real numbers."""
    middle = ",".join(template % (start + 1, 0, 0) for _ in range(CHUNK_ROWS)).encode()
    position = start
    while position < stop:
        count = min(CHUNK_ROWS, stop - position)
        separator = b"," if position > start else b""
        if position == start or count < CHUNK_ROWS or position + count == stop:
            yield (
                separator
                + ",".join(template % (i + 1, i, i) for i in range(position, position + count)).encode()
            )
        else:
            yield separator + middle
        position += count


async def _record_rows(start: int, stop: int) -> AsyncIterator[bytes]:
    yield b'{"success":true,"total":%d,"list":[' % CN_RECORDS
    for chunk in _chunks(_ROW, start, stop):
        yield chunk
    yield b"]}"


async def ecnow(request: Request) -> Response:
    form = await _form(request)
    if form.get("token") != SERVER_TOKEN:
        return JSONResponse({"success": False, "error": "Invalid token"})
    if form.get("method") == "ecnow_records" and form.get("action") == "read":
        start = int(form.get("start", "0"))
        limit = int(form.get("limit", str(CN_RECORDS)))
        stop = min(CN_RECORDS, start + limit)
        return StreamingResponse(_record_rows(start, max(start, stop)), media_type="application/json")
    if form.get("action") in ("create", "update"):
        return JSONResponse({"success": True, "total": 1, "bad": 0, "key": 77})
    return JSONResponse({"success": True, "total": 0, "list": []})


async def _members() -> AsyncIterator[bytes]:
    yield b'{"records":{"record":['
    for chunk in _chunks(_MEMBER, 0, CC_MEMBERS):
        yield chunk
    yield b"]}}"


def _cc_auth(request: Request) -> Response | None:
    if request.headers.get("authorization") != BASIC:
        return JSONResponse({"message": "Unauthorized"}, status_code=401)
    return None


async def members(request: Request) -> Response:
    return _cc_auth(request) or StreamingResponse(_members(), media_type="application/json")


async def add(request: Request) -> Response:
    return _cc_auth(request) or JSONResponse([{"customer-id": 5, "http-status": 200}], status_code=207)


async def delete(request: Request) -> Response:
    return _cc_auth(request) or Response(status_code=204)


APP = Starlette(
    routes=[
        Route("/contactnow/token.php", token, methods=["GET", "POST"]),
        Route("/contactnow/ecnow.php", ecnow, methods=["GET", "POST"]),
        Route("/cc/api/stats/campaigns/{cid}/records.json", members, methods=["GET"]),
        Route("/cc/api/tstats/campaigns/{cid}/customers", add, methods=["POST"]),
        Route("/cc/api/tstats/campaigns/{cid}/customers/{customer}", delete, methods=["DELETE"]),
    ]
)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(APP) as url:
        yield url


def test_iter_records_streams_pages_in_bounded_memory(base_url: str) -> None:
    with ContactNowClient(f"{base_url}/contactnow/", USERNAME, PASSWORD) as client:
        client.count_records(dataset=7)  # token and connection set up outside the measurement
        tracemalloc.start()
        try:
            count = 0
            body_bytes = 0
            last = ""
            for row in client.iter_records(dataset=7, page_size=2_000):
                count += 1
                body_bytes += len(json.dumps(row, separators=(",", ":")))
                last = row["id"]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert count == CN_RECORDS
    assert last == str(CN_RECORDS)
    assert body_bytes > 20_000_000
    assert peak < body_bytes / 10, f"peak {peak} bytes while streaming about {body_bytes} bytes"


def test_iter_members_streams_in_bounded_memory(base_url: str) -> None:
    with ContactCenterClient(f"{base_url}/cc", CC_TENANT, CC_TOKEN) as client:
        tracemalloc.start()
        try:
            count = 0
            first = last = ""
            for member in client.iter_members(1):
                if not count:
                    first = member.record_id
                count += 1
                last = member.record_id
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    body_size = len(_MEMBER % (CC_MEMBERS, 0, 0)) * CC_MEMBERS
    assert count == CC_MEMBERS
    assert (first, last) == ("1", str(CC_MEMBERS))
    assert body_size > 20_000_000
    assert peak < body_size / 10, f"peak {peak} bytes while streaming a {body_size}-byte body"


def test_debug_logs_of_httpx_and_httpcore_hold_no_secret(
    base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with ContactNowClient(f"{base_url}/contactnow/", USERNAME, PASSWORD) as client:
        assert client.update_records([{"id": "1", "dataset": "7", "notes_append": "x"}]).total == 1
        assert client.create_records([{"dataset": "7", "MobilePhone": "07700900123"}]).total == 1
        assert client.count_records(dataset=7) == CN_RECORDS
    with ContactCenterClient(f"{base_url}/cc", CC_TENANT, CC_TOKEN) as cc:
        assert cc.add_customers(1, [AddItem("5")])[0].ok
        assert cc.delete_customer(1, 5) is DeleteOutcome.DELETED
    names = {record.name for record in caplog.records}
    assert {"httpx", "httpcore.http11", "httpcore.connection"} <= names
    texts = [caplog.text] + [record.getMessage() for record in caplog.records]
    basic = BASIC.removeprefix("Basic ")
    forbidden = {
        SERVER_TOKEN,
        PASSWORD,
        quote(PASSWORD, safe=""),
        quote_plus(PASSWORD, safe=""),
        CC_TOKEN,
        quote(CC_TOKEN, safe=""),
        quote_plus(CC_TOKEN, safe=""),
        basic,
    }
    for text in texts:
        for secret in forbidden:
            assert secret not in text
    write_lines = [message for message in texts[1:] if "action=create" in message]
    assert write_lines, "httpx should log the write URL"
    assert all("token=***" in message for message in write_lines)
