"""Source files read as columns, in one pass: CSV (quoted or not) and JSON Lines, gzipped or not.

`read_columns` reads a source a piece (about 4 MiB, PIECE_BYTES) at a time and parses each piece with polars, so
that a file of millions of rows is read once, in Rust, into one text column per wanted field and a `line` column
(the line each row starts on). The row reader (sources.read_rows) stays the reference: a piece is parsed in columns
only when cheap byte checks prove that polars reads it exactly as the row reader would, without a problem the row
reader would name. When any check fails, `read_columns` returns None and the caller reads the rows one by one, which
names every problem with its file:line:col. The checks are conservative: a file they refuse may still be fine, and
is then read row by row.

CSV: a piece is cut at a line end outside quotes (an even number of `"` before it). Every well-formed quoted field
(opening at the start of a field, `""` inside, closing at its end) is taken out; what is left must be a plain CSV
with the header's number of commas on every line, no `"`, no blank line and no carriage return outside a CRLF. No
physical line may be longer than the csv module's field limit, and the piece must be UTF-8, without NUL.

JSON Lines: each line must be one flat object (strings, numbers, true, false, null; no nested value) whose keys hold
no escape, each key once, checked with regular expressions in polars. A piece whose lines all hold strings up to the
last wanted key, and no escaped quote, is read as the fields between its quotes (model/json_strings.py); polars'
JSON reader decodes the values of any other. A value is taken as the row reader takes it: a string decoded, an
integer as its JSON text, true/false as text, null or a missing key as "". A number polars would write otherwise
(1.50, 1e3, -0, 20 digits) or a number in a text-only field (a phone; the row reader's problem) sends the file to
the row reader.

With `safe_text` (a record set's source), a wanted value holding a control or bidirectional character (UNSAFE_CHARS)
sends the file to the row reader too, which names it. Each piece is checked on its parser's thread; a JSON Lines
piece read between its quotes is checked by its shape pattern, in the same pass, where no value holds an escape; a
CSV piece whose bytes hold no unsafe character's encoding (`may_hold_unsafe`, the usual case) needs no check of its
columns.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from reconciler.errors import Location
from reconciler.model.json_strings import has_escaped_quote, string_values
from reconciler.text import UNSAFE_CHARS, may_hold_unsafe

from .sources import CSV_FIELD_LIMIT, GZIP_ERRORS, MAX_JSON_LINE_BYTES, SourceFile, check_header, open_binary

if TYPE_CHECKING:
    import polars as pl

LINE = "__line"
"""The column holding the line each row starts on (UInt32)."""
PIECE_BYTES = 4 * 1024 * 1024
PARSERS = 3
"""Pieces parsed at once, on threads: one more than the two cores a plan is measured on, because a piece's parse
is only partly in polars' own threads (a JSON Lines piece's shape is one regular-expression match, on the thread
that asks for it). Reading the 1M-row benchmark's sources alone, 2 threads against 3: JSON Lines 1.44-1.46
against 1.14-1.16 s, quoted CSV 0.47 against 0.41 s, plain CSV 0.31-0.34 against 0.30 s (4 threads: no faster)."""
MAX_CARRY_BYTES = 2 * 1024 * 1024
"""A record longer than this (a line, or a quoted value spanning lines) sends the file to the row reader."""

_FIELD = b"\x00"
"""Stands for a quoted field in `_outside_quotes` (a piece with a NUL is refused before)."""

# JSON, flat objects only. Surrogate escapes only in pairs (a lone one is read differently by polars).
_WS = r"[ \t\r]*"
_STRING = (
    r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u(?:[0-9a-cA-CefEF][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2})'
    r"|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})*\""
)
_SAFE_STRING = _STRING.replace(
    "\\x1f", "\\x1f" + "".join(f"\\x{{{ord(char):x}}}" for char in UNSAFE_CHARS if char >= " "), 1
)
"""A string that holds none of UNSAFE_CHARS as it is (the controls among them `_STRING` refuses already)."""
_NUMBER = r"(?:0|-?[1-9][0-9]{0,17})"
"""An integer polars writes as its JSON text; any other number (1.50, 1e3, -0, 20 digits) is refused."""
_VALUE = f"(?:{_STRING}|{_NUMBER}|true|false|null)"
_TEXT_VALUE = f"(?:{_STRING}|true|false|null)"
"""A value of a text-only field that the columns take (a number there is the row reader's problem)."""
_KEY = '[^"\\\\\\x00-\\x1f{}:,]*'
"""What a key may hold: no escape, none of `{}:,`."""
_MEMBER = f'{_WS}"{_KEY}"{_WS}:{_WS}{_VALUE}{_WS}'
_FLAT_OBJECT = f"^{_WS}\\{{(?:{_MEMBER}(?:,{_MEMBER})*|{_WS})\\}}{_WS}$"
"""A line that is one flat JSON object, whose keys hold no escape and none of `{}:,`."""
_MEMBER_START = f'"([^"\\\\]*)"{_WS}:{_WS}([^ \\t\\r])'
"""A key and the first character of its value. In a line that is a flat object it matches every key and nothing
else: a match must open at a quote, run to the next quote with no backslash between, then take a colon, which no
quote inside or closing a string value is followed by."""
_SHAPE_SEPARATOR = "\x00"
"""Joins a line's member starts into its shape (a piece holding NUL is refused before)."""
_SPACE_ONLY = r"^[ \t\r\n\x0b\x0c]*$"


class _Refused(Exception):
    """The piece is not one polars reads exactly as the row reader: read the file row by row."""


class Refused(_Refused):
    """Raised by the `each` of `read_column_pieces` to stop reading: the file is to be read row by row."""


T = TypeVar("T")


def read_columns(
    source: SourceFile,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    *,
    text_only: frozenset[str],
) -> pl.DataFrame | None:
    """The `required` and `optional` columns (every value text, "" for an empty or missing one) and LINE, or
    None when the source must be read row by row. A CSV header must have every required column; an optional
    one it lacks is read as "". `text_only` names the columns in which a JSON number is a problem."""
    import polars as pl

    frames = read_column_pieces(
        source, required, optional, text_only=text_only, each=lambda frame: frame, safe_text=False
    )
    if frames is None:
        return None
    if not frames:
        wanted = tuple(dict.fromkeys((*required, *optional)))
        return pl.DataFrame(schema={**dict.fromkeys(wanted, pl.String), LINE: pl.UInt32})
    return pl.concat(frames, how="vertical")


def read_column_pieces(
    source: SourceFile,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    *,
    text_only: frozenset[str],
    each: Callable[[pl.DataFrame], T],
    safe_text: bool,
) -> list[T] | None:
    """`each` of the columns of `read_columns`, a piece of the file at a time, in order (a piece's rows follow the
    last piece's), or None when the source must be read row by row (`each` raising Refused says so too): the
    whole file's columns need never be held at once. With `safe_text`, a wanted value holding a character of
    UNSAFE_CHARS is such a reason too: each piece is checked on its parser's thread, and a JSON Lines piece whose
    shape pattern already refused them (`_SAFE_STRING`), or a CSV piece whose bytes hold none, is not checked
    again."""
    import polars as pl

    wanted = tuple(dict.fromkeys((*required, *optional)))
    results: list[T] = []
    try:
        with open_binary(source) as stream:
            frames = (
                _csv_frames(stream, source, required, wanted, safe_text)
                if source.format == "csv"
                else _jsonl_frames(stream, wanted, text_only, safe_text)
            )
            try:
                results.extend(map(each, frames))
            finally:
                frames.close()  # the parsers' threads stop at once when `each` refuses
    except (_Refused, OSError, *GZIP_ERRORS, ValueError, csv.Error, pl.exceptions.PolarsError):
        return None  # the row reader says what is wrong, if anything
    return results


def _pieces(stream: io.BufferedIOBase, pending: bytes, cut: Callable[[bytes, bytes], int]) -> Iterator[bytes]:
    """The stream in pieces of about PIECE_BYTES, each ending where `cut` says (the last one where the file
    ends). `pending` is what was read already. `cut(pending, chunk)` is where in `chunk` the piece that
    `pending` begins may end, or -1: a piece is then joined from the two in one copy (joining them first and
    cutting the piece out after took two, holding the GIL, which the parsers' threads want meanwhile). Each
    piece's parse refuses a NUL, which neither CSV nor JSON text holds (`_outside_quotes` marks with it)."""
    while chunk := stream.read(PIECE_BYTES):
        end = cut(pending, chunk)
        if end < 0:
            pending += chunk
            if len(pending) > PIECE_BYTES + MAX_CARRY_BYTES:
                raise _Refused
            continue
        with memoryview(chunk) as view:
            yield b"".join((pending, view[:end]))
        pending = chunk[end:]
    if pending:
        yield pending


def _numbered(pieces: Iterator[bytes], line: int) -> Iterator[tuple[bytes, int, int]]:
    """Each piece with the line it starts on and its line ends (counted once, for its parse too)."""
    for piece in pieces:
        ends = _count(piece, _NEWLINE)
        yield piece, line, ends
        line += ends


def _count(data: bytes, byte: int, end: int | None = None) -> int:
    """How many times `byte` stands in `data[:end]`: numpy counts about three times as fast as bytes.count,
    which holds the GIL while the other pieces' parsers wait for it."""
    import numpy as np

    return int(
        np.count_nonzero(np.frombuffer(data, np.uint8, count=len(data) if end is None else end) == byte)
    )


def _in_order(
    pieces: Iterator[tuple[bytes, int, int]], parse: Callable[[bytes, int, int], pl.DataFrame]
) -> Iterator[pl.DataFrame]:
    """`parse` of each piece, in order, on PARSERS threads (polars lets go of the GIL), at most PARSERS pieces
    ahead of the reader: memory stays a few pieces, and a refused piece stops the reading."""
    from concurrent.futures import Future, ThreadPoolExecutor

    pending: deque[Future[pl.DataFrame]] = deque()
    with ThreadPoolExecutor(PARSERS, thread_name_prefix="source-piece") as pool:
        try:
            for piece, line, ends in pieces:
                pending.append(pool.submit(parse, piece, line, ends))
                while len(pending) > PARSERS or (pending and pending[0].done()):
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _line_cut(pending: bytes, chunk: bytes) -> int:
    """Just after the chunk's last line end, or -1."""
    return chunk.rfind(b"\n") + 1 or -1


def _even_cut(pending: bytes, chunk: bytes) -> int:
    """Just after the chunk's last line end with an even number of `"` before it (so outside quotes), counted from
    the start of `pending`, or -1."""
    end = chunk.rfind(b"\n")
    if end < 0:
        return -1
    quotes = pending.count(b'"') + _count(chunk, _QUOTE, end)
    while quotes % 2:
        previous = chunk.rfind(b"\n", 0, end)
        if previous < 0:
            return -1
        quotes -= chunk.count(b'"', previous, end)
        end = previous
    return end + 1


# --------------------------------------------------------------------------------------------------- CSV


def _longest_row(frame: pl.DataFrame) -> int:
    """At least the bytes of the longest physical line the rows of `frame` were read from, quoted."""
    import polars as pl

    if not frame.height:
        return 0
    values = pl.sum_horizontal(pl.col(name).str.len_bytes().fill_null(0) for name in frame.columns)
    longest = int(frame.select(values.max()).item())
    return longest * 2 + 3 * frame.width


def _plain_lines(outside: bytes, commas: int) -> tuple[int, int]:
    """The line ends of a piece outside its quoted fields, and the bytes of its longest line there. Refused when a
    line is blank or a carriage return stands anywhere but before a line end, which the row reader reads otherwise,
    and unless the piece holds `commas` commas a line: polars refuses a line that ends with a line end and has more
    fields than the first (ComputeError), so with that total no line has fewer. Counting each line's commas instead
    took twice as long (0.15 against 0.07 s of CPU per 122 MB). Counted with numpy: Python's byte counts hold the
    GIL and took about 0.4 s per 120 MB."""
    import numpy as np

    data = np.frombuffer(outside, np.uint8)
    ends = np.flatnonzero(data == _NEWLINE)
    if len(ends) and ends[0] == 0:
        raise _Refused  # a blank first line
    crs = outside.count(b"\r") if b"\r" in outside else 0
    before_end = data[ends - 1] == _RETURN if crs else np.zeros(len(ends), dtype=bool)
    if crs != int(np.count_nonzero(before_end)):
        raise _Refused  # a carriage return outside a CRLF
    lengths = np.diff(ends, prepend=-1, append=len(data)) - 1  # each line's bytes, without its line end
    blank = bool(np.any(lengths[1:-1] == 0))  # "\n\n"
    if crs:
        blank = blank or bool(np.any((lengths[1:-1] == 1) & before_end[1:]))  # "\n\r\n"
        blank = blank or bool(ends[0] == 1 and before_end[0])  # "\r\n" first
    if blank:
        raise _Refused
    rows = len(ends)
    if not outside.endswith(b"\n"):
        rows += 1
        if outside.count(b",", int(ends[-1]) + 1 if len(ends) else 0) != commas:
            raise _Refused  # polars reads a last line without its end as if a comma it ends with were not there
    if _count(outside, _COMMA) != rows * commas:
        raise _Refused
    return len(ends), int(lengths.max())


_NEWLINE, _RETURN, _COMMA, _QUOTE = (ord(char) for char in '\n\r,"')


def _outside_quotes(piece: bytes) -> bytes:
    """The piece with each quoted field replaced by a run of _FIELD, refused unless every quoted field is well
    formed: it opens where a field starts (at a line start or after a comma), holds a quote only doubled, and
    closes where a field ends (before a comma or a line end).

    Split at every quote, the parts alternate outside and inside quotes. An empty outside part between two
    inside parts is a doubled quote, so a run of markers is one quoted field. Its neighbours are checked with
    numpy, in one pass over the piece: counting each neighbour with bytes.count took eight passes, holding the
    GIL (about 1 s per 122 MB of CSV quoting a tenth of its rows)."""
    import numpy as np

    parts = piece.split(b'"')
    if len(parts) % 2 == 0:
        raise _Refused  # an odd number of quotes: one is not closed
    outside = _FIELD.join(parts[0::2])
    data = np.frombuffer(outside, np.uint8)
    marks = np.flatnonzero(data == _FIELD[0])
    if not len(marks):
        return outside
    breaks = np.diff(marks) != 1
    starts = marks[np.concatenate(([True], breaks))]
    ends = marks[np.concatenate((breaks, [True]))]
    before = data[np.maximum(starts - 1, 0)]
    opened = (starts == 0) | (before == _COMMA) | (before == _NEWLINE)
    size = len(data)
    after = data[np.minimum(ends + 1, size - 1)]
    then = data[np.minimum(ends + 2, size - 1)]
    closed = (
        (ends == size - 1)
        | (after == _COMMA)
        | (after == _NEWLINE)
        | ((after == _RETURN) & (ends + 2 < size) & (then == _NEWLINE))
    )
    if not (opened.all() and closed.all()):
        raise _Refused
    return outside


def _csv_frames(
    stream: io.BufferedIOBase,
    source: SourceFile,
    required: tuple[str, ...],
    wanted: tuple[str, ...],
    safe_text: bool,
) -> Generator[pl.DataFrame, None, None]:
    first = stream.read(PIECE_BYTES).removeprefix(codecs.BOM_UTF8)
    end = first.find(b"\n")
    if end < 0:
        raise _Refused  # a file that is only a header: the row reader reads it
    head_line = first[:end].rstrip(b"\r")
    if not head_line or head_line.count(b'"') % 2 or b"\r" in head_line:
        raise _Refused
    header = next(csv.reader([head_line.decode("utf-8")], strict=True), [])
    if check_header(header, required, Location(source.display)):
        raise _Refused
    pieces = _numbered(_pieces(stream, first[end + 1 :], _even_cut), 2)
    yield from _in_order(
        pieces,
        lambda piece, line, ends: _refuse_unsafe(
            _csv_piece(piece, header, wanted, line, ends), safe_text and may_hold_unsafe(piece)
        ),
    )


def _csv_piece(
    piece: bytes, header: list[str], wanted: tuple[str, ...], line: int, ends: int
) -> pl.DataFrame:
    """The wanted columns of a piece of whole CSV lines (`ends` line ends), and the line each row starts on."""
    import polars as pl

    if b"\x00" in piece:
        raise _Refused
    quoted = b'"' in piece
    outside = _outside_quotes(piece) if quoted else piece
    lines, longest = _plain_lines(outside, len(header) - 1)
    rows = lines + (0 if outside.endswith(b"\n") else 1)
    multiline = quoted and lines != ends
    frame = pl.read_csv(
        piece,
        has_header=False,
        new_columns=header,
        infer_schema=False,
        quote_char='"' if quoted else None,
        encoding="utf8",
        empty_string_is_null=False,
    )
    if frame.height != rows or (_longest_row(frame) if quoted else longest) > CSV_FIELD_LIMIT:
        raise _Refused  # the longest line may hold a value, or be, longer than the row reader takes
    if len(header) == 1 and frame.get_column(header[0]).fill_null("").eq("").any():
        raise _Refused  # the row reader skips a line that is only an empty value
    starts = pl.int_range(line, line + rows, dtype=pl.UInt32, eager=True)
    if multiline:
        # A quoted value with line breaks: each row starts after the breaks of the rows before it.
        breaks = frame.select(
            pl.sum_horizontal(
                pl.col(name).str.count_matches("\n", literal=True).fill_null(0) for name in header
            )
        ).to_series()
        starts = starts + (breaks.cum_sum() - breaks).cast(pl.UInt32)
    # No value is null: empty ones are "" (empty_string_is_null), and every line has every field (_plain_lines).
    return frame.select(
        *(pl.col(name) if name in header else pl.lit("").alias(name) for name in wanted), starts.alias(LINE)
    )


# ------------------------------------------------------------------------------------------- JSON Lines


def _jsonl_frames(
    stream: io.BufferedIOBase, wanted: tuple[str, ...], text_only: frozenset[str], safe_text: bool
) -> Generator[pl.DataFrame, None, None]:
    first = stream.read(PIECE_BYTES).removeprefix(codecs.BOM_UTF8)
    pieces = _numbered(_pieces(stream, first, _line_cut), 1)
    yield from _in_order(
        pieces, lambda piece, line, ends: _jsonl_piece(piece, wanted, text_only, line, ends, safe_text)
    )


def _jsonl_piece(
    piece: bytes, wanted: tuple[str, ...], text_only: frozenset[str], line: int, ends: int, safe_text: bool
) -> pl.DataFrame:
    """The wanted values of a piece of whole JSON lines (`ends` line ends; lines of spaces skipped), and the line of
    each; `safe_text` as `read_column_pieces` has it."""
    import polars as pl

    numbers_refused = text_only.intersection(wanted)
    rows = ends + (0 if piece.endswith(b"\n") else 1)
    usual = _usual_piece(piece, rows, wanted, numbers_refused, line, safe_text)
    if usual is not None:
        return usual
    if b"\x00" in piece:  # a piece of the usual shape holds none
        raise _Refused
    texts = _lines_of(piece)
    frame = pl.DataFrame(
        [texts, pl.int_range(line, line + len(texts), dtype=pl.UInt32, eager=True).alias(LINE)]
    ).filter(~pl.col("text").str.contains(_SPACE_ONLY))
    del texts
    line_text = pl.col("text")
    if frame.select((line_text.str.len_bytes() > MAX_JSON_LINE_BYTES).any()).item():
        raise _Refused
    shape = _usual_shape(frame.item(0, "text"), numbers_refused) if frame.height else None
    odd = frame if shape is None else frame.filter(~line_text.str.contains(shape))
    if odd.height:
        if odd.select((~line_text.str.contains(_FLAT_OBJECT)).any()).item():
            raise _Refused
        # Each line's keys, each with the first character of its value: lines of one shape are checked once.
        shapes = odd.select(line_text.str.extract_all(_MEMBER_START).list.join(_SHAPE_SEPARATOR).unique())
        for found in shapes.to_series().to_list():
            _check_shape(found, numbers_refused)
    values = frame.select(
        line_text.str.json_decode(pl.Struct(dict.fromkeys(wanted, pl.String))).alias("values"), pl.col(LINE)
    ).unnest("values")
    return _refuse_unsafe(
        values.select(*(pl.col(name).fill_null("") for name in wanted), pl.col(LINE)), safe_text
    )


def _usual_piece(
    piece: bytes,
    rows: int,
    wanted: tuple[str, ...],
    numbers_refused: frozenset[str],
    line: int,
    safe_text: bool,
) -> pl.DataFrame | None:
    """The piece read whole by polars' JSON Lines reader, when every line of it is shaped as its first
    (`_usual_shape`); else None, and the piece is read a line at a time. The shape is checked by one pattern
    for the whole piece, lines of that shape with a line end between each two: one forward pass, which stops at
    the first line of another shape. The lines are never split out one by one: a quarter less CPU than reading
    them a line at a time (3.8 against 5.1 s for 340 MB of lines). A line of spaces is shaped as no object, so
    a piece holding one is read a line at a time, which skips it.

    With `safe_text`, the pattern of lines read between their quotes refuses an unsafe character in a wanted value
    (`_SAFE_STRING`), which spares the piece its check for them (`_refuse_unsafe`: about 0.2 s of CPU per 1,000,000
    rows of 12 fields). A piece holding a backslash is checked after it is read (an escape may stand for one); a
    piece whose wanted value holds one as it is fails that pattern, is read by polars' JSON reader, and is refused
    by the check."""
    import polars as pl

    if _longer_line(piece, MAX_JSON_LINE_BYTES):
        raise _Refused
    first = piece.find(b"\n")
    keys = _line_keys(piece[: len(piece) if first < 0 else first].decode("utf-8"))
    if keys is None:
        return None
    # Refused unless UTF-8, as the row reader reads it.
    text = pl.Series([piece], dtype=pl.Binary).cast(pl.String)
    escaped = piece.find(b"\\") != -1  # most pieces hold no backslash: one pass tells
    proves_safe = safe_text and not escaped  # an escape may stand for an unsafe character
    quoted = _quoted_shape(keys, wanted, numbers_refused, safe=proves_safe)
    if quoted is not None and not (escaped and has_escaped_quote(piece)) and _every_line(text, quoted.shape):
        values = _between_quotes(piece, rows, wanted, quoted, escaped=escaped)
        if values is not None:
            lines = pl.int_range(line, line + rows, dtype=pl.UInt32, eager=True)
            return _refuse_unsafe(values.with_columns(lines.alias(LINE)), safe_text and not proves_safe)
    if not _every_line(text, _line_shape(keys, numbers_refused)):
        return None
    frame = pl.read_ndjson(piece, schema=dict.fromkeys(wanted, pl.String))
    if frame.height != rows:
        return None
    values = frame.select(
        *(pl.col(name).fill_null("") for name in wanted),
        pl.int_range(line, line + rows, dtype=pl.UInt32, eager=True).alias(LINE),
    )
    return _refuse_unsafe(values, safe_text)


def _every_line(text: pl.Series, shape: str) -> bool:
    """Whether every line of `text` (one string of lines, the last one with its line end or without) matches
    `shape`."""
    line_shape = shape.removeprefix("^").removesuffix("$")
    return bool(text.str.contains(f"\\A(?:{line_shape}\\n)*{line_shape}\\n?\\z").item())


def _longer_line(body: bytes, limit: int) -> bool:
    """Whether a line of `body` is longer than `limit` bytes (its line end aside). Each stretch of `limit // 2` bytes
    from the start is looked at for a line end (a few searches a piece, against finding every line end, which
    took 0.09 s of CPU per 340 MB): a longer line would hold one of them whole, and only when one holds none are
    the lines measured."""
    import numpy as np

    half = max(limit // 2, 1)
    if all(body.find(b"\n", start, start + half) != -1 for start in range(0, len(body), half)):
        return False
    ends = np.flatnonzero(np.frombuffer(body, np.uint8) == _NEWLINE)
    return int(np.diff(ends, prepend=-1, append=len(body)).max()) - 1 > limit


@dataclass(frozen=True)
class _QuotedShape:
    shape: str
    """Lines shaped as the first, with a string under each key up to the last wanted one."""
    fields: int
    """How many fields (split at quotes) a line has up to the last wanted value."""
    values: dict[str, int]
    """Each wanted key's value field (a wanted key the line lacks is empty in every row)."""


def _quoted_shape(
    keys: list[str], wanted: tuple[str, ...], numbers_refused: frozenset[str], *, safe: bool
) -> _QuotedShape | None:
    """The shape under which a piece's wanted values can be read as the fields between its quotes: the first line's
    `keys` in their order, with a string value under every key up to the last wanted one (a line with another value
    there, the first included, does not match it). Then every line splits at its quotes alike up to there: the
    i-th key is field 4i+1 and its value field 4i+3. With `safe`, the wanted values are `_SAFE_STRING`s. None when
    the first line has no wanted key."""
    present = [keys.index(name) for name in wanted if name in keys]
    if not present:
        return None
    last = max(present) + 1
    values = {name: 4 * keys.index(name) + 3 for name in wanted if name in keys}
    safe_keys = frozenset(wanted) if safe else frozenset()
    return _QuotedShape(_line_shape(keys, numbers_refused, strings=last, safe=safe_keys), 4 * last, values)


def _between_quotes(
    body: bytes, rows: int, wanted: tuple[str, ...], quoted: _QuotedShape, *, escaped: bool
) -> pl.DataFrame | None:
    """The wanted values of lines of `quoted.shape` holding no escaped quote, read as the fields between their
    quotes (model/json_strings.py): about half the CPU of polars' JSON reader (0.51 against 0.91 s for 1,000,000
    lines of 12 wanted fields, 340 MB). `escaped`: whether the body holds a backslash (the values holding one are
    decoded). None when a value holds an escape JSON lacks."""
    import polars as pl

    fields = pl.read_csv(
        body,
        has_header=False,
        separator='"',
        quote_char=None,
        new_columns=[f"f{i}" for i in range(quoted.fields)],
        columns=sorted(set(quoted.values.values())),
        extra_columns="ignore",
        infer_schema=False,
        encoding="utf8",
        empty_string_is_null=False,
    )
    if fields.height != rows:
        return None
    values = {name: quoted.values.get(name) for name in wanted}
    return string_values(fields, values, escaped=escaped)


def _usual_shape(first: str, numbers_refused: frozenset[str]) -> str | None:
    """A regular expression for the lines shaped as `first`, a piece's first line: a flat object of its keys, in
    its order, each once, with no number under a key of `numbers_refused`. Such a line needs no other check, and
    one match costs about half of what the general check costs (a flat object, then its members extracted);
    the other lines get the general check. None when the first line's keys do not make one."""
    keys = _line_keys(first)
    return None if keys is None else _line_shape(keys, numbers_refused)


def _line_keys(first: str) -> list[str] | None:
    """The keys of a piece's first line, in order; None unless each is there once and holds no escape."""
    keys = [key for key, _ in re.findall(_MEMBER_START, first)]
    if len(set(keys)) != len(keys) or not all(re.fullmatch(_KEY, key) for key in keys):
        return None
    return keys


def _line_shape(
    keys: list[str], numbers_refused: frozenset[str], strings: int = 0, safe: frozenset[str] = frozenset()
) -> str:
    """A regular expression for a line that is a flat object of `keys`, in that order: a string under each of the
    first `strings` keys (a `_SAFE_STRING` under a key of `safe`), then any value (no number under a key of
    `numbers_refused`)."""

    def value(at: int, key: str) -> str:
        if at < strings:
            return _SAFE_STRING if key in safe else _STRING
        return _TEXT_VALUE if key in numbers_refused else _VALUE

    members = ",".join(
        f'{_WS}"{_regex_text(key)}"{_WS}:{_WS}{value(at, key)}{_WS}' for at, key in enumerate(keys)
    )
    return f"^{_WS}\\{{{members or _WS}\\}}{_WS}$"


def _regex_text(text: str) -> str:
    """`text` as a regular expression that matches only itself (in polars' regex syntax)."""
    return "".join("\\" + char if char in _REGEX_META else char for char in text)


_REGEX_META = frozenset("\\.+*?()|[]{}^$#&-~")


def _lines_of(piece: bytes) -> pl.Series:
    """The lines of a piece of whole lines (a String series named "text"), split by polars (without a Python
    string per line, and a third of the CPU of its CSV reader's split); refused unless the piece is UTF-8, as
    the row reader reads it."""
    import polars as pl

    whole = pl.Series("text", [piece.removesuffix(b"\n")], dtype=pl.Binary)
    return whole.cast(pl.String).str.split("\n").explode()


def _refuse_unsafe(frame: pl.DataFrame, check: bool) -> pl.DataFrame:
    """The frame, refused when `check` and a value of it (LINE aside) holds one of UNSAFE_CHARS: the row reader
    names each."""
    import polars as pl

    if check:
        found = frame.select(
            pl.col(name).str.contains_any(list(UNSAFE_CHARS)).any() for name in frame.columns if name != LINE
        )
        if found.height and any(found.row(0)):
            raise _Refused
    return frame


def _check_shape(shape: str | None, text_only: frozenset[str]) -> None:
    """Refuse the piece when a line of this shape (its member starts, as `_MEMBER_START` finds them) holds a key
    twice, or a number in a text-only field: the row reader names either."""
    keys: list[str] = []
    for member in (shape or "").split(_SHAPE_SEPARATOR):
        found = re.fullmatch(_MEMBER_START, member)
        if found is None:
            continue  # the shape of an empty object
        key, first = found.groups()
        if key in text_only and first in "-0123456789":
            raise _Refused
        keys.append(key)
    if len(set(keys)) != len(keys):
        raise _Refused
