"""Response bodies in each JSON layout a vendor may write, made with Python's own encoder (never the
emulator's), whole or a chunk at a time, for the reader tests.

    compact  no whitespace, text as UTF-8
    spaced   `", "` and `": "` (Python's default), so `}, {` between objects
    pretty   four spaces a level, one member a line (PHP's JSON_PRETTY_PRINT)
    php      compact, `\\/` for `/` and `\\uXXXX` (surrogate pairs past U+FFFF) for every non-ASCII character

    body = layout({"success": True, "list": rows}, "pretty")
    for chunk in streamed({"success": True, "list": ROWS}, rows, "php", rows_per_chunk=500): ...
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Final

STYLES: Final = ("compact", "spaced", "pretty", "php")
ROWS: Final = "@rows@"
"""Stands for the streamed rows in `streamed`'s envelope."""


def layout(value: Any, style: str, *, ascii_text: bool = False) -> str:
    """`value` as JSON in `style`; with `ascii_text`, non-ASCII text as `\\uXXXX` in every style."""
    if style == "compact":
        return json.dumps(value, ensure_ascii=ascii_text, separators=(",", ":"))
    if style == "spaced":
        return json.dumps(value, ensure_ascii=ascii_text, separators=(", ", ": "))
    if style == "pretty":
        return json.dumps(value, ensure_ascii=ascii_text, indent=4)
    if style == "php":
        return json.dumps(value, separators=(",", ":")).replace("/", "\\/")
    raise ValueError(style)


def streamed(envelope: Any, rows: Iterable[Any], style: str, *, rows_per_chunk: int = 200) -> Iterator[bytes]:
    """`envelope` in `style`, with the rows (a lazy iterable) where it holds `[ROWS]`, a few rows a chunk: the
    body is never whole in memory."""
    text = layout(envelope, style)
    marker = json.dumps(ROWS)
    at = text.index(marker)
    head, tail = text[:at], text[at + len(marker) :]
    indent = head[head.rindex("\n") + 1 :] if style == "pretty" else ""
    separator = {"spaced": ", ", "pretty": ",\n" + indent}.get(style, ",")
    block: list[Any] = []
    before = head
    for row in rows:
        block.append(row)
        if len(block) == rows_per_chunk:
            yield (before + _items(block, style, indent)).encode()
            before, block = separator, []
    if block:
        yield (before + _items(block, style, indent)).encode()
    elif before == head:
        # no rows: the brackets around the marker's place close the empty array
        yield head.rstrip().encode()
        tail = tail.lstrip()
    yield tail.encode()


def _items(rows: list[Any], style: str, indent: str) -> str:
    """Rows of an array in `style`, without its brackets; pretty: at `indent`, the first line unindented."""
    text = layout(rows, style)[1:-1]
    if style != "pretty":
        return text
    lines = text.strip("\n").split("\n")
    shifted = [indent + line[4:] for line in lines]
    return "\n".join(shifted)[len(indent) :]
