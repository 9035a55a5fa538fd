"""The ContactNow API v2 over HTTP: token.php, ecnow.php and database.php under one base URL.

`contactnow_routes(state)` gives the Starlette routes (mounted under `/contactnow`). A request is parsed here
(query and form arguments, the raw JSON or `<easycall>` XML body), checked (token, method, action, body), and
handed to a synchronous handler in a worker thread; the result is rendered as JSON or XML. Reads of records
stream. Every request describes itself on `request.state` (op, rows, result, committed) for the request log.

A write body the server cannot parse is refused whole, like any application error (HTTP 200, `success`
false), with `Could not parse the request body` [choice: the contract documents only the empty body's
answer]: JSON that is not strict JSON or nests deeper than 512 (jsonbody.py), XML that is not well-formed.
Nothing of it is stored.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from . import jsonbody, xmlformat
from .contactnow_core import ApiFailure, Args, Call, Envelope, Listing, Row, as_text
from .contactnow_creates import create_records
from .contactnow_datasets import (
    create_datasets,
    create_outcomes,
    read_campaign_fields,
    read_campaign_tables,
    read_datasets,
    read_outcomes,
    read_queues,
    update_datasets,
    update_outcomes,
)
from .contactnow_records import read_records, update_records
from .contactnow_tod import (
    create_tod_policies,
    create_tod_rules,
    read_tod_policies,
    read_tod_rules,
    update_queues,
    update_tod_policies,
    update_tod_rules,
)
from .contactnow_tokens import check_token, get_token, validate_token
from .jsonstyle import JsonStyle, Stream, restyle
from .state import EmulatorState

log = logging.getLogger(__name__)

Format = Literal["json", "xml"]
Reader = Callable[[Call], Listing]
Writer = Callable[[Call, Sequence[Row]], Envelope]
NO_BODY = "No file uploaded. Missing 'easycall' section?"
BAD_BODY = "Could not parse the request body"

RAW_STARTS = (b"[", b"{", b"<")
JSON_TYPE = "application/json"
XML_TYPE = "text/xml; charset=utf-8"


@dataclass(frozen=True)
class Method:
    read: Reader | None = None
    create: Writer | None = None
    update: Writer | None = None


_OUTCOMES = Method(read_outcomes, create_outcomes, update_outcomes)
SCRIPTS: dict[str, dict[str, Method]] = {
    "ecnow.php": {
        "ecnow_datasets": Method(read_datasets, create_datasets, update_datasets),
        "ecnow_records": Method(read_records, create_records, update_records),
        "campaign_tables": Method(read_campaign_tables),
        "campaign_fields": Method(read_campaign_fields),
        "ecnow_outcomecodes": _OUTCOMES,
    },
    "database.php": {
        "outcomecodes": _OUTCOMES,
        "queues": Method(read_queues, None, update_queues),
        "tod_policy": Method(read_tod_policies, create_tod_policies, update_tod_policies),
        "tod_rules": Method(read_tod_rules, create_tod_rules, update_tod_rules),
    },
}


# -- request parsing ----


@dataclass
class Incoming:
    """A request reduced to what the handlers need."""

    script: str
    args: Args
    body: bytes
    ip: str


def _multipart(content_type: str, body: bytes) -> tuple[list[tuple[str, str]], bytes | None]:
    """Form fields of a multipart body, and the `easycall` part (a file upload) if any."""
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    fields: list[tuple[str, str]] = []
    upload: bytes | None = None
    if not message.is_multipart():
        return fields, upload
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if name == "easycall":
            upload = data
        else:
            fields.append((name, data.decode("utf-8", "replace")))
    return fields, upload


async def _incoming(request: Request, script: str) -> Incoming:
    raw = await request.body()
    pairs = list(parse_qsl(request.url.query, keep_blank_values=True))
    body = raw
    content_type = request.headers.get("content-type", "").lower()
    # A raw JSON or XML body posted with the form type (PHP curl's default) stays a raw body.
    form_body = content_type.startswith("application/x-www-form-urlencoded") and not raw.lstrip().startswith(
        RAW_STARTS
    )
    if form_body:
        form = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        pairs.extend((k, v) for k, v in form if k != "easycall")
        body = next((v for k, v in form if k == "easycall"), "").encode()
    elif content_type.startswith("multipart/form-data"):
        form_fields, upload = _multipart(request.headers.get("content-type", ""), raw)
        pairs.extend(form_fields)
        body = upload or b""
    ip = request.client.host if request.client else ""
    return Incoming(script, Args(pairs), body, ip)


def parse_body(body: bytes) -> list[Row]:
    """The rows of a write: a JSON array of objects (one object = one row) or an `<easycall>` XML document."""
    text = body.strip()
    if not text:
        raise ApiFailure(NO_BODY)
    if text.startswith(b"<"):
        try:
            rows = xmlformat.parse_rows(text)
        except xmlformat.XmlBodyError as exc:
            raise ApiFailure(NO_BODY if "easycall" in str(exc) else BAD_BODY) from None
    elif (parsed := jsonbody.text_rows(text)) is not None:
        rows = parsed
    else:
        try:
            data: Any = jsonbody.loads(text)
        except jsonbody.BodyError:
            raise ApiFailure(BAD_BODY) from None
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise ApiFailure(BAD_BODY)
        rows = data if _all_text(data) else [{str(k): as_text(v) for k, v in item.items()} for item in data]
    if not rows:
        raise ApiFailure(NO_BODY)
    return rows


def _all_text(items: list[dict[str, Any]]) -> bool:
    """Whether every value of every object is a string already (what a client usually sends), so the rows are
    the parsed objects as they are; the types are gathered in C, a set per object."""
    kinds: set[type] = set()
    for item in items:
        kinds.update(map(type, item.values()))
    return kinds <= {str}


def _format(args: Args, script: str) -> Format:
    value = args.text("format").lower()
    if value in ("json", "xml"):
        return "json" if value == "json" else "xml"
    return "json" if script == "token.php" else "xml"


# -- dispatch ----


class _Report:
    """Writes the request log's view of the call onto `request.state`."""

    def __init__(self, request: Request) -> None:
        self._state = request.state

    def op(self, op: str) -> None:
        self._state.op = op

    def rows(self, rows: int) -> None:
        self._state.rows = rows

    def result(self, result: str) -> None:
        self._state.result = result

    def committed(self) -> None:
        self._state.committed = True


def dispatch(state: EmulatorState, incoming: Incoming, report: _Report) -> Envelope | Listing:
    """Serve one ContactNow call (runs in a worker thread)."""
    try:
        result = _serve(state, incoming, report)
    except ApiFailure as exc:
        report.result(f"error={exc.message}")
        return exc.envelope()
    bad = 0 if isinstance(result, Listing) else result.get("bad", 0)
    report.result(f"bad={bad}" if bad else "success")
    return result


def _serve(state: EmulatorState, incoming: Incoming, report: _Report) -> Envelope | Listing:
    args = incoming.args
    action = args.text("action")
    if incoming.script == "token.php":
        report.op(f"token.{action.lower() or '?'}")
        if action == "get":
            return get_token(state, args, incoming.ip)
        if action == "validate":
            return validate_token(state, args, incoming.ip)
        raise ApiFailure(f"Unknown action [{action}]")
    method_name = args.text("method")
    report.op(f"{method_name.lower() or incoming.script.removesuffix('.php')}.{action.lower() or '?'}")
    try:
        _, account_id, _ = check_token(state, args.text("token"), incoming.ip)
    except ApiFailure as exc:
        raise ApiFailure(exc.message) from None  # other scripts do not add `expire`
    method = SCRIPTS[incoming.script].get(method_name)
    if method is None:
        raise ApiFailure(f"Unknown method [{method_name}]")
    call = Call(state, args, incoming.ip, state.clock(), account_id, report.committed)
    if action == "read" and method.read is not None:
        return method.read(call)
    writer = method.create if action == "create" else method.update if action == "update" else None
    if writer is None:
        raise ApiFailure(f"Unknown action [{action}]")
    rows = parse_body(incoming.body)
    report.rows(len(rows))
    return writer(call, rows)


# -- rendering ----

_dumps = json.JSONEncoder(separators=(",", ":")).encode


def _json_listing(listing: Listing, style: JsonStyle) -> Iterator[bytes]:
    """The envelope and its rows, a chunk at a time; rows come as compact JSON (UTF-8), restyled only when not
    compact. Compact rows go out as the bytes they came in: the precomputed docs are never decoded (that and the
    encoding back took about half of a 1M-record read's CPU)."""
    try:
        stream = Stream.around(f'{{"success":true,"total":{listing.total},"list":[', "]}", style)
        texts = (
            listing.json_chunks
            if listing.json_chunks is not None
            else (_dumps(chunk)[1:-1].encode() for chunk in listing.chunks if chunk)
        )
        head, separator = stream.head.encode(), stream.separator.encode()
        wrote = False
        for text in texts:
            if not text:
                continue
            items = text if style == "compact" else stream.items(text.decode()).encode()
            yield (separator if wrote else head) + items
            wrote = True
        yield (stream.tail if wrote else stream.empty).encode()
    finally:
        listing.close()


def _xml_listing(listing: Listing) -> Iterator[bytes]:
    try:
        yield xmlformat.list_open({"success": True, "total": listing.total}).encode()
        for chunk in listing.chunks:
            yield xmlformat.rows(listing.element, chunk).encode()
        yield xmlformat.LIST_CLOSE.encode()
    finally:
        listing.close()


def render(result: Envelope | Listing, fmt: Format, style: JsonStyle = "compact") -> Response:
    media = JSON_TYPE if fmt == "json" else XML_TYPE
    if isinstance(result, Listing):
        body = _json_listing(result, style) if fmt == "json" else _xml_listing(result)
        if result.streaming:
            return StreamingResponse(body, media_type=media)
        return Response(b"".join(body), media_type=media)
    text = restyle(_dumps(result), style) if fmt == "json" else xmlformat.envelope(result)
    return Response(text.encode(), media_type=media)


def contactnow_routes(state: EmulatorState) -> list[BaseRoute]:
    """Routes for token.php, ecnow.php and database.php (mount them at the ContactNow base path)."""

    def endpoint(script: str) -> Callable[[Request], Any]:
        async def serve(request: Request) -> Response:
            incoming = await _incoming(request, script)
            report = _Report(request)
            result = await run_in_threadpool(dispatch, state, incoming, report)
            fmt = _format(incoming.args, script)
            style = state.settings.json_style
            if isinstance(result, Listing) and not result.streaming:
                return await run_in_threadpool(render, result, fmt, style)
            return render(result, fmt, style)

        return serve

    return [
        Route(f"/{script}", endpoint(script), methods=["GET", "POST"])
        for script in ("token.php", "ecnow.php", "database.php")
    ]
