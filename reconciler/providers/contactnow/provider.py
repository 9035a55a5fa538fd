"""ContactNow v2, behind the provider contract (providers/base.py): wire rows <-> domain values, and how a
kind's intent becomes batched, concurrent API calls.

Creates are not idempotent in ContactNow: posting the same rows twice makes two records. So a create that may
have reached the server (timeout, reset, 5xx after send) is never re-sent blindly. Its keys are put "in doubt";
once the consistency window has passed (reads may lag writes), the dataset is re-read by key and only the
keys still missing are sent again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from ...concurrency import batches, run_bounded
from ...errors import AmbiguousWriteError, ApiError
from ...model.calling.tod import NEUTRAL, TodPolicyValue, TodRule
from ...model.state import Dataset, LiveBatch, LiveRecord, SourceRecord, Status
from ..base import (
    Catalog,
    DatasetUpdate,
    FieldInfo,
    OutcomeInfo,
    OutcomeUse,
    OutcomeWrite,
    Progress,
    QueueInfo,
    RecordUpdate,
    RowFailure,
    TodPolicyInfo,
    WriteOutcome,
)
from ..writes import BATCH_LIMIT, FATAL, StopGate
from .client import ContactNowClient
from .wire import (
    CampaignField,
    WireDataset,
    WireOutcome,
    WireTodPolicy,
    WireTodRule,
    dataset_create_row,
    dataset_update_row,
    is_yes,
    outcome_code_row,
    queue_update_row,
    record_complete_values,
    record_create_row,
    record_update_row,
    tod_policy_row,
    tod_rule_days,
    tod_rule_row,
    tod_rule_span,
)

if TYPE_CHECKING:
    import polars as pl

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

NOT_REAL_QUEUES = frozenset({"999", "505050"})
"""qid 999 is a deleted queue and 505050 the default PBX queue: neither is a real queue."""


class _Catalog:
    """The account facts, each read on first use and kept for the life of the catalog (one plan)."""

    def __init__(self, client: ContactNowClient) -> None:
        self._client = client
        self._tables: frozenset[str] | None = None
        self._fields: dict[str, dict[str, FieldInfo]] = {}
        self._queues: tuple[QueueInfo, ...] | None = None
        self._outcomes: dict[str, OutcomeInfo] | None = None

    def tables(self) -> frozenset[str]:
        if self._tables is None:
            self._tables = frozenset(self._client.campaign_tables())
        return self._tables

    def fields(self, table: str) -> dict[str, FieldInfo]:
        if table not in self.tables():
            return {}
        if table not in self._fields:
            self._fields[table] = {
                row.name.casefold(): field_from_wire(row) for row in self._client.campaign_fields(table)
            }
        return self._fields[table]

    def queues(self) -> tuple[QueueInfo, ...]:
        if self._queues is None:
            self._queues = tuple(
                QueueInfo(row.qid, row.type, row.description, row.callerid, row.tod)
                for row in self._client.queues()
            )
        return self._queues

    def outbound_queues(self) -> dict[int, QueueInfo]:
        return {
            int(queue.qid): queue
            for queue in self.queues()
            if queue.type == "outbound" and queue.qid not in NOT_REAL_QUEUES and queue.qid.isdigit()
        }

    def outcomes(self) -> dict[str, OutcomeInfo]:
        if self._outcomes is None:
            self._outcomes = {row.outcome: outcome_from_wire(row) for row in self._client.outcome_codes()}
        return self._outcomes


def field_from_wire(row: CampaignField) -> FieldInfo:
    size, position = row.size.strip(), row.position.strip()
    return FieldInfo(
        row.name,
        int(size) if size.isdigit() else 0,
        row.type,
        int(position) if position.isdigit() else 0,
    )


def outcome_from_wire(row: WireOutcome) -> OutcomeInfo:
    return OutcomeInfo(
        row.outcome,
        row.description,
        complete=is_yes(row.complete),
        do_not_call=is_yes(row.do_not_call),
        dmc=is_yes(row.dmc),
        sale=is_yes(row.sale),
        answerphone=is_yes(row.answerphone),
    )


def _outcome_row(outcome: str | None, values: OutcomeWrite) -> dict[str, str]:
    flags = {
        name: getattr(values, name) for name in ("complete", "do_not_call", "dmc", "sale", "answerphone")
    }
    return outcome_code_row(outcome, flags, values.description)


def dataset_from_wire(row: WireDataset) -> Dataset:
    table = row.import_table or row.campaign
    return Dataset(
        campaign=table,
        description=row.description,
        status=Status(row.d_status) if row.d_status in Status.__members__ else Status.HOLD,
        priority=int(row.d_priority or 0),
        queue=int(row.qid or 0),
        id=int(row.dataset),
    )


class ContactNowProvider:
    """Reads live ContactNow state and turns changes into batched, concurrent API calls."""

    def __init__(
        self,
        client: ContactNowClient,
        *,
        workers: int = 4,
        batch_size: int | None = None,
        consistency_window: float = 3.0,
        resend_rounds: int = 8,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.workers = max(1, workers)
        self.batch_size = min(batch_size or BATCH_LIMIT, BATCH_LIMIT)
        self.consistency_window = consistency_window
        self.resend_rounds = resend_rounds
        self._sleep = sleep
        self._clock = clock

    # ------------------------------------------------------------------------------------------ reading

    def catalog(self) -> Catalog:
        """The account's tables, fields, queues and outcome codes, each read when first asked for."""
        return _Catalog(self.client)

    def datasets(self, tables: Iterable[str]) -> list[Dataset]:
        found: dict[int, Dataset] = {}
        for table in sorted(set(tables)):
            for row in self.client.datasets(table=table):
                dataset = dataset_from_wire(row)
                if dataset.id is not None:
                    found[dataset.id] = dataset
        return [found[key] for key in sorted(found)]

    def iter_records(self, dataset_id: int, key: str, fields: Sequence[str]) -> Iterator[LiveRecord]:
        """Live records of a dataset, reduced to the key, the managed fields and the dialler's view."""
        for row in self.client.iter_records(dataset=dataset_id):
            folded = _fold(row)
            yield LiveRecord(
                id=int(folded.get("id", "0") or 0),
                key=folded.get(key.casefold(), ""),
                values={name: folded.get(name.casefold(), "") for name in fields},
                process_type=folded.get("processtype", ""),
                outcome=folded.get("outcomecode", ""),
            )

    def iter_record_batches(self, dataset_id: int, key: str, fields: Sequence[str]) -> Iterator[LiveBatch]:
        """The same records as `iter_records`, a page at a time as columns (what the diff of millions reads)."""
        wanted = ["id", key, *fields, "ProcessType", "outcomecode"]
        names: dict[str, str] = {}
        for name in wanted:
            names.setdefault(name.casefold(), name)
        spelled = list(names.values())
        at = {folded: spelled[position] for position, folded in enumerate(names)}
        for frame in self.client.iter_record_frames(spelled, dataset=dataset_id):
            import polars as pl  # once the request is out: the service prepares its answer meanwhile

            batch = frame.select(
                _record_ids(pl.col(at["id"])),
                pl.col(at[key.casefold()]).alias("key"),
                *(pl.col(at[name.casefold()]).alias(f"v{i}") for i, name in enumerate(fields)),
                pl.col(at["processtype"]).alias("process_type"),
                pl.col(at["outcomecode"]).alias("outcome"),
            )
            if batch.get_column("id").null_count():
                raise ApiError("ContactNow answered a record whose id is not a number")
            yield LiveBatch(batch)

    # ------------------------------------------------------------------------------------------ datasets

    def create_dataset(self, want: Dataset) -> int:
        """Create a dataset (it starts on HOLD) and return its id. Safe against an ambiguous create."""
        before = {row.dataset for row in self._same_description(want)}
        try:
            result = self.client.create_datasets([dataset_create_row(want.campaign, want.description)])
        except AmbiguousWriteError:
            logger.warning("dataset create may or may not have been stored; re-reading before any retry")
            created = self._await_created(lambda: self._new_dataset(want, before))
            if created is not None:
                return created
            result = self.client.create_datasets([dataset_create_row(want.campaign, want.description)])
        if result.bad or not result.total:
            raise ApiError(f"dataset was not created: {result.error or 'the API refused the row'}")
        after = [row for row in self._same_description(want) if row.dataset not in before]
        if len(after) == 1:
            return int(after[0].dataset)
        if result.key and result.key.isdigit():
            return int(result.key)
        raise ApiError("dataset create succeeded but the new dataset could not be found by re-reading it")

    def _same_description(self, want: Dataset) -> list[WireDataset]:
        rows = self.client.datasets(table=want.campaign, description=want.description)
        return [row for row in rows if row.description == want.description]

    def _new_dataset(self, want: Dataset, before: set[str]) -> int | None:
        fresh = [row for row in self._same_description(want) if row.dataset not in before]
        return int(min(fresh, key=lambda row: int(row.dataset)).dataset) if fresh else None

    def _await_created(self, find: Callable[[], _T | None]) -> _T | None:
        """What `find` finds of a create whose answer was lost, re-reading until the consistency window has
        passed; None when it never shows (it was not stored, and may be sent again)."""
        deadline = self._clock() + self.consistency_window
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - self._clock()
            if remaining <= 0:
                return None
            self._sleep(min(0.5, remaining))

    def update_dataset(self, dataset_id: int, update: DatasetUpdate) -> None:
        row = dataset_update_row(
            dataset_id,
            description=update.description,
            queue=update.queue,
            priority=update.priority,
            status=None if update.status is None else update.status.value,
        )
        result = self.client.update_datasets([row])
        if result.bad or not result.total:
            if self._already(dataset_id, update):
                # An update whose answer was lost is sent again by the HTTP layer; when the first one was
                # stored, the second can be refused because of it (a dataset already EXPIRED can never be
                # updated). The live dataset says whether the goal is reached.
                logger.info("dataset %d update was refused, but the dataset is already as asked", dataset_id)
                return
            raise ApiError(
                f"dataset {dataset_id} was not updated: {result.error or 'the API refused the row'}"
            )

    def _already(self, dataset_id: int, update: DatasetUpdate) -> bool:
        """True when the live dataset already holds every value of `update`."""
        rows = [row for row in self.client.datasets(dataset=dataset_id) if row.dataset == str(dataset_id)]
        if len(rows) != 1:
            return False
        live = dataset_from_wire(rows[0])
        wanted = {
            "description": (update.description, live.description),
            "queue": (update.queue, live.queue),
            "priority": (update.priority, live.priority),
            "status": (update.status, live.status),
        }
        return all(want is None or want == have for want, have in wanted.values())

    # ------------------------------------------------------------------------------------- outcome codes

    def system_outcomes(self) -> frozenset[str]:
        return frozenset(row.outcome for row in self.client.outcome_codes(system=True))

    def create_outcome(self, outcome: str | None, values: OutcomeWrite) -> str:
        """Create an outcome code; a create whose answer was lost is settled by re-reading the codes, and sent
        again only when the code is not there. The number is the one re-read (the vendor may not keep the one
        asked for), else the answer's `key`."""
        before = {row.outcome for row in self.client.outcome_codes()}
        row = _outcome_row(outcome, values)
        try:
            result = self.client.create_outcome_codes([row])
        except AmbiguousWriteError:
            logger.warning("outcome code create may or may not have been stored; re-reading before any retry")
            created = self._await_created(lambda: self._new_outcome(outcome, values, before))
            if created is not None:
                return created
            result = self.client.create_outcome_codes([row])
        if result.bad or not result.total:
            raise ApiError(f"outcome code was not created: {result.error or 'the API refused the row'}")
        found = self._new_outcome(outcome, values, before)
        if found is not None:
            return found
        if result.key and result.key.isdigit():
            return result.key
        raise ApiError("outcome code create succeeded but the new code could not be found by re-reading it")

    def _new_outcome(self, outcome: str | None, values: OutcomeWrite, before: set[str]) -> str | None:
        """The code a create made: the one numbered `outcome` when that was asked for and is new, else the one
        new code with the description (the lowest, if several)."""
        fresh = [row for row in self.client.outcome_codes() if row.outcome not in before]
        if outcome is not None and any(row.outcome == outcome for row in fresh):
            return outcome
        same = sorted(
            int(row.outcome)
            for row in fresh
            if row.description == values.description and row.outcome.isdigit()
        )
        return str(same[0]) if same else None

    def update_outcome(self, outcome: str, values: OutcomeWrite) -> None:
        result = self.client.update_outcome_codes([_outcome_row(outcome, values)])
        if result.bad or not result.total:
            live = next((row for row in self.client.outcome_codes() if row.outcome == outcome), None)
            if live is not None and _holds(outcome_from_wire(live), values):
                # An update whose answer was lost is sent again by the HTTP layer; the code says whether the
                # goal is reached.
                logger.info("outcome code %s update was refused, but the code is already as asked", outcome)
                return
            raise ApiError(
                f"outcome code {outcome} was not updated: {result.error or 'the API refused the row'}"
            )

    def outcome_use(self, outcome: str) -> OutcomeUse:
        """Live (not EXPIRED) records carrying the code, and all live records, over every campaign table: two
        counting reads per table (the record read needs a table)."""
        records = total = 0
        for table in sorted(set(self.client.campaign_tables())):
            in_table = self.client.count_records(table=table, unexpired=True)
            total += in_table
            if in_table:
                records += self.client.count_records(table=table, outcome=outcome, unexpired=True)
        return OutcomeUse(records, total)

    # ------------------------------------------------------------------------------------- time of day

    def tod_policies(self) -> list[TodPolicyInfo]:
        rules: dict[str, list[WireTodRule]] = {}
        for row in self.client.tod_rules():
            rules.setdefault(row.policy, []).append(row)
        return [
            _tod_from_wire(row, rules.get(row.uid, []))
            for row in sorted(self.client.tod_policies(), key=lambda row: _number(row.uid))
        ]

    def create_tod_policy(self, want: TodPolicyValue) -> str:
        """Create a policy (no rules yet); its uid is the one new policy with the description, re-read."""
        before = {row.uid for row in self.client.tod_policies()}
        row = tod_policy_row(None, want.description, want.zone, want.default_active)
        try:
            result = self.client.create_tod_policies([row])
        except AmbiguousWriteError:
            logger.warning("time-of-day policy create may or may not have been stored; re-reading first")
            created = self._await_created(lambda: self._new_policy(want, before))
            if created is not None:
                return created
            result = self.client.create_tod_policies([row])
        if result.bad or not result.total:
            raise ApiError(f"time-of-day policy was not created: {result.error or 'the API refused the row'}")
        found = self._new_policy(want, before)
        if found is None:
            raise ApiError(
                "time-of-day policy create succeeded but the new policy could not be found by re-reading it"
            )
        return found

    def _new_policy(self, want: TodPolicyValue, before: set[str]) -> str | None:
        fresh = sorted(
            (
                row.uid
                for row in self.client.tod_policies()
                if row.uid not in before and row.description == want.description
            ),
            key=_number,
        )
        return fresh[0] if fresh else None

    def update_tod_policy(self, uid: str, want: TodPolicyValue) -> None:
        result = self.client.update_tod_policies(
            [tod_policy_row(uid, want.description, want.zone, want.default_active)]
        )
        if result.bad or not result.total:
            raise ApiError(
                f"time-of-day policy {uid} was not updated: {result.error or 'the API refused the row'}"
            )

    def write_tod_rules(self, uid: str, want: TodPolicyValue, live: TodPolicyValue | None) -> None:
        have = list(live.rules) if live is not None else []
        wanted = list(want.rules) + [NEUTRAL] * max(0, len(have) - len(want.rules))
        creates = [
            _rule_row(uid, number, rule) for number, rule in enumerate(wanted, 1) if number > len(have)
        ]
        updates = [
            _rule_row(uid, number, rule)
            for number, rule in enumerate(wanted, 1)
            if number <= len(have) and have[number - 1] != rule
        ]
        errors = []
        for rows, write in ((updates, self.client.update_tod_rules), (creates, self.client.create_tod_rules)):
            if rows:
                result = write(rows)
                if result.bad or not result.total:
                    errors.append(result.error or "the API refused a row")
        found = _tod_from_wire(
            WireTodPolicy(uid, want.description),
            [row for row in self.client.tod_rules(uid) if row.policy == uid],
        )
        if list(found.policy.rules) != wanted:
            reason = "; ".join(errors) or "the rules read back differ from those written"
            raise ApiError(f"the rules of time-of-day policy {uid} were not all written: {reason}")

    def update_queue(self, qid: int, *, tod: str | None = None, callerid: str | None = None) -> None:
        result = self.client.update_queues([queue_update_row(qid, tod=tod, callerid=callerid)])
        if result.bad or not result.total:
            raise ApiError(f"queue {qid} was not updated: {result.error or 'the API refused the row'}")

    # ------------------------------------------------------------------------------------------- records

    def create_records(
        self,
        dataset_id: int,
        key: str,
        records: Iterable[SourceRecord],
        *,
        progress: Progress | None = None,
    ) -> WriteOutcome:
        """Create records in batches, several at once. In-doubt batches are settled by re-reading by key.

        A batch whose answer was lost (AmbiguousWriteError) and a batch with refused rows (`bad > 0`, which
        does not say which rows) are both "in doubt": once the consistency window has passed since the last
        doubt arose, the dataset is re-read and only the keys still missing are sent again (lost batches in
        batches, partial ones row by row so that each refusal is known by its key). A failure that retries
        could not get past (service down, rate limit beyond the cap, credentials) stops the writes and is
        raised; the next run re-reads and finishes the job.
        """
        outcome = WriteOutcome()
        doubt = _Doubt(self._clock)
        gate = StopGate()

        def rows_of(batch: Sequence[SourceRecord]) -> list[dict[str, str]]:
            return [record_create_row(dataset_id, key, record.key, record.values) for record in batch]

        def send(rows: list[dict[str, str]]) -> None:
            if gate.closed:
                return
            keys = [row[key] for row in rows]
            try:
                result = self.client.create_records(rows)
            except AmbiguousWriteError:
                doubt.add(keys, rows, single=False)
                return
            except FATAL as error:
                gate.close(error)
                return
            except ApiError as error:
                outcome.fail(RowFailure(item, error.message) for item in keys)
                return
            if result.bad and len(rows) == 1:
                outcome.fail([RowFailure(keys[0], result.error or "refused by the API")])
                return
            if result.bad:
                # Some rows were stored, some refused, and the answer does not say which: settle by key.
                doubt.add(keys, rows, single=True)
                return
            outcome.count(result.total, progress)

        run_bounded(
            (rows_of(batch) for batch in batches(records, self.batch_size)),
            send,
            workers=self.workers,
            name="create",
        )
        gate.raise_if_closed()
        for round_number in range(self.resend_rounds + 1):
            if not doubt:
                break
            self._await_consistency(doubt.last)
            stored = self._existing_keys(dataset_id, key, doubt.keys())
            doubt.take(stored)
            outcome.count(len(stored), progress)
            if not doubt or round_number == self.resend_rounds:
                break
            grouped, singles = doubt.drain()
            logger.info(
                "%d created records were not found after an ambiguous answer; sending them again",
                len(grouped) + len(singles),
            )
            run_bounded(
                [*batches(grouped, self.batch_size), *([row] for row in singles)],
                send,
                workers=self.workers,
                name="create-again",
            )
            gate.raise_if_closed()
        outcome.unresolved.extend(sorted(doubt.keys()))
        return outcome

    def _await_consistency(self, since: float) -> None:
        """Wait until reads show every write made up to `since` (the configured consistency window)."""
        wait = since + self.consistency_window - self._clock()
        if wait > 0:
            logger.info("waiting %.1f s for reads to catch up before re-reading by key", wait)
            self._sleep(wait)

    def _existing_keys(self, dataset_id: int, key: str, wanted: Iterable[str]) -> set[str]:
        wanted_set = set(wanted)
        folded_key = key.casefold()
        found: set[str] = set()
        for row in self.client.iter_records(dataset=dataset_id):
            value = _fold(row).get(folded_key, "")
            if value in wanted_set:
                found.add(value)
        return found

    def update_records(
        self, dataset_id: int, updates: Iterable[RecordUpdate], *, progress: Progress | None = None
    ) -> WriteOutcome:
        """Update records by id. Updates are idempotent (retried by the HTTP layer), so a batch with refused
        rows is sent again row by row to learn which rows fail and why. A failure that retries could not get
        past stops the writes and is raised."""
        rows = ((item.key, record_update_row(dataset_id, item.record_id, item.values)) for item in updates)
        return self._update(rows, progress)

    def complete_records(
        self, dataset_id: int, record_ids: Sequence[int], outcome: str, *, progress: Progress | None = None
    ) -> WriteOutcome:
        """Complete records by id with `outcome`; a refused one is named `#<id>`."""
        values = record_complete_values(outcome)
        rows = (
            (f"#{record_id}", record_update_row(dataset_id, record_id, values)) for record_id in record_ids
        )
        return self._update(rows, progress)

    def _update(self, rows: Iterable[tuple[str, dict[str, str]]], progress: Progress | None) -> WriteOutcome:
        """Send update rows, (name for messages, wire row), in batches, several at once."""
        outcome = WriteOutcome()
        gate = StopGate()

        def send(batch: list[tuple[str, dict[str, str]]]) -> None:
            if gate.closed:
                return
            try:
                result = self.client.update_records([row for _, row in batch])
            except FATAL as error:
                gate.close(error)
                return
            except ApiError as error:
                outcome.fail(RowFailure(item, error.message) for item, _ in batch)
                return
            if result.bad and len(batch) > 1:
                for single in batch:
                    send([single])
                return
            if result.bad:
                outcome.fail([RowFailure(batch[0][0], result.error or "refused by the API")])
                return
            outcome.count(result.total, progress)

        run_bounded(batches(rows, self.batch_size), send, workers=self.workers, name="update")
        gate.raise_if_closed()
        return outcome


class _Doubt:
    """Rows whose create may or may not have been stored, by key, and when the last doubt arose."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rows: dict[str, dict[str, str]] = {}
        self._single: set[str] = set()
        self.last = float("-inf")

    def __bool__(self) -> bool:
        return bool(self._rows)

    def add(self, keys: Sequence[str], rows: Sequence[dict[str, str]], *, single: bool) -> None:
        with self._lock:
            self.last = self._clock()
            self._rows.update(zip(keys, rows, strict=True))
            if single:
                self._single.update(keys)

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._rows)

    def take(self, keys: Iterable[str]) -> None:
        with self._lock:
            for item in keys:
                self._rows.pop(item, None)
                self._single.discard(item)

    def drain(self) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        """Empty the doubt: (rows to send in batches, rows to send one by one)."""
        with self._lock:
            grouped = [row for item, row in self._rows.items() if item not in self._single]
            singles = [row for item, row in self._rows.items() if item in self._single]
            self._rows.clear()
            self._single.clear()
            return grouped, singles


def _tod_from_wire(row: WireTodPolicy, rules: Sequence[WireTodRule]) -> TodPolicyInfo:
    """A policy and its rules (by rule number); a rule that cannot be read makes the policy incomplete, and
    is left out."""
    read: list[TodRule] = []
    complete = True
    for rule in sorted(rules, key=lambda item: _number(item.rule)):
        span, days = tod_rule_span(rule), tod_rule_days(rule)
        on = _date(rule.date)
        if span is None or days is None or (rule.date.strip() and on is None):
            complete = False
            continue
        read.append(
            TodRule(days if on is None else frozenset(), on, span, rule.action.strip().lower() == "active")
        )
    value = TodPolicyValue(
        row.description, row.timezone, row.default.strip().lower() == "active", tuple(read)
    )
    return TodPolicyInfo(row.uid, value, complete)


def _rule_row(uid: str, number: int, rule: TodRule) -> dict[str, str]:
    on = "" if rule.on is None else rule.on.isoformat()
    return tod_rule_row(uid, number, rule.days, on, rule.span, rule.active)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _holds(live: OutcomeInfo, values: OutcomeWrite) -> bool:
    """True when the live code already holds every value of `values`."""
    return all(getattr(live, name) == getattr(values, name) for name in values.names())


def _fold(row: Mapping[str, str]) -> dict[str, str]:
    return {name.casefold(): value for name, value in row.items()}


def _record_ids(text: pl.Expr) -> pl.Expr:
    """Record ids as numbers (a record without one counts as 0: it is never written to by id; null where an id
    is not a number)."""
    import polars as pl

    return pl.when(text == "").then(0).otherwise(text.cast(pl.Int64, strict=False)).alias("id")
