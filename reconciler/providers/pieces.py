"""Cut a streamed JSON body that holds one large array of objects into pieces of whole objects.

Both vendors answer a whole campaign or dataset in one body (`{..., "list": [{...}, ...]}`,
`{"records": {"record": [{...}, ...]}}`). Decoding it in one go needs the whole body and a Python object for
every value; decoding it a piece at a time (msgspec into a few chosen fields) keeps memory near one piece.

A cut is tried at a `},{` between two objects: the piece up to it is decoded as a JSON array. A cut inside a
string leaves that string unterminated, so such a piece never decodes and an earlier cut is tried; a piece
that decodes is therefore exactly the objects it holds. What is left after the last piece (the last objects
and the end of the envelope) is handed back with the head of the body, for the caller to decode whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

__all__ = ["PIECE_BYTES", "ArrayPieces", "BrokenBody"]

T = TypeVar("T")

PIECE_BYTES = 16 * 1024 * 1024
"""About this much of a body is decoded at a time."""


class BrokenBody(Exception):
    """A body that cannot be cut into objects."""


class ArrayPieces(Generic[T]):
    """Iterate to get the decoded pieces; afterwards `head` is the body up to and including `start` (None when
    `start` was not found) and `rest` what follows the last piece.

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
        buffer = b""
        pending: list[bytes] = []
        size = 0
        head: bytes | None = None
        for chunk in self._chunks:
            pending.append(chunk)
            size += len(chunk)
            if head is not None and size < self._piece_bytes:
                continue
            buffer += b"".join(pending)
            pending.clear()
            size = 0
            if head is None:
                at = buffer.find(self._start)
                if at < 0:
                    continue
                head, buffer = buffer[: at + len(self._start)], buffer[at + len(self._start) :]
                self.head = head
            while len(buffer) >= self._piece_bytes:
                value, buffer = self._cut(buffer)
                if value is None:
                    break
                yield value
        self.rest = buffer + b"".join(pending)

    def _cut(self, buffer: bytes) -> tuple[T | None, bytes]:
        end = len(buffer)
        piece = bytearray(b"[")
        piece += buffer
        view = memoryview(piece)
        for _attempt in range(64):
            cut = buffer.rfind(b"},{", 0, end)
            if cut < 0:
                break
            piece[cut + 2] = ord("]")  # the comma after the cut: "[" + objects up to the cut + "]", no copy
            try:
                value = self._decode(view[: cut + 3])
            finally:
                piece[cut + 2] = ord(",")
            if value is not None:
                view.release()
                return value, buffer[cut + 2 :]
            end = cut
        view.release()
        if len(buffer) > 16 * self._piece_bytes:
            raise BrokenBody
        return None, buffer
