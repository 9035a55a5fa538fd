"""The send loop: each failure classified as retry.py's table says, Retry-After honoured and shared, errors
wrapped without the httpx exception; and a streamed read opened again when its body breaks."""

from __future__ import annotations

import email.utils
import socket
import ssl
from collections.abc import Iterator

import httpcore
import httpx
import pytest

from reconciler.errors import AmbiguousWriteError, ApiError, RateLimitError, TransientApiError
from reconciler.providers.http.body import BrokenBody
from reconciler.providers.http.session import HttpSession, _tls_context

from ..provider_fakes import BreakingStream, Scripted, Sleeps, policy


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


def _caused_by(cause: BaseException) -> httpx.ConnectError:
    """A ConnectError as httpx raises it: wrapping httpcore's, which wraps the socket or TLS error."""
    try:
        try:
            raise cause
        except BaseException as inner:
            raise httpcore.ConnectError(str(inner)) from inner
    except httpcore.ConnectError as middle:
        error = httpx.ConnectError(str(middle))
        error.__cause__ = middle
        return error


def _certificate_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(
        1, f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {message}"
    )
    error.verify_code = code
    error.verify_message = message
    return error


CHECK_TARGET = (
    "check the target's baseUrl (or its region), this machine's DNS, and any proxy in the way "
    "(HTTPS_PROXY is honoured)"
)


@pytest.mark.parametrize(
    ("cause", "message"),
    [
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "Test read: the host name api.example.test does not resolve (Name or service not known); "
            + CHECK_TARGET,
        ),
        (
            socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
            "Test read: the host name api.example.test does not resolve (Temporary failure in name resolution); "
            + CHECK_TARGET,
        ),
        (
            _certificate_error(62, "Hostname mismatch, certificate is not valid for 'api.example.test'."),
            "Test read: the server's TLS certificate was not accepted (Hostname mismatch, certificate is not valid "
            "for 'api.example.test'.): it does not name the host api.example.test; " + CHECK_TARGET,
        ),
        (
            _certificate_error(64, "IP address mismatch, certificate is not valid for '192.0.2.7'."),
            "Test read: the server's TLS certificate was not accepted (IP address mismatch, certificate is not valid "
            "for '192.0.2.7'.): it does not name the host api.example.test; " + CHECK_TARGET,
        ),
        (
            _certificate_error(18, "self-signed certificate"),
            "Test read: the server's TLS certificate was not accepted (self-signed certificate); check the base "
            "URL, or, if the service uses a private certificate authority, point SSL_CERT_FILE at that CA's "
            "bundle",
        ),
    ],
    ids=["no-such-name", "dns-unavailable", "hostname-mismatch", "ip-mismatch", "untrusted"],
)
@pytest.mark.parametrize("idempotent", [True, False], ids=["read", "create"])
def test_connect_failures_that_sending_again_cannot_cure_are_refused_at_once(
    cause: BaseException, message: str, idempotent: bool
) -> None:
    script = Scripted(_caused_by(cause), OK)
    sleeps = Sleeps()
    session = _session(httpx.MockTransport(script), sleeps)
    with pytest.raises(ApiError) as caught:
        session.request("GET", "x", action="read", idempotent=idempotent)
    assert type(caught.value) is ApiError
    assert str(caught.value) == f"{message} [https://api.example.test/base/x]"
    assert (len(script.requests), sleeps.calls) == (1, [])


def test_a_refused_stream_is_not_read_again() -> None:
    script = Scripted(_caused_by(socket.gaierror(socket.EAI_NONAME, "Name or service not known")), OK)
    sleeps = Sleeps()
    session = _session(httpx.MockTransport(script), sleeps)
    url = session.url_for("records")
    with pytest.raises(ApiError) as caught:
        list(session.read_stream("GET", "records", action="read", url=url, parse=_items, resumable=True))
    assert str(caught.value) == (
        "Test read: the host name api.example.test does not resolve (Name or service not known); "
        f"{CHECK_TARGET} [https://api.example.test/base/records]"
    )
    assert (len(script.requests), sleeps.calls) == (1, [])


def test_a_name_the_resolver_does_not_know_fails_at_once_through_the_real_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """httpx's own transport, with a resolver this test controls: no packet leaves the machine."""
    asked: list[object] = []

    def resolve(host: object, *args: object, **kwargs: object) -> list[object]:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    for proxy in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    sleeps = Sleeps()
    session = HttpSession("https://api.example.test/base", service="Test", retry=policy(sleeps))
    with pytest.raises(ApiError) as caught:
        session.request("GET", "x", action="read", idempotent=True)
    assert str(caught.value) == (
        "Test read: the host name api.example.test does not resolve (Name or service not known); "
        f"{CHECK_TARGET} [https://api.example.test/base/x]"
    )
    assert (asked, sleeps.calls) == (["api.example.test"], [])


def test_a_connect_failure_that_may_pass_is_still_retried() -> None:
    script = Scripted(_caused_by(ConnectionRefusedError(111, "Connection refused")), OK)
    sleeps = Sleeps()
    session = _session(httpx.MockTransport(script), sleeps)
    assert session.request("GET", "x", action="read", idempotent=True).json() == {"ok": True}
    assert (len(script.requests), len(sleeps.calls)) == (2, 1)


def test_wrapped_errors_do_not_chain_httpx_exceptions() -> None:
    script = Scripted(httpx.ReadTimeout("timed out"))
    session = _session(httpx.MockTransport(script), Sleeps())
    with pytest.raises(AmbiguousWriteError) as caught:
        session.request("POST", "x", action="create", idempotent=False, params={"token": "tok-value-123"})
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert caught.value.url == "https://api.example.test/base/x?token=***"
    assert "tok-value-123" not in str(caught.value)


# ------------------------------------------------------------------------------------------- read_stream


def _items(response: httpx.Response) -> Iterator[bytes]:
    """One item per chunk of the body: enough to see when a break comes."""
    yield from response.iter_bytes()


def _read(script: Scripted, sleeps: Sleeps, *, resumable: bool) -> list[bytes]:
    session = _session(httpx.MockTransport(script), sleeps)
    url = session.url_for("records")
    return list(
        session.read_stream("GET", "records", action="read", url=url, parse=_items, resumable=resumable)
    )


def test_a_body_broken_before_any_item_is_read_again() -> None:
    script = Scripted(httpx.Response(200, stream=BreakingStream(b"")), httpx.Response(200, content=b"whole"))
    sleeps = Sleeps()
    assert _read(script, sleeps, resumable=False) == [b"whole"]
    assert len(script.requests) == 2
    assert sleeps.calls == [0.5]


def test_a_body_broken_after_an_item_raises_unless_the_read_resumes() -> None:
    script = Scripted(httpx.Response(200, stream=BreakingStream(b"part")))
    sleeps = Sleeps()
    with pytest.raises(TransientApiError) as caught:
        _read(script, sleeps, resumable=False)
    assert str(caught.value) == (
        "Test read: response body interrupted (ReadError: connection reset by peer) "
        "[https://api.example.test/base/records]"
    )
    assert len(script.requests) == 1
    assert sleeps.calls == []
    script = Scripted(
        httpx.Response(200, stream=BreakingStream(b"part")), httpx.Response(200, content=b"all")
    )
    assert _read(script, sleeps, resumable=True) == [b"part", b"all"]  # skipping is the parser's business
    assert sleeps.calls == [0.5]


def test_a_body_broken_every_time_raises_after_the_policy_attempts() -> None:
    script = Scripted(*[httpx.Response(200, stream=BreakingStream(b"")) for _ in range(5)])
    sleeps = Sleeps()
    with pytest.raises(TransientApiError, match=r"^Test read: response body interrupted"):
        _read(script, sleeps, resumable=True)
    assert len(script.requests) == 5
    assert sleeps.calls == [0.5, 1.0, 2.0, 4.0]


def test_a_body_the_parser_finds_broken_is_read_again_then_not_valid_json() -> None:
    def broken(response: httpx.Response) -> Iterator[bytes]:
        response.read()
        raise BrokenBody

    script = Scripted(*[httpx.Response(200, content=b"<xml/>") for _ in range(2)])
    sleeps = Sleeps()
    session = _session(httpx.MockTransport(script), sleeps, attempts=2)
    with pytest.raises(ApiError) as caught:
        list(session.read_stream("GET", "x", action="read", url="u", parse=broken, resumable=True))
    assert type(caught.value) is ApiError
    assert str(caught.value) == "Test read: the response body is not valid JSON [u]"
    assert sleeps.calls == [0.5]


def test_every_session_context_requires_a_certificate_for_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    https, http = _tls_context("https"), _tls_context("http")
    for context in (https, http):
        assert context.verify_mode is ssl.CERT_REQUIRED
        assert context.check_hostname is True
    assert https.cert_store_stats()["x509_ca"] > 100, "certifi's bundle, as httpx loads by default"
    assert http.cert_store_stats()["x509_ca"] == 0, "plain http never opens TLS: it trusts no certificate"
    assert _tls_context("https") is https, "one verifying context a process"
