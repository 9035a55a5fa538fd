"""Immutable domain values that manifests, providers and the diff engines share.

Desired state (from manifests) and live state (from providers) share them. Datasets are small and held whole.
Record sets and memberships can hold millions of rows, so their rows are streamed, never held, by the diff.
Each kind's desired state (which fields, which policies) lives in its kind module, reconciler/kinds/.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from ..errors import Location, Problem
from .schedules import RelativeSchedule

if TYPE_CHECKING:
    import polars as pl


class Status(StrEnum):
    HOLD = "HOLD"
    LIVE = "LIVE"
    EXPIRED = "EXPIRED"


class GuardOverride(Protocol):
    """What a manifest may set of a guard (None: keep the value it overrides)."""

    @property
    def max_percent(self) -> float | None: ...

    @property
    def min_rows(self) -> int | None: ...


@dataclass(frozen=True)
class Guard:
    """Mass-change threshold: refuse to change more than `max_percent` of a set of at least `min_rows` rows."""

    max_percent: float = 30.0
    min_rows: int = 10

    def merged(self, override: GuardOverride | None) -> Guard:
        """This guard, with the values an override sets replacing its own."""
        if override is None:
            return self
        return Guard(
            self.max_percent if override.max_percent is None else float(override.max_percent),
            self.min_rows if override.min_rows is None else int(override.min_rows),
        )


@dataclass(frozen=True)
class Dataset:
    """A ContactNow dataset. `queue` is a qid once resolved (0 = no queue)."""

    campaign: str
    description: str
    status: Status = Status.HOLD
    priority: int = 0
    queue: int = 0
    id: int | None = None

    def managed(self) -> dict[str, object]:
        return {
            "campaign": self.campaign,
            "description": self.description,
            "queue": self.queue,
            "status": self.status.value,
            "priority": self.priority,
        }


@dataclass(frozen=True)
class SourceRecord:
    """One desired record: its key value and the managed values exactly as the source wrote them."""

    key: str
    values: Mapping[str, str]
    location: Location


class RecordSource(Protocol):
    """Where a record set's desired rows come from. Streams; never holds every row."""

    def iter_records(self) -> Iterator[SourceRecord]: ...

    def check(self) -> list[Problem]:
        """Every problem of the source's rows (duplicate keys included); [] when they were checked already."""
        ...

    def frame(self) -> pl.DataFrame:
        """The key and managed columns, every value text, in one frame (other columns, such as the line each
        row starts on, may follow): from one columnar pass over a source file when it allows it, else from the
        rows. Row n of the frame is the n-th record `iter_records` gives."""
        ...

    def digest(self) -> str: ...


@dataclass(frozen=True)
class Policy:
    """What to do with live records that the source does not have (absent) or has twice (dedupe)."""

    action: str = "ignore"  # ignore | report | complete
    outcome: str | None = None


@dataclass(frozen=True)
class LiveRecord:
    """One live ContactNow record, reduced to what the diff needs."""

    id: int
    key: str
    values: Mapping[str, str]
    process_type: str = ""
    outcome: str = ""

    @property
    def closed(self) -> bool:
        """Completed or expired: off the dialler, nothing left to complete."""
        return self.process_type in {"COMPLETE", "EXPIRED"}


MemberSchedule = datetime | RelativeSchedule
"""When a member should be called: a moment, or relative to the day it is added."""


@dataclass(frozen=True)
class LiveBatch:
    """Live records of one page as a polars frame: what the record-set diff reads when a dataset holds millions.

    Columns: `id` (Int64), `key`, then `v0` ... one per managed field in the diff's field order, `process_type`
    and `outcome` (all String, "" where a record has no value).
    """

    frame: pl.DataFrame

    def __len__(self) -> int:
        return self.frame.height

    @classmethod
    def of(cls, records: Sequence[LiveRecord], fields: Sequence[str]) -> LiveBatch:
        """The batch holding `records` (a field a record lacks counts as empty)."""
        import polars as pl

        text = {
            "key": [record.key for record in records],
            **{
                f"v{i}": [record.values.get(name) or "" for record in records]
                for i, name in enumerate(fields)
            },
            "process_type": [record.process_type for record in records],
            "outcome": [record.outcome for record in records],
        }
        ids = pl.Series("id", [record.id for record in records], dtype=pl.Int64)
        return cls(
            pl.DataFrame([ids, *(pl.Series(name, column, dtype=pl.String) for name, column in text.items())])
        )


@dataclass(frozen=True)
class DesiredMember:
    customer_id: str
    schedule: MemberSchedule | None
    location: Location


class MemberSource(Protocol):
    """Where a membership's desired members come from. Streams; never holds every member."""

    def iter_members(self) -> Iterator[DesiredMember]: ...

    def check(self) -> list[Problem]:
        """Every problem of the source's members (duplicates included); [] when they were checked already."""
        ...

    def frame(self) -> pl.DataFrame | None:
        """`customer-id`, `schedule` ("" when not written) and the line each member starts on (a UInt32 third
        column), read in one columnar pass when the source allows it, else None (then `iter_members`)."""
        ...

    def frame_member(self, line: int, customer_id: str, schedule: str) -> DesiredMember:
        """The member `iter_members` gives for the row of `frame()` that starts on `line`."""
        ...

    def digest(self) -> str: ...


class MemberStatus(StrEnum):
    NEW = "0"
    QUEUED = "1"
    ACCEPTED = "2"
    COMPLETED = "3"
    SCHEDULED = "4"

    @property
    def removable(self) -> bool:
        return self in {MemberStatus.NEW, MemberStatus.QUEUED, MemberStatus.SCHEDULED}

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class LiveMember:
    customer_id: str
    status: MemberStatus


@dataclass(frozen=True)
class LiveMembers:
    """Consecutive live members as two columns (what a read of millions hands on): customer ids, and the
    MemberStatus of each as its code (0-4)."""

    customer_ids: list[str]
    statuses: list[int]
