"""Each fault kind over real HTTP (uvicorn), plus the in-process drop (API-CONTRACT.md Part C)."""

from __future__ import annotations

import email.utils
import logging
import math
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from harness.process import EmulatorProcess

from reconciler.emulator import SyncAsgiTransport, build_state, create_app

from .conftest import Emulator, FakeClock
from .test_cc_helpers import AUTH, add, member_ids

DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)
ERROR_PAGE_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


class _Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def uvicorn_errors() -> Iterator[list[logging.LogRecord]]:
    """What uvicorn logs at WARNING or above while the test runs (its loggers do not propagate)."""
    handler = _Captured()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def _record(dataset: int, urn: str) -> dict[str, object]:
    return {"dataset": dataset, "VENDOR_URN": urn, "MobilePhone": "07700900123"}


def _create(emulator: Emulator, dataset: int, urn: str) -> httpx.Response:
    return emulator.cn("ecnow.php", "ecnow_records", "create", body=[_record(dataset, urn)])


def _urns(emulator: Emulator, dataset: int) -> list[str]:
    return [row["VENDOR_URN"] for row in emulator.records(dataset=dataset)]


def _campaign(emulator: Emulator) -> httpx.Response:
    return emulator.client.get(f"{emulator.base_url}/cc/api/stats/campaigns/125.json", auth=AUTH)


def test_error_matches_one_op_and_does_not_run_the_handler(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    emulator.state.faults.add_spec("error:status=503:match=ecnow_records.create")
    response = _create(emulator, dataset, "A-1")
    assert response.status_code == 503
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "503 Service Unavailable" in response.text
    assert _urns(emulator, dataset) == []
    assert emulator.new_dataset(description="other") == dataset + 1
    entry = emulator.state.log.entries(op="ecnow_records.create")[-1]
    assert (entry.status, entry.fault, entry.committed, entry.result) == (503, "error:503", False, "")


def test_error_status_list_is_drawn_reproducibly(emulator: Emulator) -> None:
    def run() -> list[int]:
        emulator.state.faults.clear()
        emulator.state.faults.add_spec("error:rate=0.6:status=500,502,503:match=cc.campaign")
        return [_campaign(emulator).status_code for _ in range(40)]

    first = run()
    assert run() == first
    assert set(first) == {200, 500, 502, 503}
    emulator.state.faults.reseed(8)
    assert [_campaign(emulator).status_code for _ in range(40)] != first


def test_rate_limit_retry_after_in_seconds(emulator: Emulator, clock: FakeClock) -> None:
    emulator.state.faults.add_spec("rate_limit:retry_after=2:match=cc.*:count=1")
    limited = add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}])
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2"
    assert "429 Too Many Requests" in limited.text
    assert member_ids(emulator.client, emulator.base_url, 125) == []
    assert add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}]).status_code == 207
    assert emulator.state.log.entries(op="cc.add")[0].fault == "rate_limit:429"


@pytest.mark.parametrize("seconds", [2, 1.5])
def test_rate_limit_retry_after_as_http_date(emulator: Emulator, clock: FakeClock, seconds: float) -> None:
    """The date is on the real clock (like the Date header), not the emulator clock, rounded up."""
    emulator.state.faults.add_spec(f"rate_limit:retry_after=http-date:{seconds}:match=cc.read:count=1")
    before = time.time()
    limited = emulator.client.get(f"{emulator.base_url}/cc/api/stats/campaigns/125/records.json", auth=AUTH)
    after = time.time()
    assert limited.status_code == 429
    header = limited.headers["retry-after"]
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT", header)
    retry_at = email.utils.parsedate_to_datetime(header).timestamp()
    assert math.ceil(before + seconds) <= retry_at <= math.ceil(after + seconds)
    assert records_status(emulator) == 200


def records_status(emulator: Emulator) -> int:
    return emulator.client.get(
        f"{emulator.base_url}/cc/api/stats/campaigns/125/records.json", auth=AUTH
    ).status_code


def test_reset_drops_the_connection_without_running_the_handler(
    emulator: Emulator, uvicorn_errors: list[logging.LogRecord]
) -> None:
    emulator.state.faults.add_spec("reset:match=cc.add:count=1")
    with pytest.raises(DROPPED):
        add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}])
    assert member_ids(emulator.client, emulator.base_url, 125) == []
    assert add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}]).status_code == 207
    entry = emulator.state.log.entries(op="cc.add")[0]
    assert (entry.status, entry.fault, entry.committed) == (None, "reset", False)
    assert [r.getMessage() for r in uvicorn_errors if r.levelno >= logging.WARNING] == []


def test_reset_on_a_fresh_client_connection(emulator: Emulator) -> None:
    emulator.state.faults.add_spec("reset:match=/cc/*")
    with httpx.Client() as fresh, pytest.raises(DROPPED) as info:
        fresh.get(f"{emulator.base_url}/cc/api/stats/campaigns/125.json", auth=AUTH)
    assert isinstance(info.value, httpx.TransportError)
    token = emulator.token()
    assert len(token) == 40


def test_commit_then_fail_502_keeps_the_write(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    emulator.state.faults.add_spec("commit_then_fail:mode=502:match=ecnow_records.create,cc.add")
    response = _create(emulator, dataset, "A-1")
    assert (response.status_code, response.text) == (502, ERROR_PAGE_502)
    assert _urns(emulator, dataset) == ["A-1"]
    cc = add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}])
    assert cc.status_code == 502
    assert member_ids(emulator.client, emulator.base_url, 125) == [10000001]
    assert emulator.state.log.count(fault="commit_then_fail", committed=True, status=502) == 2


def test_commit_then_fail_drop_keeps_the_write(
    emulator: Emulator, uvicorn_errors: list[logging.LogRecord]
) -> None:
    dataset = emulator.new_dataset()
    emulator.state.faults.add_spec("commit_then_fail:mode=drop:match=ecnow_records.create:count=1")
    with pytest.raises(DROPPED):
        _create(emulator, dataset, "A-1")
    assert _urns(emulator, dataset) == ["A-1"]
    assert _create(emulator, dataset, "A-2").json()["success"] is True
    assert _urns(emulator, dataset) == ["A-1", "A-2"]
    entry = emulator.state.log.entries(op="ecnow_records.create")[0]
    assert (entry.status, entry.fault, entry.committed, entry.rows) == (
        None,
        "commit_then_fail:drop",
        True,
        1,
    )
    assert [r.getMessage() for r in uvicorn_errors if r.levelno >= logging.WARNING] == []


def test_commit_then_fail_leaves_requests_that_stored_nothing(emulator: Emulator) -> None:
    emulator.state.faults.add_spec("commit_then_fail:match=cc.add")
    refused = add(emulator.client, emulator.base_url, 125, [{"customer-id": 9}])
    assert refused.status_code == 207
    assert refused.json()[0]["http-status"] == 404
    stopped = add(emulator.client, emulator.base_url, 126, [{"customer-id": 10000001}])
    assert stopped.status_code == 400
    assert emulator.state.faults.rules()[0]["seen"] == 0
    assert add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}]).status_code == 502


def test_commit_then_fail_rate_with_both_modes(emulator: Emulator) -> None:
    emulator.state.faults.add_spec("commit_then_fail:rate=0.5:mode=502|drop:match=cc.add:seed=3")
    outcomes: list[str] = []
    for i in range(30):
        try:
            outcomes.append(
                str(add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000000 + i}]).status_code)
            )
        except DROPPED:
            outcomes.append("drop")
    assert set(outcomes) == {"207", "502", "drop"}
    assert len(member_ids(emulator.client, emulator.base_url, 125)) == 30
    rule = emulator.state.faults.rules()[0]
    assert (rule["seen"], rule["fired"]) == (30, outcomes.count("502") + outcomes.count("drop"))


def test_form_posted_arguments_are_classified_and_replayed(emulator: Emulator) -> None:
    dataset = emulator.new_dataset()
    emulator.new_records(dataset, [{"VENDOR_URN": "A-1", "MobilePhone": "07700900123"}])
    url = f"{emulator.contactnow_url}ecnow.php"
    form = {"token": emulator.token(), "method": "ecnow_records", "action": "read", "format": "json"}
    form["dataset"] = str(dataset)
    emulator.state.faults.add_spec("error:status=500:match=ecnow_records.read:count=2")
    assert emulator.client.post(url, data=form).status_code == 500
    assert emulator.client.post(url, files={"x": ("x.txt", b"1")}, data=form).status_code == 500
    served = emulator.client.post(url, data=form)
    assert served.status_code == 200
    assert [row["VENDOR_URN"] for row in served.json()["list"]] == ["A-1"]
    multipart = emulator.client.post(url, files={"x": ("x.txt", b"1")}, data=form)
    assert [row["VENDOR_URN"] for row in multipart.json()["list"]] == ["A-1"]
    ops = [(e.op, e.status) for e in emulator.state.log.entries(op="ecnow_records.read")]
    assert ops[-4:] == [("ecnow_records.read", s) for s in (500, 500, 200, 200)]


def test_form_field_wins_over_the_query_string(emulator: Emulator) -> None:
    emulator.state.faults.add_spec("error:status=503:match=ecnow_datasets.read")
    url = f"{emulator.contactnow_url}ecnow.php"
    query = {"token": emulator.token(), "method": "campaign_tables", "action": "read", "format": "json"}
    response = emulator.client.post(url, params=query, data={"method": "ecnow_datasets"})
    assert response.status_code == 503


def test_latency_delays_only_matching_requests(emulator: Emulator) -> None:
    emulator.state.faults.add_spec("latency:ms=300:match=cc.campaign")
    started = time.monotonic()
    assert _campaign(emulator).status_code == 200
    slow = time.monotonic() - started
    assert member_ids(emulator.client, emulator.base_url, 125) == []
    assert slow >= 0.3  # a lower bound: a busy machine only adds to it
    assert emulator.state.log.entries(op="cc.campaign")[0].fault == "latency:300ms"
    assert emulator.state.log.entries(op="cc.read")[0].fault is None  # not delayed: no latency applied


def test_path_glob_matching(emulator: Emulator) -> None:
    emulator.state.faults.add_spec("error:status=502:match=/contactnow/database.php")
    assert emulator.cn("database.php", "outcomecodes", "read").status_code == 502
    assert emulator.cn("ecnow.php", "campaign_tables", "read").status_code == 200
    assert _campaign(emulator).status_code == 200


def test_token_get_can_be_faulted(emulator: Emulator) -> None:
    emulator.state.faults.add_spec("error:status=500:match=token.get:count=1")
    url = f"{emulator.contactnow_url}token.php"
    params = {"action": "get", "username": "demo", "password": "demo-password"}
    assert emulator.client.get(url, params=params).status_code == 500
    assert emulator.client.get(url, params=params).json()["success"] is True


def test_cc_item_errors_fail_some_items_transiently(emulator: Emulator) -> None:
    emulator.state.faults.add_spec("cc_item_error:rate=0.02:status=500,503:seed=11")
    wanted = [10000000 + i for i in range(1000)]
    response = add(emulator.client, emulator.base_url, 125, [{"customer-id": c} for c in wanted])
    assert response.status_code == 207
    failed = [item for item in response.json() if item["http-status"] != 200]
    assert 5 <= len(failed) <= 40
    assert {(i["http-status"], i["message"]) for i in failed} == {
        (500, "Internal Server Error"),
        (503, "Service Unavailable"),
    }
    assert emulator.state.faults.rules()[0]["fired"] == len(failed)
    stored = set(member_ids(emulator.client, emulator.base_url, 125))
    assert stored == set(wanted) - {i["customer-id"] for i in failed}
    for _ in range(5):
        retry = [c for c in wanted if c not in stored]
        if not retry:
            break
        add(emulator.client, emulator.base_url, 125, [{"customer-id": c} for c in retry])
        stored = set(member_ids(emulator.client, emulator.base_url, 125))
    assert stored == set(wanted)


def test_whole_request_errors_for_a_cc_add(emulator: Emulator) -> None:
    emulator.state.faults.add_spec("error:status=503:match=cc.add:count=1")
    assert add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}]).status_code == 503
    assert member_ids(emulator.client, emulator.base_url, 125) == []


def test_drop_in_process_raises_the_httpx_error() -> None:
    state = build_state()
    try:
        state.faults.add_spec("reset:match=cc.campaign:count=1")
        state.faults.add_spec("commit_then_fail:mode=drop:match=cc.add:count=1")
        with httpx.Client(
            transport=SyncAsgiTransport(create_app(state)), base_url="http://emulator"
        ) as client:
            with pytest.raises(
                httpx.RemoteProtocolError, match="Server disconnected without sending a response"
            ):
                client.get("/cc/api/stats/campaigns/125.json", auth=AUTH)
            assert client.get("/cc/api/stats/campaigns/125.json", auth=AUTH).status_code == 200
            with pytest.raises(httpx.RemoteProtocolError):
                client.post(
                    "/cc/api/tstats/campaigns/125/customers", json=[{"customer-id": 10000001}], auth=AUTH
                )
            body = client.get("/cc/api/stats/campaigns/125/records.json", auth=AUTH).json()
        assert [r["record-id"] for r in body["records"]["record"]] == [10000001]
        assert [(e.op, e.status, e.fault) for e in state.log.entries()][:3] == [
            ("cc.campaign", None, "reset"),
            ("cc.campaign", 200, None),
            ("cc.add", None, "commit_then_fail:drop"),
        ]
    finally:
        state.store.close()


def test_cli_fault_specs_reach_a_separate_process() -> None:
    with EmulatorProcess(faults=("error:status=502:match=cc.campaign",)) as proc:
        url = f"{proc.base_url}/cc/api/stats/campaigns/125.json"
        assert httpx.get(url, auth=AUTH).status_code == 502
        rules = httpx.get(f"{proc.base_url}/_emulator/faults").json()["rules"]
        assert [r["spec"] for r in rules] == ["error:status=502:rate=1:match=cc.campaign"]
