"""jsonbody.text_rows, the fast read of a write body, reads exactly what jsonbody.loads reads, or leaves it."""

from __future__ import annotations

import pytest

from reconciler.emulator import jsonbody
from reconciler.emulator.contactnow import parse_body

READ_THE_SAME = [
    pytest.param(b'[{"a":"1","b":""}]', id="plain"),
    pytest.param(b' \n[ {"a" : "1"} ,\t{"a":"2"} ]\r\n', id="spaced"),
    pytest.param(b'[{"a":"1","a":"2"}]', id="duplicate-key-last-wins"),
    pytest.param('[{"a":"Zoë \\u00e9 \\n \\" \\\\ \\/ \\ud83d\\ude00 😀"}]'.encode(), id="escapes-and-utf8"),
    pytest.param(b'[{"a":"x\\u0000y"}]', id="nul-escape"),
    pytest.param(b"[]", id="empty"),
]
LEFT_TO_LOADS = [
    pytest.param(b'[{"a":"\\ud800"}]', [{"a": "\ud800"}], id="lone-surrogate"),
    pytest.param(b'\xef\xbb\xbf[{"a":"1"}]', [{"a": "1"}], id="utf8-bom"),
    pytest.param('[{"a":"1"}]'.encode("utf-16"), [{"a": "1"}], id="utf-16"),
    pytest.param(b'[{"a":1}]', [{"a": 1}], id="a-number"),
    pytest.param(b'{"a":"1"}', {"a": "1"}, id="one-object"),
]
REFUSED_BY_BOTH = [
    pytest.param(b'[{"a":"\xff"}]', id="invalid-utf8"),
    pytest.param(b'[{"a":"\xed\xa0\x80"}]', id="encoded-surrogate"),
    pytest.param(b'[{"a":"\x01"}]', id="raw-control"),
    pytest.param(b'[{"a":"1"},]', id="trailing-comma"),
]


@pytest.mark.parametrize("body", READ_THE_SAME)
def test_text_rows_read_as_loads_reads_them(body: bytes) -> None:
    assert jsonbody.text_rows(body) == jsonbody.loads(body)


@pytest.mark.parametrize(("body", "value"), LEFT_TO_LOADS)
def test_what_only_loads_reads_is_left_to_it(body: bytes, value: object) -> None:
    assert jsonbody.text_rows(body) is None
    assert jsonbody.loads(body) == value


@pytest.mark.parametrize("body", REFUSED_BY_BOTH)
def test_what_loads_refuses_text_rows_refuses_too(body: bytes) -> None:
    assert jsonbody.text_rows(body) is None
    with pytest.raises(jsonbody.BodyError):
        jsonbody.loads(body)


def test_a_write_body_becomes_the_same_rows_either_way() -> None:
    assert parse_body(b'[{"dataset":"1","HomePhone":"0161"}]') == [{"dataset": "1", "HomePhone": "0161"}]
    assert parse_body(b'\xef\xbb\xbf[{"dataset":"1","HomePhone":"0161"}]') == [
        {"dataset": "1", "HomePhone": "0161"}
    ]
    assert parse_body(b'[{"dataset":1,"HomePhone":"0161"}]') == [{"dataset": "1", "HomePhone": "0161"}]
