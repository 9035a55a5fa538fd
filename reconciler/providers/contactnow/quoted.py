"""The fast reading of a records piece in the shape ContactNow sends: flat objects whose values are all strings,
every row's keys in the first row's order, compact, spaced or pretty printed.

Where no string holds an escaped quote, polars' CSV reader, told that `"` separates fields (model/json_strings.py)
and `{` ends rows, splits each object into its strings and the bytes between them: the i-th key is field 4i+1 and
its value field 4i+3, and the object's last field is its closing `}`. Only the wanted keys' fields are made into
columns, about 1.6 s of CPU per 1,000,000 records of 33 fields (681 MB), against 2.1 s through polars' JSON reader,
which builds a hash map of every field of every object.

It is exact or it declines (None), and the caller reads the piece the general way. It declines a piece:
- not an array of objects, or with a control byte other than the line ends and tabs JSON allows between tokens
  (pretty printing), or with a line end or tab in a wanted value (JSON refuses one inside a string);
- with a `[` after the first byte (an array, or a bracket in a value), or an escaped quote;
- whose first object lacks a wanted key, or spells two keys alike but for case (the general way decides);
- whose first object holds a value that is not a string (its keys would be miscounted);
- with a row that has not the first row's number of fields (a `{` in a value ends a row early), or whose wanted
  key is not where the first row has it, or whose value there is the name of the first row's next key (what
  reading one string early, past a value that is not a string, would give).
Values with a backslash are JSON-decoded, those alone.

A later row with the first row's keys has its number of fields only if every value is a string. One shape is read
inexactly, not declined: a later row with keys the first row lacks and values that are not strings, so many that
its quotes still add up, and the first row's keys where the wanted ones are (`{"a":null,"x":null,"b":"v"}` after
`{"a":"1","b":"2"}` reads a as "x"). ContactNow sends every row of a read with the same keys, each value a string
[doc]; checking the colon after every wanted key, which would decline it, made a 25 MB page's read 74 ms, not 47.

A compact piece (its first object without a space between tokens) is read first with commas as separators and the
quote as CSV's (`_compact_pairs`): each `"key":"value"` pair is one field, which polars gives as `key:value` (it
drops the quotes of a field that begins and ends with one, and JSON strings hold none), a quarter of the fields.
A 25 MB page took 42-43 ms of CPU that way, against 57-58 (the benchmark's pages, best of four). The piece's first
and last objects must be compact and whole (the cutter's cut may fall in a string), every wanted field must begin
with its key and a colon, polars refuses a field that begins with a quote and does not end with one (a value that
is not a string, or a row's last pair, with its `}`: the last key is never read this way), and a piece of another
shape goes on to the reading above. Two shapes a JSON encoder and ContactNow do not send are read inexactly there:
a later row spaced after a colon (`"a": "1"` reads " 1"), and a later row whose key, where the first row has a
wanted key K, is K, a colon and more (`"K:x":"1"` reads "x:1"). An encoder spaces every row alike, and every row
has the same keys [doc].
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from reconciler.model.json_strings import has_escaped_quote, string_values

if TYPE_CHECKING:
    import polars as pl

__all__ = ["fields_between_quotes"]

_CONTROL = 0x20
_TAB, _LF, _CR = 0x09, 0x0A, 0x0D
_WHITESPACE = b" \t\r\n"
"""What JSON allows between its tokens."""
_SPACES = " \t\r\n"


def fields_between_quotes(data: bytes | memoryview, names: Sequence[str]) -> pl.DataFrame | None:
    """The columns `names` (every value text) of a piece `[{...},{...}]`, or None when this reading is not exact
    for it."""
    import numpy as np
    import polars as pl

    piece = bytes(data)
    start = piece.find(b"{")
    if start < 1 or piece[:1] != b"[" or piece[1:start].strip(_WHITESPACE) or piece.find(b"[", 1) != -1:
        return None
    octets = np.frombuffer(piece, np.uint8)
    spaced = bool(octets.min() < _CONTROL)  # line ends or tabs between the tokens (pretty printed)
    if spaced and np.count_nonzero(
        (octets < _CONTROL) & (octets != _TAB) & (octets != _LF) & (octets != _CR)
    ):
        return None
    escaped = piece.find(b"\\") != -1  # most pieces hold no backslash: one pass tells
    if escaped and has_escaped_quote(piece):
        return None
    keys = _first_keys(piece, start)
    if keys is None:
        return None
    at = {key: position for position, key in enumerate(keys)}
    if len({key.casefold() for key in keys}) != len(keys) or any(name not in at for name in names):
        return None
    if not spaced and _compact(piece, start):
        pairs = _compact_pairs(piece, keys, at, names, escaped=escaped)
        if pairs is not None:
            return pairs
    width = 4 * len(keys) + 1
    wanted = [at[name] for name in names]
    columns = sorted({4 * k + 1 for k in wanted} | {4 * k + 3 for k in wanted} | {width - 1})
    fields = _fields(piece, width, columns, separator='"', quote=None)
    if fields is None:
        return None
    last = pl.col(f"f{width - 1}")
    checks = [
        (last.str.strip_chars_start(_SPACES) if spaced else last).str.starts_with("}").fill_null(False).all()
    ]
    for k in set(wanted):
        checks.append(pl.col(f"f{4 * k + 1}").eq(keys[k]).fill_null(False).all())
        if k + 1 < len(keys):
            checks.append(pl.col(f"f{4 * k + 3}").ne(keys[k + 1]).fill_null(True).all())
        if spaced:  # JSON holds no raw line end or tab in a string: such a value is the general reader's
            checks.append(pl.col(f"f{4 * k + 3}").str.contains(r"[\t\n\r]").not_().fill_null(True).all())
    if not fields.height or not all(fields.select(c.alias(f"c{i}") for i, c in enumerate(checks)).row(0)):
        return None
    values: dict[str, int | None] = {name: 4 * k + 3 for name, k in zip(names, wanted, strict=True)}
    return string_values(fields, values, escaped=escaped)


def _first_keys(piece: bytes, start: int) -> list[str] | None:
    """The keys of the piece's first object (its `{` at `start`), in order, when its strings and the bytes between
    them alternate as a flat object's do (a `{` inside one of its values cuts it short: then None)."""
    end = piece.find(b"{", start + 1)
    fields = piece[start + 1 : len(piece) if end == -1 else end].split(b'"')
    if len(fields) % 4 != 1 or len(fields) < 5 or not fields[-1].lstrip(_WHITESPACE).startswith(b"}"):
        return None
    if any(colon.strip(_WHITESPACE) != b":" for colon in fields[2::4]):
        return None  # a value that is not a string: the keys after it are not at fields 4i+1
    try:
        return [key.decode("utf-8") for key in fields[1::4]]
    except UnicodeDecodeError:
        return None


def _compact(piece: bytes, start: int) -> bool:
    """Whether the piece's first object (its `{` at `start`) has nothing between its tokens, `{"k":"v","k":"v"}`,
    and so has its last one (from its last `{`), whole: a piece cut inside a string, at a "}, {" in a value, ends
    with a string that is not closed, and is declined (the cutter then cuts it at an earlier seam). So is one
    whose last object holds a brace in a value, found as that object's start. A piece of one object is not: its
    only row, the last, lacks the field after "},", and polars counts the fields of a row by its first."""
    end = piece.find(b"{", start + 1)
    return end != -1 and _compact_object(piece[start:end]) and _compact_object(piece[piece.rfind(b"{") :])


def _compact_object(text: bytes) -> bool:
    """Whether `text` begins with a flat object of strings, nothing between its tokens."""
    parts = text.split(b'"')
    if len(parts) % 4 != 1 or len(parts) < 5:
        return False
    between = parts[0::2]
    return (
        between[0] == b"{"
        and between[-1].startswith(b"}")
        and all(part == b":" for part in between[1:-1:2])
        and all(part == b"," for part in between[2:-1:2])
    )


def _compact_pairs(
    piece: bytes, keys: list[str], at: dict[str, int], names: Sequence[str], *, escaped: bool
) -> pl.DataFrame | None:
    """The columns `names` of a compact piece whose first object has `keys` (`at`: each key's place), read a pair
    to a field; None when the piece is not read exactly so (the module's docstring)."""
    import polars as pl

    wanted = sorted({at[name] for name in names})
    if wanted[-1] == len(keys) - 1 or not _polars_reads_pairs():
        return None
    fields = _pairs(piece, len(keys), wanted)
    if fields is None:
        return None
    prefixes = {k: keys[k] + ":" for k in wanted}
    checks = [
        pl.col(f"f{k}").str.starts_with(prefix).fill_null(False).all() for k, prefix in prefixes.items()
    ]
    if not fields.height or not all(fields.select(c.alias(f"c{i}") for i, c in enumerate(checks)).row(0)):
        return None
    # strip_prefix makes each value anew; a slice would hold the read's buffers, key and all (7 MB a page more).
    values = fields.select(pl.col(f"f{k}").str.strip_prefix(prefix) for k, prefix in prefixes.items())
    return string_values(values, {name: at[name] for name in names}, escaped=escaped)


_PAIRS_PROBE = b'[{"f0":"1","f1":"x, y: {z}","f2":"","f3":""},{"f0":"2","f1":"","f2":":","f3":""}]'


@functools.cache
def _polars_reads_pairs() -> bool:
    """Whether this polars reads a compact pair as `key:value`: what `_compact_pairs` relies on, which polars does
    not document. Another version may read it otherwise; this reading is then never taken."""
    frame = _pairs(_PAIRS_PROBE, 4, [0, 1, 2])
    return frame is not None and frame.rows() == [("f0:1", "f1:x, y: {z}", "f2:"), ("f0:2", "f1:", "f2::")]


def _pairs(piece: bytes, keys: int, columns: list[int]) -> pl.DataFrame | None:
    """The fields `columns` (`f0`, `f1`, ...) of a piece of objects of `keys` pairs, a comma separating fields and
    the quote quoting them; the fields after the last are what follows a row's "},"."""
    return _fields(piece, keys + 1, columns, separator=",", quote='"')


def _fields(
    piece: bytes, width: int, columns: list[int], *, separator: str, quote: str | None
) -> pl.DataFrame | None:
    """The fields `columns` of a piece read by polars' CSV reader as rows of `width` fields (`f0`, `f1`, ...)
    that `{` ends (the first, `[`, skipped), every value text; None when polars refuses it."""
    import polars as pl

    try:
        return pl.read_csv(
            piece,
            has_header=False,
            separator=separator,
            quote_char=quote,
            eol_char="{",
            skip_rows=1,
            new_columns=[f"f{i}" for i in range(width)],
            columns=columns,
            infer_schema=False,
            encoding="utf8",
            empty_string_is_null=False,
        )
    except pl.exceptions.PolarsError:
        return None
