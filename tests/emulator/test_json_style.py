"""The json_style setting: every JSON answer of both APIs holds the same values in each style, laid out as the
style says (the layouts checked against Python's own encoder, tests/json_layouts.py, not against the emulator's)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from json_layouts import layout

from reconciler.emulator.jsonstyle import STYLES, JsonStyle

from .conftest import Emulator

AUTH = httpx.BasicAuth("demo", "demo-token")

PLAIN = (
    "plain",
    "",
    "a/b//c",
    "é ü 中文 😀 𝄞",
    'quote " and \\ backslash',
    "}, {",
    '{"json": [1]}',
    "  spaced  ",
)
"""Values with everything a style escapes or lays out differently, and no control characters (whose escaping
differs between any two encoders, and which test_record_docs covers)."""


def _records(emulator: Emulator, dataset: int, **params: Any) -> str:
    response = emulator.cn("ecnow.php", "ecnow_records", "read", dataset=dataset, sort="id", **params)
    assert response.status_code == 200
    return response.text


@pytest.mark.parametrize("style", STYLES)
def test_a_records_read_holds_the_same_rows_in_each_style(emulator: Emulator, style: JsonStyle) -> None:
    dataset = emulator.new_dataset()
    emulator.new_records(
        dataset, [{"FirstName": value, "Testy": value, "MobilePhone": "07700900001"} for value in PLAIN]
    )
    compact = _records(emulator, dataset)
    emulator.state.settings.json_style = style
    styled = _records(emulator, dataset)
    value = json.loads(compact)
    assert json.loads(styled) == value
    assert len(value["list"]) == len(PLAIN)
    assert styled == layout(value, style)
    if style == "php":
        assert styled.isascii()
        assert '"a\\/b\\/\\/c"' in styled
        assert '"\\u00e9 \\u00fc \\u4e2d\\u6587 \\ud83d\\ude00 \\ud834\\udd1e"' in styled
    paged = json.loads(_records(emulator, dataset, limit=3, start=3))
    assert paged["list"] == value["list"][3:6]


@pytest.mark.parametrize("style", STYLES)
def test_an_empty_list_is_written_whole(emulator: Emulator, style: JsonStyle) -> None:
    emulator.state.settings.json_style = style
    body = _records(emulator, emulator.new_dataset())
    assert body == layout({"success": True, "total": 0, "list": []}, style)


@pytest.mark.parametrize("style", STYLES)
def test_every_contactnow_answer_is_styled(emulator: Emulator, style: JsonStyle) -> None:
    emulator.state.settings.json_style = style
    token = emulator.client.get(
        f"{emulator.contactnow_url}token.php",
        params={"action": "get", "username": "demo", "password": "demo-password", "format": "json"},
    )
    assert token.text == layout(token.json(), style)
    datasets = emulator.cn("ecnow.php", "ecnow_datasets", "read", token=token.json()["token"])
    assert datasets.json()["success"] is True
    assert datasets.text == layout(datasets.json(), style)
    refused = emulator.cn("ecnow.php", "ecnow_records", "read", token=token.json()["token"])
    assert refused.json() == {"success": False, "error": "Bad argument: table or dataset required"}
    assert refused.text == layout(refused.json(), style)


def _members(emulator: Emulator, campaign: int = 125) -> httpx.Response:
    return emulator.client.get(f"{emulator.cc_url}/api/stats/campaigns/{campaign}/records.json", auth=AUTH)


@pytest.mark.parametrize("style", STYLES)
def test_a_members_read_holds_the_same_members_in_each_style(emulator: Emulator, style: JsonStyle) -> None:
    added = emulator.client.post(
        f"{emulator.cc_url}/api/tstats/campaigns/125/customers",
        json=[{"customer-id": customer} for customer in (10000001, 10000002, 10000003)],
        auth=AUTH,
    )
    assert added.status_code == 207
    compact = _members(emulator)
    emulator.state.settings.json_style = style
    styled = _members(emulator)
    value = compact.json()
    assert len(value["records"]["record"]) == 3
    assert styled.json() == value
    assert styled.text == layout(value, style, ascii_text=True)


@pytest.mark.parametrize("style", STYLES)
def test_every_contact_center_answer_is_styled(emulator: Emulator, style: JsonStyle) -> None:
    emulator.state.settings.json_style = style
    empty = _members(emulator)
    assert empty.text == layout({"records": {"record": []}}, style)
    campaign = emulator.client.get(f"{emulator.cc_url}/api/stats/campaigns/125.json", auth=AUTH)
    assert campaign.text == layout(campaign.json(), style)
    missing = _members(emulator, 999)
    assert (missing.status_code, missing.json()) == (404, {"message": "Campaign not found."})
    assert missing.text == layout(missing.json(), style)
    refused = emulator.client.get(f"{emulator.cc_url}/api/stats/campaigns/125.json")
    assert (refused.status_code, refused.headers["www-authenticate"]) == (401, 'Basic realm="8x8"')
    assert refused.text == layout({"message": "Unauthorized"}, style)
    added = emulator.client.post(
        f"{emulator.cc_url}/api/tstats/campaigns/125/customers", json=[{"customer-id": "x"}], auth=AUTH
    )
    assert added.status_code == 207
    assert added.text == layout(added.json(), style)
