"""ecnow.php method=ecnow_records create and update (API-CONTRACT A4), over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Emulator, FakeClock

XML_DECL = '<?xml version="1.0" encoding="utf-8" ?>\n'

# The lead of the vendor's "Creating new lead" example.
DOC_LEAD: dict[str, Any] = {
    "HomePhone": "",
    "WorkPhone": "",
    "MobilePhone": "01234567890",
    "Title": "Mr.",
    "FirstName": "Jon",
    "LastName": "Dow",
    "Address1": "123 Street Name",
    "Address2": "Address line 2",
    "Address3": "Town",
    "Address4": "City",
    "Address5": "State",
    "Address6": "Country",
    "Postcode": "Postal Code",
    "callback": "2017-12-10 10:00:00",
    "AgentRef": 503314,
    "outcomecode": 109,
    "Call_Back_Notes": "This is a note for agent to see",
    "notes_append": "2017-11-26 10:00:00: Add a log",
}


def _create(emulator: Emulator, rows: Any) -> dict[str, Any]:
    return emulator.ecnow("ecnow_records", "create", body=rows)


def _update(emulator: Emulator, rows: Any) -> dict[str, Any]:
    return emulator.ecnow("ecnow_records", "update", body=rows)


def _one(emulator: Emulator, record_id: int) -> dict[str, str]:
    [row] = emulator.records(table="Willtest", id=record_id)
    return row


def test_vendor_create_example_and_the_stored_record(emulator: Emulator, clock: FakeClock) -> None:
    dataset = emulator.new_dataset()
    response = emulator.cn("ecnow.php", "ecnow_records", "create", body=[{"dataset": dataset, **DOC_LEAD}])
    assert response.text == (
        '{"success":true,"account_id":"10278","total":1,"bad":0,"key":1,"info":"Record NOT live on the dialer."}'
    )
    assert _one(emulator, 1) == {
        "id": "1",
        "URN": "",
        "VENDOR_URN": "",
        "datasetid": str(dataset),
        "Title": "Mr.",
        "FirstName": "Jon",
        "LastName": "Dow",
        "Address1": "123 Street Name",
        "Address2": "Address line 2",
        "Address3": "Town",
        "Address4": "City",
        "Address5": "State",
        "Address6": "Country",
        "Postcode": "Postal Code",
        "HomePhone": "",
        "WorkPhone": "",
        "MobilePhone": "01234567890",
        "Customer_Email": "",
        "callback": "2017-12-10 10:00:00",
        "Call_Back_Notes": "This is a note for agent to see",
        "Call_Back_Sametime": "",
        "AgentRef": "503314",
        "Agent_Specific": "",
        "appointment": "",
        "outcomecode": "109",
        "ProcessType": "HOLD: New Prospect",
        "ProcessDate": "0000-00-00 00:00:00",
        "notes": "2017-11-26 10:00:00: Add a log",
        "loaddate": "2027-01-15",
        "sourcefile": "",
        "flgid": "",
        "Testy": "",
        "ThisIsATimeField": "",
    }


def test_create_in_a_live_dataset_and_a_single_object_body(emulator: Emulator) -> None:
    dataset = emulator.new_dataset(d_status="LIVE")
    body = _create(emulator, {"dataset": dataset, "MobilePhone": "07700900001"})
    assert body == {
        "success": True,
        "account_id": "10278",
        "total": 1,
        "bad": 0,
        "key": 1,
        "info": "Record is LIVE on the dialer.",
    }
    assert _one(emulator, 1)["ProcessType"] == "New Prospect"


def test_create_is_not_idempotent(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    rows = [{"dataset": dataset, "VENDOR_URN": "A-1", "HomePhone": "02079460001"}]
    assert _create(emulator, rows)["key"] == 1
    assert _create(emulator, rows)["key"] == 2
    assert [r["id"] for r in emulator.records(dataset=dataset)] == ["1", "2"]


def test_field_names_are_case_insensitive_and_custom_fields_are_stored(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    body = _create(
        emulator,
        [{"DATASET": dataset, "mobilephone": "07700900001", "firstNAME": "Ann", "testy": "custom value"}],
    )
    assert body["bad"] == 0
    row = _one(emulator, 1)
    assert (row["MobilePhone"], row["FirstName"], row["Testy"]) == ("07700900001", "Ann", "custom value")


def test_row_errors_keep_success_with_the_first_error_and_the_last_key(emulator: Emulator) -> None:
    willtest = emulator.new_dataset()
    nelson = emulator.new_dataset("nelsontest")
    expired = emulator.new_dataset(d_status="EXPIRED")
    rows: list[dict[str, Any]] = [
        {"dataset": willtest, "MobilePhone": "07700900001"},
        {"dataset": willtest, "HomePhone": "", "WorkPhone": " ", "FirstName": "No phone"},
        {"dataset": willtest, "MobilePhone": "07700900002", "Bogus": "x"},
        {"dataset": nelson, "MobilePhone": "07700900003", "Testy": "only in Willtest"},
        {"dataset": willtest, "MobilePhone": "07700900004", "Testy": "x" * 101},
        {"dataset": willtest, "MobilePhone": "077009000050000000000"},
        {"MobilePhone": "07700900006"},
        {"dataset": 999999, "MobilePhone": "07700900007"},
        {"dataset": "abc", "MobilePhone": "07700900007"},
        {"dataset": expired, "MobilePhone": "07700900008"},
        {"dataset": willtest, "MobilePhone": "07700900009", "Testy": "x" * 100},
    ]
    body = _create(emulator, rows)
    assert body == {
        "success": True,
        "account_id": "10278",
        "total": 2,
        "bad": 9,
        "key": 2,
        "info": "Record NOT live on the dialer.",
        "error": "No phone number supplied",
    }
    errors = [_create(emulator, [row]).get("error") for row in rows]
    assert errors == [
        None,
        "No phone number supplied",
        "Unknown field [Bogus]",
        "Unknown field [Testy]",
        "Value too long for field [Testy]",
        "Value too long for field [MobilePhone]",
        "No dataset supplied",
        "Dataset [999999] does not exist.",
        "Dataset [abc] does not exist.",
        f"Dataset [{expired}] is expired",
        None,
    ]


def test_a_batch_of_one_shape_stores_each_row_as_a_create_of_that_row_alone(emulator: Emulator) -> None:
    """Rows that share their field names share one layout in a create; the rows that need the row-by-row path
    (too long, no phone, two names of one field, notes_append, another shape) are mixed in, in between."""
    batch_set, single_set = emulator.new_dataset(), emulator.new_dataset()
    shape = ("VENDOR_URN", "FirstName", "MobilePhone", "HomePhone", "Testy", "outcomecode")
    rows: list[dict[str, Any]] = [
        dict(zip(shape, ("A-1", "Ann", "07700900001", "", "custom é", "109"), strict=True)),
        dict(zip(shape, ("A-2", "Bob", "", "02079460002", "", ""), strict=True)),
        dict(zip(shape, ("A-3", "Long", "07700900003", "", "x" * 101, ""), strict=True)),
        dict(zip(shape, ("A-4", "No phone", " ", "", "t", ""), strict=True)),
        dict(zip(shape, ("A-5", 'quote " and \\', "07700900005", "", "😀", "100"), strict=True)),
        {"VENDOR_URN": "A-6", "firstname": "first", "FirstName": "second", "MobilePhone": "07700900006"},
        {"VENDOR_URN": "A-7", "MobilePhone": "07700900007", "notes_append": "loaded"},
        {"MobilePhone": "07700900008", "VENDOR_URN": "A-8", "testy": "other order"},
        dict(zip(shape, ("A-9", "Cy", "07700900009", "", "x" * 100, ""), strict=True)),
    ]
    body = _create(emulator, [{"dataset": batch_set, **row} for row in rows])
    assert (body["total"], body["bad"], body["error"]) == (7, 2, "Value too long for field [Testy]")
    singles = [_create(emulator, [{"dataset": single_set, **row}]) for row in rows]
    assert [(answer["total"], answer.get("error")) for answer in singles] == [
        (1, None),
        (1, None),
        (0, "Value too long for field [Testy]"),
        (0, "No phone number supplied"),
        (1, None),
        (1, None),
        (1, None),
        (1, None),
        (1, None),
    ]

    def stored(dataset: int) -> list[dict[str, str]]:
        return [
            {name: value for name, value in row.items() if name not in ("id", "datasetid")}
            for row in emulator.records(dataset=dataset)
        ]

    assert stored(batch_set) == stored(single_set)
    assert [
        (row["VENDOR_URN"], row["FirstName"], row["Testy"], row["notes"]) for row in stored(batch_set)
    ] == [
        ("A-1", "Ann", "custom é", ""),
        ("A-2", "Bob", "", ""),
        ("A-5", 'quote " and \\', "😀", ""),
        ("A-6", "second", "", ""),
        ("A-7", "", "", "loaded"),
        ("A-8", "", "other order", ""),
        ("A-9", "Cy", "x" * 100, ""),
    ]


def test_all_rows_bad_gives_no_key_and_no_info(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    body = _create(emulator, [{"dataset": dataset}])
    assert body == {
        "success": True,
        "account_id": "10278",
        "total": 0,
        "bad": 1,
        "error": "No phone number supplied",
    }


def test_more_than_1000_rows_fail_the_whole_request(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    rows = [{"dataset": dataset, "MobilePhone": "07700900001"}] * 1001
    response = emulator.cn("ecnow.php", "ecnow_records", "create", body=rows)
    assert response.text == '{"success":false,"error":"Too many rows [1001], maximum is 1000"}'
    assert emulator.records(dataset=dataset) == []
    assert _create(emulator, rows[:1000])["total"] == 1000
    update = emulator.cn("ecnow.php", "ecnow_records", "update", body=[{"id": 1, "dataset": dataset}] * 1001)
    assert update.text == '{"success":false,"error":"Too many rows [1001], maximum is 1000"}'


def test_empty_bodies_are_refused(emulator: Emulator) -> None:
    expected = '{"success":false,"error":"No file uploaded. Missing \'easycall\' section?"}'
    for content in (b"", b"  \n", b"[]"):
        response = emulator.cn("ecnow.php", "ecnow_records", "create", content=content)
        assert response.text == expected, content
    response = emulator.cn("ecnow.php", "ecnow_records", "update", fmt=None)
    assert response.text == (
        XML_DECL
        + "<result><success>0</success><error>No file uploaded. Missing 'easycall' section?</error></result>"
    )
    assert emulator.cn("ecnow.php", "ecnow_records", "create", content=b"<other/>").json() == {
        "success": False,
        "error": "No file uploaded. Missing 'easycall' section?",
    }
    for content in (b"{not json", b"[1, 2]", b'"text"'):
        response = emulator.cn("ecnow.php", "ecnow_records", "create", content=content)
        assert response.text == '{"success":false,"error":"Could not parse the request body"}', content


UNPARSEABLE = [
    # Not JSON, though Python's parser takes them: NaN, infinities, a number past a double's range.
    pytest.param(
        b'[{"import_table": "Willtest", "description": NaN, "dataset": 1, "HomePhone": "02079460001"}]',
        id="nan",
    ),
    pytest.param(b'[{"import_table": "Willtest", "d_priority": Infinity, "dataset": 1}]', id="infinity"),
    pytest.param(b'{"import_table": "Willtest", "description": -Infinity}', id="minus-infinity"),
    pytest.param(b'[{"import_table": "Willtest", "description": 1e400}]', id="overflow"),
    # Nested deeper than the emulator parses (512), and far past Python's recursion limit.
    pytest.param(
        b'[{"import_table": "Willtest", "description": ' + b"[" * 512 + b"]" * 512 + b"}]", id="513-deep"
    ),
    pytest.param(b"[" * 5000 + b"]" * 5000, id="5000-deep-arrays"),
    pytest.param(b'[{"import_table": ' * 5000 + b'"Willtest"' + b"}]" * 5000, id="5000-deep-objects"),
]
WRITES = [
    ("ecnow.php", "ecnow_datasets", "create"),
    ("ecnow.php", "ecnow_datasets", "update"),
    ("ecnow.php", "ecnow_records", "create"),
    ("ecnow.php", "ecnow_records", "update"),
    ("ecnow.php", "ecnow_outcomecodes", "create"),
    ("database.php", "outcomecodes", "update"),
]


@pytest.mark.parametrize(("script", "method", "action"), WRITES)
@pytest.mark.parametrize("content", UNPARSEABLE)
def test_bodies_the_server_cannot_parse_are_refused_whole(
    emulator: Emulator, script: str, method: str, action: str, content: bytes
) -> None:
    """NaN, Infinity, overflow and deep nesting are a bad body (success false), never a 500 or a stored row."""
    emulator.new_dataset()
    before = emulator.state.store.execute(
        "SELECT (SELECT count(*) FROM cn_datasets), (SELECT count(*) FROM cn_records),"
        " (SELECT count(*) FROM cn_outcomes), (SELECT group_concat(description) FROM cn_datasets)"
    )
    response = emulator.cn(script, method, action, content=content)
    assert (response.status_code, response.text) == (
        200,
        '{"success":false,"error":"Could not parse the request body"}',
    )
    # The same body as the `easycall` field of a POSTed form, answered in XML.
    as_form = emulator.client.post(
        f"{emulator.contactnow_url}{script}",
        params={"token": emulator.token(), "method": method, "action": action, "format": "xml"},
        data={"easycall": content.decode()},
    )
    assert as_form.text == (
        XML_DECL + "<result><success>0</success><error>Could not parse the request body</error></result>"
    )
    after = emulator.state.store.execute(
        "SELECT (SELECT count(*) FROM cn_datasets), (SELECT count(*) FROM cn_records),"
        " (SELECT count(*) FROM cn_outcomes), (SELECT group_concat(description) FROM cn_datasets)"
    )
    assert after == before


def test_a_body_nested_512_deep_is_parsed(emulator: Emulator) -> None:
    """The limit is PHP json_decode's default depth: 512 levels parse, the value is kept as JSON text."""
    description = b"[" * 510 + b"]" * 510
    body = b'[{"import_table": "Willtest", "description": ' + description + b"}]"
    assert body.count(b"[") == 511  # the row list, then 510 inside the row object: 512 levels in all
    created = emulator.ecnow("ecnow_datasets", "create", content=body)
    assert created == {"success": True, "account_id": "10278", "total": 1, "bad": 0, "key": 1}
    [row] = emulator.ecnow("ecnow_datasets", "read", dataset=1)["list"]
    assert row["description"] == description.decode()


def test_xml_body_creates_rows(emulator: Emulator) -> None:
    dataset = emulator.new_dataset(d_status="LIVE")
    payload = (
        f"<?xml version='1.0' encoding='utf-8' ?><easycall><row><dataset>{dataset}</dataset>"
        "<MobilePhone>07700900001</MobilePhone><FirstName>A &amp; B</FirstName><Title/></row>"
        f"<ecnow_records><dataset>{dataset}</dataset><HomePhone>02079460001</HomePhone></ecnow_records></easycall>"
    )
    response = emulator.cn("ecnow.php", "ecnow_records", "create", content=payload, fmt="xml")
    assert response.text == (
        XML_DECL + "<result><success>1</success><account_id>10278</account_id><total>2</total><bad>0</bad>"
        "<key>2</key><info>Record is LIVE on the dialer.</info></result>"
    )
    rows = emulator.records(dataset=dataset)
    assert [(r["FirstName"], r["MobilePhone"], r["HomePhone"]) for r in rows] == [
        ("A & B", "07700900001", ""),
        ("", "", "02079460001"),
    ]


def test_json_values_become_text(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    _create(emulator, [{"dataset": dataset, "MobilePhone": 7700900001, "Agent_Specific": True, "URN": None}])
    row = _one(emulator, 1)
    assert (row["MobilePhone"], row["Agent_Specific"], row["URN"]) == ("7700900001", "1", "")


def test_system_fields_are_not_written(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    body = _create(
        emulator,
        [
            {
                "dataset": dataset,
                "id": 77,
                "MobilePhone": "1",
                "ProcessType": "COMPLETE",
                "loaddate": "2000-01-01",
            }
        ],
    )
    assert body["key"] == 1
    row = _one(emulator, 1)
    assert row["ProcessType"] == "HOLD: New Prospect"
    assert row["loaddate"] != "2000-01-01"


# -- update ------------------------------------------------------------------------------------------------


def test_vendor_update_example_complete_outcome(emulator: Emulator) -> None:
    dataset = emulator.new_dataset(d_status="LIVE")
    [record] = emulator.new_records(dataset, [{"MobilePhone": "01234567890", "notes_append": "loaded"}])
    response = emulator.cn(
        "ecnow.php",
        "ecnow_records",
        "update",
        body=[
            {
                "id": record,
                "dataset": dataset,
                "outcomecode": 510456,
                "notes_append": "Setting record to Complete.",
            }
        ],
    )
    assert response.text == (
        '{"success":true,"account_id":"10278","total":1,"bad":0,'
        '"info":"Record is NOT live on the dialer due having a complete outcome."}'
    )
    row = _one(emulator, record)
    assert (row["outcomecode"], row["ProcessType"]) == ("510456", "COMPLETE")
    assert row["notes"] == "loaded\nSetting record to Complete."


def test_vendor_update_example_mismatched_id(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    other = emulator.new_dataset()
    [record] = emulator.new_records(dataset, [{"MobilePhone": "01234567890"}])
    response = emulator.cn(
        "ecnow.php",
        "ecnow_records",
        "update",
        body=[{"id": 2499265, "dataset": dataset, "outcomecode": 510456}],
    )
    assert response.text == (
        '{"success":true,"account_id":"10278","total":0,"bad":1,"error":"Record id [2499265] does not exist."}'
    )
    for row in (
        {"id": record, "dataset": other},
        {"id": record},
        {"dataset": dataset},
        {"id": "x", "dataset": 1},
    ):
        body = _update(emulator, [{**row, "FirstName": "Z"}])
        assert body["error"] == f"Record id [{row.get('id', '')}] does not exist.", row
    assert _one(emulator, record)["FirstName"] == ""


def test_vendor_update_example_callback(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    [record] = emulator.new_records(dataset, [{"MobilePhone": "01234567890"}])
    body = _update(
        emulator,
        {
            "id": record,
            "dataset": dataset,
            "callback": "2017-12-01 10:00:00",
            "notes_append": "Setting record to Complete.",
        },
    )
    assert body == {
        "success": True,
        "account_id": "10278",
        "total": 1,
        "bad": 0,
        "info": "Record NOT live on the dialer.",
    }
    row = _one(emulator, record)
    assert (row["callback"], row["notes"], row["ProcessType"]) == (
        "2017-12-01 10:00:00",
        "Setting record to Complete.",
        "HOLD: New Prospect",
    )


def test_incomplete_outcome_reopens_a_complete_record(emulator: Emulator) -> None:
    live = emulator.new_dataset(d_status="LIVE")
    held = emulator.new_dataset()
    [a] = emulator.new_records(live, [{"MobilePhone": "1"}])
    [b] = emulator.new_records(held, [{"MobilePhone": "2"}])
    # An incomplete outcome on a record that is not complete changes nothing but the outcome.
    body = _update(emulator, [{"id": a, "dataset": live, "outcomecode": 501638}])
    assert body["info"] == "Record is LIVE on the dialer."
    assert _one(emulator, a)["ProcessType"] == "New Prospect"
    for record, dataset in ((a, live), (b, held)):
        _update(emulator, [{"id": record, "dataset": dataset, "outcomecode": 510456}])
    assert [_one(emulator, r)["ProcessType"] for r in (a, b)] == ["COMPLETE", "COMPLETE"]
    assert _update(emulator, [{"id": a, "dataset": live, "outcomecode": 501638}])["info"] == (
        "Record is LIVE on the dialer."
    )
    assert _update(emulator, [{"id": b, "dataset": held, "outcomecode": "100"}])["info"] == (
        "Record NOT live on the dialer."
    )
    assert [_one(emulator, r)["ProcessType"] for r in (a, b)] == ["NEEDSMOREWORK", "HOLD: NEEDSMOREWORK"]
    emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": held, "d_status": "LIVE"}])
    emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": live, "d_status": "HOLD"}])
    assert [_one(emulator, r)["ProcessType"] for r in (a, b)] == ["HOLD: NEEDSMOREWORK", "NEEDSMOREWORK"]


def test_expired_records_cannot_be_updated(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    [record] = emulator.new_records(dataset, [{"MobilePhone": "1"}])
    emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": dataset, "d_status": "EXPIRED"}])
    body = _update(emulator, [{"id": record, "dataset": dataset, "FirstName": "Z"}])
    assert body == {
        "success": True,
        "account_id": "10278",
        "total": 0,
        "bad": 1,
        "error": f"Record id [{record}] is expired",
    }


def test_update_validates_fields_and_merges_custom_values(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    [record] = emulator.new_records(
        dataset, [{"MobilePhone": "1", "Testy": "one", "ThisIsATimeField": "10:00"}]
    )
    assert (
        _update(emulator, [{"id": record, "dataset": dataset, "Nope": "x"}])["error"]
        == "Unknown field [Nope]"
    )
    assert _update(emulator, [{"id": record, "dataset": dataset, "testy": "y" * 101}])["error"] == (
        "Value too long for field [Testy]"
    )
    body = _update(emulator, [{"id": record, "dataset": dataset, "TESTY": "two", "lastname": "Smith"}])
    assert (body["total"], body["bad"]) == (1, 0)
    row = _one(emulator, record)
    assert (row["Testy"], row["ThisIsATimeField"], row["LastName"]) == ("two", "10:00", "Smith")
    _update(emulator, [{"id": record, "dataset": dataset, "Testy": ""}])
    assert _one(emulator, record)["Testy"] == ""


def test_notes_append_adds_lines(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    [record] = emulator.new_records(dataset, [{"MobilePhone": "1"}])
    for line in ("first", "second"):
        _update(emulator, [{"id": record, "dataset": dataset, "notes_append": line}])
    assert _one(emulator, record)["notes"] == "first\nsecond"
    _update(emulator, [{"id": record, "dataset": dataset, "notes": "reset", "notes_append": "third"}])
    assert _one(emulator, record)["notes"] == "reset\nthird"


def test_update_partial_failure_counts(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    ids = emulator.new_records(dataset, [{"MobilePhone": "1"}, {"MobilePhone": "2"}])
    body = _update(
        emulator,
        [
            {"id": ids[0], "dataset": dataset, "FirstName": "A"},
            {"id": 12345, "dataset": dataset, "FirstName": "B"},
            {"id": ids[1], "dataset": dataset, "Bogus": "C"},
            {"id": ids[1], "dataset": dataset, "FirstName": "D"},
        ],
    )
    assert body == {
        "success": True,
        "account_id": "10278",
        "total": 2,
        "bad": 2,
        "info": "Record NOT live on the dialer.",
        "error": "Record id [12345] does not exist.",
    }
    assert [r["FirstName"] for r in emulator.records(dataset=dataset)] == ["A", "D"]


def test_a_create_is_laid_out_from_its_dataset_and_table_as_they_are_when_it_is_written(
    emulator: Emulator,
) -> None:
    """A create is laid out before its transaction from what the store's previous create read; a dataset or a
    table changed since (by the API or by SQL) is read again inside the transaction and the rows follow it."""
    store = emulator.state.store
    dataset = emulator.new_dataset()
    row = {"dataset": dataset, "MobilePhone": "07700900001", "Testy": "12345678"}
    assert _create(emulator, [row])["info"] == "Record NOT live on the dialer."
    emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": dataset, "d_status": "LIVE"}])
    assert _create(emulator, [row])["info"] == "Record is LIVE on the dialer."
    store.execute("UPDATE cn_fields SET size = 5 WHERE table_name = 'Willtest' AND name = 'Testy'")
    body = _create(emulator, [row, {**row, "Testy": "12345"}])
    assert (body["total"], body["bad"], body["error"]) == (1, 1, "Value too long for field [Testy]")
    store.execute("UPDATE cn_fields SET name = 'Renamed' WHERE table_name = 'Willtest' AND name = 'Testy'")
    body = _create(emulator, [row])
    assert (body["total"], body["bad"], body["error"]) == (0, 1, "Unknown field [Testy]")
    assert (
        _create(emulator, [{"dataset": dataset, "MobilePhone": "07700900002", "Renamed": "new"}])["total"]
        == 1
    )
    stored = [(r["id"], r["ProcessType"], r["Renamed"]) for r in emulator.records(dataset=dataset)]
    assert stored == [
        ("1", "New Prospect", ""),
        ("2", "New Prospect", ""),
        ("3", "New Prospect", ""),
        ("4", "New Prospect", "new"),
    ]
    store.execute("UPDATE cn_datasets SET import_table = 'nelsontest' WHERE dataset = ?", (dataset,))
    body = _create(emulator, [{"dataset": dataset, "MobilePhone": "07700900003", "Renamed": "x"}])
    assert (body["total"], body["bad"], body["error"]) == (0, 1, "Unknown field [Renamed]")
    emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": dataset, "d_status": "EXPIRED"}])
    body = _create(emulator, [row])
    assert (body["total"], body["bad"], body["error"]) == (0, 1, f"Dataset [{dataset}] is expired")
