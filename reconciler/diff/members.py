"""The campaign-membership diff. Streams live members once; holds one small entry per desired member.

The CC API reports a member's status but not its schedule time, so what can be compared is whether a member is
scheduled. A member that should be scheduled but sits unscheduled (or the reverse) is rescheduled: removed,
then added again, the only way the API allows. Relative schedules apply only when a member is added.
Members the dialler has accepted or completed cannot be removed: the plan reports them instead of failing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import Problem
from ..model.schedules import RelativeSchedule
from ..model.state import DesiredMember, DesiredMembership, LiveMember, MemberStatus
from ..plan.changes import Action, Change, FieldChange, MemberWork, Observation, Phase, RowSample
from .records import SAMPLE_SIZE

SCHEDULE_HORIZON = timedelta(days=7)


@dataclass(frozen=True)
class CampaignWindow:
    """The live campaign facts the schedule checks need."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class MemberDiff:
    change: Change | None
    observations: tuple[Observation, ...]
    problems: tuple[Problem, ...]
    live_digest: str
    live_rows: int


def diff_members(
    desired: DesiredMembership,
    live: Iterable[LiveMember],
    *,
    now: datetime,
    window: CampaignWindow,
    sample_size: int = SAMPLE_SIZE,
) -> MemberDiff:
    wanted: dict[str, DesiredMember] = {
        member.customer_id: member for member in desired.source.iter_members()
    }
    present: set[str] = set()
    removes: list[str] = []
    reschedules: list[DesiredMember] = []
    was_scheduled: dict[str, bool] = {}
    stuck_absent: dict[str, int] = {}
    unmanaged = 0
    live_rows = 0
    live_hash = hashlib.sha256()
    statuses: dict[str, int] = {}
    for member in live:
        live_rows += 1
        statuses[member.status.label] = statuses.get(member.status.label, 0) + 1
        live_hash.update(f"{member.customer_id}\x1e".encode())
        present.add(member.customer_id)
        want = wanted.get(member.customer_id)
        if want is None:
            unmanaged += 1
            if not desired.remove_absent:
                continue
            if member.status.removable:
                removes.append(member.customer_id)
            else:
                stuck_absent[member.status.label] = stuck_absent.get(member.status.label, 0) + 1
            continue
        if isinstance(want.schedule, RelativeSchedule) or member.status not in {
            MemberStatus.NEW,
            MemberStatus.SCHEDULED,
        }:
            continue
        should_be_scheduled = want.schedule is not None
        if should_be_scheduled != (member.status is MemberStatus.SCHEDULED):
            live_hash.update(f"{member.customer_id}:{member.status.value}\x1d".encode())
            reschedules.append(want)
            was_scheduled[want.customer_id] = member.status is MemberStatus.SCHEDULED

    adds = [member for customer, member in wanted.items() if customer not in present]
    problems: list[Problem] = []
    resolved: dict[str, datetime] = {}
    for target in (*adds, *reschedules):
        when = _resolve(target, now)
        if when is None:
            continue
        problem = _check_schedule(desired, target, when, now, window)
        if problem is not None:
            problems.append(problem)
        resolved[target.customer_id] = when

    counts = {
        key: value
        for key, value in {"add": len(adds), "remove": len(removes), "reschedule": len(reschedules)}.items()
        if value
    }
    observations: list[Observation] = []
    if stuck_absent:
        detail = ", ".join(f"{count} {label}" for label, count in sorted(stuck_absent.items()))
        observations.append(
            Observation(
                desired.address,
                "not-removable",
                f"{sum(stuck_absent.values())} members are not in the manifests but the dialler has them "
                f"({detail}); the API cannot remove them, so they are left alone",
                stuck_absent,
            )
        )
    if statuses:
        described = ", ".join(f"{count} {label}" for label, count in sorted(statuses.items()))
        observations.append(
            Observation(
                desired.address, "churn", f"dialler state of {live_rows} live members: {described}", statuses
            )
        )
    if unmanaged and not desired.remove_absent:
        observations.append(
            Observation(
                desired.address,
                "unmanaged",
                f"{unmanaged} live members are not in the manifests and are left alone (absent: ignore)",
                {"members": unmanaged},
            )
        )

    change = None
    if counts:
        sample = (
            tuple(RowSample(customer, Action.REMOVE) for customer in removes[:sample_size])
            + tuple(
                RowSample(
                    member.customer_id,
                    Action.REPLACE,
                    (
                        FieldChange(
                            "schedule",
                            "scheduled" if was_scheduled[member.customer_id] else "unscheduled",
                            _when_text(resolved.get(member.customer_id)) or "unscheduled",
                        ),
                    ),
                )
                for member in reschedules[:sample_size]
            )
            + tuple(
                RowSample(
                    member.customer_id,
                    Action.CREATE,
                    (FieldChange("schedule", None, _when_text(resolved[member.customer_id])),)
                    if member.customer_id in resolved
                    else (),
                )
                for member in adds[:sample_size]
            )
        )
        work = MemberWork(
            desired.campaign,
            removes=tuple(removes) + tuple(member.customer_id for member in reschedules),
            adds=tuple(reschedules) + tuple(adds),
            resolved=resolved,
        )
        notes = ("removals run before adds; a reschedule is a removal then an add",) if reschedules else ()
        change = Change(
            Action.UPDATE,
            desired.address,
            Phase.MEMBERS,
            counts=counts,
            sample=sample,
            notes=notes,
            work=work,
        )
    for customer, when in sorted(resolved.items()):
        live_hash.update(f"{customer}@{when.isoformat()}".encode())
    return MemberDiff(change, tuple(observations), tuple(problems), live_hash.hexdigest()[:32], live_rows)


def _resolve(member: DesiredMember, now: datetime) -> datetime | None:
    if member.schedule is None:
        return None
    if isinstance(member.schedule, RelativeSchedule):
        return member.schedule.resolve(now)
    return member.schedule


def _check_schedule(
    desired: DesiredMembership, member: DesiredMember, when: datetime, now: datetime, window: CampaignWindow
) -> Problem | None:
    reason = None
    if when <= now:
        reason = f"schedule {_when_text(when)} for customer {member.customer_id} is in the past"
    elif when > now + SCHEDULE_HORIZON:
        reason = f"schedule {_when_text(when)} for customer {member.customer_id} is more than 7 days ahead"
    elif (window.start is not None and when < window.start) or (window.end is not None and when > window.end):
        reason = (
            f"schedule {_when_text(when)} for customer {member.customer_id} is outside the campaign schedule "
            f"(from {_when_text(window.start) or 'any time'} to {_when_text(window.end) or 'no end'})"
        )
    if reason is None:
        return None
    return Problem(
        reason,
        member.location,
        desired.address,
        "schedule within the next 7 days and inside the campaign's schedule, or use a relative schedule (+Nd HH:MM)",
    )


def _when_text(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()
