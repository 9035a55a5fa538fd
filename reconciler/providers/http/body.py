"""Read a streamed response body without ever holding all of it: a file-like view for ijson that keeps the
head (`BodyReader`), and a cutter into pieces of whole objects (`ArrayPieces`), with `begins` to choose between
them.

Both vendors answer a whole campaign or dataset in one body (`{..., "list": [{...}, ...]}`,
`{"records": {"record": [{...}, ...]}}`). Decoding it in one go needs the whole body and a Python object for
every value; decoding it a piece at a time (msgspec into a few chosen fields) keeps memory near one piece.

A cut is tried at a `},{` between two objects: the piece up to it is decoded as a JSON array. A cut inside a
string leaves that string unterminated, so such a piece never decodes and an earlier cut is tried; a piece
that decodes is therefore exactly the objects it holds. What is left after the last piece (the last objects
and the end of the envelope) is handed back with the head of the body, for the caller to decode whole.
Which bodies can be cut, and where, is decided in this module alone (`begins`, `ArrayPieces`): both clients
call it with the start of their array and nothing else, so that a body laid out otherwise (other JSON
whitespace) is one change here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

__all__ = ["PIECE_BYTES", "ArrayPieces", "BodyReader", "BrokenBody", "begins"]

T = TypeVar("T")

PIECE_BYTES = 16 * 1024 * 1024
"""About this much of a body is decoded at a time."""


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


def begins(chunks: Iterator[bytes], start: bytes) -> tuple[bool, Iterator[bytes]]:
    """Whether a body opens with `start`, read from its first chunks, and all of its chunks again.

    A reader cuts a body that opens as ArrayPieces expects, and streams any other through ijson: a body
    ArrayPieces cannot find its start in would be held whole.
    """
    first = b""
    for chunk in chunks:
        first += chunk
        if len(first) >= len(start):
            break
    return first.startswith(start), itertools.chain((first,), chunks)


class BrokenBody(Exception):
    """A body that cannot be read as the JSON it should be: not JSON, or not cut into objects. A transfer that
    went wrong can garble a body, so a read that meets one is tried again like an interrupted one."""


class ArrayPieces(Generic[T]):
    """Iterate to get the decoded pieces; afterwards `head` is the body up to and including `start` (None when
    `start` was not found) and `rest` what follows the last piece; `remainder` is the two together.

    `decode` gets a JSON array (`[` + objects + `]`) and returns its value, or None when it is not one it
    can decode.
    """

    def __init__(
        self,
        chunks: Iterator[bytes],
        start: bytes,
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
        # `buffer` is "[" and then the bytes after the last piece: each byte is copied into it once, and a piece
        # is decoded in place (a view of the buffer, its last comma patched into "]").
        buffer = bytearray()
        fresh = 0
        start = self._start
        for chunk in self._chunks:
            buffer += chunk
            if self.head is None:
                at = buffer.find(start, max(0, len(buffer) - len(chunk) - len(start)))
                if at < 0:
                    continue
                self.head = bytes(buffer[: at + len(start)])
                buffer[: at + len(start)] = b"["
                fresh = len(buffer)
            else:
                fresh += len(chunk)
            if fresh < self._piece_bytes:
                continue
            fresh = 0
            while len(buffer) > self._piece_bytes:
                value, used = self._cut(buffer)
                if value is None:
                    break
                yield value
                del buffer[1:used]
        self.rest = bytes(buffer) if self.head is None else bytes(buffer[1:])

    @property
    def remainder(self) -> bytes:
        """The body less the pieces handed out (the whole body when `start` was not found): a JSON document
        that holds the last objects and the envelope, for the caller to decode whole."""
        return (self.head or b"") + self.rest

    def _cut(self, buffer: bytearray) -> tuple[T | None, int]:
        """The objects of `buffer` up to its last `},{` that cuts between objects, decoded, and how many bytes of
        the buffer they took (the comma included); (None, 0) when no cut decodes."""
        end = len(buffer)
        with memoryview(buffer) as view:
            for _attempt in range(64):
                cut = buffer.rfind(b"},{", 1, end)
                if cut < 0:
                    break
                buffer[cut + 1] = ord("]")  # "[" + the objects up to the cut + "]"
                try:
                    with view[: cut + 2] as piece:
                        value = self._decode(piece)
                finally:
                    buffer[cut + 1] = ord(",")
                if value is not None:
                    return value, cut + 2
                end = cut
        if len(buffer) > 16 * self._piece_bytes:
            raise BrokenBody
        return None, 0
