"""Members' own zones planned from a manifest project and applied against an in-memory Contact Center: a `local`
schedule is resolved from the clock at the moment of the write, not the plan's; `unresolved: exclude` leaves
out the members nothing resolves; the declared zone is the fallback of members without a hint."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fakes import FakeContactCenter, Quiet, target
from support import document, membership_doc, write_file

from reconciler.apply.runner import apply_plan
from reconciler.kinds import desired_state, load_project
from reconciler.model.state import MemberStatus
from reconciler.planner import make_plan

MONDAY_3PM = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
"""When these plans are made and applied: every zone the tests use is inside its calling window."""

POLICY = document(
    "CallingPolicy",
    "us-sales",
    floor="US-TCPA@2026-11",
    windows="{mon: 08:00-21:00, tue: 08:00-21:00, wed: 08:00-21:00, thu: 08:00-21:00, fri: 08:00-21:00, "
    "sat: 08:00-21:00, sun: 08:00-21:00}",
)


def _project(root: Path, policy: str, members: str, **spec: object) -> Path:
    write_file(
        root,
        "manifests/members.yaml",
        policy + membership_doc("winback", campaign=125, members=members, callingPolicy="us-sales", **spec),
    )
    return root


def test_a_local_schedule_is_resolved_from_the_clock_of_the_write_not_the_plans(tmp_path: Path) -> None:
    members = (
        '[{customer-id: "1", schedule: "+1d 09:00 local", tz: America/New_York}, '
        '{customer-id: "2", schedule: "+1d 09:00+00:00", tz: Europe/London}]'
    )
    desired = desired_state(load_project(_project(tmp_path, POLICY, members)))
    center = FakeContactCenter()
    planned = make_plan(desired, target(contact_center=center), now=datetime(2026, 10, 31, 12, 0, tzinfo=UTC))
    assert [problem.reason for problem in planned.problems] == []
    # The write comes two days later, after New York has left daylight saving (1 November).
    written = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    assert apply_plan(planned.plan, desired, target(contact_center=center), Quiet(), clock=lambda: written).ok
    assert [call for call in center.calls if call[0] == "add"] == [
        (
            "add",
            125,
            ("1", "2"),
            {
                "1": datetime(2026, 11, 3, 14, 0, tzinfo=UTC),
                "2": datetime(2026, 11, 1, 9, 0, tzinfo=UTC),  # an offset schedule is resolved at plan time
            },
        )
    ]


def test_unresolved_members_are_left_out_under_exclude_and_the_declared_zone_is_the_fallback(
    tmp_path: Path,
) -> None:
    policy = POLICY.replace("  floor:", "  unresolved: exclude\n  floor:")
    members = '[{customer-id: "1", tz: Europe/London}, {customer-id: "2"}, {customer-id: "3", phone: "12"}]'
    desired = desired_state(load_project(_project(tmp_path / "exclude", policy, members)))
    center = FakeContactCenter()
    planned = make_plan(desired, target(contact_center=center), now=MONDAY_3PM)
    assert [observation.message for observation in planned.plan.observations] == [
        "calling hours (CallingPolicy/us-sales): 3 members in 1 zones (1 by tz); 0 ambiguous (several zones; the "
        "check takes every one); 2 unresolved; 1 invalid numbers; 0 invalid zone names; 0 invalid postcodes; 0 "
        "postcode/phone conflicts; 2 excluded (no zone resolves them; unresolved: exclude)"
    ]
    # The write's clock, not the machine's: at the plan's hour every zone's window is open.
    assert apply_plan(
        planned.plan, desired, target(contact_center=center), Quiet(), clock=lambda: MONDAY_3PM
    ).ok
    assert center.members == {125: {"1": MemberStatus.NEW}}

    declared = desired_state(
        load_project(_project(tmp_path / "declared", policy, members, zone="Europe/Paris"))
    )
    center = FakeContactCenter()
    planned = make_plan(declared, target(contact_center=center), now=MONDAY_3PM)
    assert [observation.message for observation in planned.plan.observations] == [
        "calling hours (CallingPolicy/us-sales): 3 members in 2 zones (1 by tz, 2 by declared zone); 0 ambiguous "
        "(several zones; the check takes every one); 0 unresolved; 1 invalid numbers; 0 invalid zone names; 0 "
        "invalid postcodes; 0 postcode/phone conflicts"
    ]
    assert apply_plan(
        planned.plan, declared, target(contact_center=center), Quiet(), clock=lambda: MONDAY_3PM
    ).ok
    assert sorted(center.members[125]) == ["1", "2", "3"]
