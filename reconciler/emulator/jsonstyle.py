"""How the emulator lays out the JSON it answers: one run-time setting (`Settings.json_style`) that changes the
whitespace and escaping of every JSON answer of both vendor APIs, and never what they hold.

    compact  no whitespace; text as UTF-8 (what the emulator always wrote, and the default)
    spaced   `", "` between members and items and `": "` after keys, so `}, {` between objects
    pretty   four spaces a level, one member or item a line (PHP's JSON_PRETTY_PRINT)
    php      compact, with `\\/` for every `/` and `\\uXXXX` for every character past ASCII (a surrogate pair past
             U+FFFF), as PHP's json_encode writes by default

The contract fixes what a body holds, not how it is written, and ContactNow is a PHP service that could switch
to any of these; the styles let tests and benchmarks prove that a client reads them all alike.

A style rewrites JSON the emulator has already written compactly (`restyle`, `Stream.items`): the compact
style returns it untouched, so its answers stay byte for byte what they were and a records read still copies
the precomputed record documents (store.record_doc_sql) as they are. The other styles cost a pass in C
(`msgspec.json.format`) or, for php, a replace and a scan for non-ASCII text. JSON never holds a raw line end,
a `/` or a non-ASCII character outside a string, so indenting after line ends and escaping those characters
wherever they are is exact.

    style = state.settings.json_style
    body = restyle('{"success":true}', style)
    stream = Stream.around('{"records":{"record":[', "]}}", style)
    stream.head + stream.items('{"a":1},{"a":2}') + stream.separator + stream.items('{"a":3}') + stream.tail
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeGuard

import msgspec
from starlette.responses import JSONResponse, Response

JsonStyle = Literal["compact", "spaced", "pretty", "php"]
STYLES: Final[tuple[JsonStyle, ...]] = ("compact", "spaced", "pretty", "php")

_INDENT: Final = "    "
_ITEMS: Final = '"@emulator-items@"'
"""Stands for the items of a streamed array while its head and tail are styled; the last string of the text."""
_NON_ASCII = re.compile("[^\x00-\x7f]")
_PAST_TILDE = re.compile("[^\x00-\x7e]")


def is_style(value: object) -> TypeGuard[JsonStyle]:
    return value in STYLES


def restyle(text: str, style: JsonStyle) -> str:
    """A compact JSON document written in `style` (the same text when compact)."""
    if style == "compact":
        return text
    if style == "php":
        return _php(text)
    return msgspec.json.format(text, indent=0 if style == "spaced" else len(_INDENT))


def json_response(
    content: Any, style: JsonStyle, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """Starlette's JSONResponse in `style` (exactly JSONResponse when compact)."""
    response = JSONResponse(content, status_code=status_code, headers=headers)
    if style == "compact":
        return response
    text = restyle(bytes(response.body).decode(), style)
    return Response(text, status_code=status_code, headers=headers, media_type=response.media_type)


@dataclass(frozen=True)
class Stream:
    """A document written a chunk at a time: `head`, the items of one array (each chunk through `items`, chunks
    joined by `separator`), then `tail`. `empty` is the whole document when the array has no item."""

    head: str
    separator: str
    tail: str
    empty: str
    style: JsonStyle
    indent: str = ""
    """pretty: the indentation of the array's items."""

    @classmethod
    def around(cls, head: str, tail: str, style: JsonStyle) -> Stream:
        """The stream of the compact document `head` + items + `tail`: `head` ends with the `[` that opens the
        array and `tail` starts with the `]` that closes it."""
        empty = restyle(head + tail, style)
        if style == "compact":
            return cls(head, ",", tail, empty, style)
        styled = restyle(head + _ITEMS + tail, style)
        at = styled.rindex(_ITEMS)
        before, after = styled[:at], styled[at + len(_ITEMS) :]
        if style != "pretty":
            return cls(before, ", " if style == "spaced" else ",", after, empty, style)
        indent = before[before.rindex("\n") + 1 :]
        return cls(before, ",\n" + indent, after, empty, style, indent)

    def items(self, text: str) -> str:
        """Compact JSON values joined by commas (a chunk of the array, not empty), written in the style."""
        if self.style == "compact":
            return text
        if self.style == "php":
            return _php(text)
        if self.style == "spaced":
            return msgspec.json.format("[" + text + "]", indent=0)[1:-1]
        # "[\n    A,\n    B\n]": every line of the items starts with one indentation level; the first one's
        # indentation is the head's last line.
        lines = msgspec.json.format("[" + text + "]", indent=len(_INDENT))[2 + len(_INDENT) : -2]
        return lines.replace("\n" + _INDENT, "\n" + self.indent)


def ascii_only(text: str) -> str:
    """JSON text with DEL and every character past ASCII written as a \\u escape, as json.dumps writes them by
    default (exact: outside strings JSON holds only ASCII)."""
    if text.isascii() and "\x7f" not in text:
        return text
    return _PAST_TILDE.sub(_escape, text)


def _php(text: str) -> str:
    text = text.replace("/", "\\/")
    return text if text.isascii() else _NON_ASCII.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
