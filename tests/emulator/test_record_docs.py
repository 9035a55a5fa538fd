"""cn_record_docs: the JSON text a records read serves, kept current on every kind of write: by triggers, and
by the create handler, which writes the docs of its records itself (store.deferred_docs).

The reference is the expression reads used before the docs existed: one json_object() per row over the
standard fields and the table's custom fields. Docs must equal it byte for byte, for any data and after any
write, and a JSON read must serve exactly the bytes that expression gave.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import build_state, contactnow_creates
from reconciler.emulator.contactnow_core import TableInfo, load_table
from reconciler.emulator.contactnow_fields import EMPTY_DATE, STANDARD_FIELDS
from reconciler.emulator.seed import load_seed_data
from reconciler.emulator.simulation import simulate
from reconciler.emulator.store import SCHEMA_VERSION, Store, deferred_docs

from .conftest import Emulator

TRICKY = (
    "plain",
    "",
    "é ü 中文 😀",
    'quote " and \\ backslash \\"',
    "controls \x00\x01\x08\t\n\x0b\x0c\r\x1f\x7f end",
    "\u2028\u2029 separators",
    "it's <b>&amp;</b>",
    '{"json": "text"}',
    "  spaced  ",
)
"""Values whose JSON escaping differs between encoders if anything does."""


def _reference_sql(table: TableInfo) -> str:
    """The per-row json_object() that reads built before cn_record_docs (the bytes to keep)."""
    parts = [
        f"'{f.name}', CAST({f.name} AS TEXT)"
        if f.name in ("id", "datasetid")
        else f"'{f.name}', \"{f.name}\""
        for f in STANDARD_FIELDS
    ]
    parts += [
        f"'{name}', coalesce(json_extract(nullif(custom, ''), '$.\"{name}\"'), '')" for name in table.custom
    ]
    return f"json_object({', '.join(parts)})"


def _table(store: Store, name: str) -> TableInfo:
    table = load_table(store.execute, name)
    assert table is not None
    return table


def assert_docs_current(store: Store) -> int:
    """Every record has one doc, equal to the reference, and no doc is left over; returns the record count."""
    compared = 0
    for (name,) in store.execute("SELECT name FROM cn_tables"):
        rows = store.execute(
            f"SELECT id, {_reference_sql(_table(store, name))}, doc FROM cn_records"
            " LEFT JOIN cn_record_docs ON record_id = id WHERE import_table = ?",
            (name,),
        )
        for record_id, expected, doc in rows:
            assert doc == expected, f"record {record_id}"
        compared += len(rows)
    assert store.execute("SELECT count(*) FROM cn_records") == [(compared,)]
    assert store.execute("SELECT count(*) FROM cn_record_docs") == [(compared,)]
    return compared


def _add_table(store: Store, name: str, custom: list[str]) -> None:
    fields = [{"name": field, "type": "varchar", "size": 255} for field in custom]
    load_seed_data(store, {"contactnow": {"tables": [{"name": name, "campaign": 1, "fields": fields}]}})


def _insert_sql(store: Store, dataset: int, table: str, custom: str, first: str = "x") -> int:
    """A record written with plain SQL, as benchmarks and tests do (no handler involved)."""
    rows = store.execute(
        "INSERT INTO cn_records(datasetid, import_table, created, FirstName, MobilePhone, custom)"
        " VALUES (?, ?, 0, ?, '07700900000', ?) RETURNING id",
        (dataset, table, first, custom),
    )
    return int(rows[0][0])


def _read_text(emulator: Emulator, **params: Any) -> str:
    response = emulator.cn("ecnow.php", "ecnow_records", "read", **params)
    assert response.status_code == 200
    return response.text


def _expected_body(
    store: Store, table: str, where: str, params: tuple[Any, ...], tail: str = "ORDER BY id"
) -> str:
    rows = store.execute(
        f"SELECT {_reference_sql(_table(store, table))} FROM cn_records WHERE {where} {tail}", params
    )
    (total,) = store.execute(f"SELECT count(*) FROM cn_records WHERE {where}", params)[0]
    return f'{{"success":true,"total":{total},"list":[{",".join(row[0] for row in rows)}]}}'


def test_reads_serve_the_bytes_json_object_gave(emulator: Emulator) -> None:
    store = emulator.state.store
    _add_table(store, "Odd", ["Zeta", "Prénom", "alpha"])  # custom fields served in position order
    willtest, odd, nelson = (emulator.new_dataset(t) for t in ("Willtest", "Odd", "nelsontest"))
    for dataset, fields in ((willtest, ("Testy",)), (odd, ("Zeta", "Prénom", "alpha"))):
        rows = [
            {"FirstName": v, "notes": v[::-1], "MobilePhone": f"0770090{i:04d}", fields[i % len(fields)]: v}
            for i, v in enumerate(TRICKY)
        ]
        rows.append({"MobilePhone": "07700900999", fields[0]: ""})  # an empty custom value is not stored
        emulator.new_records(dataset, rows)
    emulator.new_records(nelson, [{"FirstName": v, "HomePhone": "02079460000"} for v in TRICKY])
    for custom in (
        "",
        '{"Testy": "\\u00e9\\n\\"q\\"", "Unknown": "ignored"}',  # escapes a client would not write
        '{"Testy": 5, "ThisIsATimeField": {"a": [1, "x"]}}',  # non-text JSON values
        '{"ThisIsATimeField": "only the second"}',
    ):
        _insert_sql(store, willtest, "Willtest", custom, first="sql é")

    assert assert_docs_current(store) == (len(TRICKY) + 1) + 4 + (len(TRICKY) + 1) + len(TRICKY)
    for table, dataset in (("Willtest", willtest), ("Odd", odd), ("nelsontest", nelson)):
        expected = _expected_body(store, table, "datasetid = ?", (dataset,))
        assert _read_text(emulator, dataset=dataset) == expected
        assert _read_text(emulator, table=table) == _expected_body(store, table, "import_table = ?", (table,))
    paged = _read_text(emulator, table="Odd", sort="FirstName desc", limit=3, start=2)
    tail = 'ORDER BY "FirstName" DESC, id LIMIT 3 OFFSET 2'
    assert paged == _expected_body(store, "Odd", "import_table = ?", ("Odd",), tail)
    assert len(json.loads(paged)["list"]) == 3


def test_wide_tables_keep_the_python_encoding(emulator: Emulator) -> None:
    _add_table(emulator.state.store, "Wide", [f"F{i}" for i in range(40)])
    dataset = emulator.new_dataset("Wide")
    emulator.new_records(dataset, [{"FirstName": "é", "MobilePhone": "07700900001", "F39": "ü"}])
    text = _read_text(emulator, dataset=dataset)
    parsed = json.loads(text)
    assert text == json.dumps(parsed, separators=(",", ":"))  # the Python encoder: non-ASCII \u-escaped
    assert '"FirstName":"\\u00e9"' in text
    assert list(parsed["list"][0])[-2:] == ["F38", "F39"]
    assert parsed["list"][0]["F39"] == "ü"


def test_docs_follow_record_updates(emulator: Emulator) -> None:
    dataset = emulator.new_dataset(d_status="LIVE")
    ids = emulator.new_records(
        dataset,
        [{"FirstName": "Ann", "MobilePhone": "07700900001", "Testy": "red"}, {"MobilePhone": "07700900002"}],
    )
    updates: list[dict[str, Any]] = [
        {"FirstName": 'An"n', "LastName": "é"},
        {"Testy": "blue", "ThisIsATimeField": "10:00"},
        {"notes_append": "called\ttwice"},
        {"outcomecode": "510456"},  # complete: ProcessType moves too
        {"outcomecode": "100"},  # reopened
    ]
    for update in updates:
        body = [{"id": record, "dataset": dataset, **update} for record in ids]
        assert emulator.ecnow("ecnow_records", "update", body=body)["bad"] == 0
        assert_docs_current(emulator.state.store)
    served = emulator.records(dataset=dataset)[0]
    assert (served["FirstName"], served["Testy"], served["ProcessType"]) == ('An"n', "blue", "NEEDSMOREWORK")


def test_docs_follow_dataset_status_moves(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    emulator.new_records(dataset, [{"MobilePhone": f"0770090000{i}"} for i in range(3)])
    for status, process_type in (
        ("LIVE", "New Prospect"),
        ("HOLD", "HOLD: New Prospect"),
        ("EXPIRED", "EXPIRED"),
    ):
        assert (
            emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": dataset, "d_status": status}])["bad"]
            == 0
        )
        assert_docs_current(emulator.state.store)
        assert {row["ProcessType"] for row in emulator.records(dataset=dataset)} == {process_type}


def test_docs_follow_simulation_churn() -> None:
    state = build_state()
    store = state.store
    store.execute("INSERT INTO cn_datasets(dataset, d_status, import_table) VALUES (1, 'LIVE', 'Willtest')")
    for i in range(30):
        _insert_sql(store, 1, "Willtest", '{"Testy": "t"}' if i % 2 else "")
    store.execute("UPDATE cn_records SET ProcessType = 'New Prospect'")
    result = simulate(state, 200, seed=7)
    assert result.records_dialled > 0
    assert assert_docs_current(store) == 30
    store.close()


def test_docs_follow_sql_writes_and_field_changes() -> None:
    state = build_state()
    store = state.store
    store.execute("INSERT INTO cn_datasets(dataset, import_table) VALUES (1, 'Willtest'), (2, 'nelsontest')")
    first = _insert_sql(store, 1, "Willtest", '{"Testy": "a", "ThisIsATimeField": "b"}')
    second = _insert_sql(store, 1, "Willtest", '{"ThisIsATimeField": "c"}')
    third = _insert_sql(store, 2, "nelsontest", "")
    writes = (
        ("UPDATE cn_records SET FirstName = 'é\"' WHERE id = ?", (first,)),
        ('UPDATE cn_records SET custom = \'{"Testy": "z"}\' WHERE id = ?', (second,)),
        ("UPDATE cn_records SET created = 5, datasetid = 2 WHERE id = ?", (second,)),
        ("UPDATE cn_records SET id = 100 WHERE id = ?", (first,)),
        ("UPDATE cn_records SET import_table = 'nelsontest' WHERE id = ?", (second,)),
        ("DELETE FROM cn_records WHERE id = ?", (100,)),
        (
            "INSERT OR REPLACE INTO cn_records(id, datasetid, import_table, created, custom)"
            " VALUES (?, 1, 'Willtest', 0, '{\"Testy\": \"t\"}')",
            (second,),
        ),
        # a table's custom field layout: positions swapped, a field renamed, added, removed
        ("UPDATE cn_fields SET position = 65 - position WHERE table_name = 'Willtest' AND position > 31", ()),
        ("UPDATE cn_fields SET name = 'Renamed' WHERE name = 'Testy'", ()),
        (
            "INSERT INTO cn_fields(table_name, position, name, size, standard_field, type)"
            " VALUES ('nelsontest', 32, 'Extra', 10, 0, 'varchar')",
            (),
        ),
        ("DELETE FROM cn_fields WHERE name = 'ThisIsATimeField'", ()),
        ("UPDATE cn_fields SET size = 5 WHERE name = 'Renamed'", ()),
    )
    for sql, params in writes:
        store.execute(sql, params)
        assert_docs_current(store)
    docs = {
        record: json.loads(doc) for record, doc in store.execute("SELECT record_id, doc FROM cn_record_docs")
    }
    assert list(docs) == [second, third]
    assert list(docs[second].items())[-1] == ("Renamed", "")  # `custom` still says Testy
    assert list(docs[third].items())[-1] == ("Extra", "")
    store.close()


def test_a_version_1_file_gets_its_docs(tmp_path: Path) -> None:
    path = str(tmp_path / "v1.sqlite3")
    state = build_state(path)
    store = state.store
    store.execute("INSERT INTO cn_datasets(dataset, import_table) VALUES (1, 'Willtest')")
    for value in TRICKY:
        _insert_sql(store, 1, "Willtest", json.dumps({"Testy": value}), first=value)
    # what a version-1 file holds: no docs table, triggers or index, and version 1
    for kind, name in store.execute(
        "SELECT type, name FROM sqlite_master"
        " WHERE type = 'trigger' OR name IN ('cn_record_docs', 'cn_fields_custom')"
    ):
        store.execute(f"DROP {kind.upper()} {name}")
    store.set_meta("schema_version", "1")
    store.close()

    with Store.open(path) as reopened:
        assert reopened.get_meta("schema_version") == SCHEMA_VERSION
        assert assert_docs_current(reopened) == len(TRICKY)
        _insert_sql(reopened, 1, "Willtest", "")
        assert assert_docs_current(reopened) == len(TRICKY) + 1


def _insert_trigger(store: Store) -> str:
    rows = store.execute("SELECT sql FROM sqlite_master WHERE name = 'cn_records_doc_insert'")
    return str(rows[0][0]) if rows else ""


def test_creates_write_exact_docs_without_the_trigger(emulator: Emulator) -> None:
    store = emulator.state.store
    _add_table(store, "Odd", ["Zeta", "Prénom", "alpha"])
    willtest, odd, nelson = (emulator.new_dataset(t) for t in ("Willtest", "Odd", "nelsontest"))
    store.execute(
        "DROP TRIGGER cn_records_doc_insert"
    )  # from here, a record has a doc only if a create wrote it
    body: list[dict[str, Any]] = []
    for i, value in enumerate(TRICKY):
        phone = f"0770090{i:04d}"
        custom = value.replace("\x00", "")  # a NUL in a custom value leaves the docs to the trigger (below)
        body += [
            {"dataset": willtest, "FirstName": value, "MobilePhone": phone, "Testy": custom},
            {"dataset": odd, "FirstName": value, "Zeta": custom, "alpha": custom[::-1], "MobilePhone": phone},
            {"dataset": nelson, "LastName": value, "HomePhone": phone},
            {"dataset": odd, "Prénom": custom, "notes_append": value, "MobilePhone": phone},  # row by row
            {"datasetid": str(willtest), "MobilePhone": phone, "THISISATIMEFIELD": value[:8]},  # other shape
        ]
    body.insert(3, {"dataset": odd, "Nope": "x", "MobilePhone": "07700900000"})  # refused: no id, no doc
    body.insert(7, {"dataset": willtest, "FirstName": "no phone"})
    created = emulator.ecnow("ecnow_records", "create", body=body)
    assert (created["total"], created["bad"]) == (5 * len(TRICKY), 2), created
    assert int(created["key"]) == 5 * len(TRICKY)  # ids 1.., as SQLite gives them, refused rows skipped
    assert assert_docs_current(store) == 5 * len(TRICKY)
    assert store.execute("SELECT count(*) FROM cn_record_docs_deferred") == [(0,)]

    record_id, loaddate = store.execute(
        "SELECT id, loaddate FROM cn_records WHERE import_table = 'nelsontest' AND LastName = ?", (TRICKY[4],)
    )[0]
    values = {f.name: f.default for f in STANDARD_FIELDS}
    values.update(id=str(record_id), datasetid=str(nelson), LastName=TRICKY[4], HomePhone="07700900004")
    values.update(ProcessType="HOLD: New Prospect", loaddate=loaddate, callback=EMPTY_DATE)
    (doc,) = store.execute("SELECT doc FROM cn_record_docs WHERE record_id = ?", (record_id,))[0]
    assert doc == json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    assert '"LastName":"controls \\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f\x7f end"' in doc


def test_a_batch_of_one_shape_is_laid_out_by_columns_as_it_is_row_by_row(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A create whose rows share one shape and dataset is laid out a column at a time (_Creates.block); the same
    rows with one row of another shape after them go row by row. Both store the same records and docs."""
    store = emulator.state.store
    _add_table(store, "Odd", ["Zeta", "Prénom", "alpha"])
    store.execute("DROP TRIGGER cn_records_doc_insert")  # a record has a doc only if its create wrote it
    laid: list[bool] = []
    block = contactnow_creates._Creates.block

    def spied(self: contactnow_creates._Creates, rows: list[dict[str, str]]) -> object:
        found = block(self, rows)
        laid.append(found is not None)
        return found

    monkeypatch.setattr(contactnow_creates._Creates, "block", spied)
    values = [value.replace("\x00", "") for value in TRICKY]  # a NUL leaves the docs to the trigger
    batches = {
        "Willtest": [  # some custom values empty: each record's custom text is made on its own
            {"FirstName": value, "MobilePhone": f"0770090{i:04d}", "Testy": value, "HomePhone": ""}
            for i, value in enumerate(values)
        ],
        "Odd": [  # every custom value given: one join makes them all
            {"Zeta": value or "z", "MobilePhone": f" 0770090{i:04d}", "alpha": "a" + value, "Prénom": "é"}
            for i, value in enumerate(values)
        ],
        "nelsontest": [  # no custom field
            {"LastName": value, "HomePhone": f"0770090{i:04d}"} for i, value in enumerate(values)
        ],
    }
    for table, rows in batches.items():
        by_columns, one_by_one = emulator.new_dataset(table), emulator.new_dataset(table)
        emulator.new_records(by_columns, rows)
        assert laid[-1] is True
        emulator.new_records(one_by_one, [*rows, {"MobilePhone": "07700900999"}])
        assert laid[-1] is False

        def stored(dataset: int) -> list[tuple[Any, ...]]:
            """Every column of the dataset's records as stored, and each one's doc, but the id, dataset and
            time of creation."""
            return [
                (row[2], *row[4:], doc.replace(f'"id":"{row[0]}"', "").replace(f'"datasetid":"{row[1]}"', ""))
                for *row, doc in store.execute(
                    "SELECT cn_records.*, doc FROM cn_records JOIN cn_record_docs ON record_id = id"
                    " WHERE datasetid = ? ORDER BY id",
                    (dataset,),
                )
            ]

        assert stored(one_by_one)[:-1] == stored(by_columns)
        assert len(stored(by_columns)) == len(rows)
        assert [
            {name: record[name] for name in row}
            for row, record in zip(rows, emulator.records(dataset=by_columns), strict=True)
        ] == rows
    assert assert_docs_current(store) == 3 * (2 * len(values) + 1)

    willtest = batches["Willtest"]
    for refused, error in (
        ({**willtest[2], "Testy": "x" * 101}, "Value too long for field [Testy]"),
        ({**willtest[2], "MobilePhone": " \t"}, "No phone number supplied"),
    ):
        dataset = emulator.new_dataset()
        body = [{"dataset": dataset, **row} for row in (*willtest[:2], refused)]
        created = emulator.ecnow("ecnow_records", "create", body=body)
        assert (created["total"], created["bad"], created["error"]) == (2, 1, error)
        assert laid[-1] is False


def test_a_nul_in_a_custom_value_leaves_the_docs_to_the_trigger(emulator: Emulator) -> None:
    store = emulator.state.store
    dataset = emulator.new_dataset()
    rows = [
        {"MobilePhone": "07700900001", "Testy": "plain"},
        {"MobilePhone": "07700900002", "Testy": "cut \x00 here"},  # json_extract() stops at the NUL
        {"MobilePhone": "07700900003", "notes_append": "x", "Testy": "\x00"},
    ]
    for row in rows:  # one request each: one such row leaves all of its request's docs to the trigger
        emulator.new_records(dataset, [row])
    assert assert_docs_current(store) == 3
    ids = emulator.new_records(dataset, [{"MobilePhone": "07700900004", "Testy": "\\u0000 is text"}])
    assert assert_docs_current(store) == 4
    assert emulator.records(dataset=dataset, id=ids[0])[0]["Testy"] == "\\u0000 is text"


def test_sql_writes_beside_creates_keep_their_trigger(emulator: Emulator) -> None:
    store = emulator.state.store
    dataset = emulator.new_dataset()
    ids = emulator.new_records(dataset, [{"MobilePhone": "07700900001", "Testy": "é"}])
    sql_id = _insert_sql(store, dataset, "Willtest", '{"Testy": "sql"}')
    assert sql_id == ids[0] + 1
    store.execute("DELETE FROM cn_records WHERE id = ?", (sql_id,))
    assert emulator.new_records(dataset, [{"MobilePhone": "07700900002"}]) == [
        sql_id
    ]  # max(id) + 1, as before
    updated = emulator.ecnow(
        "ecnow_records", "update", body=[{"id": sql_id, "dataset": dataset, "Testy": "u"}]
    )
    assert updated["bad"] == 0
    _insert_sql(store, dataset, "Willtest", "")
    assert assert_docs_current(store) == 3
    with pytest.raises(RuntimeError), store.transaction() as conn, deferred_docs(conn):
        raise RuntimeError("a failed create")
    assert store.execute("SELECT count(*) FROM cn_record_docs_deferred") == [(0,)]
    _insert_sql(store, dataset, "Willtest", "")
    assert assert_docs_current(store) == 4


def test_creates_follow_field_layout_changes(emulator: Emulator) -> None:
    store = emulator.state.store
    dataset = emulator.new_dataset()
    emulator.new_records(dataset, [{"MobilePhone": "07700900001", "Testy": "a", "ThisIsATimeField": "b"}])
    changes = (
        "UPDATE cn_fields SET position = 65 - position WHERE table_name = 'Willtest' AND position > 31",
        "INSERT INTO cn_fields(table_name, position, name, size, standard_field, type)"
        " VALUES ('Willtest', 40, 'Later', 10, 0, 'varchar')",
        "UPDATE cn_fields SET name = 'Renamed' WHERE name = 'Testy'",
        # a name SQL can give and the seed cannot: its table's docs are left to the trigger
        "INSERT INTO cn_fields(table_name, position, name, size, standard_field, type)"
        " VALUES ('Willtest', 41, 'odd \"name\\', 10, 0, 'varchar')",
        "DELETE FROM cn_fields WHERE name = 'odd \"name\\'",
    )
    for number, change in enumerate(changes):
        store.execute(change)
        row = {"MobilePhone": f"0770090010{number}", "Later": "l", "Renamed": "r", "ThisIsATimeField": "t"}
        fields = {name.lower() for (name,) in store.execute("SELECT name FROM cn_fields")}
        emulator.new_records(dataset, [{k: v for k, v in row.items() if k.lower() in fields}])
        assert assert_docs_current(store) == number + 2
    docs = [json.loads(doc) for (doc,) in store.execute("SELECT doc FROM cn_record_docs ORDER BY record_id")]
    assert list(docs[-1].items())[-3:] == [("ThisIsATimeField", "t"), ("Renamed", "r"), ("Later", "l")]


def test_a_version_3_file_gets_the_deferring_trigger(tmp_path: Path) -> None:
    path = str(tmp_path / "v3.sqlite3")
    state = build_state(path)
    store = state.store
    store.execute("INSERT INTO cn_datasets(dataset, import_table) VALUES (1, 'Willtest')")
    _insert_sql(store, 1, "Willtest", '{"Testy": "v3"}')
    # what a version-3 file holds: an insert trigger that always writes the doc, and no deferring table
    old_trigger = _insert_trigger(store).replace(
        "WHEN NOT EXISTS (SELECT 1 FROM cn_record_docs_deferred) ", ""
    )
    store.execute("DROP TRIGGER cn_records_doc_insert")
    store.execute(old_trigger)
    store.execute("DROP TABLE cn_record_docs_deferred")
    store.set_meta("schema_version", "3")
    store.close()

    with Store.open(path) as reopened:
        assert reopened.get_meta("schema_version") == SCHEMA_VERSION
        assert "cn_record_docs_deferred" in _insert_trigger(reopened)
        _insert_sql(reopened, 1, "Willtest", "")
        assert assert_docs_current(reopened) == 2
        with reopened.transaction() as conn, deferred_docs(conn):
            conn.execute(
                "INSERT INTO cn_records(datasetid, import_table, created, MobilePhone) VALUES (1, 'Willtest', 0, 'x')"
            )
            assert conn.execute("SELECT count(*) FROM cn_record_docs").fetchone() == (2,)
            conn.execute("DELETE FROM cn_records WHERE MobilePhone = 'x'")
        assert assert_docs_current(reopened) == 2


def test_a_version_4_file_reads_a_datasets_records_from_the_two_column_index(tmp_path: Path) -> None:
    path = str(tmp_path / "v4.sqlite3")
    store = build_state(path).store
    store.execute("INSERT INTO cn_datasets(dataset, import_table) VALUES (1, 'Willtest')")
    _insert_sql(store, 1, "Willtest", "")
    # what a version-4 file holds: records indexed by datasetid alone
    store.execute("DROP INDEX cn_records_dataset_table")
    store.execute("CREATE INDEX cn_records_dataset ON cn_records(datasetid)")
    store.set_meta("schema_version", "4")
    store.close()

    with Store.open(path) as reopened:
        assert reopened.get_meta("schema_version") == SCHEMA_VERSION == "6"
        assert _record_indexes(reopened) == ["cn_records_dataset_table"]
        where = "import_table = 'Willtest' AND datasetid = 1"
        plans = [
            reopened.execute(f"EXPLAIN QUERY PLAN SELECT count(*) FROM cn_records WHERE {where}"),
            reopened.execute(
                "EXPLAIN QUERY PLAN SELECT doc FROM cn_records CROSS JOIN cn_record_docs ON record_id = id"
                f" WHERE {where} ORDER BY id"
            ),
        ]
        assert [row[3] for plan in plans for row in plan] == [
            "SEARCH cn_records USING COVERING INDEX cn_records_dataset_table (datasetid=? AND import_table=?)",
            "SEARCH cn_records USING COVERING INDEX cn_records_dataset_table (datasetid=? AND import_table=?)",
            "SEARCH cn_record_docs USING INTEGER PRIMARY KEY (rowid=?)",
        ]
        assert assert_docs_current(reopened) == 1


def _record_indexes(store: Store) -> list[str]:
    found = store.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cn_records'")
    return sorted(name for (name,) in found)


def test_a_version_5_file_loses_the_table_and_vendor_urn_indexes_and_keeps_its_records(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "v5.sqlite3")
    store = build_state(path).store
    store.execute("INSERT INTO cn_datasets(dataset, import_table) VALUES (1, 'Willtest')")
    record = _insert_sql(store, 1, "Willtest", "", first="Ann")
    # what a version-5 file holds besides: records indexed by table and by VENDOR_URN
    store.execute("CREATE INDEX cn_records_table ON cn_records(import_table)")
    store.execute("CREATE INDEX cn_records_vendor_urn ON cn_records(VENDOR_URN COLLATE NOCASE)")
    store.set_meta("schema_version", "5")
    store.close()

    with Store.open(path) as reopened:
        assert reopened.get_meta("schema_version") == "6"
        assert _record_indexes(reopened) == ["cn_records_dataset_table"]
        assert reopened.execute("SELECT id, FirstName FROM cn_records WHERE import_table = 'Willtest'") == [
            (record, "Ann")
        ]
        assert assert_docs_current(reopened) == 1
