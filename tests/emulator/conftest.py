"""Shared fixtures for the emulator tests: a real server on loopback, and one in a separate process.

    def test_x(emulator: Emulator) -> None:
        token = emulator.token()
        body = emulator.cn_json("ecnow.php", "ecnow_datasets", "read", token=token)

`emulator` is a fresh in-memory emulator (default seed) served by uvicorn on 127.0.0.1 in a thread; its
`state` is the live EmulatorState, so a test can change settings, the clock or the store (`state.view`) directly.
For the emulator as a child process (restart tests), see harness.process.EmulatorProcess.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.emulator import build_state, create_app
from reconciler.emulator.server import ServerThread
from reconciler.emulator.state import EmulatorState

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"
ACCOUNT_ID = "10278"


@dataclass
class Emulator:
    """A running emulator and a client for it."""

    base_url: str
    state: EmulatorState
    client: httpx.Client
    _token: str | None = field(default=None, repr=False)

    @property
    def contactnow_url(self) -> str:
        return f"{self.base_url}/contactnow/"

    @property
    def cc_url(self) -> str:
        return f"{self.base_url}/cc"

    def token(self, username: str = DEMO_USER, password: str = DEMO_PASSWORD) -> str:
        """A token for the demo user (cached per test)."""
        if self._token is None or (username, password) != (DEMO_USER, DEMO_PASSWORD):
            response = self.client.get(
                f"{self.contactnow_url}token.php",
                params={"action": "get", "username": username, "password": password},
            )
            token = str(response.json()["token"])
            if (username, password) != (DEMO_USER, DEMO_PASSWORD):
                return token
            self._token = token
        return self._token

    def cn(
        self,
        script: str,
        method: str | None,
        action: str,
        *,
        body: Any = None,
        content: bytes | str | None = None,
        token: str | None = None,
        fmt: str | None = "json",
        **params: Any,
    ) -> httpx.Response:
        """Call a ContactNow script; `body` is sent as JSON, `content` as is (POST when either is given)."""
        query: dict[str, Any] = {"token": token if token is not None else self.token(), "action": action}
        if method is not None:
            query["method"] = method
        if fmt is not None:
            query["format"] = fmt
        query["raw"] = 1
        query.update(params)
        url = f"{self.contactnow_url}{script}"
        if body is not None:
            return self.client.post(url, params=query, json=body)
        if content is not None:
            return self.client.post(url, params=query, content=content)
        return self.client.get(url, params=query)

    def cn_json(self, script: str, method: str | None, action: str, **kwargs: Any) -> dict[str, Any]:
        response = self.cn(script, method, action, **kwargs)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def ecnow(self, method: str, action: str, **kwargs: Any) -> dict[str, Any]:
        return self.cn_json("ecnow.php", method, action, **kwargs)

    def database(self, method: str, action: str, **kwargs: Any) -> dict[str, Any]:
        return self.cn_json("database.php", method, action, **kwargs)

    def new_dataset(self, table: str = "Willtest", description: str = "test", **settings: Any) -> int:
        """Create a dataset (then apply `settings` such as d_status=LIVE) and return its id."""
        created = self.ecnow(
            "ecnow_datasets", "create", body=[{"import_table": table, "description": description}]
        )
        assert created["bad"] == 0, created
        dataset = int(created["key"])
        if settings:
            updated = self.ecnow("ecnow_datasets", "update", body=[{"dataset": dataset, **settings}])
            assert updated["bad"] == 0, updated
        return dataset

    def new_records(self, dataset: int, rows: list[dict[str, Any]]) -> list[int]:
        """Create records in `dataset`; returns their ids (consecutive, ending at `key`)."""
        created = self.ecnow("ecnow_records", "create", body=[{"dataset": dataset, **row} for row in rows])
        assert created["bad"] == 0, created
        last = int(created["key"])
        return list(range(last - len(rows) + 1, last + 1))

    def records(self, **filters: Any) -> list[dict[str, str]]:
        data = self.ecnow("ecnow_records", "read", **filters)
        assert data["success"] is True, data
        rows: list[dict[str, str]] = data["list"]
        return rows


class FakeClock:
    """A settable clock to install as `state.clock`."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class _SwappableApp:
    """One loopback server for the session; each test swaps in the app of its own fresh state."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no emulator app installed"
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def _shared_server() -> Iterator[tuple[_SwappableApp, str]]:
    holder = _SwappableApp()
    server = ServerThread(holder)
    base_url = server.start()
    try:
        yield holder, base_url
    finally:
        server.stop()


@pytest.fixture
def emulator(_shared_server: tuple[_SwappableApp, str]) -> Iterator[Emulator]:
    """A fresh in-memory emulator with the default seed, served on loopback (a real HTTP server)."""
    holder, base_url = _shared_server
    state = build_state()
    holder.app = create_app(state)
    try:
        with httpx.Client(timeout=30) as client:
            yield Emulator(base_url, state, client)
    finally:
        holder.app = None
        state.store.close()


@pytest.fixture
def clock(emulator: Emulator) -> FakeClock:
    """Install a fake clock on the `emulator` (tokens, record timestamps, read lag follow it)."""
    fake = FakeClock()
    emulator.state.clock = fake
    return fake
