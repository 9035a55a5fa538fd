"""JSON strings read as the fields between quotes: where no string holds an escaped quote, every `"` of a line of
JSON opens or closes a string, so polars' CSV reader, told that `"` separates fields, splits the line into its
strings and the bytes between them. What such a reading needs besides: whether a piece holds an escaped quote,
and the decoding of the values that hold an escape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

__all__ = ["has_escaped_quote", "string_values"]

_BACKSLASH = 0x5C
_QUOTE = 0x22


def has_escaped_quote(piece: bytes) -> bool:
    """Whether a backslash in `piece` comes just before a quote (a quote inside a string, or a string's end after
    an escaped backslash: either way the quotes no longer alternate as strings' ends)."""
    import numpy as np

    if piece.find(b"\\") == -1:
        return False
    octets = np.frombuffer(piece, np.uint8)
    backslashes = np.flatnonzero(octets[:-1] == _BACKSLASH)
    return bool((octets[backslashes + 1] == _QUOTE).any())


def _decoded(column: pl.Series) -> pl.Series | None:
    """The column with each value that holds a backslash decoded as the inside of a JSON string, the rest as they
    are; None when one of them is not (an escape JSON lacks)."""
    import polars as pl

    rows = column.str.contains("\\", literal=True).arg_true()
    if not len(rows):
        return column
    try:
        values = ('"' + column.gather(rows) + '"').str.json_decode(pl.String)
    except pl.exceptions.PolarsError:
        return None
    if values.null_count():
        return None
    return column.scatter(rows, values)


def string_values(
    fields: pl.DataFrame, at: Mapping[str, int | None], *, escaped: bool
) -> pl.DataFrame | None:
    """A frame of the strings at fields `f{i}` of `fields` (as the CSV reader gave them), one column per name of
    `at` in its order: "" for an empty field, and for a name at None in every row; with `escaped`, the values
    holding a backslash decoded (`_decoded`). None when one of those is not a JSON string's inside."""
    import polars as pl

    columns = []
    for name, field in at.items():
        if field is None:
            columns.append(pl.repeat("", fields.height, dtype=pl.String, eager=True).alias(name))
            continue
        value = fields.get_column(f"f{field}").alias(name)
        if value.null_count():  # fill_null copies even a column that has none
            value = value.fill_null("")
        text = _decoded(value) if escaped else value
        if text is None:
            return None
        columns.append(text)
    return pl.DataFrame(columns)
