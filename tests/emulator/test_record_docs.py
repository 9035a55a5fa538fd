"""cn_record_docs: the JSON text a records read serves, kept current by triggers on every kind of write.

The reference is the expression reads used before the docs existed: one json_object() per row over the
standard fields and the table's custom fields. Docs must equal it byte for byte, for any data and after any
write, and a JSON read must serve exactly the bytes that expression gave.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.emulator import build_state
from reconciler.emulator.contactnow_core import TableInfo, load_table
from reconciler.emulator.contactnow_fields import STANDARD_FIELDS
from reconciler.emulator.seed import load_seed_data
from reconciler.emulator.simulation import simulate
from reconciler.emulator.store import SCHEMA_VERSION, Store

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
