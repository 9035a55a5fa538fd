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
"""

from __future__ import annotations

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
    width = 4 * len(keys) + 1
    wanted = [at[name] for name in names]
    columns = sorted({4 * k + 1 for k in wanted} | {4 * k + 3 for k in wanted} | {width - 1})
    try:
        fields = pl.read_csv(
            piece,
            has_header=False,
            separator='"',
            quote_char=None,
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
