"""Seeding: the bundled default seed and the seed file format."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconciler.emulator.seed import SeedError, load_seed, parse_seed
from reconciler.emulator.store import Store


def _seeded(text: str, tmp_path: Path) -> Store:
    path = tmp_path / "seed.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    store = Store.open(None)
    load_seed(store, path)
    return store


def test_default_seed() -> None:
    with Store.open(None) as store:
        load_seed(store)
        assert store.seeded
        assert store.execute("SELECT username, password, account_id FROM cn_users") == [
            ("demo", "demo-password", "10278")
        ]
        assert store.execute("SELECT name, campaign FROM cn_tables ORDER BY name") == [
            ("nelsontest", 527220),
            ("Willtest", 527219),
        ]
        assert store.execute("SELECT count(*) FROM cn_fields WHERE table_name = 'Willtest'") == [(33,)]
        assert store.execute(
            "SELECT name, type, size, standard_field FROM cn_fields WHERE table_name = 'Willtest' AND position > 31"
        ) == [("Testy", "varchar", 100, 0), ("ThisIsATimeField", "varchar", 8, 0)]
        assert store.execute("SELECT qid, type FROM cn_queues ORDER BY qid") == [
            (999, "outbound"),
            (505050, "inbound"),
            (642384, "inbound"),
            (829603, "outbound"),
            (75674454, "outbound"),
        ]
        assert store.execute(
            "SELECT outcome, description, complete, system FROM cn_outcomes ORDER BY outcome"
        ) == [
            (98, "Do Not Call", "Y", 1),
            (100, "No Answer", "N", 1),
            (109, "Answer Machine", "N", 1),
            (501638, "Need more information", "N", 0),
            (510450, "Opted out - do not call", "Y", 0),
            (510456, "Sales Completed", "Y", 0),
        ]
        assert store.execute("SELECT name, token FROM cc_tenants") == [("demo", "demo-token")]
        assert store.execute("SELECT count(*), min(id), max(id) FROM crm_customers") == [
            (10000, 10000000, 10009999)
        ]
        assert store.execute(
            "SELECT phone FROM crm_customers WHERE id IN (10000000, 10001234) ORDER BY id"
        ) == [
            ("02079460000",),
            ("02079461234",),
        ]
        assert store.execute("SELECT * FROM cc_campaigns ORDER BY id") == [
            (125, "Winback", "Y", "Y", 3, None, None, "", "", "", ""),
            (126, "Spring (stopped)", "Y", "Y", 5, None, None, "", "", "", ""),
            (127, "Static list", "N", "Y", 3, None, None, "", "", "", ""),
            (128, "Disabled", "Y", "N", 4, None, None, "", "", "", ""),
            (129, "Not started", "Y", "Y", 0, None, None, "", "", "", ""),
        ]


def test_custom_seed(tmp_path: Path) -> None:
    store = _seeded(
        """
        contactnow:
          users: [{username: u, password: p, account_id: 42}]
          tables:
            - name: Sales
              fields:
                - {name: Score, type: int, size: 3, search: Y}
          queues: [{qid: 1, type: outbound, campaignid: 7}]
          outcomecodes: [{outcome: 5, description: Done, complete: Y, system: false}]
        contactcenter:
          tenants: [{name: t, token: k}]
          crm_customers:
            - {id: 1, phone: "+447700900001"}
            - {from: 20, to: 22, phone_prefix: "0161"}
          campaigns:
            - {id: 9, name: Window, dynamic: Y, enabled: Y, status: 2,
               start: "2026-01-01T09:00:00+01:00", end: 2026-01-31T17:00:00Z}
        """,
        tmp_path,
    )
    with store:
        assert store.execute("SELECT account_id FROM cn_users") == [("42",)]
        assert store.execute("SELECT campaign FROM cn_tables") == [(0,)]
        assert store.execute("SELECT name, type, size, search FROM cn_fields WHERE position = 32") == [
            ("Score", "int", 3, "Y")
        ]
        assert store.execute("SELECT * FROM cn_queues") == [(1, "outbound", "", 7, "", 0)]
        assert store.execute("SELECT outcome, dmc, complete, answerphone, system FROM cn_outcomes") == [
            (5, "N", "Y", "0", 0)
        ]
        assert store.execute("SELECT * FROM crm_customers ORDER BY id") == [
            (1, "+447700900001"),
            (20, "01610020"),
            (21, "01610021"),
            (22, "01610022"),
        ]
        assert store.execute("SELECT start_time, end_time FROM cc_campaigns") == [
            ("2026-01-01T09:00:00+01:00", "2026-01-31T17:00:00+00:00")
        ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "seed: expected a mapping at the top level"),
        ("extra: 1", "seed: unknown key(s) extra; allowed: contactcenter, contactnow"),
        ("contactnow: {users: {}}", "contactnow.users: expected a list"),
        ("contactnow: {users: [{username: u}]}", "contactnow.users[0].password: required"),
        (
            "contactnow: {tables: [{name: T, fields: [{name: id}]}]}",
            "contactnow.tables[0].fields[0].name: field id is already defined",
        ),
        (
            "contactnow: {tables: [{name: T, fields: [{name: a b}]}]}",
            "contactnow.tables[0].fields[0].name: expected letters, digits and underscores",
        ),
        (
            "contactnow: {tables: [{name: T, fields: [{name: X, size: 0}]}]}",
            "contactnow.tables[0].fields[0].size: expected a positive integer",
        ),
        (
            "contactnow: {tables: [{name: T, fields: [{name: X, type: blob}]}]}",
            "contactnow.tables[0].fields[0].type: expected one of varchar, smalltext, largetext, select, radio,"
            " checkbox, int, date, datetime",
        ),
        (
            "contactnow: {queues: [{qid: 1, type: pigeon}]}",
            "contactnow.queues[0].type: expected one of inbound, outbound, ivr, broadcast, message, sms_out,"
            " sms_broadcast",
        ),
        ("contactnow: {queues: [{qid: x, type: inbound}]}", "contactnow.queues[0].qid: expected an integer"),
        (
            "contactnow: {outcomecodes: [{outcome: 1, complete: maybe}]}",
            "contactnow.outcomecodes[0].complete: expected Y or N",
        ),
        (
            "contactnow: {outcomecodes: [{outcome: 1, system: Y}]}",
            "contactnow.outcomecodes[0].system: expected true or false",
        ),
        (
            "contactcenter: {crm_customers: [{from: 5, to: 1}]}",
            "contactcenter.crm_customers[0]: expected from <= to, at most 10000000 customers",
        ),
        (
            "contactcenter: {campaigns: [{id: 1, start: '2026-01-01T09:00:00'}]}",
            "contactcenter.campaigns[0].start: expected a UTC offset or Z",
        ),
        (
            "contactcenter: {campaigns: [{id: 1, end: soon}]}",
            "contactcenter.campaigns[0].end: expected an ISO 8601 date-time",
        ),
    ],
)
def test_seed_errors(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(SeedError) as raised:
        _seeded(text, tmp_path)
    assert str(raised.value) == message


def test_an_invalid_seed_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text("contactnow: {users: [{username: a, password: b, account_id: 1}, {username: c}]}")
    with Store.open(None) as store:
        with pytest.raises(SeedError):
            load_seed(store, path)
        assert store.execute("SELECT count(*) FROM cn_users") == [(0,)]
        assert not store.seeded


def test_yaml_syntax_errors_and_empty_seeds() -> None:
    with pytest.raises(SeedError, match=r"^seed is not valid YAML: "):
        parse_seed("a: [")
    assert parse_seed("") == {}
