"""The retry policy on its own: Retry-After parsing, full-jitter backoff and its bounds."""

from __future__ import annotations

import email.utils

import pytest

from reconciler.providers.http.retry import RetryPolicy, parse_retry_after


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
