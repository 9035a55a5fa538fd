"""When a failed request is sent again, and how long to wait first.

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

Retries exhausted raise `TransientApiError`. Three connect failures are never retried, because sending again
cannot cure them; each raises ApiError at once with its remedy (`refused_at_once`):

- a host name that does not resolve (a ConnectError caused by `socket.gaierror`): names the host, and points at
  the target's baseUrl or region, DNS and proxies (httpx honours HTTPS_PROXY);
- a TLS certificate that does not name the host (`ssl.SSLCertVerificationError`, hostname or IP address
  mismatch): names the host, with the same remedy;
- any other TLS certificate that fails verification: names SSL_CERT_FILE, for a private certificate authority.
Delays use full jitter (`random() * min(max_delay, base * 2**n)`) and are never shorter than a Retry-After
the server sent. A Retry-After also holds back every other request of the same session (threads share a
"not before" time; see session.py).
"""

from __future__ import annotations

import email.utils
import random as _random
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx

from reconciler.redact import redact

__all__ = [
    "MAYBE_SENT",
    "NOT_SENT",
    "RetryPolicy",
    "parse_retry_after",
    "refused_at_once",
    "retryable_status",
]

NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
"""Failures that prove the request never reached the server."""
MAYBE_SENT = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)
"""Failures after the request may have been received (and acted on) by the server."""


def retryable_status(status: int) -> bool:
    """429 (rejected before processing) and 5xx are worth another attempt; any other status is the caller's."""
    return status == 429 or status >= 500


_NAME_MISMATCH = frozenset({62, 64})
"""OpenSSL's verify codes for a certificate that does not name the host: X509_V_ERR_HOSTNAME_MISMATCH and
X509_V_ERR_IP_ADDRESS_MISMATCH."""

_CHECK_TARGET = (
    "check the target's baseUrl (or its region), this machine's DNS, and any proxy in the way "
    "(HTTPS_PROXY is honoured)"
)
"""The remedy when the client reached no server, or the wrong one."""


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what caused it, outermost first (httpx wraps httpcore, which wraps the socket or TLS error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def refused_at_once(exc: BaseException, host: str) -> str | None:
    """The message for a connect failure that sending again cannot cure (a name that does not resolve, a TLS
    certificate that is not accepted), or None for any other failure. `host` is the host the request named."""
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            detail = redact(cause.strerror or str(cause) or "no address")
            return f"the host name {host} does not resolve ({detail}); {_CHECK_TARGET}"
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = getattr(cause, "reason", None)
            detail = redact(str(cause.verify_message or reason or "certificate verify failed"))
            if cause.verify_code in _NAME_MISMATCH:
                return (
                    f"the server's TLS certificate was not accepted ({detail}): it does not name the host "
                    f"{host}; {_CHECK_TARGET}"
                )
            return (
                f"the server's TLS certificate was not accepted ({detail}); check the base URL, or, if the "
                "service uses a private certificate authority, point SSL_CERT_FILE at that CA's bundle"
            )
    return None


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
