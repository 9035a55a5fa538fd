"""The one reader of ContactNow records (ecnow.php method=ecnow_records action=read), for every shape.

A read is one streamed request cut into pieces (codec.Pieces) and goes through one loop: the token owner
renews a refused token once (token.py), the session opens the body again when it breaks part way
(`HttpSession.read_stream`), and `_Resume` skips, on a second attempt, every row up to the id of the last row
already handed on. Reads are sorted by id, so that skip is exact.

`rows` pages with `limit`/`start` and stops at the first short page; each page is such a read of small pieces,
handed on a row at a time, so memory stays near one small piece whatever the page size. `read` is a single
request of large pieces, what the diff of a million-row dataset reads (offsets make a paged read of a million
rows twice as slow on the server).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Final, Generic, TypeVar

import httpx

from reconciler.errors import ApiError
from reconciler.providers.http.session import HttpSession

from . import envelope
from .codec import Pieces, Shape, TextRows
from .token import Token

__all__ = ["ECNOW", "FRAME_PIECE_BYTES", "ROW_PIECE_BYTES", "RecordReader", "record_filters"]

T = TypeVar("T")

ECNOW: Final = "ecnow.php"
_METHOD: Final = "ecnow_records"
_ACTION: Final = "ecnow_records.read"

FRAME_PIECE_BYTES: Final = 24 * 1024 * 1024
"""About this much of the body is decoded into one frame: with the diff's page of the same rows, and the pages read
ahead of it, the largest part of a plan's memory beside the source. Fewer, larger pages cost the diff less per
record (each page is a round of polars operations): 1M plain-CSV plans, 5 rounds alternating, took 4.44 s (4.34-4.55)
in 24 MB pages against 4.85 s (4.64-4.94) in 8 MB ones, 4.55 s in 16 MB and 4.75 s in 32 MB, for a peak of about
600 MB against 545 MB (650 MB at 32 MB)."""
ROW_PIECE_BYTES: Final = 128 * 1024
"""About this much of a page is decoded at a time when rows are handed on one by one: a piece becomes a dict
per row, several times its size."""


def record_filters(
    *, dataset: int | None, table: str | None, search: Mapping[str, str] | None, exact: bool
) -> dict[str, str]:
    """The form fields that select records; a read needs a dataset or a table."""
    if dataset is None and table is None:
        raise ValueError("reading records needs a dataset or a table")
    filters: dict[str, str] = {}
    if dataset is not None:
        filters["dataset"] = str(dataset)
    if table is not None:
        filters["table"] = table
    for name, value in (search or {}).items():
        filters[f"search[{name}]"] = value
    if exact:
        filters["type"] = "exact"
    return filters


class _Resume(Generic[T]):
    """Remembers the id of the last row handed on, so that reading the same records again skips up to it."""

    def __init__(self, shape: Shape[T], *, url: str) -> None:
        self._shape = shape
        self._url = url
        self._last: str | None = None

    def after_last(self, pieces: Iterable[T]) -> Iterator[T]:
        """`pieces` without the rows an earlier attempt already handed on (none on a first attempt)."""
        shape = self._shape
        mark = None if self._last is None else self._id(self._last)
        for piece in pieces:
            size = shape.size(piece)
            start = 0
            if mark is not None:
                ids = shape.ids(piece)
                while start < size and self._id(ids[start]) <= mark:
                    start += 1
                mark = None if start < size else mark
            if start < size:
                self._last = shape.last_id(piece)
                yield shape.keep(piece, start) if start else piece

    def _id(self, value: str) -> int:
        try:
            return int(value)
        except ValueError:
            raise ApiError(
                "ContactNow answered a record without a numeric id; cannot resume the page", url=self._url
            ) from None


class RecordReader:
    """Reads records with the client's session and token."""

    def __init__(self, session: HttpSession, token: Token) -> None:
        self._session = session
        self._token = token

    def rows(self, filters: Mapping[str, str], *, page_size: int) -> Iterator[dict[str, str]]:
        """Every matching record as text values, in id order, a page of `page_size` rows per request."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        shape = TextRows()
        start = 0
        while True:
            page = {**filters, "limit": str(page_size), "start": str(start), "sort": "id"}
            count = 0
            for rows in self.read(page, shape, piece_bytes=ROW_PIECE_BYTES):
                count += len(rows)
                yield from rows
            if count != page_size:
                return
            start += count

    def read(
        self, filters: Mapping[str, str], shape: Shape[T], *, piece_bytes: int = FRAME_PIECE_BYTES
    ) -> Iterator[T]:
        """The records `filters` select, in one streamed request, as pieces of `shape` of about `piece_bytes`;
        a refused token is renewed once and a broken body read again, resuming after the last id handed on."""
        url = self._session.url_for(ECNOW, {"method": _METHOD, "action": "read"})
        resume = _Resume(shape, url=url)

        def parse(response: httpx.Response) -> Iterator[T]:
            if not 200 <= response.status_code < 300:
                response.read()
                envelope.decode(response, url=url)  # raises for the status
            pieces = Pieces(response.iter_bytes(), shape, url=url, piece_bytes=piece_bytes)
            return resume.after_last(pieces)

        def attempt(token: str) -> Iterator[T]:
            form = {**filters, "method": _METHOD, "action": "read", "format": "json", "token": token}
            return self._session.read_stream(
                "POST", ECNOW, action=_ACTION, url=url, parse=parse, resumable=True, data=form
            )

        return self._token.stream(attempt)
