"""The HTTP policy both vendor clients share: URL checks, retries, Retry-After and rate budget.

Retry classification (one logical action = one call of `HttpSession.request` / `HttpSession.stream`):

======================================  ======================  ==================================
failure                                  idempotent=True         idempotent=False (ContactNow create)
======================================  ======================  ==================================
ConnectError, ConnectTimeout,            retry                   retry (the request never left)
PoolTimeout, ProxyError
429 (with or without Retry-After)        retry                   retry (rejected before processing)
Retry-After above `max_retry_after`      RateLimitError at once  RateLimitError at once
ReadTimeout, WriteTimeout, ReadError,    retry                   AmbiguousWriteError at once
WriteError, RemoteProtocolError
5xx                                      retry                   AmbiguousWriteError at once
other 4xx, 3xx, 2xx                      returned to the caller  returned to the caller
======================================  ======================  ==================================

Retries exhausted raise `TransientApiError`. A TLS certificate that fails verification (a ConnectError caused by
`ssl.SSLCertVerificationError`) is never retried: it raises ApiError at once, naming SSL_CERT_FILE.
Delays use full jitter (`random() * min(max_delay, base * 2**n)`) and are never shorter than a Retry-After
the server sent. A Retry-After also holds back every other request of the same session (threads share a
"not before" time).

Redaction lives in reconciler.redact. Exceptions raised here carry redacted URLs only and never chain the httpx
exception (whose text could hold a raw URL).
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import random as _random
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import httpx

from reconciler.errors import (
    AmbiguousWriteError,
    ApiError,
    ConfigError,
    RateLimitError,
    TransientApiError,
)
from reconciler.redact import install_log_redaction, redact, redact_url

__all__ = [
    "BodyReader",
    "HttpSession",
    "RateBudget",
    "RetryPolicy",
    "check_base_url",
    "parse_retry_after",
]

logger = logging.getLogger(__name__)

MAX_CONNECTIONS = 8
"""Connections one client keeps; apply calls a client from a few threads."""

# ---------------------------------------------------------------------------------------------- URL policy

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, allow_insecure_http: bool = False) -> httpx.URL:
    """Check a vendor base URL and return it as an httpx.URL whose path ends with "/".

    https is required, unless the host is loopback (127.0.0.0/8, ::1, localhost) or `allow_insecure_http`
    is set. TLS certificates are always verified; nothing here can turn that off.
    """
    shown = redact_url(url)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise ConfigError(
            f"base URL {shown!r} is not a valid URL (give one such as https://api-106.dxi.eu/)"
        ) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(
            f"base URL {shown!r} must be an absolute http(s) URL (such as https://api-106.dxi.eu/)"
        )
    if parsed.userinfo:
        raise ConfigError(
            f"base URL {shown!r} must not hold credentials (put them in the environment variables named "
            "by the target)"
        )
    if parsed.query or parsed.fragment:
        raise ConfigError(
            f"base URL {shown!r} must not have a query or fragment (remove everything after ? or #)"
        )
    if parsed.scheme == "http" and not allow_insecure_http and not _is_loopback(parsed.host):
        raise ConfigError(
            f"base URL {shown!r} uses plain http to a host that is not loopback; use https, "
            "or set allowInsecureHttp: true on the target if the network is trusted"
        )
    path = parsed.path if parsed.path.endswith("/") else parsed.path + "/"
    return parsed.copy_with(path=path)


# ---------------------------------------------------------------------------------------- retry & rate


def _default_random() -> float:
    value: float = _random.random()
    return value


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. `sleep`, `random` and `now` (wall clock) are injectable for tests."""

    max_attempts: int = 5
    """Attempts in all, the first included."""
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 300.0
    """A Retry-After longer than this (seconds) raises RateLimitError at once, so the run can end cleanly."""
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    random: Callable[[], float] = field(default=_default_random, repr=False, compare=False)
    now: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, retry_number: int) -> float:
        """Full-jitter delay before retry number `retry_number` (1 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * (2.0 ** min(max(0, retry_number - 1), 60)))
        return self.random() * ceiling


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date. None if absent or invalid."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # HTTP-dates are GMT
        return None
    return max(0.0, moment.timestamp() - now())


class RateBudget:
    """A thread-safe request budget: at most `requests_per_second`, evenly spaced; clients may share one."""

    def __init__(
        self,
        requests_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_second <= 0:
            raise ValueError("requests_per_second must be positive")
        self.requests_per_second = requests_per_second
        self._interval = 1.0 / requests_per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = float("-inf")

    def acquire(self) -> None:
        """Block until the next request may be sent."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)

    def __repr__(self) -> str:
        return f"RateBudget(requests_per_second={self.requests_per_second})"


# ------------------------------------------------------------------------------------------- body reader


class BodyReader:
    """A file-like view of a streamed response body, for ijson, that keeps the first `head_limit` bytes.

    A read that parsed no item can look at `head` (the whole body when `complete`) to find an error envelope
    or an unusual shape, without the body ever being held in memory when it is large.
    """

    def __init__(self, chunks: Iterator[bytes], *, head_limit: int = 65536) -> None:
        self._chunks = chunks
        self._pending = b""
        self._head = bytearray()
        self._head_limit = head_limit
        self._overflow = False
        self._eof = False

    def read(self, size: int = -1) -> bytes:
        if self._pending:
            data, self._pending = self._pending, b""
        else:
            data = b""
            while not data and not self._eof:
                try:
                    data = next(self._chunks)
                except StopIteration:
                    self._eof = True
        if size >= 0 and len(data) > size:
            data, self._pending = data[:size], data[size:]
        if data and not self._overflow:
            room = self._head_limit - len(self._head)
            if len(data) > room:
                self._overflow = True
            self._head += data[: max(room, 0)]
        return data

    def drain(self) -> None:
        """Read to the end of the body (keeping only the head)."""
        while self.read(65536):
            pass

    @property
    def head(self) -> bytes:
        return bytes(self._head)

    @property
    def complete(self) -> bool:
        """True when the body was read to its end and `head` holds all of it."""
        return self._eof and not self._pending and not self._overflow


# ----------------------------------------------------------------------------------------------- session

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
"""Failures that prove the request never reached the server."""
_MAYBE_SENT = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)
"""Failures after the request may have been received (and acted on) by the server."""


_GIVE_UP = "the service may be unavailable: run again later (work done so far is kept)"
"""The remedy of an error raised once retries are exhausted."""


def _certificate_refused(exc: BaseException) -> str | None:
    """The message for a TLS certificate that failed verification, or None for any other failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            detail = redact(str(current.verify_message or current.reason or "certificate verify failed"))
            return (
                f"the server's TLS certificate was not accepted ({detail}); check the base URL, or, if the "
                "service uses a private certificate authority, point SSL_CERT_FILE at that CA's bundle"
            )
        current = current.__cause__ or current.__context__
    return None


def _describe(exc: BaseException) -> str:
    text = redact(str(exc)).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


class HttpSession:
    """One thread-safe httpx.Client plus the retry policy, rate budget and error wrapping.

    It knows nothing of either vendor's payloads: callers get back responses whose status is not retryable
    and map them themselves.
    """

    def __init__(
        self,
        base_url: str,
        *,
        service: str,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        rate: RateBudget | None = None,
        allow_insecure_http: bool = False,
        auth: httpx.Auth | None = None,
    ) -> None:
        install_log_redaction()
        self.base_url = check_base_url(base_url, allow_insecure_http)
        self.service = service
        self.retry = retry if retry is not None else RetryPolicy()
        self.rate = rate
        self._not_before = 0.0
        self._not_before_lock = threading.Lock()
        self._client = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
            verify=True,
            follow_redirects=False,
            auth=auth,
            headers={"User-Agent": "reconciler", "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"HttpSession(service={self.service!r}, base_url={redact_url(self.base_url)!r})"

    def close(self) -> None:
        self._client.close()

    def url_for(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """The redacted absolute URL of `path` (for messages)."""
        url = self._client.base_url.join(path)
        if params:
            url = url.copy_merge_params(dict(params))
        return redact_url(url)

    # ---- the two entry points

    def request(
        self,
        method: str,
        path: str,
        *,
        action: str,
        idempotent: bool,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one logical request with retries; the returned response's body is read and it is closed."""
        with self._send(
            method,
            path,
            action=action,
            idempotent=idempotent,
            params=params,
            data=data,
            content=content,
            headers=headers,
            read_body=True,
        ) as response:
            return response

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        action: str,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Iterator[httpx.Response]:
        """Open a streamed read (idempotent) with retries up to the response head; the body is the caller's.

        Failures while the caller reads the body are not retried here (see `body_error`).
        """
        with self._send(
            method,
            path,
            action=action,
            idempotent=True,
            params=params,
            data=data,
            content=None,
            headers=None,
            read_body=False,
        ) as response:
            yield response

    def body_error(self, exc: Exception, *, action: str, url: str) -> ApiError:
        """The error to raise when a streamed body fails part way: the transfer broke (an httpx error, which
        reading again may cure), or what arrived is not JSON."""
        if isinstance(exc, httpx.HTTPError):
            return TransientApiError(
                f"{self.service} {action}: response body interrupted ({_describe(exc)})", url=url
            )
        return ApiError(f"{self.service} {action}: the response body is not valid JSON", url=url)

    # ---- internals

    def _wait_turn(self, delay: float) -> None:
        with self._not_before_lock:
            held = self._not_before - time.monotonic()
        delay = max(delay, held)
        if delay > 0:
            self.retry.sleep(delay)
        if self.rate is not None:
            self.rate.acquire()

    def _hold_all(self, seconds: float) -> None:
        with self._not_before_lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)

    @contextmanager
    def _send(
        self,
        method: str,
        path: str,
        *,
        action: str,
        idempotent: bool,
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        read_body: bool,
    ) -> Iterator[httpx.Response]:
        policy = self.retry
        url = self.url_for(path, params)
        label = f"{self.service} {action}"
        delay = 0.0
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= policy.max_attempts
            self._wait_turn(delay)
            request = self._client.build_request(
                method, path, params=params, data=data, content=content, headers=headers
            )
            try:
                response = self._client.send(request, stream=True)
            except (*_NOT_SENT, *_MAYBE_SENT) as exc:
                failure = _describe(exc)
                if isinstance(exc, _NOT_SENT):
                    refused = _certificate_refused(exc)
                    if refused is not None:  # retrying cannot help: say so at once
                        raise ApiError(f"{label}: {refused}", url=url) from None
                elif not idempotent:
                    raise AmbiguousWriteError(
                        f"{label}: the request may have been stored ({failure}); re-read before trying again",
                        url=url,
                    ) from None
                if last:
                    raise TransientApiError(
                        f"{label} failed after {attempt} attempts ({failure}); {_GIVE_UP}", url=url
                    ) from None
                logger.warning(
                    "%s: %s; retrying (attempt %d of %d)", label, failure, attempt, policy.max_attempts
                )
                delay = policy.backoff(attempt)
                continue
            except httpx.HTTPError as exc:  # protocol misuse, bad URL, unsupported scheme: not transient
                raise ApiError(f"{label} failed ({_describe(exc)})", url=url) from None

            status = response.status_code
            retryable = status == 429 or status >= 500
            if not retryable:
                if read_body:
                    try:
                        response.read()
                    except _MAYBE_SENT as exc:
                        response.close()
                        failure = _describe(exc)
                        if not idempotent:
                            raise AmbiguousWriteError(
                                f"{label}: the response was lost ({failure}); re-read before trying again",
                                status=status,
                                url=url,
                            ) from None
                        if last:
                            raise TransientApiError(
                                f"{label} failed after {attempt} attempts ({failure}); {_GIVE_UP}",
                                status=status,
                                url=url,
                            ) from None
                        delay = policy.backoff(attempt)
                        continue
                    except httpx.HTTPError as exc:  # e.g. a body that cannot be decoded
                        raise ApiError(f"{label} failed ({_describe(exc)})", status=status, url=url) from None
                    finally:
                        response.close()
                try:
                    yield response
                finally:
                    response.close()
                return

            response.close()
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now=policy.now)
            if status >= 500 and not idempotent:
                raise AmbiguousWriteError(
                    f"{label}: the server failed after receiving the request; it may have been stored; "
                    "re-read before trying again",
                    status=status,
                    url=url,
                )
            if retry_after is not None and retry_after > policy.max_retry_after:
                raise RateLimitError(
                    f"{label}: the server asks to wait {retry_after:.0f} s, more than the "
                    f"{policy.max_retry_after:.0f} s allowed; run again later (work done so far is kept)",
                    retry_after=retry_after,
                    status=status,
                    url=url,
                )
            if last:
                raise TransientApiError(
                    f"{label} failed after {attempt} attempts; {_GIVE_UP}", status=status, url=url
                )
            delay = policy.backoff(attempt)
            if retry_after is not None:
                self._hold_all(retry_after)
                delay = max(delay, retry_after)
            logger.warning(
                "%s: HTTP %d; retrying in %.2f s (attempt %d of %d)",
                label,
                status,
                delay,
                attempt,
                policy.max_attempts,
            )


class SessionClient:
    """What the API clients share: one HttpSession, a redacted base URL, and closing as a context manager."""

    _session: HttpSession

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @property
    def base_url(self) -> str:
        """The redacted base URL."""
        return self._session.url_for("")

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
