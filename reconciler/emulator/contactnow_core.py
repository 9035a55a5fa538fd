"""What every ContactNow handler shares: request arguments, the call context, errors and result shapes.

A handler is a plain synchronous function `(call, rows) -> Envelope | Listing`. It raises `ApiFailure` for a
whole-request error (`{"success": false, "error": ...}`) and `RowError` inside its per-row loop for one bad
row. `contactnow.py` renders either result as JSON or XML.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .contactnow_fields import STANDARD_NAMES
from .state import EmulatorState
from .store import Params, Store

Scalar = str | int | float | bool
Envelope = dict[str, Scalar]
"""A response envelope in output order: success, account_id, total, bad, key, info, error, ..."""
Row = dict[str, str]
Query = Callable[[str, Params], list[tuple[Any, ...]]]

MAX_ROWS = 1000


class ApiFailure(Exception):
    """The whole request fails: `success` false with this `error` (plus `extra` fields, in order)."""

    def __init__(self, message: str, **extra: Scalar) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def envelope(self) -> Envelope:
        return {"success": False, "error": self.message, **self.extra}


class RowError(Exception):
    """One row of a write is refused; the others go on."""


class Args:
    """Request arguments: query parameters, then POSTed form fields (a form field wins, like $_REQUEST)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.pairs = list(pairs)
        self._last: dict[str, str] = {}
        for key, value in self.pairs:
            self._last[key] = value

    def get(self, name: str) -> str | None:
        return self._last.get(name)

    def text(self, name: str) -> str:
        """The argument, or "" when it is absent."""
        return self._last.get(name, "")

    def bracketed(self, name: str) -> list[tuple[str, str]]:
        """`name[key]=value` arguments as (key, value), in order (PHP array syntax)."""
        prefix = f"{name}["
        return [
            (key[len(prefix) : -1], value)
            for key, value in self.pairs
            if key.startswith(prefix) and key.endswith("]")
        ]


def _no_commit() -> None:
    return None


@dataclass
class Call:
    """One authenticated API call as a handler sees it."""

    state: EmulatorState
    args: Args
    ip: str
    now: float
    account_id: str = ""
    mark_committed: Callable[[], None] = _no_commit
    """Tell the request log (and commit-then-fail faults) that this call's write is stored."""

    @property
    def store(self) -> Store:
        return self.state.store

    def today(self) -> str:
        return time.strftime("%Y-%m-%d", time.gmtime(self.now))

    def timestamp(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.now))


@dataclass
class Listing:
    """A read result: `total`, then rows as `<element>` in XML; `chunks` may stream from the database."""

    element: str
    total: int
    chunks: Iterator[list[Row]]
    streaming: bool = False
    close: Callable[[], None] = field(default=_no_commit)
    json_chunks: Iterator[bytes] | None = None
    """The same rows already encoded as compact JSON objects joined by commas (UTF-8, one bytes per chunk), when
    the source can produce them faster than `chunks`; a renderer iterates one of the two, never both."""


def small_listing(element: str, rows: list[Row]) -> Listing:
    return Listing(element, len(rows), iter([rows]))


def write_envelope(
    call: Call,
    total: int,
    bad: int,
    *,
    key: int | None = None,
    info: str | None = None,
    error: str | None = None,
) -> Envelope:
    """The envelope of a create/update: success true even when some rows are bad (first error kept)."""
    env: Envelope = {"success": True, "account_id": call.account_id, "total": total, "bad": bad}
    if key is not None:
        env["key"] = key
    if info:
        env["info"] = info
    if error:
        env["error"] = error
    return env


def write_rows(
    call: Call, rows: Sequence[Row], write: Callable[[sqlite3.Connection, dict[str, str]], int | None]
) -> Envelope:
    """A write of rows in one transaction: `write` stores one row (its keys lower-cased) and returns its new key,
    if it has one, or raises RowError to refuse it; the others go on. The envelope counts them, keeps the first
    refusal's reason and the last key."""
    total = bad = 0
    key: int | None = None
    first_error: str | None = None
    with call.store.transaction() as conn:
        for raw in rows:
            try:
                made = write(conn, lower_keys(raw))
            except RowError as exc:
                bad += 1
                first_error = first_error or str(exc)
                continue
            key = made if made is not None else key
            total += 1
    if total:
        call.mark_committed()
    return write_envelope(call, total, bad, key=key, error=first_error)


def conn_query(conn: sqlite3.Connection) -> Query:
    def run(sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        return list(conn.execute(sql, params).fetchall())

    return run


def as_text(value: Any) -> str:
    """A request value as the vendor stores it: None is empty, booleans 1/0, numbers in plain form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def lower_keys(row: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in row.items()}


def parse_int(value: str) -> int | None:
    text = value.strip()
    if not text or not (text.isdigit() or (text[0] == "-" and text[1:].isdigit())):
        return None
    return int(text)


@dataclass(frozen=True)
class FieldInfo:
    name: str
    size: int
    type: str
    standard: bool


@dataclass(frozen=True)
class TableInfo:
    """A campaign table and its fields (standard first, then custom, in position order)."""

    name: str
    campaign: int
    fields: tuple[FieldInfo, ...]

    @property
    def by_lower(self) -> dict[str, FieldInfo]:
        return {f.name.lower(): f for f in self.fields}

    @property
    def custom(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.name.lower() not in STANDARD_NAMES)


def load_table(query: Query, name: str) -> TableInfo | None:
    """The campaign table `name` (matched case-insensitively), or None."""
    found = query("SELECT name, campaign FROM cn_tables WHERE name = ?", (name,))
    if not found:
        return None
    table_name, campaign = str(found[0][0]), int(found[0][1])
    rows = query(
        "SELECT name, size, type, standard_field FROM cn_fields WHERE table_name = ? ORDER BY position",
        (table_name,),
    )
    fields = tuple(FieldInfo(str(n), int(s), str(t), bool(sf)) for n, s, t, sf in rows)
    return TableInfo(table_name, campaign, fields)
