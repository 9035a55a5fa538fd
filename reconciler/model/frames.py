"""Frames held cheaply: columns of a frame without copying them, and frames packed to a fraction of their memory.

A source file is read in pieces, so its frame holds each column as many chunks. polars' `select` gathers the chunks
of the columns it returns into one, a copy of every value: for a plan of 5,000,000 rows that was a second copy of
the source (1 GB) held through the whole first pass. A frame built from the columns themselves keeps their chunks.

A text column costs polars 16 bytes a value before its text. Columns held only to be read once more are packed
(zstd-compressed Arrow IPC), and unpacked a piece at a time when they are read: a 5,000,000-row source of 12
fields took 44 MiB packed, against 1,240 MiB as polars holds it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


def columns_of(frame: pl.DataFrame, names: Mapping[str, str]) -> pl.DataFrame:
    """The columns `names` maps from (a column of `frame`) to (its name in the result), in that order, sharing
    their memory with `frame`."""
    import polars as pl

    return pl.DataFrame([frame.get_column(name).alias(alias) for name, alias in names.items()])


def packed(frame: pl.DataFrame) -> bytes:
    """`frame` as zstd-compressed Arrow IPC."""
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="zstd")
    return buffer.getvalue()


def unpacked(data: bytes) -> pl.DataFrame:
    """The frame `packed` made `data` of."""
    import polars as pl

    return pl.read_ipc(io.BytesIO(data))


@dataclass(frozen=True)
class PackedFrame:
    """A frame held as the packed frames of its pieces, in order (at least one)."""

    pieces: tuple[bytes, ...]

    def frames(self) -> Iterator[pl.DataFrame]:
        """Each piece unpacked in turn: only the one being read is held."""
        return map(unpacked, self.pieces)

    def frame(self) -> pl.DataFrame:
        """The whole frame, unpacked."""
        import polars as pl

        return pl.concat(list(self.frames()), how="vertical")
