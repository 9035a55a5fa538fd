"""Apply a plan in the safe order (DESIGN.md section 4) and report each change's outcome.

1. Datasets: create (they start on HOLD), update attributes, and take LIVE datasets to HOLD when asked.
2. Records: creates, updates and completes, batched and concurrent, while their dataset is on HOLD.
3. CC memberships: removals, then adds.
4. Datasets go LIVE, once their records are in.
5. Datasets go EXPIRED, last.

A failed change stops its dependants (a record set whose dataset failed, a dataset whose records failed does
not go LIVE), never independent resources.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, TypeVar

from ..errors import ApplyError, ReconcilerError
from ..model.fields import is_personal
from ..model.state import Dataset, DesiredRecordSet, DesiredState, SourceRecord, Status
from ..plan.changes import Change, DatasetWork, MemberWork, Phase, RecordWork
from ..plan.plan import Plan
from ..planner import Target
from ..providers.writes import FATAL

logger = logging.getLogger(__name__)

_W = TypeVar("_W", DatasetWork, RecordWork, MemberWork)


class Outcome(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class ChangeResult:
    address: str
    outcome: Outcome
    detail: str
    failures: list[str] = field(default_factory=list)
    """One line per refused row: its key and the vendor's reason (never personal values)."""
    error: ReconcilerError | None = field(default=None, repr=False, compare=False)
    """The error that failed the change as a whole, if one did."""


@dataclass
class ApplyReport:
    results: list[ChangeResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.outcome is Outcome.APPLIED for result in self.results)

    def counts(self) -> dict[str, int]:
        counts = {outcome.value: 0 for outcome in Outcome}
        for result in self.results:
            counts[result.outcome.value] += 1
        return counts


class Reporter(Protocol):
    """How apply tells the CLI what it does. Only the CLI prints."""

    def result(self, result: ChangeResult) -> None: ...

    def progress(self, label: str, total: int) -> AbstractContextManager[Callable[[int], None]]: ...


def apply_plan(plan: Plan, desired: DesiredState, target: Target, reporter: Reporter) -> ApplyReport:
    """Apply every change in the safe order and return the report.

    A failure that retries could not get past (service down, Retry-After beyond the cap, credentials refused)
    stops the apply: the changes not yet attempted are reported as skipped and ApplyError is raised, naming
    where it stopped and why. Nothing done so far is undone, and the next run re-reads and finishes the job.
    """
    run = _Run(desired, target, reporter)
    for change in plan.changes:
        if isinstance(change.work, DatasetWork):
            run.guarded(change, run.dataset_first_step, change.work)
    for change in plan.changes:
        if isinstance(change.work, RecordWork):
            run.guarded(change, run.records, change.work)
    for change in plan.changes:
        if isinstance(change.work, MemberWork):
            run.guarded(change, run.members, change.work)
    for phase in (Status.LIVE, Status.EXPIRED):
        for change in plan.changes:
            if isinstance(change.work, DatasetWork) and change.work.desired.status is phase:
                run.guarded(change, run.dataset_status, change.work)
    if run.stopped is not None:
        address, error = run.stopped
        for pending in list(run.pending):
            run.finish(ChangeResult(pending, Outcome.SKIPPED, "not attempted: the apply stopped"))
        skipped = run.report.counts()[Outcome.SKIPPED.value]
        lines = [f"apply stopped at {address}: {error}"]
        if skipped:
            noun = "change was" if skipped == 1 else "changes were"
            lines.append(f"{skipped} other {noun} not attempted.")
        lines.append(
            "Nothing written is undone. Run apply again to finish the job: it re-reads the live state "
            "first, so nothing is created twice."
        )
        raise ApplyError("\n".join(lines))
    for address, pending in run.pending.items():
        run.finish(ChangeResult(address, Outcome.APPLIED, pending))
    return run.report


class _Run:
    def __init__(self, desired: DesiredState, target: Target, reporter: Reporter) -> None:
        self.desired = desired
        self.target = target
        self.reporter = reporter
        self.report = ApplyReport()
        self.ids: dict[str, int] = {}
        self.failed: set[str] = set()
        self.pending: dict[str, str] = {}
        """Datasets whose first step is done and whose status step is still to come: address -> detail."""
        self.records_of = {item.dataset_address: item.address for item in desired.record_sets}
        self.stopped: tuple[str, ReconcilerError] | None = None
        """Where and why the apply stopped (a failure retries could not get past), if it did."""

    def finish(self, result: ChangeResult) -> None:
        result.failures.sort()  # by key or customer id: the same run reports the same way
        if result.outcome is not Outcome.APPLIED:
            self.failed.add(result.address)
        if result.outcome is Outcome.FAILED and self.stopped is None and isinstance(result.error, FATAL):
            self.stopped = (result.address, result.error)
        self.report.results.append(result)
        self.reporter.result(result)

    def guarded(self, change: Change, step: Callable[[Change, _W], None], work: _W) -> None:
        """Run one step of a change, unless the apply has stopped (then the change is skipped)."""
        if self.stopped is None:
            step(change, work)
            return
        self.pending.pop(change.address, None)
        if change.address not in {result.address for result in self.report.results}:
            self.finish(ChangeResult(change.address, Outcome.SKIPPED, "not attempted: the apply stopped"))

    # ------------------------------------------------------------------------------------------- datasets

    def dataset_first_step(self, change: Change, work: DatasetWork) -> None:
        provider = self.target.contactnow
        assert provider is not None
        want, live = work.desired, work.live
        try:
            if live is None:
                dataset_id = provider.create_dataset(want)
                detail = f"created dataset {dataset_id} on HOLD"
                values = _attributes(want, Dataset(want.campaign, want.description))
            else:
                assert live.id is not None
                dataset_id = live.id
                values = _attributes(want, live)
                if live.status is Status.LIVE and want.status is Status.HOLD:
                    values["d_status"] = Status.HOLD.value
                detail = f"updated dataset {dataset_id}" if values else ""
            if values:
                provider.update_dataset(dataset_id, values)
                if live is not None:
                    detail = f"updated dataset {dataset_id} ({', '.join(sorted(values))})"
        except ReconcilerError as error:
            self.finish(ChangeResult(change.address, Outcome.FAILED, str(error), error=error))
            return
        self.ids[change.address] = dataset_id
        needs_status = want.status in {Status.LIVE, Status.EXPIRED} and (
            live is None or live.status != want.status
        )
        if needs_status:
            self.pending[change.address] = detail
        else:
            self.finish(ChangeResult(change.address, Outcome.APPLIED, detail))

    def dataset_status(self, change: Change, work: DatasetWork) -> None:
        if change.address not in self.pending:
            return
        detail = self.pending.pop(change.address)
        records = self.records_of.get(change.address)
        if records in self.failed:
            self.finish(
                ChangeResult(
                    change.address,
                    Outcome.SKIPPED,
                    f"{detail}; left on HOLD because {records} failed".lstrip("; "),
                )
            )
            return
        provider = self.target.contactnow
        assert provider is not None
        dataset_id = self.ids[change.address]
        try:
            provider.update_dataset(dataset_id, {"d_status": work.desired.status.value})
        except ReconcilerError as error:
            self.finish(
                ChangeResult(
                    change.address, Outcome.FAILED, f"{detail}; status change failed: {error}", error=error
                )
            )
            return
        moved = f"dataset {dataset_id} is {work.desired.status.value}"
        self.finish(ChangeResult(change.address, Outcome.APPLIED, f"{detail}; {moved}" if detail else moved))

    # -------------------------------------------------------------------------------------------- records

    def records(self, change: Change, work: RecordWork) -> None:
        provider = self.target.contactnow
        assert provider is not None
        if work.dataset_address in self.failed:
            self.finish(
                ChangeResult(change.address, Outcome.SKIPPED, f"skipped: {work.dataset_address} failed")
            )
            return
        dataset_id = work.dataset_id if work.dataset_id is not None else self.ids.get(work.dataset_address)
        desired = next(item for item in self.desired.record_sets if item.address == change.address)
        if dataset_id is None:
            self.finish(
                ChangeResult(change.address, Outcome.SKIPPED, f"skipped: {work.dataset_address} has no id")
            )
            return
        failures: list[str] = []
        done: list[str] = []
        named = _key_names(desired)
        try:
            if work.create_keys:
                with self.reporter.progress(f"{change.address}: create", len(work.create_keys)) as advance:
                    created = provider.create_records(
                        dataset_id,
                        desired.key,
                        _managed(
                            desired,
                            (
                                record
                                for record in desired.source.iter_records()
                                if record.key in work.create_keys
                            ),
                        ),
                        progress=advance,
                    )
                done.append(f"{created.written} created")
                failures += [f"{named(item.key)}: {item.reason}" for item in created.failures]
                failures += [
                    f"{named(key)}: outcome unknown after every retry; run apply again"
                    for key in created.unresolved
                ]
            if work.updates:
                with self.reporter.progress(f"{change.address}: update", len(work.updates)) as advance:
                    updated = provider.update_records(
                        dataset_id, _update_rows(desired, work), progress=advance
                    )
                done.append(f"{updated.written} updated")
                failures += [f"{named(item.key)}: {item.reason}" for item in updated.failures]
            for ids, outcome, label in (
                (work.complete_ids, work.complete_outcome, "completed"),
                (work.dedupe_ids, work.dedupe_outcome, "duplicates completed"),
            ):
                if not ids or outcome is None:
                    continue
                rows = (
                    (f"#{record_id}", {"id": str(record_id), "outcomecode": outcome}) for record_id in ids
                )
                with self.reporter.progress(f"{change.address}: {label}", len(ids)) as advance:
                    completed = provider.update_records(dataset_id, rows, progress=advance)
                done.append(f"{completed.written} {label}")
                failures += [f"{item.key}: {item.reason}" for item in completed.failures]
        except ReconcilerError as error:
            self.finish(
                ChangeResult(
                    change.address, Outcome.FAILED, "; ".join([*done, str(error)]), failures, error=error
                )
            )
            return
        outcome = Outcome.FAILED if failures else Outcome.APPLIED
        detail = ", ".join(done)
        if failures:
            detail += f"; {len(failures)} rows failed"
        self.finish(ChangeResult(change.address, outcome, detail, failures))

    # -------------------------------------------------------------------------------------------- members

    def members(self, change: Change, work: MemberWork) -> None:
        provider = self.target.contact_center
        assert provider is not None
        done: list[str] = []
        failures: list[str] = []
        try:
            if work.removes:
                with self.reporter.progress(f"{change.address}: remove", len(work.removes)) as advance:
                    removed = provider.remove(work.campaign, work.removes, progress=advance)
                done.append(f"{removed.removed} removed")
                failures += [f"{item.customer_id}: {item.reason}" for item in removed.failures]
            blocked = {line.split(":", 1)[0] for line in failures}
            adds = [member.customer_id for member in work.adds if member.customer_id not in blocked]
            if adds:
                with self.reporter.progress(f"{change.address}: add", len(adds)) as advance:
                    added = provider.add(work.campaign, adds, work.resolved, progress=advance)
                done.append(f"{added.added} added")
                failures += [f"{item.customer_id}: {item.reason}" for item in added.failures]
        except ReconcilerError as error:
            self.finish(
                ChangeResult(
                    change.address, Outcome.FAILED, "; ".join([*done, str(error)]), failures, error=error
                )
            )
            return
        detail = ", ".join(done)
        if failures:
            detail += f"; {len(failures)} members failed"
        self.finish(
            ChangeResult(change.address, Outcome.FAILED if failures else Outcome.APPLIED, detail, failures)
        )


def _key_names(desired: DesiredRecordSet) -> Callable[[str], str]:
    """How failure lines name a record: by its key, unless the key is a personal field (a phone, an email)."""
    if is_personal(desired.key):
        return lambda _key: f"a record ({desired.key} not shown)"
    return lambda key: key


def _attributes(want: Dataset, live: Dataset) -> dict[str, str]:
    """Dataset fields to update in the first step (status moves come later, except LIVE -> HOLD)."""
    values: dict[str, str] = {}
    if want.description != live.description:
        values["description"] = want.description
    if want.queue != live.queue:
        values["qid"] = str(want.queue)
    if want.priority != live.priority:
        values["d_priority"] = str(want.priority)
    return values


def _managed(desired: DesiredRecordSet, records: Iterator[SourceRecord]) -> Iterator[SourceRecord]:
    """Only the key and the managed fields travel: fields a record set does not name are never touched."""
    managed = {name.casefold() for name in desired.fields}
    key = desired.key.casefold()
    for record in records:
        values = {
            name: value
            for name, value in record.values.items()
            if name.casefold() in managed and name.casefold() != key
        }
        yield SourceRecord(record.key, values, record.location)


def _update_rows(desired: DesiredRecordSet, work: RecordWork) -> Iterator[tuple[str, dict[str, str]]]:
    for record in desired.source.iter_records():
        hit = work.updates.get(record.key)
        if hit is None:
            continue
        record_id, fields = hit
        wanted = {name.casefold() for name in fields}
        row = {"id": str(record_id)}
        row.update({name: value for name, value in record.values.items() if name.casefold() in wanted})
        yield record.key, row


__all__ = ["ApplyReport", "ChangeResult", "Outcome", "Phase", "Reporter", "apply_plan"]
