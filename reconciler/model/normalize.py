"""Value normalisation applied to both sides before records are compared.

A source and the vendor write the same value differently: the vendor pads empty dates with zeros, a CSV writer
may put spaces in a phone number, JSON sources give numbers where the API gives strings. Normalising both sides
with the same function keeps unchanged rows unchanged. What is sent on create or update is the source's own text,
never the normalised form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .fields import PHONE_FIELDS

_EMPTY_DATES = {"0000-00-00 00:00:00", "0000-00-00", "00:00:00"}
_PHONE_NOISE = re.compile(r"[\s\-().]")
_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::(\d{2}))?(?:\.\d+)?$")
_PHONE_FOLDED = frozenset(name.casefold() for name in PHONE_FIELDS)


def normalize(field: str, value: str | None) -> str:
    """The comparable form of one field's value."""
    if value is None:
        return ""
    text = value.strip()
    if not text or text in _EMPTY_DATES:
        return ""
    if field.casefold() in _PHONE_FOLDED:
        return _PHONE_NOISE.sub("", text)
    match = _DATE_TIME.match(text)
    if match:
        day, minute, second = match.groups()
        return f"{day} {minute}:{second or '00'}"
    return text


def normalized(fields: Iterable[str], values: Mapping[str, str]) -> tuple[str, ...]:
    """The comparable values of `fields`, in that order. A field the row lacks counts as empty."""
    return tuple(normalize(name, values.get(name)) for name in fields)
