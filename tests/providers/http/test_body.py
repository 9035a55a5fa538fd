"""Reading a streamed body: the head kept for ijson readers, and the cutter into pieces of whole objects (its
exhaustive property test is tests/scale/test_record_pieces.py)."""

from __future__ import annotations

import json

import pytest

from reconciler.providers.http.body import ArrayPieces, BodyReader, BrokenBody, begins


def test_body_reader_keeps_head_and_knows_completeness() -> None:
    reader = BodyReader(iter([b"abc", b"", b"defgh"]), head_limit=5)
    assert reader.read(2) == b"ab"
    assert reader.read() == b"c"
    assert reader.read() == b"defgh"
    assert reader.read() == b""
    assert reader.head == b"abcde"
    assert not reader.complete
    small = BodyReader(iter([b'{"a":', b"1}"]))
    small.drain()
    assert small.complete
    assert small.head == b'{"a":1}'


def _decode(data: memoryview) -> list[object] | None:
    try:
        value = json.loads(bytes(data))
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def test_array_pieces_cut_between_objects_and_hand_back_the_rest() -> None:
    body = b'{"n":3,"list":[{"a":"},{"},{"a":2},{"a":3},{"a":4}],"ok":true}'
    cutter = ArrayPieces(iter([body[:20], body[20:]]), b'"list":[', _decode, piece_bytes=8)
    assert list(cutter) == [[{"a": "},{"}, {"a": 2}, {"a": 3}]]
    assert cutter.head == b'{"n":3,"list":['
    assert cutter.rest == b'{"a":4}],"ok":true}'
    assert json.loads(cutter.remainder) == {"n": 3, "list": [{"a": 4}], "ok": True}


def test_array_pieces_without_the_start_hand_back_the_whole_body() -> None:
    body = b'{"list": [{"a":1},{"a":2}]}'
    cutter = ArrayPieces(iter([body]), b'"list":[', _decode, piece_bytes=4)
    assert list(cutter) == []
    assert cutter.head is None
    assert cutter.remainder == body


def test_array_pieces_that_never_cut_are_a_broken_body() -> None:
    body = b'{"list":[' + b'{"a":1}, ' * 40
    cutter = ArrayPieces(iter([body]), b'"list":[', _decode, piece_bytes=16)
    with pytest.raises(BrokenBody):
        list(cutter)


def test_begins_reads_only_the_first_chunks_and_gives_every_chunk_back() -> None:
    chunks = iter([b'{"rec', b'ords":', b"[1,2]", b"}"])
    opens, body = begins(chunks, b'{"records":[')
    assert opens
    assert next(chunks) == b"}"  # the third chunk completed the start; the fourth was left alone
    assert b"".join(body) == b'{"records":[1,2]'
    opens, body = begins(iter([b'{"records": [', b"]}"]), b'{"records":[')
    assert not opens
    assert b"".join(body) == b'{"records": []}'
    opens, body = begins(iter([]), b"[")
    assert (opens, list(body)) == (False, [b""])
