"""Read a streamed response body without ever holding all of it: a file-like view for ijson that keeps the
head (`BodyReader`), and a cutter into pieces of whole objects (`ArrayPieces`), with `begins` to choose between
them.

Both vendors answer a whole campaign or dataset in one body (`{..., "list": [{...}, ...]}`,
`{"records": {"record": [{...}, ...]}}`). Decoding it in one go needs the whole body and a Python object for
every value; decoding it a piece at a time (msgspec into a few chosen fields) keeps memory near one piece.

The contract fixes what a body holds, not how it is written: any JSON whitespace between tokens (spaces after
`:` and `,`, or pretty printing over many lines), any key order, escapes (`\\/`, `\\uXXXX`) anywhere, keys
included. So nothing here matches a body byte for byte:

- The array starts (`ArrayStart`) where a key of the right name, any whitespace, `:`, any whitespace and `[`
  come together, and only if the head up to there, closed with `]` and a `}` per level, is JSON whose keys
  lead to that (empty) array: a key nested elsewhere, or text inside a string, never passes.
- A cut is tried at a seam between two objects: `}`, any whitespace, `,`, any whitespace, `{`. The piece up to
  it is decoded as a JSON array, the byte after the `}` patched into `]`. A cut inside a string leaves that
  string unterminated, and one inside a nested value leaves it unclosed, so such a piece never decodes and an
  earlier seam is tried: a cut that does not decode is not a cut, and a piece that decodes is exactly the
  objects it holds.

What is left after the last piece (the last objects and the end of the envelope) is handed back with the head
of the body, for the caller to decode whole. Which bodies can be cut, and where, is decided in this module
alone (`ArrayStart`, `begins`, `ArrayPieces`): both clients call it with the keys of their array and nothing
else.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, Final, Generic, TypeVar

__all__ = ["HEAD_BYTES", "PIECE_BYTES", "ArrayPieces", "ArrayStart", "BodyReader", "BrokenBody", "begins"]

T = TypeVar("T")

PIECE_BYTES = 16 * 1024 * 1024
"""About this much of a body is decoded at a time."""
HEAD_BYTES: Final = 1024 * 1024
"""The array must start within this many bytes of the body (the envelope's other members come before it)."""

_WS = rb"[ \t\n\r]*"
"""JSON whitespace (RFC 8259: space, tab, line feed, carriage return)."""
_KEY_THEN_ARRAY = re.compile(rb'"' + _WS + rb":" + _WS + rb"\[")
"""The end of a string, a colon and an opening bracket: the end of a key whose value is an array, if that string
is a key."""
_SEAM = re.compile(rb"\}" + _WS + rb"," + _WS + rb"\{")
"""Where one object of an array may end and the next begin."""
_SEAM_WINDOW = 4096
"""The last seam is looked for in this many bytes before the end, then four times as many, and so on."""


class ArrayStart:
    """The array of objects a body is cut into: the value of `keys`, a path of object members from the top of
    the body (`ArrayStart("list")` for `{"list": [...]}`, `ArrayStart("records", "record")` for
    `{"records": {"record": [...]}}`)."""

    def __init__(self, *keys: str) -> None:
        if not keys:
            raise ValueError("an array start needs at least one key")
        self.keys = keys
        self._closing = b"]" + b"}" * len(keys)

    def __repr__(self) -> str:
        return f"ArrayStart{self.keys!r}"

    def find(self, data: bytes | bytearray, limit: int = HEAD_BYTES, *, searched: int = 0) -> int | None:
        """The offset just past the `[` that opens the array, if it lies within the first `limit` bytes of
        `data` (the start of a body); None when it does not (yet). `searched`: how much of `data` an earlier
        call already found nothing in (a body read a chunk at a time is not searched from its start again)."""
        # A start not found before ends past `searched`, and begins at its key's closing quote: no quote of the
        # data before `searched` follows that one.
        since = max(data.rfind(b'"', 0, searched), 0) if searched else 0
        for found in _KEY_THEN_ARRAY.finditer(data, since, limit):
            close = found.start()
            if _escaped(data, close):
                continue
            opening = data.rfind(b'"', 0, close)
            while opening >= 0 and _escaped(data, opening):
                opening = data.rfind(b'"', 0, opening)
            if opening < 0:
                continue
            if self._named(bytes(data[opening + 1 : close])) and self._holds_the_array(
                bytes(data[: found.end()])
            ):
                return found.end()
        return None

    def _named(self, key: bytes) -> bool:
        """Whether the JSON text of a key (between its quotes) is the last of `keys`, escapes read."""
        if b"\\" not in key:
            return key == self.keys[-1].encode()
        try:
            name: Any = json.loads(b'"' + key + b'"')
        except ValueError:
            return False
        return bool(name == self.keys[-1])

    def _holds_the_array(self, head: bytes) -> bool:
        """Whether `head`, closed as an empty array in its path, is a JSON object whose keys lead there: so the
        key is a member of the right object, not text in a string or a key of some other object."""
        try:
            value: Any = json.loads(head + self._closing)
        except ValueError:
            return False
        for key in self.keys:
            if not isinstance(value, dict) or key not in value:
                return False
            value = value[key]
        return bool(value == [])


def _escaped(data: bytes | bytearray, at: int) -> bool:
    """Whether the byte at `at` follows an odd number of backslashes (inside a string: an escaped quote)."""
    backslashes = 0
    while at > backslashes and data[at - backslashes - 1] == 0x5C:
        backslashes += 1
    return backslashes % 2 == 1


class BodyReader:
    """A file-like view of a streamed response body, for ijson, that keeps the first `head_limit` bytes.

    A read that parsed no item can look at `head` (the whole body when `complete`) to find an error envelope
    or an unusual shape, without the body ever being held in memory when it is large.
    """

    def __init__(self, chunks: Iterator[bytes], *, head_limit: int = 65536) -> None:
        self._chunks = chunks
        self._pending = b""
        self._head = bytearray()
        self._head_limit = head_limit
        self._overflow = False
        self._eof = False

    def read(self, size: int = -1) -> bytes:
        if self._pending:
            data, self._pending = self._pending, b""
        else:
            data = b""
            while not data and not self._eof:
                try:
                    data = next(self._chunks)
                except StopIteration:
                    self._eof = True
        if size >= 0 and len(data) > size:
            data, self._pending = data[:size], data[size:]
        if data and not self._overflow:
            room = self._head_limit - len(self._head)
            if len(data) > room:
                self._overflow = True
            self._head += data[: max(room, 0)]
        return data

    def drain(self) -> None:
        """Read to the end of the body (keeping only the head)."""
        while self.read(65536):
            pass

    @property
    def head(self) -> bytes:
        return bytes(self._head)

    @property
    def complete(self) -> bool:
        """True when the body was read to its end and `head` holds all of it."""
        return self._eof and not self._pending and not self._overflow


def begins(
    chunks: Iterator[bytes], start: ArrayStart, *, limit: int = HEAD_BYTES
) -> tuple[bool, Iterator[bytes]]:
    """Whether a body's array `start` opens within its first `limit` bytes, read from as few chunks as that
    takes, and all of its chunks again.

    A reader cuts a body whose array ArrayPieces can find, and streams any other through ijson: a body whose
    array ArrayPieces cannot find would be held whole.
    """
    first = bytearray()
    found = False
    for chunk in chunks:
        searched = len(first)
        first += chunk
        if start.find(first, limit, searched=searched) is not None:
            found = True
            break
        if len(first) >= limit:
            break
    return found, itertools.chain((bytes(first),), chunks)


class BrokenBody(Exception):
    """A body that cannot be read as the JSON it should be: not JSON, or not cut into objects. A transfer that
    went wrong can garble a body, so a read that meets one is tried again like an interrupted one."""


class ArrayPieces(Generic[T]):
    """Iterate to get the decoded pieces; afterwards `head` is the body up to and including the `[` that opens
    the array of `start` (None when it was not found in the first HEAD_BYTES) and `rest` what follows the last
    piece; `remainder` is the two together.

    `decode` gets a JSON array (`[` + objects + `]`, with whatever whitespace the body had between them) and
    returns its value, or None when it is not one it can decode.
    """

    def __init__(
        self,
        chunks: Iterator[bytes],
        start: ArrayStart,
        decode: Callable[[memoryview], T | None],
        *,
        piece_bytes: int = PIECE_BYTES,
    ) -> None:
        self._chunks = chunks
        self._start = start
        self._decode = decode
        self._piece_bytes = piece_bytes
        self.head: bytes | None = None
        self.rest = b""

    def __iter__(self) -> Iterator[T]:
        # `buffer[:fill]` is the body's head until the array's start is found, then "[" and the bytes after the
        # last piece. Each byte is copied into it once, and a piece is decoded in place (a view of the buffer,
        # the byte after its last object patched into "]"). The buffer never shrinks: letting it shrink after
        # each piece and grow again by appends cost about 0.5 s of reallocation and page faults, holding the
        # GIL, per 681 MB read.
        buffer = bytearray()
        fill = 0
        fresh = 0
        searching = True
        for chunk in self._chunks:
            searched, fill = fill, fill + len(chunk)
            if fill > len(buffer):
                buffer += bytearray(max(fill - len(buffer), len(buffer)))
            buffer[searched:fill] = chunk
            if self.head is None:
                at = self._start.find(buffer, min(HEAD_BYTES, fill), searched=searched) if searching else None
                if at is None:
                    searching = fill < HEAD_BYTES
                    continue
                self.head = bytes(buffer[:at])
                fill = _keep(buffer, at, fill)
                fresh = fill
            else:
                fresh += len(chunk)
            if fresh < self._piece_bytes:
                continue
            fresh = 0
            while fill > self._piece_bytes:
                value, used = self._cut(buffer, fill)
                if value is None:
                    break
                yield value
                fill = _keep(buffer, used, fill)
        self.rest = bytes(buffer[:fill]) if self.head is None else bytes(buffer[1:fill])

    @property
    def remainder(self) -> bytes:
        """The body less the pieces handed out (the whole body when `start` was not found): a JSON document
        that holds the last objects and the envelope, for the caller to decode whole."""
        return (self.head or b"") + self.rest

    def _cut(self, buffer: bytearray, fill: int) -> tuple[T | None, int]:
        """The objects of `buffer[:fill]` up to its last seam that cuts between objects, decoded, and how many
        bytes of the buffer they took (up to the `{` of the next object); (None, 0) when no cut decodes."""
        end = fill
        with memoryview(buffer) as view:
            for _attempt in range(64):
                seam = _last_seam(buffer, end)
                if seam is None:
                    break
                close = seam.start() + 1  # the "," or the whitespace after the "}"
                kept = buffer[close]
                buffer[close] = ord("]")  # "[" + the objects up to the seam + "]"
                try:
                    with view[: close + 1] as piece:
                        value = self._decode(piece)
                finally:
                    buffer[close] = kept
                if value is not None:
                    return value, seam.end() - 1
                end = seam.start()
        if fill > 16 * self._piece_bytes:
            raise BrokenBody
        return None, 0


def _keep(buffer: bytearray, start: int, fill: int) -> int:
    """Make the buffer "[" and then `buffer[start:fill]`; the new fill."""
    rest = fill - start
    buffer[0] = ord("[")
    buffer[1 : 1 + rest] = buffer[start:fill]
    return 1 + rest


def _last_seam(buffer: bytearray, end: int) -> re.Match[bytes] | None:
    """The last seam between two objects that ends by `end` (after the "[" at 0), looked for backwards a window
    at a time: a seam is usually within the last object."""
    window = _SEAM_WINDOW
    while True:
        begin = max(1, end - window)
        last = None
        for last in _SEAM.finditer(buffer, begin, end):  # noqa: B007 - the last one is wanted
            pass
        if last is not None or begin == 1:
            return last
        window *= 4
