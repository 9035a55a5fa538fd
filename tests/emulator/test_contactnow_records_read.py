"""ecnow.php method=ecnow_records action=read: filters, modes, paging, sorting, read lag, XML, streaming."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Emulator, FakeClock

XML_DECL = '<?xml version="1.0" encoding="utf-8" ?>\n'


def _ids(emulator: Emulator, **filters: Any) -> list[int]:
    body = emulator.ecnow("ecnow_records", "read", **filters)
    assert body["success"] is True, body
    return [int(row["id"]) for row in body["list"]]


def _seed(emulator: Emulator) -> tuple[int, int, list[int]]:
    """Two datasets in Willtest with five records of known values."""
    d1 = emulator.new_dataset(description="one", d_status="LIVE")
    d2 = emulator.new_dataset(description="two")
    ids = emulator.new_records(
        d1,
        [
            {
                "FirstName": "John",
                "LastName": "Smith",
                "MobilePhone": "07700900001",
                "Testy": "red",
                "AgentRef": 7,
            },
            {"FirstName": "Johnny", "LastName": "Jones", "HomePhone": "02079460001", "Testy": "Reddish"},
            {"FirstName": "Ann", "LastName": "Smithers", "WorkPhone": "07700900001", "outcomecode": 109},
        ],
    ) + emulator.new_records(
        d2,
        [
            {"FirstName": "Bob", "LastName": "100%_done", "MobilePhone": "07700900003", "outcomecode": 100},
            {"FirstName": "Cy", "LastName": "Young", "MobilePhone": "07700900004", "AgentRef": 7},
        ],
    )
    return d1, d2, ids


def test_table_or_dataset_is_required(emulator: Emulator) -> None:
    response = emulator.cn("ecnow.php", "ecnow_records", "read")
    assert response.text == '{"success":false,"error":"Bad argument: table or dataset required"}'


def test_unknown_table_and_unknown_dataset(emulator: Emulator) -> None:
    response = emulator.cn("ecnow.php", "ecnow_records", "read", table="Nope")
    assert response.text == '{"success":false,"error":"Unknown campaign table [Nope]"}'
    response = emulator.cn("ecnow.php", "ecnow_records", "read", dataset=4242)
    assert response.text == '{"success":true,"total":0,"list":[]}'


def test_table_and_dataset_scopes(emulator: Emulator) -> None:
    d1, d2, ids = _seed(emulator)
    nelson = emulator.new_dataset("nelsontest")
    [other] = emulator.new_records(nelson, [{"MobilePhone": "1"}])
    assert _ids(emulator, table="Willtest") == ids
    assert _ids(emulator, table="willtest") == ids
    assert _ids(emulator, dataset=d2) == ids[3:]
    assert _ids(emulator, table="Willtest", dataset=d1) == ids[:3]
    assert _ids(emulator, table="Willtest", dataset=nelson) == []
    assert _ids(emulator, dataset=nelson) == [other]
    # rows carry the fields of their own table
    [row] = emulator.records(dataset=nelson)
    assert "Testy" not in row
    assert len(row) == 31


def test_id_urn_outcome_agent_ddi(emulator: Emulator) -> None:
    _, _, ids = _seed(emulator)
    assert _ids(emulator, table="Willtest", id=ids[1]) == [ids[1]]
    assert _ids(emulator, table="Willtest", urn=ids[2]) == [ids[2]]
    assert _ids(emulator, table="Willtest", id="x") == []
    assert _ids(emulator, table="Willtest", outcome="109") == [ids[2]]
    assert _ids(emulator, table="Willtest", outcome="100,109") == [ids[2], ids[3]]
    assert _ids(emulator, table="Willtest", agent=7) == [ids[0], ids[4]]
    assert _ids(emulator, table="Willtest", ddi="07700900001") == [ids[0], ids[2]]
    assert _ids(emulator, table="Willtest", ddi="0770090000") == []


def test_search_substring_exact_phone_and_id(emulator: Emulator) -> None:
    _, _, ids = _seed(emulator)
    table = {"table": "Willtest"}
    assert _ids(emulator, **table, search=json.dumps({"FirstName": "john"})) == ids[:2]
    assert _ids(emulator, **table, search=json.dumps({"FirstName": "john"}), type="exact") == [ids[0]]
    assert _ids(emulator, **table, **{"search[lastname]": "Smith"}) == [ids[0], ids[2]]
    assert _ids(emulator, **table, **{"search[lastname]": "Smith", "search[FirstName]": "Ann"}) == [ids[2]]
    assert _ids(emulator, **table, **{"search[LastName]": "Smith"}, type="exact") == [ids[0]]
    assert _ids(emulator, **table, **{"search[testy]": "red"}) == ids[:2]
    assert _ids(emulator, **table, **{"search[Testy]": "red"}, type="exact") == [ids[0]]
    assert _ids(emulator, **table, **{"search[phone]": "0770090000"}) == [ids[0], ids[2], ids[3], ids[4]]
    assert _ids(emulator, **table, **{"search[phone]": "07700900001"}, type="exact") == [ids[0], ids[2]]
    # % and _ are literal characters, not wildcards
    assert _ids(emulator, **table, **{"search[LastName]": "0%_d"}) == [ids[3]]
    assert _ids(emulator, **table, **{"search[LastName]": "%"}) == [ids[3]]
    # id overrides every other search term
    assert _ids(emulator, **table, search=json.dumps({"id": ids[4], "FirstName": "John"})) == [ids[4]]
    assert _ids(emulator, **table, **{"search[FirstName]": "John", "search[id]": str(ids[3])}) == [ids[3]]
    response = emulator.cn("ecnow.php", "ecnow_records", "read", **table, **{"search[Nope]": "x"})
    assert response.text == '{"success":false,"error":"Unknown field [Nope]"}'
    response = emulator.cn("ecnow.php", "ecnow_records", "read", **table, search="[1]")
    assert response.text == '{"success":false,"error":"Invalid search [[1]]"}'
    response = emulator.cn("ecnow.php", "ecnow_records", "read", **table, search='{"FirstName": NaN}')
    assert response.text == '{"success":false,"error":"Invalid search [{\\"FirstName\\": NaN}]"}'
    deep = '{"FirstName": ' * 600 + '"x"' + "}" * 600
    response = emulator.cn("ecnow.php", "ecnow_records", "read", **table, search=deep)
    assert response.json() == {"success": False, "error": f"Invalid search [{deep}]"}


def test_modes(emulator: Emulator) -> None:
    live = emulator.new_dataset(d_status="LIVE")
    held = emulator.new_dataset()
    expired = emulator.new_dataset()
    a, b, c = emulator.new_records(live, [{"MobilePhone": "1"}, {"MobilePhone": "2"}, {"MobilePhone": "3"}])
    d, e = emulator.new_records(held, [{"MobilePhone": "4"}, {"MobilePhone": "5"}])
    [f] = emulator.new_records(expired, [{"MobilePhone": "6"}])
    emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": expired, "d_status": "EXPIRED"}])
    emulator.ecnow(
        "ecnow_records",
        "update",
        body=[
            {"id": b, "dataset": live, "outcomecode": 510456},
            {"id": c, "dataset": live, "outcomecode": 510456},
            {"id": e, "dataset": held, "outcomecode": 510456},
        ],
    )
    emulator.ecnow(
        "ecnow_records",
        "update",
        body=[
            {"id": c, "dataset": live, "outcomecode": 501638},
            {"id": e, "dataset": held, "outcomecode": 100},
        ],
    )
    types = {int(r["id"]): r["ProcessType"] for r in emulator.records(table="Willtest")}
    assert types == {
        a: "New Prospect",
        b: "COMPLETE",
        c: "NEEDSMOREWORK",
        d: "HOLD: New Prospect",
        e: "HOLD: NEEDSMOREWORK",
        f: "EXPIRED",
    }
    assert _ids(emulator, table="Willtest", mode="active") == [a, c, d, e]
    assert _ids(emulator, table="Willtest", mode="live") == [a, c]
    assert _ids(emulator, table="Willtest", mode="callbacks") == [c, e]
    assert _ids(emulator, table="Willtest", mode="live-callbacks") == [c]
    assert _ids(emulator, table="Willtest", mode="unexpired") == [a, b, c, d, e]
    response = emulator.cn("ecnow.php", "ecnow_records", "read", table="Willtest", mode="dead")
    assert response.text == '{"success":false,"error":"Invalid mode [dead]"}'


def test_timetype_windows(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    ids = emulator.new_records(
        dataset,
        [
            {"MobilePhone": "1", "callback": "2017-11-01 00:00:00"},
            {"MobilePhone": "2", "callback": "2017-11-26 23:59:59"},
            {"MobilePhone": "3", "callback": "2017-11-27 00:00:00"},
            {"MobilePhone": "4"},
            {"MobilePhone": "5", "ProcessDate": "2017-11-10 12:00:00"},
        ],
    )
    window = {"table": "Willtest", "timetype": "callback"}
    assert _ids(emulator, **window, tstart="2017-11-01", tstop="2017-11-26") == ids[:2]
    assert _ids(emulator, **window, tstart="2017-11-01 00:00:01", tstop="2017-11-26 23:59:59") == [ids[1]]
    assert _ids(emulator, **window, tstart="2017-11-27") == [ids[2]]
    assert _ids(emulator, **window, tstop="2017-11-26") == ids[:2]
    assert _ids(emulator, **window) == ids[:3]
    assert _ids(
        emulator, table="Willtest", timetype="processdate", tstart="2017-11-10", tstop="2017-11-10"
    ) == [ids[4]]
    assert _ids(emulator, table="Willtest", tstart="2017-11-27") == ids  # no timetype: no window
    response = emulator.cn("ecnow.php", "ecnow_records", "read", table="Willtest", timetype="loaddate")
    assert response.text == '{"success":false,"error":"Invalid timetype [loaddate]"}'


def test_paging_sorting_and_total(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    names = ["delta", "alpha", "charlie", "bravo", "alpha"]
    ids = emulator.new_records(
        dataset,
        [{"MobilePhone": str(i), "FirstName": n, "AgentRef": 10 - 3 * i} for i, n in enumerate(names)],
    )
    body = emulator.ecnow("ecnow_records", "read", table="Willtest", limit=2)
    assert body["total"] == 5
    assert [int(r["id"]) for r in body["list"]] == ids[:2]
    body = emulator.ecnow("ecnow_records", "read", table="Willtest", limit=2, start=4)
    assert (body["total"], [int(r["id"]) for r in body["list"]]) == (5, ids[4:])
    assert _ids(emulator, table="Willtest", start=3) == ids  # start only counts with limit
    assert _ids(emulator, table="Willtest", sort="FirstName") == [ids[1], ids[4], ids[3], ids[2], ids[0]]
    assert _ids(emulator, table="Willtest", sort="firstname desc") == [ids[0], ids[2], ids[3], ids[1], ids[4]]
    assert _ids(emulator, table="Willtest", sort="id desc", limit=2, start=1) == [ids[3], ids[2]]
    # int fields sort as numbers (10, 7, 4, 1, -2)
    assert _ids(emulator, table="Willtest", sort="AgentRef") == ids[::-1]
    for sort, error in (("Nope", "Unknown field [Nope]"), ("id sideways", "Unknown field [id sideways]")):
        response = emulator.cn("ecnow.php", "ecnow_records", "read", table="Willtest", sort=sort)
        assert response.json() == {"success": False, "error": error}
    for name, value in (("limit", "ten"), ("start", "-1")):
        paging: dict[str, Any] = {"limit": 1, name: value}
        response = emulator.cn("ecnow.php", "ecnow_records", "read", table="Willtest", **paging)
        assert response.json() == {"success": False, "error": f"Invalid {name} [{value}]"}


def test_read_lag_hides_new_records(emulator: Emulator, clock: FakeClock) -> None:
    dataset = emulator.new_dataset()
    [old] = emulator.new_records(dataset, [{"MobilePhone": "1"}])
    clock.advance(10)
    emulator.state.settings.read_lag = 5
    [new] = emulator.new_records(dataset, [{"MobilePhone": "2"}])
    body = emulator.ecnow("ecnow_records", "read", dataset=dataset)
    assert (body["total"], [int(r["id"]) for r in body["list"]]) == (1, [old])
    clock.advance(4.9)
    assert _ids(emulator, dataset=dataset) == [old]
    clock.advance(0.1)
    assert _ids(emulator, dataset=dataset) == [old, new]
    # updates do not hide a record
    emulator.ecnow("ecnow_records", "update", body=[{"id": old, "dataset": dataset, "FirstName": "A"}])
    assert _ids(emulator, dataset=dataset) == [old, new]


def test_xml_read(emulator: Emulator) -> None:
    dataset = emulator.new_dataset("nelsontest")
    emulator.new_records(dataset, [{"MobilePhone": "07700900001", "FirstName": "<A & B>"}])
    response = emulator.cn("ecnow.php", "ecnow_records", "read", dataset=dataset, fmt="xml")
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    loaddate = emulator.records(dataset=dataset)[0]["loaddate"]
    assert response.text == (
        XML_DECL + "<result><success>1</success><total>1</total><list><ecnow_record>"
        f"<id>1</id><URN/><VENDOR_URN/><datasetid>{dataset}</datasetid><Title/><FirstName>&lt;A &amp; B&gt;</FirstName>"
        "<LastName/><Address1/><Address2/><Address3/><Address4/><Address5/><Address6/><Postcode/><HomePhone/>"
        "<WorkPhone/><MobilePhone>07700900001</MobilePhone><Customer_Email/><callback>0000-00-00 00:00:00</callback>"
        "<Call_Back_Notes/><Call_Back_Sametime/><AgentRef>0</AgentRef><Agent_Specific/><appointment/><outcomecode/>"
        "<ProcessType>HOLD: New Prospect</ProcessType><ProcessDate>0000-00-00 00:00:00</ProcessDate><notes/>"
        f"<loaddate>{loaddate}</loaddate><sourcefile/><flgid/></ecnow_record></list></result>"
    )


def test_large_reads_stream(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    rows = [{"MobilePhone": f"0770090{i:04d}", "Testy": f"t{i}"} for i in range(1000)]
    for _ in range(3):
        emulator.new_records(dataset, rows)
    with emulator.client.stream(
        "GET",
        f"{emulator.contactnow_url}ecnow.php",
        params={
            "token": emulator.token(),
            "method": "ecnow_records",
            "action": "read",
            "format": "json",
            "table": "Willtest",
        },
    ) as response:
        assert response.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in response.headers
        body = json.loads(response.read())
    assert body["total"] == 3000
    assert [r["id"] for r in body["list"]] == [str(i) for i in range(1, 3001)]
    assert body["list"][2999]["Testy"] == "t999"


def test_a_dataset_read_in_id_order_takes_every_record_once_across_chunks(emulator: Emulator) -> None:
    # Two datasets' records interleave in blocks of 150, so a chunk of a dataset's records (1,000, read from
    # after the last id sent) skips the other's ids; 2,400 records make three chunks, the last one short.
    one, other = emulator.new_dataset(description="one"), emulator.new_dataset(description="other")
    expected: list[int] = []
    for block in range(16):
        rows = [{"MobilePhone": "07700900001", "Testy": f"{block}-{i}"} for i in range(150)]
        expected += emulator.new_records(one, rows)
        emulator.new_records(other, rows[:50])
    for sort in ({"sort": "id"}, {}):
        body = emulator.ecnow("ecnow_records", "read", dataset=one, **sort)
        assert body["total"] == 2400
        assert [int(row["id"]) for row in body["list"]] == expected
        assert [row["Testy"] for row in body["list"]] == [f"{b}-{i}" for b in range(16) for i in range(150)]
    # Other orders and pages read the same records.
    assert _ids(emulator, dataset=one, sort="id desc") == expected[::-1]
    assert _ids(emulator, dataset=one, sort="id", limit=1200, start=1100) == expected[1100:2300]
