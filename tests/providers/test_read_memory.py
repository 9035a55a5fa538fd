"""Reads hold about a piece of the body whatever its JSON layout (#13 item 4): the peak of what the reader
allocates (tracemalloc, while a body of many pieces streams through it) stays proportional to the piece size,
far below the body's size, and within 1.5 times the compact body's peak for every other layout.

Before the cutter took any whitespace, a spaced body was held whole: 758 MB at 100,000 records against 245 MB
compact. The bodies are made before tracing starts, so only what the reader allocates is counted.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from json_layouts import ROWS, STYLES, streamed

from reconciler.providers.contactcenter.client import ContactCenterClient
from reconciler.providers.contactnow import codec

from .provider_fakes import CC_TENANT, CC_TOKEN, ChunkStream, Scripted, Sleeps, policy

PIECE = 64 * 1024
RECORDS = 16_000
MEMBERS = 30_000
NAMES = ["id", "VENDOR_URN", "FirstName", "LastName", "MobilePhone", "Postcode"]


def _record(i: int) -> dict[str, str]:
    return {
        "id": str(i),
        "datasetid": "7",
        "VENDOR_URN": f"R{i:08d}",
        "Title": ("Mr", "Ms", "Dr", "")[i % 4],
        "FirstName": f"Zoë {i % 5000}",
        "LastName": f"O'Brien/{i % 7919}",
        "Address1": f"{i % 300} High Street",
        "Postcode": f"SW{i % 20} {i % 9}AA",
        "MobilePhone": f"07{i % 10**9:09d}",
        "Customer_Email": f"user{i}@example.com",
        "notes": "}, {" if i % 50 == 0 else "😀",
        "outcomecode": ("", "100", "109")[i % 3],
    }


def _member(i: int) -> dict[str, Any]:
    return {
        "campaign-name": "Winback/Spring é",
        "campaign-id": 125,
        "record-id": 20_000_000 + i,
        "phone-list": f"*Phone Number|0207946{i % 10_000:04d}",
        "status": i % 4,
        "status-code": 0,
        "ext-trans-data": "",
        "disposition-code": 1000,
    }


def _body(envelope: Any, rows: Iterator[Any], style: str) -> list[bytes]:
    return list(streamed(envelope, rows, style, rows_per_chunk=100))


def _peak(read: Callable[[], int]) -> tuple[int, int]:
    """What `read` returned (rows read), and the peak bytes it allocated."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        rows = read()
        return rows, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _bounded(peaks: dict[str, int], sizes: dict[str, int]) -> None:
    """The compact read held far less than its body, and every other layout at most 1.5 times what it held."""
    assert sizes["pretty"] > 1.5 * sizes["compact"]
    assert peaks["compact"] < sizes["compact"] / 4, (peaks, sizes)
    for style in STYLES:
        assert peaks[style] <= 1.5 * peaks["compact"], (style, peaks)


SHAPES: dict[str, Callable[[], codec.Shape[Any]]] = {
    "text rows": codec.TextRows,
    "columns": lambda: codec.Columns(NAMES),
    "frames": lambda: codec.Frames(NAMES),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_records_read_holds_about_a_piece_in_every_layout(shape: str) -> None:
    peaks: dict[str, int] = {}
    sizes: dict[str, int] = {}
    warm = _body({"success": True, "list": [ROWS]}, map(_record, range(1, 2000)), "pretty")
    list(
        codec.Pieces(iter(warm), SHAPES[shape](), url="u", piece_bytes=PIECE)
    )  # imports, caches: not counted
    for style in STYLES:
        chunks = _body(
            {"success": True, "total": RECORDS, "list": [ROWS]}, map(_record, range(1, RECORDS + 1)), style
        )
        sizes[style] = sum(map(len, chunks))

        def read(chunks: list[bytes] = chunks) -> int:
            decoder = SHAPES[shape]()
            pieces = codec.Pieces(iter(chunks), decoder, url="u", piece_bytes=PIECE)
            return sum(decoder.size(piece) for piece in pieces)

        rows, peaks[style] = _peak(read)
        assert rows == RECORDS
        del chunks
    _bounded(peaks, sizes)


def test_a_members_read_holds_about_a_piece_in_every_layout() -> None:
    peaks: dict[str, int] = {}
    sizes: dict[str, int] = {}
    for style in STYLES:
        chunks = _body({"records": {"record": [ROWS]}}, map(_member, range(MEMBERS)), style)
        sizes[style] = sum(map(len, chunks))
        script = Scripted(httpx.Response(200, stream=ChunkStream(iter(chunks))))
        client = ContactCenterClient(
            "https://vcc-na12.8x8.com",
            CC_TENANT,
            CC_TOKEN,
            transport=httpx.MockTransport(script),
            retry=policy(Sleeps()),
        )

        def read(client: ContactCenterClient = client) -> int:
            return sum(len(piece.ids) for piece in client.iter_member_columns(125, piece_bytes=PIECE))

        with client:
            members, peaks[style] = _peak(read)
        assert members == MEMBERS
        del chunks
    _bounded(peaks, sizes)
