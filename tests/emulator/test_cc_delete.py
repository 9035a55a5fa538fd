"""CC remove (DELETE /api/tstats/campaigns/{id}/customers/{cid}) over real HTTP (API-CONTRACT.md B4)."""

from __future__ import annotations

import pytest

from .conftest import Emulator
from .test_cc_helpers import add, add_campaign, delete, member_ids, set_member_status


def test_delete_answers_204_and_the_member_is_gone(emulator: Emulator) -> None:
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}, {"customer-id": 10000002}])
    response = delete(emulator.client, emulator.base_url, 125, 10000001)
    assert (response.status_code, response.content) == (204, b"")
    assert member_ids(emulator.client, emulator.base_url, 125) == [10000002]
    again = delete(emulator.client, emulator.base_url, 125, 10000001)
    assert (again.status_code, again.json()) == (404, {"message": "The customer has not been located."})
    entry = emulator.state.log.entries(op="cc.delete")[0]
    assert (entry.status, entry.rows, entry.result, entry.committed) == (204, 1, "204", True)


@pytest.mark.parametrize(("status", "deletable"), [(0, True), (1, True), (2, False), (3, False), (4, True)])
def test_only_new_queued_or_scheduled_members_can_be_deleted(
    emulator: Emulator, status: int, deletable: bool
) -> None:
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}])
    set_member_status(emulator.state, 125, 10000001, status)
    response = delete(emulator.client, emulator.base_url, 125, 10000001)
    if deletable:
        assert response.status_code == 204
        assert member_ids(emulator.client, emulator.base_url, 125) == []
    else:
        assert (response.status_code, response.json()) == (
            400,
            {"message": "The customer is not available for deletion."},
        )
        assert member_ids(emulator.client, emulator.base_url, 125) == [10000001]


@pytest.mark.parametrize("customer", [10009999, 99999999, "abc", "-1"])
def test_member_not_in_campaign_is_404(emulator: Emulator, customer: int | str) -> None:
    response = delete(emulator.client, emulator.base_url, 125, customer)
    assert (response.status_code, response.json()) == (404, {"message": "The customer has not been located."})


def test_a_newline_in_a_path_segment_is_answered_by_the_api(emulator: Emulator) -> None:
    """A %0A in a segment used to miss every route (starlette's Mount stops at a newline): a text/plain 404."""
    response = delete(emulator.client, emulator.base_url, 125, "1%0A2")
    assert (response.status_code, response.json()) == (404, {"message": "The customer has not been located."})
    response = delete(emulator.client, emulator.base_url, "125%0A", 10000001)
    assert (response.status_code, response.json()) == (404, {"message": "Campaign not found."})


@pytest.mark.parametrize(
    ("campaign", "status", "message"),
    [
        (126, 400, "The campaign has stopped. No customers can be deleted."),
        (127, 400, "This is not a dynamic campaign."),
        (128, 400, "This campaign is not enabled."),
        (129, 400, "The operation is invalid for a campaign that has not started."),
        (999, 404, "Campaign not found."),
    ],
)
def test_campaign_state_errors(emulator: Emulator, campaign: int, status: int, message: str) -> None:
    response = delete(emulator.client, emulator.base_url, campaign, 10000001)
    assert (response.status_code, response.json()) == (status, {"message": message})


def test_campaign_state_is_checked_before_the_member(emulator: Emulator) -> None:
    """A member of a campaign that stopped afterwards cannot be deleted, and the answer names the campaign."""
    add_campaign(emulator.state, 220)
    add(emulator.client, emulator.base_url, 220, [{"customer-id": 10000001}])
    emulator.state.view.set_campaign(220, status=6)
    response = delete(emulator.client, emulator.base_url, 220, 10000001)
    assert (response.status_code, response.json()) == (
        400,
        {"message": "The campaign has stopped. No customers can be deleted."},
    )


def test_delete_then_add_is_a_new_schedule(emulator: Emulator) -> None:
    """There is no update: a new schedule is a delete then an add (B4)."""
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}])
    assert delete(emulator.client, emulator.base_url, 125, 10000001).status_code == 204
    again = add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}])
    assert again.json() == [{"customer-id": 10000001, "http-status": 200}]


def test_delete_needs_credentials(emulator: Emulator) -> None:
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}])
    response = emulator.client.delete(
        f"{emulator.base_url}/cc/api/tstats/campaigns/125/customers/10000001", auth=("demo", "nope")
    )
    assert (response.status_code, response.json()) == (401, {"message": "Unauthorized"})
    assert member_ids(emulator.client, emulator.base_url, 125) == [10000001]
