"""OutcomeCode: one ContactNow outcome code (`database.php` `outcomecodes`): its description and flags.

Identity: a pinned `outcome` (the code's number), otherwise the description. Two live codes with one description
is a problem that asks for `outcome`. A pinned number the account lacks is created with that number, and apply
checks the vendor kept it. System codes are read-only: a manifest that asks to change one is a problem.

`complete` decides whether a record that carries the code stays on the dialler. So a flip of `complete` on a code
that live records carry silently changes which of them the dialler still calls: the plan counts them ("flips
dialability of 12,400 records") and refuses the flip until the spec acknowledges `complete-flip`.

Planning publishes the codes as they will be once applied (`PlannedOutcomes`), so a RecordSet that completes
records with a code this plan creates, or checks a flag this plan flips, is checked against what apply leaves.
Apply creates and updates codes first (phase OUTCOME_CODES), before any record is completed with one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

from pydantic import Field

from ..apply.steps import Outcome, Step, StepContext, StepResult
from ..errors import Problem, ReconcilerError
from ..export.documents import document, manifest_file
from ..export.names import slug, unique_names
from ..manifest import DocumentBase, FileContext, ManifestDocument, Project
from ..manifest.documents import DocumentIndex
from ..manifest.spec import Metadata, NonEmptyText, SpecModel
from ..plan.changes import Action, Change, FieldChange, Observation, Phase, Work
from ..plan.guards import Verdict
from ..providers.base import ContactNowApi, OutcomeInfo, OutcomeUse, OutcomeWrite
from .base import Desired, ExportContext, Kind, PlanContext, no_api

COMPLETE_FLIP = "complete-flip"
"""Acknowledges, in the spec, a flip of `complete` on a code that live records carry."""
PLANNED = "outcome codes, as planned"
"""The key under which planning publishes `PlannedOutcomes` for the kinds planned after it."""

FLAGS = ("complete", "do_not_call", "dmc", "sale", "answerphone")
"""The flags, by domain name, in the order plans show them."""
_SPELLED = {
    "complete": "complete",
    "do_not_call": "doNotCall",
    "dmc": "dmc",
    "sale": "sale",
    "answerphone": "answerphone",
}

# ------------------------------------------------------------------------------------------------- document


class OutcomeCodeSpec(SpecModel):
    """A ContactNow outcome code, matched by `outcome` when given, otherwise by its description."""

    outcome: int | None = Field(
        default=None,
        ge=1,
        description="Pins the code by its number; a number the account lacks is created with that number",
    )
    description: NonEmptyText = Field(description="The code's label; without outcome, its natural key")
    complete: bool = Field(
        description="Y: a record given this code leaves the dialler; N: it is dialled again (required: it "
        "decides what the dialler calls)"
    )
    do_not_call: bool = Field(default=False, description="The number is not to be called again")
    dmc: bool = Field(default=False, description="Decision-maker contact")
    sale: bool = Field(default=False, description="Counts as a sale")
    answerphone: bool = Field(default=False, description="The call reached an answerphone")
    acknowledge: tuple[Literal["complete-flip"], ...] = Field(
        default=(),
        description="Acknowledged risks: complete-flip (changing complete on a code that live records carry, "
        "which changes whether the dialler calls them)",
    )


class OutcomeCodeDocument(SpecModel):
    """An OutcomeCode manifest document: one ContactNow outcome code."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["OutcomeCode"]
    metadata: Metadata
    spec: OutcomeCodeSpec


@dataclass(frozen=True, eq=False)
class OutcomeCodeManifest(ManifestDocument):
    KIND: ClassVar[str] = "OutcomeCode"

    spec: OutcomeCodeSpec = field(kw_only=True)


# ---------------------------------------------------------------------------------------------- desired


@dataclass(frozen=True)
class DesiredOutcome(Desired):
    """What an OutcomeCode manifest wants: the code (its number when pinned, else "") and what it acknowledges."""

    want: OutcomeInfo = field(kw_only=True)
    acknowledge: frozenset[str] = field(default=frozenset(), kw_only=True)

    @property
    def pinned(self) -> str | None:
        return self.want.outcome or None


@dataclass(frozen=True)
class PlannedOutcomes:
    """The outcome codes as they will be once this plan's OutcomeCode changes are applied, by number (only
    those whose number is known: pinned, or matched to a live code)."""

    codes: Mapping[str, OutcomeInfo]


def with_planned(live: Mapping[str, OutcomeInfo], ctx: PlanContext) -> dict[str, OutcomeInfo]:
    """The account's outcome codes as a kind planned after OutcomeCode should check them: the live ones, with
    those this plan creates or changes as they will be."""
    planned = ctx.fact(PLANNED, PlannedOutcomes)
    return {**live, **(planned.codes if planned is not None else {})}


@dataclass(frozen=True)
class OutcomeWork(Work):
    want: OutcomeInfo
    live: OutcomeInfo | None
    use: OutcomeUse | None = None
    """How many live records carry the code, when `complete` flips."""


# ------------------------------------------------------------------------------------------------- kind


class OutcomeCodeKind(Kind[OutcomeCodeManifest, DesiredOutcome]):
    name: ClassVar[str] = "OutcomeCode"
    document: ClassVar[type[OutcomeCodeDocument]] = OutcomeCodeDocument
    manifest_type: ClassVar[type[OutcomeCodeManifest]] = OutcomeCodeManifest
    plural: ClassVar[str] = "outcome codes"

    # ---------------------------------------------------------------------------------------- manifests

    def manifest(
        self, document: Any, base: DocumentBase, context: FileContext
    ) -> tuple[OutcomeCodeManifest, list[Problem]]:
        assert isinstance(document, OutcomeCodeDocument)
        return OutcomeCodeManifest(base.name, base.file, base.location, base.node, spec=document.spec), []

    def check_documents(self, index: DocumentIndex) -> list[Problem]:
        """No two documents may describe one code: by pinned number, or by description."""
        problems = []
        seen: dict[tuple[str, object], OutcomeCodeManifest] = {}
        for manifest in self.mine(index):
            spec = manifest.spec
            keys: list[tuple[str, object, str]] = [
                ("description", spec.description, f'description "{spec.description}" is already that of')
            ]
            if spec.outcome is not None:
                keys.insert(0, ("outcome", spec.outcome, f"outcome {spec.outcome} is already pinned by"))
            for name, value, said in keys:
                first = seen.setdefault((name, value), manifest)
                if first is not manifest:
                    problems.append(
                        Problem(
                            f"{said} {first.address} ({first.location})",
                            manifest.location_of(f"spec.{name}"),
                            manifest.address,
                            "each outcome code is described once: remove one of them, or tell them apart",
                        )
                    )
                    break
        return problems

    def desired(self, manifest: OutcomeCodeManifest, project: Project) -> DesiredOutcome:
        spec = manifest.spec
        want = OutcomeInfo(
            "" if spec.outcome is None else str(spec.outcome),
            spec.description,
            complete=spec.complete,
            do_not_call=spec.do_not_call,
            dmc=spec.dmc,
            sale=spec.sale,
            answerphone=spec.answerphone,
        )
        return DesiredOutcome(
            manifest.address, manifest.location, want=want, acknowledge=frozenset(spec.acknowledge)
        )

    # --------------------------------------------------------------------------------------------- plan

    def plan(self, items: Sequence[DesiredOutcome], ctx: PlanContext) -> None:
        provider = ctx.target.contactnow
        if provider is None:
            ctx.problems.extend(no_api(ctx.target.name, item, "ContactNow", "contactnow") for item in items)
            return
        with ctx.attempt(*(item.address for item in items)):
            catalog = ctx.reads.get(("contactnow", "catalog"), provider.catalog)
            live = catalog.outcomes()
            system = ctx.reads.get(("contactnow", "system outcomes"), provider.system_outcomes)
            planned: dict[str, OutcomeInfo] = {}
            claimed: set[str] = set()
            for item in items:
                match, problem = _match(item, live)
                if problem is not None:
                    ctx.problems.append(problem)
                    continue
                if match is not None:
                    claimed.add(match.outcome)
                self._plan_one(item, match, match is not None and match.outcome in system, provider, ctx)
                number = item.pinned or (match.outcome if match is not None else None)
                if number is not None:
                    planned[number] = replace(item.want, outcome=number)
            ctx.publish(PLANNED, PlannedOutcomes(planned))
            ctx.observations.extend(
                Observation(
                    self.address(f"#{code.outcome}"),
                    "unmanaged",
                    f"outcome code {code.outcome} ({code.description}) is in no manifest",
                )
                for number, code in sorted(live.items(), key=lambda entry: _number(entry[0]))
                if number not in claimed and number not in system
            )

    def _plan_one(
        self,
        item: DesiredOutcome,
        live: OutcomeInfo | None,
        system: bool,
        provider: ContactNowApi,
        ctx: PlanContext,
    ) -> None:
        want = item.want
        if live is None:
            ctx.live[item.address] = "absent"
            fields = tuple(FieldChange(name, None, value) for name, value in _shown(want).items() if value)
            notes = [] if item.pinned is None else [f"created as number {item.pinned}"]
            ctx.changes.append(_change(Action.CREATE, item, fields, notes, OutcomeWork(want, None)))
            return
        before, after = _shown(live), _shown(replace(want, outcome=live.outcome))
        differing = tuple(
            FieldChange(name, before[name], after[name]) for name in after if before[name] != after[name]
        )
        use = None
        if live.complete != want.complete and not ctx.metadata_only:
            use = provider.outcome_use(live.outcome)
            ctx.live_rows[item.address] = use.of
        ctx.live[item.address] = _digest(live, system, use)
        if not differing:
            return
        if system:
            names = ", ".join(change.field for change in differing)
            ctx.problems.append(
                Problem(
                    f"outcome code {live.outcome} ({live.description}) is a system code and cannot be changed "
                    f"({names} differ)",
                    item.location,
                    item.address,
                    "set the manifest to the live values, or remove the document: system codes are read-only",
                )
            )
            return
        notes = [] if use is None else [_flip_note(live, want, use)]
        ctx.changes.append(_change(Action.UPDATE, item, differing, notes, OutcomeWork(want, live, use)))

    def guards(self, change: Change, item: DesiredOutcome, live_rows: int) -> list[Verdict]:
        work = change.work
        assert isinstance(work, OutcomeWork)
        use = work.use
        if use is None or not use.records or COMPLETE_FLIP in item.acknowledge:
            return []
        assert work.live is not None
        return [
            Verdict(
                COMPLETE_FLIP,
                Problem(
                    f"flips dialability of {use.records:,} records: {_flip_effect(work.live, work.want, use)}",
                    item.location,
                    item.address,
                    "if every record that carries the code should change, add `acknowledge: [complete-flip]` to "
                    "the OutcomeCode spec; otherwise create a new code for the new meaning",
                ),
            )
        ]

    # -------------------------------------------------------------------------------------------- apply

    def steps(self, change: Change, item: DesiredOutcome) -> list[Step]:
        work = change.work
        assert isinstance(work, OutcomeWork)
        return [Step(Phase.OUTCOME_CODES, lambda ctx: _apply(ctx, item, work))]

    # ------------------------------------------------------------------------------------------- export

    def export(self, ctx: ExportContext) -> None:
        """outcomecodes.yaml: one OutcomeCode per code that is not a system code, pinned by its number. Codes
        belong to the whole account, so an export filtered by campaign table, dataset or status leaves them out."""
        provider = ctx.target.contactnow
        options = ctx.options
        if provider is None:
            return
        if options.campaigns or options.datasets or options.statuses:
            ctx.notes.append("outcome codes belong to the whole account: a filtered export leaves them out")
            return
        system = provider.system_outcomes()
        codes = {
            _number(number): code
            for number, code in provider.catalog().outcomes().items()
            if number not in system
        }
        if not codes:
            return
        names = unique_names(
            {number: slug(code.description, "outcome") for number, code in codes.items()}, "outcome"
        )
        ordered = sorted(codes, key=lambda number: names[number])
        documents = [document(self.name, names[number], _spec(number, codes[number])) for number in ordered]
        (ctx.manifests / "outcomecodes.yaml").write_text(
            manifest_file(ctx.header, documents), encoding="utf-8"
        )
        ctx.files["manifests/outcomecodes.yaml"] = f"{len(documents)} outcome codes (system codes left out)"


# ------------------------------------------------------------------------------------------- planning


def _match(
    item: DesiredOutcome, live: Mapping[str, OutcomeInfo]
) -> tuple[OutcomeInfo | None, Problem | None]:
    if item.pinned is not None:
        return live.get(item.pinned), None
    found = [code for code in live.values() if code.description == item.want.description]
    if len(found) > 1:
        numbers = ", ".join(sorted((code.outcome for code in found), key=_number))
        return None, Problem(
            f'{len(found)} live outcome codes are described "{item.want.description}" (numbers {numbers})',
            item.location,
            item.address,
            "pin the one to manage with spec.outcome",
        )
    return (found[0] if found else None), None


def _change(
    action: Action, item: DesiredOutcome, fields: tuple[FieldChange, ...], notes: list[str], work: OutcomeWork
) -> Change:
    tally = {"create" if action is Action.CREATE else "change": 1}
    return Change(
        action, item.address, Phase.OUTCOME_CODES, fields, notes=tuple(notes), tally=tally, work=work
    )


def _shown(code: OutcomeInfo) -> dict[str, str]:
    """The code's managed values as plans show them, by manifest name (Y/N flags)."""
    values = {"outcome": code.outcome, "description": code.description}
    values.update({_SPELLED[name]: "Y" if getattr(code, name) else "N" for name in FLAGS})
    return values


def _digest(live: OutcomeInfo, system: bool, use: OutcomeUse | None) -> str:
    shown = _shown(live)
    text = "|".join([*(shown[name] for name in sorted(shown)), str(system)])
    if use is not None:
        text += f"|{use.records}/{use.of}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _flip_effect(live: OutcomeInfo, want: OutcomeInfo, use: OutcomeUse) -> str:
    share = 100.0 * use.records / use.of if use.of else 100.0
    effect = "takes them off the dialler" if want.complete else "puts them back on the dialler"
    return (
        f"{share:.0f}% ({use.records}/{use.of}) of the account's live records carry outcome {live.outcome}, and "
        f"complete {'N -> Y' if want.complete else 'Y -> N'} {effect}"
    )


def _flip_note(live: OutcomeInfo, want: OutcomeInfo, use: OutcomeUse) -> str:
    if not use.records:
        return f"complete {'N -> Y' if want.complete else 'Y -> N'}: no live record carries outcome {live.outcome}"
    return f"flips dialability of {use.records:,} records: {_flip_effect(live, want, use)}"


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


# ---------------------------------------------------------------------------------------------- apply


def _values(want: OutcomeInfo, live: OutcomeInfo | None) -> OutcomeWrite:
    """What a create sets (everything), or an update (only what differs)."""
    changed = {
        name: getattr(want, name)
        for name in ("description", *FLAGS)
        if live is None or getattr(want, name) != getattr(live, name)
    }
    return OutcomeWrite(**changed)


def _apply(ctx: StepContext, item: DesiredOutcome, work: OutcomeWork) -> StepResult:
    provider = ctx.target.contactnow
    assert provider is not None  # planning refused an OutcomeCode on a target without ContactNow
    values = _values(work.want, work.live)
    try:
        if work.live is None:
            number = provider.create_outcome(item.pinned, values)
            if item.pinned is not None and number != item.pinned:
                return StepResult(
                    Outcome.FAILED,
                    f"the vendor numbered the new code {number}, not {item.pinned} as pinned",
                    [f"pin spec.outcome: {number} (and name {number} wherever {item.pinned} was named)"],
                )
            return StepResult(Outcome.APPLIED, f"created outcome code {number}")
        provider.update_outcome(work.live.outcome, values)
    except ReconcilerError as error:
        return StepResult(Outcome.FAILED, str(error), error=error)
    return StepResult(
        Outcome.APPLIED, f"updated outcome code {work.live.outcome} ({', '.join(values.names())})"
    )


# --------------------------------------------------------------------------------------------- export


def _spec(number: int, code: OutcomeInfo) -> dict[str, object]:
    spec: dict[str, object] = {"outcome": number, "description": code.description}
    spec.update({_SPELLED[name]: getattr(code, name) for name in FLAGS})
    return spec


OUTCOME_CODE = OutcomeCodeKind()
