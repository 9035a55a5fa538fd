"""The record reader (records.py): paging, text values, and the one loop every shape goes through, with its
resume after a broken body and its token renewal mid-read."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import polars as pl
import pytest
from json_layouts import STYLES, layout

from reconciler.errors import ApiError, AuthError, TransientApiError
from reconciler.providers.contactnow.client import ContactNowClient
from reconciler.providers.contactnow.codec import Columns, Frames, Shape, TextRows
from reconciler.providers.contactnow.records import RecordReader
from reconciler.providers.contactnow.token import Token
from reconciler.providers.http.session import HttpSession

from .provider_fakes import (
    CN_BASE,
    PASSWORD,
    TOKENS,
    USERNAME,
    BreakingStream,
    FakeContactNow,
    Sleeps,
    envelope,
    policy,
    record,
)

# ------------------------------------------------------------------------------------ through the client


def test_paging_uses_limit_start_sort_and_stops_on_a_short_page(
    fake: FakeContactNow, client: ContactNowClient
) -> None:
    fake.records = [record(i) for i in range(1, 8)] + [record(100, dataset=8)]
    rows = list(client.iter_records(dataset=7, page_size=3))
    assert [row["id"] for row in rows] == ["1", "2", "3", "4", "5", "6", "7"]
    reads = [seen.args for seen in fake.seen if seen.op == "ecnow_records.read"]
    assert [(read["limit"], read["start"], read["sort"], read["dataset"]) for read in reads] == [
        ("3", "0", "id", "7"),
        ("3", "3", "id", "7"),
        ("3", "6", "id", "7"),
    ]


def test_paging_when_the_last_page_is_full(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.records = [record(i) for i in range(1, 7)]
    assert len(list(client.iter_records(dataset=7, page_size=3))) == 6
    starts = [seen.args["start"] for seen in fake.seen if seen.op == "ecnow_records.read"]
    assert starts == ["0", "3", "6"]


def test_record_values_are_text_and_filters_are_sent(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.fault(
        "ecnow_records.read",
        envelope(
            success=True, total=1, list=[{"id": 5, "outcomecode": 100, "Agent_Specific": None, "x": 1.5}]
        ),
    )
    rows = list(
        client.iter_records(table="Willtest", search={"VENDOR_URN": "A-1", "phone": "0770"}, exact=True)
    )
    assert rows == [{"id": "5", "outcomecode": "100", "Agent_Specific": "", "x": "1.5"}]
    args = fake.seen[-1].args
    assert args["table"] == "Willtest"
    assert args["search[VENDOR_URN]"] == "A-1"
    assert args["search[phone]"] == "0770"
    assert args["type"] == "exact"
    assert "dataset" not in args


def test_streamed_read_with_token_error_renews_once(fake: FakeContactNow, client: ContactNowClient) -> None:
    client.queues()
    fake.records = [record(1)]
    fake.fault("ecnow_records.read", envelope(success=False, error="Expired token"))
    assert [row["id"] for row in client.iter_records(dataset=7)] == ["1"]
    assert fake.ops() == ["token.get", "queues.read", "ecnow_records.read", "token.get", "ecnow_records.read"]
    assert client.token_fetches == 2


def test_streamed_read_envelope_error(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.fault("ecnow_records.read", envelope(success=False, error="Bad argument: table or dataset required"))
    with pytest.raises(ApiError) as caught:
        list(client.iter_records(dataset=7))
    assert caught.value.message == "Bad argument: table or dataset required"


def test_read_needs_dataset_or_table(client: ContactNowClient) -> None:
    with pytest.raises(ValueError, match="needs a dataset or a table"):
        list(client.iter_records())


def test_page_broken_mid_body_resumes_after_the_last_id(
    fake: FakeContactNow, client: ContactNowClient, sleeps: Sleeps
) -> None:
    fake.records = [record(i) for i in range(1, 6)]
    full = json.dumps({"success": True, "total": 5, "list": fake.records}).encode()
    cut = full.index(b'{"id": "3"')  # two whole rows, then the reset
    fake.fault("ecnow_records.read", httpx.Response(200, stream=BreakingStream(full[:cut])))
    rows = list(client.iter_records(dataset=7, page_size=10))
    assert [row["id"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert [seen.op for seen in fake.seen].count("ecnow_records.read") == 2
    assert sleeps.calls == [0.5]


def test_page_broken_every_time_gives_transient_error(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.fault(
        "ecnow_records.read",
        *[httpx.Response(200, stream=BreakingStream(b'{"success": true')) for _ in range(5)],
    )
    with pytest.raises(TransientApiError, match="response body interrupted"):
        list(client.iter_records(dataset=7))


def test_a_token_refused_between_pages_is_renewed_and_paging_goes_on(
    fake: FakeContactNow, client: ContactNowClient
) -> None:
    fake.records = [record(i) for i in range(1, 6)]
    rows = client.iter_records(dataset=7, page_size=2)
    got = [next(rows)["id"], next(rows)["id"]]
    fake.token = "forgotten"  # the service no longer knows the token the first page was read with
    got += [row["id"] for row in rows]
    assert got == ["1", "2", "3", "4", "5"]
    assert fake.ops() == [
        "token.get",
        "ecnow_records.read",
        "ecnow_records.read",
        "token.get",
        "ecnow_records.read",
        "ecnow_records.read",
    ]
    reads = [
        (seen.args["start"], seen.args["token"]) for seen in fake.seen if seen.op == "ecnow_records.read"
    ]
    assert reads == [("0", TOKENS[0]), ("2", TOKENS[0]), ("2", TOKENS[1]), ("4", TOKENS[1])]


# --------------------------------------------------------------------------------- one loop, every shape

READ = {"dataset": "7", "sort": "id"}
RECORDS = [record(i) for i in range(1, 9)]
BODY = json.dumps({"success": True, "total": len(RECORDS), "list": RECORDS}, separators=(",", ":")).encode()
FOUR_AND_A_BIT = BODY[: BODY.index(b'{"id":"5"') + 10]
"""Four whole records and the start of the fifth: cut at 64 bytes a piece, the four come as one piece."""

SHAPES: dict[str, Callable[[], Shape[Any]]] = {
    "text rows": TextRows,
    "columns": lambda: Columns(["id", "VENDOR_URN"]),
    "frames": lambda: Frames(["id", "VENDOR_URN"]),
}


def _reader(fake: FakeContactNow, sleeps: Sleeps) -> RecordReader:
    session = HttpSession(CN_BASE, service="ContactNow", transport=fake.transport(), retry=policy(sleeps))
    return RecordReader(session, Token(session, USERNAME, PASSWORD))


def _pairs(piece: Any) -> list[tuple[str, str]]:
    """(id, VENDOR_URN) of every row of a piece of any shape."""
    if isinstance(piece, pl.DataFrame):
        return [(row[0], row[1]) for row in piece.rows()]
    if piece and isinstance(piece[0], dict):
        return [(row["id"], row["VENDOR_URN"]) for row in piece]
    return list(zip(piece[0], piece[1], strict=True))


def _read(reader: RecordReader, shape: str) -> list[list[tuple[str, str]]]:
    return [_pairs(piece) for piece in reader.read(READ, SHAPES[shape](), piece_bytes=64)]


def _expected(*ids: int) -> list[tuple[str, str]]:
    return [(str(i), f"U-{i}") for i in ids]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_body_broken_after_a_piece_resumes_after_the_last_id(
    fake: FakeContactNow, sleeps: Sleeps, shape: str
) -> None:
    fake.records = RECORDS
    fake.fault("ecnow_records.read", httpx.Response(200, stream=BreakingStream(FOUR_AND_A_BIT)))
    pieces = _read(_reader(fake, sleeps), shape)
    # the second body's first piece holds 1-7 again: 1-4 were handed on already and are skipped
    assert pieces == [_expected(1, 2, 3, 4), _expected(5, 6, 7), _expected(8)]
    assert fake.ops() == ["token.get", "ecnow_records.read", "ecnow_records.read"]
    assert sleeps.calls == [0.5]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_token_refused_mid_read_is_renewed_once_and_the_read_resumes(
    fake: FakeContactNow, sleeps: Sleeps, shape: str
) -> None:
    fake.records = RECORDS
    fake.fault(
        "ecnow_records.read",
        httpx.Response(200, stream=BreakingStream(FOUR_AND_A_BIT)),
        envelope(success=False, error="Expired token"),
    )
    pieces = _read(_reader(fake, sleeps), shape)
    assert pieces == [_expected(1, 2, 3, 4), _expected(5, 6, 7), _expected(8)]
    assert fake.ops() == [
        "token.get",
        "ecnow_records.read",
        "ecnow_records.read",
        "token.get",
        "ecnow_records.read",
    ]
    tokens = [seen.args["token"] for seen in fake.seen if seen.op == "ecnow_records.read"]
    assert tokens == [TOKENS[0], TOKENS[0], TOKENS[1]]
    assert sleeps.calls == [0.5]


def test_a_read_refused_with_a_fresh_token_is_an_auth_error(fake: FakeContactNow, sleeps: Sleeps) -> None:
    fake.fault(
        "ecnow_records.read",
        envelope(success=False, error="Expired token"),
        envelope(success=False, error="Invalid token"),
    )
    with pytest.raises(AuthError) as caught:
        _read(_reader(fake, sleeps), "text rows")
    assert str(caught.value) == (
        "ContactNow refused a fresh token (Invalid token); the token may be bound to another IP address"
    )
    assert fake.ops() == ["token.get", "ecnow_records.read", "token.get", "ecnow_records.read"]


def test_a_broken_body_cannot_resume_without_numeric_ids(fake: FakeContactNow, sleeps: Sleeps) -> None:
    rows = [{**row, "id": f"A{row['id']}"} for row in RECORDS]
    body = json.dumps({"success": True, "list": rows}, separators=(",", ":")).encode()
    prefix = body[: body.index(b'{"id":"A5"') + 10]
    fake.fault(
        "ecnow_records.read",
        httpx.Response(200, stream=BreakingStream(prefix)),
        httpx.Response(200, content=body),
    )
    with pytest.raises(ApiError) as caught:
        _read(_reader(fake, sleeps), "text rows")
    assert caught.value.message == "ContactNow answered a record without a numeric id; cannot resume the page"
    assert caught.value.url == "https://api-106.dxi.eu/ecnow.php?method=ecnow_records&action=read"
    assert fake.ops() == ["token.get", "ecnow_records.read", "ecnow_records.read"]


def test_a_body_that_is_not_json_is_read_again_then_refused(fake: FakeContactNow, sleeps: Sleeps) -> None:
    fake.fault("ecnow_records.read", *[httpx.Response(200, text="<result>") for _ in range(5)])
    with pytest.raises(ApiError) as caught:
        _read(_reader(fake, sleeps), "columns")
    assert type(caught.value) is ApiError
    assert str(caught.value) == (
        "ContactNow ecnow_records.read: the response body is not valid JSON "
        "[https://api-106.dxi.eu/ecnow.php?method=ecnow_records&action=read]"
    )
    assert fake.ops().count("ecnow_records.read") == 5
    assert sleeps.calls == [0.5, 1.0, 2.0, 4.0]


# ----------------------------------------------------------------------------------------- every layout

STYLED = [
    {**record(i), "Name": name, "Note": note}
    for i, (name, note) in enumerate(
        [("Zoë", "a/b"), ("}, {", '{"x": [1]}'), ("李 😀", "tab\tline\nend"), ("", "  "), ("\\/", '"')] * 3,
        start=1,
    )
]


def _triples(piece: Any) -> list[tuple[str, str, str]]:
    if isinstance(piece, pl.DataFrame):
        return [(row[0], row[1], row[2]) for row in piece.rows()]
    if piece and isinstance(piece[0], dict):
        return [(row["id"], row["Name"], row["Note"]) for row in piece]
    return list(zip(piece[0], piece[1], piece[2], strict=True))


THREE: dict[str, Callable[[], Shape[Any]]] = {
    "text rows": TextRows,
    "columns": lambda: Columns(["id", "Name", "Note"]),
    "frames": lambda: Frames(["id", "Name", "Note"]),
}


@pytest.mark.parametrize("style", STYLES)
def test_every_layout_reads_as_the_compact_body(
    fake: FakeContactNow, client: ContactNowClient, sleeps: Sleeps, style: str
) -> None:
    fake.records = STYLED
    rows = list(client.iter_records(dataset=7, page_size=4))
    frames = pl.concat(client.iter_record_frames(["id", "Name", "Note"], dataset=7))
    reader = _reader(fake, sleeps)
    pieces = {
        shape: [row for piece in reader.read(READ, make(), piece_bytes=96) for row in _triples(piece)]
        for shape, make in THREE.items()
    }
    assert rows == STYLED
    expected = [(row["id"], row["Name"], row["Note"]) for row in STYLED]
    assert pieces == {shape: expected for shape in THREE}
    fake.layout = style
    assert list(client.iter_records(dataset=7, page_size=4)) == rows
    assert pl.concat(client.iter_record_frames(["id", "Name", "Note"], dataset=7)).equals(frames)
    for shape, make in THREE.items():
        cut = list(reader.read(READ, make(), piece_bytes=96))
        assert len(cut) > 3 or style == "compact", "the body, in chunks of two rows, was cut into pieces"
        assert [row for piece in cut for row in _triples(piece)] == pieces[shape]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_body_of_any_layout_broken_after_a_piece_resumes_after_the_last_id(
    fake: FakeContactNow, sleeps: Sleeps, shape: str, style: str
) -> None:
    fake.records = RECORDS
    whole = layout({"success": True, "total": len(RECORDS), "list": RECORDS}, style).encode()
    broken = whole[: whole.index(b'"5"') + 3]
    fake.layout = style
    fake.fault("ecnow_records.read", httpx.Response(200, stream=BreakingStream(broken)))
    pieces = _read(_reader(fake, sleeps), shape)
    assert [pair for piece in pieces for pair in piece] == _expected(*range(1, 9))
    assert fake.ops() == ["token.get", "ecnow_records.read", "ecnow_records.read"]
    assert sleeps.calls == [0.5]
