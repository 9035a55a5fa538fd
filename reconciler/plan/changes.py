"""The change vocabulary: what a plan says will happen, as small immutable values with a total order.

A Change says what happens to one resource. Datasets carry field-level before/after values. Record sets and
memberships can change millions of rows, so their Change carries counts per action, per-field counts and a
bounded sample, while the work itself (which keys, which ids) sits in `work`, which apply uses and the plan
file never holds: apply re-derives it by planning again and checking that the result is the same plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum

from ..model.state import Dataset, DesiredMember


class Action(StrEnum):
    CREATE = "+"
    UPDATE = "~"
    REMOVE = "-"
    REPLACE = "-/+"
    IRREVERSIBLE = "!"


class Phase(IntEnum):
    """The order of apply (DESIGN.md section 4). A change is shown at the phase of its first step."""

    DATASET = 10  # create (on HOLD), attribute updates, LIVE -> HOLD
    RECORDS = 20  # record creates, updates and completes, while the dataset is on HOLD
    MEMBERS = 25  # CC removals, then adds
    GO_LIVE = 30  # HOLD -> LIVE, once the records are in
    EXPIRE = 40  # -> EXPIRED, last


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class RowSample:
    """One row of a bounded sample: a record key or a customer id, its action, and what changes."""

    key: str
    action: Action
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class RecordWork:
    """What apply does to a record set. Payloads are not held: apply streams them from the source."""

    dataset_address: str
    dataset_id: int | None = None
    """The live dataset's id; None when apply creates the dataset first."""
    create_keys: frozenset[str] = frozenset()
    updates: Mapping[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    """key -> (live record id, the managed fields that differ)."""
    complete_ids: tuple[int, ...] = ()
    complete_outcome: str | None = None
    dedupe_ids: tuple[int, ...] = ()
    dedupe_outcome: str | None = None


@dataclass(frozen=True)
class MemberWork:
    campaign: int
    removes: tuple[str, ...] = ()
    adds: tuple[DesiredMember, ...] = ()
    """Members to add (reschedules are both removed and added). Schedules are resolved at plan time."""
    resolved: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetWork:
    desired: Dataset
    live: Dataset | None


@dataclass(frozen=True)
class Change:
    """One resource's change. `counts` and `sample` describe row-level changes of record sets and memberships."""

    action: Action
    address: str
    phase: Phase
    fields: tuple[FieldChange, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    field_counts: Mapping[str, int] = field(default_factory=dict)
    sample: tuple[RowSample, ...] = ()
    notes: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    work: DatasetWork | RecordWork | MemberWork | None = field(default=None, compare=False, repr=False)

    @property
    def kind(self) -> str:
        return self.address.split("/", 1)[0]

    def sort_key(self) -> tuple[int, str]:
        return (int(self.phase), self.address)


@dataclass(frozen=True)
class Observation:
    """Something the plan saw that is not a change: unmanaged objects, dialler churn, members that cannot move."""

    address: str
    category: str  # "unmanaged" | "churn" | "not-removable" | "duplicates" | "info"
    message: str
    counts: Mapping[str, int] = field(default_factory=dict)
