"""Calling hours for Contact Center members: a scheduled member is called at its schedule, so the schedule must lie
inside the CallingPolicy's window in the member's own zone; and the campaign dials the others within its own daily
window, in its own zone (the legacy campaign read's daily-start-time, daily-end-time and POSIX-style timezone),
which must lie inside the window in every zone its members are in.

The CC API gives a member no phone, so each member's zone is resolved from the hints of the membership's source
(`tz`, `phone`; never sent), else the membership's declared `zone` (reconciler/kinds/member_zones.py). A schedule is
checked where it will dial, in every zone its member may be in: an absolute one as written, a relative one
("+2d 09:00+00:00") as it resolves from the plan's day (its time of day is the same whatever day apply runs; its
weekday may not be), a `local` one ("+1d 09:00 local") at its time of day in the member's zone.
Unscheduled members are called when the campaign runs, which the campaign's own window governs, not the manifest.

Holidays: a schedule on a holiday of the policy (the member's local date) must lie inside the holiday window (none:
it is refused). The campaign's daily window cannot leave out dates, so it is proved against the weekly hours, and
while the policy has a holiday ahead the plan says (info) that the campaign's window governs unscheduled members on
that date: pausing the campaign on holidays is CC's, not this plan's, to do.
"""

from __future__ import annotations

import re
from dataclasses import replace
from zoneinfo import ZoneInfo

from ..diff.members import MemberWork
from ..errors import ApiError, Problem
from ..model.calling.gate import Gate
from ..model.calling.hours import MINUTES, clock
from ..model.calling.tod import TodPolicyValue, TodRule, breach
from ..model.calling.zones import iana_zones
from ..model.campaign import CampaignState, state_of
from ..model.schedules import RelativeSchedule
from ..model.state import DesiredMember, MemberSchedule, MemberSource
from ..plan.changes import Observation
from ..providers.base import CampaignInfo
from ..text import shown
from .base import PlanContext
from .calling_policy import DesiredCallingPolicy
from .cc_campaign import CampaignWork
from .member_zones import MemberZones

MAX_SCHEDULE_PROBLEMS = 20


def check_schedules(
    address: str,
    policy_address: str | None,
    zones: MemberZones | None,
    source: MemberSource,
    ctx: PlanContext,
) -> None:
    """Refuse (or, advisory, report) every member schedule outside the policy's window in a zone of its member."""
    policy = None if policy_address is None else ctx.desired.get(policy_address)
    if not isinstance(policy, DesiredCallingPolicy) or zones is None:
        return
    found: list[Problem] = []
    outside = 0
    for member in source.iter_members():
        schedule = member.schedule
        if schedule is None or member.customer_id in zones.excluded:
            continue
        finding = _outside(address, member, schedule, zones, policy, ctx)
        if finding is None:
            continue
        outside += 1
        if len(found) < MAX_SCHEDULE_PROBLEMS:
            found.append(finding)
    if outside > len(found):
        found.append(
            Problem(f"and {outside - len(found)} more members scheduled outside the window", None, address)
        )
    policy.report(address, found, ctx)


def _outside(
    address: str,
    member: DesiredMember,
    schedule: MemberSchedule,
    zones: MemberZones,
    policy: DesiredCallingPolicy,
    ctx: PlanContext,
) -> Problem | None:
    """Why the member's schedule is outside the window in one of its zones (None: inside in every one, or its
    zone is unknown, which member_zones refuses)."""
    relative = isinstance(schedule, RelativeSchedule)
    for zone in zones.scheduled.get(member.customer_id, ()):
        local_zone = ZoneInfo(zone)
        when = schedule.resolve(ctx.now, local_zone) if isinstance(schedule, RelativeSchedule) else schedule
        written = str(schedule) if relative else when.isoformat()
        local = when.astimezone(local_zone)
        hours = zones.hours.get(zone, policy.hours)
        if hours.allows_on(local.date(), local.hour * 60 + local.minute):
            continue
        return Problem(
            f"member {member.customer_id} is scheduled for {local:%a} {clock(local.hour * 60 + local.minute)} "
            f"in {zone} ({written}), outside {policy.address} ({hours.describe_on(local.date())} there)",
            member.location,
            address,
            f"schedule it inside the window in {zone}, or leave it unscheduled",
        )
    return None


def check_campaign_window(
    address: str, policy_address: str | None, zones: MemberZones | None, campaign: int, ctx: PlanContext
) -> None:
    """Refuse (or report) a campaign whose daily window, in its own zone, leaves the policy's window in a zone of
    its members."""
    policy = None if policy_address is None else ctx.desired.get(policy_address)
    info = _campaign(campaign, ctx)
    if not isinstance(policy, DesiredCallingPolicy) or zones is None or info is None or info.daily is None:
        return
    start, end, posix = info.daily
    span, own = (_minute(start), _minute(end)), posix_zone(posix)
    where = ctx.desired.get(address)
    location = None if where is None else where.at("spec.campaign")
    if span[0] is None or span[1] is None or span[1] <= span[0] or own is None:
        finding = Problem(
            f"campaign {campaign}'s daily window ({shown(start)}-{shown(end)} {shown(posix)}) cannot be read, so it "
            f"cannot be proved inside {policy.address}",
            location,
            address,
            "check the campaign's daily times and time zone in CC Configuration Manager",
        )
        policy.report(address, [finding], ctx)
        return
    daily = TodPolicyValue(
        f"campaign {campaign}", own, False, (TodRule(frozenset(range(7)), span=(span[0], span[1])),)
    )
    findings = []
    for zone, hours in zones.zone_hours():
        found = breach(daily, zone, hours.week, ctx.now.date())
        if found is None:
            continue
        findings.append(
            Problem(
                f"campaign {campaign} dials daily {start}-{end} {posix} ({own}), which {found.describe()} in {zone}; "
                f"{policy.address} allows {hours.describe()} there",
                location,
                address,
                f"set the campaign's daily window in CC Configuration Manager inside the policy's window in {zone}",
            )
        )
    _holidays_note(address, campaign, policy, [zone for zone, _ in zones.zone_hours()], ctx)
    policy.report(address, findings, ctx)


def _holidays_note(
    address: str, campaign: int, policy: DesiredCallingPolicy, zones: list[str], ctx: PlanContext
) -> None:
    """A campaign's daily window cannot leave out dates, so it is proved against the weekly hours only; the plan
    says so while the policy has a holiday ahead in a zone of its members, and names the next one."""
    if not zones:
        return
    today = min(ctx.now.astimezone(ZoneInfo(zone)).date() for zone in zones)
    ahead = [day for day in policy.hours.holidays if day >= today]
    if not ahead:
        return
    where = ", ".join(zones)
    message = (
        f"campaign {campaign}'s daily window applies on every date: it cannot leave out the holidays of "
        f"{policy.address} in {where} (next: {policy.hours.describe_on(min(ahead))}); schedules are held to them, "
        "but members without a schedule are dialled on a holiday unless the campaign is paused in CC that day"
    )
    ctx.observations.append(Observation(address, "info", message))


_DIALS = frozenset({CampaignState.RUNNING, CampaignState.PAUSED, CampaignState.PURGED})
"""The states in which a member added is queued and called (a paused campaign still dials what it has queued)."""


def attach_gates(
    address: str, policy_address: str | None, zones: MemberZones | None, campaign: int, ctx: PlanContext
) -> None:
    """Put the clock gate (every zone of the members, with the policy's hours there) on the writes that start
    dialling them now: the campaign's start, when the plan moves it through Running, and the membership's adds
    without a schedule, when the campaign dials as they are added (members change after a start, before a stop)."""
    policy = None if policy_address is None else ctx.desired.get(policy_address)
    if not isinstance(policy, DesiredCallingPolicy) or zones is None or not zones.hours:
        return
    gate = Gate(policy.address, zones.zone_hours(), policy.refuses)
    info = _campaign(campaign, ctx)
    state = None if info is None else state_of(info.status)
    for change in ctx.changes:
        moving = change.work
        if isinstance(moving, CampaignWork) and moving.campaign == campaign and moving.before_stop:
            state = moving.before_stop[-1]
    for position, change in enumerate(ctx.changes):
        work = change.work
        if (
            isinstance(work, CampaignWork) and work.campaign == campaign and CampaignState.RUNNING in work.way
        ) or (
            change.address == address
            and isinstance(work, MemberWork)
            and (state is None or state in _DIALS)
            and any(member.schedule is None for member in work.adds)
        ):
            ctx.changes[position] = replace(change, work=replace(work, gate=_joined(work.gate, gate)))


def _joined(first: Gate | None, second: Gate) -> Gate:
    """One gate for two policies' zones (two memberships of one campaign): closed when either is."""
    if first is None:
        return second
    policies = first.policy if first.policy == second.policy else f"{first.policy} and {second.policy}"
    return Gate(policies, first.zones + second.zones, first.refuses or second.refuses)


_POSIX = re.compile(r"^([A-Za-z]{3,})([+-]?)([0-9]{1,2})([A-Za-z]{3,})?$")


def posix_zone(text: str) -> str | None:
    """An IANA zone for a POSIX-style zone as the campaign read gives it: the name itself when tzdata has it
    (EST5EDT), else a fixed offset when the zone keeps no daylight saving (EST5EST, EST5 -> Etc/GMT+5; POSIX
    counts hours west of Greenwich, as Etc/ does); None when it cannot be told (a daylight-saving zone tzdata
    lacks)."""
    if text in iana_zones():
        return text
    found = _POSIX.fullmatch(text.strip())
    if found is None or (found[4] is not None and found[4] != found[1]):
        return None
    hours = int(found[3])
    if hours > 12:
        return None
    return "Etc/GMT" if hours == 0 else f"Etc/GMT{'-' if found[2] == '-' else '+'}{hours}"


def _minute(text: str) -> int | None:
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not all(part.isdigit() and len(part) == 2 for part in parts):
        return None
    value = int(parts[0]) * 60 + int(parts[1])
    return value if 0 <= value <= MINUTES else None


def _campaign(campaign: int, ctx: PlanContext) -> CampaignInfo | None:
    """The campaign as planning read it (once per plan); None when it cannot be read (the membership's own
    planning reports that)."""
    provider = ctx.target.contact_center
    if provider is None:
        return None
    try:
        return ctx.reads.get(("cc", "campaign", campaign), lambda: provider.campaign(campaign))
    except ApiError:
        return None
