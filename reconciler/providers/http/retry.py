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

Retries exhausted raise `TransientApiError`. A TLS certificate that fails verification (a ConnectError caused by
`ssl.SSLCertVerificationError`) is never retried: it raises ApiError at once, naming SSL_CERT_FILE.
Delays use full jitter (`random() * min(max_delay, base * 2**n)`) and are never shorter than a Retry-After
the server sent. A Retry-After also holds back every other request of the same session (threads share a
"not before" time; see session.py).
"""

from __future__ import annotations

import email.utils
import random as _random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from reconciler.redact import redact

__all__ = [
    "MAYBE_SENT",
    "NOT_SENT",
    "RetryPolicy",
    "certificate_refused",
    "parse_retry_after",
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


def certificate_refused(exc: BaseException) -> str | None:
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
