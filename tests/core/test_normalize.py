"""Column normalisation is `normalize`, value for value, for any text: non-ASCII whitespace and digits included."""

from __future__ import annotations

import re
import sys

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.model.normalize import _SCANNED, _classes, normalize, normalized_frame

FIELDS = ("VENDOR_URN", "MobilePhone", "callback", "FirstName")
ARABIC = str.maketrans("0123456789", "".join(chr(0x660 + digit) for digit in range(10)))
"""ASCII digits to Arabic-Indic ones (decimal digits to Python, as to `re`'s \\d)."""
_PIECES = [
    " ",
    "\t",
    "\x1c",
    "\x85",
    "\xa0",
    "\u2003",
    "\u3000",
    "0000-00-00",
    "00:00:00",
    "2024-01-02",
    "2024-01-02".translate(ARABIC),
    "T",
    " ",
    "10:11",
    ":12",
    ".5",
    "10:11".translate(ARABIC),
    "07700 900-123",
    "(0161)",
    "+44",
    "José",
    "Zoë",
    "\n",
    "-",
    "٣",
]
texts = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=3)), max_size=6).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(texts, texts, texts, texts), max_size=12))
def test_column_normalisation_is_normalize_for_every_value(rows: list[tuple[str, str, str, str]]) -> None:
    frame = pl.DataFrame(rows, schema=dict.fromkeys(("a", "b", "c", "d"), pl.String), orient="row")
    expected = [
        tuple(normalize(name, value) for name, value in zip(FIELDS, row, strict=True)) for row in rows
    ]
    assert normalized_frame(frame, FIELDS).rows() == expected


def test_dates_in_other_scripts_and_unicode_spaces_normalise_as_in_python() -> None:
    rows = [("\u3000K1\xa0", "\x1c07700 900123\x85", "2024-01-02T10:11".translate(ARABIC), "\u2003Zoë\x1f")]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(("a", "b", "c", "d"), pl.String), orient="row")
    when = "2024-01-02 10:11:".translate(ARABIC) + "00"
    assert normalized_frame(frame, FIELDS).rows() == [("K1", "07700900123", when, "Zoë")]


def test_the_character_classes_are_this_pythons_whole_classes() -> None:
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    spaces, digits = _classes()
    assert spaces == "".join(char for char in every if char.isspace())
    assert max(ord(char) for char in re.findall(r"[\s\d]", every)) < _SCANNED
    decimal = pl.Series([char for char in every if char.isdecimal()])
    assert decimal.str.contains(f"^{digits}$").all()
    assert re.match(r"\d", "²") is None  # a digit, not a decimal one: neither class has it
    assert not pl.Series(["²", "½", "a", "Ⅻ"]).str.contains(digits).any()
