"""The request budget: evenly spaced requests, on its own and inside a session."""

from __future__ import annotations

import httpx
import pytest

from reconciler.providers.http.rate import RateBudget
from reconciler.providers.http.session import HttpSession

from ..provider_fakes import Sleeps, policy

OK = httpx.Response(200, json={"ok": True})


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
