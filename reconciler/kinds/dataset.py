"""Dataset: one ContactNow dataset (campaign table, description, queue, status, priority).

Identity: a pinned `id`, otherwise (campaign, description). Two live matches is a problem that asks for `id`.
There is no delete: a live dataset no manifest matches is reported as unmanaged. EXPIRED is forever: a manifest
that asks to leave it is a problem; moving to it is an irreversible change that needs `expire` acknowledged.

Apply: a new dataset is created on HOLD, and attribute updates and LIVE -> HOLD come first (phase DATASET); the
move to LIVE comes once the records are in (GO_LIVE) and is skipped when a record set that needs the dataset
failed; EXPIRED comes last (EXPIRE).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from ..apply.steps import Outcome, Step, StepContext, StepResult
from ..errors import ConfigError, Problem, ReconcilerError
from ..export.documents import document, manifest_file
from ..export.names import slug, unique_names
from ..manifest import DocumentBase, FileContext, ManifestDocument, Project
from ..manifest.documents import DocumentIndex
from ..manifest.spec import Metadata, Name, NonEmptyText, SpecModel, invalid
from ..model.calling.gate import Gate
from ..model.state import Dataset, Status
from ..plan.changes import Action, Change, FieldChange, Observation, Phase, Work
from ..plan.guards import Verdict, flag
from ..providers.base import Catalog, ContactNowApi, DatasetUpdate
from .base import Desired, ExportContext, Kind, PlanContext, no_api
from .calling_policy import CALLING_POLICY

OVERLAP = "overlap"
"""Acknowledges, in a new Dataset's spec, that its records are already open in another dataset of its table."""
EXPIRE = "expire"
"""The class of risk of a move to EXPIRED, acknowledged by `--allow-expire` or `acknowledge: [expire]`."""
_SPOTS = ("spec.campaign", "spec.description", "spec.queue", "spec.status", "spec.id", "spec.callingPolicy")
"""The keys a plan-time problem can point at, rather than at the document."""

# ------------------------------------------------------------------------------------------------- document


def _queue(value: object) -> object:
    if isinstance(value, str):
        if value.isascii() and value.isdigit():
            return int(value)
        if not value.strip():
            raise invalid("is empty", "give a queue id (qid) or the name of an outbound queue")
        return value
    if value is None:
        return value
    raise invalid("must be a queue id or a queue name", "write a qid such as 75674454, or a queue name")


QueueRef = Annotated[
    int | str,
    BeforeValidator(_queue),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "minLength": 1}],
            "description": "An outbound queue: its qid, or its name. A name made only of digits is read as a qid.",
        }
    ),
]


class MovedFrom(SpecModel):
    """Where a renamed dataset was: its description before the rename (in the same campaign table)."""

    description: NonEmptyText = Field(description="The description the live dataset has now")


class DatasetSpec(SpecModel):
    """A ContactNow dataset, matched by `id` when given, otherwise by (campaign, description)."""

    campaign: NonEmptyText = Field(description="The ContactNow campaign table, e.g. Willtest")
    description: NonEmptyText = Field(description="The dataset's description; with campaign, its natural key")
    queue: QueueRef | None = None
    status: Literal["HOLD", "LIVE", "EXPIRED"] = Field(
        default="HOLD",
        description="HOLD (not dialled), LIVE (on the dialler) or EXPIRED (closed for ever; needs acknowledge)",
    )
    priority: int = Field(default=0, ge=0, le=90, description="Dialling priority, 0 to 90")
    id: int | None = Field(default=None, ge=1, description="Pins an existing dataset by its id")
    moved_from: MovedFrom | None = Field(
        default=None,
        description="The dataset's previous identity, to rename it in place instead of creating a new one",
    )
    acknowledge: tuple[Literal["expire", "overlap"], ...] = Field(
        default=(),
        description="Acknowledged risks: expire (moving the dataset to EXPIRED); overlap (creating it although "
        "its records are already live in another dataset of the campaign table)",
    )
    calling_policy: Name | None = Field(
        default=None,
        description="metadata.name of the CallingPolicy its records are dialled under (proved at plan time, "
        "and checked against the clock when it goes LIVE)",
    )


class DatasetDocument(SpecModel):
    """A Dataset manifest document: one ContactNow dataset."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["Dataset"]
    metadata: Metadata
    spec: DatasetSpec


@dataclass(frozen=True, eq=False)
class DatasetManifest(ManifestDocument):
    KIND: ClassVar[str] = "Dataset"

    spec: DatasetSpec = field(kw_only=True)


# ---------------------------------------------------------------------------------------------- desired


@dataclass(frozen=True)
class DesiredDataset(Desired):
    """What a Dataset manifest wants, with its queue by name when it gave one, and what it acknowledges."""

    want: Dataset = field(kw_only=True)
    queue_name: str | None = field(default=None, kw_only=True)
    acknowledge: frozenset[str] = field(default=frozenset(), kw_only=True)
    moved_from: str | None = field(default=None, kw_only=True)
    """The description the live dataset had before a rename (spec.movedFrom)."""
    calling_policy: str | None = field(default=None, kw_only=True)
    """The address of the CallingPolicy it names (spec.callingPolicy)."""


@dataclass(frozen=True)
class DatasetMatch:
    """What planning a Dataset found (published for the kinds planned after it): its campaign table, and the
    live dataset it matched (None when it will be created). Apply remembers the created one the same way."""

    table: str
    live: Dataset | None


@dataclass(frozen=True)
class DatasetWork(Work):
    desired: Dataset
    live: Dataset | None
    gate: Gate | None = None
    """Checked against the clock before the move to LIVE (calling hours; kinds/calling_use.py)."""


# ------------------------------------------------------------------------------------------------- kind

_COMPARED = ("description", "queue", "priority", "status")


class DatasetKind(Kind[DatasetManifest, DesiredDataset]):
    name: ClassVar[str] = "Dataset"
    document: ClassVar[type[DatasetDocument]] = DatasetDocument
    manifest_type: ClassVar[type[DatasetManifest]] = DatasetManifest
    plural: ClassVar[str] = "datasets"

    # ---------------------------------------------------------------------------------------- manifests

    def manifest(
        self, document: Any, base: DocumentBase, context: FileContext
    ) -> tuple[DatasetManifest, list[Problem]]:
        assert isinstance(document, DatasetDocument)
        return DatasetManifest(base.name, base.file, base.location, base.node, spec=document.spec), []

    def check_documents(self, index: DocumentIndex) -> list[Problem]:
        """No two documents may describe the same live dataset: by pinned id, or by campaign and description."""
        problems = []
        ids: dict[int, DatasetManifest] = {}
        natural: dict[tuple[str, str], DatasetManifest] = {}
        for manifest in self.mine(index):
            spec = manifest.spec
            if spec.id is not None:
                first = ids.setdefault(spec.id, manifest)
                if first is not manifest:
                    problems.append(
                        Problem(
                            f"id {spec.id} is already pinned by {first.address} ({first.location})",
                            manifest.location_of("spec.id"),
                            manifest.address,
                            "each dataset is described once; remove one of them",
                        )
                    )
                continue
            other = natural.setdefault((spec.campaign, spec.description), manifest)
            if other is not manifest:
                problems.append(
                    Problem(
                        f"same campaign and description as {other.address} ({other.location}), so both would "
                        "match the same live dataset",
                        manifest.location_of("spec.description"),
                        manifest.address,
                        "change one description, or pin each to its dataset with id",
                    )
                )
        return problems

    def desired(self, manifest: DatasetManifest, project: Project) -> DesiredDataset:
        spec = manifest.spec
        queue_name = spec.queue if isinstance(spec.queue, str) else None
        queue = spec.queue if isinstance(spec.queue, int) else 0
        want = Dataset(spec.campaign, spec.description, Status(spec.status), spec.priority, queue, spec.id)
        spots = {path: manifest.location_of(path) for path in _SPOTS}
        return DesiredDataset(
            manifest.address,
            manifest.location,
            spots=spots,
            want=want,
            queue_name=queue_name,
            acknowledge=frozenset(spec.acknowledge),
            moved_from=None if spec.moved_from is None else spec.moved_from.description,
            calling_policy=None
            if spec.calling_policy is None
            else CALLING_POLICY.address(spec.calling_policy),
        )

    # --------------------------------------------------------------------------------------------- plan

    def plan(self, items: Sequence[DesiredDataset], ctx: PlanContext) -> None:
        provider = ctx.target.contactnow
        if not items:
            return
        if provider is None:
            ctx.problems.append(no_api(ctx.target.name, items[0], "ContactNow", "contactnow"))
            return
        with ctx.attempt(*(item.address for item in items)):
            catalog = ctx.reads.get(("contactnow", "catalog"), provider.catalog)
            resolved = [_resolve(item, catalog, ctx.problems) for item in items]
            tables = sorted({item.want.campaign for item in items} & catalog.tables())
            live: list[Dataset] = []
            for table in tables:
                live += ctx.reads.get(("contactnow", "datasets", table), datasets_of(provider, table))
            _diff(resolved, live, self, ctx)

    def guards(self, change: Change, item: DesiredDataset, live_rows: int) -> list[Verdict]:
        if change.action is not Action.IRREVERSIBLE or EXPIRE in item.acknowledge:
            return []
        verdict = Verdict(
            EXPIRE,
            Problem(
                "moves to EXPIRED, which is irreversible: its records close and can never be edited or reopened",
                item.location,
                item.address,
                f"acknowledge with {flag(EXPIRE)}, or add `acknowledge: [expire]` to the Dataset spec",
            ),
        )
        return [verdict]

    def blocks_dependants(self, change: Change) -> str | None:
        work = change.work
        assert isinstance(work, DatasetWork)
        if work.live is None:
            return f"its dataset {change.address} does not exist yet and is out of scope"
        if work.live.status is Status.LIVE and work.desired.status is Status.HOLD:
            return (
                f"its dataset {change.address} must go from LIVE to HOLD before records change, "
                "and is out of scope"
            )
        return None

    def holds_for_dependants(self, change: Change, dependant: str) -> tuple[str, str] | None:
        work = change.work
        assert isinstance(work, DatasetWork)
        if work.desired.status is not Status.LIVE or (
            work.live is not None and work.live.status is Status.LIVE
        ):
            return None
        return (
            f"would go LIVE while {dependant}, out of scope, still has records to load or change",
            f"add --only {dependant} so the records load first (or stop excluding it)",
        )

    # -------------------------------------------------------------------------------------------- apply

    def steps(self, change: Change, item: DesiredDataset) -> list[Step]:
        work = change.work
        assert isinstance(work, DatasetWork)
        want, live = work.desired, work.live
        steps = []
        update = _attributes(want, live or Dataset(want.campaign, want.description))
        if live is not None and live.status is Status.LIVE and want.status is Status.HOLD:
            update = replace(update, status=Status.HOLD)
        if live is None or update.names():
            steps.append(
                Step(Phase.DATASET, lambda ctx: _first_step(ctx, change.address, want, live, update))
            )
        if want.status in {Status.LIVE, Status.EXPIRED} and (live is None or live.status != want.status):
            phase = Phase.GO_LIVE if want.status is Status.LIVE else Phase.EXPIRE
            steps.append(
                Step(phase, lambda ctx: _status_step(ctx, change.address, want.status, live, work.gate))
            )
        return steps

    # ------------------------------------------------------------------------------------------- export

    def export(self, ctx: ExportContext) -> None:
        """datasets.yaml: one Dataset per live dataset in scope, by campaign table then name; ids are pinned
        only where two datasets share a description."""
        provider = ctx.target.contactnow
        options = ctx.options
        if provider is None:
            if options.campaigns or options.datasets or options.statuses:
                raise ConfigError(
                    f"target {options.target} has no ContactNow API; drop --campaign, --dataset and --status"
                )
            return
        catalog = provider.catalog()
        tables = _export_tables(catalog, options.campaigns)
        live = provider.datasets(tables)
        chosen = [item for item in live if _chosen(item, options)]
        if not chosen:
            ctx.notes.append("no live dataset matches the filters; nothing of ContactNow was exported")
            return
        natural = Counter((item.campaign, item.description) for item in live)
        names = unique_names({_id(item): slug(item.description, "dataset") for item in chosen}, "dataset")
        ordered = sorted(chosen, key=lambda item: (item.campaign, names[_id(item)]))
        documents = [
            _document(names[_id(item)], item, pin=natural[(item.campaign, item.description)] > 1)
            for item in ordered
        ]
        pinned = sum(natural[(item.campaign, item.description)] > 1 for item in ordered)
        (ctx.manifests / "datasets.yaml").write_text(manifest_file(ctx.header, documents), encoding="utf-8")
        ctx.files["manifests/datasets.yaml"] = f"{len(documents)} datasets ({pinned} pinned by id)"
        ctx.exported[self.name] = ExportedDatasets(
            tuple((names[_id(item)], item) for item in ordered), catalog
        )


@dataclass(frozen=True)
class ExportedDatasets:
    """The datasets an export wrote, by manifest name, in the order written, and the account's catalog."""

    datasets: tuple[tuple[str, Dataset], ...]
    catalog: Catalog


def datasets_of(provider: ContactNowApi, table: str) -> Any:
    """The read of a campaign table's datasets, for LiveReads."""
    return lambda: provider.datasets([table])


# ------------------------------------------------------------------------------------------- planning


def _resolve(item: DesiredDataset, catalog: Catalog, problems: list[Problem]) -> DesiredDataset:
    """Check the campaign table and queue against the account, and resolve a queue named by description."""
    spec = item.want
    tables = catalog.tables()
    if spec.campaign not in tables:
        known = ", ".join(sorted(tables)) or "none"
        problems.append(
            Problem(
                f"campaign table {spec.campaign} does not exist (known: {known})",
                item.at("spec.campaign"),
                item.address,
                "fix spec.campaign; campaign tables are created in ContactNow, not by the reconciler",
            )
        )
    outbound = catalog.outbound_queues()
    if item.queue_name is not None:
        matches = [qid for qid, queue in outbound.items() if queue.description == item.queue_name]
        if len(matches) != 1:
            count = "no" if not matches else str(len(matches))
            problems.append(
                Problem(
                    f'{count} outbound queues are named "{item.queue_name}"',
                    item.at("spec.queue"),
                    item.address,
                    "give spec.queue as a qid",
                )
            )
            return item
        return replace(item, want=replace(spec, queue=matches[0]))
    if spec.queue and spec.queue not in outbound:
        kind = next((queue.type for queue in catalog.queues() if queue.qid == str(spec.queue)), None)
        if kind is None:
            reason = f"queue {spec.queue} does not exist"
        elif kind == "outbound":  # listed as outbound, but not a queue records can be dialled from
            reason = f"queue {spec.queue} is not a real queue (a deleted queue, or the default PBX queue)"
        else:
            reason = f"queue {spec.queue} is {kind}, not outbound"
        problems.append(
            Problem(reason, item.at("spec.queue"), item.address, "give the qid of an outbound queue")
        )
    return item


def _diff(
    desired: Sequence[DesiredDataset], live: Sequence[Dataset], kind: DatasetKind, ctx: PlanContext
) -> None:
    """Match each desired dataset to a live one and say what changes; live datasets no manifest matches are
    reported as unmanaged."""
    live_list = sorted(live, key=lambda item: item.id or 0)
    by_id = {item.id: item for item in live_list}
    claimed: dict[int, str] = {}
    for want in desired:
        match, problem = _match(want, live_list, by_id)
        if problem is not None:
            ctx.problems.append(problem)
            continue
        if match is not None and match.id is not None:
            other = claimed.get(match.id)
            if other is not None:
                ctx.problems.append(
                    Problem(
                        f"matches live dataset {match.id}, which {other} already matches",
                        want.location,
                        want.address,
                        "give each manifest a distinct description or pin spec.id",
                    )
                )
                continue
            claimed[match.id] = want.address
        ctx.publish(want.address, DatasetMatch(want.want.campaign, match))
        ctx.live[want.address] = _digest(match)
        change, problem = _change(want, match)
        if problem is not None:
            ctx.problems.append(problem)
        elif change is not None:
            ctx.changes.append(change)
    ctx.observations.extend(
        Observation(
            kind.address(f"#{item.id}"),
            "unmanaged",
            f"live dataset {item.id} ({item.campaign}: {item.description}, {item.status.value}) is in no manifest",
            group=f"{item.campaign}, {item.status.value}",
        )
        for item in live_list
        if item.id not in claimed
    )


def _match(
    want: DesiredDataset, live: list[Dataset], by_id: dict[int | None, Dataset]
) -> tuple[Dataset | None, Problem | None]:
    spec = want.want
    if spec.id is not None:
        found = by_id.get(spec.id)
        if found is None:
            return None, Problem(
                f"pinned dataset id {spec.id} does not exist in campaign table {spec.campaign}",
                want.at("spec.id"),
                want.address,
                "correct spec.id, or remove it to create a new dataset",
            )
        if found.campaign != spec.campaign:
            return None, Problem(
                f"pinned dataset id {spec.id} belongs to campaign table {found.campaign}, not {spec.campaign}",
                want.at("spec.id"),
                want.address,
                "a dataset cannot move between campaign tables; fix spec.campaign or spec.id",
            )
        return found, None
    for description in (spec.description, want.moved_from):
        if description is None:
            continue
        candidates = [
            item for item in live if item.campaign == spec.campaign and item.description == description
        ]
        if len(candidates) > 1:
            ids = ", ".join(str(item.id) for item in candidates)
            return None, Problem(
                f'{len(candidates)} live datasets in {spec.campaign} have the description "{description}" '
                f"(ids {ids})",
                want.at("spec.description"),
                want.address,
                "pin the one to manage with spec.id",
            )
        if candidates:
            return candidates[0], None  # by its description; else, renamed, by the one it had (movedFrom)
    return None, None


def _change(want: DesiredDataset, live: Dataset | None) -> tuple[Change | None, Problem | None]:
    spec = want.want
    if live is None:
        after = spec.managed()
        fields = tuple(FieldChange(name, None, str(after[name])) for name in ("campaign", *_COMPARED))
        created_notes = []
        if spec.status is Status.LIVE:
            created_notes.append("created on HOLD; goes LIVE once its records are loaded")
        if spec.status is Status.EXPIRED:
            created_notes.append("created on HOLD, then EXPIRED last (irreversible)")
        action = Action.IRREVERSIBLE if spec.status is Status.EXPIRED else Action.CREATE
        return Change(
            action,
            want.address,
            Phase.DATASET,
            fields,
            notes=tuple(created_notes),
            work=DatasetWork(spec, None),
        ), None

    if live.status is Status.EXPIRED and spec.status is not Status.EXPIRED:
        return None, Problem(
            f"dataset {live.id} is EXPIRED and can never leave it (asked for {spec.status.value})",
            want.at("spec.status"),
            want.address,
            "EXPIRED is irreversible: create a new dataset (new description, no spec.id) for these records",
            category="irreversible",
        )
    before = live.managed()
    after = spec.managed()
    differing = tuple(
        FieldChange(name, str(before[name]), str(after[name]))
        for name in _COMPARED
        if before[name] != after[name]
    )
    if not differing:
        return None, None
    if live.status is Status.EXPIRED:
        names = ", ".join(item.field for item in differing)
        return None, Problem(
            f"dataset {live.id} is EXPIRED and cannot be edited ({names} differ)",
            want.location,
            want.address,
            "set the manifest to the live values, or manage a new dataset",
            category="irreversible",
        )
    notes: list[str] = []
    action = Action.UPDATE
    phase = Phase.DATASET
    only_status = all(item.field == "status" for item in differing)
    if spec.status is Status.EXPIRED:
        action = Action.IRREVERSIBLE
        notes.append("EXPIRED is irreversible: its records close and can never be edited or reopened")
        if only_status:
            phase = Phase.EXPIRE
    elif spec.status is Status.LIVE and live.status is Status.HOLD and only_status:
        phase = Phase.GO_LIVE
    return Change(
        action,
        want.address,
        phase,
        differing,
        notes=tuple(notes),
        work=DatasetWork(spec, live),
    ), None


def _digest(live: Dataset | None) -> str:
    if live is None:
        return "absent"
    text = f"{live.id}|{live.campaign}|{live.description}|{live.queue}|{live.status.value}|{live.priority}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# ---------------------------------------------------------------------------------------------- apply


def _attributes(want: Dataset, live: Dataset) -> DatasetUpdate:
    """Dataset fields to update in the first step (status moves come later, except LIVE -> HOLD)."""
    return DatasetUpdate(
        description=want.description if want.description != live.description else None,
        queue=want.queue if want.queue != live.queue else None,
        priority=want.priority if want.priority != live.priority else None,
    )


def _provider(ctx: StepContext) -> ContactNowApi:
    provider = ctx.target.contactnow
    assert provider is not None  # planning refused a Dataset on a target without ContactNow
    return provider


def _first_step(
    ctx: StepContext, address: str, want: Dataset, live: Dataset | None, update: DatasetUpdate
) -> StepResult:
    provider = _provider(ctx)
    try:
        if live is None:
            dataset_id = provider.create_dataset(want)
            detail = f"created dataset {dataset_id} on HOLD"
        else:
            assert live.id is not None
            dataset_id = live.id
            detail = f"updated dataset {dataset_id} ({', '.join(update.names())})"
        if update.names():
            provider.update_dataset(dataset_id, update)
    except ReconcilerError as error:
        return StepResult(Outcome.FAILED, str(error), error=error)
    ctx.remember(address, DatasetMatch(want.campaign, replace(want, id=dataset_id)))
    return StepResult(Outcome.APPLIED, detail)


def _status_step(
    ctx: StepContext, address: str, status: Status, live: Dataset | None, gate: Gate | None
) -> StepResult:
    failed = [dependant for dependant in ctx.dependants(address) if ctx.failed(dependant)]
    if failed:
        return StepResult(Outcome.SKIPPED, f"left on HOLD because {failed[0]} failed")
    closed = None if gate is None else gate.closed(ctx.now())
    if closed is not None and gate is not None:
        if gate.refuses:
            return StepResult(Outcome.FAILED, f"refused to go LIVE, left on HOLD: {closed}")
        return StepResult(Outcome.SKIPPED, f"deferred: left on HOLD, {closed}; apply again then")
    known = ctx.recall(address, DatasetMatch)
    dataset_id = known.live.id if known is not None and known.live is not None else None
    if dataset_id is None and live is not None:
        dataset_id = live.id
    assert dataset_id is not None
    try:
        _provider(ctx).update_dataset(dataset_id, DatasetUpdate(status=status))
    except ReconcilerError as error:
        return StepResult(Outcome.FAILED, f"status change failed: {error}", error=error)
    return StepResult(Outcome.APPLIED, f"dataset {dataset_id} is {status.value}")


# --------------------------------------------------------------------------------------------- export


def _export_tables(catalog: Catalog, campaigns: Sequence[str]) -> list[str]:
    live_tables = sorted(catalog.tables())
    if not campaigns:
        return live_tables
    unknown = sorted(set(campaigns) - set(live_tables))
    if unknown:
        raise ConfigError(
            f"unknown campaign table {', '.join(unknown)} (known: {', '.join(live_tables) or 'none'})"
        )
    return sorted(set(campaigns))


def _chosen(item: Dataset, options: Any) -> bool:
    ids = {int(entry) for entry in options.datasets if entry.isdigit()}
    descriptions = {entry for entry in options.datasets if not entry.isdigit()}
    if options.statuses and item.status not in options.statuses:
        return False
    return not options.datasets or _id(item) in ids or item.description in descriptions


def _document(name: str, dataset: Dataset, *, pin: bool) -> Any:
    spec: dict[str, object] = {"campaign": dataset.campaign, "description": dataset.description}
    if dataset.queue:
        spec["queue"] = dataset.queue
    spec["status"] = dataset.status.value
    spec["priority"] = dataset.priority
    if pin and dataset.id is not None:
        spec["id"] = dataset.id
    return document(DatasetKind.name, name, spec)


def _id(item: Dataset) -> int:
    assert item.id is not None  # live datasets always have one
    return item.id


DATASET = DatasetKind()
