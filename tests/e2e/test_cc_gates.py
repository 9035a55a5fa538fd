"""The apply-time clock gate on the Contact Center writes that start dialling: members added without a schedule to
a campaign that dials (it calls them at once), and a campaign's start. Decided from the clock at the moment of the
write, in every zone of the members (a fake engine and emulator clock), never from the plan's time."""

from __future__ import annotations

from datetime import UTC, datetime

from harness.project import Project
from support import document, membership_doc, us_sales_policy

POLICY = us_sales_policy("advisory")
SUNDAY_NIGHT = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)
"""Sun 21:30 in New York, Mon 02:30 in London."""
MEMBERS = (
    '[{customer-id: "10000001", tz: America/New_York}, '
    '{customer-id: "10000002", schedule: "2026-12-07T15:00:00+00:00", tz: Europe/London}]'
)


def test_members_without_a_schedule_wait_for_the_window_in_every_members_zone(
    project: Project, clock: list[datetime]
) -> None:
    """Campaign 125 is running: the scheduled member is added, the unscheduled one waits (advisory)."""
    clock[0] = SUNDAY_NIGHT
    project.write(
        "manifests/members.yaml",
        POLICY + membership_doc("winback", campaign=125, members=MEMBERS, callingPolicy="us-sales"),
    )
    mark = project.mark()
    deferred = project.cli("apply", "--auto-approve")
    assert deferred.exit_code == 1
    assert (
        "  CampaignMembership/winback: skipped: 1 added; deferred: 1 members without a schedule not added, it is Sun "
        "21:30 in America/New_York, outside CallingPolicy/us-sales (08:00-21:00 there); the window opens in every "
        "zone at 2026-12-07 13:00 UTC (Mon 08:00 in America/New_York); apply again then\n"
    ) in deferred.stdout
    assert [entry.op for entry in project.writes(mark)] == ["cc.add"]
    assert project.members() == ["10000002"]
    clock[0] = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # 08:00 in New York, 13:00 in London
    mark = project.mark()
    added = project.cli("apply", "--auto-approve")
    assert added.exit_code == 0, added.output
    assert [entry.op for entry in project.writes(mark)] == ["cc.add"]
    assert project.members() == ["10000001", "10000002"]
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_a_mandatory_policy_refuses_the_start_and_the_adds_outside_the_window_and_writes_nothing(
    project: Project, clock: list[datetime]
) -> None:
    """Campaign 125 is paused; the plan starts it. At 21:30 in New York neither the start nor the unscheduled add
    may go ahead; at 08:00 both do, the start first."""
    clock[0] = SUNDAY_NIGHT
    project.view.set_campaign(125, status=8)
    mandatory = POLICY.replace("enforcement: advisory", "enforcement: mandatory")
    members = '[{customer-id: "10000001", tz: America/New_York}]'
    project.write(
        "manifests/members.yaml",
        mandatory
        + document("CcCampaign", "winback-status", campaign=125, status="RUNNING")
        + membership_doc("winback", campaign=125, members=members, callingPolicy="us-sales"),
    )
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    closed = (
        "it is Sun 21:30 in America/New_York, outside CallingPolicy/us-sales (08:00-21:00 there); the window opens "
        "in every zone at 2026-12-07 13:00 UTC (Mon 08:00 in America/New_York)"
    )
    assert f"  CcCampaign/winback-status: FAILED: refused to start campaign 125, which dials: {closed}\n" in (
        refused.stdout
    )
    assert (
        "  CampaignMembership/winback: FAILED: refused to add 1 members without a schedule, which the campaign calls "
        f"at once: {closed}\n"
    ) in refused.stdout
    assert project.writes(mark) == []
    clock[0] = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
    mark = project.mark()
    started = project.cli("apply", "--auto-approve")
    assert started.exit_code == 0, started.output
    assert [entry.op for entry in project.writes(mark)] == ["cc.status", "cc.add"]
    assert project.members() == ["10000001"]
