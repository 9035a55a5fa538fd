"""The dialler simulation: what it may touch, what it must not, and determinism for a seed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.emulator import build_state
from reconciler.emulator.simulation import DISPOSITIONS, SimulationResult, simulate
from reconciler.emulator.state import EmulatorState
from reconciler.emulator.view import Member

from .conftest import Emulator, FakeClock
from .test_cc_helpers import AUTH, add, epoch

NOW = epoch("2026-11-23T10:00:00Z")
STAMP = "2026-11-23 10:00:00"


def _populate(state: EmulatorState) -> None:
    """LIVE dataset 1 (20 diallable records + 1 COMPLETE), HOLD dataset 2 (5 records); CC members."""
    view = state.view
    live, hold = view.add_dataset("Willtest", status="LIVE"), view.add_dataset("Willtest", status="HOLD")
    rows = [("New Prospect" if i % 2 else "NEEDSMOREWORK", "") for i in range(1, 21)]
    rows.append(("COMPLETE", "510456"))
    view.add_records(
        live, ({"ProcessType": kind, "outcomecode": code, "notes": "loaded"} for kind, code in rows)
    )
    view.add_records(hold, ({"ProcessType": "HOLD: New Prospect", "notes": "loaded"} for _ in range(22, 27)))
    members = [Member(10000000 + i) for i in range(10)]
    members += [
        Member(10000100, status=4, schedule="2026-11-23T09:00:00Z"),
        Member(10000101, status=4, schedule="2026-11-24T09:00:00Z"),
    ]
    view.add_members(125, members)
    view.add_members(126, (Member(10000000 + i) for i in range(5)))


def _dump(state: EmulatorState) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(id, ProcessType, outcomecode, ProcessDate, notes) of each record, by id, and (campaign, customer,
    status, status_code, disposition_code) of each member of campaigns 125 and 126, by campaign and customer."""
    fields = ("ProcessType", "outcomecode", "ProcessDate", "notes")
    records = [(int(r["id"]), *(r[name] for name in fields)) for r in state.view.records()]
    members = [
        (campaign, m.customer, m.status, m.status_code, m.disposition_code)
        for campaign in (125, 126)
        for m in sorted(state.view.members(campaign), key=lambda member: member.customer)
    ]
    return records, members


@pytest.fixture
def fresh_state() -> Iterator[EmulatorState]:
    state = build_state()
    state.clock = lambda: NOW
    _populate(state)
    try:
        yield state
    finally:
        state.store.close()


def _run(
    steps: int, seed: int
) -> tuple[SimulationResult, tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    state = build_state()
    state.clock = lambda: NOW
    try:
        _populate(state)
        return simulate(state, steps, seed), _dump(state)
    finally:
        state.store.close()


def test_same_seed_same_changes_and_another_seed_differs() -> None:
    first, second, other = _run(40, 7), _run(40, 7), _run(40, 8)
    assert first == second
    assert first[1] != other[1]
    result = first[0]
    # 4 of the seed's 6 codes complete a record, so the 20 records run out of dialable ones before step 40.
    assert result.records_dialled == 34
    assert result.records_completed + result.records_needs_more_work == 34
    assert result.records_completed > 0
    assert result.records_needs_more_work > 0
    # 11 members can move (10 new, 1 scheduled and due), three steps each.
    assert (result.members_queued, result.members_accepted, result.members_completed) == (11, 11, 11)


def test_what_the_dialler_touches(fresh_state: EmulatorState) -> None:
    before_records, before_members = _dump(fresh_state)
    result = simulate(fresh_state, 60, 3)
    records, members = _dump(fresh_state)
    outcomes = fresh_state.view.outcomes()
    changed = [(b, a) for b, a in zip(before_records, records, strict=True) if b != a]
    assert len(changed) > 0
    for _, after in changed:
        record_id, process_type, outcome, process_date, notes = after
        assert record_id <= 20
        assert process_type == ("COMPLETE" if outcomes[outcome] else "NEEDSMOREWORK")
        assert process_date == STAMP
        lines = notes.split("\n")
        assert lines[0] == "loaded"
        assert set(lines[1:]) <= {f"{STAMP}: Dialled by the dialler, outcome {o}" for o in outcomes}
    assert records[20] == before_records[20]
    assert records[21:] == before_records[21:]
    assert sum(1 for r in records[:20] if r[1] == "COMPLETE") == result.records_completed
    # 60 steps outlast the 20 diallable records: every one ends COMPLETE, and dialling stops there.
    assert sum(len(r[4].split("\n")) - 1 for r in records[:20]) == result.records_dialled
    assert (result.records_completed, result.records_needs_more_work) == (20, result.records_dialled - 20)
    by_key = {(m[0], m[1]): m for m in members}
    for member in before_members:
        if member[0] == 126:
            assert by_key[(member[0], member[1])] == member
    assert by_key[(125, 10000101)][2] == 4
    for m in members:
        if m[2] == 3:
            assert m[4] in DISPOSITIONS
            assert m[3] in (0, 1)
    moved = {(b[0], b[1]) for b, a in zip(before_members, members, strict=True) if b != a}
    assert moved == {(125, 10000000 + i) for i in range(10)} | {(125, 10000100)}
    assert result.members_advanced == 33


def test_counts_match_the_store(fresh_state: EmulatorState) -> None:
    result = simulate(fresh_state, 25, 11)
    records, members = _dump(fresh_state)
    assert sum(len(r[4].split("\n")) - 1 for r in records) == result.records_dialled == 25
    statuses = [m[2] for m in members if m[0] == 125]
    assert statuses.count(3) == result.members_completed
    assert statuses.count(1) + statuses.count(2) + statuses.count(3) == result.members_queued
    assert statuses.count(2) + statuses.count(3) == result.members_accepted


def test_scheduled_members_wait_until_due(fresh_state: EmulatorState) -> None:
    simulate(fresh_state, 200, 1)
    statuses = {member.customer: member.status for member in fresh_state.view.members(125)}
    assert statuses[10000101] == 4
    assert statuses[10000100] == 3
    assert set(statuses.values()) == {3, 4}
    fresh_state.clock = lambda: epoch("2026-11-24T09:00:00Z")
    result = simulate(fresh_state, 3, 1)
    assert (result.members_queued, result.members_accepted, result.members_completed) == (1, 1, 1)


def test_nothing_to_do() -> None:
    state = build_state()
    try:
        assert simulate(state, 10, 1) == SimulationResult(steps=10)
        assert simulate(state, 0, 1).to_dict() == {
            "steps": 0,
            "records_dialled": 0,
            "records_completed": 0,
            "records_needs_more_work": 0,
            "members_queued": 0,
            "members_accepted": 0,
            "members_completed": 0,
            "campaigns_moved": 0,
            "dials_held": 0,
            "members_advanced": 0,
        }
        with pytest.raises(ValueError, match="steps must not be negative"):
            simulate(state, -1, 1)
    finally:
        state.store.close()


def test_simulation_drift_is_visible_through_both_apis(emulator: Emulator, clock: FakeClock) -> None:
    dataset = emulator.new_dataset(d_status="LIVE")
    emulator.new_records(dataset, [{"VENDOR_URN": f"U-{i}", "MobilePhone": "07700900123"} for i in range(5)])
    add(emulator.client, emulator.base_url, 125, [{"customer-id": 10000001}])
    result = simulate(emulator.state, 10, 5)
    rows = emulator.records(dataset=dataset)
    assert result.records_dialled == 7  # then all 5 records are complete
    assert sum(1 for r in rows if r["ProcessDate"] != "0000-00-00 00:00:00") >= 1
    assert {r["ProcessType"] for r in rows} <= {"New Prospect", "NEEDSMOREWORK", "COMPLETE"}
    assert any(r["ProcessType"] != "New Prospect" for r in rows)
    body = emulator.client.get(
        f"{emulator.base_url}/cc/api/stats/campaigns/125/records.json", auth=AUTH
    ).json()
    assert body["records"]["record"][0]["status"] == 3


def test_campaigns_follow_their_schedules_before_the_ticks(fresh_state: EmulatorState) -> None:
    """Past its end a campaign is Schedule Stopped; a New one starts at its start (Schedule Running) and waits
    for it before (Scheduled); a campaign without a schedule, or already stopped, is left alone."""
    view = fresh_state.view
    view.add_campaign(140, "Ended", status=3, end="2026-11-23T09:00:00+00:00")
    view.add_campaign(141, "Starts now", status=0, start="2026-11-23T08:00:00+00:00")
    view.add_campaign(142, "Starts later", status=0, start="2026-11-24T08:00:00+00:00")
    view.add_campaign(143, "Paused by hand", status=8, end="2026-12-31T00:00:00+00:00")
    view.add_campaign(144, "Stopped", status=5, end="2026-11-01T00:00:00+00:00")
    view.add_members(140, [Member(10000500)])
    result = simulate(fresh_state, 5, 2)
    statuses = {number: view.campaign_status(number) for number in (125, 126, 140, 141, 142, 143, 144)}
    assert statuses == {125: 3, 126: 5, 140: 7, 141: 4, 142: 2, 143: 8, 144: 5}
    assert result.campaigns_moved == 3
    assert view.members(140)[0].status == 0  # stopped before the ticks: its member never moved


def test_a_campaign_with_an_end_completes_once_every_member_has(fresh_state: EmulatorState) -> None:
    view = fresh_state.view
    view.add_campaign(150, "Short run", status=4, end="2026-12-31T00:00:00+00:00")
    view.add_members(150, [Member(10000600), Member(10000601)])
    first = simulate(fresh_state, 2, 4)
    assert (view.campaign_status(150), first.campaigns_moved) == (4, 0)
    done = simulate(fresh_state, 200, 4)
    assert {member.status for member in view.members(150)} == {3}
    assert (view.campaign_status(150), done.campaigns_moved) == (6, 1)
    assert view.campaign_status(125) == 3  # no end: it takes new customers at any time, so never completes
