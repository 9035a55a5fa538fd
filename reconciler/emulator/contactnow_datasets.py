"""ContactNow configuration methods: ecnow_datasets, campaign_tables, campaign_fields, outcomecodes, queues.

Datasets: create (`import_table`, `description`; optional `qid`, `d_status`, `d_priority` validated as on
update), read (filters `qid` list, `dataset`, `state`|`d_status`, `table`|`import_table`, `description`) and
update (`dataset` required). A status change moves the dataset's records: HOLD prefixes active ProcessTypes
with `HOLD: `, LIVE removes the prefix, EXPIRED sets every record to `EXPIRED` (for good).

Outcome codes (API-CONTRACT-2.md B): read (filters `uid`, `mode=system`), create (rows `description` and the
Y/N flags `complete`, `dmc`, `sale`, `do_not_call`, `answerphone`; an `outcome` number may be asked for [choice];
`key` is the number of the last one made) and update (`outcome` required, plus any of those). A flag that is not
Y or N makes its row bad. An update naming a system code fails whole, `success` false with `Outcome [N] is a
system outcome` [choice], and stores nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from .contactnow_core import (
    ApiFailure,
    Call,
    Envelope,
    Listing,
    Row,
    RowError,
    conn_query,
    load_table,
    lower_keys,
    parse_int,
    small_listing,
    write_envelope,
)

STATUSES = ("HOLD", "LIVE", "EXPIRED")
NOT_QUEUES = frozenset({999, 505050})
"""qids the vendor lists but that are not real queues (999 deleted, 505050 default PBX)."""
ACTIVE_TYPES = ("New Prospect", "NEEDSMOREWORK")
HOLD_PREFIX = "HOLD: "

DATASET_COLUMNS = (
    "dataset",
    "qid",
    "d_status",
    "d_priority",
    "notes",
    "callbacks",
    "crm_account",
    "crm_campaign",
    "description",
    "locked",
    "loaddate",
    "sourcefile",
    "import_table",
)
DATASET_FIELDS = (*DATASET_COLUMNS, "campaign")

# -- datasets ----


def _dataset_settings(conn: sqlite3.Connection, row: dict[str, str]) -> dict[str, object]:
    """Validated optional `d_status`, `d_priority`, `qid` (and `description`) of a dataset row."""
    changes: dict[str, object] = {}
    if "description" in row:
        changes["description"] = row["description"]
    if "d_status" in row:
        status = row["d_status"]
        if status not in STATUSES:
            raise RowError(f"Invalid d_status [{status}]")
        changes["d_status"] = status
    if "d_priority" in row:
        priority = parse_int(row["d_priority"])
        if priority is None or not 0 <= priority <= 90:
            raise RowError(f"Invalid d_priority [{row['d_priority']}]")
        changes["d_priority"] = priority
    if "qid" in row:
        qid = parse_int(row["qid"])
        if qid != 0 and not _is_outbound_queue(conn, qid):
            raise RowError(f"Unknown queue [{row['qid']}]")
        changes["qid"] = qid
    return changes


def _is_outbound_queue(conn: sqlite3.Connection, qid: int | None) -> bool:
    if qid is None or qid in NOT_QUEUES:
        return False
    found = conn.execute("SELECT 1 FROM cn_queues WHERE qid = ? AND type = 'outbound'", (qid,)).fetchone()
    return found is not None


def _move_records(conn: sqlite3.Connection, dataset: int, status: str) -> None:
    if status == "HOLD":
        conn.execute(
            "UPDATE cn_records SET ProcessType = ? || ProcessType"
            " WHERE datasetid = ? AND ProcessType IN (?, ?)",
            (HOLD_PREFIX, dataset, *ACTIVE_TYPES),
        )
    elif status == "LIVE":
        conn.execute(
            "UPDATE cn_records SET ProcessType = substr(ProcessType, ?)"
            " WHERE datasetid = ? AND ProcessType IN (?, ?)",
            (len(HOLD_PREFIX) + 1, dataset, *(HOLD_PREFIX + t for t in ACTIVE_TYPES)),
        )
    else:
        conn.execute("UPDATE cn_records SET ProcessType = 'EXPIRED' WHERE datasetid = ?", (dataset,))


def create_datasets(call: Call, rows: Sequence[Row]) -> Envelope:
    total = bad = 0
    key: int | None = None
    first_error: str | None = None
    with call.store.transaction() as conn:
        for raw in rows:
            row = lower_keys(raw)
            try:
                name = row.get("import_table", row.get("table", ""))
                table = load_table(conn_query(conn), name) if name else None
                if table is None:
                    raise RowError(f"Unknown campaign table [{name}]")
                settings = _dataset_settings(conn, row)
            except RowError as exc:
                bad += 1
                first_error = first_error or str(exc)
                continue
            values: dict[str, object] = {
                "qid": 0,
                "d_status": "HOLD",
                "d_priority": 0,
                "description": "",
                **settings,
                "import_table": table.name,
                "loaddate": call.timestamp(),
            }
            cursor = conn.execute(
                f"INSERT INTO cn_datasets({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                tuple(values.values()),
            )
            key = cursor.lastrowid
            total += 1
    if total:
        call.mark_committed()
    return write_envelope(call, total, bad, key=key, error=first_error)


def update_datasets(call: Call, rows: Sequence[Row]) -> Envelope:
    total = bad = 0
    first_error: str | None = None
    with call.store.transaction() as conn:
        for raw in rows:
            row = lower_keys(raw)
            given = row.get("dataset", "")
            dataset = parse_int(given)
            try:
                found = (
                    conn.execute("SELECT d_status FROM cn_datasets WHERE dataset = ?", (dataset,)).fetchone()
                    if dataset is not None
                    else None
                )
                if found is None or dataset is None:
                    raise RowError(f"Dataset [{given}] does not exist.")
                if found[0] == "EXPIRED":
                    raise RowError(f"Dataset [{dataset}] is expired")
                changes = _dataset_settings(conn, row)
            except RowError as exc:
                bad += 1
                first_error = first_error or str(exc)
                continue
            if changes:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                conn.execute(
                    f"UPDATE cn_datasets SET {assignments} WHERE dataset = ?", (*changes.values(), dataset)
                )
            status = changes.get("d_status")
            if isinstance(status, str):
                _move_records(conn, dataset, status)
            total += 1
    if total:
        call.mark_committed()
    return write_envelope(call, total, bad, error=first_error)


def read_datasets(call: Call) -> Listing:
    args = call.args
    where: list[str] = []
    params: list[object] = []
    qids = args.get("qid")
    if qids is not None:
        wanted = [q for q in (parse_int(part) for part in qids.split(",")) if q is not None]
        where.append(f"d.qid IN ({', '.join('?' * len(wanted))})" if wanted else "0")
        params.extend(wanted)
    dataset = args.get("dataset")
    if dataset is not None:
        where.append("d.dataset = ?")
        params.append(parse_int(dataset))
    state = args.get("state") if args.get("state") is not None else args.get("d_status")
    if state is not None:
        where.append("d.d_status = ?")
        params.append(state)
    table = args.get("table") if args.get("table") is not None else args.get("import_table")
    if table is not None:
        where.append("d.import_table = ?")
        params.append(table)
    description = args.get("description")
    if description is not None:
        where.append("d.description = ?")
        params.append(description)
    sql = (
        f"SELECT {', '.join('d.' + c for c in DATASET_COLUMNS)}, coalesce(t.campaign, 0) FROM cn_datasets d"
        " LEFT JOIN cn_tables t ON t.name = d.import_table"
        f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY d.dataset"
    )
    with call.store.reader() as reader:
        found = reader.all(sql, params)
    rows = [dict(zip(DATASET_FIELDS, (str(v) for v in r), strict=True)) for r in found]
    return small_listing("ecnow_dataset", rows)


# -- campaign tables and fields ----

FIELD_COLUMNS = (
    ("position", "position"),
    ("table", "table_name"),
    ("name", "name"),
    ("size", "size"),
    ("standard_field", "standard_field"),
    ("group_name", "group_name"),
    ("type", "type"),
    ("prompt", "prompt"),
    ("readonly", "readonly"),
    ("search", "search"),
    ("hidden", "hidden"),
    ("hidden_on_script", "hidden_on_script"),
    ("order", "ord"),
    ("picklist", "picklist"),
    ("required", "required"),
)


def read_campaign_tables(call: Call) -> Listing:
    with call.store.reader() as reader:
        found = reader.all("SELECT name FROM cn_tables ORDER BY name COLLATE NOCASE, name")
    return small_listing("campaign_table", [{"name": str(r[0])} for r in found])


def read_campaign_fields(call: Call) -> Listing:
    where: list[str] = []
    params: list[object] = []
    for arg, column in (("table", "f.table_name"), ("name", "f.name")):
        value = call.args.get(arg)
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    sql = (
        f"SELECT {', '.join('f.' + c for _, c in FIELD_COLUMNS)} FROM cn_fields f"
        f"{' WHERE ' + ' AND '.join(where) if where else ''}"
        " ORDER BY f.table_name COLLATE NOCASE, f.table_name, f.position"
    )
    with call.store.reader() as reader:
        found = reader.all(sql, params)
    names = tuple(name for name, _ in FIELD_COLUMNS)
    return small_listing(
        "campaign_field", [dict(zip(names, (str(v) for v in r), strict=True)) for r in found]
    )


# -- queues ----

QUEUE_FIELDS = ("qid", "type", "description", "campaignid", "callerid", "tod")


def read_queues(call: Call) -> Listing:
    where: list[str] = []
    params: list[object] = []
    table_name = call.args.get("table")
    with call.store.reader() as reader:
        if table_name is not None:
            table = load_table(reader.all, table_name)
            if table is None:
                raise ApiFailure(f"Unknown campaign table [{table_name}]")
            where.append("campaignid = ?")
            params.append(table.campaign)
        types = call.args.get("type")
        if types is not None:
            wanted = [t.strip() for t in types.split(",") if t.strip()]
            where.append(f"type IN ({', '.join('?' * len(wanted))})" if wanted else "0")
            params.extend(wanted)
        found = reader.all(
            f"SELECT {', '.join(QUEUE_FIELDS)} FROM cn_queues"
            f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY qid",
            params,
        )
    return small_listing("queue", [dict(zip(QUEUE_FIELDS, (str(v) for v in r), strict=True)) for r in found])


# -- outcome codes ----

OUTCOME_FIELDS = ("outcome", "description", "complete", "dmc", "sale", "do_not_call", "answerphone")
OUTCOME_FLAGS = ("complete", "dmc", "sale", "do_not_call", "answerphone")


def read_outcomes(call: Call) -> Listing:
    where: list[str] = []
    params: list[object] = []
    uid = call.args.get("uid")
    if uid is not None:
        where.append("outcome = ?")
        params.append(parse_int(uid))
    if call.args.text("mode") == "system":
        where.append("system = 1")
    with call.store.reader() as reader:
        found = reader.all(
            f"SELECT {', '.join(OUTCOME_FIELDS)} FROM cn_outcomes"
            f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY outcome",
            params,
        )
    return small_listing(
        "outcomecode", [dict(zip(OUTCOME_FIELDS, (str(v) for v in r), strict=True)) for r in found]
    )


def _outcome_values(row: dict[str, str]) -> dict[str, object]:
    values: dict[str, object] = {}
    if "description" in row:
        values["description"] = row["description"]
    for flag in OUTCOME_FLAGS:
        if flag in row:
            if row[flag] not in ("Y", "N"):
                raise RowError(f"Invalid {flag} [{row[flag]}]")
            values[flag] = row[flag]
    return values


def create_outcomes(call: Call, rows: Sequence[Row]) -> Envelope:
    total = bad = 0
    key: int | None = None
    first_error: str | None = None
    with call.store.transaction() as conn:
        for raw in rows:
            row = lower_keys(raw)
            try:
                values = _outcome_values(row)
                given = row.get("outcome", "")
                outcome = parse_int(given) if given.strip() not in ("", "0") else 0
                if outcome is None or outcome < 0:
                    raise RowError(f"Invalid outcome [{given}]")
                if outcome == 0:
                    outcome = int(
                        conn.execute("SELECT coalesce(max(outcome), 0) + 1 FROM cn_outcomes").fetchone()[0]
                    )
                elif conn.execute("SELECT 1 FROM cn_outcomes WHERE outcome = ?", (outcome,)).fetchone():
                    raise RowError(f"Outcome code [{outcome}] already exists.")
            except RowError as exc:
                bad += 1
                first_error = first_error or str(exc)
                continue
            values["outcome"] = outcome
            conn.execute(
                f"INSERT INTO cn_outcomes({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                tuple(values.values()),
            )
            key = outcome
            total += 1
    if total:
        call.mark_committed()
    return write_envelope(call, total, bad, key=key, error=first_error)


def update_outcomes(call: Call, rows: Sequence[Row]) -> Envelope:
    total = bad = 0
    first_error: str | None = None
    with call.store.transaction() as conn:
        system = {int(row[0]) for row in conn.execute("SELECT outcome FROM cn_outcomes WHERE system = 1")}
        named = [parse_int(lower_keys(raw).get("outcome", "")) for raw in rows]
        refused = next((outcome for outcome in named if outcome in system), None)
        if refused is not None:
            raise ApiFailure(f"Outcome [{refused}] is a system outcome")
        for raw in rows:
            row = lower_keys(raw)
            given = row.get("outcome", "")
            outcome = parse_int(given)
            try:
                found = (
                    conn.execute("SELECT 1 FROM cn_outcomes WHERE outcome = ?", (outcome,)).fetchone()
                    if outcome is not None
                    else None
                )
                if found is None:
                    raise RowError(f"Outcome code [{given}] does not exist.")
                values = _outcome_values(row)
            except RowError as exc:
                bad += 1
                first_error = first_error or str(exc)
                continue
            if values:
                assignments = ", ".join(f"{column} = ?" for column in values)
                conn.execute(
                    f"UPDATE cn_outcomes SET {assignments} WHERE outcome = ?", (*values.values(), outcome)
                )
            total += 1
    if total:
        call.mark_committed()
    return write_envelope(call, total, bad, error=first_error)
