"""KeyIndex answers exactly what a dict of key -> last row would."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.diff.keys import KeyIndex, _Buckets

KEYS = st.text(alphabet="ab01 é\t", max_size=4)


@settings(max_examples=200, deadline=None)
@given(source=st.lists(KEYS, max_size=30), live=st.lists(KEYS, max_size=30))
def test_positions_are_those_of_a_dict(source: list[str], live: list[str]) -> None:
    expected = dict(zip(source, range(len(source)), strict=True))
    index = KeyIndex(pl.Series(source, dtype=pl.String))
    found = index.positions(pl.Series(live, dtype=pl.String))
    assert found.dtype == pl.UInt32
    assert found.to_list() == [expected.get(key) for key in live]
    assert len(index) == len(expected)
    assert index.count_in(pl.Series(live, dtype=pl.String)) == sum(key in expected for key in live)


def test_a_key_written_twice_answers_its_last_row() -> None:
    index = KeyIndex(pl.Series(["a", "b", "a"]))
    assert index.positions(pl.Series(["a", "b", "c"])).to_list() == [2, 1, None]
    assert len(index) == 2


def test_an_equal_hash_of_another_key_is_no_match(monkeypatch: pytest.MonkeyPatch) -> None:
    """A live key whose hash lands on a source key's is compared as text: a different key is not found."""

    def zero(self: pl.Series, seed: int = 0) -> pl.Series:
        return pl.Series([0] * len(self), dtype=pl.UInt64)

    index = KeyIndex(pl.Series(["k1"]))
    monkeypatch.setattr(pl.Series, "hash", zero)
    assert index.positions(pl.Series(["zz", "k1"])).to_list() == [None, None]
    index = KeyIndex(pl.Series(["k1"]))  # now built with every key hashing to 0
    assert index.positions(pl.Series(["zz", "k1"])).to_list() == [None, 0]


@settings(max_examples=200, deadline=None)
@given(
    source=st.lists(st.integers(0, 2**64 - 1), max_size=300),
    asked=st.lists(st.integers(0, 2**64 - 1), max_size=100),
    picked=st.lists(st.integers(0, 299), max_size=100),
)
def test_bucketed_search_is_numpys_searchsorted(
    source: list[int], asked: list[int], picked: list[int]
) -> None:
    """The bucketed search finds the leftmost place of hashes present (some several times), absent, and at both
    ends of the range, as numpy's binary search does."""
    ordered = np.sort(np.array([*source, 0, 2**64 - 1], dtype=np.uint64))
    hashes = np.array(
        [*asked, *(int(ordered[i % len(ordered)]) for i in picked), 0, 1, 2**64 - 1, 2**63],
        dtype=np.uint64,
    )
    expected = np.searchsorted(ordered, hashes, side="left")
    assert _Buckets(ordered).search(hashes).tolist() == expected.tolist()
