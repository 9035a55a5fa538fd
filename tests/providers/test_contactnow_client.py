"""ContactNowClient against a scripted ContactNow (httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from reconciler.errors import AmbiguousWriteError, ApiError, AuthError, TransientApiError
from reconciler.providers.contactnow.client import ContactNowClient
from reconciler.providers.contactnow.wire import CampaignField, OutcomeCode, Queue, WireDataset, WriteResult

from .provider_fakes import PASSWORD, TOKENS, USERNAME, FakeContactNow, Sleeps, envelope, policy

BASE = "https://api-106.dxi.eu/"


def _record(record_id: int, dataset: int = 7) -> dict[str, Any]:
    return {
        "id": str(record_id),
        "datasetid": str(dataset),
        "VENDOR_URN": f"U-{record_id}",
        "MobilePhone": "0770",
    }


@pytest.fixture
def fake() -> FakeContactNow:
    return FakeContactNow()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(fake: FakeContactNow, sleeps: Sleeps) -> Iterator[ContactNowClient]:
    with ContactNowClient(BASE, USERNAME, PASSWORD, transport=fake.transport(), retry=policy(sleeps)) as made:
        yield made


# ------------------------------------------------------------------------------------------------ token


def test_token_is_fetched_once_with_credentials_in_a_form_body(
    fake: FakeContactNow, client: ContactNowClient
) -> None:
    fake.tables = [{"name": "Willtest"}, {"name": "Other"}]
    assert client.campaign_tables() == ["Willtest", "Other"]
    assert client.campaign_tables() == ["Willtest", "Other"]
    assert fake.ops() == ["token.get", "campaign_tables.read", "campaign_tables.read"]
    assert client.token_fetches == 1
    token_request = fake.seen[0]
    assert token_request.args == {
        "action": "get",
        "format": "json",
        "username": USERNAME,
        "password": PASSWORD,
    }
    assert token_request.body != b""  # credentials travel in the body ...
    read = fake.seen[1]
    assert read.args == {"method": "campaign_tables", "action": "read", "format": "json", "token": TOKENS[0]}
    assert "token" not in str(read.headers)  # ... and the read's token in its form, not its URL


@pytest.mark.parametrize("error", ["Invalid token", "Expired token", "Unknown token"])
def test_token_error_renews_once_and_retries_once(
    fake: FakeContactNow, client: ContactNowClient, error: str
) -> None:
    client.campaign_tables()
    fake.fault("campaign_tables.read", envelope(success=False, error=error))
    assert client.campaign_tables() == []
    assert fake.ops() == [
        "token.get",
        "campaign_tables.read",
        "campaign_tables.read",
        "token.get",
        "campaign_tables.read",
    ]
    assert client.token_fetches == 2
    assert fake.seen[-1].args["token"] == TOKENS[1]


@pytest.mark.parametrize("error", ["Invalid token", "Expired token", "Unknown token"])
def test_token_error_on_a_create_renews_and_sends_once_more(
    fake: FakeContactNow, client: ContactNowClient, error: str
) -> None:
    fake.fault("ecnow_records.create", envelope(success=False, error=error))
    result = client.create_records([{"dataset": "7", "MobilePhone": "0770"}])
    assert result == WriteResult(total=1, bad=0, key="501")
    assert fake.ops() == ["token.get", "ecnow_records.create", "token.get", "ecnow_records.create"]
    assert client.token_fetches == 2


def test_token_refused_twice_is_auth_error(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.fault(
        "ecnow_datasets.read",
        envelope(success=False, error="Expired token"),
        envelope(success=False, error="Invalid token"),
    )
    with pytest.raises(AuthError) as caught:
        client.datasets()
    assert str(caught.value) == (
        "ContactNow refused a fresh token (Invalid token); the token may be bound to another IP address"
    )
    assert fake.ops() == ["token.get", "ecnow_datasets.read", "token.get", "ecnow_datasets.read"]
    assert client.token_fetches == 2


def test_bad_credentials_raise_auth_error(fake: FakeContactNow, sleeps: Sleeps) -> None:
    with (
        ContactNowClient(
            BASE, USERNAME, "wrong-password", transport=fake.transport(), retry=policy(sleeps)
        ) as bad,
        pytest.raises(AuthError) as caught,
    ):
        bad.queues()
    assert caught.value.message == (
        "ContactNow refused the credentials (Authentication failure); "
        "check the username and password environment variables"
    )
    assert "wrong-password" not in str(caught.value)
    assert fake.ops() == ["token.get"]


def test_token_fetch_is_retried_on_transient_failure(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.fault("token.get", httpx.Response(503), httpx.ReadTimeout("slow"))
    client.queues()
    assert fake.ops() == ["token.get", "token.get", "token.get", "queues.read"]
    assert client.token_fetches == 1


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
    assert client.queues() == [Queue(qid="75674454", type="outbound", description="Sales", campaignid="9")]
    assert client.outcome_codes() == [
        OutcomeCode(
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


def test_paging_uses_limit_start_sort_and_stops_on_a_short_page(
    fake: FakeContactNow, client: ContactNowClient
) -> None:
    fake.records = [_record(i) for i in range(1, 8)] + [_record(100, dataset=8)]
    rows = list(client.iter_records(dataset=7, page_size=3))
    assert [row["id"] for row in rows] == ["1", "2", "3", "4", "5", "6", "7"]
    reads = [seen.args for seen in fake.seen if seen.op == "ecnow_records.read"]
    assert [(read["limit"], read["start"], read["sort"], read["dataset"]) for read in reads] == [
        ("3", "0", "id", "7"),
        ("3", "3", "id", "7"),
        ("3", "6", "id", "7"),
    ]


def test_paging_when_the_last_page_is_full(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.records = [_record(i) for i in range(1, 7)]
    assert len(list(client.iter_records(dataset=7, page_size=3))) == 6
    starts = [seen.args["start"] for seen in fake.seen if seen.op == "ecnow_records.read"]
    assert starts == ["0", "3", "6"]


def test_record_values_are_text_and_filters_are_sent(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.fault(
        "ecnow_records.read",
        envelope(
            success=True, total=1, list=[{"id": 5, "outcomecode": 100, "Agent_Specific": None, "x": 1.5}]
        ),
    )
    rows = list(
        client.iter_records(table="Willtest", search={"VENDOR_URN": "A-1", "phone": "0770"}, exact=True)
    )
    assert rows == [{"id": "5", "outcomecode": "100", "Agent_Specific": "", "x": "1.5"}]
    args = fake.seen[-1].args
    assert args["table"] == "Willtest"
    assert args["search[VENDOR_URN]"] == "A-1"
    assert args["search[phone]"] == "0770"
    assert args["type"] == "exact"
    assert "dataset" not in args


def test_streamed_read_with_token_error_renews_once(fake: FakeContactNow, client: ContactNowClient) -> None:
    client.queues()
    fake.records = [_record(1)]
    fake.fault("ecnow_records.read", envelope(success=False, error="Expired token"))
    assert [row["id"] for row in client.iter_records(dataset=7)] == ["1"]
    assert fake.ops() == ["token.get", "queues.read", "ecnow_records.read", "token.get", "ecnow_records.read"]
    assert client.token_fetches == 2


def test_streamed_read_envelope_error(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.fault("ecnow_records.read", envelope(success=False, error="Bad argument: table or dataset required"))
    with pytest.raises(ApiError) as caught:
        list(client.iter_records(dataset=7))
    assert caught.value.message == "Bad argument: table or dataset required"


def test_read_needs_dataset_or_table(client: ContactNowClient) -> None:
    with pytest.raises(ValueError, match="needs a dataset or a table"):
        list(client.iter_records())


class _BreakingStream(httpx.SyncByteStream):
    """A body that sends `prefix` and then fails like a reset connection."""

    def __init__(self, prefix: bytes) -> None:
        self.prefix = prefix

    def __iter__(self) -> Iterator[bytes]:
        yield self.prefix
        raise httpx.ReadError("connection reset by peer")


def test_page_broken_mid_body_resumes_after_the_last_id(
    fake: FakeContactNow, client: ContactNowClient, sleeps: Sleeps
) -> None:
    fake.records = [_record(i) for i in range(1, 6)]
    full = json.dumps({"success": True, "total": 5, "list": fake.records}).encode()
    cut = full.index(b'{"id": "3"')  # two whole rows, then the reset
    fake.fault("ecnow_records.read", httpx.Response(200, stream=_BreakingStream(full[:cut])))
    rows = list(client.iter_records(dataset=7, page_size=10))
    assert [row["id"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert [seen.op for seen in fake.seen].count("ecnow_records.read") == 2
    assert sleeps.calls == [0.5]


def test_page_broken_every_time_gives_transient_error(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.fault(
        "ecnow_records.read",
        *[httpx.Response(200, stream=_BreakingStream(b'{"success": true')) for _ in range(5)],
    )
    with pytest.raises(TransientApiError, match="response body interrupted"):
        list(client.iter_records(dataset=7))


def test_count_records(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.records = [_record(i) for i in range(1, 5)]
    assert client.count_records(dataset=7) == 4
    args = fake.seen[-1].args
    assert (args["limit"], args["dataset"]) == ("1", "7")


def test_repr_shows_no_secret(client: ContactNowClient) -> None:
    client.queues()
    assert repr(client) == "ContactNowClient(base_url='https://api-106.dxi.eu/')"


def test_threads_share_one_token(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.tables = [{"name": "Willtest"}]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: client.campaign_tables(), range(16)))
    assert results == [["Willtest"]] * 16
    assert client.token_fetches == 1
    assert fake.ops().count("campaign_tables.read") == 16


def test_us_base_url_keeps_its_path(fake: FakeContactNow, sleeps: Sleeps) -> None:
    transport = fake.transport()
    with ContactNowClient(
        "https://api.contactnow.8x8.com/api", USERNAME, PASSWORD, transport=transport, retry=policy(sleeps)
    ) as us:
        us.queues()
    assert [seen.path for seen in fake.seen] == ["/api/token.php", "/api/database.php"]
