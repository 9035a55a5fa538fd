"""Helpers shared by the Contact Center emulator tests; it holds no tests itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from reconciler.emulator.state import EmulatorState

AUTH = ("demo", "demo-token")


def epoch(text: str) -> float:
    """Seconds since the epoch of an ISO 8601 time with an offset."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def customers_url(base_url: str, campaign: int | str) -> str:
    return f"{base_url}/cc/api/tstats/campaigns/{campaign}/customers"


def add(
    client: httpx.Client, base_url: str, campaign: int | str, items: Any, **kwargs: Any
) -> httpx.Response:
    kwargs.setdefault("auth", AUTH)
    return client.post(customers_url(base_url, campaign), json=items, **kwargs)


def credentials(auth: tuple[str, str] | str | None) -> dict[str, Any]:
    """httpx arguments for a credentials case: a (tenant, token) pair, a raw Authorization header, or none."""
    if isinstance(auth, tuple):
        return {"auth": auth}
    if isinstance(auth, str):
        return {"headers": {"Authorization": auth}}
    return {}


def send_json_text(client: httpx.Client, method: str, url: str, content: bytes) -> httpx.Response:
    """Send `content` as it is, labelled JSON, with the demo credentials (for bodies json= cannot make)."""
    return client.request(
        method, url, content=content, auth=AUTH, headers={"content-type": "application/json"}
    )


def delete(client: httpx.Client, base_url: str, campaign: int | str, customer: int | str) -> httpx.Response:
    return client.delete(f"{customers_url(base_url, campaign)}/{customer}", auth=AUTH)


def records(client: httpx.Client, base_url: str, campaign: int | str) -> httpx.Response:
    return client.get(f"{base_url}/cc/api/stats/campaigns/{campaign}/records.json", auth=AUTH)


def member_ids(client: httpx.Client, base_url: str, campaign: int | str) -> list[int]:
    response = records(client, base_url, campaign)
    assert response.status_code == 200, response.text
    return [int(r["record-id"]) for r in response.json()["records"]["record"]]


def add_crm(state: EmulatorState, *customers: tuple[int, str]) -> None:
    state.view.add_customers(customers)


def add_campaign(
    state: EmulatorState,
    campaign: int,
    *,
    name: str = "Windowed",
    status: int = 4,
    start: str | None = None,
    end: str | None = None,
) -> None:
    state.view.add_campaign(campaign, name, status=status, start=start, end=end)


def set_member_status(state: EmulatorState, campaign: int, customer: int, status: int) -> None:
    state.view.set_member(campaign, customer, status=status)
