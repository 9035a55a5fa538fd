"""Where a record set's keys are among the source's rows, found in columns.

The diff asks, for each page of live records, at which source row each live key stands. A Python dict of a
million keys costs about 150 MB and a lookup per live record; `KeyIndex` holds the source keys' 64-bit hashes,
sorted, beside the row each came from (12 bytes a key), and answers a whole page at once: a binary search of the
page's hashes, then the keys at the rows found compared with the page's own, so an equal hash of a different key is
never taken for a match. When two source keys share a hash (a key written twice, or a true collision), the hashes
alone cannot say which row is meant, and the index answers from a dict instead, exactly as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import polars as pl

_SEED = 0x5EED


class KeyIndex:
    """The row of each key of `keys` (a String series, in source order); for a key written twice, its last row."""

    def __init__(self, keys: pl.Series) -> None:
        import polars as pl

        self._keys = keys  # not rechunked: a copy of every key, where the gathers below touch a few
        hashes = self._keys.hash(_SEED)
        self._order = hashes.arg_sort().cast(pl.UInt32)
        self._sorted = hashes.gather(self._order)
        self._by_key: dict[str, int] | None = None
        self._sorted_array: npt.NDArray[np.uint64] | None = None
        size = len(self._sorted)
        if size > 1 and bool((self._sorted.slice(1) == self._sorted.slice(0, size - 1)).any()):
            self._by_key = dict(zip(self._keys.to_list(), range(len(self._keys)), strict=True))

    def __len__(self) -> int:
        """How many distinct keys."""
        return len(self._keys) if self._by_key is None else len(self._by_key)

    def positions(self, keys: pl.Series) -> pl.Series:
        """The source row of each of `keys` (UInt32), null where the source lacks the key."""
        import polars as pl

        if self._by_key is not None:
            return pl.Series(list(map(self._by_key.get, keys.to_list())), dtype=pl.UInt32)
        if not len(self._keys):
            return pl.Series([None] * len(keys), dtype=pl.UInt32)
        hashes = keys.hash(_SEED)
        at = pl.Series(self._search(hashes.to_numpy())).clip(upper_bound=len(self._sorted) - 1)
        rows = self._order.gather(at)
        found = (self._sorted.gather(at) == hashes) & (self._keys.gather(rows) == keys)
        return pl.select(pl.when(found.fill_null(False)).then(rows)).to_series()

    def _search(self, hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
        """Where each hash stands among the sorted ones (numpy's binary search, leftmost). The page's own hashes
        are searched in sorted order, so that each search starts near the last one's path through the index:
        1M lookups in pages of 12,300 against 1M keys: 0.41 s in all, against 0.48 s with polars' search_sorted."""
        import numpy as np

        if self._sorted_array is None:
            self._sorted_array = self._sorted.to_numpy()
        order = np.argsort(hashes, kind="stable")
        at = np.empty(len(hashes), dtype=np.int64)
        at[order] = np.searchsorted(self._sorted_array, hashes[order], side="left")
        return at

    def count_in(self, keys: pl.Series) -> int:
        """How many of `keys` the source has."""
        return int(self.positions(keys).is_not_null().sum())
