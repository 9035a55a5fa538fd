"""CC reads over real HTTP: records.json (streamed) and the campaign document (API-CONTRACT.md B3)."""

from __future__ import annotations

import json

import httpx
import pytest

from reconciler.emulator.view import Member

from .conftest import Emulator, FakeClock
from .test_cc_helpers import AUTH, add, add_campaign, add_crm, delete, epoch, member_ids, records


def test_empty_campaign_body_is_exact(emulator: Emulator) -> None:
    response = records(emulator.client, emulator.base_url, 125)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'{"records":{"record":[]}}'


def test_records_in_the_order_added_with_every_field(emulator: Emulator, clock: FakeClock) -> None:
    clock.now = epoch("2026-11-23T10:00:00Z")
    add_crm(emulator.state, (10003629, '555"1234567'))
    emulator.state.view.set_campaign(125, name="BOC Admin Demo")
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000042}])
    add(
        emulator.client,
        emulator.base_url,
        125,
        [{"customer-id": 10003629, "schedule-date-time": "2026-11-24T09:00:00Z"}, {"customer-id": 10000007}],
    )
    emulator.state.view.set_member(125, 10000007, status=3, disposition_code=1002, ext_trans_data="x1")
    assert records(emulator.client, emulator.base_url, 125).json() == {
        "records": {
            "record": [
                {
                    "campaign-name": "BOC Admin Demo",
                    "campaign-id": 125,
                    "record-id": 10000042,
                    "phone-list": "*Phone Number|02079460042",
                    "status": 0,
                    "status-code": 0,
                    "ext-trans-data": "",
                    "disposition-code": 1000,
                },
                {
                    "campaign-name": "BOC Admin Demo",
                    "campaign-id": 125,
                    "record-id": 10003629,
                    "phone-list": '*Phone Number|555"1234567',
                    "status": 4,
                    "status-code": 0,
                    "ext-trans-data": "",
                    "disposition-code": 1000,
                },
                {
                    "campaign-name": "BOC Admin Demo",
                    "campaign-id": 125,
                    "record-id": 10000007,
                    "phone-list": "*Phone Number|02079460007",
                    "status": 3,
                    "status-code": 0,
                    "ext-trans-data": "x1",
                    "disposition-code": 1002,
                },
            ]
        }
    }


def test_reads_work_on_any_campaign_state(emulator: Emulator) -> None:
    for campaign in (126, 127, 128, 129):
        assert records(emulator.client, emulator.base_url, campaign).json() == {"records": {"record": []}}


@pytest.mark.parametrize("campaign", [999, "abc"])
def test_unknown_campaign_is_404(emulator: Emulator, campaign: int | str) -> None:
    for path in (f"{campaign}/records.json", f"{campaign}.json"):
        response = emulator.client.get(f"{emulator.base_url}/cc/api/stats/campaigns/{path}", auth=AUTH)
        assert (response.status_code, response.json()) == (404, {"message": "Campaign not found."})


def test_reads_need_credentials(emulator: Emulator) -> None:
    for path in ("125/records.json", "125.json"):
        response = emulator.client.get(
            f"{emulator.base_url}/cc/api/stats/campaigns/{path}", auth=("demo", "x")
        )
        assert (response.status_code, response.json()) == (401, {"message": "Unauthorized"})


def test_large_read_is_streamed_in_chunks(emulator: Emulator) -> None:
    """20,000 members: the body arrives chunked (no Content-Length), in several pieces, and parses whole."""
    view = emulator.state.view
    view.add_members(125, (Member(10000000 + i) for i in range(10000)))
    view.add_customers((20000000 + i, "5550000000") for i in range(10000))
    view.add_members(125, (Member(20000000 + i, status=1) for i in range(10000)))
    url = f"{emulator.base_url}/cc/api/stats/campaigns/125/records.json"
    with emulator.client.stream("GET", url, auth=AUTH) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        assert response.headers["transfer-encoding"] == "chunked"
        pieces = list(response.iter_raw())
    assert len(pieces) >= 4
    body = httpx.Response(200, content=b"".join(pieces)).json()
    ids = [r["record-id"] for r in body["records"]["record"]]
    assert ids == [10000000 + i for i in range(10000)] + [20000000 + i for i in range(10000)]
    entry = emulator.state.log.entries(op="cc.read")[-1]
    assert (entry.status, entry.rows, entry.result) == (200, 20000, "200")


def test_members_sharing_a_seq_are_read_once_in_key_order_across_chunks(emulator: Emulator) -> None:
    """Members are listed by (seq, customer id); 6,000 of 12,000 share seq (NULL, read as 0), so chunks of 5,000
    end inside the tie, and each member still comes once, in that order."""
    view = emulator.state.view
    customers = [10000000 + i for i in reversed(range(12000))]  # added highest first: seq order is descending
    view.add_members(125, (Member(customer) for customer in customers))
    url = f"{emulator.base_url}/cc/api/stats/campaigns/125/records.json"

    def ids() -> list[int]:
        response = emulator.client.get(url, auth=AUTH)
        assert response.status_code == 200
        return [record["record-id"] for record in response.json()["records"]["record"]]

    assert ids() == customers
    emulator.state.store.execute(
        "UPDATE cc_members SET seq = NULL WHERE campaign_id = 125 AND customer_id % 2 = 0"
    )
    even, odd = [c for c in customers if c % 2 == 0], [c for c in customers if c % 2]
    assert ids() == sorted(even) + odd
    entry = emulator.state.log.entries(op="cc.read")[-1]
    assert (entry.status, entry.rows) == (200, 12000)


@pytest.mark.parametrize(
    ("campaign", "expected"),
    [
        (
            125,
            {"campaign-name": "Winback", "campaign-id": 125, "enabled": "Y", "dynamic-campaign": "Y"},
        ),
        (126, {"campaign-name": "Spring (stopped)", "campaign-id": 126, "status": 5}),
        (127, {"dynamic-campaign": "N", "enabled": "Y"}),
        (128, {"dynamic-campaign": "Y", "enabled": "N"}),
        (129, {"status": 0, "start-time": None, "end-time": None}),
    ],
)
def test_seeded_campaign_documents(emulator: Emulator, campaign: int, expected: dict[str, object]) -> None:
    response = emulator.client.get(f"{emulator.base_url}/cc/api/stats/campaigns/{campaign}.json", auth=AUTH)
    assert response.status_code == 200
    document = response.json()["campaign"]
    assert set(document) == {
        "campaign-name",
        "campaign-id",
        "enabled",
        "status",
        "dynamic-campaign",
        "start-time",
        "end-time",
    }
    assert {key: document[key] for key in expected} == expected


def test_campaign_document_with_a_window(emulator: Emulator) -> None:
    add_campaign(emulator.state, 210, name="Window", status=2, start="2026-11-24T08:00:00+01:00", end=None)
    emulator.state.view.set_campaign(210, end="2026-11-30T18:30:00.250000+00:00")
    response = emulator.client.get(f"{emulator.base_url}/cc/api/stats/campaigns/210.json", auth=AUTH)
    assert response.json() == {
        "campaign": {
            "campaign-name": "Window",
            "campaign-id": 210,
            "enabled": "Y",
            "status": 2,
            "dynamic-campaign": "Y",
            "start-time": "2026-11-24T07:00:00.000Z",
            "end-time": "2026-11-30T18:30:00.250Z",
        }
    }


def test_read_lag_hides_new_members_from_reads_only(emulator: Emulator, clock: FakeClock) -> None:
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}])
    emulator.state.settings.read_lag = 2.0
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000002}, {"customer-id": 10000003}])
    assert member_ids(emulator.client, emulator.base_url, 125) == [10000001]
    duplicate = add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000002}])
    assert duplicate.json()[0]["message"] == "Duplicate customer"
    assert delete(emulator.client, emulator.base_url, 125, 10000003).status_code == 204
    clock.advance(1.9)
    assert member_ids(emulator.client, emulator.base_url, 125) == [10000001]
    clock.advance(0.1)
    assert member_ids(emulator.client, emulator.base_url, 125) == [10000001, 10000002]


def test_read_lag_zero_shows_members_at_once(emulator: Emulator, clock: FakeClock) -> None:
    emulator.state.settings.read_lag = 5.0
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}])
    emulator.state.settings.read_lag = 0.0
    assert member_ids(emulator.client, emulator.base_url, 125) == [10000001]


def test_records_body_escapes_text_as_json_dumps_does(emulator: Emulator) -> None:
    """SQLite writes each member's object; the bytes are those json.dumps writes: quotes, backslashes and
    controls escaped, and DEL and every character past ASCII as a \\u escape (a surrogate pair past U+FFFF)."""
    tricky = 'Zoë "q" \\ \t\x01\x7f 😀 /'
    add_crm(emulator.state, (10000042, "0207é"))
    emulator.state.view.set_campaign(125, name="Café ✓")
    emulator.state.view.add_members(125, [Member(10000042, status=2, status_code=7, ext_trans_data=tricky)])
    body = records(emulator.client, emulator.base_url, 125).content.decode("ascii")
    member = (
        '{"campaign-name":' + json.dumps("Café ✓") + ',"campaign-id":125,"record-id":10000042,'
        '"phone-list":' + json.dumps("*Phone Number|0207é") + ',"status":2,"status-code":7,'
        '"ext-trans-data":' + json.dumps(tricky) + ',"disposition-code":1000}'
    )
    assert body == '{"records":{"record":[' + member + "]}}"
