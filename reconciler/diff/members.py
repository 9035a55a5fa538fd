"""The campaign-membership diff. Streams live members once; holds one small entry per desired member.

The CC API reports a member's status but not its schedule time, so what can be compared is whether a member is
scheduled. A member that should be scheduled but sits unscheduled (or the reverse) is rescheduled: removed,
then added again, the only way the API allows. Relative schedules apply only when a member is added.
Members the dialler has accepted or completed cannot be removed: the plan reports them instead of failing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from ..concurrency import Prefetch
from ..errors import Problem
from ..model.calling.gate import Gate
from ..model.schedules import RelativeSchedule
from ..model.state import DesiredMember, LiveMember, LiveMembers, MemberSource, MemberStatus
from ..plan.changes import Action, Change, FieldChange, Observation, Phase, RowSample, Work
from .records import SAMPLE_SIZE

if TYPE_CHECKING:
    import polars as pl

SCHEDULE_HORIZON = timedelta(days=7)
_NONE, _ABSOLUTE, _RELATIVE = 0, 1, 2
"""What kind of schedule a desired member has (the `kind` column)."""
_BATCH = 100_000
_HASH_SLICE = 1_000_000


class MembershipInput(Protocol):
    """What the diff reads of a membership's desired state (the CampaignMembership kind's DesiredMembership)."""

    @property
    def address(self) -> str: ...

    @property
    def campaign(self) -> int: ...

    @property
    def source(self) -> MemberSource: ...

    @property
    def remove_absent(self) -> bool: ...


@dataclass(frozen=True)
class MemberWork(Work):
    campaign: int
    removes: tuple[str, ...] = ()
    adds: tuple[DesiredMember, ...] = ()
    """Members to add (reschedules are both removed and added). Schedules are resolved at plan time, but `local`
    ones."""
    resolved: Mapping[str, datetime] = field(default_factory=dict)
    local: Mapping[str, str] = field(default_factory=dict)
    """The zone of each member added with a `local` schedule ("+1d 09:00 local"): it is resolved in that zone
    from the clock at the moment of the write, never from the plan's time."""
    gate: Gate | None = None
    """The clock gate on the members added without a schedule, set when the campaign dials as they are added:
    they are called at once, so they are added only while every zone of the members is inside the CallingPolicy's
    window (checked at the moment of the write)."""


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
    desired: MembershipInput,
    live: Iterable[LiveMember] | Iterable[LiveMembers],
    *,
    now: datetime,
    window: CampaignWindow,
    sample_size: int = SAMPLE_SIZE,
    zones: Mapping[str, str] | None = None,
) -> MemberDiff:
    """`zones`: the one zone of each member with a `local` schedule (a member without one is left unscheduled
    here; the membership's zone check refuses it)."""
    import polars as pl

    items: Iterator[LiveMember | LiveMembers] = iter(live)
    reading = Prefetch(items, ahead=4, name="live-members")
    try:
        wanted = _wanted(desired)
        table = _live_table(reading)
    finally:
        reading.close()
    joined = table.with_row_index("seq").join(wanted.frame, on="id", how="left", maintain_order="left")
    matched = pl.col("row").is_not_null()
    status = pl.col("status")
    kind = pl.col("kind")
    live_rows = table.height
    statuses = {
        MemberStatus(str(code)).label: count
        for code, count in table.group_by("status").len().iter_rows()
        if count
    }
    absent = joined.filter(~matched)
    unmanaged = absent.height
    removes: list[str] = []
    stuck_absent: dict[str, int] = {}
    if desired.remove_absent:
        removable = [int(code.value) for code in MemberStatus if code.removable]
        removes = absent.filter(status.is_in(removable)).get_column("id").to_list()
        for code, count in absent.filter(~status.is_in(removable)).group_by("status").len().iter_rows():
            stuck_absent[MemberStatus(str(code)).label] = count
    new, scheduled = int(MemberStatus.NEW.value), int(MemberStatus.SCHEDULED.value)
    reschedule = (
        matched
        & (kind != _RELATIVE)
        & status.is_in([new, scheduled])
        & ((kind != _NONE) != (status == scheduled))
    )
    marked = joined.select("id", "status", reschedule.alias("reschedule"))
    live_hash = hashlib.sha256()
    for offset in range(0, marked.height, _HASH_SLICE):
        part = marked.slice(offset, _HASH_SLICE)
        text = part.select(
            pl.concat_str(
                pl.col("id"),
                pl.lit("\x1e"),
                pl.when(pl.col("reschedule"))
                .then(pl.concat_str(pl.col("id"), pl.lit(":"), status.cast(pl.String), pl.lit("\x1d")))
                .otherwise(pl.lit("")),
            ).str.join("")
        ).item()
        live_hash.update(text.encode())
    del marked
    moved = joined.filter(reschedule).select("row", "status").rows()
    reschedules = [wanted.member(row) for row, _code in moved]
    was_scheduled = {
        member.customer_id: code == scheduled for member, (_row, code) in zip(reschedules, moved, strict=True)
    }
    present = table.get_column("id")
    adds = [
        wanted.member(row)
        for row in wanted.frame.filter(~pl.col("id").is_in(present.implode())).get_column("row").to_list()
    ]
    del joined, absent, table, present

    problems: list[Problem] = []
    resolved: dict[str, datetime] = {}
    local: dict[str, str] = {}
    for target in (*adds, *reschedules):
        schedule = target.schedule
        if isinstance(schedule, RelativeSchedule) and schedule.local:
            zone = (zones or {}).get(target.customer_id)
            if zone is None:
                continue
            local[target.customer_id] = zone
            # Checked as it resolves at the plan's time; apply resolves it again at the write.
            problem = _check_schedule(desired, target, schedule.resolve(now, ZoneInfo(zone)), now, window)
            if problem is not None:
                problems.append(problem)
            continue
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
                    else (FieldChange("schedule", None, _local_text(member, local)),)
                    if member.customer_id in local
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
            local=local,
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
    for customer, zone in sorted(local.items()):
        live_hash.update(f"{customer}@local@{zone}".encode())
    return MemberDiff(change, tuple(observations), tuple(problems), live_hash.hexdigest()[:32], live_rows)


@dataclass(frozen=True)
class _Wanted:
    """The desired members as one table (`id`, `kind` of schedule, `row` to build the member from), in
    source order, one row per customer id (a repeated id keeps its first place and its last value)."""

    frame: pl.DataFrame
    member: Callable[[int], DesiredMember]


def _kind(schedule: object) -> int:
    if schedule is None:
        return _NONE
    return _RELATIVE if isinstance(schedule, RelativeSchedule) else _ABSOLUTE


def _wanted(desired: MembershipInput) -> _Wanted:
    import polars as pl

    schema = pl.Schema({"id": pl.String, "kind": pl.UInt8, "row": pl.Int64})
    read = desired.source.frame()
    build = desired.source.frame_member
    if read is not None:
        ids, texts, lines = (read.get_column(name) for name in read.columns[:3])
        del read
        written = {text: _kind(build(0, "", text).schedule) for text in texts.unique().to_list() if text}
        kinds = texts.replace_strict({"": _NONE, **written}, return_dtype=pl.UInt8)
        table = pl.DataFrame({"id": ids, "kind": kinds}).with_row_index("row").cast(schema)

        def member(row: int) -> DesiredMember:
            return build(lines[row], ids[row], texts[row])

        return _Wanted(table.select("id", "kind", "row"), member)
    members: list[DesiredMember] = []
    parts: list[pl.DataFrame] = []
    chunk: list[DesiredMember] = []
    for desired_member in desired.source.iter_members():
        chunk.append(desired_member)
        if len(chunk) >= _BATCH:
            parts.append(_members_frame(chunk, len(members), schema))
            members.extend(chunk)
            chunk = []
    parts.append(_members_frame(chunk, len(members), schema))
    members.extend(chunk)
    table = pl.concat(parts)
    if table.get_column("id").is_duplicated().any():
        table = table.group_by("id", maintain_order=True).agg(pl.col("kind").last(), pl.col("row").last())
    return _Wanted(table, members.__getitem__)


def _members_frame(chunk: list[DesiredMember], first: int, schema: pl.Schema) -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(
        {
            "id": [member.customer_id for member in chunk],
            "kind": [_kind(member.schedule) for member in chunk],
            "row": range(first, first + len(chunk)),
        },
        schema=schema,
    )


def _live_table(live: Iterator[LiveMember | LiveMembers]) -> pl.DataFrame:
    """The live members in the order read: `id` (text) and `status` (the MemberStatus code)."""
    import polars as pl

    schema = {"id": pl.String, "status": pl.UInt8}
    parts: list[pl.DataFrame] = []
    ids: list[str] = []
    codes: list[int] = []
    for item in live:
        if isinstance(item, LiveMembers):
            if ids:
                parts.append(pl.DataFrame({"id": ids, "status": codes}, schema=schema))
                ids, codes = [], []
            parts.append(pl.DataFrame({"id": item.customer_ids, "status": item.statuses}, schema=schema))
            continue
        ids.append(item.customer_id)
        codes.append(int(item.status.value))
        if len(ids) >= _BATCH:
            parts.append(pl.DataFrame({"id": ids, "status": codes}, schema=schema))
            ids, codes = [], []
    parts.append(pl.DataFrame({"id": ids, "status": codes}, schema=schema))
    return pl.concat(parts)


def _resolve(member: DesiredMember, now: datetime) -> datetime | None:
    if member.schedule is None:
        return None
    if isinstance(member.schedule, RelativeSchedule):
        return member.schedule.resolve(now)
    return member.schedule


def _check_schedule(
    desired: MembershipInput, member: DesiredMember, when: datetime, now: datetime, window: CampaignWindow
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


def _local_text(member: DesiredMember, local: Mapping[str, str]) -> str:
    """A `local` schedule as the plan shows it: as written, with the member's zone (it is resolved at the write)."""
    return f"{member.schedule} in {local[member.customer_id]}"


def _when_text(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()
