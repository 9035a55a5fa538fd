"""The admin API under /_emulator/ over real HTTP: log, faults, settings, simulate, health."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from .conftest import DEMO_PASSWORD, Emulator, FakeClock
from .test_cc_helpers import AUTH, add


def _admin(emulator: Emulator, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return emulator.client.request(method, f"{emulator.base_url}/_emulator/{path}", **kwargs)


def test_health(emulator: Emulator) -> None:
    assert _admin(emulator, "GET", "health").json() == {"ok": True}


def test_log_lists_vendor_requests_only_with_since_and_op(emulator: Emulator) -> None:
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}])
    emulator.client.get(f"{emulator.base_url}/cc/api/stats/campaigns/125.json", auth=AUTH)
    _admin(emulator, "GET", "faults")
    body = _admin(emulator, "GET", "log").json()
    assert [(e["seq"], e["op"], e["status"]) for e in body["entries"]] == [
        (1, "cc.add", 207),
        (2, "cc.campaign", 200),
    ]
    assert body["last_seq"] == 2
    assert set(body["entries"][0]) == {
        "seq",
        "time",
        "method",
        "path",
        "op",
        "rows",
        "status",
        "result",
        "fault",
        "committed",
    }
    since = _admin(emulator, "GET", "log", params={"since": 1}).json()["entries"]
    assert [e["op"] for e in since] == ["cc.campaign"]
    only = _admin(emulator, "GET", "log", params={"op": "cc.add"}).json()["entries"]
    assert [e["seq"] for e in only] == [1]
    assert _admin(emulator, "DELETE", "log").status_code == 204
    assert _admin(emulator, "GET", "log").json() == {"entries": [], "last_seq": 2}
    bad = _admin(emulator, "GET", "log", params={"since": "x"})
    assert (bad.status_code, bad.json()) == (400, {"error": "since must be an integer"})


def test_log_never_holds_credentials(emulator: Emulator) -> None:
    token = emulator.token()
    emulator.cn("ecnow.php", "campaign_tables", "read")
    emulator.client.post(
        f"{emulator.contactnow_url}token.php",
        data={"action": "get", "username": "demo", "password": DEMO_PASSWORD},
    )
    emulator.client.get(f"{emulator.contactnow_url}token.php", params={"action": "validate", "token": token})
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}])
    emulator.client.get(f"{emulator.base_url}/cc/api/stats/campaigns/125.json", auth=("demo", "wrong-secret"))
    text = _admin(emulator, "GET", "log").text
    basic = base64.b64encode(b"demo:demo-token").decode()
    for secret in (token, DEMO_PASSWORD, "demo-token", "wrong-secret", basic):
        assert secret not in text
    paths = [e["path"] for e in _admin(emulator, "GET", "log").json()["entries"]]
    assert paths[0] == "/contactnow/token.php?action=get&username=demo&password=***"
    assert paths[1].startswith("/contactnow/ecnow.php?token=***&action=read&method=campaign_tables")


def test_faults_add_list_and_clear(emulator: Emulator) -> None:
    added = _admin(
        emulator,
        "POST",
        "faults",
        json=["error:rate=0.5:status=502:match=cc.add", {"kind": "latency", "ms": 5, "match": ["cc.read"]}],
    )
    assert added.status_code == 200
    assert added.json() == {
        "seed": 0,
        "rules": [
            {
                "kind": "error",
                "rate": 0.5,
                "spec": "error:status=502:rate=0.5:match=cc.add",
                "match": ["cc.add"],
                "status": [502],
                "seen": 0,
                "fired": 0,
            },
            {
                "kind": "latency",
                "rate": 1.0,
                "spec": "latency:ms=5:rate=1:match=cc.read",
                "match": ["cc.read"],
                "ms": 5.0,
                "seen": 0,
                "fired": 0,
            },
        ],
    }
    assert _admin(emulator, "GET", "faults").json() == added.json()
    one = _admin(emulator, "POST", "faults", json={"spec": "reset:rate=0.1"}).json()
    assert [r["kind"] for r in one["rules"]] == ["error", "latency", "reset"]
    replaced = _admin(
        emulator, "POST", "faults", json={"specs": ["reset"], "replace": True, "seed": 4}
    ).json()
    assert replaced == {
        "seed": 4,
        "rules": [{"kind": "reset", "rate": 1.0, "spec": "reset:rate=1", "seen": 0, "fired": 0}],
    }
    assert _admin(emulator, "DELETE", "faults").status_code == 204
    assert _admin(emulator, "GET", "faults").json() == {"seed": 4, "rules": []}


def test_faults_reseed_alone(emulator: Emulator) -> None:
    _admin(emulator, "POST", "faults", json="error:rate=0.5:match=cc.campaign")
    assert _admin(emulator, "POST", "faults", json={"seed": 12}).json()["seed"] == 12
    assert len(emulator.state.faults.rules()) == 1


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("explode", "unknown fault kind 'explode'; expected one of error, latency, rate_limit, reset, "),
        ({"kind": "error", "rate": 2}, "fault error: rate 2 is outside 0..1"),
        (7, "expected a spec string, a fault object, or a list of them"),
        ({"specs": ["reset"], "seed": "x"}, "seed must be an integer"),
    ],
)
def test_bad_fault_bodies_are_400(emulator: Emulator, body: Any, error: str) -> None:
    response = _admin(emulator, "POST", "faults", json=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(error)
    assert emulator.state.faults.rules() == []


@pytest.mark.parametrize("content", [b"{nope", b'{"steps": NaN}', b"[" * 5000 + b"]" * 5000])
def test_invalid_json_body(emulator: Emulator, content: bytes) -> None:
    response = _admin(emulator, "POST", "faults", content=content)
    assert (response.status_code, response.json()) == (400, {"error": "the body is not valid JSON"})


def test_admin_faults_apply_to_the_vendor_api(emulator: Emulator) -> None:
    _admin(emulator, "POST", "faults", json="error:status=503:match=cc.add:count=1")
    assert add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}]).status_code == 503
    assert add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}]).status_code == 207
    assert _admin(emulator, "GET", "faults").json()["rules"][0]["fired"] == 1
    entries = _admin(emulator, "GET", "log").json()["entries"]
    assert [(e["status"], e["fault"]) for e in entries] == [(503, "error:503"), (207, None)]


def test_settings(emulator: Emulator, clock: FakeClock) -> None:
    assert _admin(emulator, "GET", "settings").json() == {
        "token_lifetime": 43200.0,
        "read_lag": 0.0,
        "json_style": "compact",
    }
    changed = _admin(emulator, "POST", "settings", json={"token_lifetime": 5, "read_lag": 1.5})
    assert changed.json() == {"token_lifetime": 5.0, "read_lag": 1.5, "json_style": "compact"}
    assert (emulator.state.settings.token_lifetime, emulator.state.settings.read_lag) == (5.0, 1.5)
    token = emulator.client.get(
        f"{emulator.contactnow_url}token.php",
        params={"action": "get", "username": "demo", "password": DEMO_PASSWORD, "format": "json"},
    ).json()
    assert token["expire"] == int(clock.now + 5)
    partial = _admin(emulator, "POST", "settings", json={"read_lag": 0})
    assert partial.json() == {"token_lifetime": 5.0, "read_lag": 0.0, "json_style": "compact"}
    styled = _admin(emulator, "POST", "settings", json={"json_style": "pretty"})
    assert styled.json() == {"token_lifetime": 5.0, "read_lag": 0.0, "json_style": "pretty"}
    assert emulator.state.settings.json_style == "pretty"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"token_lifetime": -1}, "token_lifetime must be a non-negative number of seconds"),
        ({"read_lag": "2"}, "read_lag must be a number of seconds"),
        ({"read_lag": True}, "read_lag must be a number of seconds"),
        ({"lag": 2}, "unknown setting(s) lag; allowed: json_style, read_lag, token_lifetime"),
        ({"json_style": "tabs"}, "json_style must be one of compact, spaced, pretty, php"),
        ({"json_style": 1}, "json_style must be one of compact, spaced, pretty, php"),
        ([1], "expected a JSON object"),
    ],
)
def test_bad_settings_are_400(emulator: Emulator, body: Any, error: str) -> None:
    response = _admin(emulator, "POST", "settings", json=body)
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert emulator.state.settings.read_lag == 0.0


def test_simulate_over_http(emulator: Emulator) -> None:
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}])
    response = _admin(emulator, "POST", "simulate", json={"steps": 3, "seed": 1})
    assert response.json() == {
        "steps": 3,
        "records_dialled": 0,
        "records_completed": 0,
        "records_needs_more_work": 0,
        "members_queued": 1,
        "members_accepted": 1,
        "members_completed": 1,
        "campaigns_moved": 0,
        "dials_held": 0,
        "members_advanced": 3,
    }
    body = emulator.client.get(
        f"{emulator.base_url}/cc/api/stats/campaigns/125/records.json", auth=AUTH
    ).json()
    assert body["records"]["record"][0]["status"] == 3


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"steps": -1}, "steps must be at least 0"),
        ({"steps": 2_000_000}, "steps must be at most 1000000"),
        ({"steps": 1, "seed": 1.5}, "seed must be an integer"),
        ({"steps": 1, "tick_seconds": -60}, "tick_seconds must be at least 0"),
        ({"steps": 1, "speed": 2}, "unknown field(s) speed; allowed: seed, steps, tick_seconds"),
    ],
)
def test_bad_simulate_bodies_are_400(emulator: Emulator, body: Any, error: str) -> None:
    response = _admin(emulator, "POST", "simulate", json=body)
    assert (response.status_code, response.json()) == (400, {"error": error})


def test_admin_is_never_faulted(emulator: Emulator) -> None:
    emulator.state.faults.add_spec("error:status=500")
    emulator.state.faults.add_spec("reset")
    assert _admin(emulator, "GET", "faults").status_code == 200
    assert _admin(emulator, "GET", "log").json()["entries"] == []
