"""Whether a caller ID is one a called party can see and ring back at a normal rate.

A caller ID must be present, be a phone number (6 to 15 digits, an optional leading +), and not be premium rate or
otherwise charged above a normal call. Premium and charged ranges known here:
- UK (national 0..., or +44): 09 (premium rate), 084 and 087 (service-charged: 0843/0844/0845, 0870-0873), 070
  (personal numbering, charged and often abused), 118 (directory enquiries);
- NANP (+1): area codes 900 and 976;
- Australia (+61): 190 (premium services).
Ofcom's own guidance is that a presented CLI must be a number the called party can return a call to without being
charged a premium; the vendor's documentation uses an 0845 number as its example, which this check flags.
"""

from __future__ import annotations

import re

from ..fields import PHONE_NOISE

_NUMBER = re.compile(r"^\+?[0-9]{6,15}$")
_UK_CHARGED = (
    ("09", "premium rate"),
    ("084", "service-charged (084)"),
    ("087", "service-charged (087)"),
    ("070", "personal numbering (070)"),
    ("118", "directory enquiries (118)"),
)


def caller_id_problem(value: str) -> str | None:
    """Why a caller ID is not fit to present (None when it is)."""
    text = value.strip()
    if not text:
        return "is empty: a call would reach the called party without a number to ring back"
    bare = re.sub(PHONE_NOISE, "", text)
    if not _NUMBER.fullmatch(bare):
        return "is not a phone number"
    national = _uk_national(bare)
    if national is not None:
        for prefix, what in _UK_CHARGED:
            if national.startswith(prefix):
                return f"is {what}: the called party is charged to ring it back"
    if bare.startswith("+1") or (len(bare) == 11 and bare.startswith("1")):
        area = bare.removeprefix("+").removeprefix("1")[:3]
        if area in {"900", "976"}:
            return f"is premium rate (NANP {area}): the called party is charged to ring it back"
    if bare.startswith("+61190") or bare.startswith("190"):
        return "is premium rate (Australian 190): the called party is charged to ring it back"
    return None


def _uk_national(bare: str) -> str | None:
    if bare.startswith("+44"):
        return "0" + bare[3:]
    if bare.startswith("0") and not bare.startswith("00"):
        return bare
    if bare.startswith("118"):
        return bare
    return None
