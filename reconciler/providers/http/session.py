"""The HTTP session both vendor clients share: one thread-safe httpx.Client, and the send loop that applies the
retry policy (retry.py), the rate budget (rate.py) and the base URL rule (urls.py) to every request.

It knows nothing of either vendor's payloads: callers get back responses whose status is not retryable and map
them themselves. A streamed read (`read_stream`) is retried past the response head too: a body that breaks
part way is opened again, and the caller's parser says what to skip. Exceptions raised here carry redacted
URLs only and never chain the httpx exception (whose text could hold a raw URL). Every session installs the
log redaction of reconciler.redact before its first request, because httpx logs each URL it sends.
"""

from __future__ import annotations

import functools
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Self, TypeVar

import httpx

from reconciler.errors import AmbiguousWriteError, ApiError, RateLimitError, TransientApiError
from reconciler.redact import install_log_redaction, redact, redact_url

from .body import BrokenBody
from .rate import RateBudget
from .retry import MAYBE_SENT, NOT_SENT, RetryPolicy, parse_retry_after, refused_at_once, retryable_status
from .urls import check_base_url

__all__ = ["MAX_CONNECTIONS", "HttpSession", "SessionClient"]

logger = logging.getLogger(__name__)

_Item = TypeVar("_Item")

MAX_CONNECTIONS = 8
"""Connections one client keeps; apply calls a client from a few threads."""

_GIVE_UP = "the service may be unavailable: run again later (work done so far is kept)"
"""The remedy of an error raised once retries are exhausted."""


def _tls_context(scheme: str) -> ssl.SSLContext:
    """The TLS settings of a session on a base URL of `scheme`. An https session verifies certificates as httpx
    does by default (SSL_CERT_FILE or SSL_CERT_DIR when set, else certifi's bundle), with a context shared by
    the process's sessions: loading the bundle took 50-80 ms a session. A plain-http session (only a loopback
    or explicitly allowed host, urls.check_base_url) never opens TLS: it gets a context that trusts no
    certificate, so that a handshake, were there one, would fail."""
    if scheme == "https":
        return _verifying_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


@functools.cache
def _verifying_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """httpx's verifying context for these SSL_CERT_FILE and SSL_CERT_DIR values (it reads them itself)."""
    return httpx.create_ssl_context()


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
            verify=_tls_context(self.base_url.scheme),
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

    # ---- the entry points

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
        auth: httpx.Auth | None = None,
    ) -> httpx.Response:
        """Send one logical request with retries; the returned response's body is read and it is closed.
        `auth` replaces the session's own for this request (None: the session's)."""
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
            auth=auth,
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

        Failures while the caller reads the body are not retried here (`read_stream` retries them).
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

    def read_stream(
        self,
        method: str,
        path: str,
        *,
        action: str,
        url: str,
        parse: Callable[[httpx.Response], Iterator[_Item]],
        resumable: bool,
        data: Mapping[str, str] | None = None,
    ) -> Iterator[_Item]:
        """Yield what `parse` makes of a streamed read, and read it again when its body breaks part way.

        `parse` gets the open response whatever its status, and raises for one it refuses. A body that breaks
        (an httpx error while it streams, or BrokenBody) is opened again after the policy's backoff, up to its
        attempts. Once an item was yielded, that is only right when the read is `resumable`: `parse` then skips
        what an earlier attempt already yielded. Otherwise the error is raised at once and the caller reads
        again. `url` (redacted) names the read in errors.
        """
        policy = self.retry
        failures = 0
        while True:
            yielded = False
            try:
                with self.stream(method, path, action=action, data=data) as response:
                    for item in parse(response):
                        yielded = True
                        yield item
                    return
            except (httpx.HTTPError, BrokenBody) as exc:
                error = self._body_error(exc, action=action, url=url)
                failures += 1
                if (yielded and not resumable) or failures >= policy.max_attempts:
                    raise error from None
                logger.warning("%s; reading again (attempt %d)", error, failures + 1)
                policy.sleep(policy.backoff(failures))

    # ---- internals

    def _body_error(self, exc: Exception, *, action: str, url: str) -> ApiError:
        """The error to raise when a streamed body fails part way: the transfer broke (an httpx error, which
        reading again may cure), or what arrived is not JSON."""
        if isinstance(exc, httpx.HTTPError):
            return TransientApiError(
                f"{self.service} {action}: response body interrupted ({_describe(exc)})", url=url
            )
        return ApiError(f"{self.service} {action}: the response body is not valid JSON", url=url)

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
        auth: httpx.Auth | None = None,
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
                response = self._client.send(
                    request, stream=True, auth=httpx.USE_CLIENT_DEFAULT if auth is None else auth
                )
            except (*NOT_SENT, *MAYBE_SENT) as exc:
                failure = _describe(exc)
                if isinstance(exc, NOT_SENT):
                    refused = refused_at_once(exc, request.url.host)
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
            if not retryable_status(status):
                if read_body:
                    try:
                        response.read()
                    except MAYBE_SENT as exc:
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
