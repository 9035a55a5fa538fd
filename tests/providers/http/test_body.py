"""Reading a streamed body: the head kept for ijson readers."""

from __future__ import annotations

from reconciler.providers.http.body import BodyReader


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
