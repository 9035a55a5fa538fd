"""CcCampaign: the status of one Contact Center dynamic campaign (RUNNING, PAUSED, PURGED or STOPPED), moved
along the vendor's transition graph (reconciler/model/campaign.py).

Planning reads the campaign's status code and finds the way to the declared state: Running -> Purged is PAUSED
then PURGED. A way that passes through Running, which dials, needs `acknowledge: [run]`; any way to Stopped,
which is final, needs `acknowledge: [stop]`. A campaign already Stopped (by an operator, its schedule, or the
dialler completing it) can never run again: that is an irreversible problem, with the remedy.

Who moved the campaign is in its status code, and that is how drift tells config drift from churn:
- an operator's code (1 Manual Started, 3 Manual Running, 5 Manual Stopped, 8 Manual Paused, 10 Manual
  Purged; and 0 New) means a person (the vendor's UI, or its API) set it: a state other than the declared one
  is config drift, and the plan moves it back;
- a schedule's code (2 Scheduled, 4 Schedule Running, 7 Schedule Stopped, 9 Schedule Paused, 11 Schedule
  Purged) means the campaign's own schedule moved it: the plan leaves it to the schedule and reports churn,
  unless the manifest declares STOPPED, which is always carried out;
- 6 Completed means the dialler finished every record: Stopped, so irreversible.

Apply moves a campaign one edge at a time and re-reads its status before each move and after it (the re-read
after one move is the read before the next), since campaigns move on their own. A campaign found elsewhere than
planned, or an answer "Invalid state transition", leads to a new way worked out from the status just read,
never to the same request sent again blindly; a new way that needs an acknowledgement the spec lacks stops the
change, to be planned again. Moves short of a stop run before members are added (phase CAMPAIGN), and a stop
after members are removed (CAMPAIGN_STOP); the membership of the same campaign depends on this resource, and
plans against the status the campaign will have when its members change (`CampaignPlan`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import Field

from ..apply.steps import Outcome, Step, StepContext, StepResult
from ..errors import AmbiguousWriteError, ApiError, CampaignStateError, ConfigError, Problem, ReconcilerError
from ..export.documents import document, manifest_file
from ..export.names import slug, unique_names
from ..manifest import DocumentBase, FileContext, ManifestDocument, Project
from ..manifest.documents import DocumentIndex
from ..manifest.spec import Metadata, SpecModel
from ..model.calling.callerid import caller_id_problem
from ..model.calling.gate import Gate
from ..model.campaign import MOVED_BY, OPERATOR_CODE, CampaignState, Mover, describe, path, state_of
from ..plan.changes import Action, Change, FieldChange, Observation, Phase, Work
from ..plan.guards import Verdict
from ..providers.base import CampaignInfo, ContactCenterApi
from ..text import shown
from .base import Desired, ExportContext, Kind, PlanContext, no_api

RUN = "run"
"""Acknowledges, in the spec, a way to the declared state that passes through Running (which dials)."""
STOP = "stop"
"""Acknowledges, in the spec, a way to Stopped, which is final."""
MAX_MOVES = 6
"""Status changes one step may send: the longest way has three, and a campaign that moves on its own asks for a
new way; past this many, the step stops and asks for a new plan."""

_RUNNING, _STOPPED = CampaignState.RUNNING, CampaignState.STOPPED
D = TypeVar("D", bound=Desired)

# ------------------------------------------------------------------------------------------------- document


class CcCampaignSpec(SpecModel):
    """The status of one Contact Center dynamic campaign."""

    campaign: int = Field(ge=1, description="The Contact Center campaign id")
    status: Literal["RUNNING", "PAUSED", "PURGED", "STOPPED"] = Field(
        description="RUNNING (dials), PAUSED (queued records are still dialled), PURGED (paused, queue "
        "flushed) or STOPPED (final; needs acknowledge: [stop])"
    )
    acknowledge: tuple[Literal["run", "stop"], ...] = Field(
        default=(),
        description="Acknowledged risks: run (the way to the status passes through Running, which dials); "
        "stop (the campaign stops for good)",
    )


class CcCampaignDocument(SpecModel):
    """A CcCampaign manifest document: the status of one Contact Center dynamic campaign."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["CcCampaign"]
    metadata: Metadata
    spec: CcCampaignSpec


@dataclass(frozen=True, eq=False)
class CcCampaignManifest(ManifestDocument):
    KIND: ClassVar[str] = "CcCampaign"

    spec: CcCampaignSpec = field(kw_only=True)


# ---------------------------------------------------------------------------------------------- desired


@dataclass(frozen=True)
class DesiredCampaign(Desired):
    campaign: int = field(kw_only=True)
    state: CampaignState = field(kw_only=True)
    acknowledge: frozenset[str] = field(default=frozenset(), kw_only=True)


@dataclass(frozen=True)
class CampaignPlan:
    """What planning a CcCampaign found, for the kinds planned after it (its membership): the status code the
    campaign will have while members change (phase MEMBERS), which is the live one unless this plan moves it
    first."""

    campaign: int
    live: int
    during_members: int
    stopped: bool = False
    """It is Stopped, as declared: its members can no longer change."""


def campaign_manager(project: Project, campaign: int) -> str | None:
    """The address of the CcCampaign document of a campaign, if the project has one."""
    return next(
        (item.address for item in project.of(CcCampaignManifest) if item.spec.campaign == campaign), None
    )


@dataclass(frozen=True)
class CampaignWork(Work):
    campaign: int
    live: int
    way: tuple[CampaignState, ...]
    """The states the campaign passes through, the declared one last."""
    gate: Gate | None = None
    """The clock gate on a way through Running, which dials, from the memberships of the campaign that keep to a
    CallingPolicy (calling_members.attach_gates): checked at the moment of the start."""

    @property
    def before_stop(self) -> tuple[CampaignState, ...]:
        return tuple(state for state in self.way if state is not _STOPPED)


# ------------------------------------------------------------------------------------------------- kind


class CcCampaignKind(Kind[CcCampaignManifest, DesiredCampaign]):
    name: ClassVar[str] = "CcCampaign"
    document: ClassVar[type[CcCampaignDocument]] = CcCampaignDocument
    manifest_type: ClassVar[type[CcCampaignManifest]] = CcCampaignManifest
    plural: ClassVar[str] = "CC campaigns"

    # ---------------------------------------------------------------------------------------- manifests

    def manifest(
        self, document: Any, base: DocumentBase, context: FileContext
    ) -> tuple[CcCampaignManifest, list[Problem]]:
        assert isinstance(document, CcCampaignDocument)
        return CcCampaignManifest(base.name, base.file, base.location, base.node, spec=document.spec), []

    def check_documents(self, index: DocumentIndex) -> list[Problem]:
        """A campaign's status is declared once."""
        first_of: dict[int, CcCampaignManifest] = {}
        problems = []
        for manifest in self.mine(index):
            first = first_of.setdefault(manifest.spec.campaign, manifest)
            if first is not manifest:
                problems.append(
                    Problem(
                        f"campaign {manifest.spec.campaign} already has its status declared by {first.address} "
                        f"({first.location})",
                        manifest.location_of("spec.campaign"),
                        manifest.address,
                        "a campaign has one CcCampaign; remove one of them",
                    )
                )
        return problems

    def desired(self, manifest: CcCampaignManifest, project: Project) -> DesiredCampaign:
        spec = manifest.spec
        return DesiredCampaign(
            manifest.address,
            manifest.location,
            campaign=spec.campaign,
            state=CampaignState(spec.status),
            acknowledge=frozenset(spec.acknowledge),
        )

    # --------------------------------------------------------------------------------------------- plan

    def plan(self, items: Sequence[DesiredCampaign], ctx: PlanContext) -> None:
        each_with_contact_center(items, ctx, lambda item, provider: _plan_one(item, provider, ctx))

    def guards(self, change: Change, item: DesiredCampaign, live_rows: int) -> list[Verdict]:
        work = change.work
        assert isinstance(work, CampaignWork)
        return [
            Verdict(risk, Problem(reason, item.location, item.address, remedy))
            for risk, reason, remedy in _unacknowledged(work.campaign, work.live, work.way, item.acknowledge)
        ]

    def blocks_dependants(self, change: Change) -> str | None:
        work = change.work
        assert isinstance(work, CampaignWork)
        if state_of(work.live) is not CampaignState.NEW:
            return None  # members change in any state but New and Stopped: only a start must come first
        return f"its campaign must start first ({change.address}), and that is out of scope"

    def holds_for_dependants(self, change: Change, dependant: str) -> tuple[str, str] | None:
        work = change.work
        assert isinstance(work, CampaignWork)
        if _STOPPED not in work.way:
            return None
        return (
            f"would stop campaign {work.campaign} while {dependant}, out of scope, still has members to change",
            f"add --only {dependant} so its members change first (or stop excluding it)",
        )

    # -------------------------------------------------------------------------------------------- apply

    def steps(self, change: Change, item: DesiredCampaign) -> list[Step]:
        work = change.work
        assert isinstance(work, CampaignWork)
        steps = []
        if work.before_stop:
            goal = work.before_stop[-1]
            gate = work.gate if _RUNNING in work.way else None
            steps.append(
                Step(Phase.CAMPAIGN, lambda ctx: _gated(ctx, work.campaign, gate) or _move(ctx, item, goal))
            )
        if _STOPPED in work.way:
            steps.append(Step(Phase.CAMPAIGN_STOP, lambda ctx: _stop(ctx, change.address, item)))
        return steps

    # ------------------------------------------------------------------------------------------- export

    def export(self, ctx: ExportContext) -> None:
        """campaigns.yaml: the status of each --cc-campaign (named as its membership is), by name. A campaign
        that has not started cannot be declared (New is no state a manifest asks for), so it is left out."""
        provider = exported_contact_center(ctx)
        if provider is None:
            return
        campaigns = {number: provider.campaign(number) for number in sorted(set(ctx.options.cc_campaigns))}
        names = campaign_names(campaigns)
        documents = []
        for number in sorted(campaigns, key=lambda key: names[key]):
            state = state_of(campaigns[number].status)
            if state is None or state is CampaignState.NEW:
                ctx.notes.append(
                    f"campaign {number} is {describe(campaigns[number].status)}: its status is not exported"
                )
                continue
            documents.append(document(self.name, names[number], {"campaign": number, "status": state.value}))
        if documents:
            (ctx.manifests / "campaigns.yaml").write_text(
                manifest_file(ctx.header, documents), encoding="utf-8"
            )
            ctx.files["manifests/campaigns.yaml"] = f"{len(documents)} CC campaign statuses"


def exported_contact_center(ctx: ExportContext) -> ContactCenterApi | None:
    """The Contact Center API an export with --cc-campaign reads; None when none is asked for."""
    if not ctx.options.cc_campaigns:
        return None
    provider = ctx.target.contact_center
    if provider is None:
        raise ConfigError(f"target {ctx.options.target} has no Contact Center API; drop --cc-campaign")
    return provider


# ---------------------------------------------------------------------------------------------- planning


def campaign_names(campaigns: Mapping[int, CampaignInfo]) -> dict[int, str]:
    """The manifest names an export gives campaigns, by id: the slugs of their names, made unique."""
    return unique_names({key: slug(info.name, "campaign") for key, info in campaigns.items()}, "campaign")


def each_with_contact_center(
    items: Sequence[D], ctx: PlanContext, plan_one: Callable[[D, ContactCenterApi], None]
) -> None:
    """Plan each item with the target's Contact Center provider; an item whose target has none is a problem."""
    provider = ctx.target.contact_center
    for item in items:
        if provider is None:
            ctx.problems.append(no_api(ctx.target.name, item, "Contact Center", "contactCenter"))
            continue
        with ctx.attempt(item.address):
            plan_one(item, provider)


def read_campaign(
    item: Desired, campaign: int, provider: ContactCenterApi, ctx: PlanContext
) -> CampaignInfo | None:
    """A campaign as a resource of `item` needs it, read once per plan whichever kind asks first; None, with the
    problem, when it does not exist."""
    try:
        return ctx.reads.get(("cc", "campaign", campaign), lambda: provider.campaign(campaign))
    except ApiError as error:
        if error.status != 404:
            raise
        ctx.problems.append(
            Problem(
                f"campaign {campaign} does not exist",
                item.at("spec.campaign"),
                item.address,
                "fix spec.campaign (the campaign id in CC Configuration Manager)",
            )
        )
        return None


def _plan_one(item: DesiredCampaign, provider: ContactCenterApi, ctx: PlanContext) -> None:
    info = read_campaign(item, item.campaign, provider, ctx)
    if info is None:
        return
    ctx.live[item.address] = _digest(info)
    problem = None if info.caller_id is None else caller_id_problem(info.caller_id)
    if problem is not None and item.state is not _STOPPED:
        ctx.problems.append(
            Problem(
                f'campaign {item.campaign} presents caller ID "{shown(info.caller_id or "")}", which {problem}',
                item.location,
                item.address,
                "set the campaign's caller ID in Contact Center to a geographic or mobile number the called party "
                "can ring back at a normal rate",
            )
        )
        return
    live = state_of(info.status)
    if live is None:
        ctx.problems.append(
            Problem(
                f"campaign {item.campaign} has status {info.status}, which the vendor does not document",
                item.location,
                item.address,
                "check the campaign in CC Configuration Manager; the reconciler moves only documented statuses",
            )
        )
        return
    moved_by = MOVED_BY[info.status]
    if live is item.state:
        ctx.publish(item.address, CampaignPlan(item.campaign, info.status, info.status, live is _STOPPED))
        return
    if live is _STOPPED:
        ctx.problems.append(_stopped(item, info))
        return
    if moved_by is Mover.SCHEDULE and item.state is not _STOPPED:
        ctx.publish(item.address, CampaignPlan(item.campaign, info.status, info.status))
        ctx.observations.append(
            Observation(
                item.address,
                "churn",
                f"campaign {item.campaign} is {describe(info.status)}, moved there by its schedule; "
                f"{item.state.value} is declared, and the plan leaves the campaign to its schedule",
            )
        )
        return
    refused = [
        reason
        for reason, failed in (
            (f"campaign {item.campaign} is not a dynamic campaign", not info.dynamic),
            (f"campaign {item.campaign} is not enabled", not info.enabled),
        )
        if failed
    ]
    if refused:
        ctx.problems.extend(
            Problem(
                f"{reason}: its status cannot be changed",
                item.location,
                item.address,
                "manage the status of an enabled dynamic campaign, or remove the document",
            )
            for reason in refused
        )
        return
    way = path(live, item.state)
    assert way  # from anything but Stopped, every declared state can be reached
    work = CampaignWork(item.campaign, info.status, way)
    during = OPERATOR_CODE[work.before_stop[-1]] if work.before_stop else info.status
    ctx.publish(item.address, CampaignPlan(item.campaign, info.status, during))
    ctx.changes.append(
        Change(
            Action.IRREVERSIBLE if _STOPPED in way else Action.UPDATE,
            item.address,
            Phase.CAMPAIGN if work.before_stop else Phase.CAMPAIGN_STOP,
            (FieldChange("status", live.value, item.state.value),),
            notes=_notes(item, info, way),
            tally={"change": 1},
            work=work,
        )
    )


def _notes(item: DesiredCampaign, info: CampaignInfo, way: tuple[CampaignState, ...]) -> tuple[str, ...]:
    notes = [
        f"campaign {item.campaign} is {describe(info.status)}; the way there: "
        + " -> ".join(state.value for state in way)
    ]
    if item.state is CampaignState.PAUSED:
        notes.append("PAUSED still dials the records already queued; PURGED also flushes them")
    if _STOPPED in way:
        notes.append("STOPPED is final: the campaign can never run again")
    return tuple(notes)


def _stopped(item: DesiredCampaign, info: CampaignInfo) -> Problem:
    """The problem of a campaign that is Stopped while the manifest asks for another state: it can never be."""
    who = {
        Mover.DIALLER: "was completed by the dialler (every record is done)",
        Mover.SCHEDULE: "was stopped by its schedule",
        Mover.OPERATOR: "was stopped by an operator, outside git",
    }[MOVED_BY[info.status]]
    return Problem(
        f"campaign {item.campaign} {who}: it is {describe(info.status)}, and Stopped is final, so it can never "
        f"be {item.state.value} again",
        item.location,
        item.address,
        "declare status: STOPPED to record it, or point spec.campaign at a new campaign (created in CC "
        "Configuration Manager)",
        category="irreversible",
    )


def _unacknowledged(
    campaign: int, live: int, way: Sequence[CampaignState], acknowledged: frozenset[str]
) -> list[tuple[str, str, str]]:
    """(risk, reason, remedy) for each risk a way takes that the spec does not acknowledge."""
    start = state_of(live)
    assert start is not None
    shown = " -> ".join([start.value, *(state.value for state in way)])
    found = []
    if _RUNNING in way[:-1] and RUN not in acknowledged:
        found.append(
            (
                RUN,
                f"campaign {campaign} goes {shown}: it dials while RUNNING on the way",
                "add `acknowledge: [run]` to the CcCampaign spec if dialling on the way is acceptable",
            )
        )
    if _STOPPED in way and STOP not in acknowledged:
        found.append(
            (
                STOP,
                f"campaign {campaign} goes {shown}: STOPPED is final, and the campaign can never run again",
                "add `acknowledge: [stop]` to the CcCampaign spec, so that git records that it stopped for good",
            )
        )
    return found


def _digest(info: CampaignInfo) -> str:
    text = f"{info.id}|{info.status}|{info.dynamic}|{info.enabled}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# ---------------------------------------------------------------------------------------------- apply


def _provider(ctx: StepContext) -> ContactCenterApi:
    provider = ctx.target.contact_center
    assert provider is not None  # planning refused a CcCampaign on a target without Contact Center
    return provider


def _stop(ctx: StepContext, address: str, item: DesiredCampaign) -> StepResult:
    failed = [dependant for dependant in ctx.dependants(address) if ctx.failed(dependant)]
    if failed:
        return StepResult(
            Outcome.SKIPPED, f"not stopped because {failed[0]} failed: its members change before the stop"
        )
    return _move(ctx, item, _STOPPED)


def _gated(ctx: StepContext, campaign: int, gate: Gate | None) -> StepResult | None:
    """Why the campaign may not start dialling now (the clock at the moment of the write): refused under a mandatory
    policy, else deferred to a later apply; None when it may."""
    closed = None if gate is None else gate.closed(ctx.now())
    if gate is None or closed is None:
        return None
    if gate.refuses:
        return StepResult(Outcome.FAILED, f"refused to start campaign {campaign}, which dials: {closed}")
    return StepResult(
        Outcome.SKIPPED, f"deferred: campaign {campaign} not started, {closed}; apply again then"
    )


def _move(ctx: StepContext, item: DesiredCampaign, goal: CampaignState) -> StepResult:
    """Move the campaign to `goal` one edge at a time, reading its status before each move and after it. Where
    it is not where the last read said (it moved on its own, or the vendor refused the move), the way on is
    worked out again from a fresh read; a move the vendor refuses is never sent again from the same status."""
    provider = _provider(ctx)
    campaign = item.campaign
    moves: list[str] = []
    refused_at: int | None = None
    try:
        info = provider.campaign(campaign)
        for _ in range(MAX_MOVES):
            state = state_of(info.status)
            if state is goal:
                moves.append(f"now {describe(info.status)}")
                return StepResult(Outcome.APPLIED, f"campaign {campaign}: " + "; ".join(moves))
            way = None if state is None else path(state, goal)
            if not way or info.status == refused_at:
                why = "the vendor refused the move from it" if way else "the way there is closed"
                return _failed(campaign, moves, f"it is {describe(info.status)} and {why}")
            risks = _unacknowledged(campaign, info.status, way, item.acknowledge)
            if risks:
                return _failed(campaign, moves, f"it moved on its own: {risks[0][1]}")
            try:
                provider.change_status(campaign, way[0])
            except AmbiguousWriteError:
                refused_at = None  # it may have been stored: the read that follows says where the campaign is
            except CampaignStateError as error:
                if error.reason != "invalid_transition":
                    raise
                refused_at = info.status  # re-read and re-plan: never the same request again blindly
            else:
                refused_at = None
                moves.append(f"{describe(info.status)} -> {way[0].value}")
            info = provider.campaign(campaign)
    except ReconcilerError as error:
        return _failed(campaign, moves, str(error), error)
    return _failed(campaign, moves, f"it kept moving on its own (now {describe(info.status)})")


def _failed(campaign: int, moves: list[str], why: str, error: ReconcilerError | None = None) -> StepResult:
    done = f"{'; '.join(moves)}; " if moves else ""
    return StepResult(
        Outcome.FAILED,
        f"campaign {campaign}: {done}stopped: {why}; plan again to see the way from here",
        error=error,
    )


CC_CAMPAIGN = CcCampaignKind()
