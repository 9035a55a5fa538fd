"""campaign_tables, campaign_fields, outcome codes and queues (API-CONTRACT A5-A7)."""

from __future__ import annotations

from .conftest import Emulator

XML_DECL = '<?xml version="1.0" encoding="utf-8" ?>\n'


def test_campaign_tables(emulator: Emulator) -> None:
    response = emulator.cn("ecnow.php", "campaign_tables", "read")
    assert response.text == '{"success":true,"total":2,"list":[{"name":"nelsontest"},{"name":"Willtest"}]}'
    xml = emulator.cn("ecnow.php", "campaign_tables", "read", fmt="xml")
    assert xml.text == (
        XML_DECL + "<result><success>1</success><total>2</total><list><campaign_table><name>nelsontest</name>"
        "</campaign_table><campaign_table><name>Willtest</name></campaign_table></list></result>"
    )


def test_campaign_fields_vendor_example(emulator: Emulator) -> None:
    body = emulator.ecnow("campaign_fields", "read", table="Willtest")
    assert body["total"] == 33
    assert body["list"][0] == {
        "position": "1",
        "table": "Willtest",
        "name": "id",
        "size": "200",
        "standard_field": "1",
        "group_name": "system",
        "type": "int",
        "prompt": "id",
        "readonly": "Y",
        "search": "yes",
        "hidden": "N",
        "hidden_on_script": "N",
        "order": "0",
        "picklist": "",
        "required": "N",
    }
    names = [row["name"] for row in body["list"]]
    assert names[:4] == ["id", "URN", "VENDOR_URN", "datasetid"]
    assert names[-3:] == ["flgid", "Testy", "ThisIsATimeField"]
    assert [row["position"] for row in body["list"]] == [str(i) for i in range(1, 34)]
    [testy] = emulator.ecnow("campaign_fields", "read", table="Willtest", name="Testy")["list"]
    assert (testy["size"], testy["type"], testy["standard_field"], testy["position"]) == (
        "100",
        "varchar",
        "0",
        "32",
    )


def test_campaign_fields_filters(emulator: Emulator) -> None:
    everything = emulator.ecnow("campaign_fields", "read")
    assert everything["total"] == 33 + 31
    assert {row["table"] for row in everything["list"]} == {"Willtest", "nelsontest"}
    ids = emulator.ecnow("campaign_fields", "read", name="id")["list"]
    assert [row["table"] for row in ids] == ["nelsontest", "Willtest"]
    assert emulator.ecnow("campaign_fields", "read", table="Nope") == {
        "success": True,
        "total": 0,
        "list": [],
    }


def test_outcomecodes_vendor_example(emulator: Emulator) -> None:
    body = emulator.database("outcomecodes", "read")
    assert body["total"] == 6
    by_id = {row["outcome"]: row for row in body["list"]}
    assert by_id["510456"] == {
        "outcome": "510456",
        "description": "Sales Completed",
        "complete": "Y",
        "dmc": "Y",
        "sale": "Y",
        "do_not_call": "N",
        "answerphone": "0",
    }
    assert by_id["501638"] == {
        "outcome": "501638",
        "description": "Need more information",
        "complete": "N",
        "dmc": "Y",
        "sale": "Y",
        "do_not_call": "N",
        "answerphone": "0",
    }
    assert (by_id["100"]["complete"], by_id["109"]["complete"]) == ("N", "N")
    # Do-not-call codes: the system's 98 and an account code, so harvest has input (issue #16).
    assert [(by_id[code]["complete"], by_id[code]["do_not_call"]) for code in ("98", "510450")] == [
        ("Y", "Y")
    ] * 2


def test_outcomecodes_filters_and_ecnow_alias(emulator: Emulator) -> None:
    system = emulator.database("outcomecodes", "read", mode="system")
    assert [row["outcome"] for row in system["list"]] == ["98", "100", "109"]
    assert [row["outcome"] for row in emulator.database("outcomecodes", "read", uid=510456)["list"]] == [
        "510456"
    ]
    assert emulator.ecnow("ecnow_outcomecodes", "read") == emulator.database("outcomecodes", "read")
    xml = emulator.cn("database.php", "outcomecodes", "read", uid=100, fmt="xml")
    assert xml.text == (
        XML_DECL + "<result><success>1</success><total>1</total><list><outcomecode><outcome>100</outcome>"
        "<description>No Answer</description><complete>N</complete><dmc>N</dmc><sale>N</sale>"
        "<do_not_call>N</do_not_call><answerphone>0</answerphone></outcomecode></list></result>"
    )


def test_outcomecodes_create_and_update(emulator: Emulator) -> None:
    body = emulator.database(
        "outcomecodes", "create", body=[{"description": "Call back later", "complete": "N", "dmc": "Y"}]
    )
    assert body == {"success": True, "account_id": "10278", "total": 1, "bad": 0, "key": 510457}
    body = emulator.database(
        "outcomecodes", "create", body={"outcome": 600000, "description": "Done", "complete": "Y"}
    )
    assert body["key"] == 600000
    body = emulator.database(
        "outcomecodes",
        "create",
        body=[{"outcome": 600000}, {"complete": "maybe"}, {"outcome": "x"}],
    )
    assert body == {
        "success": True,
        "account_id": "10278",
        "total": 0,
        "bad": 3,
        "error": "Outcome code [600000] already exists.",
    }
    [created] = emulator.database("outcomecodes", "read", uid=510457)["list"]
    assert created == {
        "outcome": "510457",
        "description": "Call back later",
        "complete": "N",
        "dmc": "Y",
        "sale": "N",
        "do_not_call": "N",
        "answerphone": "0",
    }
    body = emulator.database(
        "outcomecodes", "update", body=[{"outcome": 510457, "complete": "Y", "sale": "Y"}]
    )
    assert body == {"success": True, "account_id": "10278", "total": 1, "bad": 0}
    [updated] = emulator.database("outcomecodes", "read", uid=510457)["list"]
    assert (updated["complete"], updated["sale"], updated["description"]) == ("Y", "Y", "Call back later")
    errors = [
        emulator.database("outcomecodes", "update", body=row)["error"]
        for row in (
            {"outcome": 100, "description": "x"},
            {"outcome": 4242},
            {"outcome": 510457, "dmc": "yes"},
        )
    ]
    assert errors == [
        "Outcome [100] is a system outcome",
        "Outcome code [4242] does not exist.",
        "Invalid dmc [yes]",
    ]


def test_an_update_naming_a_system_code_fails_whole_and_stores_nothing(emulator: Emulator) -> None:
    body = emulator.database(
        "outcomecodes",
        "update",
        body=[{"outcome": 510456, "description": "Changed"}, {"outcome": 109, "complete": "Y"}],
    )
    assert body == {"success": False, "error": "Outcome [109] is a system outcome"}
    [kept] = emulator.database("outcomecodes", "read", uid=510456)["list"]
    assert kept["description"] == "Sales Completed"


def test_answerphone_is_a_y_or_n_flag_on_write(emulator: Emulator) -> None:
    body = emulator.database(
        "outcomecodes",
        "create",
        body=[{"description": "Machine", "complete": "N", "answerphone": "Y"}, {"answerphone": "0"}],
    )
    assert (body["total"], body["bad"], body["error"]) == (1, 1, "Invalid answerphone [0]")
    [made] = emulator.database("outcomecodes", "read", uid=body["key"])["list"]
    assert made["answerphone"] == "Y"


def test_a_new_complete_outcome_completes_records(emulator: Emulator) -> None:
    emulator.database("outcomecodes", "create", body={"outcome": 700001, "complete": "Y"})
    dataset = emulator.new_dataset(d_status="LIVE")
    [record] = emulator.new_records(dataset, [{"MobilePhone": "1"}])
    body = emulator.ecnow(
        "ecnow_records", "update", body={"id": record, "dataset": dataset, "outcomecode": 700001}
    )
    assert body["info"] == "Record is NOT live on the dialer due having a complete outcome."


def test_queues(emulator: Emulator) -> None:
    body = emulator.database("queues", "read")
    assert body == {
        "success": True,
        "total": 5,
        "list": [
            {
                "qid": "999",
                "type": "outbound",
                "description": "Deleted",
                "campaignid": "0",
                "callerid": "",
                "tod": "0",
            },
            {
                "qid": "505050",
                "type": "inbound",
                "description": "Default PBX",
                "campaignid": "0",
                "callerid": "",
                "tod": "0",
            },
            {
                "qid": "642384",
                "type": "inbound",
                "description": "Nelson inbound",
                "campaignid": "527220",
                "callerid": "",
                "tod": "0",
            },
            {
                "qid": "829603",
                "type": "outbound",
                "description": "Nelson outbound",
                "campaignid": "527220",
                "callerid": "",
                "tod": "0",
            },
            {
                "qid": "75674454",
                "type": "outbound",
                "description": "Willtest outbound",
                "campaignid": "527219",
                "callerid": "01632960000",
                "tod": "0",
            },
        ],
    }
    assert [q["qid"] for q in emulator.database("queues", "read", type="outbound")["list"]] == [
        "999",
        "829603",
        "75674454",
    ]
    assert [q["qid"] for q in emulator.database("queues", "read", type="inbound,ivr")["list"]] == [
        "505050",
        "642384",
    ]
    assert [q["qid"] for q in emulator.database("queues", "read", table="nelsontest")["list"]] == [
        "642384",
        "829603",
    ]
    assert [
        q["qid"] for q in emulator.database("queues", "read", table="Willtest", type="inbound")["list"]
    ] == []
    assert emulator.database("queues", "read", table="Nope") == {
        "success": False,
        "error": "Unknown campaign table [Nope]",
    }
    xml = emulator.cn("database.php", "queues", "read", table="Willtest", fmt="xml")
    assert xml.text == (
        XML_DECL
        + "<result><success>1</success><total>1</total><list><queue><qid>75674454</qid><type>outbound</type>"
        "<description>Willtest outbound</description><campaignid>527219</campaignid>"
        "<callerid>01632960000</callerid><tod>0</tod>"
        "</queue></list></result>"
    )
