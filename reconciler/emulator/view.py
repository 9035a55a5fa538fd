"""What tests and benchmarks see of the emulator's store, and the out-of-band changes they make to it, without
its SQL: the emulator owns its schema, so a test says what it wants ("the one dataset", "set this record's
FirstName") and this module says how the tables hold it.

    view = state.view                                   # StoreView(state.store)
    view.dataset(description="Spring 2026").status      # "HOLD"
    view.set_dataset(view.dataset(), priority=77)       # the dialler's admin, out of band
    view.records()                                      # [{"id": "1", "VENDOR_URN": "U000", ...}, ...]
    view.members(125)                                   # [Member(customer=10000001, status=0, ...), ...]

Reads give what is stored now: records as dicts of every field as text (exactly the JSON object a records read
serves), datasets and members as small frozen values. Writes go straight to the store, as a change made in the
vendor's own screens would: no request is logged and no fault applies. Each method takes the store's lock.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .contactnow_fields import STANDARD_FIELDS
from .store import RECORD_TEXT_COLUMNS, Store

_BATCH = 50_000
"""Rows per write transaction of a bulk insert (a single huge one would grow the WAL file without end)."""

_DEFAULTS: dict[str, str] = {
    name: next((field.default for field in STANDARD_FIELDS if field.name == name), "")
    for name in RECORD_TEXT_COLUMNS
}
"""Each standard text field's value in a record that does not set it, as the API's create leaves it."""

_DATASET_COLUMNS = {
    "description": "description",
    "status": "d_status",
    "priority": "d_priority",
    "queue": "qid",
}
_MEMBER_COLUMNS = ("status", "schedule", "status_code", "disposition_code", "ext_trans_data")
_CAMPAIGN_COLUMNS = {
    "name": "name",
    "status": "status",
    "enabled": "enabled",
    "start": "start_time",
    "end": "end_time",
}


@dataclass(frozen=True)
class Dataset:
    """A ContactNow dataset as stored (the `ecnow_datasets` fields a manifest manages)."""

    id: int
    table: str
    """The campaign table (`import_table`)."""
    description: str
    status: str
    """HOLD, LIVE or EXPIRED (`d_status`)."""
    priority: int
    """`d_priority`."""
    queue: int
    """The qid (0 for none)."""


@dataclass(frozen=True)
class Member:
    """A member of a Contact Center campaign as stored; the defaults are those of a member just added."""

    customer: int
    status: int = 0
    """0 new, 1 queued, 2 accepted, 3 completed, 4 scheduled."""
    schedule: str | None = None
    """The schedule-date-time it was added with, as given."""
    status_code: int = 0
    disposition_code: int = 1000
    ext_trans_data: str = ""


class StoreView:
    """Reads and out-of-band writes of an emulator store, in the terms of the vendor APIs."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- ContactNow datasets --------------------------------------------------------------------------------

    def datasets(self) -> list[Dataset]:
        """Every dataset, by id."""
        rows = self._store.execute(
            "SELECT dataset, import_table, description, d_status, d_priority, qid FROM cn_datasets ORDER BY dataset"
        )
        return [Dataset(int(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), int(r[5])) for r in rows]

    def dataset(self, description: str | None = None) -> Dataset:
        """The one dataset with this description (with None: the one dataset there is).

        Raises LookupError when there is none or more than one, so that a test never acts on the wrong one.
        """
        found = [d for d in self.datasets() if description is None or d.description == description]
        if len(found) != 1:
            which = "datasets" if description is None else f"datasets described {description!r}"
            raise LookupError(f"{len(found)} {which}, not exactly one")
        return found[0]

    def add_dataset(
        self,
        table: str,
        description: str = "",
        *,
        status: str = "HOLD",
        priority: int = 0,
        queue: int = 0,
        id: int | None = None,
    ) -> int:
        """Store a new dataset of campaign table `table`; returns its id (`id`, or the next one)."""
        with self._store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO cn_datasets(dataset, import_table, description, d_status, d_priority, qid)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (id, table, description, status, priority, queue),
            )
            return int(cursor.lastrowid or 0)

    def set_dataset(
        self,
        dataset: Dataset | int,
        *,
        description: str | None = None,
        status: str | None = None,
        priority: int | None = None,
        queue: int | None = None,
    ) -> None:
        """Change the given settings of one dataset."""
        given = {"description": description, "status": status, "priority": priority, "queue": queue}
        self._update("cn_datasets", _changes(given, _DATASET_COLUMNS), "dataset = ?", (_dataset_id(dataset),))

    # -- ContactNow records ---------------------------------------------------------------------------------

    def records(self, dataset: Dataset | int | None = None) -> list[dict[str, str]]:
        """The records of one dataset (or of every dataset), by id: each the JSON object a records read serves,
        every standard field and then the custom fields of its campaign table, all as text."""
        where, params = _in_dataset(dataset, "r.")
        rows = self._store.execute(
            f"SELECT d.doc FROM cn_records r JOIN cn_record_docs d ON d.record_id = r.id{where} ORDER BY r.id",
            params,
        )
        return [json.loads(row[0]) for row in rows]

    def record_keys(self, dataset: Dataset | int | None = None) -> list[str]:
        """The VENDOR_URN of each record of one dataset (or of every dataset), by id; duplicates included."""
        where, params = _in_dataset(dataset)
        rows = self._store.execute(f"SELECT VENDOR_URN FROM cn_records{where} ORDER BY id", params)
        return [str(row[0]) for row in rows]

    def add_records(
        self, dataset: Dataset | int, rows: Iterable[Mapping[str, str]], *, created: float = 0.0
    ) -> int:
        """Store records in `dataset` as they are given, without the API's checks; returns how many.

        A row maps field names to text: standard fields (and `id`, to choose it), and the custom fields of the
        dataset's campaign table. A standard field a row leaves out gets the value the API's create would give
        it (callback and ProcessDate `0000-00-00 00:00:00`, AgentRef `0`, the rest empty); ProcessType and
        loaddate are not derived. `created` (seconds since the epoch) decides what the read lag hides: the
        default, long ago, hides nothing. Large iterables are written in several transactions.
        """
        number = _dataset_id(dataset)
        found = self._store.execute("SELECT import_table FROM cn_datasets WHERE dataset = ?", (number,))
        if not found:
            raise LookupError(f"no dataset {number}")
        table = str(found[0][0])
        custom_names = {
            str(row[0])
            for row in self._store.execute(
                "SELECT name FROM cn_fields WHERE table_name = ? AND standard_field = 0", (table,)
            )
        }
        columns = ("id", "datasetid", "import_table", "created", *RECORD_TEXT_COLUMNS, "custom")
        quoted = ", ".join(f'"{column}"' for column in columns)
        sql = f"INSERT INTO cn_records({quoted}) VALUES ({', '.join('?' * len(columns))})"

        def values(row: Mapping[str, str]) -> tuple[Any, ...]:
            standard = dict(_DEFAULTS)
            custom: dict[str, str] = {}
            for name, value in row.items():
                if name in standard:
                    standard[name] = value
                elif name in custom_names:
                    if value != "":
                        custom[name] = value
                elif name != "id":
                    raise ValueError(f"{name} is not a field of campaign table {table}")
            text = json.dumps(custom, ensure_ascii=False, separators=(",", ":")) if custom else ""
            return (row.get("id"), number, table, created, *standard.values(), text)

        count = 0
        for batch in _batches(map(values, rows)):
            with self._store.transaction() as conn:
                conn.executemany(sql, batch)
            count += len(batch)
        return count

    def set_records(self, *keys: str, **fields: str) -> int:
        """Set standard `fields` of the records whose VENDOR_URN is one of `keys` (with no key: of every record);
        returns how many records there were. A VENDOR_URN among the fields re-keys them."""
        unknown = sorted(set(fields) - set(RECORD_TEXT_COLUMNS))
        if unknown:
            raise ValueError(f"not standard record fields: {', '.join(unknown)}")
        where, params = (
            ("", []) if not keys else (f"VENDOR_URN IN ({', '.join('?' * len(keys))})", list(keys))
        )
        return self._update("cn_records", fields, where, params)

    # -- ContactNow settings --------------------------------------------------------------------------------

    def set_field(self, table: str, name: str, *, size: int) -> None:
        """Change the size (characters) of one field of a campaign table."""
        self._update("cn_fields", {"size": size}, "table_name = ? AND name = ?", (table, name))

    def outcomes(self) -> dict[str, bool]:
        """Each outcome code (as text, the way records hold it) and whether it completes a record."""
        rows = self._store.execute("SELECT outcome, complete FROM cn_outcomes ORDER BY outcome")
        return {str(outcome): complete == "Y" for outcome, complete in rows}

    def add_user(self, username: str, password: str, account_id: str) -> None:
        self._store.execute(
            "INSERT INTO cn_users(username, password, account_id) VALUES (?, ?, ?)",
            (username, password, account_id),
        )

    def remove_user(self, username: str) -> None:
        self._store.execute("DELETE FROM cn_users WHERE username = ?", (username,))

    def tokens(self) -> list[str]:
        """Every ContactNow token the emulator holds (issued, or added), expired or not."""
        return [str(row[0]) for row in self._store.execute("SELECT token FROM cn_tokens ORDER BY token")]

    def add_token(self, token: str, username: str, expire: float, addresses: str = "127.0.0.1") -> None:
        """A token issued before the test, valid until `expire` (seconds since the epoch) from `addresses`."""
        self._store.execute(
            "INSERT INTO cn_tokens(token, username, expire, addresses) VALUES (?, ?, ?, ?)",
            (token, username, expire, addresses),
        )

    def remove_tokens(self) -> None:
        """Forget every token: the next request with one is refused, as after the vendor revokes them."""
        self._store.execute("DELETE FROM cn_tokens")

    # -- Contact Center -------------------------------------------------------------------------------------

    def members(self, campaign: int) -> list[Member]:
        """The members of one campaign, in the order records.json serves them (the order they were added)."""
        rows = self._store.execute(
            f"SELECT customer_id, {', '.join(_MEMBER_COLUMNS)} FROM cc_members WHERE campaign_id = ? ORDER BY seq",
            (campaign,),
        )
        return [Member(int(r[0]), int(r[1]), r[2], int(r[3]), int(r[4]), str(r[5])) for r in rows]

    def add_members(self, campaign: int, members: Iterable[Member]) -> int:
        """Append members to a campaign, after those it has, without the API's checks; returns how many."""
        with self._store.lock:
            found = self._store.execute(
                "SELECT coalesce(max(seq), 0) FROM cc_members WHERE campaign_id = ?", (campaign,)
            )
            seq = itertools.count(int(found[0][0]) + 1)
            sql = (
                f"INSERT INTO cc_members(campaign_id, customer_id, {', '.join(_MEMBER_COLUMNS)}, seq)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            )
            rows = (
                (
                    campaign,
                    m.customer,
                    m.status,
                    m.schedule,
                    m.status_code,
                    m.disposition_code,
                    m.ext_trans_data,
                )
                for m in members
            )
            count = 0
            for batch in _batches((*row, next(seq)) for row in rows):
                with self._store.transaction() as conn:
                    conn.executemany(sql, batch)
                count += len(batch)
            return count

    def set_member(
        self,
        campaign: int,
        customer: int,
        *,
        status: int | None = None,
        status_code: int | None = None,
        disposition_code: int | None = None,
        ext_trans_data: str | None = None,
    ) -> None:
        """Change what the dialler keeps about one member (as a dialling attempt would)."""
        given = {
            "status": status,
            "status_code": status_code,
            "disposition_code": disposition_code,
            "ext_trans_data": ext_trans_data,
        }
        self._update(
            "cc_members", _changes(given), "campaign_id = ? AND customer_id = ?", (campaign, customer)
        )

    def add_campaign(
        self,
        campaign: int,
        name: str,
        *,
        status: int = 4,
        start: str | None = None,
        end: str | None = None,
        dynamic: bool = True,
        enabled: bool = True,
        caller_id: str = "",
        daily: tuple[str, str, str] = ("", "", ""),
    ) -> None:
        """A new campaign (status 4: running); `start` and `end` are ISO 8601 times with an offset, or None;
        `caller_id` is the number it presents ("": none, and the read leaves `caller-id` out); `daily` its
        (daily-start-time, daily-end-time, timezone), e.g. ("09:00", "20:00", "EST5EST")."""
        self._store.execute(
            "INSERT INTO cc_campaigns(id, name, dynamic, enabled, status, start_time, end_time, caller_id,"
            " daily_start, daily_end, timezone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (campaign, name, _yes_no(dynamic), _yes_no(enabled), status, start, end, caller_id, *daily),
        )

    def campaign_status(self, campaign: int) -> int:
        """The status code of one campaign."""
        [(status,)] = self._store.execute("SELECT status FROM cc_campaigns WHERE id = ?", (campaign,))
        return int(status)

    def set_campaign(
        self,
        campaign: int,
        *,
        name: str | None = None,
        status: int | None = None,
        enabled: bool | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> None:
        """Change the given settings of one campaign."""
        flag = None if enabled is None else _yes_no(enabled)
        given = {"name": name, "status": status, "enabled": flag, "start": start, "end": end}
        self._update("cc_campaigns", _changes(given, _CAMPAIGN_COLUMNS), "id = ?", (campaign,))

    def add_customers(self, customers: Iterable[tuple[int, str]]) -> int:
        """Put (customer id, phone) in the CRM, replacing a customer with the same id; returns how many."""
        count = 0
        for batch in _batches(iter(customers)):
            with self._store.transaction() as conn:
                conn.executemany("INSERT OR REPLACE INTO crm_customers(id, phone) VALUES (?, ?)", batch)
            count += len(batch)
        return count

    def add_tenant(self, name: str, token: str) -> None:
        self._store.execute("INSERT INTO cc_tenants(name, token) VALUES (?, ?)", (name, token))

    def remove_tenant(self, name: str) -> None:
        self._store.execute("DELETE FROM cc_tenants WHERE name = ?", (name,))

    # -- helpers --------------------------------------------------------------------------------------------

    def _update(self, table: str, changes: Mapping[str, object], where: str, params: Iterable[object]) -> int:
        """UPDATE `table` SET `changes` [WHERE `where`]; returns the rows matched. Nothing to change is an error."""
        if not changes:
            raise ValueError("nothing to change")
        assignments = ", ".join(f'"{column}" = ?' for column in changes)
        condition = f" WHERE {where}" if where else ""
        with self._store.lock:
            cursor = self._store.conn.execute(
                f"UPDATE {table} SET {assignments}{condition}", (*changes.values(), *params)
            )
            return int(cursor.rowcount)


def _changes(given: Mapping[str, object], columns: Mapping[str, str] | None = None) -> dict[str, object]:
    """The column and value of each argument given (not None); columns maps argument names to column names."""
    return {
        name if columns is None else columns[name]: value
        for name, value in given.items()
        if value is not None
    }


def _dataset_id(dataset: Dataset | int) -> int:
    return dataset.id if isinstance(dataset, Dataset) else dataset


def _in_dataset(dataset: Dataset | int | None, prefix: str = "") -> tuple[str, tuple[int, ...]]:
    if dataset is None:
        return "", ()
    return f" WHERE {prefix}datasetid = ?", (_dataset_id(dataset),)


def _yes_no(flag: bool) -> str:
    return "Y" if flag else "N"


def _batches(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    while batch := list(itertools.islice(rows, _BATCH)):
        yield batch
