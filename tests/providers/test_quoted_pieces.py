"""The quotes-as-separators reading of a records piece (providers/contactnow/quoted.py): exact for the shape
ContactNow sends, and declining (None) every piece it could misread, which the general reading then takes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.providers.contactnow import codec
from reconciler.providers.contactnow.quoted import fields_between_quotes

KEYS = ["id", "URN", "Name", "Note"]
WANTED = ["id", "Name", "Note"]
VALUE = st.text(alphabet='ab é😀/\\"{}[],:\t\n\u202e', max_size=8)


LAYOUTS = ["compact", "spaced", "indented", "tabbed"]


def _piece(
    rows: Sequence[Mapping[str, object]], *, ascii_only: bool = False, layout: str = "compact"
) -> bytes:
    indents: dict[str, int | str] = {"indented": 4, "tabbed": "\t"}
    indent = indents.get(layout)
    separators = (",", ":") if layout == "compact" else None
    return json.dumps(rows, indent=indent, separators=separators, ensure_ascii=ascii_only).encode()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.fixed_dictionaries(dict.fromkeys(KEYS, VALUE)), min_size=1, max_size=8),
    st.booleans(),
    st.sampled_from(LAYOUTS),
)
def test_rows_of_the_api_shape_are_read_exactly_or_declined(
    rows: list[dict[str, object]], ascii_only: bool, layout: str
) -> None:
    """Every value a string, every row's keys in one order, compact, spaced or pretty printed: the reading is the
    JSON's, and it declines only what its docstring names: a quote, brace or bracket in a value, or a value ending
    in a backslash (whose escape puts a backslash before the closing quote). Hypothesis draws a fixed dictionary's
    keys in any order, so each row is put back in KEYS order first (rows in another order are declined, a case of
    their own below)."""
    rows = [{key: row[key] for key in KEYS} for row in rows]
    frame = fields_between_quotes(_piece(rows, ascii_only=ascii_only, layout=layout), WANTED)
    values = [str(value) for row in rows for value in row.values()]
    readable = not any(c in value for value in values for c in '"{[') and not any(
        value.endswith("\\") for value in values
    )
    if frame is None:
        assert not readable
        return
    assert frame.columns == WANTED
    assert frame.rows() == [tuple(row[name] for name in WANTED) for row in rows]


def test_escapes_are_decoded_and_the_rest_left_as_sent() -> None:
    data = b'[{"id":"1","Name":"Zo\\u00eb a\\/b \\\\ c","Note":"x:y, z}"},{"id":"2","Name":"","Note":"\\ud83d\\ude00"}]'
    frame = fields_between_quotes(data, ["Name", "id", "Note"])
    assert frame is not None
    assert frame.rows() == [("Zoë a/b \\ c", "1", "x:y, z}"), ("", "2", "😀")]


@pytest.mark.parametrize(
    "rows",
    [
        [{"id": "1", "Name": "a"}, {"Name": "b", "id": "2"}],
        [{"id": "1", "Name": "a"}, {"id": "2"}],
        [{"id": "1", "Name": "a"}, {"id": "2", "Name": "b", "More": "c"}],
        [{"id": "1", "Name": "a"}, {"id": 2, "Name": "b"}],
        [{"id": "1", "Name": "a"}, {"id": "2", "Name": None}],
        [{"id": "1", "Name": "a"}, {"id": "2", "Name": "{b}"}],
        [{"id": "1", "Name": "a"}, {"id": "2", "Name": "[b]"}],
        [{"id": "1", "Name": "a"}, {"id": "2", "Name": 'say "b"'}],
        [{"id": "1", "Name": "a"}, {"id": "2", "Name": "b\nc"}],
        [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}],
        [{"id": "1", "Name": "a", "NAME": "A"}, {"id": "2", "Name": "b", "NAME": "B"}],
        [{"id": "1", "Name": None, "x": None, "y": "q"}, {"id": "2", "Name": None, "x": None, "y": "r"}],
    ],
    ids=[
        "keys reordered",
        "key missing",
        "key added",
        "a number",
        "a null",
        "a brace",
        "a bracket",
        "an escaped quote",
        "a raw line end in a value",
        "another case",
        "two spellings",
        "nulls in the first row",  # split at its quotes, Name's value would be the next key, x
    ],
)
def test_other_shapes_are_declined_and_read_the_general_way(rows: list[dict[str, object]]) -> None:
    data = _piece(rows).replace(b"\\n", b"\n")  # JSON escapes a line end; the API might not
    assert fields_between_quotes(data, ["id", "Name"]) is None
    frame = codec.Frames(["id", "Name"]).piece(data)
    assert frame is not None
    expected = [
        (str(row.get("id")), str(next((v for k, v in row.items() if k.casefold() == "name"), "") or ""))
        for row in rows
    ]
    if rows[0].keys() == {"id", "Name", "NAME"}:
        expected = [("1", "a"), ("2", "b")]  # the exact spelling, as polars' JSON reader takes it
    # The general reader makes a raw line end a space, as it does every line end of a piece.
    assert frame.rows() == [(key, name.replace("\n", " ")) for key, name in expected]


def test_a_value_read_one_string_early_is_refused() -> None:
    """The second row's `x` is a number and it has a key more, so it has the first row's number of fields; its
    Name key is where the first row's is, but the field after it is the next key, `y`, not Name's value."""
    data = b'[{"id":"1","x":"a","Name":"b","y":"c"},{"id":"2","x":5,"Name":"Name","y":6,"z":"u"}]'
    assert fields_between_quotes(data, ["id", "Name"]) is None
    only_id = fields_between_quotes(data, ["id"])
    assert only_id is not None
    assert only_id.rows() == [("1",), ("2",)]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_piece_of_the_api_shape_takes_this_reading_alone(
    monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    def refuse(_self: object, _data: object) -> None:
        raise AssertionError("another reading was taken")

    monkeypatch.setattr(codec.Frames, "_lines", refuse)
    monkeypatch.setattr(codec.Columns, "piece", refuse)
    rows = [{"id": str(i), "URN": "", "Name": f"Zoë {i}", "Note": "a, b: c}"} for i in range(1, 50)]
    frame = codec.Frames(["id", "Name"]).piece(memoryview(_piece(rows, layout=layout)))
    assert frame is not None
    assert frame.rows() == [(row["id"], row["Name"]) for row in rows]
