"""Value normalisation applied to both sides before records are compared.

A source and the vendor write the same value differently: the vendor pads empty dates with zeros, a CSV writer
may put spaces in a phone number, JSON sources give numbers where the API gives strings. Normalising both sides
with the same function keeps unchanged rows unchanged. What is sent on create or update is the source's own text,
never the normalised form.
"""

from __future__ import annotations

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
# The same normalisation over a whole column at once (polars), for record sets of millions of rows. It is exact
# for values made only of printable ASCII (there, str.strip() and \s mean the space alone, and \d means 0-9);
# a row holding any other character is normalised by `normalize` itself (see `normalized_frame`).

_NOT_PLAIN = r"[^\x20-\x7e]"
_PHONE_NOISE_ASCII = PHONE_NOISE
_DATE_TIME_SECONDS = r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}):(\d{2})(?:\.\d+)?$"
_DATE_TIME_MINUTES = r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?:\.\d+)?$"


def _column_expr(name: str, column: str) -> pl.Expr:
    import polars as pl

    text = pl.col(column).str.strip_chars(" ")
    text = pl.when(text.is_in(sorted(_EMPTY_DATES))).then(pl.lit("")).otherwise(text)
    if name.casefold() in _PHONE_FOLDED:
        return text.str.replace_all(_PHONE_NOISE_ASCII, "").alias(column)
    text = text.str.replace(_DATE_TIME_SECONDS, "${1} ${2}:${3}")
    return text.str.replace(_DATE_TIME_MINUTES, "${1} ${2}:00").alias(column)


def _needs_work(name: str, column: str) -> pl.Expr:
    """True where `_column_expr` may change the value (a cheap superset of the values it changes)."""
    import polars as pl

    value = pl.col(column)
    needs = value.str.starts_with(" ") | value.str.ends_with(" ") | value.is_in(sorted(_EMPTY_DATES))
    if name.casefold() in _PHONE_FOLDED:
        return needs | value.str.contains(_PHONE_NOISE_ASCII)
    return needs | value.str.contains(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _odd(column: str) -> pl.Expr:
    """True where the value holds a character outside printable ASCII (normalised by `normalize` itself)."""
    import polars as pl

    return pl.col(column).str.contains(_NOT_PLAIN)


def normalized_frame(frame: pl.DataFrame, fields: Sequence[str]) -> pl.DataFrame:
    """`normalized` applied to every row: `frame` has one text column per field, in `fields` order (any
    column names); the result has the same columns, holding the comparable values.

    Each column is rewritten only where it may change (by expressions exact over printable ASCII); the few rows
    with any other character are then normalised by `normalize` one by one and put in place."""
    import polars as pl

    columns = frame.columns
    if not columns or frame.height == 0:
        return frame
    result = frame.select(
        pl.when(_needs_work(name, column))
        .then(_column_expr(name, column))
        .otherwise(pl.col(column))
        .alias(column)
        for name, column in zip(fields, columns, strict=True)
    )
    odd = frame.select(pl.any_horizontal(_odd(column) for column in columns)).to_series()
    if not odd.any():
        return result
    rows = odd.arg_true()
    slow = pl.DataFrame(
        [normalized(fields, dict(zip(fields, row, strict=True))) for row in frame[rows].iter_rows()],
        schema=frame.schema,
        orient="row",
    )
    patched = []
    for column in columns:
        values = result.get_column(column)
        values.scatter(rows, slow.get_column(column))
        patched.append(values)
    return pl.DataFrame(patched)


def row_digests(frame: pl.DataFrame) -> pl.Series:
    """One 64-bit digest per row of a normalised frame: equal rows, equal digests, within one process (and one
    polars version: its row hash is not promised to stay the same across versions)."""
    return frame.hash_rows(seed=0x5EC0_7A11)
