"""The store view (view.py): what it reads is what the vendor APIs serve, and what it writes they then serve."""

from __future__ import annotations

import time

import httpx
import pytest

from reconciler.emulator.view import Dataset, Member

from .conftest import Emulator
from .test_cc_helpers import AUTH, add, member_ids, records


def _datasets(emulator: Emulator) -> list[dict[str, str]]:
    body = emulator.ecnow("ecnow_datasets", "read")
    rows: list[dict[str, str]] = body["list"]
    return rows


# ------------------------------------------------------------------------------------------------ datasets


def test_datasets_are_what_the_api_serves(emulator: Emulator) -> None:
    first = emulator.new_dataset("Willtest", "Spring", qid=75674454, d_priority=50)
    second = emulator.new_dataset("nelsontest", "Nelson", d_status="LIVE")
    view = emulator.state.view
    assert view.datasets() == [
        Dataset(first, "Willtest", "Spring", "HOLD", 50, 75674454),
        Dataset(second, "nelsontest", "Nelson", "LIVE", 0, 0),
    ]
    served = {int(row["dataset"]): row for row in _datasets(emulator)}
    for dataset in view.datasets():
        row = served[dataset.id]
        assert (row["import_table"], row["description"], row["d_status"]) == (
            dataset.table,
            dataset.description,
            dataset.status,
        )
        assert (int(row["d_priority"]), int(row["qid"])) == (dataset.priority, dataset.queue)
    assert view.dataset("Nelson").id == second


def test_the_one_dataset_or_an_error(emulator: Emulator) -> None:
    view = emulator.state.view
    with pytest.raises(LookupError, match=r"^0 datasets, not exactly one$"):
        view.dataset()
    one = view.add_dataset("Willtest", "Twin")
    assert view.dataset() == Dataset(one, "Willtest", "Twin", "HOLD", 0, 0)
    view.add_dataset("Willtest", "Twin", status="LIVE", priority=9, queue=829603, id=40)
    with pytest.raises(LookupError, match=r"^2 datasets described 'Twin', not exactly one$"):
        view.dataset("Twin")
    with pytest.raises(LookupError, match=r"^0 datasets described 'Other', not exactly one$"):
        view.dataset("Other")
    assert view.datasets()[1] == Dataset(40, "Willtest", "Twin", "LIVE", 9, 829603)


def test_set_dataset_changes_only_what_it_names(emulator: Emulator) -> None:
    view = emulator.state.view
    kept = view.add_dataset("Willtest", "Kept")
    changed = view.add_dataset("Willtest", "Before")
    view.set_dataset(changed, priority=77)
    view.set_dataset(view.dataset("Before"), description="After", status="LIVE", queue=829603)
    served = {row["description"]: row for row in _datasets(emulator)}
    assert (served["After"]["d_priority"], served["After"]["d_status"], served["After"]["qid"]) == (
        "77",
        "LIVE",
        "829603",
    )
    assert view.dataset("Kept") == Dataset(kept, "Willtest", "Kept", "HOLD", 0, 0)
    with pytest.raises(ValueError, match="nothing to change"):
        view.set_dataset(kept)


# ------------------------------------------------------------------------------------------------- records


def test_records_are_the_objects_a_records_read_serves(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    emulator.new_records(
        dataset, [{"VENDOR_URN": "A1", "MobilePhone": "07700900001", "Testy": "t"}, {"MobilePhone": "1"}]
    )
    other = emulator.new_dataset(description="other")
    emulator.new_records(other, [{"VENDOR_URN": "B1", "MobilePhone": "07700900002"}])
    view = emulator.state.view
    assert view.records() == emulator.records(table="Willtest")
    assert view.records(dataset) == emulator.records(table="Willtest", dataset=dataset)
    assert view.records(view.dataset("other")) == emulator.records(table="Willtest", dataset=other)
    assert view.record_keys() == ["A1", "", "B1"]
    assert view.record_keys(other) == ["B1"]


def test_add_records_as_given_with_the_api_defaults(emulator: Emulator) -> None:
    view = emulator.state.view
    dataset = view.add_dataset("Willtest", "Seeded", status="LIVE")
    rows = [
        {
            "VENDOR_URN": "K1",
            "FirstName": "Ann",
            "ProcessType": "COMPLETE",
            "outcomecode": "510456",
            "Testy": "x",
        },
        {"VENDOR_URN": "K1", "Testy": ""},
        {"id": "90", "VENDOR_URN": "K3"},
    ]
    assert view.add_records(dataset, rows) == 3
    first, second, third = emulator.records(table="Willtest")
    assert (first["id"], first["FirstName"], first["ProcessType"], first["outcomecode"], first["Testy"]) == (
        "1",
        "Ann",
        "COMPLETE",
        "510456",
        "x",
    )
    assert (first["callback"], first["ProcessDate"], first["AgentRef"], first["loaddate"]) == (
        "0000-00-00 00:00:00",
        "0000-00-00 00:00:00",
        "0",
        "",
    )
    assert (second["VENDOR_URN"], second["Testy"], second["MobilePhone"]) == ("K1", "", "")
    assert (third["id"], third["datasetid"]) == ("90", str(dataset))
    assert view.record_keys(dataset) == ["K1", "K1", "K3"]


def test_add_records_refuses_a_field_the_table_lacks(emulator: Emulator) -> None:
    view = emulator.state.view
    dataset = view.add_dataset("nelsontest")
    with pytest.raises(ValueError, match=r"^Testy is not a field of campaign table nelsontest$"):
        view.add_records(dataset, [{"VENDOR_URN": "K1", "Testy": "x"}])
    with pytest.raises(LookupError, match=r"^no dataset 99$"):
        view.add_records(99, [{"VENDOR_URN": "K1"}])
    assert view.records() == []


def test_many_records_go_in_several_transactions(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("reconciler.emulator.view._BATCH", 7)
    view = emulator.state.view
    dataset = view.add_dataset("Willtest")
    assert view.add_records(dataset, ({"VENDOR_URN": f"K{n:02d}"} for n in range(20))) == 20
    assert view.record_keys() == [f"K{n:02d}" for n in range(20)]


def test_records_added_long_ago_are_seen_whatever_the_read_lag(emulator: Emulator) -> None:
    view = emulator.state.view
    dataset = view.add_dataset("Willtest")
    emulator.state.settings.read_lag = 3600.0
    view.add_records(dataset, [{"VENDOR_URN": "Old"}])
    view.add_records(dataset, [{"VENDOR_URN": "New"}], created=time.time())
    assert [row["VENDOR_URN"] for row in emulator.records(table="Willtest")] == ["Old"]


def test_set_records_by_key_or_every_record(emulator: Emulator) -> None:
    view = emulator.state.view
    dataset = view.add_dataset("Willtest")
    view.add_records(dataset, [{"VENDOR_URN": key, "FirstName": key.lower()} for key in ("A", "B", "C", "B")])
    assert view.set_records("B", FirstName="Changed", ProcessType="EXPIRED") == 2
    assert [
        (r["VENDOR_URN"], r["FirstName"], r["ProcessType"]) for r in emulator.records(table="Willtest")
    ] == [
        ("A", "a", ""),
        ("B", "Changed", "EXPIRED"),
        ("C", "c", ""),
        ("B", "Changed", "EXPIRED"),
    ]
    assert view.set_records("C", VENDOR_URN="Z") == 1  # re-keyed
    assert view.set_records("nobody", FirstName="x") == 0
    assert view.set_records(Address1="Everywhere") == 4
    assert view.record_keys() == ["A", "B", "Z", "B"]
    assert {record["Address1"] for record in view.records()} == {"Everywhere"}
    with pytest.raises(ValueError, match=r"^not standard record fields: Nope, Testy$"):
        view.set_records("A", Testy="x", Nope="y")


# -------------------------------------------------------------------------------------- ContactNow settings


def test_set_field_size_is_what_creates_check(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    emulator.state.view.set_field("Willtest", "Testy", size=3)
    created = emulator.ecnow(
        "ecnow_records", "create", body=[{"dataset": dataset, "MobilePhone": "07700900001", "Testy": "long"}]
    )
    assert (created["bad"], created["error"]) == (1, "Value too long for field [Testy]")


def test_outcomes_and_which_complete(emulator: Emulator) -> None:
    assert emulator.state.view.outcomes() == {
        "98": True,
        "100": False,
        "109": False,
        "501638": False,
        "510450": True,
        "510456": True,
    }


def test_users_and_tokens(emulator: Emulator) -> None:
    view = emulator.state.view
    assert view.tokens() == []
    issued = emulator.token()
    assert view.tokens() == [issued]
    view.remove_tokens()
    assert view.tokens() == []
    refused = emulator.cn("ecnow.php", "ecnow_datasets", "read", token=issued)
    assert refused.json()["error"] == "Invalid token"

    view.add_user("other", "other-password", "555")
    view.add_token("pre-issued", "other", time.time() + 60)
    assert emulator.ecnow("ecnow_datasets", "read", token="pre-issued")["success"] is True
    assert sorted(view.tokens()) == ["pre-issued"]
    view.remove_user("demo")
    login = emulator.client.get(
        f"{emulator.contactnow_url}token.php",
        params={"action": "get", "username": "demo", "password": "demo-password"},
    )
    assert login.json()["success"] is False


# -------------------------------------------------------------------------------------------- Contact Center


def test_members_in_the_order_added_as_records_json_serves_them(emulator: Emulator) -> None:
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000009}, {"customer-id": 10000001}])
    view = emulator.state.view
    assert view.members(125) == [Member(10000009), Member(10000001)]
    assert view.add_members(125, [Member(10000005, status=4, schedule="2026-11-24T09:00:00Z")]) == 1
    assert member_ids(emulator.client, emulator.base_url, 125) == [10000009, 10000001, 10000005]
    assert view.members(126) == []


def test_set_member_is_what_records_json_serves(emulator: Emulator) -> None:
    view = emulator.state.view
    view.add_members(125, [Member(10000001), Member(10000002)])
    view.set_member(125, 10000002, status=3, status_code=1, disposition_code=1002, ext_trans_data="x1")
    served = records(emulator.client, emulator.base_url, 125).json()["records"]["record"]
    assert [
        (r["record-id"], r["status"], r["status-code"], r["disposition-code"], r["ext-trans-data"])
        for r in served
    ] == [(10000001, 0, 0, 1000, ""), (10000002, 3, 1, 1002, "x1")]
    assert view.members(125)[1] == Member(10000002, 3, None, 1, 1002, "x1")


def test_campaigns_and_customers(emulator: Emulator) -> None:
    view = emulator.state.view
    view.add_campaign(210, "Window", status=2, start="2026-11-24T08:00:00+01:00")
    view.set_campaign(210, name="Renamed", end="2026-11-30T18:30:00+00:00")
    document = emulator.client.get(f"{emulator.base_url}/cc/api/stats/campaigns/210.json", auth=AUTH).json()
    assert {key: document["campaign"][key] for key in ("campaign-name", "status", "enabled")} == {
        "campaign-name": "Renamed",
        "status": 2,
        "enabled": "Y",
    }
    assert (document["campaign"]["start-time"], document["campaign"]["end-time"]) == (
        "2026-11-24T07:00:00.000Z",
        "2026-11-30T18:30:00.000Z",
    )
    view.set_campaign(210, enabled=False)
    refused = add(emulator.client, emulator.base_url, 210, [{"customer-id": 10000001}])
    assert refused.json() == {"message": "The campaign is not enabled."}

    assert view.add_customers([(30000001, "5550001"), (30000002, "5550002")]) == 2
    view.add_customers([(30000001, "5559999")])  # replaced
    view.add_members(125, [Member(30000001)])
    (record,) = records(emulator.client, emulator.base_url, 125).json()["records"]["record"]
    assert record["phone-list"] == "*Phone Number|5559999"


def test_tenants(emulator: Emulator) -> None:
    view = emulator.state.view
    view.add_tenant("other", "other-token")
    assert (
        add(
            emulator.client, emulator.base_url, 125, [{"customer-id": 1}], auth=("other", "other-token")
        ).status_code
        == 207
    )
    view.remove_tenant("demo")
    assert httpx.get(f"{emulator.base_url}/cc/api/stats/campaigns/125.json", auth=AUTH).status_code == 401
