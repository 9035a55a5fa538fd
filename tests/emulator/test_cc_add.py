"""CC add (POST /api/tstats/campaigns/{id}/customers) over real HTTP: API-CONTRACT.md B1, B2."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from reconciler.emulator import SyncAsgiTransport, build_state
from reconciler.emulator.cc import ContactCenterApi
from reconciler.emulator.view import Member

from .conftest import Emulator, FakeClock
from .test_cc_helpers import (
    AUTH,
    add,
    add_campaign,
    add_crm,
    credentials,
    customers_url,
    epoch,
    member_ids,
    records,
    send_json_text,
)


def test_reference_example_item_results_verbatim(emulator: Emulator, clock: FakeClock) -> None:
    """Every item of the vendor document's 207 example, in situations that produce it."""
    state, client, base = emulator.state, emulator.client, emulator.base_url
    add_crm(state, (1000001, "5550000001"), (1000777, "5550000777"), (10000, "5550010000"))
    add_crm(state, (1000778, "5550000778"), (100002, "5550100002"))
    clock.now = epoch("2016-08-25T09:00:00Z")
    assert add(client, base, 125, [{"customer-id": 10003621}]).status_code == 207

    response = add(
        client,
        base,
        125,
        [
            {"customer-id": 10003629, "schedule-date-time": "2016-08-29T09:00:00.000Z"},
            {"customer-id": 1000001},
            {"customer-id": 10003621},
            {"customer-id": 1000777, "schedule-date-time": "2016-08-29T     09:00:00.000Z"},
            {"customer-id": None},
            {"customer-id": 9},
        ],
    )
    assert response.status_code == 207
    assert response.json() == [
        {"customer-id": 10003629, "schedule-date-time": "2016-08-29T09:00:00.000Z", "http-status": 200},
        {"customer-id": 1000001, "http-status": 200},
        {"customer-id": 10003621, "http-status": 400, "message": "Duplicate customer"},
        {
            "customer-id": 1000777,
            "schedule-date-time": "2016-08-29T     09:00:00.000Z",
            "http-status": 400,
            "message": "Invalid schedule-date-time format - please use ISO 8601 format",
        },
        {"customer-id": None, "http-status": 400, "message": "Invalid customer-id"},
        {"customer-id": 9, "http-status": 404, "message": "The customer-id has not been found."},
    ]

    clock.now = epoch("2016-08-30T09:00:00Z")
    past = add(client, base, 125, [{"customer-id": 10000, "schedule-date-time": "2016-08-29T09:00:00.000Z"}])
    assert past.json() == [
        {
            "customer-id": 10000,
            "schedule-date-time": "2016-08-29T09:00:00.000Z",
            "http-status": 400,
            "message": "The subject schedule-date-time is in the past.",
        }
    ]

    clock.now = epoch("2016-08-25T09:00:00Z")
    add_campaign(state, 200, start="2016-08-27T09:00:00+00:00", end="2016-08-28T09:00:00+00:00")
    outside = add(
        client, base, 200, [{"customer-id": 1000778, "schedule-date-time": "2016-08-29T09:00:00.000Z"}]
    )
    assert outside.json() == [
        {
            "customer-id": 1000778,
            "schedule-date-time": "2016-08-29T09:00:00.000Z",
            "http-status": 400,
            "message": "The subject schedule-date-time is outside the campaign schedule from "
            "2016-08-27T09:00:00.000Z to 2016-08-28T09:00:00.000Z.",
        }
    ]

    clock.now = epoch("2016-08-20T09:00:00Z")
    too_far = add(
        client, base, 125, [{"customer-id": 100002, "schedule-date-time": "2016-08-29T09:00:00.000Z"}]
    )
    assert too_far.json() == [
        {
            "customer-id": 100002,
            "schedule-date-time": "2016-08-29T09:00:00.000Z",
            "http-status": 400,
            "message": "The subject schedule-date-time must be within 7 days ahead of a future period.",
        }
    ]
    assert member_ids(client, base, 125) == [10003621, 10003629, 1000001]


def test_new_members_start_scheduled_or_new(emulator: Emulator, clock: FakeClock) -> None:
    clock.now = epoch("2026-11-23T10:00:00Z")
    response = add(
        emulator.client,
        emulator.base_url,
        125,
        [
            {"customer-id": 10000001},
            {"customer-id": "10000002", "schedule-date-time": "2026-11-25T09:00:00+01:00"},
        ],
    )
    assert response.json() == [
        {"customer-id": 10000001, "http-status": 200},
        {"customer-id": "10000002", "schedule-date-time": "2026-11-25T09:00:00+01:00", "http-status": 200},
    ]
    body = records(emulator.client, emulator.base_url, 125).json()
    assert [
        (r["record-id"], r["status"], r["status-code"], r["disposition-code"])
        for r in body["records"]["record"]
    ] == [
        (10000001, 0, 0, 1000),
        (10000002, 4, 0, 1000),
    ]
    assert emulator.state.view.members(125) == [  # in the order added
        Member(10000001, status=0, schedule=None),
        Member(10000002, status=4, schedule="2026-11-25T09:00:00+01:00"),
    ]


@pytest.mark.parametrize(
    ("customer_id", "status", "message"),
    [
        ("10000003", 200, None),
        (10000003, 200, None),
        ("abc", 400, "Invalid customer-id"),
        ("", 400, "Invalid customer-id"),
        (0, 400, "Invalid customer-id"),
        (-5, 400, "Invalid customer-id"),
        (1.5, 400, "Invalid customer-id"),
        (99999999, 404, "The customer-id has not been found."),
    ],
)
def test_customer_id_forms(emulator: Emulator, customer_id: Any, status: int, message: str | None) -> None:
    response = add(emulator.client, emulator.base_url, 125, [{"customer-id": customer_id}])
    expected: dict[str, Any] = {"customer-id": customer_id, "http-status": status}
    if message is not None:
        expected["message"] = message
    assert response.json() == [expected]


@pytest.mark.parametrize("customer_id", [True, False, [1], [], {"id": 10000003}, {}])
def test_a_customer_id_of_another_type_is_echoed_as_null(emulator: Emulator, customer_id: Any) -> None:
    """The contract allows a number or a string; anything else is refused, like the vendor's null example."""
    response = add(emulator.client, emulator.base_url, 125, [{"customer-id": customer_id}])
    assert (response.status_code, response.json()) == (
        207,
        [{"customer-id": None, "http-status": 400, "message": "Invalid customer-id"}],
    )


def test_missing_customer_id_is_invalid(emulator: Emulator) -> None:
    """A null schedule means none, so it is not echoed either."""
    response = add(emulator.client, emulator.base_url, 125, [{"schedule-date-time": None}])
    assert response.json() == [{"customer-id": None, "http-status": 400, "message": "Invalid customer-id"}]


@pytest.mark.parametrize(
    ("schedule", "accepted"),
    [
        ("2026-11-24T09:00:00.000Z", True),
        ("2026-11-24T09:00:00Z", True),
        ("2026-11-24T09:00Z", True),
        ("2026-11-24T09:00:00.123456789+01:00", True),
        ("2026-11-24T09:00:00-0500", True),
        ("2026-11-24T09:00:00", False),
        ("2026-11-24", False),
        ("2026-02-30T09:00:00Z", False),
        ("2026-11-24 09:00:00Z", False),
        ("tomorrow", False),
    ],
)
def test_schedule_formats(emulator: Emulator, clock: FakeClock, schedule: str, accepted: bool) -> None:
    clock.now = epoch("2026-11-23T10:00:00Z")
    result = add(
        emulator.client, emulator.base_url, 125, [{"customer-id": 10000004, "schedule-date-time": schedule}]
    )
    item = result.json()[0]
    if accepted:
        assert item == {"customer-id": 10000004, "schedule-date-time": schedule, "http-status": 200}
    else:
        assert item == {
            "customer-id": 10000004,
            "schedule-date-time": schedule,
            "http-status": 400,
            "message": "Invalid schedule-date-time format - please use ISO 8601 format",
        }


@pytest.mark.parametrize(
    "schedule", [1795500000, 1.5, True, ["2026-11-24T09:00:00Z"], {"at": "2026-11-24T09:00Z"}]
)
def test_a_schedule_that_is_not_a_string_is_refused_and_not_echoed(
    emulator: Emulator, clock: FakeClock, schedule: Any
) -> None:
    clock.now = epoch("2026-11-23T10:00:00Z")
    response = add(
        emulator.client, emulator.base_url, 125, [{"customer-id": 10000004, "schedule-date-time": schedule}]
    )
    assert response.json() == [
        {
            "customer-id": 10000004,
            "http-status": 400,
            "message": "Invalid schedule-date-time format - please use ISO 8601 format",
        }
    ]


def test_schedule_edges(emulator: Emulator, clock: FakeClock) -> None:
    """Exactly now and exactly 7 days ahead are accepted; a second outside either is not."""
    clock.now = epoch("2026-11-23T10:00:00Z")
    items = [
        {"customer-id": 10000010, "schedule-date-time": "2026-11-23T10:00:00Z"},
        {"customer-id": 10000011, "schedule-date-time": "2026-11-30T10:00:00Z"},
        {"customer-id": 10000012, "schedule-date-time": "2026-11-23T09:59:59Z"},
        {"customer-id": 10000013, "schedule-date-time": "2026-11-30T10:00:01Z"},
    ]
    statuses = [
        (i["http-status"], i.get("message"))
        for i in add(emulator.client, emulator.base_url, 125, items).json()
    ]
    assert statuses == [
        (200, None),
        (200, None),
        (400, "The subject schedule-date-time is in the past."),
        (400, "The subject schedule-date-time must be within 7 days ahead of a future period."),
    ]


def test_window_checks_each_bound(emulator: Emulator, clock: FakeClock) -> None:
    clock.now = epoch("2026-11-23T10:00:00Z")
    add_campaign(emulator.state, 201, start="2026-11-24T08:00:00+01:00", end=None)
    add_campaign(emulator.state, 202, start=None, end="2026-11-25T00:00:00+00:00")
    early = add(
        emulator.client,
        emulator.base_url,
        201,
        [{"customer-id": 10000020, "schedule-date-time": "2026-11-24T06:59:59Z"}],
    )
    late = add(
        emulator.client,
        emulator.base_url,
        202,
        [{"customer-id": 10000021, "schedule-date-time": "2026-11-25T00:00:01Z"}],
    )
    inside = add(
        emulator.client,
        emulator.base_url,
        201,
        [{"customer-id": 10000022, "schedule-date-time": "2026-11-24T07:00:00Z"}],
    )
    unscheduled = add(emulator.client, emulator.base_url, 202, [{"customer-id": 10000023}])
    assert early.json()[0]["message"] == (
        "The subject schedule-date-time is outside the campaign schedule from 2026-11-24T07:00:00.000Z to ."
    )
    assert late.json()[0]["message"] == (
        "The subject schedule-date-time is outside the campaign schedule from  to 2026-11-25T00:00:00.000Z."
    )
    assert inside.json()[0]["http-status"] == 200
    assert unscheduled.json()[0]["http-status"] == 200


@pytest.mark.parametrize(
    ("campaign", "status", "message"),
    [
        (126, 400, "The campaign has stopped. No additional customers can be added."),
        (127, 400, "This is not a dynamic campaign."),
        (128, 400, "The campaign is not enabled."),
        (129, 400, "The operation is invalid for a campaign that has not started."),
        (999, 404, "Campaign not found."),
        ("abc", 404, "Campaign not found."),
    ],
)
def test_whole_request_campaign_errors(
    emulator: Emulator, campaign: int | str, status: int, message: str
) -> None:
    response = add(emulator.client, emulator.base_url, campaign, [{"customer-id": 10000001}])
    assert (response.status_code, response.json()) == (status, {"message": message})


@pytest.mark.parametrize("status", [2, 6, 7])
def test_not_started_and_stopped_status_sets(emulator: Emulator, status: int) -> None:
    add_campaign(emulator.state, 300, status=status)
    response = add(emulator.client, emulator.base_url, 300, [{"customer-id": 10000001}])
    expected = (
        "The operation is invalid for a campaign that has not started."
        if status == 2
        else "The campaign has stopped. No additional customers can be added."
    )
    assert (response.status_code, response.json()) == (400, {"message": expected})


@pytest.mark.parametrize("status", [1, 3, 8, 9])
def test_started_running_and_paused_campaigns_accept(emulator: Emulator, status: int) -> None:
    add_campaign(emulator.state, 301, status=status)
    response = add(emulator.client, emulator.base_url, 301, [{"customer-id": 10000001}])
    assert response.status_code == 207


def test_disabled_wins_over_stopped_and_campaign_checks_precede_the_body(emulator: Emulator) -> None:
    emulator.state.view.set_campaign(126, enabled=False)
    response = emulator.client.post(customers_url(emulator.base_url, 126), content=b"not json", auth=AUTH)
    assert (response.status_code, response.json()) == (400, {"message": "The campaign is not enabled."})


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b'{"customer-id": 10000001}',
        b"[1, 2]",
        b'[{"customer-id": 10000001}, "x"]',
        b"",
        b"null",
        b"[" + b",".join([b'{"customer-id": 10000001}'] * 1001) + b"]",
        # Not JSON, though Python's parser takes them: NaN, infinities, a number past a double's range.
        b'[{"customer-id": NaN}]',
        b'[{"customer-id": 10000001, "schedule-date-time": Infinity}]',
        b'[{"customer-id": -Infinity}]',
        b'[{"customer-id": 1e400}]',
        # Nested deeper than the emulator parses (512), and far past Python's recursion limit.
        b"[" * 513 + b"]" * 513,
        b'[{"customer-id": 10000001, "x": ' + b"[" * 600 + b"]" * 600 + b"}]",
        b"[" * 5000 + b"]" * 5000,
        b'[{"customer-id": ' * 5000 + b"1" + b"}]" * 5000,
        b"\xff\xfe\xfd",
    ],
)
def test_invalid_customer_lists(emulator: Emulator, content: bytes) -> None:
    response = send_json_text(emulator.client, "POST", customers_url(emulator.base_url, 125), content)
    assert (response.status_code, response.json()) == (
        400,
        {"message": "The provided customer list is invalid."},
    )
    assert member_ids(emulator.client, emulator.base_url, 125) == []


def test_a_body_nested_512_deep_is_parsed(emulator: Emulator) -> None:
    """The limit on nesting is 512 levels (PHP json_decode's default): the list, the item and 510 inside it."""
    content = b'[{"customer-id": 10000001, "x": ' + b"[" * 510 + b"]" * 510 + b"}]"
    response = send_json_text(emulator.client, "POST", customers_url(emulator.base_url, 125), content)
    assert (response.status_code, response.json()) == (207, [{"customer-id": 10000001, "http-status": 200}])


def test_a_thousand_items_and_an_empty_list(emulator: Emulator) -> None:
    items = [{"customer-id": 10000000 + i} for i in range(1000)]
    response = add(emulator.client, emulator.base_url, 125, items)
    assert response.status_code == 207
    assert [i["http-status"] for i in response.json()] == [200] * 1000
    empty = add(emulator.client, emulator.base_url, 125, [])
    assert (empty.status_code, empty.json()) == (207, [])
    assert len(member_ids(emulator.client, emulator.base_url, 125)) == 1000


def test_duplicate_within_one_request(emulator: Emulator) -> None:
    response = add(
        emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}, {"customer-id": "10000001"}]
    )
    assert response.json() == [
        {"customer-id": 10000001, "http-status": 200},
        {"customer-id": "10000001", "http-status": 400, "message": "Duplicate customer"},
    ]


@pytest.mark.parametrize(
    "auth",
    [
        None,
        ("demo", "wrong-token"),
        ("nobody", "demo-token"),
        "Basic !!!not-base64",
        "Basic " + base64.b64encode(b"demo-token-without-colon").decode(),
        "Bearer demo-token",
    ],
)
def test_wrong_credentials_answer_401(emulator: Emulator, auth: Any) -> None:
    response = emulator.client.post(
        customers_url(emulator.base_url, 125), json=[{"customer-id": 10000001}], **credentials(auth)
    )
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["www-authenticate"] == 'Basic realm="8x8"'
    assert emulator.state.view.members(125) == []


def test_any_tenant_with_its_own_token(emulator: Emulator) -> None:
    emulator.state.view.add_tenant("other", "other-token")
    response = add(
        emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}], auth=("other", "other-token")
    )
    assert response.status_code == 207


def test_campaign_cap_fails_items_past_it() -> None:
    """The 5,000,000 cap, scaled down to 2 so it can be reached (ContactCenterApi(max_members=...))."""
    state = build_state()
    try:
        app = Starlette(routes=[Mount("/cc", routes=ContactCenterApi(state, max_members=2).routes())])
        transport = SyncAsgiTransport(app)
        with httpx.Client(transport=transport, base_url="http://emulator") as client:
            response = client.post(
                "/cc/api/tstats/campaigns/125/customers",
                json=[{"customer-id": 10000000 + i} for i in range(3)],
                auth=AUTH,
            )
            again = client.post(
                "/cc/api/tstats/campaigns/125/customers", json=[{"customer-id": 10000005}], auth=AUTH
            )
            client.delete("/cc/api/tstats/campaigns/125/customers/10000000", auth=AUTH)
            after_delete = client.post(
                "/cc/api/tstats/campaigns/125/customers", json=[{"customer-id": 10000005}], auth=AUTH
            )
    finally:
        state.store.close()
    cap = "Maximum limit of scheduled customers has been reached. Please try call again later on."
    assert response.json() == [
        {"customer-id": 10000000, "http-status": 200},
        {"customer-id": 10000001, "http-status": 200},
        {"customer-id": 10000002, "http-status": 400, "message": cap},
    ]
    assert again.json() == [{"customer-id": 10000005, "http-status": 400, "message": cap}]
    assert after_delete.json() == [{"customer-id": 10000005, "http-status": 200}]


def test_the_request_log_describes_an_add(emulator: Emulator) -> None:
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}, {"customer-id": 9}])
    add(emulator.client, emulator.base_url, 126, [{"customer-id": 10000001}])
    entries = [e.to_dict() for e in emulator.state.log.entries()]
    for entry in entries:
        del entry["time"]
    assert entries == [
        {
            "seq": 1,
            "method": "POST",
            "path": "/cc/api/tstats/campaigns/125/customers",
            "op": "cc.add",
            "rows": 2,
            "status": 207,
            "result": "207 stored=1 failed=1",
            "fault": None,
            "committed": True,
        },
        {
            "seq": 2,
            "method": "POST",
            "path": "/cc/api/tstats/campaigns/126/customers",
            "op": "cc.add",
            "rows": None,
            "status": 400,
            "result": "error=The campaign has stopped. No additional customers can be added.",
            "fault": None,
            "committed": False,
        },
    ]


def test_http_error_types_are_json(emulator: Emulator) -> None:
    response = add(emulator.client, emulator.base_url, 999, [])
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response, httpx.Response)
