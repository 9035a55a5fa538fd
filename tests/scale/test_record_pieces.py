"""A streamed records body cut into pieces gives exactly the rows of the whole body, whatever the cut points."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from json_layouts import ROWS, STYLES, layout, streamed

from reconciler.providers.contactnow import codec
from reconciler.providers.contactnow.wire import text

TEXT = st.text(alphabet='ab},{"\\:[] é', max_size=6)
VALUE = st.one_of(TEXT, st.integers(-5, 10**6), st.none())


def _chunks(body: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries({"id": st.integers(1, 999)}, optional={"Name": VALUE, "name": TEXT}),
        max_size=12,
    ),
    st.integers(1, 40),
    st.integers(8, 200),
)
def test_pieces_give_every_row_exactly_once(rows: list[dict[str, Any]], chunk: int, piece: int) -> None:
    body = json.dumps({"success": True, "total": len(rows), "list": rows}, separators=(",", ":")).encode()
    expected = [{key: text(value) for key, value in row.items()} for row in rows]
    pieces = list(codec.Pieces(_chunks(body, chunk), codec.TextRows(), url="u", piece_bytes=piece))
    columns = list(
        codec.Pieces(_chunks(body, chunk), codec.Columns(["id", "NAME"]), url="u", piece_bytes=piece)
    )
    assert [row for part in pieces for row in part] == expected
    folded = [{key.casefold(): value for key, value in row.items()} for row in expected]
    assert [value for part in columns for value in part[0]] == [row["id"] for row in folded]
    assert [value for part in columns for value in part[1]] == [row.get("name", "") for row in folded]
    frames = _frame_pieces(body, chunk, piece, ["id", "NAME"])
    assert [value for part in frames for value in part.get_column("id")] == [row["id"] for row in folded]
    assert [value for part in frames for value in part.get_column("NAME")] == [
        row.get("name", "") for row in folded
    ]


def _frame_pieces(body: bytes, chunk: int, piece: int, names: list[str]) -> list[pl.DataFrame]:
    return list(codec.Pieces(_chunks(body, chunk), codec.Frames(names), url="u", piece_bytes=piece))


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.fixed_dictionaries({"id": st.from_regex(r"[1-9][0-9]{0,3}", fullmatch=True), "Name": TEXT})),
    st.integers(1, 40),
    st.integers(8, 200),
)
def test_frames_of_text_rows_are_exact(rows: list[dict[str, str]], chunk: int, piece: int) -> None:
    """What the API documents (every value a string), with seams, quotes, escapes and brackets inside values."""
    body = json.dumps({"success": True, "total": len(rows), "list": rows}, separators=(",", ":")).encode()
    frames = _frame_pieces(body, chunk, piece, ["id", "Name"])
    assert [row for part in frames for row in part.rows(named=True)] == rows


LAYOUT_TEXT = st.text(alphabet='ab},{"\\:[] é/😀\n\t', max_size=6)


@pytest.mark.parametrize("style", STYLES)
@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {"id": st.from_regex(r"[1-9][0-9]{0,3}", fullmatch=True), "Name": LAYOUT_TEXT},
            optional={"Other": LAYOUT_TEXT},
        ),
        max_size=12,
    ),
    chunk=st.integers(1, 40),
    piece=st.integers(32, 400),
    reordered=st.booleans(),
)
def test_every_layout_gives_the_rows_of_the_compact_body(
    style: str, rows: list[dict[str, str]], chunk: int, piece: int, reordered: bool
) -> None:
    """Whitespace, pretty printing, escapes and key order change nothing, for every shape; `reordered` puts the
    list first in the envelope and reverses every row's keys. Pieces start at 32 bytes: the cutter gives up on
    a buffer of 16 pieces it cannot cut, and a last pretty row with the envelope after it can pass 16 times 8."""
    envelope: dict[str, Any] = {"success": True, "total": len(rows), "list": [ROWS]}
    sent = rows
    if reordered:
        envelope = {"list": [ROWS], "total": len(rows), "success": True}
        sent = [dict(reversed(row.items())) for row in rows]
    body = b"".join(streamed(envelope, iter(sent), style, rows_per_chunk=3))
    names = ["id", "Name", "Other"]
    text = [
        row
        for part in codec.Pieces(_chunks(body, chunk), codec.TextRows(), url="u", piece_bytes=piece)
        for row in part
    ]
    assert text == sent
    columns = list(codec.Pieces(_chunks(body, chunk), codec.Columns(names), url="u", piece_bytes=piece))
    assert [list(values) for part in columns for values in zip(*part, strict=True)] == [
        [row["id"], row["Name"], row.get("Other", "")] for row in rows
    ]
    frames = _frame_pieces(body, chunk, piece, names)
    assert [tuple(row) for part in frames for row in part.rows()] == [
        (row["id"], row["Name"], row.get("Other", "")) for row in rows
    ]


def test_pretty_pieces_are_read_by_polars_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_self: object, _data: object) -> None:
        raise AssertionError("the msgspec path was taken")

    monkeypatch.setattr(codec.Columns, "piece", refuse)
    rows = [{"id": "1", "Name": 'Ann "A" é a/b 😀'}, {"Name": "b, {c}", "id": "2"}]
    for style in STYLES:
        data = layout(rows, style).encode()
        frame = codec.Frames(["id", "Name"]).piece(memoryview(data).cast("B"))
        assert frame is not None
        assert frame.rows() == [("1", 'Ann "A" é a/b 😀'), ("2", "b, {c}")]


def test_a_plain_piece_is_read_by_polars_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_self: object, _data: object) -> None:
        raise AssertionError("the msgspec path was taken")

    monkeypatch.setattr(codec.Columns, "piece", refuse)
    data = b'[{"id":"1","x":"9","Name":"Ann \\"A\\" \\u00e9"},{"id":"2","Name":"b, {c}"}]'
    frame = codec.Frames(["id", "Name"]).piece(memoryview(data).cast("B"))
    assert frame is not None
    assert frame.rows() == [("1", 'Ann "A" é'), ("2", "b, {c}")]


def test_unevenly_spaced_seams_are_read_by_polars_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first seam's spelling is replaced as plain bytes; seams spelled otherwise are still found."""

    def refuse(_self: object, _data: object) -> None:
        raise AssertionError("the msgspec path was taken")

    monkeypatch.setattr(codec.Columns, "piece", refuse)
    data = b'[{"id":"1","Name":"a"},{"id":"2","Name":"b"} ,\t{"id":"3","Name":"c"},{"id":"4","Name":"d"}]'
    frame = codec.Frames(["id", "Name"]).piece(memoryview(data).cast("B"))
    assert frame is not None
    assert frame.rows() == [("1", "a"), ("2", "b"), ("3", "c"), ("4", "d")]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b'[{"id":"1","Name":"a},{\\"id\\":\\"9"},{"id":"2","Name":"b"}]',
            [("1", 'a},{"id":"9'), ("2", "b")],
        ),
        (b'[{"id":"1","Name":null},{"id":"2"}]', [("1", ""), ("2", "")]),
        (b'[{"id":"1","name":"lower"},{"id":"2","NAME":"upper"}]', [("1", "lower"), ("2", "upper")]),
        (b'[{"id":"1","Name":"a"}, {"id":"2","Name":"b"}]', [("1", "a"), ("2", "b")]),
    ],
    ids=["seam inside a string", "null and missing", "other case", "space after a comma"],
)
def test_pieces_polars_cannot_read_exactly_go_the_msgspec_way(
    data: bytes, expected: list[tuple[str, str]]
) -> None:
    frame = codec.Frames(["id", "Name"]).piece(data)
    assert frame is not None
    assert frame.rows() == expected
