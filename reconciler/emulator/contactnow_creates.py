"""ContactNow ecnow_records create: the rows of a request laid out as `cn_records` inserts and docs, and stored in
one transaction. A create writes the docs of its records itself (_DocFormat), byte for byte what the store's
trigger would write (store.record_doc_sql)."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from json.encoder import encode_basestring
from operator import gt, itemgetter
from typing import Any

from .contactnow_core import (
    Call,
    Envelope,
    Row,
    RowError,
    TableInfo,
    conn_query,
    parse_int,
    write_envelope,
)
from .contactnow_datasets import HOLD_PREFIX
from .contactnow_fields import PHONE_FIELDS, STANDARD_FIELDS
from .contactnow_rows import (
    DATASET_KEYS,
    EXPIRED,
    IGNORED_ON_WRITE,
    INFO_LIVE,
    INFO_NOT_LIVE,
    NEW_PROSPECT,
    TEXT_DEFAULTS,
    TEXT_INDEX,
    WriteContext,
    append_note,
    check_rows,
    encode_custom,
    quote_name,
    split_fields,
)
from .store import RECORD_TEXT_COLUMNS, Params, Store, deferred_docs

__all__ = ["create_records"]


def _insert_sql(columns: Sequence[str]) -> str:
    """The insert of a record's id, dataset, table, creation time and then `columns`."""
    names = ("id", "datasetid", "import_table", "created", *columns)
    return (
        f"INSERT INTO cn_records({', '.join(map(quote_name, names))}) VALUES ({', '.join('?' * len(names))})"
    )


_INSERT_SQL = _insert_sql((*RECORD_TEXT_COLUMNS, "custom"))
_INSERT_DOC_SQL = "INSERT OR REPLACE INTO cn_record_docs(record_id, doc) VALUES (?, ?)"
_json_string: Callable[[str], str] = encode_basestring
"""A JSON string as the encoder of `custom` texts (contactnow_rows.encode_custom) writes one (non-ASCII
kept)."""


_DOC_STANDARD = tuple(f.name for f in STANDARD_FIELDS if f.name != "id")
"""The standard members of a record's doc after its `id`, in doc order (store.record_doc_sql)."""


@dataclass(frozen=True)
class _DocFormat:
    """A campaign table's record docs as the create handler writes them itself, byte for byte what
    store.record_doc_sql computes: the insert trigger that would compute them is deferred (store.deferred_docs),
    as it cost 11 us of a 1,000-row create's ~35 us a record. Every value is a JSON string from
    encode_basestring, which escapes exactly as SQLite's json_quote() does (test_record_docs.py holds it to
    that, with hostile text, but for a NUL in a custom value: _NUL); ids and dataset ids are written as
    record_doc_sql's CAST writes them."""

    custom: tuple[str, ...]
    """The table's custom fields in position order."""
    parts: tuple[str, ...]
    """The text of a doc after its id, around its values: `","URN":`, the URN's JSON value, and so on (the
    values' places empty), `}` last. A doc's tail is this with the values put in, joined: a quarter of the CPU
    of a `%` template with as many `%s`."""

    @classmethod
    def of(cls, table: TableInfo) -> _DocFormat | None:
        """The format of `table`'s docs; None when a custom field's name is not an identifier (SQL could have
        made one): record_doc_sql's JSON path would not find `"` or `\\` in a key, so the trigger writes
        those."""
        custom = tuple(f.name for f in table.fields if not f.standard)
        if not all(name.isidentifier() for name in custom):
            return None
        keys = [
            f'","{_DOC_STANDARD[0]}":',
            *(f",{_json_string(name)}:" for name in (*_DOC_STANDARD[1:], *custom)),
        ]
        return cls(custom, (*(part for key in keys for part in (key, "")), "}"))

    def tail(self, members: tuple[str, ...]) -> str:
        """The doc of a record after its id (`doc` puts the id before it), from its members' JSON values,
        _DOC_STANDARD then `custom`."""
        parts = list(self.parts)
        parts[1:-1:2] = members
        return "".join(parts)

    def tails(self, members: Sequence[Sequence[str]], count: int) -> list[str]:
        """`tail` of `count` records at once, from their members' JSON values a column per member: joined by
        C-level zips, with no Python step per record."""
        columns: list[Iterable[str]] = []
        for key, column in zip(self.parts[0:-1:2], members, strict=True):
            columns += [repeat(key, count), column]
        columns.append(repeat(self.parts[-1], count))
        return list(map("".join, zip(*columns, strict=True)))

    @staticmethod
    def doc(record_id: int, tail: str) -> str:
        """The doc of record `record_id` whose doc after the id is `tail`."""
        return f'{{"id":"{record_id}{tail}'

    def members(self, dataset: int, text: Sequence[str], custom: dict[str, str]) -> tuple[str, ...]:
        """The members' JSON values of a record: its RECORD_TEXT_COLUMNS values and custom values."""
        standard = (
            f'"{dataset}"' if name == "datasetid" else _json_string(text[TEXT_INDEX[name]])
            for name in _DOC_STANDARD
        )
        return (*standard, *(_json_string(custom.get(name, "")) for name in self.custom))


_NUL = "\\u0000"
"""A NUL character in the `custom` text (or a backslash before `u0000`): json_extract() ends a value at a NUL
(SQLite 3.40), so record_doc_sql cuts such a custom value short there; the trigger writes the docs of a request
that holds one, whatever the SQLite version does."""


class _Unknown(Exception):
    """What a create's layout before its transaction needs was not known (create_records)."""


def _unknown(sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
    raise _Unknown


_NO_LIMIT = 1 << 62
"""The size of a row member a create does not store (the dataset, a system-maintained field): never too long."""
_Insert = tuple[str, tuple[Any, ...]]
"""An insert statement and the values of one record for it."""


@dataclass(frozen=True)
class _Layout:
    """How the rows of one shape (their field names, in order) become `cn_records` values in one table, for a
    dataset of one status: made once per request, then applied to each row by C-level lookups."""

    sizes: tuple[int, ...]
    """The longest value each row member may hold, in row order."""
    sql: str
    """The insert of a record: its text columns that the rows give or that are not empty by default, then
    `custom` if the rows give custom fields. The others are left to their column default, '': binding ~15
    empty values a row cost 1.5 us of a 1,000-row insert's ~10 us a record."""
    text: Callable[[tuple[str, ...]], tuple[str, ...]]
    """(row values + `tail`) -> the values of `sql`'s text columns (but `custom`)."""
    phones: Callable[[tuple[str, ...]], tuple[str, ...]]
    """(row values + `tail`) -> the record's phone numbers."""
    tail: tuple[str, ...]
    """The defaults of the text columns, then ProcessType and loaddate."""
    custom: tuple[tuple[str, int], ...]
    """(custom field name as a JSON key with its colon, row position), in row order: `custom` is written as
    contactnow_rows.encode_custom writes it, member by member."""
    doc: Callable[[tuple[str, ...]], tuple[str, ...]] | None
    """(the row values as JSON strings + `doc_tail`) -> the members of the record's doc (_DocFormat); None when
    the table's docs are left to the trigger."""
    doc_tail: tuple[str, ...]
    """The JSON values of the doc members the rows do not give: the dataset id, defaults, custom fields."""
    text_at: tuple[int, ...]
    phones_at: tuple[int, ...]
    doc_at: tuple[int, ...]
    """The positions `text`, `phones` and `doc` take, for rows laid out a column at a time (_Block)."""

    @classmethod
    def of(
        cls,
        keys: tuple[str, ...],
        lookup: dict[str, Any],
        target: tuple[int, str, str],
        docs: _DocFormat | None,
    ) -> _Layout | None:
        """The layout of rows named `keys` for `target` (dataset, ProcessType, loaddate); None when a row of
        them needs the row-by-row path: a field the table lacks (its error names the first bad member), two
        names of one field, or `notes_append`."""
        dataset, process_type, loaddate = target
        sizes: list[int] = []
        standard: dict[str, int] = {}
        custom: dict[str, int] = {}
        for position, key in enumerate(keys):
            lowered = key.lower()
            if lowered in DATASET_KEYS or lowered in IGNORED_ON_WRITE:
                sizes.append(_NO_LIMIT)
                continue
            field = lookup.get(lowered)
            if field is None or lowered == "notes_append" or field.name in standard or field.name in custom:
                return None
            (standard if field.standard else custom)[field.name] = position
            sizes.append(field.size)
        width = len(keys)
        indexes = [standard.get(name, width + i) for i, name in enumerate(RECORD_TEXT_COLUMNS)]
        indexes[TEXT_INDEX["ProcessType"]] = width + len(TEXT_DEFAULTS)
        indexes[TEXT_INDEX["loaddate"]] = width + len(TEXT_DEFAULTS) + 1
        tail = (*TEXT_DEFAULTS, process_type, loaddate)
        written = [
            i for i, name in enumerate(RECORD_TEXT_COLUMNS) if indexes[i] < width or tail[indexes[i] - width]
        ]
        columns = [RECORD_TEXT_COLUMNS[i] for i in written] + (["custom"] if custom else [])
        doc: Callable[[tuple[str, ...]], tuple[str, ...]] | None = None
        doc_tail: tuple[str, ...] = ()
        doc_at: tuple[int, ...] = ()
        if docs is not None:  # each member: the row's value if it gives one, else its value in doc_tail
            doc_tail = docs.members(dataset, itemgetter(*indexes)(("",) * width + tail), {})
            given = {**standard, **custom}
            order = (*_DOC_STANDARD, *docs.custom)
            doc_at = tuple(given.get(name, width + i) for i, name in enumerate(order))
            doc = itemgetter(*doc_at)
        text_at = tuple(indexes[i] for i in written)
        phones_at = tuple(indexes[TEXT_INDEX[name]] for name in PHONE_FIELDS)
        return cls(
            tuple(sizes),
            _insert_sql(columns),
            itemgetter(*text_at),
            itemgetter(*phones_at),
            tail,
            tuple((_json_string(name) + ":", position) for name, position in custom.items()),
            doc,
            doc_tail,
            text_at,
            phones_at,
            doc_at,
        )


@dataclass(frozen=True)
class _Target:
    """Where rows of one shape naming one dataset go."""

    dataset: int
    table_name: str
    process_type: str
    live: bool
    layout: _Layout | None
    """None: each row goes the row-by-row way."""
    docs: _DocFormat | None
    """How the handler writes the docs of the table's records; None: the trigger does."""


class _Creates:
    """The rows of one create request turned into `cn_records` inserts. Rows of one shape (the same field
    names in the same order, as a client sends a batch) naming one dataset share a `_Target` and its
    `_Layout`; any other row, and any row that a layout's quick checks refuse, goes the row-by-row way, which
    names its fault. The previous row's shape and dataset are kept: a batch's rows all share them."""

    def __init__(self, call: Call, ctx: WriteContext) -> None:
        self._ctx = ctx
        self._now = call.now
        self._loaddate = call.today()
        self._datasets: dict[str, tuple[int, str, str] | str] = {}
        self._targets: dict[tuple[tuple[str, ...], str], _Target | str] = {}
        self._keys: tuple[str, ...] = ()
        self._at: int | None = None
        self._given: str | None = None
        self._target: _Target | str = ""

    def insert(self, row: Row) -> tuple[_Insert, str | None, bool]:
        """The insert of one row (its values after the record id, which the write puts first), its doc after
        the id (_DocFormat.tail; None: left to the trigger) and whether its dataset is LIVE; RowError for a
        refused row."""
        keys = tuple(row)
        values = tuple(row.values())
        if keys != self._keys:
            self._keys, self._given = keys, None
            self._at = _dataset_at(keys)
        if self._at is None:
            raise RowError("No dataset supplied")
        given = values[self._at]
        if given != self._given:
            self._given = given
            self._target = self._target_for(keys, given)
        target = self._target
        if isinstance(target, str):
            raise RowError(target)
        layout = target.layout
        if layout is None or any(map(gt, map(len, values), layout.sizes)):
            return (*self._row_by_row(row, target), target.live)
        full = values + layout.tail
        if not "".join(layout.phones(full)).strip():  # no phone holds more than spaces
            raise RowError("No phone number supplied")
        encoded = tuple(map(_json_string, values))
        members = [name + encoded[position] for name, position in layout.custom if values[position] != ""]
        custom = "{" + ",".join(members) + "}" if members else ""
        head = (target.dataset, target.table_name, self._now)
        insert = (
            layout.sql,
            (*head, *layout.text(full), custom) if layout.custom else (*head, *layout.text(full)),
        )
        if layout.doc is None or target.docs is None or _NUL in custom:
            return insert, None, target.live
        return insert, target.docs.tail(layout.doc(encoded + layout.doc_tail)), target.live

    def block(self, rows: Sequence[Row]) -> _Block | None:
        """`rows` laid out a column at a time, when every row has the first row's shape, names its dataset and
        passes each check of `insert` as a whole column does (every value short enough, one phone field never
        blank, no NUL in a custom value): what a client's batch is. None otherwise, and `insert` lays them out one
        by one, which names each fault."""
        keys = tuple(rows[0]) if rows else ()
        if not keys or not all(map(keys.__eq__, map(tuple, rows))):
            return None
        at = _dataset_at(keys)
        if at is None:
            return None
        columns: list[tuple[str, ...]] = list(zip(*map(dict.values, rows), strict=True))
        given = columns[at][0]
        if columns[at].count(given) != len(rows):
            return None
        target = self._target_for(keys, given)
        if isinstance(target, str) or target.layout is None or target.docs is None:
            return None
        layout = target.layout
        if layout.doc is None or any(map(gt, [max(map(len, values)) for values in columns], layout.sizes)):
            return None
        count, width = len(rows), len(keys)

        def column(position: int, constants: tuple[str, ...], of: Sequence[Sequence[str]]) -> Sequence[str]:
            return of[position] if position < width else [constants[position - width]] * count

        if not any(all(map(str.strip, column(i, layout.tail, columns))) for i in layout.phones_at):
            return None
        encoded: list[Sequence[str]] = [
            list(map(_json_string, values)) if i != at else () for i, values in enumerate(columns)
        ]
        head: list[Sequence[Any]] = [
            [target.dataset] * count,
            [target.table_name] * count,
            [self._now] * count,
        ]
        text = [column(i, layout.tail, columns) for i in layout.text_at]
        if layout.custom:
            if all(all(columns[i]) for _, i in layout.custom):  # every member in every record, in one join
                parts: list[Iterable[str]] = []
                for separator, (name, i) in zip(chain("{", repeat(",")), layout.custom, strict=False):
                    parts += [repeat(separator + name, count), encoded[i]]
                custom = list(map("".join, zip(*parts, repeat("}", count), strict=True)))
            else:
                members = zip(
                    *(zip(repeat(name), columns[i], encoded[i], strict=False) for name, i in layout.custom),
                    strict=True,
                )
                custom = list(map(_custom_members, members))
            if any(_NUL in value for value in custom):
                return None
            text.append(custom)
        tails = target.docs.tails([column(i, layout.doc_tail, encoded) for i in layout.doc_at], count)
        return _Block(layout.sql, [*head, *text], tails, target.live)

    def _target_for(self, keys: tuple[str, ...], given: str) -> _Target | str:
        """Where rows named `keys` naming dataset `given` go, or why they are refused (worked out once)."""
        found = self._targets.get((keys, given))
        if found is None:
            found = self._targets[(keys, given)] = self._target_of(keys, given)
        return found

    def _target_of(self, keys: tuple[str, ...], given: str) -> _Target | str:
        found = self._dataset(given)
        if isinstance(found, str):
            return found
        dataset, status, table_name = found
        process_type = (HOLD_PREFIX if status == "HOLD" else "") + NEW_PROSPECT
        table, lookup = self._ctx.table(table_name)
        docs = _DocFormat.of(table)
        layout = _Layout.of(keys, lookup, (dataset, process_type, self._loaddate), docs)
        return _Target(dataset, table_name, process_type, status == "LIVE", layout, docs)

    def _dataset(self, given: str) -> tuple[int, str, str] | str:
        """(dataset, d_status, import_table) of the dataset a row names, or why the row is refused."""
        found = self._datasets.get(given)
        if found is None:
            found = self._datasets[given] = self._look_up(given)
        return found

    def _look_up(self, given: str) -> tuple[int, str, str] | str:
        if given.strip() == "":
            return "No dataset supplied"
        dataset = parse_int(given)
        found = self._ctx.dataset(dataset) if dataset is not None else None
        if found is None or dataset is None:
            return f"Dataset [{given}] does not exist."
        status, table_name = found
        if status == EXPIRED:
            return f"Dataset [{dataset}] is expired"
        return dataset, status, table_name

    def _row_by_row(self, row: Row, target: _Target) -> tuple[_Insert, str | None]:
        _, lookup = self._ctx.table(target.table_name)
        standard, custom, append = split_fields(row, lookup)
        if not any(standard.get(phone, "").strip() for phone in PHONE_FIELDS):
            raise RowError("No phone number supplied")
        values = list(TEXT_DEFAULTS)
        for name, value in standard.items():
            values[TEXT_INDEX[name]] = value
        notes_index = TEXT_INDEX["notes"]
        values[notes_index] = append_note(values[notes_index], append)
        values[TEXT_INDEX["ProcessType"]] = target.process_type
        values[TEXT_INDEX["loaddate"]] = self._loaddate
        insert = (
            _INSERT_SQL,
            (target.dataset, target.table_name, self._now, *values, encode_custom(custom)),
        )
        docs = target.docs
        if docs is None or any("\x00" in value for value in custom.values()):
            return insert, None
        return insert, docs.tail(docs.members(target.dataset, values, custom))


def _dataset_at(keys: tuple[str, ...]) -> int | None:
    """The position of the member that names a row's dataset (`dataset` or `datasetid`), if any."""
    return next((i for i, key in enumerate(keys) if key.lower() in DATASET_KEYS), None)


def _custom_members(members: tuple[tuple[str, str, str], ...]) -> str:
    """A record's `custom` text from its custom fields' (JSON key and colon, value, JSON value), as `insert`
    writes it: only the members that are not empty."""
    given = ",".join([name + encoded for name, value, encoded in members if value != ""])
    return "{" + given + "}" if given else ""


@dataclass(frozen=True)
class _Block:
    """A create's rows laid out a column at a time (_Creates.block): their inserts and docs are made by C-level
    zips and joins, with no Python step per record but the id in each doc, at a third of the CPU of laying them
    out one by one."""

    sql: str
    columns: list[Sequence[Any]]
    """The values of `sql` after the record id, a column each."""
    tails: list[str]
    """The doc of each record after its id (_DocFormat.tail)."""
    live: bool
    """Whether their dataset is LIVE."""

    def records(self, first: int) -> tuple[list[tuple[Any, ...]], list[tuple[int, str]]]:
        """The insert values and the docs of the records, their ids counting from `first`."""
        ids = range(first, first + len(self.tails))
        values = list(zip(ids, *self.columns, strict=True))
        return values, list(zip(ids, map(_DocFormat.doc, ids, self.tails), strict=True))


_KNOWN: weakref.WeakKeyDictionary[Store, WriteContext] = weakref.WeakKeyDictionary()
"""Per store, the datasets and tables its last create read inside its transaction."""


@dataclass
class _LaidOut:
    """A create's rows laid out as inserts, before their record ids are known."""

    context: WriteContext
    """What the layout looked up (datasets, tables): it holds while these read the same."""
    records: list[tuple[str, tuple[Any, ...], str | None]]
    """Per good row, in order: its insert, its values after the id, and its doc after the id (None: the
    trigger's). Empty when `block` holds them."""
    block: _Block | None
    """Every row, laid out a column at a time (_Creates.block), or None."""
    bad: int
    first_error: str | None
    last_live: bool

    @classmethod
    def of(cls, call: Call, rows: Sequence[Row], context: WriteContext) -> _LaidOut:
        """The layout of `rows`; _Unknown when `context` needs a fact it cannot read."""
        creates = _Creates(call, context)
        block = creates.block(rows)
        if block is not None:
            return cls(context, [], block, 0, None, block.live)
        records: list[tuple[str, tuple[Any, ...], str | None]] = []
        bad = 0
        first_error: str | None = None
        last_live = False
        for row in rows:
            try:
                (sql, values), doc, last_live = creates.insert(row)
            except RowError as exc:
                bad += 1
                first_error = first_error or str(exc)
                continue
            records.append((sql, values, doc))
        return cls(context, records, None, bad, first_error, last_live)

    @property
    def count(self) -> int:
        """How many records the create stores."""
        return len(self.block.tails) if self.block is not None else len(self.records)

    def writes(self, first: int) -> tuple[dict[str, list[tuple[Any, ...]]], list[tuple[int, str]] | None]:
        """The inserts (statement -> the values of each record), their ids counting from `first`, and the docs of
        the records; None when a doc only record_doc_sql can write (_DocFormat.of, _NUL): the trigger writes all."""
        if self.block is not None:
            values, docs = self.block.records(first)
            return {self.block.sql: values}, docs
        inserts: dict[str, list[tuple[Any, ...]]] = {}
        written: list[tuple[int, str]] | None = []
        for record_id, (sql, values_after_id, doc) in enumerate(self.records, first):
            inserts.setdefault(sql, []).append((record_id, *values_after_id))
            if doc is None:
                written = None
            elif written is not None:
                written.append((record_id, _DocFormat.doc(record_id, doc)))
        return inserts, written


def create_records(call: Call, rows: Sequence[Row]) -> Envelope:
    """Store the good rows as new records, with ids following the highest one (as SQLite would give them: they
    are chosen here so that their docs can be written beside them) and their docs (_DocFormat).

    The rows are laid out before the write transaction, from the datasets and tables the store's previous
    create read in its own (_KNOWN), so that the Python work of one create runs while SQLite writes another's
    rows (it lets go of the GIL) and no create waits for the store's lock to read them. Inside the
    transaction, what the layout took is read again, and the rows are laid out there if any of it changed
    or was not known."""
    check_rows(rows)
    store = call.store
    laid: _LaidOut | None = None
    with contextlib.suppress(_Unknown):
        laid = _LaidOut.of(call, rows, WriteContext(_unknown, _KNOWN.get(store)))
    with store.transaction() as conn:
        context = WriteContext(conn_query(conn))
        if laid is None or not laid.context.agrees_with(context):
            laid = _LaidOut.of(call, rows, context)
        _KNOWN[store] = context
        count = laid.count
        first = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM cn_records").fetchone()[0])
        inserts, docs = laid.writes(first)
        if docs is None:  # a doc only record_doc_sql can write (_DocFormat.of, _NUL): the trigger writes all
            for sql, records in inserts.items():
                conn.executemany(sql, records)
        elif count:
            with deferred_docs(conn):
                for sql, records in inserts.items():
                    conn.executemany(sql, records)
                conn.executemany(_INSERT_DOC_SQL, docs)
        key = first + count - 1 if count else None
    if count:
        call.mark_committed()
    info = (INFO_LIVE if laid.last_live else INFO_NOT_LIVE) if count else None
    return write_envelope(call, count, laid.bad, key=key, info=info, error=laid.first_error)
