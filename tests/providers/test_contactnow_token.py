"""The token owner (token.py): one token per client, shared by threads, renewed once per call, and once for
threads that find it stale at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from reconciler.errors import AuthError
from reconciler.providers.contactnow.client import ContactNowClient
from reconciler.providers.contactnow.envelope import TokenRejected
from reconciler.providers.contactnow.token import Token
from reconciler.providers.contactnow.wire import WriteResult
from reconciler.providers.http.session import HttpSession

from .provider_fakes import CN_BASE, PASSWORD, TOKENS, USERNAME, FakeContactNow, Sleeps, envelope, policy

REFUSED_AGAIN = (
    "ContactNow refused a fresh token (Invalid token); the token may be bound to another IP address"
)


def _token(fake: FakeContactNow, sleeps: Sleeps) -> Token:
    session = HttpSession(CN_BASE, service="ContactNow", transport=fake.transport(), retry=policy(sleeps))
    return Token(session, USERNAME, PASSWORD)


# ------------------------------------------------------------------------------------- through the client


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
            CN_BASE, USERNAME, "wrong-password", transport=fake.transport(), retry=policy(sleeps)
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


def test_threads_share_one_token(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.tables = [{"name": "Willtest"}]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: client.campaign_tables(), range(16)))
    assert results == [["Willtest"]] * 16
    assert client.token_fetches == 1
    assert fake.ops().count("campaign_tables.read") == 16


# ------------------------------------------------------------------------------------------ stale at once


def test_two_threads_renewing_the_same_stale_token_fetch_one(fake: FakeContactNow, sleeps: Sleeps) -> None:
    token = _token(fake, sleeps)
    stale = token.get()
    together = threading.Barrier(2, timeout=30)

    def renew(_: int) -> str:
        together.wait()
        return token.renew(stale=stale)

    with ThreadPoolExecutor(max_workers=2) as pool:
        renewed = list(pool.map(renew, range(2)))
    assert renewed == [TOKENS[1], TOKENS[1]]
    assert token.fetches == 2
    assert fake.ops() == ["token.get", "token.get"]


def test_two_calls_refused_at_once_get_one_new_token(fake: FakeContactNow, client: ContactNowClient) -> None:
    fake.tables = [{"name": "Willtest"}]
    client.queues()
    both_in_flight = threading.Barrier(2, timeout=30)

    def refuse(_: httpx.Request) -> httpx.Response:
        both_in_flight.wait()  # each call holds the stale token when it is refused
        return envelope(success=False, error="Expired token")

    fake.fault("campaign_tables.read", refuse, refuse)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: client.campaign_tables(), range(2)))
    assert results == [["Willtest"], ["Willtest"]]
    assert client.token_fetches == 2
    reads = [seen.args["token"] for seen in fake.seen if seen.op == "campaign_tables.read"]
    assert reads == [TOKENS[0], TOKENS[0], TOKENS[1], TOKENS[1]]
    assert fake.ops().count("token.get") == 2


# ----------------------------------------------------------------------------------------- call and stream


def test_call_runs_with_the_current_token(fake: FakeContactNow, sleeps: Sleeps) -> None:
    token = _token(fake, sleeps)
    assert token.call(lambda value: f"ran with {value}") == f"ran with {TOKENS[0]}"
    assert token.call(lambda value: value) == TOKENS[0]
    assert token.fetches == 1


def test_call_renews_once_after_a_refusal(fake: FakeContactNow, sleeps: Sleeps) -> None:
    token = _token(fake, sleeps)
    ran: list[str] = []

    def run(value: str) -> str:
        ran.append(value)
        if len(ran) == 1:
            raise TokenRejected("Expired token")
        return "done"

    assert token.call(run) == "done"
    assert ran == [TOKENS[0], TOKENS[1]]
    assert token.fetches == 2


def test_a_stream_refused_twice_is_an_auth_error(fake: FakeContactNow, sleeps: Sleeps) -> None:
    token = _token(fake, sleeps)
    ran: list[str] = []

    def run(value: str) -> Iterator[str]:
        ran.append(value)
        yield f"item {len(ran)}"
        raise TokenRejected("Invalid token")

    got: list[str] = []
    with pytest.raises(AuthError) as caught:
        got.extend(token.stream(run))
    assert str(caught.value) == REFUSED_AGAIN
    assert got == ["item 1", "item 2"]  # what a second run skips is the run's business (records.py resumes)
    assert ran == [TOKENS[0], TOKENS[1]]
    assert token.fetches == 2
