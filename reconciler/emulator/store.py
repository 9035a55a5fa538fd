"""The emulator's SQLite store: one database for both vendor APIs.

`Store.open(None)` gives a private in-memory database; `Store.open(path)` a file that survives restarts
(WAL mode, never synced: it survives the emulator's crash too, but not the machine's). Opening an existing file
keeps its data: `Store.seeded` tells `build_state` whether to seed.

Threading: the server runs handlers in worker threads. `store.conn` may be used from any thread, but only
while holding `store.lock` (an RLock), for reads as well as writes. The connection is in autocommit mode;
`store.transaction()` takes the lock and wraps a block in BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error).

Large reads go through `store.reader()`: for a file database it is a separate read-only connection inside one
read transaction (a consistent snapshot; writers are not blocked, WAL). For an in-memory database it reads on
the main connection and takes the lock only for each chunk, so other requests run between chunks.

Tables (the CC ones are shared with cc.py, by name):
    crm_customers, cc_tenants, cc_campaigns, cc_members     Contact Center (see the brief for columns)
    cn_users, cn_tokens, cn_tables, cn_fields, cn_queues,   ContactNow
    cn_outcomes, cn_datasets, cn_records, cn_record_docs,
    cn_tod_policies, cn_tod_rules
    emu_meta                                                key/value: `seeded`, `schema_version`
Records keep the standard fields as columns and the campaign table's custom fields as one JSON object text in
`cn_records.custom` (only the non-empty values), so one row layout serves every campaign table.

`cn_record_docs` holds each record's JSON object text exactly as a records read serves it (record_doc_sql): a
JSON read copies it instead of building 33 members per row, which cost 3 s of CPU per million records. Triggers
keep it current, so no write path (handlers, the dialler simulation, tests and benchmarks writing SQL) has to
know about it; only the create handler writes its records' docs itself, the same bytes, as the insert trigger
cost it about a third of its CPU (`deferred_docs`). It is a table of its own, so `cn_records` rows stay small
for every other query, and a create appends a doc instead of rewriting (and growing) the record row it has just
written.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .contactnow_fields import STANDARD_FIELDS

log = logging.getLogger(__name__)

SCHEMA_VERSION = "6"
"""Version 1 had no `cn_record_docs`, version 2 no `cc_member_docs`, version 3 no `cn_record_docs_deferred`,
version 4 indexed `cn_records` by datasetid alone, and up to version 5 `cn_records` was indexed by import_table
and by VENDOR_URN too; opening an older file adds what it lacks (and the insert trigger that reads
`cn_record_docs_deferred`) and drops those indexes (_DROPPED_INDEXES)."""
_DROPPED_INDEXES = ("cn_records_dataset", "cn_records_table", "cn_records_vendor_urn")
"""Indexes of `cn_records` that older versions made and this one drops."""

Params = Sequence[Any] | dict[str, Any]

# Standard ContactNow record fields, in their campaign-table order (API-CONTRACT A4). `id` and `datasetid`
# are integer columns; every other one is TEXT NOT NULL.
RECORD_TEXT_COLUMNS: tuple[str, ...] = (
    "URN",
    "VENDOR_URN",
    "Title",
    "FirstName",
    "LastName",
    "Address1",
    "Address2",
    "Address3",
    "Address4",
    "Address5",
    "Address6",
    "Postcode",
    "HomePhone",
    "WorkPhone",
    "MobilePhone",
    "Customer_Email",
    "callback",
    "Call_Back_Notes",
    "Call_Back_Sametime",
    "AgentRef",
    "Agent_Specific",
    "appointment",
    "outcomecode",
    "ProcessType",
    "ProcessDate",
    "notes",
    "loaddate",
    "sourcefile",
    "flgid",
)


def record_doc_sql(row: str) -> str:
    """The JSON object a records read serves for the `cn_records` row named `row` (e.g. NEW in a trigger).

    Every value is text: the standard fields in campaign-table order, then the custom fields of the record's
    table in position order ("" when `custom` lacks one). It is byte for byte the text of `json_object()` over
    those members: json_quote() escapes a key or value exactly as json_object() does, and rtrim() drops only the
    closing brace, as the last standard member is always a quoted string. The subquery is ordered by position
    and is not flattened (an aggregate over an ORDER BY subquery), so group_concat() gets the fields in order.
    """

    def value(name: str) -> str:
        column = f'{row}."{name}"'
        return f"CAST({column} AS TEXT)" if name in ("id", "datasetid") else column

    members = ", ".join(f"'{f.name}', {value(f.name)}" for f in STANDARD_FIELDS)
    custom = (
        "(SELECT group_concat(',' || json_quote(f.name) || ':' || json_quote(coalesce(json_extract("
        f"nullif({row}.custom, ''), '$.\"' || f.name || '\"'), '')), '')"
        f" FROM (SELECT name FROM cn_fields WHERE table_name = {row}.import_table AND standard_field = 0"
        " ORDER BY position) f)"
    )
    return f"rtrim(json_object({members}), '}}') || coalesce({custom}, '') || '}}'"


_DOC_INPUTS = ("id", "datasetid", "import_table", *RECORD_TEXT_COLUMNS, "custom")
"""The columns a doc is computed from: an UPDATE of any of them recomputes it."""
_FIELD_LAYOUT = "name, position, standard_field, table_name"
"""The `cn_fields` columns that decide which custom members, in what order, a table's docs hold."""

_SAVE = "INSERT OR REPLACE INTO cn_record_docs(record_id, doc) "
_SAVE_DOC = _SAVE + f"VALUES (NEW.id, {record_doc_sql('NEW')})"
"""In a trigger on `cn_records`: (re)compute the doc of the NEW record."""
_SAVE_DOCS = _SAVE + f"SELECT id, {record_doc_sql('r')} FROM cn_records r"
"""(Re)compute the docs of the records `r` that a WHERE clause appended to it selects."""
_DOC_INSERT_TRIGGER = f"""
CREATE TRIGGER IF NOT EXISTS cn_records_doc_insert AFTER INSERT ON cn_records
WHEN NOT EXISTS (SELECT 1 FROM cn_record_docs_deferred) BEGIN
    {_SAVE_DOC};
END;
"""
"""A new record gets its doc, unless the writer has taken that on (`deferred_docs`)."""


def member_doc_sql(row: str) -> str:
    """A records.json member for the `cc_members` row named `row` (e.g. NEW in a trigger), from its record-id
    on: the campaign's name and id, which lead every member, are written when it is served. json_quote() escapes
    as json.dumps does, but for characters past ASCII (escaped when served: cc.py, ascii_only)."""
    phone = f"(SELECT phone FROM crm_customers WHERE id = {row}.customer_id)"
    return (
        f"{row}.customer_id || ',\"phone-list\":' || json_quote('*Phone Number|' || coalesce({phone}, ''))"
        f" || ',\"status\":' || coalesce({row}.status, 0) || ',\"status-code\":' || coalesce({row}.status_code, 0)"
        f" || ',\"ext-trans-data\":' || json_quote(coalesce({row}.ext_trans_data, ''))"
        f" || ',\"disposition-code\":' || coalesce({row}.disposition_code, {DISPOSITION_NONE}) || '}}'"
    )


DISPOSITION_NONE = 1000
"""The disposition code of a member the dialler has not called (records.json shows it for a NULL one)."""
_SAVE_MEMBER = "INSERT OR REPLACE INTO cc_member_docs(campaign_id, seq, customer_id, doc) "
_SAVE_MEMBER_DOC = (
    _SAVE_MEMBER + f"VALUES (NEW.campaign_id, coalesce(NEW.seq, 0), NEW.customer_id, {member_doc_sql('NEW')})"
)
_SAVE_MEMBER_DOCS = (
    _SAVE_MEMBER
    + f"SELECT m.campaign_id, coalesce(m.seq, 0), m.customer_id, {member_doc_sql('m')} FROM cc_members m"
)
_DROP_MEMBER_DOC = (
    "DELETE FROM cc_member_docs WHERE campaign_id = OLD.campaign_id AND seq = coalesce(OLD.seq, 0)"
    " AND customer_id = OLD.customer_id"
)

_RECORD_COLUMNS_SQL = ",\n    ".join(f"\"{name}\" TEXT NOT NULL DEFAULT ''" for name in RECORD_TEXT_COLUMNS)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS emu_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Contact Center
CREATE TABLE IF NOT EXISTS crm_customers (id INTEGER PRIMARY KEY, phone TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS cc_tenants (name TEXT PRIMARY KEY, token TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cc_campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT,
    dynamic TEXT CHECK(dynamic IN ('Y','N')),
    enabled TEXT CHECK(enabled IN ('Y','N')),
    status INTEGER,
    start_time TEXT,
    end_time TEXT,
    caller_id TEXT NOT NULL DEFAULT '',
    daily_start TEXT NOT NULL DEFAULT '',
    daily_end TEXT NOT NULL DEFAULT '',
    timezone TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS cc_members (
    campaign_id INTEGER,
    customer_id INTEGER,
    schedule TEXT,
    status INTEGER,
    status_code INTEGER,
    disposition_code INTEGER,
    ext_trans_data TEXT DEFAULT '',
    seq INTEGER,
    PRIMARY KEY(campaign_id, customer_id)
);
CREATE INDEX IF NOT EXISTS cc_members_seq ON cc_members(campaign_id, seq);
-- Each member as records.json serves it (see member_doc_sql), in the order served, rebuilt whenever what it is
-- made of changes: a read copies the docs at SQLite's read speed instead of formatting each member.
CREATE TABLE IF NOT EXISTS cc_member_docs (
    campaign_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (campaign_id, seq, customer_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cc_member_docs_customer ON cc_member_docs(customer_id);
CREATE TRIGGER IF NOT EXISTS cc_members_doc_insert AFTER INSERT ON cc_members BEGIN
    {_SAVE_MEMBER_DOC};
END;
CREATE TRIGGER IF NOT EXISTS cc_members_doc_update AFTER UPDATE ON cc_members BEGIN
    {_DROP_MEMBER_DOC};
    {_SAVE_MEMBER_DOC};
END;
CREATE TRIGGER IF NOT EXISTS cc_members_doc_delete AFTER DELETE ON cc_members BEGIN
    {_DROP_MEMBER_DOC};
END;
CREATE TRIGGER IF NOT EXISTS crm_customers_doc_insert AFTER INSERT ON crm_customers BEGIN
    {_SAVE_MEMBER_DOCS} WHERE m.customer_id = NEW.id;
END;
CREATE TRIGGER IF NOT EXISTS crm_customers_doc_update AFTER UPDATE OF id, phone ON crm_customers BEGIN
    {_SAVE_MEMBER_DOCS} WHERE m.customer_id IN (OLD.id, NEW.id);
END;
CREATE TRIGGER IF NOT EXISTS crm_customers_doc_delete AFTER DELETE ON crm_customers BEGIN
    {_SAVE_MEMBER_DOCS} WHERE m.customer_id = OLD.id;
END;

-- ContactNow
CREATE TABLE IF NOT EXISTS cn_users (
    username TEXT PRIMARY KEY,
    password TEXT NOT NULL,
    account_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cn_tokens (
    token TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    expire REAL NOT NULL,
    addresses TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cn_tokens_user ON cn_tokens(username);
CREATE TABLE IF NOT EXISTS cn_tables (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    campaign INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS cn_fields (
    table_name TEXT NOT NULL COLLATE NOCASE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    size INTEGER NOT NULL,
    standard_field INTEGER NOT NULL,
    group_name TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL,
    prompt TEXT NOT NULL DEFAULT '',
    readonly TEXT NOT NULL DEFAULT 'N',
    search TEXT NOT NULL DEFAULT 'N',
    hidden TEXT NOT NULL DEFAULT 'N',
    hidden_on_script TEXT NOT NULL DEFAULT 'N',
    ord INTEGER NOT NULL DEFAULT 0,
    picklist TEXT NOT NULL DEFAULT '',
    required TEXT NOT NULL DEFAULT 'N',
    PRIMARY KEY(table_name, name)
);
-- A table's custom fields in position order, for record_doc_sql (one index range per record written).
CREATE INDEX IF NOT EXISTS cn_fields_custom ON cn_fields(table_name, standard_field, position, name);
CREATE TABLE IF NOT EXISTS cn_queues (
    qid INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    campaignid INTEGER NOT NULL DEFAULT 0,
    callerid TEXT NOT NULL DEFAULT '',
    tod INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS cn_tod_policies (
    uid INTEGER PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    "default" TEXT NOT NULL DEFAULT 'inactive',
    timezone TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS cn_tod_rules (
    policy INTEGER NOT NULL,
    rule INTEGER NOT NULL,
    days TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    start TEXT NOT NULL DEFAULT '00:00',
    "end" TEXT NOT NULL DEFAULT '23:59',
    action TEXT NOT NULL DEFAULT 'active',
    PRIMARY KEY(policy, rule)
);
CREATE TABLE IF NOT EXISTS cn_outcomes (
    outcome INTEGER PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    dmc TEXT NOT NULL DEFAULT 'N',
    sale TEXT NOT NULL DEFAULT 'N',
    complete TEXT NOT NULL DEFAULT 'N',
    do_not_call TEXT NOT NULL DEFAULT 'N',
    answerphone TEXT NOT NULL DEFAULT '0',
    system INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS cn_datasets (
    dataset INTEGER PRIMARY KEY,
    qid INTEGER NOT NULL DEFAULT 0,
    d_status TEXT NOT NULL DEFAULT 'HOLD',
    d_priority INTEGER NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT '',
    callbacks TEXT NOT NULL DEFAULT 'none',
    crm_account TEXT NOT NULL DEFAULT '0',
    crm_campaign TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    locked TEXT NOT NULL DEFAULT '0',
    loaddate TEXT NOT NULL DEFAULT '',
    sourcefile TEXT NOT NULL DEFAULT '',
    import_table TEXT NOT NULL COLLATE NOCASE
);
CREATE INDEX IF NOT EXISTS cn_datasets_table ON cn_datasets(import_table);
CREATE TABLE IF NOT EXISTS cn_records (
    id INTEGER PRIMARY KEY,
    datasetid INTEGER NOT NULL,
    import_table TEXT NOT NULL COLLATE NOCASE,
    created REAL NOT NULL,
    {_RECORD_COLUMNS_SQL},
    custom TEXT NOT NULL DEFAULT ''
);
-- A dataset's records by table too (every read names both), in id order: a read counts and lists them from
-- this index alone, without reading each record's row. It is the only index: each one more cost a create about
-- 1.5-2 us a record (of SQLite's 10-12). The reads that used the two dropped ones (a table's records without a
-- dataset, as an outcome code's use is counted; a search by VENDOR_URN) scan the records in id order instead.
CREATE INDEX IF NOT EXISTS cn_records_dataset_table ON cn_records(datasetid, import_table);

-- The doc of each record (see record_doc_sql), rebuilt whenever what it is made of changes.
CREATE TABLE IF NOT EXISTS cn_record_docs (record_id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
-- Holds a row only inside a transaction that writes the docs of the records it inserts (deferred_docs).
CREATE TABLE IF NOT EXISTS cn_record_docs_deferred (writer TEXT NOT NULL);
{_DOC_INSERT_TRIGGER}
CREATE TRIGGER IF NOT EXISTS cn_records_doc_update AFTER UPDATE OF {", ".join(f'"{c}"' for c in _DOC_INPUTS)}
ON cn_records BEGIN
    DELETE FROM cn_record_docs WHERE record_id = OLD.id AND OLD.id != NEW.id;  -- no doc left under an old id
    {_SAVE_DOC};
END;
CREATE TRIGGER IF NOT EXISTS cn_records_doc_delete AFTER DELETE ON cn_records BEGIN
    DELETE FROM cn_record_docs WHERE record_id = OLD.id;
END;
CREATE TRIGGER IF NOT EXISTS cn_fields_doc_insert AFTER INSERT ON cn_fields BEGIN
    {_SAVE_DOCS} WHERE import_table = NEW.table_name;
END;
CREATE TRIGGER IF NOT EXISTS cn_fields_doc_update AFTER UPDATE OF {_FIELD_LAYOUT} ON cn_fields BEGIN
    {_SAVE_DOCS} WHERE import_table IN (OLD.table_name, NEW.table_name);
END;
CREATE TRIGGER IF NOT EXISTS cn_fields_doc_delete AFTER DELETE ON cn_fields BEGIN
    {_SAVE_DOCS} WHERE import_table = OLD.table_name;
END;
"""


@contextlib.contextmanager
def deferred_docs(conn: sqlite3.Connection) -> Iterator[None]:
    """Inside a write transaction on `conn`: records inserted in the block get no doc from the insert trigger,
    and the block must write them itself (exactly as record_doc_sql would) before it ends. The flag is a row of
    `cn_record_docs_deferred` that is gone again before the transaction commits: no other connection ever sees
    it, so every other write path keeps its trigger."""
    conn.execute("INSERT INTO cn_record_docs_deferred(writer) VALUES ('deferred_docs')")
    try:
        yield
    finally:
        conn.execute("DELETE FROM cn_record_docs_deferred")


class Reader:
    """Read access for one (possibly long) read: plain queries and chunked streaming.

    Obtain one with `Store.reader()`. It is bound to the thread-safety policy of its store: on a file store it
    owns a private connection inside a read transaction; on an in-memory store it borrows the main connection
    and takes the store lock per query or per chunk.
    """

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock | None) -> None:
        self._conn = conn
        self._lock = lock

    def _guard(self) -> contextlib.AbstractContextManager[object]:
        return self._lock if self._lock is not None else contextlib.nullcontext()

    def all(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Every row of a query (for small results)."""
        with self._guard():
            return list(self._conn.execute(sql, params).fetchall())

    def one(self, sql: str, params: Params = ()) -> tuple[Any, ...] | None:
        with self._guard():
            row: tuple[Any, ...] | None = self._conn.execute(sql, params).fetchone()
            return row

    def chunks(self, sql: str, params: Params = (), size: int = 1000) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of a query in lists of at most `size`, without holding the whole result."""
        cursor = self._conn.cursor()
        try:
            with self._guard():
                cursor.execute(sql, params)
            while True:
                with self._guard():
                    rows = cursor.fetchmany(size)
                if not rows:
                    return
                yield rows
        finally:
            with self._guard():
                cursor.close()


class Store:
    """The emulator database. Create with `Store.open`."""

    def __init__(self, conn: sqlite3.Connection, path: str | None) -> None:
        self.conn = conn
        """The main connection (autocommit). Use it only while holding `lock`."""
        self.lock = threading.RLock()
        """Serialises every use of `conn`."""
        self.path = path
        """The database file, or None for an in-memory store."""
        self._closed = False

    # -- lifecycle ------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | None) -> Store:
        """Open (creating if needed) the store at `path`; None gives a private in-memory database."""
        if path is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            # No fsync, not even at a checkpoint: the file is an emulator's data, which survives the emulator's
            # own crash or restart (the OS holds what was written) but not the machine's. With NORMAL, the
            # checkpoints' fsyncs inside creates cost 2-3 us a record.
            conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA cache_size=-65536")
        store = cls(conn, path)
        with store.lock:
            conn.executescript(SCHEMA)
            found = conn.execute("SELECT value FROM emu_meta WHERE key = 'schema_version'").fetchone()
            if found is None:
                conn.execute(
                    "INSERT INTO emu_meta(key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
                )
            elif found[0] in ("1", "2", "3", "4", "5"):
                store._upgrade_from(found[0])
            campaign_columns = {row[1] for row in conn.execute("PRAGMA table_info(cc_campaigns)")}
            for column in ("caller_id", "daily_start", "daily_end", "timezone"):
                if (
                    column not in campaign_columns
                ):  # a file made before campaigns carried their calling settings
                    conn.execute(f"ALTER TABLE cc_campaigns ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
            queue_columns = {row[1] for row in conn.execute("PRAGMA table_info(cn_queues)")}
            if "tod" not in queue_columns:  # a file made before queues carried their caller ID and policy
                conn.execute("ALTER TABLE cn_queues ADD COLUMN callerid TEXT NOT NULL DEFAULT ''")
                conn.execute("ALTER TABLE cn_queues ADD COLUMN tod INTEGER NOT NULL DEFAULT 0")
        log.debug("emulator store opened (%s)", "memory" if path is None else "file")
        return store

    def _upgrade_from(self, version: str) -> None:
        """Build the docs an older file lacks (SCHEMA has just added their empty tables): every record's for
        version 1, every member's for versions 1 and 2; swap in the insert trigger that lets a writer defer
        docs (SCHEMA kept an older one); drop the indexes this version no longer keeps."""
        with self.transaction() as conn:
            for index in _DROPPED_INDEXES:
                conn.execute(f"DROP INDEX IF EXISTS {index}")
            conn.execute("DROP TRIGGER IF EXISTS cn_records_doc_insert")
            conn.execute(_DOC_INSERT_TRIGGER)
            if version == "1":
                conn.execute(_SAVE_DOCS)
            if version in ("1", "2"):
                conn.execute(_SAVE_MEMBER_DOCS)
            conn.execute("UPDATE emu_meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION,))
        log.info("emulator store upgraded from schema version %s", version)

    def close(self) -> None:
        """Close the main connection. Safe to call twice."""
        with self.lock:
            if not self._closed:
                self._closed = True
                self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- metadata -------------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self.lock:
            row = self.conn.execute("SELECT value FROM emu_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.conn.execute("INSERT OR REPLACE INTO emu_meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def seeded(self) -> bool:
        """True once a seed has been loaded into this database (it is never seeded twice)."""
        return self.get_meta("seeded") is not None

    # -- access ---------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run the block in one write transaction; roll back if it raises."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def execute(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Run one statement under the lock and return its rows (autocommit)."""
        with self.lock:
            return list(self.conn.execute(sql, params).fetchall())

    @contextlib.contextmanager
    def reader(self) -> Iterator[Reader]:
        """A consistent reader for a long read (see the module docstring); closed when the block ends."""
        if self.path is None:
            yield Reader(self.conn, self.lock)
            return
        conn = sqlite3.connect(
            f"file:{urllib.parse.quote(str(Path(self.path).resolve()))}?mode=ro",
            uri=True,
            check_same_thread=False,
            isolation_level=None,
            timeout=30,
        )
        try:
            conn.execute("BEGIN")
            yield Reader(conn, None)
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("COMMIT")
            conn.close()
