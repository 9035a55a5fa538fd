"""The change vocabulary: what a plan says will happen, as small immutable values with a total order.

A Change says what happens to one resource. Small resources (a dataset) carry field-level before/after values.
Row-level resources (record sets, memberships) can change millions of rows, so their Change carries counts per
action, per-field counts and a bounded sample, while the work itself (which keys, which ids) sits in `work`,
which apply uses and the plan file never holds. This module imports nothing but the standard library: kinds,
the planner, apply and the renderers all speak it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class Action(StrEnum):
    CREATE = "+"
    UPDATE = "~"
    REMOVE = "-"
    REPLACE = "-/+"
    IRREVERSIBLE = "!"


class Phase(IntEnum):
    """The order of apply (DESIGN.md section 4): every apply step is tagged with one, and steps run in phase
    order. A change is shown at the phase of its first step."""

    OUTCOME_CODES = 5  # outcome codes created and updated, before any record is completed with one
    TOD_POLICIES = 6  # time-of-day policies and their rules, before a queue is pointed at one
    QUEUES = 7  # queue settings (time-of-day policy, caller ID), before records on them can go LIVE
    DATASET = 10  # create (on HOLD), attribute updates, LIVE -> HOLD
    RECORDS = 20  # record creates, updates and completes, while the dataset is on HOLD
    CAMPAIGN = 24  # CC campaign status moves short of a stop: a campaign runs before members are added
    MEMBERS = 25  # CC removals, then adds
    CAMPAIGN_STOP = 27  # CC campaigns stop (final), once their members are removed
    GO_LIVE = 30  # HOLD -> LIVE, once the records are in
    EXPIRE = 40  # -> EXPIRED, last

    @property
    def label(self) -> str:
        """What the phase does, for the plan document's description."""
        return _PHASE_LABELS[self]


_PHASE_LABELS = {
    Phase.OUTCOME_CODES: "outcome codes",
    Phase.TOD_POLICIES: "time-of-day policies",
    Phase.QUEUES: "queues",
    Phase.DATASET: "datasets",
    Phase.RECORDS: "records",
    Phase.CAMPAIGN: "CC campaign status",
    Phase.MEMBERS: "CC members",
    Phase.CAMPAIGN_STOP: "CC campaigns stop",
    Phase.GO_LIVE: "datasets go LIVE",
    Phase.EXPIRE: "EXPIRED",
}


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


class Work:
    """What apply needs to carry out a change, beyond what the plan shows. Each kind defines its own (a
    subclass); only that kind reads it. It is never written to a plan file: apply re-derives it by planning
    again and checking that the result is the same plan."""


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
    unit: str = ""
    """What `counts` count ("records", "members"); empty for a change without row counts."""
    tally: Mapping[str, int] = field(default_factory=dict)
    """What this change adds to the plan's summary of rows: how many to "create", to "change" and to "remove"
    (empty for a change without rows: it counts as a resource only)."""
    work: Work | None = field(default=None, compare=False, repr=False)

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
    group: str = ""
    """Where several observations of one kind are told as counts (an unmanaged dataset's "Willtest, LIVE"),
    the group this one counts in; empty when each is told on its own."""
