"""RecordSet: the records of one ContactNow dataset, from a source file (CSV, JSONL, gzip too) or inline rows.

A record is identified across runs by its `key` field. Only the key and the named `fields` are managed; other
fields are never touched. Live records whose key the source lacks follow the `absent` policy (ignore, or complete
with an outcome); live duplicates of a key are reported, or completed by the `dedupe` policy. Completing more
than the guard allows needs `mass-complete` acknowledged.

Planning streams the source and the live records through the record diff (reconciler/diff/records.py), which
holds one compact digest per row; apply streams the source again for the rows to write (phase RECORDS, while
the dataset is on HOLD).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field, WithJsonSchema, model_validator

from ..apply.steps import Outcome, Step, StepContext, StepResult
from ..concurrency import Prefetch
from ..diff.records import KEEP_BYTES, RecordWork, SourceTable, diff_records, source_table
from ..errors import ConfigError, Location, Problem, ReconcilerError
from ..export.documents import document, flow, manifest_file
from ..export.records import candidate_fields, export_records, integer_fields
from ..manifest import Project, SourceRow
from ..manifest.checks import check_scanned
from ..manifest.documents import DocumentIndex, SourcedDocument
from ..manifest.rows import (
    CheckedOnce,
    checked_record_columns,
    checked_record_frame,
    managed_fields,
    phone_fields,
    rows_frame,
    scan_records,
)
from ..manifest.spec import (
    FIELD_NAME_PATTERN,
    FieldName,
    GuardsSpec,
    Metadata,
    Name,
    NonEmptyText,
    SpecModel,
    check_one_source,
    invalid,
)
from ..manifest.validation import suggest
from ..model.fields import TEXT_ONLY_FIELDS, VENDOR_OWNED_FIELDS, is_personal
from ..model.state import Dataset, Guard, LiveBatch, Policy, SourceRecord, Status
from ..plan.changes import Change, Observation, Phase
from ..plan.guards import Verdict, mass_change
from ..providers.base import ContactNowApi, FieldInfo, RecordUpdate
from .base import Desired, ExportContext, PlanContext, SourcedKind, counted
from .calling_policy import CALLING_POLICY
from .calling_use import GatedRecordWork, enforce, resolve_zones, without_unresolved
from .dataset import (
    DATASET,
    OVERLAP,
    DatasetManifest,
    DatasetMatch,
    DesiredDataset,
    ExportedDatasets,
    datasets_of,
)
from .outcome_code import with_planned
from .suppress import Screen, Screening, SuppressSpec, check_suppress, outcome_problems, screen_of

if TYPE_CHECKING:
    import polars as pl

MASS_COMPLETE = "mass-complete"
MASS_UPDATE = "mass-update"
PREFETCH_BATCHES = 10
"""Live record pages (about FRAME_PIECE_BYTES of JSON each, 24 MB) read ahead while the source is read: each is
held decoded, about 8 MB of columns. With only 2, the live read stopped for most of the source's check and first
pass, and the plan's live phase then had both to do. A 1M-row plain-CSV plan, 6 rounds alternating: 10 pages,
3.79-3.95 s and 669-705 MiB peak; 2 pages, 3.87-4.12 s and 586-623 MiB (6 pages: 3.85-4.04 s; 16: 3.79-4.01 s,
no faster than 10). JSON Lines, 2 rounds: 4.86-5.09 s and 710-718 MiB against 4.97-5.09 s and 614-643 MiB."""
MAX_SIZE_PROBLEMS = 50

# ------------------------------------------------------------------------------------------------- document

_ROW_VALUE_TYPES = ["string", "number", "boolean", "null"]
Row = Annotated[
    dict[str, object],
    WithJsonSchema(
        {
            "type": "object",
            "description": "One record: field name to value. The key field and at least one phone are required. "
            "Phone and postcode values must be quoted.",
            "propertyNames": {"pattern": FIELD_NAME_PATTERN},
            "properties": {name: {"type": "string"} for name in sorted(TEXT_ONLY_FIELDS)},
            "additionalProperties": {"type": _ROW_VALUE_TYPES},
        }
    ),
]


class AbsentPolicy(SpecModel):
    """What happens to live records whose key is not in the source."""

    policy: Literal["ignore", "complete"] = Field(
        default="ignore", description="ignore (leave them) or complete (set a complete outcome)"
    )
    outcome: int | None = Field(
        default=None,
        ge=0,
        description="The outcome code to set; required with complete (its complete flag Y)",
    )

    @model_validator(mode="after")
    def _outcome_matches_policy(self) -> AbsentPolicy:
        _check_outcome(self.policy, self.outcome, "absent")
        return self


class DedupePolicy(SpecModel):
    """What happens to live records that share one key value."""

    policy: Literal["report", "complete"] = Field(
        default="report", description="report (show them in the plan) or complete all but one"
    )
    outcome: int | None = Field(
        default=None,
        ge=0,
        description="The outcome code to set; required with complete (its complete flag Y)",
    )

    @model_validator(mode="after")
    def _outcome_matches_policy(self) -> DedupePolicy:
        _check_outcome(self.policy, self.outcome, "dedupe")
        return self


def _check_outcome(policy: str, outcome: int | None, name: str) -> None:
    if policy == "complete" and outcome is None:
        raise invalid(
            "policy complete needs an outcome",
            f"add the complete outcome code to set, e.g. {name}: {{policy: complete, outcome: 510456}}",
            echo=False,
        )
    if policy != "complete" and outcome is not None:
        raise invalid(
            f"outcome is only used with policy complete (policy is {policy})",
            "remove outcome, or set policy: complete",
            echo=False,
        )


class RecordSetSpec(SpecModel):
    """The records of one dataset. Only `key` and `fields` are managed; other fields are never touched."""

    dataset: Name = Field(description="metadata.name of the Dataset document these records belong to")
    key: FieldName = Field(default="VENDOR_URN", description="The field that identifies a record across runs")
    fields: tuple[FieldName, ...] = Field(
        description="Managed fields (the key is managed implicitly); include at least one phone field"
    )
    source: NonEmptyText | None = Field(
        default=None,
        description="A .csv, .jsonl or .ndjson file (optionally .gz), relative to this manifest file",
    )
    rows: tuple[Row, ...] | None = Field(default=None, description="Inline records, instead of source")
    absent: AbsentPolicy = AbsentPolicy()
    dedupe: DedupePolicy = DedupePolicy()
    guards: GuardsSpec | None = None
    suppress: SuppressSpec | None = Field(
        default=None,
        description="Numbers on suppression lists are not loaded; live records with one are completed",
    )
    calling_policy: Name | None = Field(
        default=None,
        description="metadata.name of the CallingPolicy these records are dialled under (instead of the "
        "Dataset's)",
    )

    @model_validator(mode="after")
    def _one_source(self) -> RecordSetSpec:
        check_one_source(self.source, self.rows, "rows")
        return self


class RecordSetDocument(SpecModel):
    """A RecordSet manifest document: the records of one ContactNow dataset."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["RecordSet"]
    metadata: Metadata
    spec: RecordSetSpec


@dataclass(frozen=True, eq=False)
class RecordSetManifest(SourcedDocument[SourceRow]):
    KIND: ClassVar[str] = "RecordSet"

    spec: RecordSetSpec = field(kw_only=True)

    @property
    def managed_fields(self) -> tuple[str, ...]:
        """The key first, then the managed fields, each once."""
        return managed_fields(self.spec)

    def iter_rows(self) -> Iterator[SourceRow]:
        """The rows, streamed (see SourcedDocument.rows)."""
        return self.rows()

    def scan(self) -> Iterator[SourceRow | Problem]:
        return scan_records(self.spec, self.node_at("spec.rows"), self.source)

    def entry(self, item: SourceRow) -> object:
        return item.values


# ---------------------------------------------------------------------------------------------- desired


@dataclass(frozen=True)
class ManifestRecords:
    """A RecordSet manifest's rows as the diff and apply read them: a source file is read once, in columns,
    for both the check and the diff (apply streams it again)."""

    manifest: RecordSetManifest
    _checked: CheckedOnce = field(default_factory=CheckedOnce, compare=False, repr=False)

    def iter_records(self) -> Iterator[SourceRecord]:
        key = self.manifest.spec.key
        for row in self.manifest.iter_rows():
            yield SourceRecord(row.values.get(key, ""), row.values, row.location)

    def check(self) -> list[Problem]:
        """Every problem of the source file's rows (inline rows are checked when the project loads)."""
        source = self.manifest.source
        if source is None:
            return []
        # A source larger than the diff keeps whole is held packed: the diff's first pass reads it a piece at a
        # time (`pieces`), and the whole frame is never in memory at once.
        return self._checked.check(
            lambda: checked_record_columns(self.manifest.spec, source, pack_bytes=KEEP_BYTES), self._problems
        )

    def _problems(self) -> list[Problem]:
        return _scanned_problems(self.manifest)

    def frame(self) -> pl.DataFrame:
        """The key and managed columns (and LINE), from the check's pass when it ran, kept for every reader of
        the plan."""
        return self._checked.take(
            lambda: (
                checked_record_frame(self.manifest.spec, self.manifest.source)
                if self.manifest.source is not None
                else None
            ),
            lambda: rows_frame(self.manifest.iter_rows(), self.manifest.managed_fields),
        )

    def pieces(self) -> Iterator[pl.DataFrame] | None:
        """The frame's rows a piece at a time, when the check kept them packed; else None (see `frame`)."""
        return self._checked.pieces()

    def release(self) -> None:
        """Let go of the frame the check read (see CheckedOnce.release)."""
        self._checked.release()

    def digest(self) -> str:
        return self.manifest.source_digest()


@dataclass(frozen=True)
class DesiredRecordSet(Desired):
    dataset_address: str = field(kw_only=True)
    key: str = field(kw_only=True)
    fields: tuple[str, ...] = field(kw_only=True)
    source: Any = field(kw_only=True)
    """A RecordSource (model/state.py)."""
    absent: Policy = field(default=Policy(), kw_only=True)
    dedupe: Policy = field(default=Policy("report"), kw_only=True)
    guard: Guard = field(default=Guard(), kw_only=True)
    suppress: Screen | None = field(default=None, kw_only=True)
    calling_policy: str | None = field(default=None, kw_only=True)
    """The address of the CallingPolicy it names (spec.callingPolicy)."""

    def needs(self) -> tuple[str, ...]:
        return (self.dataset_address, *(self.suppress.lists if self.suppress is not None else ()))

    def check_source(self) -> list[Problem]:
        return list(self.source.check())


# ------------------------------------------------------------------------------------------------- kind

_VENDOR_OWNED = {name.casefold(): name for name in VENDOR_OWNED_FIELDS}


class RecordSetKind(SourcedKind[RecordSetManifest, DesiredRecordSet]):
    name: ClassVar[str] = "RecordSet"
    document: ClassVar[type[RecordSetDocument]] = RecordSetDocument
    manifest_type: ClassVar[type[RecordSetManifest]] = RecordSetManifest
    plural: ClassVar[str] = "record sets"
    unit: ClassVar[str] = "records"

    # ---------------------------------------------------------------------------------------- manifests

    def check_documents(self, index: DocumentIndex) -> list[Problem]:
        """Its dataset is a Dataset document, which has no other RecordSet; its fields are ones the records
        can own."""
        datasets = {item.name: item for item in index.manifests if isinstance(item, DatasetManifest)}
        refused = [
            address.split("/", 1)[1] for address in index.invalid if address.startswith(f"{DATASET.name}/")
        ]
        owners: dict[str, RecordSetManifest] = {}
        problems: list[Problem] = []
        for manifest in self.mine(index):
            problems += _fields_problems(manifest)
            problems += check_suppress(manifest, manifest.spec.suppress, manifest.managed_fields, index)
            dataset = manifest.spec.dataset
            where = manifest.location_of("spec.dataset")
            if dataset not in datasets:
                if dataset not in refused:
                    guess = suggest(dataset, [*datasets, *refused])
                    problems.append(
                        Problem(
                            f'dataset "{dataset}" is not the name of a Dataset document',
                            where,
                            manifest.address,
                            f'did you mean "{guess}"?'
                            if guess
                            else "define a Dataset with this metadata.name",
                        )
                    )
            elif dataset in owners:
                first = owners[dataset]
                problems.append(
                    Problem(
                        f"{DATASET.address(dataset)} already gets its records from {first.address} "
                        f"({first.location})",
                        where,
                        manifest.address,
                        "a dataset has one RecordSet; merge them",
                    )
                )
            else:
                owners[dataset] = manifest
        return problems

    def check_rows(self, manifest: RecordSetManifest, *, files: bool) -> list[Problem]:
        if manifest.source is None or files:
            return _check_rows(manifest)
        return []

    def desired(self, manifest: RecordSetManifest, project: Project) -> DesiredRecordSet:
        spec = manifest.spec
        return DesiredRecordSet(
            manifest.address,
            manifest.location,
            dataset_address=DATASET.address(spec.dataset),
            key=spec.key,
            fields=tuple(spec.fields),
            source=ManifestRecords(manifest),
            absent=Policy(spec.absent.policy, _text(spec.absent.outcome)),
            dedupe=Policy(spec.dedupe.policy, _text(spec.dedupe.outcome)),
            guard=project.config.guards.merged(spec.guards),
            suppress=screen_of(spec.suppress, manifest),
            spots=_spots(manifest),
            calling_policy=None
            if spec.calling_policy is None
            else CALLING_POLICY.address(spec.calling_policy),
        )

    # --------------------------------------------------------------------------------------------- plan

    def plan(self, items: Sequence[DesiredRecordSet], ctx: PlanContext) -> None:
        provider = ctx.target.contactnow
        for item in items:
            match = ctx.fact(item.dataset_address, DatasetMatch)
            if match is None or provider is None:
                continue  # the dataset's own problem (or the missing API) is reported already
            with ctx.attempt(item.address):
                catalog = ctx.reads.get(("contactnow", "catalog"), provider.catalog)
                if match.table not in catalog.tables():
                    continue  # the dataset's problem says so
                fields = catalog.fields(match.table)
                planned = item if ctx.metadata_only else without_unresolved(item, ctx)
                if not ctx.metadata_only:
                    resolve_zones(planned, ctx)
                _plan_one(planned, match, fields, with_planned(catalog.outcomes(), ctx), provider, ctx)
                if not ctx.metadata_only:
                    enforce(planned, ctx)

    def guards(self, change: Change, item: DesiredRecordSet, live_rows: int) -> list[Verdict]:
        """Completing or updating more than the guard allows, each acknowledged on its own: a wrong column
        mapping can overwrite every record as surely as a wrong absent policy can complete them."""
        # Completions an erasure list causes ("erase") are not guarded: erasure beats every threshold.
        completes = sum(change.counts.get(name, 0) for name in ("complete", "dedupe", "suppress"))
        found = (
            mass_change(
                item.address,
                completes,
                live_rows,
                item.guard,
                item.location,
                verb="completes",
                risk=MASS_COMPLETE,
            ),
            mass_change(
                item.address,
                change.counts.get("update", 0),
                live_rows,
                item.guard,
                item.location,
                verb="updates",
                risk=MASS_UPDATE,
            ),
        )
        return [verdict for verdict in found if verdict is not None]

    # -------------------------------------------------------------------------------------------- apply

    def steps(self, change: Change, item: DesiredRecordSet) -> list[Step]:
        work = change.work
        assert isinstance(work, RecordWork)
        return [Step(Phase.RECORDS, lambda ctx: _apply(ctx, change.address, item, work))]

    # ------------------------------------------------------------------------------------------- export

    def export(self, ctx: ExportContext) -> None:
        """recordsets.yaml and one CSV per exported dataset that has records to export (not EXPIRED ones:
        their records can never change, so a RecordSet of them would only be noise)."""
        exported = ctx.exported.get(DATASET.name)
        provider = ctx.target.contactnow
        options = ctx.options
        if not options.records or not isinstance(exported, ExportedDatasets) or provider is None:
            return
        documents = []
        folder = ctx.manifests / "data" / "records"
        folder.mkdir(parents=True)
        for name, item in exported.datasets:
            if item.status is Status.EXPIRED:
                continue
            assert item.id is not None
            known = exported.catalog.fields(item.campaign)
            key_field = known.get(options.key.casefold())
            if key_field is None:
                raise ConfigError(
                    f"campaign table {item.campaign} has no field {options.key}; name the key field with --key"
                )
            candidates = _candidates(options.fields, known, item.campaign, key_field.name)
            ctx.progress(f"reading the records of dataset {item.id} ({item.campaign}: {name})")
            result = export_records(
                provider.iter_records(item.id, key_field.name, candidates),
                key_field.name,
                candidates,
                folder / f"{name}.csv",
                keep_all=bool(options.fields),
                zero_is_empty=integer_fields(known.values()),
            )
            if result.skipped:
                ctx.skipped[self.address(name)] = dict(result.skipped)
            if not result.rows:
                ctx.notes.append(f"{DATASET.address(name)}: no exportable records; no RecordSet written")
                continue
            source = f"data/records/{name}.csv"
            spec = {
                "dataset": name,
                "key": key_field.name,
                "fields": flow(list(result.fields)),
                "source": source,
                "absent": flow({"policy": "ignore"}),
            }
            documents.append(document(self.name, name, spec))
            ctx.files[f"manifests/{source}"] = f"{result.rows} records, fields {', '.join(result.fields)}"
        if documents:
            (ctx.manifests / "recordsets.yaml").write_text(
                manifest_file(ctx.header, documents), encoding="utf-8"
            )
            ctx.files["manifests/recordsets.yaml"] = f"{len(documents)} record sets"
        if not any(folder.iterdir()):
            folder.rmdir()
            folder.parent.rmdir()


# ------------------------------------------------------------------------------------------- manifests


def _fields_problems(manifest: RecordSetManifest) -> list[Problem]:
    spec = manifest.spec
    problems = []
    if spec.key.casefold() in _VENDOR_OWNED:
        problems.append(
            Problem(
                f"key {spec.key} is written by the dialler and cannot identify your records",
                manifest.location_of("spec.key"),
                manifest.address,
                "use VENDOR_URN, the default, or a custom field that holds your own id",
            )
        )
    seen: dict[str, int] = {}
    for index, name in enumerate(spec.fields):
        where = manifest.location_of(f"spec.fields.{index}")
        if name.casefold() in _VENDOR_OWNED:
            problems.append(
                Problem(
                    f"field {name} is written by the dialler and cannot be managed",
                    where,
                    manifest.address,
                    "remove it from fields",
                )
            )
        folded = name.casefold()
        if folded in seen:
            problems.append(
                Problem(
                    f"field {name} is listed twice",
                    where,
                    manifest.address,
                    f"it is already item {seen[folded] + 1} of fields; keep one",
                )
            )
        else:
            seen[folded] = index
    if not phone_fields(spec):
        problems.append(
            Problem(
                "fields name no phone field",
                manifest.location_of("spec.fields"),
                manifest.address,
                "manage at least one of HomePhone, MobilePhone or WorkPhone: ContactNow refuses a record "
                "without a phone number",
            )
        )
    return problems


def _check_rows(manifest: RecordSetManifest) -> list[Problem]:
    """Every problem of every row, and duplicate keys with both lines. A source file is checked a column at a
    time first (see ManifestRecords.check); only when that finds something are its rows read one by one."""
    if manifest.source is None:
        return _scanned_problems(manifest)
    return ManifestRecords(manifest).check()


def _scanned_problems(manifest: RecordSetManifest) -> list[Problem]:
    key = manifest.spec.key
    return check_scanned(manifest, manifest.scan, lambda row: row.values[key], key)


def _spots(manifest: RecordSetManifest) -> dict[str, Location]:
    """Where the key, each field and each outcome were written, so a problem found at plan time points there."""
    spec = manifest.spec
    spots = {
        "spec.key": manifest.location_of("spec.key"),
        "spec.absent.outcome": manifest.location_of("spec.absent.outcome"),
        "spec.dedupe.outcome": manifest.location_of("spec.dedupe.outcome"),
    }
    for index, name in enumerate(spec.fields):
        spots.setdefault(f"spec.fields.{name}", manifest.location_of(f"spec.fields.{index}"))
    return spots


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------------------------------------- planning


def _plan_one(
    item: DesiredRecordSet,
    match: DatasetMatch,
    known: Mapping[str, FieldInfo],
    outcomes: Mapping[str, Any],
    provider: ContactNowApi,
    ctx: PlanContext,
) -> None:
    """Check the record set against its table, then diff it: the live read streams from the server while the
    diff's first pass reads the source."""
    problems: list[Problem] = []
    spelled: list[str] = []
    for name, spot in ((item.key, "spec.key"), *((name, f"spec.fields.{name}") for name in item.fields)):
        found = known.get(name.casefold())
        if found is None:
            problems.append(
                Problem(
                    f"field {name} does not exist in campaign table {match.table}",
                    item.at(spot),
                    item.address,
                    "fix spec.fields, or add the field to the campaign table in ContactNow",
                )
            )
        elif found.name not in spelled:
            spelled.append(found.name)
    for policy_name, policy in (("absent", item.absent), ("dedupe", item.dedupe)):
        if policy.action != "complete" or policy.outcome is None:
            continue
        code = outcomes.get(policy.outcome)
        if code is None:
            problems.append(
                Problem(
                    f"outcome code {policy.outcome} (spec.{policy_name}.outcome) does not exist",
                    item.at(f"spec.{policy_name}.outcome"),
                    item.address,
                    "name an existing outcome code whose complete flag is Y",
                )
            )
        elif not code.complete:
            problems.append(
                Problem(
                    f"outcome code {policy.outcome} ({code.description}) is not a complete outcome (complete = N)",
                    item.at(f"spec.{policy_name}.outcome"),
                    item.address,
                    "name an outcome code whose complete flag is Y",
                )
            )
    screening = None
    if item.suppress is not None:
        problems += outcome_problems(item.suppress, item.address, outcomes)
        screening = None if ctx.metadata_only else Screening.start(item.address, item.suppress, spelled, ctx)
        if screening is None and not ctx.metadata_only:
            ctx.problems.extend(problems)  # a list could not be loaded (its own problem says why): no plan
            return
    if ctx.metadata_only:
        ctx.problems.extend(problems)
        return
    live_dataset = match.live
    expired = live_dataset is not None and live_dataset.status is Status.EXPIRED
    live: Prefetch[LiveBatch] | None = None
    if not problems and live_dataset is not None and live_dataset.id is not None and not expired:
        batches = provider.iter_record_batches(live_dataset.id, item.key, spelled)
        live = Prefetch(batches, ahead=PREFETCH_BATCHES, name="live-records")
    try:
        if not ctx.source_ok(item):
            return
        pass_one: SourceTable | None = None
        if not problems:
            pass_one = source_table(item, spelled)
            problems.extend(_check_sizes(item, known, spelled, pass_one))
        if problems and live is not None:
            live.close()
            live = None
        if expired:
            ctx.live[item.address] = "expired"
            if not problems:
                ctx.observations.append(
                    Observation(item.address, "info", "its dataset is EXPIRED: records are not compared")
                )
            ctx.problems.extend(problems)
            return
        if live_dataset is None and pass_one is not None:
            problems.extend(_overlap(item, match, pass_one, provider, ctx))
        if problems:
            ctx.problems.extend(problems)
            return
        dataset_id = None if live_dataset is None else live_dataset.id
        with ctx.reading(f"{item.address}: live records") as advance:
            pages: Iterator[LiveBatch] | None = None if live is None else counted(live, advance, len)
            if screening is not None:
                screening.start_source(item.source, item.key)
                pages = None if pages is None else screening.tap(pages)
            # Every reader of the source's columns has them now (zones, screening, pass 1): pass 2 needs only
            # the digests, and pass 3 the changed rows, which pass 1 kept compressed.
            release = getattr(item.source, "release", None)
            if callable(release):
                release()
            result = diff_records(
                item,
                spelled,
                pages,
                dataset_id=dataset_id,
                depends_on=(item.dataset_address,),
                table=pass_one,
            )
            if screening is not None:
                result = screening.settle(result, item.dataset_address, dataset_id)
    finally:
        if live is not None:
            live.close()
    ctx.live[item.address] = result.live_digest
    ctx.observations.extend(result.observations)
    ctx.live_rows[item.address] = result.live_rows
    if result.change is not None:
        counts = result.change.counts
        tally = {
            "create": counts.get("create", 0),
            "change": counts.get("update", 0),
            "remove": sum(counts.get(name, 0) for name in ("complete", "dedupe", "suppress", "erase")),
        }
        ctx.changes.append(replace(result.change, unit=RECORD_SET.unit, tally=tally))


def _overlap(
    item: DesiredRecordSet, match: DatasetMatch, table: SourceTable, provider: ContactNowApi, ctx: PlanContext
) -> list[Problem]:
    """A new dataset whose records are already open in another LIVE or HOLD dataset of its campaign table is
    most likely a renamed one: creating it would put the same customers on the dialler twice. Refused unless
    its Dataset acknowledges the overlap."""
    dataset = ctx.desired.get(item.dataset_address)
    if not isinstance(dataset, DesiredDataset) or OVERLAP in dataset.acknowledge or not len(table.index()):
        return []
    others = ctx.reads.get(("contactnow", "datasets", match.table), datasets_of(provider, match.table))
    found: list[tuple[int, Dataset]] = []
    for other in others:
        if other.id is None or other.status not in {Status.LIVE, Status.HOLD}:
            continue
        shared = 0
        for batch in provider.iter_record_batches(other.id, item.key, ()):
            frame = batch.frame
            open_ = ~frame.get_column("process_type").is_in(["COMPLETE", "EXPIRED"])
            shared += table.index().count_in(frame.get_column("key").filter(open_))
        if shared:
            found.append((shared, other))
    if not found:
        return []
    shared, likely = max(found, key=lambda entry: (entry[0], -(entry[1].id or 0)))
    elsewhere = f" and {len(found) - 1} other datasets" if len(found) > 1 else ""
    return [
        Problem(
            f"{item.dataset_address} is new, but {shared} of its {len(table.index())} records are already open in "
            f'dataset {likely.id} ("{likely.description}", {likely.status.value}){elsewhere} of campaign table '
            f"{match.table}: creating it would dial them twice",
            item.location,
            item.address,
            f'if {item.dataset_address} is that dataset renamed, add `movedFrom: {{description: "{likely.description}"}}` '
            f"(or `id: {likely.id}`) to its spec; if both should dial them, add `acknowledge: [overlap]`",
        )
    ]


def _check_sizes(
    item: DesiredRecordSet, known: Mapping[str, FieldInfo], spelled: list[str], table: SourceTable
) -> list[Problem]:
    """Values longer than their field's size would be refused at apply time: refuse them now. Pass 1 of the
    diff (`table`) knows each field's longest value; only when one is too long are the rows read again, to name
    each with its line."""
    sizes: dict[str, int] = {}
    for name in spelled:
        info = known.get(name.casefold())
        if info is not None and info.size > 0:
            sizes[name.casefold()] = info.size
    problems: list[Problem] = []
    longest = {name.casefold(): length for name, length in table.longest.items()}
    if all(longest.get(name, 0) <= limit for name, limit in sizes.items()):
        return problems
    for record in item.source.iter_records():
        problems.extend(_row_size_problems(item, record, sizes))
        if len(problems) >= MAX_SIZE_PROBLEMS:
            break
    return problems


def _row_size_problems(
    item: DesiredRecordSet, record: SourceRecord, sizes: Mapping[str, int]
) -> list[Problem]:
    found = []
    for name, value in record.values.items():
        limit = sizes.get(name.casefold())
        if limit is not None and len(value) > limit:
            found.append(
                Problem(
                    f"{name} of {_record_name(item, record)} is {len(value)} characters; "
                    f"the field holds {limit}",
                    record.location,
                    item.address,
                    "shorten the value in the source",
                )
            )
    return found


def _record_name(item: DesiredRecordSet, record: SourceRecord) -> str:
    """How a message names a source record: by its key, unless the key is a personal field (its line says)."""
    if is_personal(item.key):
        return "the record"
    return f"record {record.key}"


# ------------------------------------------------------------------------------------------------- apply


def _apply(ctx: StepContext, address: str, item: DesiredRecordSet, work: RecordWork) -> StepResult:
    if ctx.failed(item.dataset_address):
        return StepResult(Outcome.SKIPPED, f"skipped: {item.dataset_address} failed")
    dataset_id = work.dataset_id
    if dataset_id is None:
        made = ctx.recall(item.dataset_address, DatasetMatch)
        dataset_id = made.live.id if made is not None and made.live is not None else None
    if dataset_id is None:
        return StepResult(Outcome.SKIPPED, f"skipped: {item.dataset_address} has no id")
    provider = ctx.target.contactnow
    assert provider is not None
    failures: list[str] = []
    refused = 0
    done: list[str] = []
    named = _key_names(item)
    closed = (
        work.gate.closed(ctx.now()) if isinstance(work, GatedRecordWork) and work.gate is not None else None
    )
    if closed is not None:
        return _gated(
            closed, refuses=isinstance(work, GatedRecordWork) and work.gate is not None and work.gate.refuses
        )
    try:
        if work.create_keys:
            with ctx.progress(f"{address}: create", len(work.create_keys)) as advance:
                created = provider.create_records(
                    dataset_id, item.key, _source_records(item, work.create_keys), progress=advance
                )
            done.append(f"{created.written} created")
            failures += [f"{named(failure.key)}: {failure.reason}" for failure in created.failures]
            refused += len(created.failures)
            failures += [
                f"{named(key)}: outcome unknown after every retry; run apply again"
                for key in created.unresolved
            ]
        if work.updates:
            with ctx.progress(f"{address}: update", len(work.updates)) as advance:
                updated = provider.update_records(dataset_id, _updates(item, work), progress=advance)
            done.append(f"{updated.written} updated")
            failures += [f"{named(failure.key)}: {failure.reason}" for failure in updated.failures]
            refused += len(updated.failures)
        for ids, outcome, label in (
            (work.complete_ids, work.complete_outcome, "completed"),
            (work.dedupe_ids, work.dedupe_outcome, "duplicates completed"),
            (work.suppress_ids + work.erase_ids, work.suppress_outcome, "completed as do-not-call"),
        ):
            if not ids or outcome is None:
                continue
            with ctx.progress(f"{address}: {label}", len(ids)) as advance:
                completed = provider.complete_records(dataset_id, ids, outcome, progress=advance)
            done.append(f"{completed.written} {label}")
            failures += [f"{failure.key}: {failure.reason}" for failure in completed.failures]
            refused += len(completed.failures)
    except ReconcilerError as error:
        return StepResult(
            Outcome.FAILED, "; ".join([*done, str(error)]), failures, error=error, refused=refused
        )
    detail = ", ".join(done)
    if failures:
        detail += f"; {len(failures)} rows failed"
    return StepResult(Outcome.FAILED if failures else Outcome.APPLIED, detail, failures, refused=refused)


def _gated(closed: str, *, refuses: bool) -> StepResult:
    """The result of record creates the calling-hours gate stopped (their dataset is LIVE)."""
    if refuses:
        return StepResult(Outcome.FAILED, f"refused to add records to a LIVE dataset: {closed}")
    return StepResult(
        Outcome.SKIPPED, f"deferred: no record added to the LIVE dataset, {closed}; apply again then"
    )


def _key_names(item: DesiredRecordSet) -> Callable[[str], str]:
    """How failure lines name a record: by its key, unless the key is a personal field (a phone, an email)."""
    if is_personal(item.key):
        return lambda _key: f"a record ({item.key} not shown)"
    return lambda key: key


def _updates(item: DesiredRecordSet, work: RecordWork) -> Iterator[RecordUpdate]:
    """Each record to update, with only the managed fields that differ, taken as the creates are."""
    for record in _source_records(item, work.updates.keys()):
        record_id, fields = work.updates[record.key]
        wanted = {name.casefold() for name in fields}
        values = {name: value for name, value in record.values.items() if name.casefold() in wanted}
        yield RecordUpdate(record.key, record_id, values)


def _source_records(item: DesiredRecordSet, keys: Collection[str]) -> Iterator[SourceRecord]:
    """The source records whose key is in `keys`, in source order, with only the key and the managed fields:
    fields a record set does not name are never touched. They come from the source's frame, the columns the
    plan read and checked once (row n of the frame is the n-th record of the source), a slice at a time, so
    the apply neither reads nor checks the source a second time, one row after another."""
    import polars as pl

    frame = item.source.frame()
    managed = {name.casefold() for name in item.fields}
    folded_key = item.key.casefold()
    key = (
        item.key
        if item.key in frame.columns
        else next((name for name in frame.columns if name.casefold() == folded_key), item.key)
    )
    names = [name for name in frame.columns if name.casefold() in managed and name.casefold() != folded_key]
    wanted = frame.get_column(key).is_in(pl.Series(list(keys), dtype=pl.String).implode()).fill_null(False)
    location = Location(item.location.file)
    for offset in range(0, frame.height, _SOURCE_SLICE):
        part = frame.slice(offset, _SOURCE_SLICE).filter(wanted.slice(offset, _SOURCE_SLICE))
        if not part.height:
            continue
        values = part.select(pl.col(name).fill_null("") for name in names).to_dicts()  # built by polars
        yield from map(SourceRecord, part.get_column(key).to_list(), values, [location] * len(values))


_SOURCE_SLICE = 10_000
"""Source rows turned into records at a time when creating or updating: a few MB of dicts, whatever the source's size."""


# ------------------------------------------------------------------------------------------------ export


def _candidates(
    fields: Sequence[str], known: Mapping[str, FieldInfo], table: str, key: str
) -> tuple[str, ...]:
    if not fields:
        return candidate_fields(known.values(), key)
    missing = [name for name in fields if name.casefold() not in known]
    if missing:
        raise ConfigError(f"campaign table {table} has no field {', '.join(missing)}; fix --field")
    spelled = [known[name.casefold()].name for name in fields]
    return tuple(dict.fromkeys(name for name in spelled if name.casefold() != key.casefold()))


RECORD_SET = RecordSetKind()
