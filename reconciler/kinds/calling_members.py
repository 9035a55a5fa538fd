"""Calling hours for Contact Center members: a scheduled member is called at its schedule, so the schedule must lie
inside the CallingPolicy's window in the member's zone.

The CC API gives a member no phone, so the zone is declared on the CampaignMembership (`zone`: one zone for its
members). A schedule is checked where it will dial: an absolute one as written, a relative one ("+2d 09:00+00:00")
as it resolves from the plan's day (its time of day is the same whatever day apply runs; its weekday may not be).
Unscheduled members are called when the campaign runs, which the campaign's own window governs, not the manifest.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..errors import Problem
from ..model.calling.hours import clock
from ..model.schedules import RelativeSchedule
from ..model.state import MemberSource
from .base import PlanContext
from .calling_policy import DesiredCallingPolicy

MAX_SCHEDULE_PROBLEMS = 20


def check_schedules(
    address: str, policy_address: str | None, zone: str | None, source: MemberSource, ctx: PlanContext
) -> None:
    """Refuse (or, advisory, report) every member schedule outside the policy's window in `zone`."""
    policy = None if policy_address is None else ctx.desired.get(policy_address)
    if not isinstance(policy, DesiredCallingPolicy) or zone is None:
        return
    local_zone = ZoneInfo(zone)
    found: list[Problem] = []
    outside = 0
    for member in source.iter_members():
        schedule = member.schedule
        if schedule is None:
            continue
        relative = isinstance(schedule, RelativeSchedule)
        when: datetime = schedule.resolve(ctx.now) if isinstance(schedule, RelativeSchedule) else schedule
        written = str(schedule) if relative else when.isoformat()
        local = when.astimezone(local_zone)
        if policy.hours.allows(local.weekday(), local.hour * 60 + local.minute):
            continue
        outside += 1
        if len(found) < MAX_SCHEDULE_PROBLEMS:
            found.append(
                Problem(
                    f"member {member.customer_id} is scheduled for {local:%a} {clock(local.hour * 60 + local.minute)} "
                    f"in {zone} ({written}), outside {policy.address} ({policy.hours.describe()} there)",
                    member.location,
                    address,
                    f"schedule it inside the window in {zone}, or leave it unscheduled",
                )
            )
    if outside > len(found):
        found.append(
            Problem(f"and {outside - len(found)} more members scheduled outside the window", None, address)
        )
    policy.report(address, found, ctx)
