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
