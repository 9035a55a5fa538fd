"""Columns of a frame without copying them.

A source file is read in pieces, so its frame holds each column as many chunks. polars' `select` gathers the chunks
of the columns it returns into one, a copy of every value: for a plan of 5,000,000 rows that was a second copy of
the source (1 GB) held through the whole first pass. A frame built from the columns themselves keeps their chunks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


def columns_of(frame: pl.DataFrame, names: Mapping[str, str]) -> pl.DataFrame:
    """The columns `names` maps from (a column of `frame`) to (its name in the result), in that order, sharing
    their memory with `frame`."""
    import polars as pl

    return pl.DataFrame([frame.get_column(name).alias(alias) for name, alias in names.items()])
