"""ContactNowClient against a scripted ContactNow (httpx.MockTransport): envelopes, writes, reference reads.

The token has its tests in test_contactnow_token.py, record reads in test_contactnow_records.py."""

from __future__ import annotations

import json

import httpx
import pytest

from reconciler.errors import AmbiguousWriteError, ApiError, AuthError
from reconciler.providers.contactnow.client import ContactNowClient
from reconciler.providers.contactnow.wire import (
    CampaignField,
    WireDataset,
    WireOutcome,
    WireQueue,
    WriteResult,
)

from .provider_fakes import (
    PASSWORD,
    TOKENS,
    USERNAME,
    FakeContactNow,
    Sleeps,
    envelope,
    policy,
    record,
)

# -------------------------------------------------------------------------------------------- envelope


def test_envelope_error_keeps_the_vendor_text(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.fault("ecnow_records.create", envelope(success=False, error="Too many rows [1001], maximum is 1000"))
    with pytest.raises(ApiError) as caught:
        client.create_records([{"dataset": "7", "MobilePhone": "1"}])
    assert type(caught.value) is ApiError
    assert caught.value.message == "Too many rows [1001], maximum is 1000"
    assert caught.value.url is not None
    assert TOKENS[0] not in caught.value.url
    assert "token=***" in caught.value.url


def test_authentication_failure_from_any_script_is_auth_error(
    fake: FakeContactNow, client: ContactNowClient
) -> None:
    fake.fault("queues.read", envelope(success=False, error="Authentication failure"))
    with pytest.raises(AuthError) as caught:
        client.queues()
    assert caught.value.message == "Authentication failure"


def test_http_error_status_is_api_error(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.fault("queues.read", httpx.Response(404, text="<html>not here</html>"))
    with pytest.raises(ApiError) as caught:
        client.queues()
    assert caught.value.status == 404
    assert caught.value.message == "ContactNow answered an unexpected HTTP status"


def test_non_json_answer_is_api_error(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.fault("queues.read", httpx.Response(200, text="<result><success>1</success></result>"))
    with pytest.raises(ApiError, match="not JSON"):
        client.queues()


def test_write_with_bad_rows_returns_a_result(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.write_answer = {"success": True, "total": 1, "bad": 1, "error": "No phone number supplied"}
    rows = [
        {"dataset": "7", "MobilePhone": "07700900123", "VENDOR_URN": "A-1"},
        {"dataset": "7", "VENDOR_URN": "A-2"},
    ]
    result = client.create_records(rows)
    assert result == WriteResult(total=1, bad=1, key=None, info=None, error="No phone number supplied")
    assert not result.ok
    write = fake.seen[-1]
    assert write.args == {
        "method": "ecnow_records",
        "action": "create",
        "format": "json",
        "raw": "1",
        "token": TOKENS[0],
    }
    assert write.headers["content-type"] == "application/json"
    assert json.loads(write.body) == rows


def test_write_result_fields_as_text(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.write_answer = {
        "success": True,
        "total": "2",
        "bad": "0",
        "key": 2499265,
        "info": "Record NOT live on the dialer.",
    }
    assert client.update_records([{"id": "1", "dataset": "7"}, {"id": "2", "dataset": "7"}]) == WriteResult(
        total=2, bad=0, key="2499265", info="Record NOT live on the dialer.", error=None
    )


def test_update_datasets_and_create_datasets(fake: FakeContactNow, client: ContactNowClient) -> None:
    client.create_datasets([{"import_table": "Willtest", "description": "Spring"}])
    client.update_datasets([{"dataset": "104", "d_status": "LIVE"}])
    assert fake.ops() == ["token.get", "ecnow_datasets.create", "ecnow_datasets.update"]
    assert json.loads(fake.seen[-1].body) == [{"dataset": "104", "d_status": "LIVE"}]


def test_a_write_body_is_compact_utf8_json_with_every_character_escaped_as_json_dumps_does(
    fake: FakeContactNow, client: ContactNowClient
) -> None:
    hostile = 'Zoë \x00\x01\x08\t\n\x0c\r\x1f\x7f \u2028\u2029 \ufeff "\\/ <&> 😀'
    rows = [{"dataset": "7", "MobilePhone": "07700900001", "FirstName": hostile}]
    client.create_records(rows)
    assert fake.seen[-1].body == json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
    assert (
        fake.seen[-1].body
        == (
            '[{"dataset":"7","MobilePhone":"07700900001","FirstName":'
            '"Zoë \\u0000\\u0001\\b\\t\\n\\f\\r\\u001f\x7f \u2028\u2029 \ufeff \\"\\\\/ <&> 😀"}]'
        ).encode()
    )


def test_row_limits(fake: FakeContactNow, client: ContactNowClient) -> None:
    with pytest.raises(ValueError, match="at most 1000 rows per call, got 1001"):
        client.create_records([{"dataset": "7", "MobilePhone": "1"}] * 1001)
    with pytest.raises(ValueError, match="needs at least one row"):
        client.update_records([])
    assert fake.ops() == []


# ------------------------------------------------------------------------------------ retry classification


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("dropped"), httpx.Response(502)],
    ids=["read-timeout", "protocol", "502"],
)
def test_create_never_resent_after_an_ambiguous_failure(
    fake: FakeContactNow, client: ContactNowClient, sleeps: Sleeps, failure: httpx.Response | Exception
) -> None:
    fake.fault("ecnow_records.create", failure)
    with pytest.raises(AmbiguousWriteError) as caught:
        client.create_records([{"dataset": "7", "MobilePhone": "1"}])
    assert fake.ops() == ["token.get", "ecnow_records.create"]
    assert sleeps.calls == []
    assert TOKENS[0] not in str(caught.value)


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.Response(429, headers={"Retry-After": "2"})],
    ids=["connect", "429"],
)
def test_create_resent_when_it_certainly_did_not_arrive(
    fake: FakeContactNow, client: ContactNowClient, failure: httpx.Response | Exception
) -> None:
    fake.fault("ecnow_datasets.create", failure)
    result = client.create_datasets([{"import_table": "Willtest", "description": "Spring"}])
    assert result.total == 1
    assert fake.ops() == ["token.get", "ecnow_datasets.create", "ecnow_datasets.create"]


def test_update_retried_after_read_timeout(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.fault("ecnow_records.update", httpx.ReadTimeout("slow"), httpx.Response(500))
    assert client.update_records([{"id": "1", "dataset": "7"}]).total == 1
    assert fake.ops() == ["token.get"] + ["ecnow_records.update"] * 3


# ----------------------------------------------------------------------------------------------- reads


def test_reference_reads_build_wire_models(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.fault(
        "campaign_fields.read",
        envelope(
            success=True,
            total=1,
            list=[
                {
                    "position": 1,
                    "table": "Willtest",
                    "name": "id",
                    "size": 200,
                    "standard_field": 1,
                    "type": "int",
                }
            ],
        ),
    )
    fake.fault(
        "queues.read",
        envelope(
            success=True,
            list=[{"qid": 75674454, "type": "outbound", "description": "Sales", "campaignid": "9"}],
        ),
    )
    fake.fault(
        "outcomecodes.read",
        envelope(
            success=True,
            list=[
                {
                    "outcome": "510456",
                    "description": "Sales Completed",
                    "complete": "Y",
                    "dmc": "Y",
                    "sale": "Y",
                    "do_not_call": "N",
                    "answerphone": 0,
                }
            ],
        ),
    )
    fake.fault(
        "ecnow_datasets.read",
        envelope(
            success=True,
            total=1,
            list=[
                {
                    "dataset": "351",
                    "qid": "75674454",
                    "d_status": "LIVE",
                    "d_priority": "0",
                    "description": "MyNumber",
                }
            ],
        ),
    )
    assert client.campaign_fields("Willtest") == [
        CampaignField(name="id", table="Willtest", position="1", size="200", standard_field="1", type="int")
    ]
    assert client.queues() == [
        WireQueue(qid="75674454", type="outbound", description="Sales", campaignid="9")
    ]
    assert client.outcome_codes() == [
        WireOutcome(
            outcome="510456",
            description="Sales Completed",
            dmc="Y",
            sale="Y",
            complete="Y",
            do_not_call="N",
            answerphone="0",
        )
    ]
    assert client.datasets(table="Willtest", state="LIVE", description="MyNumber", dataset=351) == [
        WireDataset(dataset="351", qid="75674454", d_status="LIVE", d_priority="0", description="MyNumber")
    ]
    by_op = {seen.op: seen for seen in fake.seen}
    assert by_op["campaign_fields.read"].args["table"] == "Willtest"
    assert by_op["queues.read"].script == "database.php"
    assert by_op["outcomecodes.read"].script == "database.php"
    assert by_op["ecnow_datasets.read"].script == "ecnow.php"
    datasets_args = by_op["ecnow_datasets.read"].args
    assert {key: datasets_args[key] for key in ("table", "state", "description", "dataset")} == {
        "table": "Willtest",
        "state": "LIVE",
        "description": "MyNumber",
        "dataset": "351",
    }


def test_php_style_object_list_is_read_as_rows(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.tables = {"0": {"name": "A"}, "2": {"name": "B"}}  # type: ignore[assignment]
    assert client.campaign_tables() == ["A", "B"]


def test_count_records(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.records = [record(i) for i in range(1, 5)]
    assert client.count_records(dataset=7) == 4
    args = fake.seen[-1].args
    assert (args["limit"], args["dataset"]) == ("1", "7")


def test_repr_shows_no_secret(client: ContactNowClient) -> None:
    client.queues()
    assert repr(client) == "ContactNowClient(base_url='https://api-106.dxi.eu/')"


def test_us_base_url_keeps_its_path(fake: FakeContactNow, sleeps: Sleeps) -> None:
    transport = fake.transport()
    with ContactNowClient(
        "https://api.contactnow.8x8.com/api", USERNAME, PASSWORD, transport=transport, retry=policy(sleeps)
    ) as us:
        us.queues()
    assert [seen.path for seen in fake.seen] == ["/api/token.php", "/api/database.php"]
