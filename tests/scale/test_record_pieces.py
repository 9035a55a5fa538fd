"""A streamed records body cut into pieces gives exactly the rows of the whole body, whatever the cut points."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.providers.contactnow import client as cn
from reconciler.providers.contactnow.wire import text

TEXT = st.text(alphabet='ab},{"\\:[] é', max_size=6)
VALUE = st.one_of(TEXT, st.integers(-5, 10**6), st.none())


def _chunks(body: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _no_check(envelope: Any) -> None:
    assert envelope.get("success") is True


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries({"id": st.integers(1, 999)}, optional={"Name": VALUE, "name": TEXT}),
        max_size=12,
    ),
    st.integers(1, 40),
    st.integers(8, 200),
)
def test_pieces_give_every_row_exactly_once(rows: list[dict[str, Any]], chunk: int, piece: int) -> None:
    body = json.dumps({"success": True, "total": len(rows), "list": rows}, separators=(",", ":")).encode()
    expected = [{key: text(value) for key, value in row.items()} for row in rows]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cn, "PIECE_BYTES", piece)
        pieces = list(cn._Pieces(_chunks(body, chunk), cn._TextRows(), url="u", check=_no_check))
        columns = list(
            cn._Pieces(_chunks(body, chunk), cn._Columns(["id", "NAME"]), url="u", check=_no_check)
        )
    assert [row for part in pieces for row in part] == expected
    folded = [{key.casefold(): value for key, value in row.items()} for row in expected]
    assert [value for part in columns for value in part[0]] == [row["id"] for row in folded]
    assert [value for part in columns for value in part[1]] == [row.get("name", "") for row in folded]
