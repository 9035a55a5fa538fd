"""ContactCenterClient against a scripted Contact Center (httpx.MockTransport)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from json_layouts import ROWS, STYLES, streamed

from reconciler.errors import ApiError, AuthError, CampaignStateError, TransientApiError
from reconciler.providers.contactcenter.client import ContactCenterClient
from reconciler.providers.contactcenter.wire import (
    AddItem,
    AddResult,
    DeleteOutcome,
    MemberColumns,
    WireCampaign,
    WireMember,
)
from reconciler.providers.http.body import HEAD_BYTES

from .provider_fakes import CC_TENANT, CC_TOKEN, BreakingStream, ChunkStream, Scripted, Sleeps, policy

BASE = "https://vcc-na12.8x8.com"
BASIC = "Basic " + base64.b64encode(f"{CC_TENANT}:{CC_TOKEN}".encode()).decode()

Handler = Callable[[httpx.Request], httpx.Response]


def make(script: Scripted, sleeps: Sleeps, base: str = BASE) -> ContactCenterClient:
    return ContactCenterClient(
        base, CC_TENANT, CC_TOKEN, transport=httpx.MockTransport(script), retry=policy(sleeps)
    )


def message(status: int, text: str) -> httpx.Response:
    return httpx.Response(status, json={"message": text})


# ----------------------------------------------------------------------------------------------- campaign


def test_campaign(sleeps: Sleeps) -> None:
    script = Scripted(
        httpx.Response(
            200,
            json={
                "campaign": {
                    "campaign-name": "Winback",
                    "campaign-id": 125,
                    "enabled": "Y",
                    "status": 4,
                    "dynamic-campaign": "Y",
                    "start-time": "2026-11-20T09:00:00.000Z",
                    "end-time": None,
                    "other": "ignored",
                }
            },
        )
    )
    with make(script, sleeps) as client:
        assert client.campaign(125) == WireCampaign(
            campaign_id="125",
            campaign_name="Winback",
            enabled="Y",
            status=4,
            dynamic_campaign="Y",
            start_time="2026-11-20T09:00:00.000Z",
            end_time=None,
        )
    request = script.requests[0]
    assert request.method == "GET"
    assert str(request.url) == "https://vcc-na12.8x8.com/api/stats/campaigns/125.json"
    assert request.headers["authorization"] == BASIC


def test_base_url_with_a_path_prefix(sleeps: Sleeps) -> None:
    script = Scripted(httpx.Response(200, json={"campaign": {"status": "0"}}))
    with make(script, sleeps, base="http://127.0.0.1:8123/cc") as client:
        assert client.campaign("7").status == 0
    assert str(script.requests[0].url) == "http://127.0.0.1:8123/cc/api/stats/campaigns/7.json"


def test_unknown_campaign_is_campaign_state_error(sleeps: Sleeps) -> None:
    with (
        make(Scripted(message(404, "Campaign not found.")), sleeps) as client,
        pytest.raises(CampaignStateError) as caught,
    ):
        client.campaign(999)
    assert (caught.value.reason, caught.value.message, caught.value.status) == (
        "not_found",
        "Campaign not found.",
        404,
    )


def test_wrong_credentials_are_auth_error(sleeps: Sleeps) -> None:
    with make(Scripted(httpx.Response(401)), sleeps) as client, pytest.raises(AuthError) as caught:
        client.campaign(1)
    assert caught.value.status == 401
    assert CC_TOKEN not in str(caught.value)


# ------------------------------------------------------------------------------------------------ members


def _records(*items: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"records": {"record": list(items)}})


MEMBER = {
    "campaign-name": "BOC Admin Demo",
    "campaign-id": 1,
    "record-id": 10000000,
    "phone-list": "*Phone Number|5551234567",
    "status": 3,
    "status-code": 0,
    "ext-trans-data": "",
    "disposition-code": 1002,
}


def test_members_keep_record_id_text(sleeps: Sleeps) -> None:
    script = Scripted(
        _records(MEMBER, {**MEMBER, "record-id": "00042", "status": "4"}, {**MEMBER, "record-id": 7.0})
    )
    with make(script, sleeps) as client:
        members = list(client.iter_members(1))
    assert members[0] == WireMember(
        record_id="10000000",
        campaign_id="1",
        campaign_name="BOC Admin Demo",
        status=3,
        status_code=0,
        disposition_code=1002,
        phone_list="*Phone Number|5551234567",
        ext_trans_data="",
    )
    assert [member.record_id for member in members] == ["10000000", "00042", "7.0"]
    assert members[1].status == 4
    assert "5551234567" not in repr(members[0])
    assert str(script.requests[0].url) == "https://vcc-na12.8x8.com/api/stats/campaigns/1/records.json"


def test_empty_and_single_object_bodies(sleeps: Sleeps) -> None:
    script = Scripted(
        _records(),
        httpx.Response(200, json={"records": {"record": MEMBER}}),
        httpx.Response(200, json={"records": ""}),
        httpx.Response(200, json={"unexpected": True}),
    )
    with make(script, sleeps) as client:
        assert list(client.iter_members(1)) == []
        assert [member.record_id for member in client.iter_members(1)] == ["10000000"]
        assert list(client.iter_members(1)) == []
        with pytest.raises(ApiError, match="without `records`"):
            list(client.iter_members(1))


def test_members_read_errors(sleeps: Sleeps) -> None:
    script = Scripted(
        message(404, "Campaign not found."), httpx.Response(503), message(400, "Something else.")
    )
    with make(script, sleeps) as client:
        with pytest.raises(CampaignStateError):
            list(client.iter_members(5))
        with pytest.raises(ApiError) as caught:
            list(client.iter_members(5))
        assert caught.value.message == "Something else."
        assert caught.value.status == 400
    assert len(script.requests) == 3  # the 503 was retried


def _breaking(prefix: bytes) -> httpx.Response:
    closed = httpx.RemoteProtocolError("peer closed connection without sending complete message body")
    return httpx.Response(200, stream=BreakingStream(prefix, closed))


def test_members_body_broken_before_first_member_is_read_again(sleeps: Sleeps) -> None:
    script = Scripted(_breaking(b'{"records": {"rec'), _records(MEMBER))
    with make(script, sleeps) as client:
        assert [member.record_id for member in client.iter_members(1)] == ["10000000"]
    assert len(script.requests) == 2


def test_members_body_broken_after_a_member_raises(sleeps: Sleeps) -> None:
    body = json.dumps({"records": {"record": [MEMBER, MEMBER]}}).encode()
    cut = body.index(b"}, {") + 3
    script = Scripted(_breaking(body[:cut]))
    got: list[WireMember] = []
    with make(script, sleeps) as client, pytest.raises(TransientApiError) as caught:
        got.extend(client.iter_members(1))
    assert len(got) == 1
    assert "response body interrupted" in str(caught.value)
    assert len(script.requests) == 1


def test_member_columns_of_a_compact_and_a_spaced_body_are_the_same(sleeps: Sleeps) -> None:
    """Both are cut the same way: the cutter finds the array and the seams whatever the whitespace."""
    members = [MEMBER, {**MEMBER, "record-id": "00042", "status": "4"}, {**MEMBER, "record-id": 7}]
    spaced = json.dumps({"records": {"record": members}}).encode()
    script = Scripted(_records(*members), httpx.Response(200, content=spaced))
    with make(script, sleeps) as client:
        compact = list(client.iter_member_columns(1))
        streamed = list(client.iter_member_columns(1, batch=2))
    assert compact == [MemberColumns(["10000000", "00042", "7"], [3, 4, 3])]
    assert streamed == compact


def test_member_columns_of_a_body_whose_array_the_cutter_cannot_find_are_streamed(sleeps: Sleeps) -> None:
    """An array that opens past HEAD_BYTES is read with ijson, `batch` members at a time."""
    members = [MEMBER, {**MEMBER, "record-id": "00042", "status": "4"}, {**MEMBER, "record-id": 7}]
    late = json.dumps({"note": "x" * HEAD_BYTES, "records": {"record": members}}).encode()
    script = Scripted(httpx.Response(200, content=late))
    with make(script, sleeps) as client:
        streamed = list(client.iter_member_columns(1, batch=2))
    assert streamed == [MemberColumns(["10000000", "00042"], [3, 4]), MemberColumns(["7"], [3])]


STYLED_MEMBERS = [
    {**MEMBER, "record-id": 10000000 + n, "status": (3, "4", 0)[n % 3], "ext-trans-data": text}
    for n, text in enumerate(["", "a/b é 😀", "}, {", '{"x": [1]}', "tab\there", "line\nend"] * 4)
] + [{**MEMBER, "campaign-name": "Ünïcode / slash", "record-id": "00042", "status": None}]


def _joined(pieces: list[MemberColumns]) -> MemberColumns:
    return MemberColumns(
        [value for piece in pieces for value in piece.ids],
        [value for piece in pieces for value in piece.statuses],
    )


@pytest.mark.parametrize("reordered", [False, True], ids=["in-order", "keys-reversed"])
@pytest.mark.parametrize("style", STYLES)
def test_members_of_every_layout_are_those_of_the_compact_body(
    sleeps: Sleeps, style: str, reordered: bool
) -> None:
    members = [dict(reversed(member.items())) if reordered else member for member in STYLED_MEMBERS]
    envelope: dict[str, Any] = {"records": {"record": [ROWS]}}
    if reordered:
        envelope = {"records": {"total": len(members), "record": [ROWS]}}

    def body() -> httpx.Response:
        return httpx.Response(
            200, stream=ChunkStream(streamed(envelope, iter(members), style, rows_per_chunk=2))
        )

    script = Scripted(_records(*STYLED_MEMBERS), _records(*STYLED_MEMBERS), body(), body(), body())
    with make(script, sleeps) as client:
        compact_columns = list(client.iter_member_columns(1))
        compact_members = list(client.iter_members(1))
        columns = list(client.iter_member_columns(1, piece_bytes=256))
        big = list(client.iter_member_columns(1))
        assert list(client.iter_members(1)) == compact_members
    assert len(compact_members) == len(STYLED_MEMBERS)
    assert len(columns) > 3, "the body was cut into pieces"
    assert _joined(columns) == _joined(big) == _joined(compact_columns)
    assert _joined(columns).ids[-2:] == ["10000023", "00042"]


@pytest.mark.parametrize("read", ["iter_members", "iter_member_columns"])
def test_a_records_body_that_is_not_json_is_read_again_then_refused(sleeps: Sleeps, read: str) -> None:
    script = Scripted(*[httpx.Response(200, text="<records/>") for _ in range(5)])
    with make(script, sleeps) as client, pytest.raises(ApiError) as caught:
        list(getattr(client, read)(3))
    assert type(caught.value) is ApiError
    assert str(caught.value) == (
        "Contact Center records read: the response body is not valid JSON "
        "[https://vcc-na12.8x8.com/api/stats/campaigns/3/records.json]"
    )
    assert len(script.requests) == 5
    assert sleeps.calls == [0.5, 1.0, 2.0, 4.0]


def test_member_columns_broken_before_the_first_piece_are_read_again(sleeps: Sleeps) -> None:
    script = Scripted(_breaking(b'{"records":{"record":[{"record-id":1'), _records(MEMBER))
    with make(script, sleeps) as client:
        assert list(client.iter_member_columns(1)) == [MemberColumns(["10000000"], [3])]
    assert len(script.requests) == 2
    assert sleeps.calls == [0.5]


# ---------------------------------------------------------------------------------------------------- add


ADD_ANSWER = [
    {"customer-id": 10003629, "schedule-date-time": "2026-11-25T09:00:00.000Z", "http-status": 200},
    {"customer-id": 10003621, "http-status": 400, "message": "Duplicate customer"},
    {"customer-id": None, "http-status": 400, "message": "Invalid customer-id"},
    {"customer-id": "0099", "http-status": 503, "message": "Try later"},
]


def test_add_customers_parses_the_207(sleeps: Sleeps) -> None:
    script = Scripted(httpx.Response(207, json=ADD_ANSWER))
    items = [
        AddItem("10003629", "2026-11-25T09:00:00.000Z"),
        AddItem("10003621"),
        AddItem("abc"),
        AddItem("0099"),
    ]
    with make(script, sleeps) as client:
        results = client.add_customers(125, items)
    assert results == [
        AddResult(customer_id="10003629", http_status=200, schedule="2026-11-25T09:00:00.000Z"),
        AddResult(customer_id="10003621", http_status=400, message="Duplicate customer"),
        AddResult(customer_id=None, http_status=400, message="Invalid customer-id"),
        AddResult(customer_id="0099", http_status=503, message="Try later"),
    ]
    assert [result.ok for result in results] == [True, False, False, False]
    assert [result.transient for result in results] == [False, False, False, True]
    request = script.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://vcc-na12.8x8.com/api/tstats/campaigns/125/customers"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == [
        {"customer-id": 10003629, "schedule-date-time": "2026-11-25T09:00:00.000Z"},
        {"customer-id": 10003621},
        {"customer-id": "abc"},
        {"customer-id": "0099"},
    ]


def test_add_is_retried_whole_on_transient_failures(sleeps: Sleeps) -> None:
    answer = httpx.Response(207, json=[{"customer-id": 1, "http-status": 200}])
    script = Scripted(httpx.ReadTimeout("slow"), httpx.Response(502), answer)
    with make(script, sleeps) as client:
        assert client.add_customers(1, [AddItem("1")]) == [AddResult(customer_id="1", http_status=200)]
    assert len(script.requests) == 3


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("The campaign has stopped. No additional customers can be added.", "stopped"),
        ("The operation is invalid for a campaign that has not started.", "not_started"),
        ("The provided customer list is invalid.", "invalid_list"),
        ("This is not a dynamic campaign.", "not_dynamic"),
        ("The campaign is not enabled.", "not_enabled"),
    ],
)
def test_add_whole_request_refusals(sleeps: Sleeps, text: str, reason: str) -> None:
    with make(Scripted(message(400, text)), sleeps) as client, pytest.raises(CampaignStateError) as caught:
        client.add_customers(1, [AddItem("1")])
    assert (caught.value.reason, caught.value.message, caught.value.status) == (reason, text, 400)


def test_add_limits_and_shape(sleeps: Sleeps) -> None:
    script = Scripted(httpx.Response(207, json=[]))
    with make(script, sleeps) as client:
        with pytest.raises(ValueError, match="at most 1000 items per call, got 1001"):
            client.add_customers(1, [AddItem(str(i)) for i in range(1001)])
        with pytest.raises(ValueError, match="at least one item"):
            client.add_customers(1, [])
        with pytest.raises(ApiError, match="answered 0 results for 1 customers"):
            client.add_customers(1, [AddItem("1")])
    assert len(script.requests) == 1


# ------------------------------------------------------------------------------------------------- delete


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (httpx.Response(204), DeleteOutcome.DELETED),
        (message(404, "The customer has not been located."), DeleteOutcome.NOT_FOUND),
        (message(400, "The customer is not available for deletion."), DeleteOutcome.NOT_AVAILABLE),
    ],
)
def test_delete_outcomes(sleeps: Sleeps, answer: httpx.Response, outcome: DeleteOutcome) -> None:
    script = Scripted(answer)
    with make(script, sleeps) as client:
        assert client.delete_customer(125, "10003629") is outcome
    request = script.requests[0]
    assert request.method == "DELETE"
    assert str(request.url) == "https://vcc-na12.8x8.com/api/tstats/campaigns/125/customers/10003629"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (message(400, "The campaign has stopped. No customers can be deleted."), "stopped"),
        (message(400, "This campaign is not enabled."), "not_enabled"),
        (message(404, "Campaign not found."), "not_found"),
    ],
)
def test_delete_campaign_refusals_raise(sleeps: Sleeps, answer: httpx.Response, reason: str) -> None:
    with make(Scripted(answer), sleeps) as client, pytest.raises(CampaignStateError) as caught:
        client.delete_customer(1, 2)
    assert caught.value.reason == reason


def test_delete_retried_after_reset_then_not_found(sleeps: Sleeps) -> None:
    script = Scripted(httpx.ReadError("reset"), message(404, "The customer has not been located."))
    with make(script, sleeps) as client:
        assert client.delete_customer(1, 2) is DeleteOutcome.NOT_FOUND
    assert len(script.requests) == 2


def test_customer_id_is_a_single_path_segment(sleeps: Sleeps) -> None:
    script = Scripted(httpx.Response(204))
    with make(script, sleeps) as client:
        client.delete_customer(1, "../../x")
    assert script.requests[0].url.raw_path == b"/api/tstats/campaigns/1/customers/..%2F..%2Fx"


def test_repr_shows_no_secret(sleeps: Sleeps) -> None:
    client = make(Scripted(), sleeps)
    assert repr(client) == "ContactCenterClient(base_url='https://vcc-na12.8x8.com/')"
    assert CC_TOKEN not in repr(client) and CC_TENANT not in repr(client)
    client.close()
