"""ContactNow XML: rendering envelopes and rows, and parsing `<easycall>` request bodies.

Responses look like `<result><success>1</success><total>2</total><list><ROW>...</ROW></list></result>`:
booleans are 1/0, an empty value is an empty element (`<crm_campaign/>`), and every response starts with the
XML declaration the vendor's documents show.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

DECLARATION = '<?xml version="1.0" encoding="utf-8" ?>\n'

Scalar = str | int | float | bool

# Characters XML 1.0 cannot carry at all; they are dropped from values.
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NEEDS_WORK = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


class XmlBodyError(ValueError):
    """The request body is not an `<easycall>` document."""


def text(value: Scalar) -> str:
    """The XML text of one value: booleans as 1/0, markup characters escaped."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return _INVALID.sub("", str(value)).translate(_ESCAPES)


def element(name: str, value: Scalar) -> str:
    body = text(value)
    return f"<{name}>{body}</{name}>" if body else f"<{name}/>"


def fields(values: Mapping[str, Scalar]) -> str:
    """`<k>v</k>` for every item, in order."""
    return "".join(element(name, value) for name, value in values.items())


def envelope(values: Mapping[str, Scalar]) -> str:
    """A complete non-list response document."""
    return f"{DECLARATION}<result>{fields(values)}</result>"


def list_open(values: Mapping[str, Scalar]) -> str:
    """The start of a read response, up to and including `<list>`."""
    return f"{DECLARATION}<result>{fields(values)}<list>"


LIST_CLOSE = "</list></result>"


def rows(row_element: str, items: Iterable[Mapping[str, str]]) -> str:
    """Read rows (text values) as `<row_element>` elements; the hot path of a large XML read."""
    search = _NEEDS_WORK.search
    parts: list[str] = []
    append = parts.append
    for item in items:
        append(f"<{row_element}>")
        for name, raw in item.items():
            value = text(raw) if raw and search(raw) else raw
            append(f"<{name}>{value}</{name}>" if value else f"<{name}/>")
        append(f"</{row_element}>")
    return "".join(parts)


def parse_rows(body: bytes) -> list[dict[str, str]]:
    """The rows of `<easycall><ANY>...fields...</ANY>...</easycall>`; the row element name is not significant.

    Raises XmlBodyError when the body is not well-formed or its root is not `easycall`.
    """
    try:
        root = ET.fromstring(body)  # noqa: S314 - expat refuses entity expansion attacks since 2.4.1
    except ET.ParseError as exc:
        raise XmlBodyError(f"XML body is not well-formed: {exc}") from None
    if root.tag != "easycall":
        raise XmlBodyError("Missing 'easycall' section")
    result: list[dict[str, str]] = []
    for row in root:
        result.append({child.tag: child.text or "" for child in row})
    return result
