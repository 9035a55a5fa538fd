"""The shared HTTP policy: URL checks, Retry-After, backoff, retry classification, rate budget."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from reconciler.errors import AmbiguousWriteError, ApiError, ConfigError, RateLimitError, TransientApiError
from reconciler.providers.http import (
    BodyReader,
    HttpSession,
    RateBudget,
    RetryPolicy,
    check_base_url,
    parse_retry_after,
)

from .provider_fakes import Sleeps, policy

# ------------------------------------------------------------------------------------------- URL policy


@pytest.mark.parametrize(
    "url",
    [
        "https://api-106.dxi.eu/",
        "https://api.contactnow.8x8.com/api/",
        "http://127.0.0.1:8080/contactnow/",
        "http://127.9.9.9/cc",
        "http://localhost:1234/cc",
        "http://[::1]:9000/",
    ],
)
def test_base_url_accepted(url: str) -> None:
    checked = check_base_url(url)
    assert checked.path.endswith("/")


def test_base_url_gains_trailing_slash() -> None:
    assert str(check_base_url("https://vcc-na12.8x8.com")) == "https://vcc-na12.8x8.com/"
    assert str(check_base_url("http://127.0.0.1:5/cc")) == "http://127.0.0.1:5/cc/"


def test_plain_http_to_remote_host_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        check_base_url("http://api-106.dxi.eu/")
    assert str(caught.value) == (
        "base URL 'http://api-106.dxi.eu/' uses plain http to a host that is not loopback; use https, "
        "or set allowInsecureHttp: true on the target if the network is trusted"
    )


def test_plain_http_allowed_when_opted_in() -> None:
    assert str(check_base_url("http://10.0.0.5/x/", allow_insecure_http=True)) == "http://10.0.0.5/x/"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/", "must be an absolute http(s) URL"),
        ("api-106.dxi.eu", "must be an absolute http(s) URL"),
        ("https://user:secret-pw@example.com/", "must not hold credentials"),
        ("https://example.com/?token=abc", "must not have a query or fragment"),
    ],
)
def test_bad_base_urls(url: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_base_url(url)
    assert reason in str(caught.value)
    assert "secret-pw" not in str(caught.value)
    assert "token=abc" not in str(caught.value)


def test_session_refuses_insecure_remote_url() -> None:
    with pytest.raises(ConfigError):
        HttpSession("http://vcc-na12.8x8.com", service="x")


# ------------------------------------------------------------------------------------------ Retry-After


def test_retry_after_seconds() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 42, usegmt=True)
    assert parse_retry_after(header, now=lambda: now) == 42.0
    past = email.utils.formatdate(now - 42, usegmt=True)
    assert parse_retry_after(past, now=lambda: now) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5"])
def test_retry_after_invalid(value: str | None) -> None:
    assert parse_retry_after(value) is None


def test_backoff_full_jitter_bounded() -> None:
    top = RetryPolicy(base_delay=0.5, max_delay=3.0, random=lambda: 1.0)
    assert [top.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]
    half = RetryPolicy(base_delay=0.5, max_delay=3.0, random=lambda: 0.5)
    assert [half.backoff(n) for n in range(1, 5)] == [0.25, 0.5, 1.0, 1.5]
    assert RetryPolicy(random=lambda: 0.0).backoff(3) == 0.0


def test_retry_policy_validates() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


# ------------------------------------------------------------------------------------ retry classification


def _session(
    handler: httpx.MockTransport,
    sleeps: Sleeps,
    *,
    jitter: float = 1.0,
    attempts: int = 5,
    cap: float = 60.0,
    now: float | None = None,
) -> HttpSession:
    return HttpSession(
        "https://api.example.test/base",
        service="Test",
        transport=handler,
        retry=policy(sleeps, jitter=jitter, attempts=attempts, cap=cap, now=now),
    )


class Scripted:
    """A MockTransport handler that serves a fixed sequence of answers and counts requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


OK = httpx.Response(200, json={"ok": True})


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed connection"),
        httpx.ReadError("connection reset"),
        httpx.Response(502),
        httpx.Response(500),
    ],
    ids=["read-timeout", "protocol", "reset", "502", "500"],
)
def test_non_idempotent_write_is_never_resent_after_it_may_have_arrived(
    failure: httpx.Response | Exception,
) -> None:
    script = Scripted(failure, OK)
    sleeps = Sleeps()
    session = _session(httpx.MockTransport(script), sleeps)
    with pytest.raises(AmbiguousWriteError) as caught:
        session.request("POST", "ecnow.php", action="records.create", idempotent=False, content=b"[]")
    assert len(script.requests) == 1
    assert sleeps.calls == []
    assert "re-read before trying again" in str(caught.value)


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("connect timed out"), httpx.Response(429)],
    ids=["connect", "connect-timeout", "429"],
)
def test_non_idempotent_write_is_resent_when_it_certainly_did_not_arrive(
    failure: httpx.Response | Exception,
) -> None:
    script = Scripted(failure, OK)
    sleeps = Sleeps()
    session = _session(httpx.MockTransport(script), sleeps)
    response = session.request("POST", "ecnow.php", action="records.create", idempotent=False, content=b"[]")
    assert response.json() == {"ok": True}
    assert len(script.requests) == 2
    assert sleeps.calls == [0.5]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed connection"),
        httpx.ReadError("reset"),
        httpx.ConnectError("refused"),
        httpx.Response(503),
        httpx.Response(429),
    ],
    ids=["read-timeout", "protocol", "reset", "connect", "503", "429"],
)
def test_idempotent_request_is_retried(failure: httpx.Response | Exception) -> None:
    script = Scripted(failure, OK)
    session = _session(httpx.MockTransport(script), Sleeps())
    response = session.request("GET", "x", action="read", idempotent=True)
    assert response.status_code == 200
    assert len(script.requests) == 2


def test_client_errors_are_returned_not_retried() -> None:
    script = Scripted(httpx.Response(404, json={"message": "nope"}))
    session = _session(httpx.MockTransport(script), Sleeps())
    response = session.request("GET", "x", action="read", idempotent=True)
    assert response.status_code == 404
    assert len(script.requests) == 1


def test_retries_exhausted_raise_transient_with_jittered_bounded_backoff() -> None:
    script = Scripted(*[httpx.Response(503) for _ in range(5)])
    sleeps = Sleeps()
    session = _session(httpx.MockTransport(script), sleeps, jitter=0.5)
    with pytest.raises(TransientApiError) as caught:
        session.request("GET", "x", action="read", idempotent=True)
    assert type(caught.value) is TransientApiError
    assert str(caught.value) == (
        "Test read failed after 5 attempts; the service may be unavailable: run again later "
        "(work done so far is kept) (HTTP 503) [https://api.example.test/base/x]"
    )
    assert len(script.requests) == 5
    # full jitter: random() * min(max_delay=4, 0.5 * 2**n), with random() = 0.5
    assert sleeps.calls == [0.25, 0.5, 1.0, 2.0]


def test_backoff_never_exceeds_max_delay() -> None:
    script = Scripted(*[httpx.ConnectError("refused") for _ in range(8)])
    sleeps = Sleeps()
    session = _session(httpx.MockTransport(script), sleeps, attempts=8)
    with pytest.raises(TransientApiError, match=r"failed after 8 attempts \(ConnectError: refused\)"):
        session.request("GET", "x", action="read", idempotent=True)
    assert sleeps.calls == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


def test_429_exhausted_on_a_create_is_transient_not_ambiguous() -> None:
    script = Scripted(*[httpx.Response(429) for _ in range(3)])
    session = _session(httpx.MockTransport(script), Sleeps(), attempts=3)
    with pytest.raises(TransientApiError) as caught:
        session.request("POST", "x", action="create", idempotent=False)
    assert type(caught.value) is TransientApiError
    assert len(script.requests) == 3


def test_retry_after_seconds_is_honoured() -> None:
    script = Scripted(httpx.Response(429, headers={"Retry-After": "7"}), OK)
    sleeps = Sleeps()
    session = _session(httpx.MockTransport(script), sleeps)
    session.request("POST", "x", action="create", idempotent=False)
    assert len(script.requests) == 2
    assert sleeps.calls == [7.0]


def test_retry_after_http_date_is_honoured() -> None:
    now = 1_800_000_000.0
    header = email.utils.formatdate(now + 12, usegmt=True)
    script = Scripted(httpx.Response(503, headers={"Retry-After": header}), OK)
    sleeps = Sleeps()
    session = _session(httpx.MockTransport(script), sleeps, now=now)
    session.request("GET", "x", action="read", idempotent=True)
    assert len(script.requests) == 2
    assert sleeps.calls == [12.0]


def test_retry_after_shorter_than_backoff_keeps_backoff() -> None:
    script = Scripted(httpx.Response(429, headers={"Retry-After": "0"}), OK)
    sleeps = Sleeps()
    session = _session(httpx.MockTransport(script), sleeps)
    session.request("GET", "x", action="read", idempotent=True)
    assert sleeps.calls == [0.5]


def test_retry_after_above_cap_raises_rate_limit_at_once() -> None:
    script = Scripted(httpx.Response(429, headers={"Retry-After": "3600"}), OK)
    sleeps = Sleeps()
    session = _session(httpx.MockTransport(script), sleeps, cap=60.0)
    with pytest.raises(RateLimitError) as caught:
        session.request("GET", "x", action="read", idempotent=True)
    assert caught.value.retry_after == 3600.0
    assert caught.value.status == 429
    assert str(caught.value) == (
        "Test read: the server asks to wait 3600 s, more than the 60 s allowed; run again later "
        "(work done so far is kept) (HTTP 429) [https://api.example.test/base/x]"
    )
    assert len(script.requests) == 1
    assert sleeps.calls == []


def test_retry_after_holds_back_other_requests_of_the_session() -> None:
    script = Scripted(httpx.Response(429, headers={"Retry-After": "30"}), OK, OK)
    sleeps = Sleeps()
    session = _session(httpx.MockTransport(script), sleeps)
    session.request("GET", "x", action="read", idempotent=True)
    session.request("GET", "y", action="read", idempotent=True)
    assert sleeps.calls[0] == 30.0
    # the second logical request still waits out what remains of the 30 s (the fake sleep took no time)
    assert 29.0 < sleeps.calls[1] <= 30.0


def test_unexpected_transport_error_is_api_error_not_retried() -> None:
    script = Scripted(httpx.UnsupportedProtocol("no"), OK)
    session = _session(httpx.MockTransport(script), Sleeps())
    with pytest.raises(ApiError) as caught:
        session.request("GET", "x", action="read", idempotent=True)
    assert not isinstance(caught.value, TransientApiError)
    assert len(script.requests) == 1


def test_wrapped_errors_do_not_chain_httpx_exceptions() -> None:
    script = Scripted(httpx.ReadTimeout("timed out"))
    session = _session(httpx.MockTransport(script), Sleeps())
    with pytest.raises(AmbiguousWriteError) as caught:
        session.request("POST", "x", action="create", idempotent=False, params={"token": "tok-value-123"})
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert caught.value.url == "https://api.example.test/base/x?token=***"
    assert "tok-value-123" not in str(caught.value)


# ----------------------------------------------------------------------------------------------- rate


def test_rate_budget_spaces_requests() -> None:
    sleeps = Sleeps()
    clock = [100.0]
    budget = RateBudget(4, clock=lambda: clock[0], sleep=sleeps)
    budget.acquire()
    budget.acquire()
    budget.acquire()
    assert sleeps.calls == [0.25, 0.5]
    clock[0] = 200.0
    budget.acquire()
    assert sleeps.calls == [0.25, 0.5]


def test_rate_budget_is_used_by_the_session() -> None:
    sleeps = Sleeps()
    budget = RateBudget(2, clock=lambda: 0.0, sleep=sleeps)
    session = HttpSession(
        "https://api.example.test/",
        service="Test",
        transport=httpx.MockTransport(lambda request: OK),
        rate=budget,
        retry=policy(Sleeps()),
    )
    for _ in range(3):
        session.request("GET", "x", action="read", idempotent=True)
    assert sleeps.calls == [0.5, 1.0]


def test_rate_budget_validates() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateBudget(0)


# ----------------------------------------------------------------------------------------- body reader


def test_body_reader_keeps_head_and_knows_completeness() -> None:
    reader = BodyReader(iter([b"abc", b"", b"defgh"]), head_limit=5)
    assert reader.read(2) == b"ab"
    assert reader.read() == b"c"
    assert reader.read() == b"defgh"
    assert reader.read() == b""
    assert reader.head == b"abcde"
    assert not reader.complete
    small = BodyReader(iter([b'{"a":', b"1}"]))
    small.drain()
    assert small.complete
    assert small.head == b'{"a":1}'
