"""ecnow.php method=ecnow_datasets (API-CONTRACT A3), over real HTTP, with the vendor examples reproduced."""

from __future__ import annotations

from typing import Any

from .conftest import Emulator, FakeClock

XML_DECL = '<?xml version="1.0" encoding="utf-8" ?>\n'


def _datasets(emulator: Emulator, **filters: Any) -> list[dict[str, str]]:
    body = emulator.ecnow("ecnow_datasets", "read", **filters)
    assert body["success"] is True
    assert body["total"] == len(body["list"])
    rows: list[dict[str, str]] = body["list"]
    return rows


def test_support_article_create_json(emulator: Emulator) -> None:
    response = emulator.cn(
        "ecnow.php",
        "ecnow_datasets",
        "create",
        content=b'[{"description":"baba3",\n"import_table":"nelsontest"}]',
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.text == '{"success":true,"account_id":"10278","total":1,"bad":0,"key":1}'


def test_support_article_create_xml(emulator: Emulator) -> None:
    # The article's payload says "nesontest", a table that does not exist; the contract makes that a bad row,
    # so the example is reproduced with the table name spelled as in its JSON twin.
    payload = (
        b"<easycall>\n    <ecnow_records>\n        <description>Baba3</description>\n"
        b"        <import_table>nelsontest</import_table>\n    </ecnow_records>\n</easycall>"
    )
    response = emulator.cn("ecnow.php", "ecnow_datasets", "create", content=payload, fmt="xml")
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.text == (
        XML_DECL + "<result><success>1</success><account_id>10278</account_id><total>1</total><bad>0</bad>"
        "<key>1</key></result>"
    )
    typo = payload.replace(b"nelsontest", b"nesontest")
    response = emulator.cn("ecnow.php", "ecnow_datasets", "create", content=typo, fmt="xml")
    assert response.text == (
        XML_DECL + "<result><success>1</success><account_id>10278</account_id><total>0</total><bad>1</bad>"
        "<error>Unknown campaign table [nesontest]</error></result>"
    )


def test_new_dataset_defaults_and_read_shape(emulator: Emulator, clock: FakeClock) -> None:
    dataset = emulator.new_dataset("nelsontest", "ECN_Training")
    assert _datasets(emulator) == [
        {
            "dataset": str(dataset),
            "qid": "0",
            "d_status": "HOLD",
            "d_priority": "0",
            "notes": "",
            "callbacks": "none",
            "crm_account": "0",
            "crm_campaign": "",
            "description": "ECN_Training",
            "locked": "0",
            "loaddate": "2027-01-15 08:00:00",
            "sourcefile": "",
            "import_table": "nelsontest",
            "campaign": "527220",
        }
    ]


def test_read_xml_shape(emulator: Emulator, clock: FakeClock) -> None:
    dataset = emulator.new_dataset("nelsontest", "ECN & Training", qid=829603, d_priority=80)
    response = emulator.cn("ecnow.php", "ecnow_datasets", "read", fmt="xml")
    assert response.text == (
        XML_DECL + "<result><success>1</success><total>1</total><list><ecnow_dataset>"
        f"<dataset>{dataset}</dataset><qid>829603</qid><d_status>HOLD</d_status><d_priority>80</d_priority>"
        "<notes/><callbacks>none</callbacks><crm_account>0</crm_account><crm_campaign/>"
        "<description>ECN &amp; Training</description><locked>0</locked><loaddate>2027-01-15 08:00:00</loaddate>"
        "<sourcefile/><import_table>nelsontest</import_table><campaign>527220</campaign>"
        "</ecnow_dataset></list></result>"
    )


def test_missing_format_answers_xml(emulator: Emulator) -> None:
    response = emulator.cn("ecnow.php", "ecnow_datasets", "read", fmt=None)
    assert response.text == XML_DECL + "<result><success>1</success><total>0</total><list></list></result>"


def test_support_article_update_json(emulator: Emulator) -> None:
    dataset = emulator.new_dataset("nelsontest", "baba3")
    payload = (
        '[{"description":"baba3",\n"import_table":"nelsontest",\n"qid":"829603",\n'
        f'"dataset":"{dataset}",\n"d_status":"LIVE",\n"d_priority":"90"}}]'
    )
    response = emulator.cn("ecnow.php", "ecnow_datasets", "update", content=payload)
    assert response.text == '{"success":true,"account_id":"10278","total":1,"bad":0}'
    [row] = _datasets(emulator, dataset=dataset)
    assert (row["qid"], row["d_status"], row["d_priority"]) == ("829603", "LIVE", "90")


def test_support_article_update_xml(emulator: Emulator) -> None:
    dataset = emulator.new_dataset("nelsontest", "baba3")
    # The article's payload is not well-formed (<qid>Blogs<qid/>): it is refused as a whole.
    broken = (
        "<?xml version='1.0' encoding='utf-8' ?>\n<easycall><ecnow_records><description>550447</description>"
        f"<qid>Blogs<qid/><dataset>{dataset}</dataset></ecnow_records></easycall>"
    )
    response = emulator.cn("ecnow.php", "ecnow_datasets", "update", content=broken, fmt="xml")
    assert response.text == (
        XML_DECL + "<result><success>0</success><error>Could not parse the request body</error></result>"
    )
    # Well-formed, "Blogs" is not a queue: the row is bad.
    fixed = broken.replace("<qid>Blogs<qid/>", "<qid>Blogs</qid>")
    response = emulator.cn("ecnow.php", "ecnow_datasets", "update", content=fixed, fmt="xml")
    assert response.text == (
        XML_DECL + "<result><success>1</success><account_id>10278</account_id><total>0</total><bad>1</bad>"
        "<error>Unknown queue [Blogs]</error></result>"
    )
    good = fixed.replace("Blogs", "829603").replace(
        "</ecnow_records>", "<d_status>LIVE</d_status><d_priority>90</d_priority></ecnow_records>"
    )
    response = emulator.cn("ecnow.php", "ecnow_datasets", "update", content=good, fmt="xml")
    assert response.text == (
        XML_DECL
        + "<result><success>1</success><account_id>10278</account_id><total>1</total><bad>0</bad></result>"
    )
    [row] = _datasets(emulator, dataset=dataset)
    assert (row["description"], row["qid"], row["d_status"], row["d_priority"]) == (
        "550447",
        "829603",
        "LIVE",
        "90",
    )


def test_read_filters_and_aliases(emulator: Emulator) -> None:
    a = emulator.new_dataset("Willtest", "alpha", qid=75674454)
    b = emulator.new_dataset("Willtest", "beta", qid=829603, d_status="LIVE")
    c = emulator.new_dataset("nelsontest", "alpha")

    def ids(**filters: Any) -> list[int]:
        return [int(r["dataset"]) for r in _datasets(emulator, **filters)]

    assert ids() == [a, b, c]
    assert ids(qid="75674454") == [a]
    assert ids(qid="75674454,829603") == [a, b]
    assert ids(qid="0") == [c]
    assert ids(qid="x") == []
    assert ids(dataset=b) == [b]
    assert ids(state="LIVE") == [b]
    assert ids(d_status="HOLD") == [a, c]
    assert ids(table="Willtest") == [a, b]
    assert ids(import_table="nelsontest") == [c]
    assert ids(description="alpha") == [a, c]
    assert ids(description="alpha", table="nelsontest") == [c]
    assert ids(description="alp") == []


def test_create_refuses_unknown_tables_and_keeps_the_good_rows(emulator: Emulator) -> None:
    body = emulator.ecnow(
        "ecnow_datasets",
        "create",
        body=[
            {"import_table": "Willtest", "description": "one"},
            {"import_table": "nope", "description": "two"},
            {"description": "three"},
            {"import_table": "WILLTEST", "description": "four"},
        ],
    )
    assert body == {
        "success": True,
        "account_id": "10278",
        "total": 2,
        "bad": 2,
        "key": 2,
        "error": "Unknown campaign table [nope]",
    }
    rows = _datasets(emulator)
    assert [(r["dataset"], r["import_table"], r["description"]) for r in rows] == [
        ("1", "Willtest", "one"),
        ("2", "Willtest", "four"),
    ]


def test_same_description_twice_makes_two_datasets(emulator: Emulator) -> None:
    first = emulator.new_dataset("Willtest", "same")
    second = emulator.new_dataset("Willtest", "same")
    assert first != second
    assert len(_datasets(emulator, description="same")) == 2


def test_update_validation_errors(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    cases = [
        ({"d_priority": "91"}, "Invalid d_priority [91]"),
        ({"d_priority": "-1"}, "Invalid d_priority [-1]"),
        ({"d_priority": "high"}, "Invalid d_priority [high]"),
        ({"d_status": "live"}, "Invalid d_status [live]"),
        ({"d_status": "DELETED"}, "Invalid d_status [DELETED]"),
        ({"qid": "642384"}, "Unknown queue [642384]"),  # inbound
        ({"qid": "999"}, "Unknown queue [999]"),  # deleted
        ({"qid": "505050"}, "Unknown queue [505050]"),  # default PBX
        ({"qid": "123"}, "Unknown queue [123]"),
    ]
    for change, error in cases:
        body = emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": dataset, **change}])
        assert body == {"success": True, "account_id": "10278", "total": 0, "bad": 1, "error": error}, change
    body = emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": 999999, "d_status": "LIVE"}])
    assert body["error"] == "Dataset [999999] does not exist."
    body = emulator.ecnow("ecnow_datasets", "update", body=[{"d_status": "LIVE"}])
    assert body["error"] == "Dataset [] does not exist."
    [row] = _datasets(emulator)
    assert (row["qid"], row["d_status"], row["d_priority"]) == ("0", "HOLD", "0")


def test_update_limits_and_unassigning_the_queue(emulator: Emulator) -> None:
    dataset = emulator.new_dataset(qid=75674454, d_priority=90)
    assert _datasets(emulator)[0]["d_priority"] == "90"
    body = emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": dataset, "d_priority": 0, "qid": 0}])
    assert body["bad"] == 0
    [row] = _datasets(emulator)
    assert (row["qid"], row["d_priority"]) == ("0", "0")


def test_partial_failure_reports_the_first_bad_row(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    body = emulator.ecnow(
        "ecnow_datasets",
        "update",
        body=[
            {"dataset": dataset, "d_priority": 100},
            {"dataset": dataset, "d_status": "LIVE"},
            {"dataset": dataset, "d_status": "nope"},
        ],
    )
    assert body == {
        "success": True,
        "account_id": "10278",
        "total": 1,
        "bad": 2,
        "error": "Invalid d_priority [100]",
    }
    assert _datasets(emulator)[0]["d_status"] == "LIVE"


def _process_types(emulator: Emulator, dataset: int) -> list[str]:
    return [r["ProcessType"] for r in emulator.records(dataset=dataset)]


def test_status_moves_records_and_expired_is_final(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    ids = emulator.new_records(dataset, [{"MobilePhone": "07700900001"}, {"MobilePhone": "07700900002"}])
    assert _process_types(emulator, dataset) == ["HOLD: New Prospect", "HOLD: New Prospect"]
    emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": dataset, "d_status": "LIVE"}])
    assert _process_types(emulator, dataset) == ["New Prospect", "New Prospect"]
    done = emulator.ecnow(
        "ecnow_records", "update", body=[{"id": ids[1], "dataset": dataset, "outcomecode": "510456"}]
    )
    assert done["bad"] == 0
    emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": dataset, "d_status": "HOLD"}])
    assert _process_types(emulator, dataset) == ["HOLD: New Prospect", "COMPLETE"]
    emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": dataset, "d_status": "HOLD"}])
    assert _process_types(emulator, dataset) == ["HOLD: New Prospect", "COMPLETE"]
    emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": dataset, "d_status": "EXPIRED"}])
    assert _process_types(emulator, dataset) == ["EXPIRED", "EXPIRED"]
    for change in ({"d_status": "LIVE"}, {"d_priority": 5}, {"description": "again"}, {}):
        body = emulator.ecnow("ecnow_datasets", "update", body=[{"dataset": dataset, **change}])
        assert body == {
            "success": True,
            "account_id": "10278",
            "total": 0,
            "bad": 1,
            "error": f"Dataset [{dataset}] is expired",
        }
    [row] = _datasets(emulator)
    assert row["d_status"] == "EXPIRED"


def test_create_accepts_initial_settings(emulator: Emulator) -> None:
    body = emulator.ecnow(
        "ecnow_datasets",
        "create",
        body={
            "import_table": "Willtest",
            "description": "x",
            "d_status": "LIVE",
            "qid": 75674454,
            "d_priority": 7,
        },
    )
    assert body["total"] == 1
    [row] = _datasets(emulator)
    assert (row["d_status"], row["qid"], row["d_priority"]) == ("LIVE", "75674454", "7")
    body = emulator.ecnow("ecnow_datasets", "create", body={"import_table": "Willtest", "d_priority": 95})
    assert body == {
        "success": True,
        "account_id": "10278",
        "total": 0,
        "bad": 1,
        "error": "Invalid d_priority [95]",
    }
