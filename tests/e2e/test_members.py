"""CampaignMembership plan/apply over real HTTP: add, remove, reschedule, not-removable, campaign checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.project import Project


def membership(members: list[str], *, campaign: int = 125, absent: str = "remove") -> str:
    lines = "\n".join(f"    - {member}" for member in members)
    return f"""---
apiVersion: reconciler/v1
kind: CampaignMembership
metadata:
  name: winback
spec:
  campaign: {campaign}
  absent: {absent}
  members:
{lines}
"""


def live(project: Project) -> list[tuple[int, int]]:
    """(customer id, status) of each member of campaign 125, by customer id."""
    return sorted((member.customer, member.status) for member in project.view.members(125))


def test_add_remove_and_reschedule(project: Project) -> None:
    project.write(
        "manifests/members.yaml",
        membership(
            [
                "{customer-id: 10000001}",
                "{customer-id: 10000002}",
                '{customer-id: 10000003, schedule: "+1d 09:00+00:00"}',
            ]
        ),
    )
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert live(project) == [(10000001, 0), (10000002, 0), (10000003, 4)]
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0

    soon = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    project.write(
        "manifests/members.yaml",
        membership([f'{{customer-id: 10000001, schedule: "{soon}"}}', "{customer-id: 10000003}"]),
    )
    plan = project.cli("plan")
    assert "members: 1 add" not in plan.stdout
    assert "members: 2 reschedule, 1 remove" in plan.stdout
    mark = project.mark()
    assert project.cli("apply", "--auto-approve").exit_code == 0
    ops = [entry.op for entry in project.writes(mark)]
    assert ops.index("cc.add") > max(index for index, op in enumerate(ops) if op == "cc.delete")
    assert sorted(ops) == ["cc.add", "cc.delete", "cc.delete", "cc.delete"]
    # 10000001 moves from unscheduled to scheduled, 10000003 from scheduled to unscheduled, 10000002 leaves.
    assert live(project) == [(10000001, 4), (10000003, 0)]
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_members_the_dialler_accepted_are_not_removable(project: Project) -> None:
    project.write(
        "manifests/members.yaml", membership(["{customer-id: 10000001}", "{customer-id: 10000002}"])
    )
    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.view.set_member(125, 10000001, status=2)
    project.write("manifests/members.yaml", membership(["{customer-id: 10000002}"]))
    plan = project.cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 0
    assert (
        "1 members are not in the manifests but the dialler has them (1 accepted); the API cannot remove them, "
        "so they are left alone" in plan.stdout
    )


def test_campaign_checks(project: Project) -> None:
    project.write("manifests/members.yaml", membership(["{customer-id: 10000001}"], campaign=126))
    stopped = project.cli("plan")
    assert stopped.exit_code == 1
    assert (
        "CampaignMembership/winback: campaign 126 has stopped (status 5); no members can be added"
        in stopped.stderr
    )
    project.write("manifests/members.yaml", membership(["{customer-id: 10000001}"], campaign=127))
    assert "campaign 127 is not a dynamic campaign" in project.cli("plan").stderr
    project.write("manifests/members.yaml", membership(["{customer-id: 10000001}"], campaign=128))
    assert "campaign 128 is not enabled" in project.cli("plan").stderr
    project.write("manifests/members.yaml", membership(["{customer-id: 10000001}"], campaign=999))
    assert "CampaignMembership/winback: campaign 999 does not exist" in project.cli("plan").stderr


def test_schedule_in_the_past_or_too_far_is_refused(project: Project) -> None:
    project.write(
        "manifests/members.yaml",
        membership(
            [
                '{customer-id: 10000001, schedule: "2020-01-01T09:00:00+00:00"}',
                '{customer-id: 10000002, schedule: "2099-01-01T09:00:00+00:00"}',
            ]
        ),
    )
    result = project.cli("plan")
    assert result.exit_code == 1
    assert "schedule 2020-01-01T09:00:00+00:00 for customer 10000001 is in the past" in result.stderr
    assert (
        "schedule 2099-01-01T09:00:00+00:00 for customer 10000002 is more than 7 days ahead" in result.stderr
    )


def test_schedule_outside_the_campaign_schedule_is_refused(project: Project) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now + timedelta(days=2), now + timedelta(days=4)
    project.view.set_campaign(125, start=start.isoformat(), end=end.isoformat())
    early, inside, late = now + timedelta(days=1), now + timedelta(days=3), now + timedelta(days=5)
    project.write(
        "manifests/members.yaml",
        membership(
            [
                f'{{customer-id: 10000001, schedule: "{early.isoformat()}"}}',
                f'{{customer-id: 10000002, schedule: "{inside.isoformat()}"}}',
                f'{{customer-id: 10000003, schedule: "{late.isoformat()}"}}',
            ]
        ),
    )
    mark = project.mark()
    result = project.cli("plan")
    assert result.exit_code == 1
    window = f"(from {start.isoformat()} to {end.isoformat()})"
    assert (
        f"schedule {early.isoformat()} for customer 10000001 is outside the campaign schedule {window}"
        in result.stderr
    )
    assert (
        f"schedule {late.isoformat()} for customer 10000003 is outside the campaign schedule {window}"
        in result.stderr
    )
    assert "10000002" not in result.stderr
    assert project.writes(mark) == []


def test_customer_missing_from_the_crm_fails_alone_at_apply(project: Project) -> None:
    project.write(
        "manifests/members.yaml", membership(["{customer-id: 10000001}", "{customer-id: 20000001}"])
    )
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 1
    assert live(project) == [(10000001, 0)]
    assert "CampaignMembership/winback: FAILED: 1 added; 1 members failed" in applied.stdout
    assert (
        "20000001: not found in the contact centre's CRM (The customer-id has not been found.); create the "
        "customer in the CRM first, or take it out of the manifest" in applied.stdout
    )
    assert applied.stdout.splitlines()[-1] == (
        "Verified: still to do: Plan: 0 resources to create, 1 to change; 1 row to create, 0 to change, 0 to "
        "complete/remove. Applying again would only repeat the failures above: the vendor "
        "refused them for good. Fix the manifests, or the data in the vendor account, then plan again."
    )
    again = project.mark()
    rerun = project.cli("apply", "--auto-approve")
    assert rerun.exit_code == 1
    added = [entry.rows for entry in project.writes(again) if entry.op == "cc.add"]
    assert added == [1]  # only the customer still missing is sent again
