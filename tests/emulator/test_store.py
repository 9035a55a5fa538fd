"""The SQLite store: schema, persistence, locking, and readers that do not block writers."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from reconciler.emulator import build_state
from reconciler.emulator.store import SCHEMA_VERSION, Store


def _columns(store: Store, table: str) -> list[str]:
    return [str(row[1]) for row in store.execute(f"PRAGMA table_info({table})")]


def test_schema_has_the_shared_contact_center_tables() -> None:
    with Store.open(None) as store:
        assert _columns(store, "crm_customers") == ["id", "phone"]
        assert _columns(store, "cc_tenants") == ["name", "token"]
        assert _columns(store, "cc_campaigns") == [
            "id",
            "name",
            "dynamic",
            "enabled",
            "status",
            "start_time",
            "end_time",
            "caller_id",
            "daily_start",
            "daily_end",
            "timezone",
        ]
        assert _columns(store, "cc_members") == [
            "campaign_id",
            "customer_id",
            "schedule",
            "status",
            "status_code",
            "disposition_code",
            "ext_trans_data",
            "seq",
        ]
        tables = {str(r[0]) for r in store.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"cn_users", "cn_tokens", "cn_tables", "cn_fields", "cn_queues", "cn_outcomes"} <= tables
        assert {"cn_tod_policies", "cn_tod_rules"} <= tables
        assert {"cn_datasets", "cn_records", "emu_meta"} <= tables
        assert store.path is None
        assert store.seeded is False


def test_a_file_store_keeps_its_data_and_is_not_seeded_again(tmp_path: Path) -> None:
    db = str(tmp_path / "sub" / "emulator.sqlite")
    state = build_state(db)
    assert state.store.seeded
    state.store.execute("UPDATE cn_users SET password = 'changed' WHERE username = 'demo'")
    state.store.execute("INSERT INTO cn_datasets(import_table, description) VALUES ('Willtest', 'kept')")
    state.store.close()
    again = build_state(db, seed=str(tmp_path / "does-not-matter.yaml"))
    try:
        assert again.store.execute("SELECT password FROM cn_users WHERE username = 'demo'") == [("changed",)]
        assert again.store.execute("SELECT description FROM cn_datasets") == [("kept",)]
        assert again.store.execute("SELECT count(*) FROM crm_customers") == [(10000,)]
    finally:
        again.store.close()


def test_transaction_rolls_back_on_error() -> None:
    with Store.open(None) as store:
        try:
            with store.transaction() as conn:
                conn.execute("INSERT INTO cc_tenants(name, token) VALUES ('a', 'b')")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert store.execute("SELECT count(*) FROM cc_tenants") == [(0,)]


def test_concurrent_writers_are_serialised() -> None:
    with Store.open(None) as store:

        def write(base: int) -> None:
            for i in range(200):
                with store.transaction() as conn:
                    conn.execute("INSERT INTO crm_customers(id, phone) VALUES (?, '')", (base + i,))

        threads = [threading.Thread(target=write, args=(n * 1000,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert store.execute("SELECT count(*) FROM crm_customers") == [(800,)]


def test_file_reader_is_a_snapshot_and_does_not_block_writers(tmp_path: Path) -> None:
    with Store.open(str(tmp_path / "e.sqlite")) as store:
        store.conn.executemany("INSERT INTO crm_customers(id) VALUES (?)", [(i,) for i in range(5000)])
        with store.reader() as reader:
            chunks = reader.chunks("SELECT id FROM crm_customers ORDER BY id", (), 1000)
            first = next(chunks)
            done = threading.Event()

            def writer() -> None:
                with store.transaction() as conn:
                    conn.execute("INSERT INTO crm_customers(id) VALUES (99999)")
                done.set()

            thread = threading.Thread(target=writer)
            thread.start()
            assert done.wait(5), "a writer was blocked by an open reader"
            thread.join()
            rest = [row for chunk in chunks for row in chunk]
            assert len(first) + len(rest) == 5000
            assert reader.one("SELECT count(*) FROM crm_customers") == (5000,)
        assert store.execute("SELECT count(*) FROM crm_customers") == [(5001,)]


def test_memory_reader_lets_writes_run_between_chunks() -> None:
    with Store.open(None) as store:
        store.conn.executemany("INSERT INTO crm_customers(id) VALUES (?)", [(i,) for i in range(3000)])
        with store.reader() as reader:
            seen = 0
            for chunk in reader.chunks("SELECT id FROM crm_customers WHERE id < 3000 ORDER BY id", (), 1000):
                seen += len(chunk)
                writer = threading.Thread(
                    target=store.execute, args=("INSERT INTO crm_customers(id) VALUES (?)", (10000 + seen,))
                )
                writer.start()
                writer.join(5)
                assert not writer.is_alive()
            assert seen == 3000


def test_meta_values() -> None:
    with Store.open(None) as store:
        assert store.get_meta("schema_version") == SCHEMA_VERSION
        store.set_meta("x", "y")
        assert store.get_meta("x") == "y"
        assert store.get_meta("missing") is None


def test_a_store_made_before_queues_and_campaigns_carried_caller_ids_gains_the_columns(
    tmp_path: Path,
) -> None:
    """A file from before calling hours: its queues have no callerid or tod, its campaigns no caller_id."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE cn_queues (qid INTEGER PRIMARY KEY, type TEXT NOT NULL, description TEXT NOT NULL "
            "DEFAULT '', campaignid INTEGER NOT NULL DEFAULT 0)"
        )
        conn.execute("INSERT INTO cn_queues VALUES (75674454, 'outbound', 'Old', 1)")
        conn.execute(
            "CREATE TABLE cc_campaigns (id INTEGER PRIMARY KEY, name TEXT, dynamic TEXT, enabled TEXT, "
            "status INTEGER, start_time TEXT, end_time TEXT)"
        )
    with Store.open(str(path)) as store:
        assert _columns(store, "cn_queues")[-2:] == ["callerid", "tod"]
        assert _columns(store, "cc_campaigns")[-4:] == ["caller_id", "daily_start", "daily_end", "timezone"]
        assert store.execute("SELECT qid, callerid, tod FROM cn_queues") == [(75674454, "", 0)]


def _served(store: Store) -> list[tuple[int, int, str]]:
    rows = store.execute("SELECT campaign_id, customer_id, doc FROM cc_member_docs ORDER BY campaign_id, seq")
    return [(int(campaign), int(customer), str(doc)) for campaign, customer, doc in rows]


def test_member_docs_follow_every_write_and_are_built_for_an_older_file(tmp_path: Path) -> None:
    """records.json copies each member's precomputed doc: adding, updating and deleting members, and adding,
    changing or removing their CRM phone, all rewrite it; a version-2 file gets its docs when opened."""
    path = str(tmp_path / "emu.sqlite3")
    with Store.open(path) as store:
        store.execute(
            "INSERT INTO cc_members(campaign_id, customer_id, status, status_code, disposition_code, seq)"
            " VALUES (125, 7, 0, 0, NULL, 1), (125, 8, 3, 5, 1002, 2)"
        )
        doc = '7,"phone-list":"*Phone Number|","status":0,"status-code":0,"ext-trans-data":"","disposition-code":1000}'
        assert _served(store)[0] == (125, 7, doc)
        store.execute("INSERT OR REPLACE INTO crm_customers(id, phone) VALUES (7, '0207\"1')")
        store.execute("UPDATE cc_members SET status = 4, ext_trans_data = 'x' WHERE customer_id = 7")
        assert _served(store)[0] == (
            125,
            7,
            '7,"phone-list":"*Phone Number|0207\\"1","status":4,"status-code":0,"ext-trans-data":"x",'
            '"disposition-code":1000}',
        )
        store.execute("DELETE FROM crm_customers WHERE id = 7")
        assert _served(store)[0][2].startswith('7,"phone-list":"*Phone Number|","status":4')
        store.execute("DELETE FROM cc_members WHERE customer_id = 8")
        assert [customer for _, customer, _ in _served(store)] == [7]
        expected = _served(store)
        store.execute("DELETE FROM cc_member_docs")
        store.set_meta("schema_version", "2")
    with Store.open(path) as store:
        assert store.get_meta("schema_version") == SCHEMA_VERSION
        assert _served(store) == expected
