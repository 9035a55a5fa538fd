"""How ContactNow requests are taken: scripts, methods, actions, GET/POST arguments, bodies and formats."""

from __future__ import annotations

import json

from .conftest import Emulator

XML_DECL = '<?xml version="1.0" encoding="utf-8" ?>\n'


def test_unknown_method_and_action(emulator: Emulator) -> None:
    cases = [
        ("ecnow.php", "ecnow_things", "read", "Unknown method [ecnow_things]"),
        ("ecnow.php", None, "read", "Unknown method []"),
        ("database.php", "ecnow_records", "read", "Unknown method [ecnow_records]"),
        ("ecnow.php", "ecnow_datasets", "delete", "Unknown action [delete]"),
        ("ecnow.php", "campaign_tables", "create", "Unknown action [create]"),
        ("database.php", "queues", "create", "Unknown action [create]"),
    ]
    for script, method, action, error in cases:
        response = emulator.cn(script, method, action)
        assert response.status_code == 200
        assert response.json() == {"success": False, "error": error}, (script, method, action)


def test_token_is_checked_before_method(emulator: Emulator) -> None:
    response = emulator.cn("ecnow.php", "nope", "read", token="bad")
    assert response.json() == {"success": False, "error": "Invalid token"}


def test_arguments_as_post_form_fields(emulator: Emulator) -> None:
    dataset = emulator.new_dataset(description="form")
    response = emulator.client.post(
        f"{emulator.contactnow_url}ecnow.php",
        data={
            "token": emulator.token(),
            "method": "ecnow_datasets",
            "action": "read",
            "format": "json",
            "dataset": str(dataset),
        },
    )
    body = response.json()
    assert (body["total"], body["list"][0]["description"]) == (1, "form")


def test_form_fields_override_query_arguments(emulator: Emulator) -> None:
    response = emulator.client.post(
        f"{emulator.contactnow_url}ecnow.php",
        params={"token": emulator.token(), "method": "ecnow_datasets", "action": "read", "format": "xml"},
        data={"format": "json"},
    )
    assert response.json() == {"success": True, "total": 0, "list": []}


def test_rows_as_an_uploaded_easycall_file(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    rows = json.dumps([{"dataset": dataset, "MobilePhone": "07700900001"}]).encode()
    response = emulator.client.post(
        f"{emulator.contactnow_url}ecnow.php",
        data={"token": emulator.token(), "method": "ecnow_records", "action": "create", "format": "json"},
        files={"easycall": ("rows.json", rows, "application/json")},
    )
    assert response.json()["key"] == 1
    response = emulator.client.post(
        f"{emulator.contactnow_url}ecnow.php",
        data={"token": emulator.token(), "method": "ecnow_records", "action": "create", "format": "json"},
        files={"other": ("rows.json", rows, "application/json")},
    )
    assert response.json() == {"success": False, "error": "No file uploaded. Missing 'easycall' section?"}


def test_rows_as_an_easycall_form_field(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    response = emulator.client.post(
        f"{emulator.contactnow_url}ecnow.php",
        data={
            "token": emulator.token(),
            "method": "ecnow_records",
            "action": "create",
            "format": "json",
            "easycall": json.dumps({"dataset": dataset, "HomePhone": "1"}),
        },
    )
    assert response.json()["total"] == 1


def test_format_is_case_insensitive_and_unknown_formats_fall_back(emulator: Emulator) -> None:
    assert emulator.cn("ecnow.php", "campaign_tables", "read", fmt="JSON").json()["total"] == 2
    assert emulator.cn("ecnow.php", "campaign_tables", "read", fmt="csv").text.startswith(XML_DECL)
    assert emulator.cn("database.php", "queues", "read", fmt=None).text.startswith(XML_DECL)


def test_xml_errors_and_booleans(emulator: Emulator) -> None:
    response = emulator.cn("ecnow.php", "ecnow_records", "read", fmt="xml")
    assert response.text == (
        XML_DECL
        + "<result><success>0</success><error>Bad argument: table or dataset required</error></result>"
    )


def test_request_state_feeds_the_request_log(emulator: Emulator) -> None:
    log = emulator.state.log
    since = log.last_seq
    dataset = emulator.new_dataset()
    emulator.ecnow(
        "ecnow_records", "create", body=[{"dataset": dataset, "MobilePhone": "1"}, {"dataset": dataset}]
    )
    emulator.ecnow("ecnow_records", "read", table="Nope")
    entries = [(e.op, e.rows, e.result, e.committed) for e in log.entries(since)]
    assert entries == [
        ("token.get", None, "success", False),
        ("ecnow_datasets.create", 1, "success", True),
        ("ecnow_records.create", 2, "bad=1", True),
        ("ecnow_records.read", None, "error=Unknown campaign table [Nope]", False),
    ]
    emulator.ecnow("ecnow_records", "create", body=[{"dataset": dataset}])
    last = log.entries(log.last_seq - 1)[-1]
    assert (last.op, last.result, last.committed) == ("ecnow_records.create", "bad=1", False)


def test_a_raw_body_posted_with_the_form_content_type_is_still_raw(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    response = emulator.client.post(
        f"{emulator.contactnow_url}ecnow.php",
        params={
            "token": emulator.token(),
            "method": "ecnow_records",
            "action": "create",
            "format": "json",
            "raw": 1,
        },
        content=json.dumps([{"dataset": dataset, "MobilePhone": "07700900001"}]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.json()["total"] == 1
