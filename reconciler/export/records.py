"""Export the records of one dataset to a CSV source, streaming.

The live records are read once, in id order, into a staging CSV that holds every candidate field. Which
fields carry a value is known only at the end, so a second pass copies the staging file into the final CSV
with only those columns. Memory holds the keys already written (to keep the first record of a duplicated key,
the one the diff compares) and nothing per field.

Records are left out, and counted, when the manifest loader would refuse them: no key value, a key seen
before, no phone number, or a phone that is not a phone number. A record set's `absent: ignore` leaves them
alone, so they never show up as changes.
"""

from __future__ import annotations

import csv
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..model.fields import PHONE_FIELDS, PHONE_NOISE, STANDARD_RECORD_FIELDS, VENDOR_OWNED_FIELDS
from ..model.state import LiveRecord
from ..providers.base import FieldInfo

logger = logging.getLogger(__name__)

_PHONE_SEPARATORS = re.compile(PHONE_NOISE)
_PHONE = re.compile(r"\+?[0-9]{5,20}")
"""The manifest loader's phone rule (reconciler/manifest/rows.py): 5 to 20 digits once separators are gone."""
_VENDOR_OWNED = frozenset(name.casefold() for name in VENDOR_OWNED_FIELDS)
_PHONES = frozenset(name.casefold() for name in PHONE_FIELDS)
_STANDARD_ORDER = {name.casefold(): index for index, name in enumerate(STANDARD_RECORD_FIELDS)}


@dataclass
class RecordExport:
    """What one record set's export wrote: its managed fields, how many rows, and what it left out and why."""

    fields: tuple[str, ...] = ()
    rows: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def integer_fields(table_fields: Iterable[FieldInfo]) -> frozenset[str]:
    """Fields whose type is an integer: their "0" is the vendor's default, not a value someone wrote."""
    return frozenset(
        item.name for item in table_fields if item.type.casefold() in {"int", "integer", "tinyint"}
    )


def candidate_fields(table_fields: Iterable[FieldInfo], key: str) -> tuple[str, ...]:
    """The fields a record set may manage, in the table's order: every field but the key and those the dialler
    writes. Standard fields come in the vendor's documented order, then custom fields by position."""
    names = [item for item in table_fields if item.name.casefold() not in _VENDOR_OWNED | {key.casefold()}]

    def order(item: FieldInfo) -> tuple[int, int, str]:
        standard = _STANDARD_ORDER.get(item.name.casefold())
        if standard is not None:
            return (0, standard, item.name)
        return (1, item.position, item.name)

    return tuple(item.name for item in sorted(names, key=order))


def export_records(
    live: Iterable[LiveRecord],
    key: str,
    candidates: Sequence[str],
    out: Path,
    *,
    keep_all: bool = False,
    zero_is_empty: frozenset[str] = frozenset(),
) -> RecordExport:
    """Write `out` (CSV: the key, then the fields that carry a value in at least one written record, or every
    candidate with keep_all). Returns what was written; writes nothing when no record qualifies.

    A value carries nothing when it is empty in any form (the zero date included), or "0" in a field named in
    `zero_is_empty` (the vendor's default for integer fields such as AgentRef)."""
    staging = out.with_name(f".{out.name}.staging")
    phones = [name for name in candidates if name.casefold() in _PHONES]
    used = [keep_all] * len(candidates)
    zero = [name in zero_is_empty for name in candidates]
    result = RecordExport()
    seen: set[str] = set()
    try:
        with staging.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            for record in live:
                reason = _refusal(record, seen, phones)
                if record.key:
                    seen.add(record.key)
                if reason is not None:
                    result.skipped[reason] += 1
                    continue
                values = [_text(record.values.get(name, "")) for name in candidates]
                for index, value in enumerate(values):
                    if value and not (zero[index] and value.strip() == "0"):
                        used[index] = True
                writer.writerow([record.key, *values])
                result.rows += 1
        columns = [index for index, flag in enumerate(used) if flag]
        result.fields = tuple(candidates[index] for index in columns)
        if result.rows and any(name.casefold() in _PHONES for name in result.fields):
            _project(staging, out, key, result.fields, columns)
        else:
            result.rows = 0
    finally:
        staging.unlink(missing_ok=True)
    logger.debug("exported %d records to %s", result.rows, out.name)
    return result


def _refusal(record: LiveRecord, seen: set[str], phones: Sequence[str]) -> str | None:
    if not record.key.strip():
        return "no key"
    if record.key in seen:
        return "duplicate key"
    texts = [record.values.get(name, "") for name in phones]
    if not any(text.strip() for text in texts):
        return "no phone"
    if any(
        text.strip() and _PHONE.fullmatch(_PHONE_SEPARATORS.sub("", text.strip())) is None for text in texts
    ):
        return "not a phone number"
    return None


_ZERO_DATES = frozenset({"0000-00-00 00:00:00", "0000-00-00"})


def _text(value: str) -> str:
    """The live value as the source will hold it: as the vendor wrote it, but "" for a blank value and for the
    vendor's zero date (its way of writing "no date"), which the diff treats as the same value. Any other value
    is kept as written, even one the diff would compare as empty (a text "00:00:00")."""
    return "" if not value.strip() or value.strip() in _ZERO_DATES else value


def _project(staging: Path, out: Path, key: str, fields: Sequence[str], columns: Sequence[int]) -> None:
    temporary = out.with_name(f".{out.name}.partial")
    with (
        staging.open(newline="", encoding="utf-8") as source,
        temporary.open("w", newline="", encoding="utf-8") as target,
    ):
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow([key, *fields])
        for row in csv.reader(source):
            writer.writerow([row[0], *(row[index + 1] for index in columns)])
    os.replace(temporary, out)
