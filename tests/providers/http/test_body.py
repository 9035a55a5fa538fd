"""Reading a streamed body: the head kept for ijson readers, and the cutter into pieces of whole objects (its
exhaustive property test is tests/scale/test_record_pieces.py)."""

from __future__ import annotations

import json

import pytest

from reconciler.providers.http.body import ArrayPieces, ArrayStart, BodyReader, BrokenBody, begins


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


LIST = ArrayStart("list")


@pytest.mark.parametrize(
    ("body", "head", "rest", "first"),
    [
        (
            b'{"n":3,"list":[{"a":"},{"},{"a":2},{"a":3},{"a":4}],"ok":true}',
            b'{"n":3,"list":[',
            b'{"a":4}],"ok":true}',
            "},{",
        ),
        (
            b'{\n  "n" : 3,\n  "list" :\t[\r\n  {"a": "}, {"} ,\n  {"a": 2},{"a": 3}\n  ,  {"a": 4}\n  ],"ok":true}',
            b'{\n  "n" : 3,\n  "list" :\t[',
            b'{"a": 4}\n  ],"ok":true}',
            "}, {",
        ),
    ],
    ids=["compact", "any whitespace"],
)
def test_array_pieces_cut_between_objects_never_inside_a_string_and_hand_back_the_rest(
    body: bytes, head: bytes, rest: bytes, first: str
) -> None:
    cutter = ArrayPieces(iter([body[:20], body[20:]]), LIST, _decode, piece_bytes=8)
    assert list(cutter) == [[{"a": first}, {"a": 2}, {"a": 3}]]
    assert (cutter.head, cutter.rest) == (head, rest)
    assert json.loads(cutter.remainder) == {"n": 3, "list": [{"a": 4}], "ok": True}


def test_array_pieces_without_the_start_hand_back_the_whole_body() -> None:
    body = b'{"items": [{"a":1},{"a":2}], "meta": {"list": [{"a":3},{"a":4}]}}'
    cutter = ArrayPieces(iter([body]), LIST, _decode, piece_bytes=4)
    assert list(cutter) == []
    assert cutter.head is None
    assert cutter.remainder == body


def test_array_pieces_that_never_cut_are_a_broken_body() -> None:
    body = b'{"list":[' + b'{"a":1}; ' * 40
    cutter = ArrayPieces(iter([body]), LIST, _decode, piece_bytes=16)
    with pytest.raises(BrokenBody):
        list(cutter)


@pytest.mark.parametrize(
    ("head", "found"),
    [
        (b'{"success":true,"list":[', True),
        (b'{\n    "success": true,\n    "list": [\n', True),
        (b'{"list" \t:\r\n [', True),
        (b'{"\\u006cist":[', True),
        (b'{"error":"\\"list\\":[","list":[', True),
        (b'{"x":"a\\\\","list":[', True),
        (b'{"my \\"list":[1],"list":[', True),
        (b'{"error":"\\"list\\":[', False),
        (b'{"meta":{"list":[', False),
        (b'[{"list":[', False),
        (b'{"lists":[', False),
    ],
)
def test_the_start_is_a_key_of_the_top_object_however_written(head: bytes, found: bool) -> None:
    at = LIST.find(head)
    assert (at is not None) == found
    if at is not None:
        assert head[:at].rstrip().endswith(b"[")
        assert json.loads(head[:at] + b"]}")["list"] == []


def test_a_nested_start_is_found_through_its_path() -> None:
    start = ArrayStart("records", "record")
    assert start.find(b'{ "records" : { "total": 3, "record" : [ ') == 40
    assert start.find(b'{"record":[') is None
    assert start.find(b'{"records":{"x":{"record":[') is None


def test_begins_reads_only_the_first_chunks_and_gives_every_chunk_back() -> None:
    records = ArrayStart("records")
    chunks = iter([b'{"rec', b'ords":', b"[1,2]", b"}"])
    opens, body = begins(chunks, records)
    assert opens
    assert next(chunks) == b"}"  # the third chunk completed the start; the fourth was left alone
    assert b"".join(body) == b'{"records":[1,2]'
    opens, body = begins(iter([b'{"records": [', b"]}"]), records)
    assert opens
    assert b"".join(body) == b'{"records": []}'
    opens, body = begins(iter([b'{"items": [', b"]}"]), records)
    assert not opens
    assert b"".join(body) == b'{"items": []}'
    opens, body = begins(iter([]), records)
    assert (opens, list(body)) == (False, [b""])


def test_begins_looks_no_further_than_its_limit() -> None:
    late = [b'{"pad":"', b"x" * 100, b'","records":[', b"]}", b"never read"]
    chunks = iter(late)
    opens, body = begins(chunks, ArrayStart("records"), limit=64)
    assert not opens
    assert next(chunks) == b'","records":['
    assert b"".join(body) == b"".join(late[:2]) + b"".join(late[3:])


@pytest.mark.parametrize(
    "head",
    [
        b'{"success":true,"list":[',
        b'{\n    "success": true,\n    "list"   :  \n [\n',
        b'{"error":"\\"list\\":[","list":[',
        b'{"x":"a\\\\","list":[',
    ],
)
def test_the_start_is_found_wherever_the_chunks_split_the_head(head: bytes) -> None:
    """Each chunk is searched from the last quote before it, not from the body's start: never too late."""
    at = LIST.find(head)
    assert at is not None
    for first in range(len(head) + 1):
        for second in range(first, len(head) + 1):
            chunks = [head[:first], head[first:second], head[second:], b"]}"]
            opens, body = begins(iter(chunks), LIST)
            assert opens
            assert b"".join(body) == head + b"]}"
            cutter = ArrayPieces(iter(chunks), LIST, _decode, piece_bytes=1024)
            assert list(cutter) == []
            assert (cutter.head, cutter.rest) == (head[:at], head[at:] + b"]}")
