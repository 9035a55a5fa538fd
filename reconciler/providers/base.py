"""The provider contract: a target, the narrow protocols the kinds call, and the values that cross them.

A provider reads live state for what a kind asks and turns a kind's intent into API calls. It owns the wire
mapping in both directions (wire.py of each API holds the read rows and the write payloads), so nothing above
this line knows a vendor's field names. Kinds, the planner, apply and export import this module, never a
concrete provider; only targets.py builds one.

The protocols are deliberately small: adding a kind that needs a new call adds one method here and its
implementation in the provider, nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ..model.calling.tod import TodPolicyValue
from ..model.campaign import CampaignState
from ..model.state import Dataset, LiveBatch, LiveMember, LiveMembers, LiveRecord, SourceRecord, Status

Progress = Callable[[int], None]
"""Told how many more rows a write has done."""

# ------------------------------------------------------------------------------------------- ContactNow


@dataclass(frozen=True)
class FieldInfo:
    """A field of a campaign table: its name as ContactNow spells it, how many characters it holds (0: no
    limit given), its type as the vendor names it, and its position in the table."""

    name: str
    size: int = 0
    type: str = ""
    position: int = 0


@dataclass(frozen=True)
class QueueInfo:
    qid: str
    type: str
    description: str
    callerid: str = ""
    tod: str = ""
    """The uid of its time-of-day policy; "" (or "0") when it has none and dials at any time."""


@dataclass(frozen=True)
class TodPolicyInfo:
    """A live time-of-day policy: its uid and what it says (its rules in rule-number order, from 1)."""

    uid: str
    policy: TodPolicyValue
    complete: bool = True
    """False when a rule could not be read as one (an unknown weekday, a time that is not HH:MM)."""


@dataclass(frozen=True)
class OutcomeInfo:
    """An outcome code and its flags (ContactNow spells them Y/N; an answerphone of "0" is N)."""

    outcome: str
    description: str
    complete: bool
    do_not_call: bool = False
    dmc: bool = False
    sale: bool = False
    answerphone: bool = False


class _Partial:
    """A write that sets some fields of an object and leaves the others (None) as they are."""

    def names(self) -> list[str]:
        """The fields set, sorted."""
        return sorted(name for name, value in vars(self).items() if value is not None)


@dataclass(frozen=True)
class OutcomeWrite(_Partial):
    """What an outcome code create or update sets (None: left as it is, or the vendor's default)."""

    description: str | None = None
    complete: bool | None = None
    do_not_call: bool | None = None
    dmc: bool | None = None
    sale: bool | None = None
    answerphone: bool | None = None


@dataclass(frozen=True)
class OutcomeUse:
    """How many of the account's live (not EXPIRED) records carry an outcome code, of how many."""

    records: int
    of: int


class Catalog(Protocol):
    """The ContactNow account facts a plan checks manifests against. Each is read at most once per catalog."""

    def tables(self) -> frozenset[str]: ...

    def fields(self, table: str) -> dict[str, FieldInfo]:
        """Fields of a table by case-folded name (the API matches field names without regard to case)."""
        ...

    def queues(self) -> tuple[QueueInfo, ...]: ...

    def outbound_queues(self) -> dict[int, QueueInfo]:
        """Real outbound queues by qid."""
        ...

    def outcomes(self) -> dict[str, OutcomeInfo]: ...


@dataclass(frozen=True)
class DatasetUpdate(_Partial):
    """The dataset fields one update sets (None: left as it is)."""

    description: str | None = None
    queue: int | None = None
    priority: int | None = None
    status: Status | None = None


@dataclass(frozen=True)
class RecordUpdate:
    """One record to update: its key (for messages), its live id, and the managed values to set."""

    key: str
    record_id: int
    values: Mapping[str, str]


@dataclass
class RowFailure:
    """A row the vendor refused for good, named by its record key (never by personal values)."""

    key: str
    reason: str


@dataclass
class WriteOutcome:
    """What a batched write achieved."""

    written: int = 0
    failures: list[RowFailure] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    """Keys still in doubt after every re-read and re-send."""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, rows: int, progress: Progress | None) -> None:
        with self.lock:
            self.written += rows
        if progress and rows:
            progress(rows)

    def fail(self, failures: Iterable[RowFailure]) -> None:
        with self.lock:
            self.failures.extend(failures)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.unresolved


class ContactNowApi(Protocol):
    """What the ContactNow kinds read and write."""

    def catalog(self) -> Catalog: ...

    def datasets(self, tables: Iterable[str]) -> list[Dataset]:
        """Every live dataset of these campaign tables, by id."""
        ...

    def iter_records(self, dataset_id: int, key: str, fields: Sequence[str]) -> Iterator[LiveRecord]: ...

    def iter_record_batches(self, dataset_id: int, key: str, fields: Sequence[str]) -> Iterator[LiveBatch]:
        """The records of `iter_records`, a page at a time as columns (what a diff of millions reads)."""
        ...

    def create_dataset(self, want: Dataset) -> int:
        """Create a dataset (it starts on HOLD) and return its id; safe against an ambiguous create."""
        ...

    def update_dataset(self, dataset_id: int, update: DatasetUpdate) -> None: ...

    def create_records(
        self, dataset_id: int, key: str, records: Iterable[SourceRecord], *, progress: Progress | None = None
    ) -> WriteOutcome:
        """Create records; a create that may have been stored is settled by re-reading by key."""
        ...

    def update_records(
        self, dataset_id: int, updates: Iterable[RecordUpdate], *, progress: Progress | None = None
    ) -> WriteOutcome: ...

    def complete_records(
        self, dataset_id: int, record_ids: Sequence[int], outcome: str, *, progress: Progress | None = None
    ) -> WriteOutcome:
        """Set a complete outcome code on records, by id (refusals are named `#<id>`)."""
        ...

    def system_outcomes(self) -> frozenset[str]:
        """The account's system outcome codes, which cannot be updated."""
        ...

    def create_outcome(self, outcome: str | None, values: OutcomeWrite) -> str:
        """Create an outcome code (numbered `outcome` when given) and return its number; safe against an
        ambiguous create."""
        ...

    def update_outcome(self, outcome: str, values: OutcomeWrite) -> None: ...

    def outcome_use(self, outcome: str) -> OutcomeUse:
        """How many live records of every campaign table carry the code."""
        ...

    def tod_policies(self) -> list[TodPolicyInfo]:
        """Every time-of-day policy with its rules, by uid."""
        ...

    def create_tod_policy(self, want: TodPolicyValue) -> str:
        """Create a policy without rules and return its uid, found by re-reading it by description (safe
        against an ambiguous create)."""
        ...

    def update_tod_policy(self, uid: str, want: TodPolicyValue) -> None:
        """Set a policy's description, zone and default action (its rules are written apart)."""
        ...

    def write_tod_rules(self, uid: str, want: TodPolicyValue, live: TodPolicyValue | None) -> None:
        """Make the policy's rules those of `want`: create the missing numbers, update those that differ, and
        neutralise any live rule beyond them (there is no delete); then re-read them by policy (creates
        answer no key) and raise ApiError unless they are as asked."""
        ...

    def update_queue(self, qid: int, *, tod: str | None = None, callerid: str | None = None) -> None:
        """Point a queue at a time-of-day policy ("0": none) and/or set its caller ID."""
        ...


# --------------------------------------------------------------------------------------- Contact Center


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    name: str
    dynamic: bool
    enabled: bool
    status: int
    start: datetime | None
    end: datetime | None
    caller_id: str | None = None
    """The number it presents; None when the read did not say."""
    daily: tuple[str, str, str] | None = None
    """(daily-start-time, daily-end-time, timezone) as the read gives them; None when it did not say."""


@dataclass
class MemberFailure:
    """A member the vendor refused for good (applying again repeats the refusal)."""

    customer_id: str
    reason: str


@dataclass
class MemberOutcome:
    added: int = 0
    removed: int = 0
    failures: list[MemberFailure] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    """Customer ids that failed transiently on every attempt: another apply may get them through."""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.unresolved

    def fail(self, customer_id: str, reason: str) -> None:
        with self.lock:
            self.failures.append(MemberFailure(customer_id, reason))


class ContactCenterApi(Protocol):
    """What the Contact Center kinds read and write."""

    def campaign(self, campaign_id: int) -> CampaignInfo:
        """The campaign; ApiError with status 404 when it does not exist."""
        ...

    def change_status(self, campaign_id: int, state: CampaignState) -> None:
        """Ask the campaign to move to `state`; CampaignStateError (reason `invalid_transition`) when the vendor
        refuses the move from the state it is in."""
        ...

    def iter_members(self, campaign_id: int) -> Iterator[LiveMember]: ...

    def iter_member_pieces(self, campaign_id: int) -> Iterator[LiveMembers]:
        """The live members a piece of the body at a time, as columns."""
        ...

    def remove(
        self, campaign_id: int, customers: Sequence[str], *, progress: Progress | None = None
    ) -> MemberOutcome: ...

    def add(
        self,
        campaign_id: int,
        customers: Sequence[str],
        schedules: Mapping[str, datetime],
        *,
        progress: Progress | None = None,
    ) -> MemberOutcome: ...


# ----------------------------------------------------------------------------------------------- target


@dataclass(frozen=True)
class Target:
    """A connected target: its name and a provider per API it manages (None where it has none)."""

    name: str
    contactnow: ContactNowApi | None = None
    contact_center: ContactCenterApi | None = None
