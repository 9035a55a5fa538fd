"""Decoders of a ContactNow records body: the shapes a read can take, and the cutting of a streamed body into
pieces of them.

A shape says what rows become: `TextRows` (a list of text dicts, what `iter_records` yields), `Columns`
(columns of chosen fields) or `Frames` (those columns as a polars frame, what the diff of millions reads). Each
decodes a piece (a JSON array of rows) the fast way, msgspec straight into the fields it needs, and falls back
to a general decoding (numbers and nulls become text) for a piece of other value types, so the result is the
same either way. `Pieces` cuts a body with the one cutter of providers.http.body and decodes the envelope
around the list with the last rows.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec

from reconciler.errors import ApiError
from reconciler.providers.http.body import PIECE_BYTES, ArrayPieces, ArrayStart, BrokenBody

from .envelope import check, is_true, rows_of, text_row
from .quoted import fields_between_quotes

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import polars as pl

__all__ = ["LIST_START", "Columns", "Frames", "Pieces", "Shape", "TextRows"]

T = TypeVar("T")

LIST_START = ArrayStart("list")
"""Where the rows of an envelope start, however it is written: the body is cut into pieces from here on."""

_SEAM = re.compile(rb"\}[ \t]*,[ \t]*\{")


class _TextPage(msgspec.Struct):
    """A records page whose values are all text (what ContactNow sends): decoded without a dict per value."""

    success: bool | int | str | None = None
    rows: list[dict[str, str]] | None = msgspec.field(default=None, name="list")


_TEXT_PAGE = msgspec.json.Decoder(_TextPage)
_TEXT_ROWS = msgspec.json.Decoder(list[dict[str, str]])
_ANY_JSON = msgspec.json.Decoder(float_hook=Decimal)


class Shape(Generic[T]):
    """What a records body is decoded into: text rows, or columns of chosen fields."""

    def piece(self, data: bytes | memoryview) -> T | None:
        """A JSON array of rows decoded; None when `data` is not one."""
        raise NotImplementedError

    def page(self, body: bytes) -> T | None:
        """The rows of a whole `{"success": true, "list": [...]}` envelope; None for anything else."""
        raise NotImplementedError

    def of_rows(self, rows: list[dict[str, str]]) -> T:
        raise NotImplementedError

    def size(self, value: T) -> int:
        raise NotImplementedError

    def ids(self, value: T) -> list[str]:
        """The `id` of every row."""
        raise NotImplementedError

    def last_id(self, value: T) -> str:
        """The `id` of the last row (of a value that has rows)."""
        return self.ids(value)[-1]

    def keep(self, value: T, start: int) -> T:
        """The rows from position `start` on."""
        raise NotImplementedError

    def general(self, data: bytes | memoryview) -> T | None:
        """Any JSON array of objects (numbers and nulls become text), or None."""
        try:
            rows = _ANY_JSON.decode(data)
        except msgspec.MsgspecError:
            return None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            return None
        try:
            return self.of_rows([text_row(row) for row in rows])
        except TypeError:
            return None


class TextRows(Shape[list[dict[str, str]]]):
    def piece(self, data: bytes | memoryview) -> list[dict[str, str]] | None:
        try:
            return _TEXT_ROWS.decode(data)
        except msgspec.MsgspecError:
            return self.general(data)

    def page(self, body: bytes) -> list[dict[str, str]] | None:
        try:
            page = _TEXT_PAGE.decode(body)
        except msgspec.MsgspecError:
            return None
        return page.rows if page.rows is not None and is_true(page.success) else None

    def of_rows(self, rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return rows

    def size(self, value: list[dict[str, str]]) -> int:
        return len(value)

    def ids(self, value: list[dict[str, str]]) -> list[str]:
        return [row.get("id", "") for row in value]

    def last_id(self, value: list[dict[str, str]]) -> str:
        return value[-1].get("id", "")

    def keep(self, value: list[dict[str, str]], start: int) -> list[dict[str, str]]:
        return value[start:]


class Columns(Shape[list[list[str]]]):
    """Columns of the named fields, matched without regard to case ("" where a row lacks one), decoded
    without a Python object for the fields nobody reads. A piece where a field is missing or not text takes
    the general path (every row folded)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.folded = [name.casefold() for name in names]
        slots = [f"f{i}" for i in range(len(names))]
        row = msgspec.defstruct(
            "_Row",
            [(slot, str | None, None) for slot in slots],
            rename=dict(zip(slots, names, strict=True)),
            gc=False,
        )
        page = msgspec.defstruct(
            "_Page",
            [("success", bool | int | str | None, None), ("rows", list[row] | None, None)],  # type: ignore[valid-type]
            rename={"rows": "list"},
        )
        self._rows = msgspec.json.Decoder(list[row])  # type: ignore[valid-type]
        self._page = msgspec.json.Decoder(page)
        self._getters = [operator.attrgetter(slot) for slot in slots]

    def _columns(self, rows: list[Any]) -> list[list[str]] | None:
        columns = []
        for getter in self._getters:
            column = list(map(getter, rows))
            if None in column:
                return None
            columns.append(column)
        return columns

    def piece(self, data: bytes | memoryview) -> list[list[str]] | None:
        try:
            rows = self._rows.decode(data)
        except msgspec.MsgspecError:
            return self.general(data)
        columns = self._columns(rows) if rows else [[] for _ in self.names]
        return columns if columns is not None else self.general(data)

    def page(self, body: bytes) -> list[list[str]] | None:
        try:
            page: Any = self._page.decode(body)
        except msgspec.MsgspecError:
            return None
        if page.rows is None or not is_true(page.success):
            return None
        return self._columns(page.rows) if page.rows else [[] for _ in self.names]

    def of_rows(self, rows: list[dict[str, str]]) -> list[list[str]]:
        folded = [{name.casefold(): value for name, value in row.items()} for row in rows]
        return [[row.get(name, "") for row in folded] for name in self.folded]

    def size(self, value: list[list[str]]) -> int:
        return len(value[0]) if value else 0

    def ids(self, value: list[list[str]]) -> list[str]:
        return value[self.folded.index("id")]

    def keep(self, value: list[list[str]], start: int) -> list[list[str]]:
        return [column[start:] for column in value]


class Frames(Shape["pl.DataFrame"]):
    """The columns of `Columns` as a polars frame (columns named as given, every value text).

    A piece in the shape ContactNow sends is read with its quotes made field separators (quoted.py), which is exact
    for that shape and declines any other. Otherwise it is read by polars as JSON lines: its line ends become spaces
    (JSON never holds one inside a string, so a pretty-printed object becomes one line) and its seams (`}`, `,` and
    `{`, with any spaces or tabs between) become line ends. That reading holds the GIL only to copy the piece, so
    the diff runs beside it; msgspec decoding holds it throughout. It is exact for what the API documents, objects
    whose values are all strings: a seam inside a string leaves that line's string unterminated, so such a piece
    fails to read, and a field missing or null in any row shows as a null. Either sends the piece the `Columns` way.

    polars' JSON reader costs about 2.1 s of CPU per 1,000,000 records of 33 fields (681 MB), most of it a hash map
    per object, against 1.6 s for the quotes-as-separators reading. Finding every quote with numpy, checking each
    row's keys and separators against the first row's and reading the values with polars' CSV reader cost 5.2 s:
    the quotes alone, a fifth of the bytes, took 1.2 s to locate. The CSV reader finds them itself; each column
    it is asked for costs about 0.05 s, so the separators around the keys are not checked column by column (a
    further 0.7 s), but by what they would put in the columns read."""

    def __init__(self, names: Sequence[str]) -> None:
        # Nothing of polars or numpy here: a read makes its shape before it sends its request, and importing them
        # (about 0.1 s) is better done while the service prepares its answer.
        self._columns = Columns(names)
        self._names = list(names)
        self._id = names[self._columns.folded.index("id")]
        self._scratch: npt.NDArray[np.uint8] | None = None

    def _schema(self) -> dict[str, pl.DataType]:
        import polars as pl

        return dict.fromkeys(self._names, pl.String())

    def _frame(self, columns: list[list[str]]) -> pl.DataFrame:
        import polars as pl

        return pl.DataFrame(dict(zip(self._names, columns, strict=True)), schema=self._schema())

    def piece(self, data: bytes | memoryview) -> pl.DataFrame | None:
        # The piece is copied into a buffer kept from one piece to the next and edited there with numpy, which
        # lets go of the GIL (the diff's thread wants it meanwhile): a fresh copy of each piece held it for its
        # page faults. The seam the body writes is found once and cut in place (a regular-expression
        # substitution of every seam took about a second per million records). A seam spelled otherwise is then
        # left inside a line, which fails to read: then every spelling is replaced, by the expression.
        import numpy as np

        quick = fields_between_quotes(data, self._names)
        if quick is not None:
            return quick
        size = len(data) - 2
        if self._scratch is None or len(self._scratch) < size:
            self._scratch = np.empty(size + size // 4, np.uint8)
        objects = self._scratch[:size]
        np.copyto(objects, np.frombuffer(data, np.uint8, size, 1))
        # A line end, a tab, or a control character JSON refuses anyway; most bodies have none, which one pass
        # without a copy tells (its index took 0.3-0.5 s of CPU per 681 MB).
        if objects.min(initial=0x20) < 0x20:
            ends = np.flatnonzero(objects < 0x20)
            objects[ends[(objects[ends] == 0x0A) | (objects[ends] == 0x0D)]] = 0x20
        first = _SEAM.search(objects.data)
        if first is not None:
            _cut_seams(objects, first[0])
        frame = self._lines(objects.tobytes())
        if frame is None and first is not None:
            frame = self._lines(_SEAM.sub(b"}\n{", objects.data))  # seams spelled otherwise too
        if frame is not None:
            return frame
        columns = self._columns.piece(data)
        return None if columns is None else self._frame(columns)

    def _lines(self, lines: bytes) -> pl.DataFrame | None:
        """The rows of one object a line, when polars reads them exactly (every field of every row present)."""
        import polars as pl

        try:
            frame = pl.read_ndjson(lines, schema=self._schema())
        except pl.exceptions.PolarsError:
            return None
        return frame if frame.height and not any(frame.null_count().row(0)) else None

    def page(self, body: bytes) -> pl.DataFrame | None:
        columns = self._columns.page(body)
        return None if columns is None else self._frame(columns)

    def of_rows(self, rows: list[dict[str, str]]) -> pl.DataFrame:
        return self._frame(self._columns.of_rows(rows))

    def size(self, value: pl.DataFrame) -> int:
        return value.height

    def ids(self, value: pl.DataFrame) -> list[str]:
        return value.get_column(self._id).to_list()

    def last_id(self, value: pl.DataFrame) -> str:
        last: str = value.get_column(self._id)[-1]  # not every id as a Python string: 0.17 s per 1M rows
        return last

    def keep(self, value: pl.DataFrame, start: int) -> pl.DataFrame:
        return value.slice(start)


def _cut_seams(data: npt.NDArray[np.uint8], seam: bytes) -> None:
    """Make the comma of every `seam` (a "}", a comma and a "{", spaced as written) a line end, in place. Found with
    numpy: a third less time than bytes.replace, and most of it without the GIL, which the diff's thread wants
    meanwhile. Two seams cannot overlap, so every one is cut, as replace would."""
    import numpy as np

    at = np.flatnonzero(data[: len(data) - len(seam) + 1] == seam[0])
    for offset in range(1, len(seam)):
        at = at[data[at + offset] == seam[offset]]
    data[at + seam.index(b",")] = ord("\n")


class Pieces(Generic[T]):
    """Cuts a streamed `{..., "list": [{...}, {...}, ...], ...}` body into pieces of rows of `shape`, about
    `piece_bytes` each. The envelope around the list (success, error) is decoded with the last rows, from the
    remainder the cutter hands back; a body it could not cut (no `list` array in its first HEAD_BYTES, as an
    error envelope) is that remainder whole.
    A body that is not JSON raises BrokenBody; an envelope with `success: false` raises as `envelope.check`."""

    def __init__(
        self, chunks: Iterator[bytes], shape: Shape[T], *, url: str, piece_bytes: int = PIECE_BYTES
    ) -> None:
        self._chunks = chunks
        self._shape = shape
        self._url = url
        self._piece_bytes = piece_bytes

    def __iter__(self) -> Iterator[T]:
        cutter = ArrayPieces(self._chunks, LIST_START, self._shape.piece, piece_bytes=self._piece_bytes)
        yield from cutter
        body = cutter.remainder
        rows = self._shape.page(body)
        if rows is None:
            yield from self._whole(body)
        elif self._shape.size(rows):
            yield rows

    def _whole(self, body: bytes) -> Iterator[T]:
        try:
            envelope = json.loads(body, parse_float=Decimal)
        except ValueError:
            raise BrokenBody from None
        if not isinstance(envelope, dict):
            raise ApiError("ContactNow answered JSON that is not an envelope object", url=self._url)
        check(envelope, url=self._url)
        rows = [text_row(row) for row in rows_of(envelope.get("list"), url=self._url)]
        if rows:
            yield self._shape.of_rows(rows)
