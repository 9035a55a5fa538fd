"""Make a plan: read the live state the manifests reference, check the manifests against it, diff, guard.

Data flows one way: desired state (from manifests) and live state (from the providers) go in, a Plan comes out.
Every problem found is collected and raised together, each with its resource, location and remedy.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from .concurrency import Prefetch
from .diff.datasets import diff_datasets
from .diff.members import CampaignWindow, diff_members
from .diff.records import SourceTable, diff_records, source_table
from .errors import ApiError, ManifestError, PlanError, Problem, UnsafePlanError
from .model.fields import is_personal
from .model.state import (
    Dataset,
    DesiredDataset,
    DesiredMembership,
    DesiredRecordSet,
    DesiredState,
    LiveBatch,
    SourceRecord,
    Status,
)
from .plan.changes import Change, Observation
from .plan.guards import Acknowledgements, GuardContext, check_guards
from .plan.plan import Plan
from .providers.contactcenter.provider import ContactCenterProvider
from .providers.contactnow.provider import ContactNowProvider, Metadata

logger = logging.getLogger(__name__)

PREFETCH_BATCHES = 6
"""Live record pieces (about 16 MB of JSON each) read ahead while the source is read."""


@dataclass(frozen=True)
class Target:
    """A resolved target: its name and a provider per API it manages (None where it has none)."""

    name: str
    contactnow: ContactNowProvider | None = None
    contact_center: ContactCenterProvider | None = None


@dataclass
class _Planning:
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    live: dict[str, str] = field(default_factory=dict)
    guards: dict[str, GuardContext] = field(default_factory=dict)
    source_problems: dict[str, list[Problem]] = field(default_factory=dict)
    """Problems of each source file checked so far, by address (see `_source_ok`)."""


def make_plan(
    desired: DesiredState,
    target: Target,
    *,
    acks: Acknowledgements = Acknowledgements(),
    now: datetime | None = None,
) -> Plan:
    """Plan the changes that bring `target` to `desired`. Raises PlanError or UnsafePlanError."""
    with _cycles_not_collected():
        return _make_plan(desired, target, acks, now)


@contextlib.contextmanager
def _cycles_not_collected() -> Iterator[None]:
    """Planning builds millions of short-lived lists and tuples and no reference cycles worth collecting; the
    cycle collector would walk the large live tables again and again (about 1 s in a plan of a million rows)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _make_plan(desired: DesiredState, target: Target, acks: Acknowledgements, now: datetime | None) -> Plan:
    state = _Planning()
    if desired.datasets or desired.record_sets:
        _plan_contactnow(desired, target, state)
    if desired.memberships:
        _plan_memberships(desired, target, state, now or datetime.now(UTC))
    with_sources: list[DesiredRecordSet | DesiredMembership] = [*desired.record_sets, *desired.memberships]
    for item in with_sources:
        _source_ok(item, state)  # the sources no step above needed are checked all the same
    source_problems = [problem for item in with_sources for problem in state.source_problems[item.address]]
    if source_problems:
        raise ManifestError(source_problems)
    if state.problems:
        raise PlanError(state.problems)
    refused = check_guards(tuple(state.changes), state.guards, acks)
    if refused:
        raise UnsafePlanError(refused)
    changes = tuple(sorted(state.changes, key=Change.sort_key))
    observations = tuple(sorted(state.observations, key=lambda item: (item.address, item.category)))
    return Plan(target.name, changes, observations, state.live, dict(desired.source_digests))


# --------------------------------------------------------------------------------------------- ContactNow


def _plan_contactnow(desired: DesiredState, target: Target, state: _Planning) -> None:
    provider = target.contactnow
    if provider is None:
        first = desired.datasets[0] if desired.datasets else desired.record_sets[0]
        state.problems.append(
            Problem(
                f"target {target.name} has no ContactNow API configured",
                first.location,
                first.address,
                f"add a contactnow block to target {target.name} in reconciler.yaml",
            )
        )
        return
    tables = {item.want.campaign for item in desired.datasets}
    meta = provider.metadata(tables)
    resolved = [_resolve_dataset(item, meta, state.problems) for item in desired.datasets]
    live = provider.datasets(tables & meta.tables)
    result = diff_datasets(resolved, live)
    state.problems.extend(result.problems)
    state.changes.extend(result.changes)
    state.observations.extend(result.observations)
    state.live.update(result.digests)
    for item in desired.datasets:
        state.guards[item.address] = GuardContext(
            desired.guard, acknowledged=item.acknowledge, location=item.location
        )

    by_address = {item.address: item for item in resolved}
    for record_set in desired.record_sets:
        dataset = by_address.get(record_set.dataset_address)
        if dataset is None or record_set.dataset_address not in result.matches:
            continue  # the dataset's own problem is reported already
        _plan_records(record_set, dataset, result.matches[record_set.dataset_address], meta, provider, state)


def _resolve_dataset(item: DesiredDataset, meta: Metadata, problems: list[Problem]) -> DesiredDataset:
    spec = item.want
    if spec.campaign not in meta.tables:
        known = ", ".join(sorted(meta.tables)) or "none"
        problems.append(
            Problem(
                f"campaign table {spec.campaign} does not exist (known: {known})",
                item.location,
                item.address,
                "fix spec.campaign; campaign tables are created in ContactNow, not by the reconciler",
            )
        )
    outbound = meta.outbound_queues()
    if item.queue_name is not None:
        matches = [qid for qid, queue in outbound.items() if queue.description == item.queue_name]
        if len(matches) != 1:
            count = "no" if not matches else str(len(matches))
            problems.append(
                Problem(
                    f'{count} outbound queues are named "{item.queue_name}"',
                    item.location,
                    item.address,
                    "give spec.queue as a qid",
                )
            )
            return item
        return replace(item, want=replace(spec, queue=matches[0]))
    if spec.queue and spec.queue not in outbound:
        kind = next((queue.type for queue in meta.queues if queue.qid == str(spec.queue)), None)
        reason = (
            f"queue {spec.queue} does not exist"
            if kind is None
            else f"queue {spec.queue} is {kind}, not outbound"
        )
        problems.append(Problem(reason, item.location, item.address, "give the qid of an outbound queue"))
    return item


def _plan_records(
    record_set: DesiredRecordSet,
    dataset: DesiredDataset,
    live_dataset: Dataset | None,
    meta: Metadata,
    provider: ContactNowProvider,
    state: _Planning,
) -> None:
    table = dataset.want.campaign
    if table not in meta.tables:
        return
    known = meta.field_names(table)
    problems: list[Problem] = []
    spelled: list[str] = []
    for name in (record_set.key, *record_set.fields):
        found = known.get(name.casefold())
        if found is None:
            problems.append(
                Problem(
                    f"field {name} does not exist in campaign table {table}",
                    record_set.location,
                    record_set.address,
                    "fix spec.fields, or add the field to the campaign table in ContactNow",
                )
            )
        elif found.name not in spelled:
            spelled.append(found.name)
    for policy_name, policy in (("absent", record_set.absent), ("dedupe", record_set.dedupe)):
        if policy.action != "complete" or policy.outcome is None:
            continue
        code = meta.outcomes.get(policy.outcome)
        if code is None:
            problems.append(
                Problem(
                    f"outcome code {policy.outcome} (spec.{policy_name}.outcome) does not exist",
                    record_set.location,
                    record_set.address,
                    "name an existing outcome code whose complete flag is Y",
                )
            )
        elif code.complete != "Y":
            problems.append(
                Problem(
                    f"outcome code {policy.outcome} ({code.description}) is not a complete outcome (complete = N)",
                    record_set.location,
                    record_set.address,
                    "name an outcome code whose complete flag is Y",
                )
            )
    live: Prefetch[LiveBatch] | None = None
    if (
        not problems
        and live_dataset is not None
        and live_dataset.id is not None
        and live_dataset.status is not Status.EXPIRED
    ):
        # The live read streams from the server while pass 1 reads the source.
        batches = provider.iter_record_batches(live_dataset.id, record_set.key, spelled)
        live = Prefetch(batches, ahead=PREFETCH_BATCHES, name="live-records")
    if not _source_ok(record_set, state):
        if live is not None:
            live.close()
        return
    pass_one: SourceTable | None = None
    try:
        if not problems:
            pass_one = source_table(record_set, spelled)
            problems.extend(_check_sizes(record_set, known, spelled, pass_one))
    except BaseException:
        if live is not None:
            live.close()
        raise
    if problems and live is not None:
        live.close()
        live = None
    if live_dataset is not None and live_dataset.status is Status.EXPIRED:
        state.live[record_set.address] = "expired"
        if not problems:
            state.observations.append(
                Observation(record_set.address, "info", "its dataset is EXPIRED: records are not compared")
            )
        state.problems.extend(problems)
        return
    if problems:
        state.problems.extend(problems)
        return
    try:
        result = diff_records(
            record_set,
            spelled,
            live,
            dataset_id=None if live_dataset is None else live_dataset.id,
            depends_on=(dataset.address,),
            table=pass_one,
        )
    finally:
        if live is not None:
            live.close()
    state.live[record_set.address] = result.live_digest
    state.observations.extend(result.observations)
    state.guards[record_set.address] = GuardContext(
        record_set.guard, result.live_rows, location=record_set.location
    )
    if result.change is not None:
        state.changes.append(result.change)


def _source_ok(item: DesiredRecordSet | DesiredMembership, state: _Planning) -> bool:
    """Check the rows of a record set's or membership's source file, once per plan; True when it has none.

    The project is loaded without these checks, so that each source is checked while the live state it is
    compared with streams in; any problem found still stops the plan before anything is written.
    """
    if item.address not in state.source_problems:
        check = getattr(item.source, "check", None)
        state.source_problems[item.address] = list(check()) if callable(check) else []
    return not state.source_problems[item.address]


def _check_sizes(
    record_set: DesiredRecordSet, known: Mapping[str, object], spelled: list[str], table: SourceTable
) -> list[Problem]:
    """Values longer than their field's size would be refused at apply time: refuse them now. Pass 1 of the
    diff (`table`) knows each field's longest value; only when one is too long are the rows read again, to name
    each with its line."""
    sizes: dict[str, int] = {}
    for name in spelled:
        field_info = known.get(name.casefold())
        size = getattr(field_info, "size", "")
        if isinstance(size, str) and size.isdigit() and int(size) > 0:
            sizes[name.casefold()] = int(size)
    problems: list[Problem] = []
    longest = {name.casefold(): length for name, length in table.longest.items()}
    if all(longest.get(name, 0) <= limit for name, limit in sizes.items()):
        return problems
    for record in record_set.source.iter_records():
        problems.extend(_row_size_problems(record_set, record, sizes))
        if len(problems) >= 50:
            break
    return problems


def _row_size_problems(
    record_set: DesiredRecordSet, record: SourceRecord, sizes: Mapping[str, int]
) -> list[Problem]:
    found = []
    for name, value in record.values.items():
        limit = sizes.get(name.casefold())
        if limit is not None and len(value) > limit:
            found.append(
                Problem(
                    f"{name} of {_record_name(record_set, record)} is {len(value)} characters; "
                    f"the field holds {limit}",
                    record.location,
                    record_set.address,
                    "shorten the value in the source",
                )
            )
    return found


def _record_name(record_set: DesiredRecordSet, record: SourceRecord) -> str:
    """How a message names a source record: by its key, unless the key is a personal field (its line says)."""
    if is_personal(record_set.key):
        return "the record"
    return f"record {record.key}"


# ---------------------------------------------------------------------------------------- Contact Center


def _plan_memberships(desired: DesiredState, target: Target, state: _Planning, now: datetime) -> None:
    provider = target.contact_center
    for membership in desired.memberships:
        if provider is None:
            state.problems.append(
                Problem(
                    f"target {target.name} has no Contact Center API configured",
                    membership.location,
                    membership.address,
                    f"add a contactCenter block to target {target.name} in reconciler.yaml",
                )
            )
            continue
        try:
            info = provider.campaign(membership.campaign)
        except ApiError as error:
            if error.status == 404:
                state.problems.append(
                    Problem(
                        f"campaign {membership.campaign} does not exist",
                        membership.location,
                        membership.address,
                        "fix spec.campaign (the campaign id in CC Configuration Manager)",
                    )
                )
                continue
            raise
        reasons = info.problems()
        if reasons:
            state.problems.extend(
                Problem(
                    reason,
                    membership.location,
                    membership.address,
                    "choose a running, enabled dynamic campaign",
                )
                for reason in reasons
            )
            continue
        if not _source_ok(membership, state):
            continue
        result = diff_members(
            membership,
            provider.iter_member_pieces(membership.campaign),
            now=now,
            window=CampaignWindow(info.start, info.end),
        )
        state.problems.extend(result.problems)
        state.observations.extend(result.observations)
        state.live[membership.address] = result.live_digest
        state.guards[membership.address] = GuardContext(
            membership.guard, result.live_rows, location=membership.location
        )
        if result.change is not None:
            state.changes.append(result.change)
