"""CC campaign status change (PATCH or POST /api/tstats/campaigns/{id}) over real HTTP: API-CONTRACT-2.md A.

The vendor's graph, written out here by group so the test does not read it from the code under test:
New (0, 2) -> Running; Running (1, 3, 4) <-> Paused (8, 9); Paused -> Purged (10, 11) -> Running;
Running, Paused or Purged -> Stopped (5, 6, 7), which is final.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from .conftest import Emulator
from .test_cc_helpers import (
    AUTH,
    add,
    add_campaign,
    credentials,
    member_ids,
    records,
    send_json_text,
    set_member_status,
)

GROUPS = {"new": (0, 2), "running": (1, 3, 4), "paused": (8, 9), "purged": (10, 11), "stopped": (5, 6, 7)}
ALLOWED = {
    ("new", "RUNNING"): 3,
    ("running", "PAUSED"): 8,
    ("running", "STOPPED"): 5,
    ("paused", "RUNNING"): 3,
    ("paused", "PURGED"): 10,
    ("paused", "STOPPED"): 5,
    ("purged", "RUNNING"): 3,
    ("purged", "STOPPED"): 5,
}
MOVES = [
    (group, status, target)
    for group, statuses in GROUPS.items()
    for status in statuses
    for target in ("RUNNING", "PAUSED", "PURGED", "STOPPED")
]
CHANGED = {"message": "Campaign status changed."}
INVALID = {"message": "Invalid state transition"}


def status_url(base_url: str, campaign: int | str) -> str:
    return f"{base_url}/cc/api/tstats/campaigns/{campaign}"


def change(
    client: httpx.Client, base_url: str, campaign: int | str, body: Any, *, method: str = "PATCH"
) -> httpx.Response:
    return client.request(method, status_url(base_url, campaign), json=body, auth=AUTH)


def campaign_status(client: httpx.Client, base_url: str, campaign: int) -> int:
    response = client.get(f"{base_url}/cc/api/stats/campaigns/{campaign}.json", auth=AUTH)
    assert response.status_code == 200, response.text
    return int(response.json()["campaign"]["status"])


@pytest.mark.parametrize(("group", "status", "target"), MOVES)
def test_every_move_of_the_vendor_graph(emulator: Emulator, group: str, status: int, target: str) -> None:
    add_campaign(emulator.state, 300, status=status)
    response = change(emulator.client, emulator.base_url, 300, {"status": target})
    new_status = ALLOWED.get((group, target))
    if new_status is None:
        assert (response.status_code, response.json()) == (400, INVALID)
        assert campaign_status(emulator.client, emulator.base_url, 300) == status
    else:
        assert (response.status_code, response.json()) == (200, CHANGED)
        assert response.headers["content-type"] == "application/json"
        assert campaign_status(emulator.client, emulator.base_url, 300) == new_status


@pytest.mark.parametrize("method", ["PATCH", "POST"])
def test_both_methods_walk_a_campaign_through_its_life(emulator: Emulator, method: str) -> None:
    """The OpenAPI says PATCH, the page's curl POST: both are served the same way."""
    steps = [("RUNNING", 3), ("PAUSED", 8), ("PURGED", 10), ("RUNNING", 3), ("STOPPED", 5)]
    for target, expected in steps:
        response = change(emulator.client, emulator.base_url, 129, {"status": target}, method=method)
        assert (response.status_code, response.json()) == (200, CHANGED), target
        assert campaign_status(emulator.client, emulator.base_url, 129) == expected
    for target in ("RUNNING", "PAUSED", "PURGED", "STOPPED"):
        again = change(emulator.client, emulator.base_url, 129, {"status": target}, method=method)
        assert (again.status_code, again.json()) == (400, INVALID)


@pytest.mark.parametrize(
    ("campaign", "status", "body"),
    [
        (127, 400, {"message": "Not a dynamic campaign"}),
        (128, 400, {"message": "The campaign is not enabled."}),
    ],
)
def test_campaign_errors_come_before_the_transition(
    emulator: Emulator, campaign: int, status: int, body: dict[str, str]
) -> None:
    response = change(emulator.client, emulator.base_url, campaign, {"status": "PAUSED"})
    assert (response.status_code, response.json()) == (status, body)
    not_json = emulator.client.patch(status_url(emulator.base_url, campaign), content=b"{", auth=AUTH)
    assert (not_json.status_code, not_json.json()) == (status, body)


def test_not_dynamic_wins_over_not_enabled(emulator: Emulator) -> None:
    emulator.state.store.execute("UPDATE cc_campaigns SET enabled = 'N' WHERE id = 127")
    response = change(emulator.client, emulator.base_url, 127, {"status": "PAUSED"})
    assert (response.status_code, response.json()) == (400, {"message": "Not a dynamic campaign"})


@pytest.mark.parametrize("campaign", [999, "abc", 0])
def test_an_unknown_campaign_is_404_without_a_body(emulator: Emulator, campaign: int | str) -> None:
    response = change(emulator.client, emulator.base_url, campaign, {"status": "PAUSED"})
    assert (response.status_code, response.content) == (404, b"")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"{}",
        b"null",
        b'"RUNNING"',
        b'["RUNNING"]',
        b'{"status": "running"}',
        b'{"status": "NEW"}',
        b'{"status": "COMPLETED"}',
        b'{"status": null}',
        b'{"status": 3}',
        b'{"status": NaN}',
        b'{"status": ' * 5000 + b'"RUNNING"' + b"}" * 5000,
    ],
)
def test_a_body_that_names_no_status_is_an_invalid_transition(emulator: Emulator, content: bytes) -> None:
    response = send_json_text(emulator.client, "PATCH", status_url(emulator.base_url, 125), content)
    assert (response.status_code, response.json()) == (400, INVALID)
    assert campaign_status(emulator.client, emulator.base_url, 125) == 3


def test_extra_fields_are_ignored(emulator: Emulator) -> None:
    response = change(emulator.client, emulator.base_url, 125, {"status": "PAUSED", "reason": "lunch"})
    assert (response.status_code, response.json()) == (200, CHANGED)


@pytest.mark.parametrize(
    "auth",
    [None, ("demo", "wrong-token"), ("nobody", "demo-token"), "Bearer demo-token"],
)
def test_wrong_credentials_answer_401(emulator: Emulator, auth: Any) -> None:
    response = emulator.client.patch(
        status_url(emulator.base_url, 125), json={"status": "PAUSED"}, **credentials(auth)
    )
    assert (response.status_code, response.json()) == (401, {"message": "Unauthorized"})
    assert response.headers["www-authenticate"] == 'Basic realm="8x8"'
    assert campaign_status(emulator.client, emulator.base_url, 125) == 3


def test_the_tenant_token_is_the_action_token(emulator: Emulator) -> None:
    """One token per tenant serves every verb (API-CONTRACT.md B1), the status change included."""
    emulator.state.store.execute("INSERT INTO cc_tenants(name, token) VALUES ('other', 'other-token')")
    header = "Basic " + base64.b64encode(b"other:other-token").decode()
    response = emulator.client.post(
        status_url(emulator.base_url, 125), json={"status": "PAUSED"}, headers={"Authorization": header}
    )
    assert (response.status_code, response.json()) == (200, CHANGED)


def test_purge_flushes_queued_members_back_to_new(emulator: Emulator) -> None:
    items = [{"customer-id": 10000000 + i} for i in range(1, 6)]
    assert add(emulator.client, emulator.base_url, 125, items).status_code == 207
    for customer, status in ((10000002, 1), (10000003, 2), (10000004, 3), (10000005, 4)):
        set_member_status(emulator.state, 125, customer, status)
    assert change(emulator.client, emulator.base_url, 125, {"status": "PAUSED"}).status_code == 200
    statuses = [(r["record-id"], r["status"]) for r in _records(emulator)]
    assert statuses == [(10000001, 0), (10000002, 1), (10000003, 2), (10000004, 3), (10000005, 4)]
    assert change(emulator.client, emulator.base_url, 125, {"status": "PURGED"}).status_code == 200
    statuses = [(r["record-id"], r["status"]) for r in _records(emulator)]
    assert statuses == [(10000001, 0), (10000002, 0), (10000003, 2), (10000004, 3), (10000005, 4)]


def _records(emulator: Emulator) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = records(emulator.client, emulator.base_url, 125).json()["records"]["record"]
    return rows


def test_membership_follows_the_status(emulator: Emulator) -> None:
    """Adds work while Paused or Purged (API-CONTRACT-2.md A), and stop once the campaign is Stopped."""
    client, base = emulator.client, emulator.base_url
    for target, customer in (("PAUSED", 10000001), ("PURGED", 10000002)):
        assert change(client, base, 125, {"status": target}).status_code == 200
        assert add(client, base, 125, [{"customer-id": customer}]).json() == [
            {"customer-id": customer, "http-status": 200}
        ]
    assert change(client, base, 125, {"status": "STOPPED"}).status_code == 200
    stopped = add(client, base, 125, [{"customer-id": 10000003}])
    assert (stopped.status_code, stopped.json()) == (
        400,
        {"message": "The campaign has stopped. No additional customers can be added."},
    )
    assert member_ids(client, base, 125) == [10000001, 10000002]


def test_the_request_log_describes_a_status_change(emulator: Emulator) -> None:
    change(emulator.client, emulator.base_url, 125, {"status": "PAUSED"})
    change(emulator.client, emulator.base_url, 125, {"status": "PAUSED"}, method="POST")
    change(emulator.client, emulator.base_url, 999, {"status": "PAUSED"})
    assert [
        (e.method, e.path, e.op, e.rows, e.status, e.result, e.fault, e.committed)
        for e in emulator.state.log.entries()
    ] == [
        ("PATCH", "/cc/api/tstats/campaigns/125", "cc.status", None, 200, "200 3->8", None, True),
        (
            "POST",
            "/cc/api/tstats/campaigns/125",
            "cc.status",
            None,
            400,
            "error=Invalid state transition",
            None,
            False,
        ),
        ("PATCH", "/cc/api/tstats/campaigns/999", "cc.status", None, 404, "error=404", None, False),
    ]


def test_faults_reach_the_status_change_by_its_op(emulator: Emulator) -> None:
    emulator.state.faults.add_spec("error:status=503:match=cc.status")
    response = change(emulator.client, emulator.base_url, 125, {"status": "PAUSED"})
    assert response.status_code == 503
    assert campaign_status(emulator.client, emulator.base_url, 125) == 3
