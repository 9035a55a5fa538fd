"""What the ContactNow record writes (contactnow_creates, and update in contactnow_records) share: the answers'
info texts, the per-request context of datasets, tables and outcome codes, and a row's fields split into
standard columns and custom values."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .contactnow_core import MAX_ROWS, ApiFailure, Query, Row, RowError, TableInfo, load_table, parse_int
from .contactnow_fields import STANDARD_FIELDS
from .store import RECORD_TEXT_COLUMNS

INFO_LIVE = "Record is LIVE on the dialer."
INFO_NOT_LIVE = "Record NOT live on the dialer."
INFO_COMPLETE = "Record is NOT live on the dialer due having a complete outcome."

NEW_PROSPECT = "New Prospect"
NEEDSMOREWORK = "NEEDSMOREWORK"
COMPLETE = "COMPLETE"
EXPIRED = "EXPIRED"

TEXT_INDEX = {name: i for i, name in enumerate(RECORD_TEXT_COLUMNS)}
TEXT_DEFAULTS = tuple(
    next((f.default for f in STANDARD_FIELDS if f.name == name), "") for name in RECORD_TEXT_COLUMNS
)
DATASET_KEYS = frozenset({"dataset", "datasetid"})
"""The members that name a row's dataset (in lower case)."""
IGNORED_ON_WRITE = frozenset({"id", "processtype", "loaddate"})
"""Fields the system maintains; a write naming them is accepted and the value ignored."""


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_encode_custom = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""A record's custom values as `cn_records.custom` holds them (one encoder, not one per row)."""


class WriteContext:
    """Per-request caches of datasets, tables and outcome codes, read through `query`, or taken from `known` (a
    context of an earlier request) before that."""

    def __init__(self, query: Query, known: WriteContext | None = None) -> None:
        self._query = query
        self._known = known
        self._datasets: dict[int, tuple[str, str] | None] = {}
        self._tables: dict[str, TableInfo] = {}
        self._lookups: dict[str, dict[str, Any]] = {}
        self._complete: dict[str, bool] = {}

    def dataset(self, dataset: int) -> tuple[str, str] | None:
        """(d_status, import_table) of a dataset, or None."""
        if dataset not in self._datasets and self._known is not None and dataset in self._known._datasets:
            self._datasets[dataset] = self._known._datasets[dataset]
        if dataset not in self._datasets:
            found = self._query(
                "SELECT d_status, import_table FROM cn_datasets WHERE dataset = ?", (dataset,)
            )
            self._datasets[dataset] = None if not found else (str(found[0][0]), str(found[0][1]))
        return self._datasets[dataset]

    def table(self, name: str) -> tuple[TableInfo, dict[str, Any]]:
        if name not in self._tables and self._known is not None and name in self._known._tables:
            self._tables[name] = self._known._tables[name]
            self._lookups[name] = self._known._lookups[name]
        if name not in self._tables:
            table = load_table(self._query, name)
            if table is None:  # a dataset always names an existing table
                raise RowError(f"Unknown campaign table [{name}]")
            self._tables[name] = table
            self._lookups[name] = table.by_lower
        return self._tables[name], self._lookups[name]

    def is_complete(self, outcome: str) -> bool:
        if outcome not in self._complete:
            code = parse_int(outcome)
            found = (
                self._query("SELECT complete FROM cn_outcomes WHERE outcome = ?", (code,))
                if code is not None
                else []
            )
            self._complete[outcome] = bool(found) and found[0][0] == "Y"
        return self._complete[outcome]

    def agrees_with(self, other: WriteContext) -> bool:
        """Whether every dataset and table looked up here reads the same through `other`."""
        if any(other.dataset(dataset) != found for dataset, found in self._datasets.items()):
            return False
        try:
            return all(other.table(name)[0] == table for name, table in self._tables.items())
        except RowError:
            return False


def split_fields(row: Row, lookup: dict[str, Any]) -> tuple[dict[str, str], dict[str, str], str | None]:
    """Split a row into (standard column values, custom values, notes_append); RowError on a bad field."""
    standard: dict[str, str] = {}
    custom: dict[str, str] = {}
    append: str | None = None
    for key, value in row.items():
        lowered = key.lower()
        if lowered in DATASET_KEYS or lowered in IGNORED_ON_WRITE:
            continue
        if lowered == "notes_append":
            append = value
            continue
        field = lookup.get(lowered)
        if field is None:
            raise RowError(f"Unknown field [{key}]")
        if len(value) > field.size:
            raise RowError(f"Value too long for field [{field.name}]")
        if field.standard:
            standard[field.name] = value
        else:
            custom[field.name] = value
    return standard, custom, append


def dataset_of(row: Row) -> str | None:
    for key, value in row.items():
        if key.lower() in DATASET_KEYS:
            return value
    return None


def append_note(notes: str, append: str | None) -> str:
    if not append:
        return notes
    return f"{notes}\n{append}" if notes else append


def encode_custom(custom: dict[str, str]) -> str:
    kept = {k: v for k, v in custom.items() if v != ""}
    return _encode_custom(kept) if kept else ""


def check_rows(rows: Sequence[Row]) -> None:
    if len(rows) > MAX_ROWS:
        raise ApiFailure(f"Too many rows [{len(rows)}], maximum is {MAX_ROWS}")
