"""The CcCampaign kind, planned and applied against an in-memory Contact Center (no HTTP): the way through the
vendor's graph, the acknowledgements it needs, what the schedule and the dialler did, campaigns that move on their
own during apply, and the order of status moves and member changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from core.helpers import membership
from fakes import FakeContactCenter, Quiet, target

from reconciler.apply.runner import apply_plan
from reconciler.apply.steps import Outcome
from reconciler.errors import AmbiguousWriteError, CampaignStateError, Location, PlanError
from reconciler.kinds.base import DesiredState
from reconciler.kinds.cc_campaign import DesiredCampaign
from reconciler.kinds.membership import DesiredMembership
from reconciler.model.campaign import CampaignState
from reconciler.model.state import DesiredMember, MemberStatus
from reconciler.plan.changes import Action, FieldChange, Phase
from reconciler.planner import make_plan
from reconciler.providers.base import CampaignInfo

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
WHERE = Location("manifests/campaigns.yaml", 4, 9)
ADDRESS = "CcCampaign/winback"
S = CampaignState


def _campaign(state: CampaignState, *acknowledge: str) -> DesiredCampaign:
    return DesiredCampaign(ADDRESS, WHERE, campaign=125, state=state, acknowledge=frozenset(acknowledge))


def _center(status: int, **extra: object) -> FakeContactCenter:
    info = CampaignInfo(125, "Winback", True, True, status, None, None)
    return FakeContactCenter(campaigns={125: info}, **extra)  # type: ignore[arg-type]


def _writes(center: FakeContactCenter) -> list[tuple[object, ...]]:
    return [call for call in center.calls if call[0] in {"change_status", "add", "remove"}]


def test_the_way_is_planned_through_the_graph_and_applied_one_edge_at_a_time() -> None:
    center = _center(3)
    desired = DesiredState((_campaign(S.PURGED),))
    planned = make_plan(desired, target(contact_center=center), now=NOW)
    (change,) = planned.plan.changes
    assert (change.action, change.phase, change.tally) == (Action.UPDATE, Phase.CAMPAIGN, {"change": 1})
    assert change.fields == (FieldChange("status", "RUNNING", "PURGED"),)
    assert change.notes == (
        "campaign 125 is Running (status 3, Manual Running); the way there: PAUSED -> PURGED",
    )
    assert planned.verdicts == ()
    reporter = Quiet()
    assert apply_plan(planned.plan, desired, target(contact_center=center), reporter).ok
    assert _writes(center) == [("change_status", 125, S.PAUSED), ("change_status", 125, S.PURGED)]
    # read before the first move, and after each (the read after one move is the read before the next)
    assert [call[0] for call in center.calls[-5:]] == [
        "campaign",
        "change_status",
        "campaign",
        "change_status",
        "campaign",
    ]
    assert reporter.results[0].detail == (
        "campaign 125: Running (status 3, Manual Running) -> PAUSED; Paused (status 8, Manual Paused) -> PURGED; "
        "now Purged (status 10, Manual Purged)"
    )
    assert center.campaigns[125].status == 10


def test_a_declared_pause_says_that_queued_records_are_still_dialled() -> None:
    planned = make_plan(DesiredState((_campaign(S.PAUSED),)), target(contact_center=_center(3)), now=NOW)
    assert (
        planned.plan.changes[0].notes[-1]
        == "PAUSED still dials the records already queued; PURGED also flushes them"
    )


def test_ways_through_running_and_to_stopped_need_their_acknowledgements() -> None:
    center = _center(0)
    planned = make_plan(DesiredState((_campaign(S.STOPPED),)), target(contact_center=center), now=NOW)
    (change,) = planned.plan.changes
    assert (change.action, change.phase) == (Action.IRREVERSIBLE, Phase.CAMPAIGN)
    assert [(verdict.risk, str(verdict.problem)) for verdict in planned.verdicts] == [
        (
            "run",
            "manifests/campaigns.yaml:4:9: CcCampaign/winback: campaign 125 goes NEW -> RUNNING -> STOPPED: it dials "
            "while RUNNING on the way (add `acknowledge: [run]` to the CcCampaign spec if dialling on the way is "
            "acceptable)",
        ),
        (
            "stop",
            "manifests/campaigns.yaml:4:9: CcCampaign/winback: campaign 125 goes NEW -> RUNNING -> STOPPED: STOPPED "
            "is final, and the campaign can never run again (add `acknowledge: [stop]` to the CcCampaign spec, so "
            "that git records that it stopped for good)",
        ),
    ]
    acknowledged = make_plan(
        DesiredState((_campaign(S.STOPPED, "run", "stop"),)), target(contact_center=center), now=NOW
    )
    assert acknowledged.verdicts == ()
    assert _writes(center) == []


def test_a_completed_campaign_is_irreversible_with_the_remedy() -> None:
    with pytest.raises(PlanError) as refused:
        make_plan(DesiredState((_campaign(S.RUNNING),)), target(contact_center=_center(6)), now=NOW)
    (problem,) = refused.value.problems
    assert problem.category == "irreversible"
    assert str(problem) == (
        "manifests/campaigns.yaml:4:9: CcCampaign/winback: campaign 125 was completed by the dialler (every record "
        "is done): it is Stopped (status 6, Completed), and Stopped is final, so it can never be RUNNING again "
        "(declare status: STOPPED to record it, or point spec.campaign at a new campaign (created in CC "
        "Configuration Manager))"
    )


@pytest.mark.parametrize(
    ("code", "declared"), [(9, S.RUNNING), (4, S.PAUSED), (11, S.RUNNING), (2, S.RUNNING)]
)
def test_a_status_the_schedule_set_is_churn_and_left_to_the_schedule(
    code: int, declared: CampaignState
) -> None:
    center = _center(code)
    planned = make_plan(DesiredState((_campaign(declared),)), target(contact_center=center), now=NOW)
    assert planned.plan.changes == ()
    (seen,) = planned.plan.observations
    assert (seen.address, seen.category) == (ADDRESS, "churn")
    assert "moved there by its schedule" in seen.message
    assert seen.message.endswith(
        f"{declared.value} is declared, and the plan leaves the campaign to its schedule"
    )


def test_a_declared_stop_is_carried_out_whoever_moved_the_campaign() -> None:
    center = _center(9)
    desired = DesiredState((_campaign(S.STOPPED, "stop"),))
    planned = make_plan(desired, target(contact_center=center), now=NOW)
    (change,) = planned.plan.changes
    assert change.phase is Phase.CAMPAIGN_STOP
    assert apply_plan(planned.plan, desired, target(contact_center=center), Quiet()).ok
    assert _writes(center) == [("change_status", 125, S.STOPPED)]


def test_a_campaign_that_cannot_change_status_is_refused_only_when_it_must_change() -> None:
    center = FakeContactCenter(campaigns={125: CampaignInfo(125, "Old", False, False, 8, None, None)})
    assert make_plan(DesiredState((_campaign(S.PAUSED),)), target(contact_center=center), now=NOW).plan.empty
    with pytest.raises(PlanError) as refused:
        make_plan(DesiredState((_campaign(S.RUNNING),)), target(contact_center=center), now=NOW)
    assert [problem.reason for problem in refused.value.problems] == [
        "campaign 125 is not a dynamic campaign: its status cannot be changed",
        "campaign 125 is not enabled: its status cannot be changed",
    ]


def test_no_contact_center_api_is_a_problem_naming_the_block() -> None:
    with pytest.raises(PlanError) as refused:
        make_plan(DesiredState((_campaign(S.RUNNING),)), target(), now=NOW)
    assert [problem.reason for problem in refused.value.problems] == [
        "target fake has no Contact Center API configured"
    ]


# ------------------------------------------------------------------------------------ moving on its own


def test_a_campaign_that_moved_on_its_own_gets_a_new_way_from_a_fresh_read() -> None:
    """Planned Paused -> Purged; before the write the schedule resumed it (Running): the way is worked out again
    (PAUSED, PURGED), and nothing passes through Running."""
    center = _center(8, moves={1: 4})
    desired = DesiredState((_campaign(S.PURGED),))
    planned = make_plan(desired, target(contact_center=center), now=NOW)
    assert planned.plan.changes[0].notes[0].endswith("the way there: PURGED")
    reporter = Quiet()
    assert apply_plan(planned.plan, desired, target(contact_center=center), reporter).ok
    assert _writes(center) == [
        ("change_status", 125, S.PURGED),  # refused: it was Running by then
        ("change_status", 125, S.PAUSED),
        ("change_status", 125, S.PURGED),
    ]
    assert reporter.results[0].detail == (
        "campaign 125: Running (status 4, Schedule Running) -> PAUSED; Paused (status 8, Manual Paused) -> PURGED; "
        "now Purged (status 10, Manual Purged)"
    )


def test_an_invalid_transition_from_the_status_just_read_is_not_sent_again() -> None:
    """The vendor refuses a move its own graph allows: the status is re-read, it has not moved, so the same
    request is not sent again; the change fails and asks for a new plan."""
    center = _center(3)

    def refuse_everything(campaign_id: int, state: CampaignState) -> None:
        center.calls.append(("change_status", campaign_id, state))
        raise CampaignStateError("Invalid state transition", reason="invalid_transition", status=400)

    center.change_status = refuse_everything  # type: ignore[method-assign]
    desired = DesiredState((_campaign(S.PAUSED),))
    planned = make_plan(desired, target(contact_center=center), now=NOW)
    reporter = Quiet()
    assert not apply_plan(planned.plan, desired, target(contact_center=center), reporter).ok
    assert _writes(center) == [("change_status", 125, S.PAUSED)]
    (result,) = reporter.results
    assert (result.outcome, result.detail) == (
        Outcome.FAILED,
        "campaign 125: stopped: it is Running (status 3, Manual Running) and the vendor refused the move from it; "
        "plan again to see the way from here",
    )


def test_a_status_change_whose_answer_was_lost_is_settled_by_reading_it() -> None:
    """The first move is stored but its answer lost: the read after it shows Paused, so the way goes on from there
    and the move is not sent again."""
    center = _center(3)
    change_status = center.change_status

    def lose_the_first_answer(campaign_id: int, state: CampaignState) -> None:
        change_status(campaign_id, state)
        if center.changes == 1:
            raise AmbiguousWriteError("Contact Center campaign status change: the response was lost")

    center.change_status = lose_the_first_answer  # type: ignore[method-assign]
    desired = DesiredState((_campaign(S.PURGED),))
    planned = make_plan(desired, target(contact_center=center), now=NOW)
    assert apply_plan(planned.plan, desired, target(contact_center=center), Quiet()).ok
    assert _writes(center) == [("change_status", 125, S.PAUSED), ("change_status", 125, S.PURGED)]


def test_a_new_way_through_running_that_the_spec_does_not_acknowledge_stops_the_change() -> None:
    """Planned Running -> Paused; before the write an operator purged it: Purged -> Paused passes through
    Running, which the spec does not acknowledge, so nothing is sent."""
    center = _center(3)
    desired = DesiredState((_campaign(S.PAUSED),))
    planned = make_plan(desired, target(contact_center=center), now=NOW)
    center.campaigns[125] = CampaignInfo(125, "Winback", True, True, 10, None, None)
    reporter = Quiet()
    assert not apply_plan(planned.plan, desired, target(contact_center=center), reporter).ok
    assert _writes(center) == []
    assert reporter.results[0].detail == (
        "campaign 125: stopped: it moved on its own: campaign 125 goes PURGED -> RUNNING -> PAUSED: it dials while "
        "RUNNING on the way; plan again to see the way from here"
    )


# ------------------------------------------------------------------------------------ with its members


def test_members_are_added_after_a_campaign_this_plan_starts() -> None:
    center = _center(0)
    members = membership([DesiredMember("7", None, WHERE)])
    desired = DesiredState((_campaign(S.RUNNING), _with_campaign(members)))
    planned = make_plan(desired, target(contact_center=center), now=NOW)
    assert [change.address for change in planned.plan.changes] == [ADDRESS, "CampaignMembership/winback"]
    assert apply_plan(planned.plan, desired, target(contact_center=center), Quiet()).ok
    assert _writes(center) == [("change_status", 125, S.RUNNING), ("add", 125, ("7",), {})]


def test_members_of_a_campaign_that_stays_new_are_still_refused() -> None:
    members = membership([DesiredMember("7", None, WHERE)])
    with pytest.raises(PlanError) as refused:
        make_plan(DesiredState((_with_campaign(members),)), target(contact_center=_center(0)), now=NOW)
    assert [problem.reason for problem in refused.value.problems] == [
        "campaign 125 has not started (status 0)"
    ]


def test_members_are_removed_before_the_campaign_stops() -> None:
    center = _center(3, members={125: {"1": MemberStatus.NEW, "2": MemberStatus.NEW}})
    members = membership([DesiredMember("2", None, WHERE)], remove_absent=True)
    desired = DesiredState((_campaign(S.STOPPED, "stop"), _with_campaign(members)))
    planned = make_plan(desired, target(contact_center=center), now=NOW)
    assert [change.address for change in planned.plan.changes] == ["CampaignMembership/winback", ADDRESS]
    assert apply_plan(planned.plan, desired, target(contact_center=center), Quiet()).ok
    assert _writes(center) == [("remove", 125, ("1",)), ("change_status", 125, S.STOPPED)]
    after = make_plan(desired, target(contact_center=center), now=NOW).plan
    assert after.changes == ()
    assert [(item.address, item.category, item.message) for item in after.observations] == [
        (
            "CampaignMembership/winback",
            "info",
            "campaign 125 has stopped, as CcCampaign/winback declares: its members no longer change",
        )
    ]


def test_a_campaign_is_not_stopped_when_its_members_failed() -> None:
    center = _center(3, unknown={"9"})
    members = membership([DesiredMember("9", None, WHERE)])
    desired = DesiredState((_campaign(S.STOPPED, "stop"), _with_campaign(members)))
    planned = make_plan(desired, target(contact_center=center), now=NOW)
    reporter = Quiet()
    assert not apply_plan(planned.plan, desired, target(contact_center=center), reporter).ok
    assert _writes(center) == [("add", 125, ("9",), {})]
    assert [(result.address, result.outcome, result.detail) for result in reporter.results] == [
        ("CampaignMembership/winback", Outcome.FAILED, "0 added; 1 members failed"),
        (
            ADDRESS,
            Outcome.SKIPPED,
            "not stopped because CampaignMembership/winback failed: its members change before the stop",
        ),
    ]


def _with_campaign(members: DesiredMembership) -> DesiredMembership:
    return replace(members, campaign_address=ADDRESS)
