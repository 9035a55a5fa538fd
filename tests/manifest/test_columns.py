"""The columnar reader gives exactly what the row reader gives, or nothing.

`read_columns` either returns None (the caller reads row by row) or the rows the row reader yields, value for
value and line for line, for a file the row reader reads without a single problem. Hypothesis builds files from
fragments that trip CSV and JSON readers: quotes in and around fields, commas, bare CRs, CRLF, blank lines,
ragged rows, NULs, invalid UTF-8, BOMs, duplicate keys, numbers, nested values, escapes and lone surrogates.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reconciler.manifest import columns
from reconciler.manifest.columns import LINE, read_columns
from reconciler.manifest.sources import RawRow, SourceFile, read_rows
from reconciler.text import UNSAFE_CHARS

COLUMNS = ("a", "b")
_CSV_BITS = ["a", "b", "é", " ", ",", '"', '""', "\n", "\r\n", "\r", "\x00", "\udcff", "x,y", '"q"', "😀"]
_CSV_SAFE = st.sampled_from(["a", "é", " ", '"x,y"', '"a""b"', '"l1\nl2"', '"l1\r\nl2"', '"cr\rin"', '""'])
_JSON_BITS = [
    '{"a": "x", "b": "y"}',
    '{"a":"x\\u00e9","b":null}',
    '{"a": 1.50, "b": 7}',
    '{"a": "x", "a": "y"}',
    '{"a": [1], "b": "z"}',
    '{"b": true, "c": {"a": 1}}',
    '{"a": "\\ud800", "b": "q"}',
    '{"a": "\\ud83d\\ude00", "b": "\\"q\\" \\\\"}',
    "[1, 2]",
    "not json",
    "",
    "   ",
    '{"a\\u0061": "k", "b": "v"}',
    '{"a": "x,\\"b\\": 1", "b": "y"}',
    '{"a": NaN}',
    '{"a": "tab\\there", "b": -0}',
]


def _expected(file: SourceFile, text_only: frozenset[str]) -> list[tuple[object, ...]] | None:
    """The rows as the row reader gives them, or None when it names a problem."""
    rows = []
    for item in read_rows(file, COLUMNS):
        if not isinstance(item, RawRow):
            return None
        cells = [item.cells.get(name, "") for name in COLUMNS]
        if any(
            not isinstance(cell, str) and (cell.nested or (cell.number and name in text_only))
            for name, cell in zip(COLUMNS, cells, strict=True)
        ):
            return None
        rows.append((*(cell if isinstance(cell, str) else cell.text for cell in cells), item.location.line))
    return rows


def _check(tmp_path: Path, name: str, data: bytes, text_only: frozenset[str] = frozenset()) -> None:
    compressed = name.endswith(".gz")
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if compressed else data)
    file = SourceFile(path, name, "csv" if ".csv" in name else "jsonl", compressed)
    frame = read_columns(file, COLUMNS, text_only=text_only)
    event("columns" if frame is not None else "rows")
    if frame is None:
        return
    assert frame.columns == [*COLUMNS, LINE]
    assert frame.rows() == _expected(file, text_only)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.lists(st.one_of(_CSV_SAFE, _CSV_SAFE, st.sampled_from(_CSV_BITS)), max_size=4), max_size=8),
    st.booleans(),
    st.booleans(),
)
def test_csv_in_columns_is_the_row_readers_csv(
    tmp_path: Path, fields: list[list[str]], gzipped: bool, bom: bool
) -> None:
    lines = ["a,b", *("".join(bits[:2]) + "," + "".join(bits[2:]) if bits else "" for bits in fields)]
    data = ("\ufeff" if bom else "") + "\n".join(lines)
    _check(tmp_path, "s.csv.gz" if gzipped else "s.csv", data.encode("utf-8", "surrogateescape"))


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\naa,\na\n,,",
        b"a,b\n,,\nx\n",
        b'a,b\n"x,y"\nq,"r",s\nt\n',
        b"a,b\nx\ny,z,w,\n1,2\n",
        b"a,b\nx,y\n1,2,",
        b"a,b\nx\n1,2,",
    ],
)
def test_a_line_with_a_field_too_many_or_too_few_sends_the_file_to_the_row_reader(
    tmp_path: Path, data: bytes
) -> None:
    """Lines with commas too few and too many that balance over the piece (hypothesis found the first), and a last
    line without its line end that ends with a comma too many (polars reads it as if the comma were not there):
    the row reader names the faulty line."""
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    file = SourceFile(path, "s.csv", "csv", False)
    assert read_columns(file, COLUMNS, text_only=frozenset()) is None
    assert _expected(file, frozenset()) is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.one_of(st.sampled_from(_JSON_BITS[:2]), st.sampled_from(_JSON_BITS)), max_size=6),
    st.booleans(),
    st.sampled_from(["\n", "\r\n"]),
)
def test_jsonl_in_columns_is_the_row_readers_jsonl(
    tmp_path: Path, lines: list[str], gzipped: bool, end: str
) -> None:
    data = end.join(lines).encode()
    _check(tmp_path, "s.jsonl.gz" if gzipped else "s.jsonl", data, frozenset({"a"}))


def test_quoted_csv_with_line_breaks_keeps_each_rows_first_line(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(b'a,b\n"one\ntwo",x\n"say ""hi""",y\r\n"a,b","c\r\nd"\nz,w\n')
    frame = read_columns(SourceFile(path, "s.csv", "csv", False), COLUMNS, text_only=frozenset())
    assert frame is not None
    assert frame.rows() == [
        ("one\ntwo", "x", 2),
        ('say "hi"', "y", 4),
        ("a,b", "c\r\nd", 5),
        ("z", "w", 7),
    ]


def test_jsonl_values_are_taken_as_the_row_reader_takes_them(tmp_path: Path) -> None:
    lines = [
        json.dumps({"a": "José", "b": "x"}, ensure_ascii=True),
        "",
        '{"a": 1.50, "b": true, "c": [1, 2]}',
        '{"b": null}',
    ]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(lines) + "\n")
    file = SourceFile(path, "s.jsonl", "jsonl", False)
    assert read_columns(file, COLUMNS, text_only=frozenset()) is None  # a nested value: read row by row
    path.write_text("\n".join(line for line in lines if "[" not in line) + "\n")
    frame = read_columns(file, COLUMNS, text_only=frozenset())
    assert frame is not None
    assert frame.rows() == [("José", "x", 1), ("", "", 3)]
    path.write_text('{"a": 7}\n')
    assert read_columns(file, COLUMNS, text_only=frozenset({"a"})) is None  # a number in a phone field


def test_many_pieces_parsed_on_threads_come_back_in_order_with_their_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small pieces, so that quoted values with line breaks straddle the cuts and pieces finish out of order."""
    monkeypatch.setattr(columns, "PIECE_BYTES", 512)
    rows = [(f"k{i}", f'line one\nline "two", {i}' if i % 7 == 0 else f"v{i}") for i in range(3000)]
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([COLUMNS, *rows])
    for name, data in (
        ("many.csv", text.getvalue().encode()),
        (
            "many.jsonl",
            "".join(json.dumps(dict(zip(COLUMNS, row, strict=True))) + "\n" for row in rows).encode(),
        ),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        file = SourceFile(path, name, "csv" if name.endswith(".csv") else "jsonl", False)
        frame = read_columns(file, COLUMNS, text_only=frozenset())
        assert frame is not None
        expected = _expected(file, frozenset())
        assert expected is not None and len(expected) == 3000
        assert frame.rows() == expected


@pytest.mark.parametrize("name", ["long.csv", "long.jsonl"])
def test_a_record_longer_than_a_piece_is_carried_into_the_next_until_the_carry_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Pieces of 16 bytes: a record of 60 (a quoted value with line breaks, a long JSON line) has no cut in the
    chunks it spans, so they are carried until one ends it; past MAX_CARRY_BYTES the file goes to the row reader."""
    monkeypatch.setattr(columns, "PIECE_BYTES", 16)
    long = 'say "hi"\n' + "x" * 40 + "\nend"
    rows = [("k1", "v1"), ("k2", long), ("k3", "v3")]
    if name.endswith(".csv"):
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows([COLUMNS, *rows])
        data = text.getvalue().encode()
    else:
        data = "".join(json.dumps(dict(zip(COLUMNS, row, strict=True))) + "\n" for row in rows).encode()
    path = tmp_path / name
    path.write_bytes(data)
    file = SourceFile(path, name, "csv" if name.endswith(".csv") else "jsonl", False)
    frame = read_columns(file, COLUMNS, text_only=frozenset())
    assert frame is not None
    assert [row[:2] for row in frame.rows()] == rows
    assert frame.rows() == _expected(file, frozenset())
    monkeypatch.setattr(columns, "MAX_CARRY_BYTES", 8)
    assert read_columns(file, COLUMNS, text_only=frozenset()) is None


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b'{"a": "\xff", "b": "x"}', "a byte that is not UTF-8"),
        (b'{"a": "\xc0\xaf", "b": "x"}', "an overlong UTF-8 sequence"),
        (b'{"a": "\xed\xa0\x80", "b": "x"}', "an encoded surrogate"),
        (b'{"a": null, "b": "x", "a": null}', "a key twice, both null"),
        (b'{"b": "x", "a" :\t-7}', "a number in a text-only field, spaced"),
        (b'{"a": "k\\": 1, \\"a", "b": "y", "b": "z"}', "a key twice after a value that looks like a key"),
    ],
)
def test_a_jsonl_line_the_row_reader_names_sends_the_file_to_it(
    tmp_path: Path, line: bytes, why: str
) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a": "ok", "b": "fine"}\n\n' + line + b"\r\n")
    file = SourceFile(path, "s.jsonl", "jsonl", False)
    assert _expected(file, frozenset({"a"})) is None, why
    assert read_columns(file, COLUMNS, text_only=frozenset({"a"})) is None, why


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b'{"a": "x", "b": "y", "c": "z", "c": "w"}', "a key twice, one the first lines lack"),
        (b'{"b": "y", "d": "q", "a": 7}', "a number in a text-only field, in a line with a key of its own"),
        (b'{"b": "y", "a" : 7}', "a number in a text-only field, a space before its colon"),
        (b'{"a": -7, "b": "y"}', "a number in a text-only field under a usual key"),
        (b'{"b": "y", "b": "z"}', "a usual key twice"),
        (b'{"b" : "y", "b": "z"}', "a usual key twice, spaced differently"),
    ],
)
def test_a_jsonl_line_after_the_first_lines_that_the_row_reader_names_sends_the_file_to_it(
    tmp_path: Path, line: bytes, why: str
) -> None:
    """The first line's shape is the piece's usual shape (columns._usual_shape); a later line of another shape
    is checked in full, whatever keys and spacing it has."""
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a": "ok", "b": "fine"}\n' * 40 + line + b"\n")
    file = SourceFile(path, "s.jsonl", "jsonl", False)
    assert _expected(file, frozenset({"a"})) is None, why
    assert read_columns(file, COLUMNS, text_only=frozenset({"a"})) is None, why


def test_later_jsonl_lines_with_keys_and_spacing_of_their_own_are_read_as_the_row_reader_reads_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.jsonl"
    late = b'{"b" : "x", "a":"y"}\n{"c": 1, "a": "z"}\n{"a": "k\\": 1", "b": "\\"b\\":2"}\n{}\n{"b": 5}\n'
    path.write_bytes(b'{"a": "ok", "b": "fine"}\n' * 40 + late)
    file = SourceFile(path, "s.jsonl", "jsonl", False)
    frame = read_columns(file, COLUMNS, text_only=frozenset({"a"}))
    assert frame is not None
    assert frame.rows() == _expected(file, frozenset({"a"}))
    assert frame.rows()[40:] == [
        ("y", "x", 41),
        ("z", "", 42),
        ('k": 1', '"b":2', 43),
        ("", "", 44),
        ("", "5", 45),
    ]


_USUAL_LINES = [
    b'{"a": "x", "b": "y", "c": 1}',
    b'  {"a":"Jos\\u00e9 \\/ \\ud83d\\ude00","b":null,"c":25}\r',
    b'{"a" :\t"tab\\there \\"q\\"", "b": true, "c": "}\\n{"}',
    b'{"a": "", "b": -42, "c": "z"}',
]
"""Lines of one shape (keys a, b, c in that order, any spacing, a scalar value each): the whole-piece way reads
them."""


def _read_as_the_row_reader(tmp_path: Path, lines: list[bytes]) -> pl.DataFrame:
    """The columns of a JSON Lines file of `lines` (a is text-only), asserted to be the row reader's rows."""
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    file = SourceFile(path, "s.jsonl", "jsonl", False)
    frame = read_columns(file, COLUMNS, text_only=frozenset({"a"}))
    assert frame is not None
    assert frame.rows() == _expected(file, frozenset({"a"}))
    return frame


def test_a_piece_of_lines_shaped_as_its_first_is_read_whole_as_the_row_reader_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No line is split out (columns._lines_of is not called) and the values are the row reader's."""

    def refused(piece: bytes) -> None:
        raise AssertionError("the piece was read a line at a time")

    monkeypatch.setattr(columns, "_lines_of", refused)
    frame = _read_as_the_row_reader(tmp_path, _USUAL_LINES * 25)
    assert frame.rows()[:4] == [
        ("x", "y", 1),
        ("José / \U0001f600", "", 2),
        ('tab\there "q"', "true", 3),
        ("", "-42", 4),
    ]
    assert frame.height == 100


@pytest.mark.parametrize(
    ("late", "rows"),
    [
        (b"", [("x", "", 102)]),
        (b"   ", [("x", "", 102)]),
        (b'{"b": "y", "a": "k"}', [("k", "y", 101), ("x", "", 102)]),
        (b'{"a": "k"}', [("k", "", 101), ("x", "", 102)]),
    ],
    ids=["a blank line", "a line of spaces", "keys in another order", "a key fewer"],
)
def test_a_piece_with_a_line_of_another_shape_is_read_a_line_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late: bytes, rows: list[tuple[str, str, int]]
) -> None:
    split: list[int] = []
    lines_of = columns._lines_of

    def counted(piece: bytes) -> object:
        split.append(len(piece))
        return lines_of(piece)

    monkeypatch.setattr(columns, "_lines_of", counted)
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\n".join(_USUAL_LINES * 25) + b"\n" + late + b'\n{"a": "x"}\n')
    file = SourceFile(path, "s.jsonl", "jsonl", False)
    frame = read_columns(file, COLUMNS, text_only=frozenset({"a"}))
    assert frame is not None
    assert split == [path.stat().st_size]
    assert frame.rows() == _expected(file, frozenset({"a"}))
    assert frame.rows()[100:] == rows


@pytest.mark.parametrize(
    ("late", "why"),
    [
        (b'{"a": 7, "b": "y", "c": 1}', "a number in a text-only field, in a line of the usual shape"),
        (b'{"a": "x", "b": "y", "c": 1, "a": "z"}', "a key twice"),
        (b'{"a": "x", "b": {"n": 1}, "c": 1}', "a nested value in a read field"),
    ],
)
def test_a_line_the_row_reader_names_is_never_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late: bytes, why: str
) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\n".join(_USUAL_LINES * 25) + b"\n" + late + b"\n")
    file = SourceFile(path, "s.jsonl", "jsonl", False)
    assert _expected(file, frozenset({"a"})) is None, why
    assert read_columns(file, COLUMNS, text_only=frozenset({"a"})) is None, why


def test_a_jsonl_line_longer_than_the_limit_sends_the_file_to_the_row_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(columns, "MAX_JSON_LINE_BYTES", 40)
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a": "x", "b": "y"}\n' * 3 + b'{"a": "' + b"x" * 22 + b'", "b": "y"}\n')
    file = SourceFile(path, "s.jsonl", "jsonl", False)
    assert read_columns(file, COLUMNS, text_only=frozenset()) is None
    path.write_bytes(b'{"a": "x", "b": "y"}\n' * 3 + b'{"a": "' + b"x" * 21 + b'", "b": "y"}\n')
    frame = read_columns(file, COLUMNS, text_only=frozenset())
    assert frame is not None
    assert frame.rows()[3] == ("x" * 21, "y", 4)


@pytest.mark.parametrize("quoted", [False, True])
def test_a_csv_line_longer_than_the_field_limit_sends_the_file_to_the_row_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quoted: bool
) -> None:
    """The columns take no line longer than the row reader's field limit: unquoted, the longest line is measured
    as written; quoted, a bound of it is taken from the values."""
    monkeypatch.setattr(columns, "CSV_FIELD_LIMIT", 24)
    path = tmp_path / "s.csv"
    file = SourceFile(path, "s.csv", "csv", False)
    value = b'"' + b"x" * 10 + b'"' if quoted else b"x" * 24
    path.write_bytes(b"a,b\nx,y\n" + value + b",\n")  # unquoted: a line of 25 bytes
    assert read_columns(file, COLUMNS, text_only=frozenset()) is None
    path.write_bytes(b"a,b\nx,y\n" + b"x" * 23 + b",\n")  # 24 bytes
    frame = read_columns(file, COLUMNS, text_only=frozenset())
    assert frame is not None
    assert frame.rows() == [("x", "y", 2), ("x" * 23, "", 3)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=12), st.integers(1, 25), st.booleans())
def test_a_line_longer_than_the_limit_is_found_as_by_measuring_every_line(
    lengths: list[int], limit: int, last_end: bool
) -> None:
    body = b"\n".join(b"x" * length for length in lengths) + (b"\n" if last_end and lengths else b"")
    longest = max((len(line) for line in body.split(b"\n")), default=0)
    assert columns._longer_line(body, limit) == (longest > limit)


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\n\xff,x\n",
        b"a,b\nx,\xff\n",
        b'a,b\nx,"\xc3"\n',
        b"a,b\nx,y\xe2\x82\n",
        b"a,b\nx,y\n\xed\xa0\x80,z\n",
        b"a,b\nx,\xc0\xaf\n",
        b"a,b,c\nx,y,\xff\n",
    ],
    ids=["first", "last", "quoted", "cut short", "surrogate", "overlong", "unwanted column"],
)
def test_csv_that_is_not_utf8_anywhere_goes_to_the_row_reader(tmp_path: Path, data: bytes) -> None:
    """polars' reader refuses bytes that are not UTF-8 in any field it reads (every column of the header, the
    unwanted ones too), which is what makes the piece's own decoding unneeded; the row reader names the line."""
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    file = SourceFile(path, "s.csv", "csv", False)
    assert read_columns(file, COLUMNS, text_only=frozenset()) is None
    assert _expected(file, frozenset()) is None


def test_a_key_is_matched_as_written_not_as_a_pattern(tmp_path: Path) -> None:
    """The first line's keys make the usual shape's pattern (columns._usual_shape); "a+" there matches only
    "a+", so a later line holding "aa" twice is checked in full, and refused."""
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a+": "1", "aa": 2}\n' * 3)
    file = SourceFile(path, "s.jsonl", "jsonl", False)
    frame = read_columns(file, ("a+", "aa"), text_only=frozenset({"a+"}))
    assert frame is not None
    assert frame.rows() == [("1", "2", 1), ("1", "2", 2), ("1", "2", 3)]
    path.write_bytes(b'{"a+": "1", "aa": 2}\n{"aa": "1", "aa": 2}\n')
    assert read_columns(file, ("a+", "aa"), text_only=frozenset({"a+"})) is None


def test_jsonl_lines_keep_their_numbers_around_blank_and_crlf_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a": "1", "b": "k\\": 2"}\r\n\r\n  \n{"b": "x", "a": "2"}\n\n{"a": "3"}')
    frame = read_columns(SourceFile(path, "s.jsonl", "jsonl", False), COLUMNS, text_only=frozenset({"a"}))
    assert frame is not None
    assert frame.rows() == [("1", 'k": 2', 1), ("2", "x", 4), ("3", "", 6)]


@pytest.mark.parametrize(
    ("data", "rows"),
    [
        (b"a\r\nx\r\nz\r\n", [("x", 2), ("z", 3)]),
        (b"a\nx\r\nz", [("x", 2), ("z", 3)]),
        (b"a\nx\r\n\r\nz\n", None),  # a blank CRLF line
        (b"a\n\r\nx\n", None),  # a blank CRLF line first
        (b"a\nx\n\nz\n", None),  # a blank LF line
        (b"a\n\nx\n", None),  # a blank LF line first
        (b"a\nx\ry\n", None),  # a carriage return inside a line
        (b"a\nx\r", None),  # one at the end of the file
    ],
)
def test_csv_line_ends_and_blank_lines(
    tmp_path: Path, data: bytes, rows: list[tuple[str, int]] | None
) -> None:
    """One column, so that no count of commas tells a blank line: the line-end checks alone must."""
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    file = SourceFile(path, "s.csv", "csv", False)
    frame = read_columns(file, ("a",), text_only=frozenset())
    assert (None if frame is None else frame.rows()) == rows
    if rows is not None:
        read = list(read_rows(file, ("a",)))
        assert [(item.cells["a"], item.location.line) for item in read if isinstance(item, RawRow)] == rows
        assert all(isinstance(item, RawRow) for item in read)


def _outside_quotes_by_counting(piece: bytes) -> bytes | None:
    """The check `_outside_quotes` makes, as it was written first: runs of markers collapsed, then each
    neighbour counted (None where it refuses)."""
    parts = piece.split(b'"')
    if len(parts) % 2 == 0:
        return None
    mark = b"\x00"
    outside = mark.join(parts[0::2])
    while mark * 2 in outside:
        outside = outside.replace(mark * 2, mark)
    fields = outside.count(mark)
    opened = outside.count(b"," + mark) + outside.count(b"\n" + mark) + outside.startswith(mark)
    closed = (
        outside.count(mark + b",")
        + outside.count(mark + b"\n")
        + outside.count(mark + b"\r\n")
        + outside.endswith(mark)
    )
    return outside if opened == fields and closed == fields else None


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(['"', '""', ",", "\n", "\r", "\r\n", "a", "é"]), max_size=24))
def test_quoted_fields_are_checked_as_by_counting_their_neighbours(bits: list[str]) -> None:
    """The numpy check of quoted fields refuses exactly the pieces the counting of each neighbour refused, and
    leaves the same text outside quotes (a field's run of markers is one marker there)."""
    piece = "".join(bits).encode()
    expected = _outside_quotes_by_counting(piece)
    try:
        outside: bytes | None = columns._outside_quotes(piece)
    except columns._Refused:
        outside = None
    if outside is not None:
        while b"\x00\x00" in outside:
            outside = outside.replace(b"\x00\x00", b"\x00")
    assert outside == expected


_QUOTED_TEXT = st.text(alphabet='ab é😀/\\"{}[],:\t\u202e', max_size=6)
_LATER_VALUE = st.one_of(_QUOTED_TEXT, st.integers(-5, 10**6), st.none(), st.booleans())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(_LATER_VALUE, _QUOTED_TEXT, _QUOTED_TEXT, _LATER_VALUE, st.booleans()),
        min_size=1,
        max_size=8,
    ),
    st.booleans(),
)
def test_lines_read_between_their_quotes_are_the_row_readers(
    tmp_path: Path, values: list[tuple[object, str, str, object, bool]], ascii_only: bool
) -> None:
    """Lines of keys z, a, b, c: the wanted a and b strings of any text (escapes, quotes, braces), z before them
    and c after them any value; `spaced` writes a line with spaces. The reading between quotes (taken when z is a
    string in every line and no escaped quote is in the piece) gives what the row reader gives."""
    lines = []
    for z, a, b, c, spaced in values:
        separators = (", ", ": ") if spaced else (",", ":")
        lines.append(
            json.dumps({"z": z, "a": a, "b": b, "c": c}, separators=separators, ensure_ascii=ascii_only)
        )
    _check(tmp_path, "s.jsonl", "\n".join(lines).encode(), frozenset({"a"}))


def test_lines_of_the_usual_shape_are_read_between_their_quotes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Strings up to the last wanted key, then any value: polars' JSON reader is not called, and escapes are
    decoded as the row reader decodes them."""

    def refused(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("polars' JSON reader was called")

    monkeypatch.setattr(pl, "read_ndjson", refused)
    lines = [
        b'{"a": "Zo\\u00eb a\\/b", "x": "1", "b": "q, {r}: [s]", "c": null}',
        b'{"a": "", "x": "2", "b": "\\ud83d\\ude00", "c": 7}',
        b'{"a": "t", "x": "3", "b": "", "c": "u"}',
    ]
    frame = _read_as_the_row_reader(tmp_path, lines * 10)
    assert frame.rows()[:3] == [("Zoë a/b", "q, {r}: [s]", 1), ("", "😀", 2), ("t", "", 3)]


@pytest.mark.parametrize(
    "late",
    [b'{"a": "k", "x": 5, "b": "m", "c": null}', b'{"a": "k\\"", "x": "5", "b": "m", "c": null}'],
    ids=["a number before a wanted key", "an escaped quote"],
)
def test_a_line_that_does_not_split_alike_is_read_by_polars_json_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late: bytes
) -> None:
    def refused(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the piece was read between its quotes")

    monkeypatch.setattr(columns, "_between_quotes", refused)
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"a": "t", "x": "3", "b": "", "c": "u"}\n' + late + b"\n")
    file = SourceFile(path, "s.jsonl", "jsonl", False)
    frame = read_columns(file, COLUMNS, text_only=frozenset({"a"}))
    assert frame is not None
    assert frame.rows() == [("t", "", 1), ("k" if b"5," in late else 'k"', "m", 2)]


_SAFE_TEXT_VALUE = st.one_of(
    st.text(alphabet="ab é", max_size=4),
    st.text(alphabet="ab é\t\x1b\x85\u061c\u200f\u202e\u2066", max_size=4),
)


def _safe_read(file: SourceFile) -> pl.DataFrame | None:
    frames = columns.read_column_pieces(
        file, COLUMNS, text_only=frozenset(), each=lambda frame: frame, safe_text=True
    )
    return None if frames is None else pl.concat(frames) if frames else None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(_SAFE_TEXT_VALUE, _SAFE_TEXT_VALUE, _SAFE_TEXT_VALUE), min_size=1, max_size=6),
    st.sampled_from(["csv", "jsonl escaped", "jsonl as it is"]),
)
def test_with_safe_text_a_wanted_value_holding_an_unsafe_character_sends_the_file_to_the_row_reader(
    tmp_path: Path, rows: list[tuple[str, str, str]], form: str
) -> None:
    """Wanted a and b, and an unmanaged n, of text with and without unsafe characters: written as they are or
    escaped, in a JSON Lines piece of the usual shape (whose pattern proves them safe) or in CSV (whose columns
    are checked). Read with safe_text, the file is refused exactly when a wanted value holds one; otherwise the
    columns are read_columns' columns."""
    if form == "csv":
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows([("a", "n", "b"), *((a, n, b) for a, b, n in rows)])
        path, name = tmp_path / "s.csv", "s.csv"
        path.write_text(text.getvalue(), encoding="utf-8")
    else:
        escaped = form == "jsonl escaped"
        lines = (json.dumps({"a": a, "n": n, "b": b}, ensure_ascii=escaped) for a, b, n in rows)
        path, name = tmp_path / "s.jsonl", "s.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    file = SourceFile(path, name, "jsonl" if "jsonl" in form else "csv", False)
    plain = read_columns(file, COLUMNS, text_only=frozenset())
    unsafe = any(char in UNSAFE_CHARS for a, b, _ in rows for char in a + b)
    event(f"{form}, {'unsafe' if unsafe else 'safe'}, {'columns' if plain is not None else 'rows'}")
    safe = _safe_read(file)
    if plain is None or unsafe:
        assert safe is None
    else:
        assert safe is not None
        assert safe.rows() == plain.rows()


def _spy_on_unsafe_checks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each piece's columns were scanned for unsafe characters, in order."""
    checked: list[bool] = []
    refuse_unsafe = columns._refuse_unsafe

    def spy(frame: pl.DataFrame, check: bool) -> pl.DataFrame:
        checked.append(check)
        return refuse_unsafe(frame, check)

    monkeypatch.setattr(columns, "_refuse_unsafe", spy)
    return checked


def test_a_usual_jsonl_piece_is_not_checked_again_unless_a_value_holds_an_escape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shape pattern proves the wanted values safe, so the piece's columns are not scanned; a piece with a
    backslash is (an escape may stand for an unsafe character), and so is an unsafe character in an unmanaged
    value, which does not stop the columns being read."""
    checked = _spy_on_unsafe_checks(monkeypatch)
    path = tmp_path / "s.jsonl"
    file = SourceFile(path, "s.jsonl", "jsonl", False)
    path.write_bytes(b'{"a": "x", "n": "\xe2\x80\xae", "b": "y"}\n' * 3)
    assert _safe_read(file) is not None
    assert checked == [False]
    checked.clear()
    path.write_bytes(b'{"a": "x\\/", "n": "", "b": "y"}\n' * 3)
    frame = _safe_read(file)
    assert frame is not None
    assert frame.rows() == [("x/", "y", 1), ("x/", "y", 2), ("x/", "y", 3)]
    assert checked == [True]
    checked.clear()
    path.write_bytes(b'{"a": "x", "n": "", "b": "y"}\n{"a": "x", "n": "", "b": "\\u202e"}\n')
    assert _safe_read(file) is None
    assert checked == [True]


def test_a_csv_piece_s_columns_are_checked_only_when_its_bytes_may_hold_an_unsafe_character(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CSV piece whose bytes hold no unsafe character's encoding is not scanned column by column; one that holds
    one is, and is read when it stands only in an unmanaged value, refused when in a wanted one."""
    checked = _spy_on_unsafe_checks(monkeypatch)
    path = tmp_path / "s.csv"
    file = SourceFile(path, "s.csv", "csv", False)
    path.write_bytes(f"a,n,b\nx é,£,y\u2019{'z' * 60}\n".encode())
    frame = _safe_read(file)
    assert frame is not None
    assert frame.rows() == [("x é", "y\u2019" + "z" * 60, 2)]
    assert checked == [False]
    checked.clear()
    path.write_bytes("a,n,b\nx,\u202e\x1b,y\n".encode())
    frame = _safe_read(file)
    assert frame is not None
    assert frame.rows() == [("x", "y", 2)]
    assert checked == [True]
    checked.clear()
    path.write_bytes("a,n,b\nx,,y\u202e\n".encode())
    assert _safe_read(file) is None
    assert checked == [True]
