"""Manifests -> desired state: the loaded project becomes the domain values the diff compares.

Record and member sources stay streams: a record set of millions of rows is read row by row each time the diff or
apply needs it, never held.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .errors import Location, Problem
from .manifest import Project
from .manifest.checks import check_rows
from .manifest.project import MembershipManifest, RecordSetManifest
from .manifest.rows import valid_member_frame, valid_record_frame
from .manifest.schedules import AbsoluteSchedule, parse_schedule
from .model.schedules import RelativeSchedule
from .model.state import (
    Dataset,
    DesiredDataset,
    DesiredMember,
    DesiredMembership,
    DesiredRecordSet,
    DesiredState,
    Guard,
    Policy,
    Schedule,
    SourceRecord,
    Status,
)

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class _RecordSource:
    manifest: RecordSetManifest
    key: str

    def iter_records(self) -> Iterator[SourceRecord]:
        for row in self.manifest.iter_rows():
            yield SourceRecord(row.values.get(self.key, ""), row.values, row.location)

    def check(self) -> list[Problem]:
        """Every problem of the source file's rows (inline rows are checked when the project loads)."""
        return check_rows(self.manifest) if self.manifest.source is not None else []

    def frame(self) -> pl.LazyFrame | None:
        """The managed columns as one columnar scan when the source is a large plain CSV (else None)."""
        return valid_record_frame(self.manifest.spec, self.manifest.source)

    def digest(self) -> str:
        return self.manifest.source_digest()


@dataclass(frozen=True)
class _MemberSource:
    manifest: MembershipManifest

    def iter_members(self) -> Iterator[DesiredMember]:
        for member in self.manifest.iter_members():
            yield DesiredMember(member.customer_id, _schedule(member.schedule), member.location)

    def check(self) -> list[Problem]:
        """Every problem of the source file's members (inline members are checked when the project loads)."""
        return check_rows(self.manifest) if self.manifest.source is not None else []

    def frame(self) -> pl.LazyFrame | None:
        """customer-id (and schedule, when written) of a plain CSV source whose members are all usable and
        unique, read a column at a time; else None (see valid_member_frame)."""
        return valid_member_frame(self.manifest.source)

    def frame_member(self, row: int, customer_id: str, schedule: str) -> DesiredMember:
        """The member `iter_members` gives for row `row` (0-based) of `frame()`: a plain CSV row is one line."""
        source = self.manifest.source
        assert source is not None
        when = _schedule(parse_schedule(schedule)) if schedule else None
        return DesiredMember(customer_id, when, Location(source.display, row + 2, 1))

    def digest(self) -> str:
        return self.manifest.source_digest()


def _schedule(schedule: AbsoluteSchedule | RelativeSchedule | None) -> Schedule | None:
    if isinstance(schedule, AbsoluteSchedule):
        return schedule.at
    return schedule


def _guard(default: Guard, override: object | None) -> Guard:
    if override is None:
        return default
    max_percent = getattr(override, "max_percent", None)
    min_rows = getattr(override, "min_rows", None)
    return Guard(
        default.max_percent if max_percent is None else float(max_percent),
        default.min_rows if min_rows is None else int(min_rows),
    )


def desired_state(project: Project) -> DesiredState:
    config = project.config
    default = _guard(Guard(), config.guards)
    datasets = []
    for item in project.datasets:
        spec = item.spec
        queue_name = spec.queue if isinstance(spec.queue, str) else None
        queue = spec.queue if isinstance(spec.queue, int) else 0
        want = Dataset(spec.campaign, spec.description, Status(spec.status), spec.priority, queue, spec.id)
        datasets.append(
            DesiredDataset(item.address, item.location, want, queue_name, frozenset(spec.acknowledge))
        )
    record_sets = []
    digests: dict[str, str] = {}
    for record_set in project.record_sets:
        spec_r = record_set.spec
        record_sets.append(
            DesiredRecordSet(
                record_set.address,
                record_set.location,
                f"Dataset/{spec_r.dataset}",
                spec_r.key,
                tuple(spec_r.fields),
                _RecordSource(record_set, spec_r.key),
                absent=Policy(spec_r.absent.policy, _text(spec_r.absent.outcome)),
                dedupe=Policy(spec_r.dedupe.policy, _text(spec_r.dedupe.outcome)),
                guard=_guard(default, spec_r.guards),
            )
        )
        digests[record_set.address] = record_set.source_digest()
    memberships = []
    for membership in project.memberships:
        spec_m = membership.spec
        memberships.append(
            DesiredMembership(
                membership.address,
                membership.location,
                spec_m.campaign,
                _MemberSource(membership),
                remove_absent=spec_m.absent == "remove",
                guard=_guard(default, spec_m.guards),
            )
        )
        digests[membership.address] = membership.source_digest()
    return DesiredState(tuple(datasets), tuple(record_sets), tuple(memberships), default, digests)


def restrict(desired: DesiredState, addresses: Collection[str]) -> DesiredState:
    """The part of a desired state at `addresses` (Kind/name), in manifest order; the rest is left out whole,
    source digests included, so a plan of it reads and reports nothing else."""
    keep = frozenset(addresses)
    return replace(
        desired,
        datasets=tuple(item for item in desired.datasets if item.address in keep),
        record_sets=tuple(item for item in desired.record_sets if item.address in keep),
        memberships=tuple(item for item in desired.memberships if item.address in keep),
        source_digests={key: value for key, value in desired.source_digests.items() if key in keep},
    )


def addresses(desired: DesiredState) -> tuple[str, ...]:
    """Every address the desired state holds, sorted."""
    found = [item.address for item in desired.datasets]
    found += [item.address for item in desired.record_sets]
    found += [item.address for item in desired.memberships]
    return tuple(sorted(found))


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)
