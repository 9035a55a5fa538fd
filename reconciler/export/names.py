"""Stable manifest names for exported objects: slugs of their descriptions, made unique by their ids.

A name depends only on the object itself and on which other exported objects share its slug, never on the order
things were read in, so exporting the same account twice gives the same names.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping

MAX_NAME = 63
"""metadata.name: 1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit."""
_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")


def slug(text: str, fallback: str) -> str:
    """Lowercase ASCII words joined by '-': "Spring renewals (2026)" -> "spring-renewals-2026"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = _NOT_ALLOWED.sub("-", ascii_text.lower()).strip("-")
    return _fit(words or fallback, "")


def unique_names(bases: Mapping[int, str], prefix: str) -> dict[int, str]:
    """Names for objects by id, from their base slugs. A slug that several objects share gets each one's id
    appended ("spring-351", "spring-352"); anything still ambiguous falls back to `prefix-id`."""
    counts = Counter(bases.values())
    names = {key: base if counts[base] == 1 else _fit(base, f"-{key}") for key, base in bases.items()}
    while True:
        taken = Counter(names.values())
        clashes = {key for key, name in names.items() if taken[name] > 1}
        if not clashes:
            return names
        names.update({key: f"{prefix}-{key}" for key in clashes})


def _fit(base: str, suffix: str) -> str:
    return base[: MAX_NAME - len(suffix)].rstrip("-._") + suffix
