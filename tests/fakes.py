"""In-memory fakes of the provider protocols (reconciler/providers/base.py), for kind tests without HTTP.

Each fake holds a small account and records every call it receives (`calls`), so a test can assert what a kind
read and wrote, in order. They follow the contract, not the vendor: the vendor's own behaviour is the
emulator's job, tested over HTTP elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from reconciler.errors import ApiError, CampaignStateError
from reconciler.model.calling.tod import TodPolicyValue
from reconciler.model.campaign import OPERATOR_CODE, TRANSITIONS, CampaignState, state_of
from reconciler.model.state import (
    Dataset,
    LiveBatch,
    LiveMember,
    LiveMembers,
    LiveRecord,
    MemberStatus,
    SourceRecord,
    Status,
)
from reconciler.providers.base import (
    CampaignInfo,
    DatasetUpdate,
    FieldInfo,
    MemberOutcome,
    OutcomeInfo,
    OutcomeUse,
    OutcomeWrite,
    Progress,
    QueueInfo,
    RecordUpdate,
    RowFailure,
    Target,
    TodPolicyInfo,
    WriteOutcome,
)

STANDARD_FIELDS = ("VENDOR_URN", "FirstName", "LastName", "MobilePhone", "HomePhone", "Testy")


@dataclass
class FakeCatalog:
    tables_: Mapping[str, Mapping[str, FieldInfo]]
    queues_: tuple[QueueInfo, ...]
    outcomes_: Mapping[str, OutcomeInfo]

    def tables(self) -> frozenset[str]:
        return frozenset(self.tables_)

    def fields(self, table: str) -> dict[str, FieldInfo]:
        return dict(self.tables_.get(table, {}))

    def queues(self) -> tuple[QueueInfo, ...]:
        return self.queues_

    def outbound_queues(self) -> dict[int, QueueInfo]:
        return {int(queue.qid): queue for queue in self.queues_ if queue.type == "outbound"}

    def outcomes(self) -> dict[str, OutcomeInfo]:
        return dict(self.outcomes_)


@dataclass
class FakeRecord:
    id: int
    values: dict[str, str]
    process_type: str = ""
    outcome: str = ""


@dataclass
class FakeContactNow:
    """A ContactNow account: tables (Willtest with the standard fields), an outbound and an inbound queue, a
    complete and a not-complete outcome, datasets and their records."""

    tables: dict[str, dict[str, FieldInfo]] = field(
        default_factory=lambda: {
            "Willtest": {name.casefold(): FieldInfo(name, 64) for name in STANDARD_FIELDS},
        }
    )
    queues: tuple[QueueInfo, ...] = (
        QueueInfo("75674454", "outbound", "Renewals"),
        QueueInfo("829603", "inbound", "Support"),
    )
    outcomes: dict[str, OutcomeInfo] = field(
        default_factory=lambda: {
            "510456": OutcomeInfo("510456", "Completed by the reconciler", True),
            "100": OutcomeInfo("100", "Call back", False),
        }
    )
    datasets_: dict[int, Dataset] = field(default_factory=dict)
    records: dict[int, list[FakeRecord]] = field(default_factory=dict)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    """Record keys whose create or update the fake refuses."""
    system: frozenset[str] = frozenset()
    """System outcome codes: read-only."""
    use: dict[str, OutcomeUse] = field(default_factory=dict)
    """How many live records carry each outcome code (what `outcome_use` answers; none by default)."""
    renumber: bool = False
    """Whether the fake ignores the number a create asks for (as a vendor may)."""
    tod: dict[str, TodPolicyValue] = field(default_factory=dict)
    """Time-of-day policies by uid."""
    refuse_rules: bool = False
    """Whether the fake refuses every rule write (ApiError), as a vendor outage between two writes would."""

    def add_dataset(self, dataset: Dataset, rows: Sequence[Mapping[str, str]] = ()) -> Dataset:
        made = replace(dataset, id=dataset.id or len(self.datasets_) + 1)
        assert made.id is not None
        self.datasets_[made.id] = made
        first = self._next_id()
        self.records[made.id] = [
            FakeRecord(first + offset, dict(row), row.get("ProcessType", ""))
            for offset, row in enumerate(rows)
        ]
        return made

    def tod_policies(self) -> list[TodPolicyInfo]:
        self.calls.append(("tod_policies",))
        return [TodPolicyInfo(uid, policy) for uid, policy in sorted(self.tod.items())]

    def create_tod_policy(self, want: TodPolicyValue) -> str:
        uid = str(len(self.tod) + 1)
        self.calls.append(("create_tod_policy", want.description))
        self.tod[uid] = replace(want, rules=())
        return uid

    def update_tod_policy(self, uid: str, want: TodPolicyValue) -> None:
        self.calls.append(("update_tod_policy", uid))
        self.tod[uid] = replace(want, rules=self.tod[uid].rules)

    def write_tod_rules(self, uid: str, want: TodPolicyValue, live: TodPolicyValue | None) -> None:
        self.calls.append(("write_tod_rules", uid, len(want.rules)))
        if self.refuse_rules:
            raise ApiError("the rules of time-of-day policy 1 were not all written: Invalid time [24:00]")
        self.tod[uid] = replace(self.tod[uid], rules=want.rules)

    def update_queue(self, qid: int, *, tod: str | None = None, callerid: str | None = None) -> None:
        self.calls.append(("update_queue", qid, tod, callerid))
        self.queues = tuple(
            replace(
                queue,
                tod=queue.tod if tod is None else tod,
                callerid=queue.callerid if callerid is None else callerid,
            )
            if queue.qid == str(qid)
            else queue
            for queue in self.queues
        )

    def _next_id(self) -> int:
        return 1 + sum(len(rows) for rows in self.records.values())

    # ------------------------------------------------------------------------------------------ reads

    def catalog(self) -> FakeCatalog:
        self.calls.append(("catalog",))
        return FakeCatalog(self.tables, self.queues, self.outcomes)

    def datasets(self, tables: Iterable[str]) -> list[Dataset]:
        wanted = sorted(set(tables))
        self.calls.append(("datasets", tuple(wanted)))
        return [item for _, item in sorted(self.datasets_.items()) if item.campaign in wanted]

    def iter_records(self, dataset_id: int, key: str, fields: Sequence[str]) -> Iterator[LiveRecord]:
        self.calls.append(("records", dataset_id))
        for row in self.records.get(dataset_id, []):
            yield LiveRecord(
                row.id,
                row.values.get(key, ""),
                {name: row.values.get(name, "") for name in fields},
                row.process_type,
                row.outcome,
            )

    def iter_record_batches(self, dataset_id: int, key: str, fields: Sequence[str]) -> Iterator[LiveBatch]:
        records = list(self.iter_records(dataset_id, key, fields))
        if records:
            yield LiveBatch.of(records, fields)

    def system_outcomes(self) -> frozenset[str]:
        self.calls.append(("system_outcomes",))
        return self.system

    def outcome_use(self, outcome: str) -> OutcomeUse:
        self.calls.append(("outcome_use", outcome))
        return self.use.get(outcome, OutcomeUse(0, sum(len(rows) for rows in self.records.values())))

    # ----------------------------------------------------------------------------------------- writes

    def create_outcome(self, outcome: str | None, values: OutcomeWrite) -> str:
        number = str(max(int(code) for code in self.outcomes) + 1)
        if outcome is not None and not self.renumber:
            number = outcome
        self.calls.append(("create_outcome", outcome, values))
        self.outcomes[number] = _outcome(OutcomeInfo(number, "", False), values)
        return number

    def update_outcome(self, outcome: str, values: OutcomeWrite) -> None:
        self.calls.append(("update_outcome", outcome, values))
        assert outcome not in self.system, "the kind must never update a system code"
        self.outcomes[outcome] = _outcome(self.outcomes[outcome], values)

    def create_dataset(self, want: Dataset) -> int:
        made = self.add_dataset(replace(want, id=None, status=Status.HOLD, queue=0, priority=0))
        assert made.id is not None
        self.calls.append(("create_dataset", want.campaign, want.description, made.id))
        return made.id

    def update_dataset(self, dataset_id: int, update: DatasetUpdate) -> None:
        self.calls.append(("update_dataset", dataset_id, update))
        current = self.datasets_[dataset_id]
        self.datasets_[dataset_id] = replace(
            current,
            description=update.description or current.description,
            queue=current.queue if update.queue is None else update.queue,
            priority=current.priority if update.priority is None else update.priority,
            status=update.status or current.status,
        )

    def create_records(
        self, dataset_id: int, key: str, records: Iterable[SourceRecord], *, progress: Progress | None = None
    ) -> WriteOutcome:
        outcome = WriteOutcome()
        rows = list(records)
        self.calls.append(("create_records", dataset_id, tuple(record.key for record in rows)))
        for record in rows:
            if record.key in self.refuse:
                outcome.fail([RowFailure(record.key, "refused by the fake")])
                continue
            values = {key: record.key, **record.values}
            self.records.setdefault(dataset_id, []).append(FakeRecord(self._next_id(), values))
            outcome.count(1, progress)
        return outcome

    def update_records(
        self, dataset_id: int, updates: Iterable[RecordUpdate], *, progress: Progress | None = None
    ) -> WriteOutcome:
        outcome = WriteOutcome()
        items = list(updates)
        self.calls.append(
            ("update_records", dataset_id, tuple((item.key, dict(item.values)) for item in items))
        )
        by_id = {row.id: row for row in self.records.get(dataset_id, [])}
        for item in items:
            if item.key in self.refuse:
                outcome.fail([RowFailure(item.key, "refused by the fake")])
                continue
            by_id[item.record_id].values.update(item.values)
            outcome.count(1, progress)
        return outcome

    def complete_records(
        self, dataset_id: int, record_ids: Sequence[int], outcome: str, *, progress: Progress | None = None
    ) -> WriteOutcome:
        result = WriteOutcome()
        self.calls.append(("complete_records", dataset_id, tuple(record_ids), outcome))
        by_id = {row.id: row for row in self.records.get(dataset_id, [])}
        for record_id in record_ids:
            by_id[record_id].process_type, by_id[record_id].outcome = "COMPLETE", outcome
            result.count(1, progress)
        return result


def _outcome(code: OutcomeInfo, values: OutcomeWrite) -> OutcomeInfo:
    return replace(code, **{name: getattr(values, name) for name in values.names()})


@dataclass
class FakeContactCenter:
    """A Contact Center tenant: campaigns and their members (customer id -> status). A status change follows
    the vendor's graph and sets the manual code of the state; `moves` are what the campaign does on its own:
    before status change number N (from 1), `moves[N]` is the code it moves to first."""

    campaigns: dict[int, CampaignInfo] = field(
        default_factory=lambda: {125: CampaignInfo(125, "Winback", True, True, 1, None, None)}
    )
    members: dict[int, dict[str, MemberStatus]] = field(default_factory=dict)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)
    """Customers the CRM does not know: adding them fails."""
    moves: dict[int, int] = field(default_factory=dict)
    changes: int = 0

    def campaign(self, campaign_id: int) -> CampaignInfo:
        self.calls.append(("campaign", campaign_id))
        return self.campaigns[campaign_id]

    def change_status(self, campaign_id: int, state: CampaignState) -> None:
        self.changes += 1
        self.calls.append(("change_status", campaign_id, state))
        current = self.campaigns[campaign_id]
        if self.changes in self.moves:
            current = replace(current, status=self.moves[self.changes])
            self.campaigns[campaign_id] = current
        at = state_of(current.status)
        if at is None or state not in TRANSITIONS[at]:
            raise CampaignStateError("Invalid state transition", reason="invalid_transition", status=400)
        self.campaigns[campaign_id] = replace(current, status=OPERATOR_CODE[state])

    def iter_members(self, campaign_id: int) -> Iterator[LiveMember]:
        self.calls.append(("members", campaign_id))
        for customer, status in sorted(self.members.get(campaign_id, {}).items()):
            yield LiveMember(customer, status)

    def iter_member_pieces(self, campaign_id: int) -> Iterator[LiveMembers]:
        members = list(self.iter_members(campaign_id))
        yield LiveMembers(
            [item.customer_id for item in members], [int(item.status.value) for item in members]
        )

    def remove(
        self, campaign_id: int, customers: Sequence[str], *, progress: Progress | None = None
    ) -> MemberOutcome:
        self.calls.append(("remove", campaign_id, tuple(customers)))
        outcome = MemberOutcome()
        for customer in customers:
            self.members.get(campaign_id, {}).pop(customer, None)
            outcome.removed += 1
        return outcome

    def add(
        self,
        campaign_id: int,
        customers: Sequence[str],
        schedules: Mapping[str, datetime],
        *,
        progress: Progress | None = None,
    ) -> MemberOutcome:
        self.calls.append(("add", campaign_id, tuple(customers), dict(schedules)))
        outcome = MemberOutcome()
        for customer in customers:
            if customer in self.unknown:
                outcome.fail(customer, "not found in the CRM")
                continue
            status = MemberStatus.SCHEDULED if customer in schedules else MemberStatus.NEW
            self.members.setdefault(campaign_id, {})[customer] = status
            outcome.added += 1
        return outcome


def target(
    contactnow: FakeContactNow | None = None, contact_center: FakeContactCenter | None = None
) -> Target:
    return Target("fake", contactnow, contact_center)


class Quiet:
    """A Reporter that keeps each result (and prints nothing)."""

    def __init__(self) -> None:
        self.results: list[Any] = []

    def result(self, result: Any) -> None:
        self.results.append(result)

    def progress(self, label: str, total: int) -> Any:
        from contextlib import nullcontext

        return nullcontext(lambda rows: None)
