"""Strict JSON for what a client sends: a request body, or a JSON text inside an argument.

    data = loads(body)          # raises BodyError for anything that is not plain JSON the emulator can hold

Python's `json.loads` is more lenient than JSON, and less robust than a server must be:

- it takes `NaN`, `Infinity` and `-Infinity`, which RFC 8259 does not allow, and reads a number too large for a
  double (`1e400`) as infinity. None of these can be written back as JSON (`JSONResponse` refuses them, which
  was a 500), and no vendor parser produces them.
- it recurses once per nesting level, so a body nested a few thousand deep raised RecursionError (a 500), and
  one nested a little less deep parsed but could not be written back.

`loads` refuses all of them with `BodyError`, before anything is stored, and each API answers it with its own
refusal of a body it cannot parse (cc.py: 400 `The provided customer list is invalid.`; contactnow.py:
`{"success": false, "error": "Could not parse the request body"}`). Arrays and objects nested deeper than
`MAX_DEPTH` are refused: 512 is the default depth of PHP's `json_decode` (ContactNow is a PHP service), every
body either API documents is at most 3 deep, and 512 stays well below Python's recursion limit wherever a
handler runs, so a body either parses and is measured, or stops the parser's recursion and is refused: the
answer is the same. Measuring walks the parsed value without recursion, and only when the text has more than
`MAX_DEPTH` opening brackets (a regex pass over the text to skip its strings would cost more than the parse).

`text_rows` reads the usual write body, an array of objects whose values are all strings, with msgspec: about a
third of the CPU of `loads` (1.7 against 5.0 us a row of a 1,000-row create). It takes only UTF-8 without a BOM
and refuses a lone surrogate escape, so what it reads `loads` reads the same; anything else is left to `loads`.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

import msgspec

MAX_DEPTH: Final = 512


class BodyError(ValueError):
    """The text is not JSON that the emulator accepts (see the module docstring)."""


def _refuse_constant(name: str) -> Any:
    raise BodyError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyError(f"number {text[:40]} is out of range")
    return value


def _nests_deeper(value: Any, limit: int) -> bool:
    """Whether the arrays and objects of a parsed value nest deeper than `limit`, walked level by level.

    A container's children are looked at by type in C (`set(map(type, ...))`), so the usual body, a list of
    flat objects, costs about a fifth of its parse."""
    level, current = 1, [value]
    while current:
        if level > limit:
            return True
        deeper: list[Any] = []
        for container in current:
            children = container.values() if type(container) is dict else container
            kinds = set(map(type, children))
            if dict in kinds or list in kinds:
                deeper.extend(child for child in children if type(child) is dict or type(child) is list)
        current, level = deeper, level + 1
    return False


_TEXT_ROWS = msgspec.json.Decoder(list[dict[str, str]])


def text_rows(data: bytes) -> list[dict[str, str]] | None:
    """`data` as a list of objects of text values, exactly as `loads` reads it; None when it is not one (or is
    written in a way only `loads` reads)."""
    try:
        return _TEXT_ROWS.decode(data)
    except msgspec.MsgspecError:
        return None


def loads(data: str | bytes) -> Any:
    """Parse JSON strictly; raise BodyError for bad JSON or encoding, NaN/Infinity, overflow or deep nesting."""
    try:
        text = data.decode(json.detect_encoding(data)) if isinstance(data, bytes) else data
    except (UnicodeDecodeError, LookupError):
        raise BodyError("the body is not UTF-8, UTF-16 or UTF-32 text") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except ValueError as exc:  # BodyError from the hooks too
        raise BodyError(str(exc)) from None
    except RecursionError:
        raise BodyError(f"the body nests deeper than {MAX_DEPTH}") from None
    openers = text.count("[") + text.count("{")
    if openers > MAX_DEPTH and isinstance(value, dict | list) and _nests_deeper(value, MAX_DEPTH):
        raise BodyError(f"the body nests deeper than {MAX_DEPTH}")
    return value
