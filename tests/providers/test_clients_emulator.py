"""Both clients against the emulator served over real HTTP on loopback, with its fault injection.

The emulator implements API-CONTRACT.md; these tests check that the clients speak it, and that each fault the
contract names is classified as the retry policy says (retried, or AmbiguousWriteError without a resend).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from reconciler.emulator.app import build_state
from reconciler.emulator.server import running_server
from reconciler.emulator.state import EmulatorState
from reconciler.errors import AmbiguousWriteError, CampaignStateError
from reconciler.providers.contactcenter.client import ContactCenterClient
from reconciler.providers.contactcenter.wire import AddItem, AddResult, DeleteOutcome
from reconciler.providers.contactnow.client import ContactNowClient
from reconciler.providers.contactnow.wire import WriteResult

from .provider_fakes import Sleeps, policy


@dataclass
class Target:
    url: str
    state: EmulatorState
    sleeps: Sleeps

    def contactnow(self, *, now: float | None = None) -> ContactNowClient:
        """A client whose retries sleep into `sleeps`; its clock for HTTP-dates stands still at `now`, if given."""
        retry = policy(self.sleeps, now=now)
        return ContactNowClient(f"{self.url}/contactnow/", "demo", "demo-password", retry=retry)

    def contactcenter(self) -> ContactCenterClient:
        return ContactCenterClient(f"{self.url}/cc", "demo", "demo-token", retry=policy(self.sleeps))


@pytest.fixture
def target() -> Iterator[Target]:
    state = build_state()
    try:
        with running_server(state) as url:
            yield Target(url, state, Sleeps())
    finally:
        state.store.close()


def _dataset(client: ContactNowClient, description: str = "Spring") -> str:
    assert client.create_datasets([{"import_table": "Willtest", "description": description}]).total == 1
    (row,) = client.datasets(table="Willtest", description=description)
    return row.dataset


def _rows(dataset: str, count: int, prefix: str = "A") -> list[dict[str, str]]:
    return [
        {"dataset": dataset, "VENDOR_URN": f"{prefix}-{i}", "MobilePhone": f"07700900{i:03d}"}
        for i in range(count)
    ]


def test_contactnow_round_trip(target: Target) -> None:
    with target.contactnow() as client:
        assert sorted(client.campaign_tables()) == ["Willtest", "nelsontest"]
        assert {field.name for field in client.campaign_fields("Willtest")} >= {"id", "VENDOR_URN", "Testy"}
        assert "75674454" in {queue.qid for queue in client.queues()}
        assert {code.outcome: code.complete for code in client.outcome_codes()}["510456"] == "Y"
        dataset = _dataset(client)
        assert client.update_datasets([{"dataset": dataset, "d_priority": "50"}]) == WriteResult(
            total=1, bad=0
        )
        assert client.create_records(_rows(dataset, 25)).total == 25
        refused = client.create_records([{"dataset": dataset, "VENDOR_URN": "no-phone"}])
        assert (refused.total, refused.bad, refused.error) == (0, 1, "No phone number supplied")
        rows = list(client.iter_records(dataset=int(dataset), page_size=10))
        assert sorted(row["VENDOR_URN"] for row in rows) == sorted(f"A-{i}" for i in range(25))
        assert [int(row["id"]) for row in rows] == sorted(int(row["id"]) for row in rows)
        found = list(client.iter_records(dataset=int(dataset), search={"VENDOR_URN": "A-1"}, exact=True))
        assert [row["VENDOR_URN"] for row in found] == ["A-1"]
        assert client.count_records(dataset=int(dataset)) == 25
        missing = client.update_records([{"id": "999999", "dataset": dataset, "Testy": "x"}])
        assert (missing.total, missing.bad, missing.error) == (0, 1, "Record id [999999] does not exist.")
        assert client.token_fetches == 1
    assert target.sleeps.calls == []


def test_expired_token_is_renewed_once(target: Target) -> None:
    with target.contactnow() as client:
        client.queues()
        real_clock = target.state.clock
        target.state.clock = lambda: real_clock() + 13 * 3600
        client.queues()
        assert client.token_fetches == 2
    assert target.state.log.count(op="token.get") == 2


def test_commit_then_fail_on_create_is_ambiguous_and_not_resent(target: Target) -> None:
    with target.contactnow() as client:
        dataset = _dataset(client)
        target.state.faults.add_spec("commit_then_fail:mode=502:match=ecnow_records.create:count=1")
        with pytest.raises(AmbiguousWriteError):
            client.create_records(_rows(dataset, 3))
        assert target.state.log.count(op="ecnow_records.create") == 1
        assert client.count_records(dataset=int(dataset)) == 3  # stored once: the caller re-reads


def test_dropped_connection_on_create_is_ambiguous(target: Target) -> None:
    with target.contactnow() as client:
        dataset = _dataset(client)
        target.state.faults.add_spec("commit_then_fail:mode=drop:match=ecnow_records.create:count=1")
        with pytest.raises(AmbiguousWriteError):
            client.create_records(_rows(dataset, 2))
        assert target.state.log.count(op="ecnow_records.create") == 1
        assert client.count_records(dataset=int(dataset)) == 2


def test_rate_limit_on_create_is_waited_out_and_resent(target: Target) -> None:
    with target.contactnow() as client:
        dataset = _dataset(client)
        target.state.faults.add_spec("rate_limit:retry_after=3:match=ecnow_records.create:count=1")
        assert client.create_records(_rows(dataset, 2)).total == 2
        assert target.sleeps.calls == [3.0]
        assert client.count_records(dataset=int(dataset)) == 2


def test_rate_limit_with_http_date_is_honoured(target: Target) -> None:
    asked = time.time()
    with target.contactnow(now=asked) as client:
        client.queues()
        target.state.faults.add_spec("rate_limit:retry_after=http-date:5:match=queues.read:count=1")
        client.queues()
    answered = time.time()
    (slept,) = target.sleeps.calls
    # The date is the emulator's clock, read between `asked` and `answered`, 5 s on, rounded up to a whole second;
    # the client takes `asked` from it. However long a busy machine takes, the wait is within these bounds.
    assert 5.0 <= slept <= 6.0 + (answered - asked)


def test_resets_and_errors_on_reads_are_retried(target: Target) -> None:
    with target.contactnow() as client:
        dataset = _dataset(client)
        client.create_records(_rows(dataset, 5))
        target.state.faults.add_spec("reset:match=ecnow_records.read:count=1")
        target.state.faults.add_spec("error:status=503:match=ecnow_records.read:count=1")
        assert len(list(client.iter_records(dataset=int(dataset)))) == 5
        assert len(target.sleeps.calls) == 2


def test_contactcenter_round_trip(target: Target) -> None:
    with target.contactcenter() as client:
        campaign = client.campaign(125)
        assert (campaign.campaign_name, campaign.status, campaign.dynamic_campaign) == ("Winback", 3, "Y")
        results = client.add_customers(125, [AddItem("10000001"), AddItem("10000001"), AddItem("42")])
        assert results == [
            AddResult(customer_id="10000001", http_status=200),
            AddResult(customer_id="10000001", http_status=400, message="Duplicate customer"),
            AddResult(customer_id="42", http_status=404, message="The customer-id has not been found."),
        ]
        assert [(member.record_id, member.status) for member in client.iter_members(125)] == [("10000001", 0)]
        assert client.delete_customer(125, "10000001") is DeleteOutcome.DELETED
        assert client.delete_customer(125, "10000001") is DeleteOutcome.NOT_FOUND
        with pytest.raises(CampaignStateError) as caught:
            client.add_customers(126, [AddItem("10000002")])
        assert caught.value.reason == "stopped"


def test_contactcenter_add_is_retried_after_commit_then_fail(target: Target) -> None:
    with target.contactcenter() as client:
        target.state.faults.add_spec("commit_then_fail:mode=502:match=cc.add:count=1")
        results = client.add_customers(125, [AddItem("10000005")])
        # the first attempt stored the member; the resend can only answer "Duplicate customer"
        assert results == [AddResult(customer_id="10000005", http_status=400, message="Duplicate customer")]
        assert [member.record_id for member in client.iter_members(125)] == ["10000005"]


def test_contactcenter_item_errors_are_transient_results(target: Target) -> None:
    with target.contactcenter() as client:
        target.state.faults.add_spec("cc_item_error:status=503:count=1")
        first, second = client.add_customers(125, [AddItem("10000006"), AddItem("10000007")])
        assert first.transient and first.http_status == 503
        assert second.ok
