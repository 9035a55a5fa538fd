"""Calling hours where records are dialled: the plan-time proof and the apply-time gate of a RecordSet whose
dataset is dialled under a CallingPolicy (`callingPolicy` on the RecordSet, else on its Dataset).

At plan time, for the records of the source:
1. each record's zone is resolved in columns (reconciler/model/calling/zones.py), in the policy's precedence, and
   a report of it joins the plan (counts by provenance, ambiguous, unresolved, invalid, conflicts);
2. records nothing resolves are refused (`unresolved: refuse`), left out of the source the diff and apply read
   (`exclude`: they are never loaded, and count as absent), or given the declared fallback zone and window;
3. the dataset's queue's time-of-day policy (as this plan leaves it: the Queue and TodPolicy kinds publish theirs,
   else the live ones) is converted into every zone present and must lie inside the policy's window there, on every
   date of the coming year (on the policy's holidays, the local dates of each zone, only inside its holiday
   window, or not at all); a queue with no policy dials at any hour and is refused too.
A finding refuses the plan under a mandatory policy; under an advisory (or overridden) one it is reported.

The gate: when the plan moves the dataset HOLD -> LIVE, or creates records in a dataset that is LIVE, the change
carries a `Gate` (the zones and their hours); its step reads the clock at the moment of the write and defers the
write (advisory) or refuses it (mandatory) while any zone is outside its window.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from ..diff.records import RecordWork
from ..errors import Problem
from ..model.calling.gate import Gate
from ..model.calling.holidays import CallingHours
from ..model.calling.tod import TodPolicyValue, breach
from ..model.calling.zones import ZoneColumns, ZoneReport, resolve, resolved_rows
from ..model.fields import PHONE_FIELDS
from ..model.frames import columns_of
from ..model.state import SourceRecord, Status
from ..plan.changes import Observation
from ..text import shown
from .base import PlanContext
from .calling_policy import DesiredCallingPolicy
from .dataset import DatasetMatch, DatasetWork, DesiredDataset
from .queue import queue_tod
from .tod_policy import planned_tods

if TYPE_CHECKING:
    import polars as pl

    from .recordset import DesiredRecordSet

MAX_ZONE_PROBLEMS = 10
_PHONES = frozenset(name.casefold() for name in PHONE_FIELDS)


@dataclass(frozen=True)
class GatedRecordWork(RecordWork):
    """A record set's work whose creates start dialling (its dataset is LIVE): the gate its step checks first."""

    gate: Gate | None = None


@dataclass(frozen=True)
class KeptRecords:
    """A record set's source less the records whose zone nothing resolves (`unresolved: exclude`): the diff and
    apply see only the rows `keep` marks, so the others are never loaded (and count as absent)."""

    inner: Any
    """The RecordSource."""
    keep: pl.Series
    """Boolean, one per source row, in source order."""

    @property
    def excluded(self) -> int:
        return int((~self.keep).sum())

    def iter_records(self) -> Iterator[SourceRecord]:
        keep = self.keep
        for position, record in enumerate(self.inner.iter_records()):
            if keep[position]:
                yield record

    def check(self) -> list[Problem]:
        return list(self.inner.check())

    def frame(self) -> pl.DataFrame:
        frame: pl.DataFrame = self.inner.frame()
        return frame.filter(self.keep)

    def digest(self) -> str:
        return str(self.inner.digest())

    def release(self) -> None:
        release = getattr(self.inner, "release", None)
        if callable(release):
            release()


def without_unresolved(item: DesiredRecordSet, ctx: PlanContext) -> DesiredRecordSet:
    """The record set as the plan diffs it: under `unresolved: exclude`, without the records whose zone nothing
    resolves (unchanged otherwise)."""
    found = _policy(item, ctx)
    if found is None or not found[2].exclude:
        return item
    chosen = _columns(item, found[2])
    if isinstance(chosen, list):
        return item  # enforce() reports the missing columns
    keep = resolved_rows(_frame(item, _names(chosen)), chosen)
    return item if bool(keep.all()) else replace(item, source=KeptRecords(item.source, keep))


def enforce(item: DesiredRecordSet, ctx: PlanContext) -> None:
    """Prove the record set's calling hours and attach the gates (see the module)."""
    found = _policy(item, ctx)
    if found is None:
        return
    dataset, match, policy = found
    report = _zones_once(item, policy, ctx)
    if report is None:
        return
    summary = report.summary()
    if isinstance(item.source, KeptRecords):
        summary += f"; {item.source.excluded:,} excluded (no zone resolves them; unresolved: exclude)"
    ctx.observations.append(Observation(item.address, "info", f"calling hours ({policy.address}): {summary}"))
    if report.unresolved and policy.fallback is None:  # `unresolved: refuse` refuses whatever the enforcement
        rows = ", ".join(str(row + 1) for row in report.unresolved_rows)
        ctx.problems.append(
            Problem(
                f"{report.unresolved:,} records have no time zone: nothing in {', '.join(policy.columns.precedence)} "
                f"resolves them (source rows {rows}{', ...' if report.unresolved > len(report.unresolved_rows) else ''})",
                item.location,
                item.address,
                f"fill their zone, postcode or phone, or declare `unresolved: fallback` with a fallback window in "
                f"{policy.address}",
            )
        )
    zones = _zone_hours(report, policy)
    qid = _queue(dataset, match, ctx)
    problems = _prove(dataset, qid, report, zones, policy, ctx)
    policy.report(item.address, problems, ctx)
    _attach(item, dataset, match, Gate(policy.address, zones, policy.refuses), ctx)


def _policy(
    item: DesiredRecordSet, ctx: PlanContext
) -> tuple[DesiredDataset, DatasetMatch, DesiredCallingPolicy] | None:
    """The record set's dataset, what planning it found, and the CallingPolicy it is dialled under (None: none)."""
    dataset = ctx.desired.get(item.dataset_address)
    match = ctx.fact(item.dataset_address, DatasetMatch)
    if not isinstance(dataset, DesiredDataset) or match is None:
        return None
    address = item.calling_policy or dataset.calling_policy
    policy = None if address is None else ctx.desired.get(address)
    return (dataset, match, policy) if isinstance(policy, DesiredCallingPolicy) else None


def _columns(item: DesiredRecordSet, policy: DesiredCallingPolicy) -> ZoneColumns | list[str]:
    """Where this record set's zones are read from; else the columns the policy names that it does not manage."""
    columns = policy.columns
    managed = {name.casefold() for name in (item.key, *item.fields)}
    phones = columns.phones or tuple(name for name in item.fields if name.casefold() in _PHONES)
    missing = [
        name
        for name in (columns.zone, columns.postcode, *phones)
        if name is not None and name.casefold() not in managed
    ]
    return missing or ZoneColumns(columns.precedence, columns.zone, columns.postcode, phones, columns.region)


def _names(columns: ZoneColumns) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name in (columns.zone, columns.postcode, *columns.phones) if name))


def resolve_zones(item: DesiredRecordSet, ctx: PlanContext) -> None:
    """Resolve the record set's zones now, while the source's columns are kept (the diff lets go of them before
    its second pass); `enforce` uses what this found."""
    found = _policy(item, ctx)
    if found is not None:
        _zones_once(item, found[2], ctx)


def _zones_once(item: DesiredRecordSet, policy: DesiredCallingPolicy, ctx: PlanContext) -> ZoneReport | None:
    return ctx.reads.get(("calling-zones", item.address), lambda: _zones(item, policy, ctx))


def _zones(item: DesiredRecordSet, policy: DesiredCallingPolicy, ctx: PlanContext) -> ZoneReport | None:
    """Resolve the records' zones (None, with a problem, when the policy names a column the set does not
    manage)."""
    chosen = _columns(item, policy)
    if isinstance(chosen, list):
        missing = ", ".join(chosen)
        ctx.problems.append(
            Problem(
                f"{policy.address} reads the zone from {missing}, which {item.address} does not manage",
                policy.at("spec.zones"),
                item.address,
                f"add {missing} to the fields of {item.address}, or name fields it manages in spec.zones",
            )
        )
        return None
    fallback = None if policy.fallback is None else policy.fallback[0]
    return resolve(_frame(item, _names(chosen)), chosen, fallback)


def _frame(item: DesiredRecordSet, names: Sequence[str]) -> pl.DataFrame:
    """The columns `names` (managed fields, checked before) of every source row as text, from the source's frame:
    its one columnar pass, or its rows."""

    source: pl.DataFrame = item.source.frame()
    present = {name.casefold(): name for name in source.columns}
    return columns_of(source, {present[name.casefold()]: name for name in names})


def _zone_hours(report: ZoneReport, policy: DesiredCallingPolicy) -> tuple[tuple[str, CallingHours], ...]:
    """Each zone present with the hours allowed there (the fallback's hours in its zone too: conservative)."""
    found = []
    for zone in report.zones():
        hours = policy.hours
        if policy.fallback is not None and zone == policy.fallback[0]:
            hours = policy.fallback[1]
        found.append((zone, hours))
    return tuple(found)


def _queue(dataset: DesiredDataset, match: DatasetMatch, ctx: PlanContext) -> int:
    """The qid the dataset will be on: the manifest's (by qid, or by name), else the live one (0: none)."""
    if dataset.want.queue:
        return dataset.want.queue
    provider = ctx.target.contactnow
    if dataset.queue_name is not None and provider is not None:
        catalog = ctx.reads.get(("contactnow", "catalog"), provider.catalog)
        named = [
            qid for qid, queue in catalog.outbound_queues().items() if queue.description == dataset.queue_name
        ]
        return named[0] if len(named) == 1 else 0
    return 0 if match.live is None else match.live.queue


def _prove(
    dataset: DesiredDataset,
    qid: int,
    report: ZoneReport,
    zones: Sequence[tuple[str, CallingHours]],
    policy: DesiredCallingPolicy,
    ctx: PlanContext,
) -> list[Problem]:
    where = dataset.at("spec.queue")
    remedy = (
        f"point queue {qid} at a TodPolicy whose hours lie inside {policy.address} in every zone of these records "
        "(a Queue document's todPolicy), or put the records on a queue whose policy does"
    )
    total = report.zones()
    if not zones:
        return []
    if not qid:
        return [
            Problem(
                f"{sum(total.values()):,} records are dialled under {policy.address}, but {dataset.address} names no "
                "queue, so no time-of-day policy can be proved",
                where,
                dataset.address,
                "give spec.queue",
            )
        ]
    tod = _tod(qid, ctx)
    if tod is None:
        return [
            Problem(
                f"{sum(total.values()):,} records are on queue {qid}, which has no time-of-day policy: it dials at "
                f"any hour, outside {policy.address}",
                where,
                dataset.address,
                remedy,
            )
        ]
    problems = []
    start = ctx.now.date()
    for zone, hours in zones:
        found = breach(tod, zone, hours, start)
        if found is None:
            continue
        # The date is said only when the breach waits for a later day (a change of daylight saving, a dated
        # rule): a plan made the next day then still says the same thing. A holiday's breach names its date.
        when = "" if (found.day - start).days <= 7 or found.holiday else f" from {found.day:%a %Y-%m-%d}"
        allows = (
            f"{hours.describe()} there"
            if found.holiday is None
            else f"{hours.on_holidays(found.day)} there on holidays"
        )
        problems.append(
            Problem(
                f"{total[zone]:,} records in {zone} are on queue {qid}, whose policy '{shown(tod.description)}' "
                f"({tod.describe()}) {found.describe()}{when}; {policy.address} allows {allows}",
                where,
                dataset.address,
                remedy if found.holiday is None else _holiday_remedy(qid, found.day),
            )
        )
    if len(problems) > MAX_ZONE_PROBLEMS:
        more = len(problems) - MAX_ZONE_PROBLEMS
        problems = problems[:MAX_ZONE_PROBLEMS]
        problems.append(Problem(f"and {more} more zones", where, dataset.address, remedy))
    return problems


def _holiday_remedy(qid: int, day: date) -> str:
    return (
        f"give queue {qid}'s TodPolicy a rule `date: {day:%Y-%m-%d}, action: inactive` (in its own zone; only "
        "outside the holiday window when the policy has one), with default: active and its hours written as "
        "inactive rules: the proof trusts an inactive rule only where no active rule covers the same time"
    )


def _tod(qid: int, ctx: PlanContext) -> TodPolicyValue | None:
    """The time-of-day policy the queue will dial under (None: none, or one that cannot be found)."""
    tod = queue_tod(qid, ctx)
    if tod is None or tod in {"", "0"}:
        return None
    planned = planned_tods(ctx)
    if tod in planned.by_address:
        return planned.by_address[tod][1]
    return planned.by_uid.get(tod)


def _attach(
    item: DesiredRecordSet, dataset: DesiredDataset, match: DatasetMatch, gate: Gate, ctx: PlanContext
) -> None:
    """Put the gate on the changes that start dialling: the dataset's move to LIVE, and the record set's creates
    while the dataset is LIVE."""
    for position, change in enumerate(ctx.changes):
        work: Any = change.work
        if change.address == dataset.address and isinstance(work, DatasetWork):
            live = work.live
            if work.desired.status is Status.LIVE and (live is None or live.status is not Status.LIVE):
                ctx.changes[position] = replace(change, work=replace(work, gate=gate))
        elif (
            change.address == item.address
            and isinstance(work, RecordWork)
            and work.create_keys
            and match.live is not None
            and match.live.status is Status.LIVE
            and dataset.want.status is Status.LIVE
        ):
            values = {spec.name: getattr(work, spec.name) for spec in fields(RecordWork)}
            ctx.changes[position] = replace(change, work=GatedRecordWork(**values, gate=gate))
