"""Value normalisation applied to both sides before records are compared.

A source and the vendor write the same value differently: the vendor pads empty dates with zeros, a CSV writer
may put spaces in a phone number, JSON sources give numbers where the API gives strings. Normalising both sides
with the same function keeps unchanged rows unchanged. What is sent on create or update is the source's own text,
never the normalised form.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from .fields import PHONE_FIELDS, PHONE_NOISE

if TYPE_CHECKING:
    import polars as pl

_EMPTY_DATES = {"0000-00-00 00:00:00", "0000-00-00", "00:00:00"}
_PHONE_NOISE = re.compile(PHONE_NOISE)
_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::(\d{2}))?(?:\.\d+)?$")
_PHONE_FOLDED = frozenset(name.casefold() for name in PHONE_FIELDS)


def normalize(field: str, value: str | None) -> str:
    """The comparable form of one field's value."""
    if value is None:
        return ""
    text = value.strip()
    if not text or text in _EMPTY_DATES:
        return ""
    if field.casefold() in _PHONE_FOLDED:
        return _PHONE_NOISE.sub("", text)
    match = _DATE_TIME.match(text)
    if match:
        day, minute, second = match.groups()
        return f"{day} {minute}:{second or '00'}"
    return text


def normalized(fields: Iterable[str], values: Mapping[str, str]) -> tuple[str, ...]:
    """The comparable values of `fields`, in that order. A field the row lacks counts as empty."""
    return tuple(normalize(name, values.get(name)) for name in fields)


# ------------------------------------------------------------------------------------------- columnar
# The same normalisation over a whole column at once (polars), for record sets of millions of rows, exact for
# every value, non-ASCII included: polars' own idea of whitespace and of a digit (Unicode's, of its Unicode
# version) is not Python's, so both are spelled out as the characters this Python's `str.strip()` and `re`'s
# `\d` take (`_classes`).


_SCANNED = 0x20000
"""No whitespace and no decimal digit lies above the first two Unicode planes (tests/core/test_normalize.py
checks this against every code point of the running Python)."""


@functools.cache
def _classes() -> tuple[str, str]:
    r"""(the characters `str.strip()` removes, a regex class of the characters `\d` matches), for this Python:
    its `re` matches `\s` and `\d` by the same tests as `str.isspace()` and `str.isdecimal()`. Every code point
    is decoded from numpy's array of them (5 ms), not joined from a str each (50 ms, at every plan's start)."""
    import numpy as np

    every = np.arange(_SCANNED, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    spaces = "".join(re.findall(r"\s", every))
    return spaces, _class([ord(char) for char in re.findall(r"\d", every)])


def _class(codes: list[int]) -> str:
    """A regex class (Rust syntax) of these code points, as ranges."""
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "[" + "".join(f"\\x{{{low:x}}}-\\x{{{high:x}}}" for low, high in ranges) + "]"


def _column_expr(name: str, column: str) -> pl.Expr:
    """`normalize(name, value)` of every value of `column`."""
    import polars as pl

    spaces, digit = _classes()
    text = pl.col(column).str.strip_chars(spaces)
    text = pl.when(text.is_in(sorted(_EMPTY_DATES))).then(pl.lit("")).otherwise(text)
    if name.casefold() in _PHONE_FOLDED:
        return text.str.replace_all(PHONE_NOISE, "").alias(column)
    day = f"({digit}{{4}}-{digit}{{2}}-{digit}{{2}})[T ]({digit}{{2}}:{digit}{{2}})"
    fraction = f"(?:\\.{digit}+)?$"
    text = text.str.replace(f"^{day}:({digit}{{2}}){fraction}", "${1} ${2}:${3}")
    return text.str.replace(f"^{day}{fraction}", "${1} ${2}:00").alias(column)


def _needs_work(name: str, column: str) -> pl.Expr:
    """True where `_column_expr` may change the value (a cheap superset of the values it changes)."""
    import polars as pl

    spaces, digit = _classes()
    value = pl.col(column)
    edge = "[" + "".join(f"\\x{{{ord(char):x}}}" for char in spaces) + "]"
    # One pattern a value: each regex match costs about 20 ns a value whatever it holds, so the edges and the
    # phone's noise or the date's start are looked for together.
    date = f"^{digit}{{4}}-{digit}{{2}}-{digit}{{2}}[T ]{digit}{{2}}:{digit}{{2}}"
    changing = PHONE_NOISE if name.casefold() in _PHONE_FOLDED else date
    return value.str.contains(f"^{edge}|{edge}$|{changing}") | value.is_in(sorted(_EMPTY_DATES))


def normalized_frame(frame: pl.DataFrame, fields: Sequence[str]) -> pl.DataFrame:
    """`normalized` applied to every row: `frame` has one text column per field, in `fields` order (any
    column names); the result has the same columns, holding the comparable values. Each column is rewritten
    only where it may change, by column expressions, with no Python call per value."""
    if not frame.columns or frame.height == 0:
        return frame
    return frame.select(_normalizing(tuple(fields), tuple(frame.columns)))


@functools.lru_cache(maxsize=64)
def _normalizing(fields: tuple[str, ...], columns: tuple[str, ...]) -> tuple[pl.Expr, ...]:
    """The expressions of `normalized_frame`, built once per field list: a diff normalises a page of live records
    at a time, and building them (about 150 expressions, a few with regexes of every Unicode digit) took longer
    than running them on a small page."""
    import polars as pl

    return tuple(
        pl.when(_needs_work(name, column))
        .then(_column_expr(name, column))
        .otherwise(pl.col(column))
        .alias(column)
        for name, column in zip(fields, columns, strict=True)
    )


def row_digests(frame: pl.DataFrame) -> pl.Series:
    """One 64-bit digest per row of a normalised frame: equal rows, equal digests, within one process (and one
    polars version: its row hash is not promised to stay the same across versions)."""
    return frame.hash_rows(seed=0x5EC0_7A11)
