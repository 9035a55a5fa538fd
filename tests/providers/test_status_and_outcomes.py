"""The provider calls of the CcCampaign and OutcomeCode kinds: the campaign status change (PATCH or POST, the
action or the data token), and outcome codes read, created, updated and counted, against the emulator in this
process; how the status change is sent, against a scripted transport."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from reconciler.emulator import SyncAsgiTransport, build_state, create_app
from reconciler.emulator.state import EmulatorState
from reconciler.errors import AmbiguousWriteError, ApiError, CampaignStateError
from reconciler.model.campaign import CampaignState
from reconciler.providers.base import OutcomeUse, OutcomeWrite
from reconciler.providers.contactcenter.client import ContactCenterClient
from reconciler.providers.contactcenter.provider import ContactCenterProvider
from reconciler.providers.contactnow.client import ContactNowClient
from reconciler.providers.contactnow.provider import ContactNowProvider

from .provider_fakes import Scripted, Sleeps, policy

URL = "http://127.0.0.1:9"


@pytest.fixture
def emulator() -> Iterator[tuple[EmulatorState, httpx.BaseTransport]]:
    state = build_state()
    transport = SyncAsgiTransport(create_app(state))
    try:
        yield state, transport
    finally:
        transport.close()
        state.store.close()


def _cc(transport: httpx.BaseTransport, **options: str) -> ContactCenterProvider:
    client = ContactCenterClient(f"{URL}/cc", "demo", "demo-token", transport=transport, **options)  # type: ignore[arg-type]
    return ContactCenterProvider(client)


def _cn(transport: httpx.BaseTransport) -> ContactNowProvider:
    client = ContactNowClient(f"{URL}/contactnow/", "demo", "demo-password", transport=transport)
    return ContactNowProvider(client, consistency_window=0)


def test_a_campaign_walks_its_graph_by_either_method(
    emulator: tuple[EmulatorState, httpx.BaseTransport],
) -> None:
    state, transport = emulator
    for method in ("PATCH", "POST"):
        state.view.set_campaign(125, status=3)
        provider = _cc(transport, status_method=method)
        for step, code in ((CampaignState.PAUSED, 8), (CampaignState.PURGED, 10), (CampaignState.RUNNING, 3)):
            provider.change_status(125, step)
            assert provider.campaign(125).status == code
        with pytest.raises(CampaignStateError) as refused:
            provider.change_status(125, CampaignState.PURGED)
        assert (refused.value.reason, refused.value.message, refused.value.status) == (
            "invalid_transition",
            "Invalid state transition",
            400,
        )
    methods = [entry.method for entry in state.log.entries() if entry.op == "cc.status"]
    assert methods == ["PATCH"] * 4 + ["POST"] * 4


def test_a_campaign_that_is_not_dynamic_is_refused_in_the_vendors_words(
    emulator: tuple[EmulatorState, httpx.BaseTransport],
) -> None:
    provider = _cc(emulator[1])
    with pytest.raises(CampaignStateError) as refused:
        provider.change_status(127, CampaignState.PAUSED)
    assert (refused.value.reason, refused.value.message) == ("not_dynamic", "Not a dynamic campaign")


def _basic(token: str) -> str:
    return "Basic " + base64.b64encode(f"demo:{token}".encode()).decode()


def test_the_status_change_sends_its_own_token_and_is_never_resent_blindly(sleeps: Sleeps) -> None:
    script = Scripted(
        httpx.Response(200, json={"message": "Campaign status changed."}),
        httpx.Response(200, json={"campaign": {"status": 8}}),
        httpx.Response(502),
    )
    client = ContactCenterClient(
        "https://vcc-na12.8x8.com",
        "demo",
        "data-token",
        transport=httpx.MockTransport(script),
        retry=policy(sleeps),
        status_method="POST",
        status_token="action-token",
    )
    with client:
        client.change_status(125, "PAUSED")
        client.campaign(125)
        with pytest.raises(AmbiguousWriteError):
            client.change_status(125, "RUNNING")
    first, read, failed = script.requests
    assert (first.method, str(first.url), json.loads(first.content)) == (
        "POST",
        "https://vcc-na12.8x8.com/api/tstats/campaigns/125",
        {"status": "PAUSED"},
    )
    assert first.headers["authorization"] == _basic("action-token")
    assert read.headers["authorization"] == _basic("data-token")
    assert failed.headers["authorization"] == _basic("action-token")
    assert len(script.requests) == 3  # the 502 may have been stored: re-read, never sent again


def test_a_status_method_the_vendor_does_not_take_is_refused() -> None:
    with pytest.raises(ValueError, match="status_method must be one of PATCH, POST, not PUT"):
        ContactCenterClient("https://vcc-na12.8x8.com", "demo", "t", status_method="PUT")


def test_outcome_codes_created_updated_and_read_with_every_flag(
    emulator: tuple[EmulatorState, httpx.BaseTransport],
) -> None:
    state, transport = emulator
    provider = _cn(transport)
    assert provider.system_outcomes() == frozenset({"98", "100", "109"})
    values = OutcomeWrite(
        "Opted out", complete=True, do_not_call=True, dmc=False, sale=False, answerphone=False
    )
    assert provider.create_outcome("700001", values) == "700001"
    numbered = provider.create_outcome(None, OutcomeWrite("Call back", complete=False))
    assert numbered == "700002"
    provider.update_outcome("700002", OutcomeWrite(answerphone=True, sale=True))
    codes = provider.catalog().outcomes()
    assert (codes["700001"].complete, codes["700001"].do_not_call, codes["700001"].description) == (
        True,
        True,
        "Opted out",
    )
    assert (codes["700002"].answerphone, codes["700002"].sale, codes["700002"].complete) == (
        True,
        True,
        False,
    )
    ops = [entry.op for entry in state.log.entries() if entry.op.startswith("outcomecodes.")]
    assert ops.count("outcomecodes.create") == 2 and ops.count("outcomecodes.update") == 1


def test_a_system_code_update_is_refused_in_the_vendors_words(
    emulator: tuple[EmulatorState, httpx.BaseTransport],
) -> None:
    with pytest.raises(ApiError) as refused:
        _cn(emulator[1]).update_outcome("100", OutcomeWrite(complete=True))
    assert refused.value.message == "Outcome [100] is a system outcome"


def test_outcome_use_counts_live_records_of_every_table(
    emulator: tuple[EmulatorState, httpx.BaseTransport],
) -> None:
    state, transport = emulator
    view = state.view
    live = view.add_dataset("Willtest", status="LIVE")
    other = view.add_dataset("nelsontest", status="HOLD")
    expired = view.add_dataset("Willtest", status="EXPIRED")
    view.add_records(live, ({"outcomecode": "501638" if n % 4 else ""} for n in range(12)))
    view.add_records(other, ({"outcomecode": "501638"} for _ in range(3)))
    view.add_records(expired, ({"outcomecode": "501638", "ProcessType": "EXPIRED"} for _ in range(5)))
    assert _cn(transport).outcome_use("501638") == OutcomeUse(records=12, of=15)
