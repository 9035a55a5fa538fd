"""The quotes-as-separators reading of a records piece (providers/contactnow/quoted.py): exact for the shape
ContactNow sends, and declining (None) every piece it could misread, which the general reading then takes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.providers.contactnow import codec, quoted
from reconciler.providers.contactnow.quoted import fields_between_quotes

KEYS = ["id", "URN", "Name", "Note"]
WANTED = ["id", "Name", "Note"]
VALUE = st.text(alphabet='ab é😀/\\"{}[],:\t\n\u202e', max_size=8)
ROWS = st.lists(st.fixed_dictionaries(dict.fromkeys(KEYS, VALUE)), min_size=1, max_size=8)


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
    ROWS,
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


def test_a_value_read_one_string_early_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second row's `x` is a number and it has a key more, so it has the first row's number of fields; its
    Name key is where the first row's is, but the field after it is the next key, `y`, not Name's value. Read a
    pair to a field, the pairs are where the first row has them, and the number is in none that is wanted."""
    data = (
        b'[{"id":"1","x":"a","Name":"b","y":"c"},{"id":"2","x":5,"Name":"Name","y":6,"z":"u"},'
        b'{"id":"3","x":"d","Name":"e","y":"f"}]'
    )
    pairs = fields_between_quotes(data, ["id", "Name"])
    assert pairs is not None
    assert pairs.rows() == [("1", "b"), ("2", "Name"), ("3", "e")]
    monkeypatch.setattr(quoted, "_compact", lambda _piece, _start: False)
    assert fields_between_quotes(data, ["id", "Name"]) is None
    only_id = fields_between_quotes(data, ["id"])
    assert only_id is not None
    assert only_id.rows() == [("1",), ("2",), ("3",)]


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


def _spy_on_pairs(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each call of the pair-a-field reading read its piece (True) or declined it."""
    read: list[bool] = []
    original = quoted._compact_pairs

    def spy(*args: object, **kwargs: object) -> object:
        frame = original(*args, **kwargs)  # type: ignore[arg-type]
        read.append(frame is not None)
        return frame

    monkeypatch.setattr(quoted, "_compact_pairs", spy)
    return read


@settings(max_examples=200, deadline=None)
@given(
    ROWS,
    st.booleans(),
    st.sampled_from(LAYOUTS),
)
def test_a_compact_piece_is_read_a_pair_to_a_field_exactly_or_declined(
    rows: list[dict[str, object]], ascii_only: bool, layout: str
) -> None:
    """As the test above, with a last key that is not wanted, so that a compact piece is read a pair to a field
    (`_compact_pairs`, which never reads a row's last pair). It reads a brace in any row but the first and the
    last (whose braces those objects are found by), and it is the reading taken for every compact piece of two
    objects or more that it can read."""
    rows = [{**{key: row[key] for key in KEYS}, "Tail": ""} for row in rows]
    with pytest.MonkeyPatch.context() as monkeypatch:
        pairs = _spy_on_pairs(monkeypatch)
        frame = fields_between_quotes(_piece(rows, ascii_only=ascii_only, layout=layout), WANTED)
    values = [str(value) for row in rows for value in row.values()]
    first = [str(value) for value in rows[0].values()]
    readable = not any(c in value for value in values for c in '"[') and not any(
        value.endswith("\\") for value in values
    )
    if layout == "compact":
        last = [str(value) for value in rows[-1].values()]
        readable = readable and not any("{" in value for value in first + last)
        # A piece of one object is read the other way: its only row, the last, lacks the field after "},".
        assert pairs == ([True] if readable and len(rows) > 1 else [] if len(rows) == 1 else pairs)
    else:
        readable = readable and not any("{" in value for value in values)
        assert pairs == []
    if frame is None:
        assert not readable
        return
    assert frame.columns == WANTED
    assert frame.rows() == [tuple(row[name] for name in WANTED) for row in rows]


@pytest.mark.parametrize(
    ("second", "why"),
    [
        (b'{"Name":"b","id":"2","z":""}', "keys reordered"),
        (b'{"id":"2","z":""}', "a key missing: the row's last pair, with its brace, is where Name is"),
        (b'{"id":"2","More":"c","Name":"b","z":""}', "a key added before Name"),
        (b'{"id":2,"Name":"b","z":""}', "a number in a wanted pair"),
        (b'{"id":"2","Name":null,"z":""}', "a null in a wanted pair"),
        (b'{"id":"2","Name":"b" ,"z":""}', "a space before a comma"),
        (b'{"id":"2","Name" :"b","z":""}', "a space before a colon"),
        (b'{"id":"2", "Name":"b","z":""}', "a space after a comma"),
        (b'{"id":"2","Nam":"e:b","z":""}', "another key"),
    ],
)
def test_a_compact_piece_of_another_shape_is_declined(
    monkeypatch: pytest.MonkeyPatch, second: bytes, why: str
) -> None:
    pairs = _spy_on_pairs(monkeypatch)
    data = b'[{"id":"1","Name":"a","z":""},' + second + b',{"id":"3","Name":"c","z":""}]'
    frame = fields_between_quotes(data, ["id", "Name"])
    assert pairs == [False], why
    reference = codec.Frames(["id", "Name"])
    monkeypatch.setattr(quoted, "_compact", lambda _piece, _start: False)
    expected = fields_between_quotes(data, ["id", "Name"])
    assert (frame is None and expected is None) or (
        frame is not None and expected is not None and frame.equals(expected)
    ), why
    assert reference.piece(data) is not None


@pytest.mark.parametrize(
    "first",
    [
        b'{"id": "1","Name":"a","z":""}',
        b'{"id":"1","Name":"a","z":"" }',
        b'{ "id":"1","Name":"a","z":""}',
        b'{"id":"1" ,"Name":"a","z":""}',
    ],
)
def test_a_first_object_with_a_space_between_tokens_is_not_read_a_pair_to_a_field(
    monkeypatch: pytest.MonkeyPatch, first: bytes
) -> None:
    pairs = _spy_on_pairs(monkeypatch)
    frame = codec.Frames(["id", "Name"]).piece(b"[" + first + b',{"id":"2","Name":"b","z":""}]')
    assert pairs == []
    assert frame is not None
    assert frame.rows() == [("1", "a"), ("2", "b")]


def test_two_shapes_no_encoder_sends_are_read_inexactly() -> None:
    """What the module's docstring owns up to: a later row spaced after a colon, and a later row whose key is a
    wanted key, a colon and more, both in a piece whose first row is compact."""
    last = b',{"id":"3","Name":"c","z":""}]'
    spaced = b'[{"id":"1","Name":"a","z":""},{"id":"2","Name": "b","z":""}' + last
    frame = fields_between_quotes(spaced, ["id", "Name"])
    assert frame is not None
    assert frame.rows() == [("1", "a"), ("2", " b"), ("3", "c")]
    longer = b'[{"id":"1","Name":"a","z":""},{"id":"2","Name:x":"b","z":""}' + last
    frame = fields_between_quotes(longer, ["id", "Name"])
    assert frame is not None
    assert frame.rows() == [("1", "a"), ("2", "x:b"), ("3", "c")]


def test_a_polars_that_reads_pairs_otherwise_is_never_asked_to(monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe holds for the polars installed; were it false, compact pieces would be read the other way."""
    assert quoted._polars_reads_pairs()
    data = b'[{"id":"1","Name":"a, b","z":""},{"id":"2","Name":"c","z":""}]'
    pairs = _spy_on_pairs(monkeypatch)
    assert fields_between_quotes(data, ["id", "Name"]) is not None
    assert pairs == [True]
    monkeypatch.setattr(quoted, "_polars_reads_pairs", lambda: False)
    frame = fields_between_quotes(data, ["id", "Name"])
    assert pairs == [True, False]
    assert frame is not None
    assert frame.rows() == [("1", "a, b"), ("2", "c")]


def test_a_piece_whose_last_key_is_wanted_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A row's last pair holds its closing brace, which polars refuses in a quoted field: such a piece is not read
    a pair to a field at all, only the other way."""
    import polars as pl

    reads: list[object] = []
    original = pl.read_csv

    def counted(*args: object, **kwargs: object) -> object:
        reads.append(kwargs.get("separator"))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pl, "read_csv", counted)
    frame = fields_between_quotes(b'[{"id":"1","Name":"a"},{"id":"2","Name":"b"}]', ["id", "Name"])
    assert frame is not None
    assert frame.rows() == [("1", "a"), ("2", "b")]
    assert reads == ['"']


@pytest.mark.parametrize(
    ("last", "read"),
    [
        (b'{"id":"3","Name":"c","z":"}', False),  # cut at a "}, {" in the last value: not closed
        (b'{"id":"3","Name":"c","z": ""}', True),  # read the other way, exactly
        (b'{"id":"3","Name":"c","z":5}', False),
    ],
)
def test_a_piece_whose_last_object_is_not_whole_and_compact_is_not_read_a_pair_to_a_field(
    monkeypatch: pytest.MonkeyPatch, last: bytes, read: bool
) -> None:
    """The cutter cuts a body at its last "}, {" and asks the reading; one inside a string (the last object's
    value) must be declined, so that it cuts at an earlier seam."""
    pairs = _spy_on_pairs(monkeypatch)
    data = b'[{"id":"1","Name":"a","z":""},{"id":"2","Name":"b","z":""},' + last + b"]"
    frame = fields_between_quotes(data, ["id", "Name"])
    assert pairs == []
    assert (frame.rows() if frame is not None else None) == (
        [("1", "a"), ("2", "b"), ("3", "c")] if read else None
    )


def test_a_body_with_a_seam_inside_a_value_is_cut_between_objects() -> None:
    """Every few rows, a value that spells a seam; a compact body is cut at the seams between objects only."""
    rows = [{"id": str(i), "Name": f"n{i}", "notes": "}, {" if i % 3 == 0 else "x"} for i in range(1, 400)]
    data = b'{"success":true,"list":' + _piece(rows) + b"}"
    body = [data[at : at + 100] for at in range(0, len(data), 100)]
    frames = list(codec.Pieces(iter(body), codec.Frames(["id", "Name"]), url="u", piece_bytes=512))
    assert len(frames) > 10
    assert [row for frame in frames for row in frame.rows()] == [(row["id"], row["Name"]) for row in rows]


def test_a_piece_as_php_writes_it_is_read_a_pair_to_a_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """PHP's json_encode, as ContactNow may answer: compact, `\\/` for every slash, `\\uXXXX` past ASCII."""
    pairs = _spy_on_pairs(monkeypatch)
    data = (
        b'[{"id":"1","Name":"Zo\\u00eb a\\/b \\\\ c","Note":"x:y, z}","z":""},'
        b'{"id":"2","Name":"\\ud83d\\ude00","Note":"","z":"\\/"}]'
    )
    frame = fields_between_quotes(data, ["Name", "id", "Note"])
    assert pairs == [True]
    assert frame is not None
    assert frame.rows() == [("Zoë a/b \\ c", "1", "x:y, z}"), ("😀", "2", "")]
