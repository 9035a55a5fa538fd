"""The CampaignMembership kind, planned and applied against an in-memory Contact Center (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from core.helpers import membership
from fakes import FakeContactCenter, Quiet, target

from reconciler.apply.runner import apply_plan
from reconciler.apply.steps import Outcome
from reconciler.errors import Location, PlanError
from reconciler.kinds.base import DesiredState
from reconciler.model.state import DesiredMember, MemberStatus
from reconciler.plan.changes import Action, Phase
from reconciler.planner import make_plan
from reconciler.providers.base import CampaignInfo

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
WHERE = Location("members.csv", 2, 1)


def _members(*ids: str, remove_absent: bool = False) -> DesiredState:
    return DesiredState(
        (membership([DesiredMember(item, None, WHERE) for item in ids], remove_absent=remove_absent),)
    )


def test_removals_come_before_adds_and_counts_are_members() -> None:
    center = FakeContactCenter(members={125: {"1": MemberStatus.NEW, "2": MemberStatus.QUEUED}})
    desired = _members("2", "3", remove_absent=True)
    planned = make_plan(desired, target(contact_center=center), now=NOW)
    (change,) = planned.plan.changes
    assert (change.action, change.phase, change.unit) == (Action.UPDATE, Phase.MEMBERS, "members")
    assert (change.counts, change.tally) == ({"add": 1, "remove": 1}, {"create": 1, "change": 0, "remove": 1})
    assert apply_plan(planned.plan, desired, target(contact_center=center), Quiet()).ok
    assert [call for call in center.calls if call[0] in {"remove", "add"}] == [
        ("remove", 125, ("1",)),
        ("add", 125, ("3",), {}),
    ]
    assert center.members[125] == {"2": MemberStatus.QUEUED, "3": MemberStatus.NEW}


def test_a_reschedule_is_a_removal_then_an_add_with_the_resolved_time() -> None:
    when = NOW + timedelta(days=1)
    center = FakeContactCenter(members={125: {"7": MemberStatus.NEW}})
    desired = DesiredState((membership([DesiredMember("7", when, WHERE)]),))
    planned = make_plan(desired, target(contact_center=center), now=NOW)
    (change,) = planned.plan.changes
    assert change.counts == {"reschedule": 1}
    apply_plan(planned.plan, desired, target(contact_center=center), Quiet())
    assert [call for call in center.calls if call[0] in {"remove", "add"}] == [
        ("remove", 125, ("7",)),
        ("add", 125, ("7",), {"7": when}),
    ]


def test_removing_too_many_is_a_mass_remove_verdict() -> None:
    center = FakeContactCenter(members={125: {str(n): MemberStatus.NEW for n in range(10)}})
    planned = make_plan(_members(remove_absent=True), target(contact_center=center), now=NOW)
    (verdict,) = planned.verdicts
    assert verdict.risk == "mass-remove"
    assert str(verdict.problem) == (
        "manifests/members.yaml:1:1: CampaignMembership/winback: removes 100% (10/10) of its live rows; limit 30% "
        "(acknowledge with --allow-mass-remove, or raise spec.guards.maxPercent if this is expected)"
    )


def test_a_campaign_that_cannot_take_members_is_refused_with_every_reason() -> None:
    center = FakeContactCenter(campaigns={125: CampaignInfo(125, "Old", False, False, 5, None, None)})
    with pytest.raises(PlanError) as refused:
        make_plan(_members("1"), target(contact_center=center), now=NOW)
    assert [str(problem) for problem in refused.value.problems] == [
        "manifests/members.yaml:1:1: CampaignMembership/winback: campaign 125 has stopped (status 5); no members "
        "can be added (choose a running, enabled dynamic campaign)",
        "manifests/members.yaml:1:1: CampaignMembership/winback: campaign 125 is not a dynamic campaign (choose "
        "a running, enabled dynamic campaign)",
        "manifests/members.yaml:1:1: CampaignMembership/winback: campaign 125 is not enabled (choose a running, "
        "enabled dynamic campaign)",
    ]


def test_a_customer_the_crm_does_not_know_fails_the_change_by_id() -> None:
    center = FakeContactCenter(unknown={"9"})
    desired = _members("8", "9")
    planned = make_plan(desired, target(contact_center=center), now=NOW)
    reporter = Quiet()
    report = apply_plan(planned.plan, desired, target(contact_center=center), reporter)
    assert not report.ok
    (result,) = reporter.results
    assert (result.outcome, result.detail, result.failures) == (
        Outcome.FAILED,
        "1 added; 1 members failed",
        ["9: not found in the CRM"],
    )


def test_no_contact_center_api_is_a_problem_naming_the_block() -> None:
    with pytest.raises(PlanError) as refused:
        make_plan(_members("1"), target(), now=NOW)
    assert [str(problem) for problem in refused.value.problems] == [
        "manifests/members.yaml:1:1: CampaignMembership/winback: target fake has no Contact Center API "
        "configured (add a contactCenter block to target fake in reconciler.yaml)"
    ]
