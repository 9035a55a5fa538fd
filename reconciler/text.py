"""Text hygiene: which characters data may not carry, and the one way data is shown.

Data (record values, keys, descriptions, vendor messages) must never move a reviewer's terminal or reorder what
a pull request shows. Sources refuse control characters and bidirectional controls (`unsafe`); everything
printed from data goes through `shown` (a value on one line, cut when long) or `escaped` (a message that may
span lines), in every output format, the JSON one included (`json_safe`).
"""

from __future__ import annotations

import re
from typing import Final

UNSAFE: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
"""C0 controls but tab, newline and carriage return; DEL and C1 controls; the bidirectional marks, embeddings,
overrides and isolates; line and paragraph separators."""
UNSAFE_CHARS: Final = tuple(
    map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F])
) + tuple(map(chr, [0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
"""The same set, each character on its own, for column scans: polars finds any of them (Aho-Corasick) in about
two thirds of the CPU time of the regular expression's class (tests/core/test_output_hygiene.py checks both agree)."""
_SAFE_CONTROLS: Final = bytes(code for code in range(0x20) if chr(code) not in UNSAFE_CHARS)
"""The C0 controls text may hold (tab, line feed, carriage return)."""


def _by_prefix(encodings: list[bytes]) -> dict[bytes, bytes]:
    """Each encoding's bytes but its last, and the last bytes that complete it."""
    ends: dict[bytes, bytes] = {}
    for encoding in encodings:
        ends[encoding[:-1]] = ends.get(encoding[:-1], b"") + encoding[-1:]
    return ends


_UNSAFE_PAST_ASCII: Final = _by_prefix([char.encode() for char in UNSAFE_CHARS if ord(char) >= 0x7F])
"""The UTF-8 of every unsafe character past the C0 controls (DEL, the C1 controls, the bidirectional ones), as
{its bytes but the last: the last bytes that complete one}."""
_LINE_BREAKS: Final = re.compile("[\t\n\r]")
UNSAFE_REMEDY: Final = (
    "remove it: control and bidirectional characters would reach the dialler and change what a reviewer sees"
)
MAX_SHOWN: Final = 200
"""A value longer than this is cut when shown, with its length."""


def unsafe(text: str) -> list[str]:
    """The unsafe characters in `text`, each once and as shown (`\\x1b`, `\\u202e`), in order of appearance."""
    found: list[str] = []
    for match in UNSAFE.finditer(text):
        code = _code(match.group())
        if code not in found:
            found.append(code)
    return found


def may_hold_unsafe(data: bytes) -> bool:
    """Whether UTF-8 `data` holds the encoding of one of UNSAFE_CHARS, or may: False proves that no text cut from
    it does. Its controls and its bytes past ASCII are found with numpy (two passes over the bytes: 0.10 s of CPU
    for the 122 MB of the benchmark's 1M-row CSV, against 0.16-0.17 s for scanning its columns for them); where
    more than one byte in eight is past ASCII, True without looking further (the columns' own scan is then
    cheaper than following each byte)."""
    import numpy as np

    octets = np.frombuffer(data, np.uint8)
    controls = np.flatnonzero(octets < 0x20)
    if len(controls) and not np.isin(octets[controls], np.frombuffer(_SAFE_CONTROLS, np.uint8)).all():
        return True
    high = np.flatnonzero(octets >= 0x7F)
    if len(high) > len(octets) // 8 or (len(high) and high[-1] >= len(octets) - 2):
        return True  # or an encoding (at most 3 bytes) might run past the end; whole lines end in ASCII
    leads = octets[high]
    for prefix, lasts in _UNSAFE_PAST_ASCII.items():
        at = high[leads == prefix[0]] if prefix else high
        for offset, byte in enumerate(prefix[1:], 1):
            at = at[octets[at + offset] == byte]
        if np.isin(octets[at + len(prefix)], np.frombuffer(lasts, np.uint8)).any():
            return True
    return False


def escaped(text: str) -> str:
    """`text` with every unsafe character shown as its escape; line breaks are kept (for messages)."""
    return UNSAFE.sub(lambda match: _code(match.group()), text)


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """A value as it is shown on one line: unsafe characters and line breaks escaped, cut after `limit`
    characters with the full length said."""
    cut = text if len(text) <= limit else text[:limit]
    visible = _LINE_BREAKS.sub(lambda match: _code(match.group()), escaped(cut))
    if len(text) > limit:
        return f"{visible}... ({len(text):,} characters)"
    return visible


def json_safe(text: str) -> str:
    """A JSON text with every unsafe character written as a \\uXXXX escape (still the same JSON value)."""
    return UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _code(character: str) -> str:
    number = ord(character)
    if character == "\t":
        return "\\t"
    if character == "\n":
        return "\\n"
    if character == "\r":
        return "\\r"
    return f"\\x{number:02x}" if number < 0x100 else f"\\u{number:04x}"
