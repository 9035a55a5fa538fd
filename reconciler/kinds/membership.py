"""CampaignMembership: the members of one Contact Center dynamic campaign, from a source file or inline.

A member is a CRM customer id with an optional schedule (absolute, or relative to the day it is added, in an
offset or in the member's own zone) and optional `tz` and `phone` hints, which are never sent. Live
members not listed follow `absent` (ignore, or remove); the dialler's accepted and completed members cannot be
removed, and the plan says so. Removing more than the guard allows needs `mass-remove` acknowledged.

Planning checks the campaign (dynamic, enabled, running), then streams the live members through the member diff
(reconciler/diff/members.py). Under a CallingPolicy, or for a `local` schedule, each member's zone is resolved
from its hints first (reconciler/kinds/member_zones.py) and its schedule checked there (calling_members.py).
Apply removes, then adds (phase MEMBERS); a reschedule is a removal then an add. A `local` schedule is resolved
from the clock at the moment of the add, in its member's zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from ..apply.steps import Outcome, Step, StepContext, StepResult
from ..diff.members import CampaignWindow, MemberWork, diff_members
from ..errors import ExportError, Location, Problem, ReconcilerError
from ..export.documents import document, manifest_file
from ..export.members import export_members
from ..manifest import Project, SourceMember
from ..manifest.checks import check_scanned
from ..manifest.documents import DocumentIndex, SourcedDocument
from ..manifest.rows import CheckedOnce, checked_member_frame, scan_members
from ..manifest.schedules import AbsoluteSchedule, Schedule, ScheduleError, parse_schedule
from ..manifest.spec import (
    CUSTOMER_ID_PATTERN,
    GuardsSpec,
    Metadata,
    Name,
    NonEmptyText,
    SpecModel,
    check_one_source,
    invalid,
)
from ..model.calling.gate import Gate
from ..model.schedules import RelativeSchedule
from ..model.state import DesiredMember, Guard, LiveMembers, MemberSchedule
from ..plan.changes import Change, Observation, Phase
from ..plan.guards import Verdict, mass_change
from ..providers.base import CampaignInfo, ContactCenterApi
from .base import Desired, ExportContext, PlanContext, SourcedKind, counted
from .calling_members import attach_gates, check_campaign_window, check_schedules
from .calling_policy import CALLING_POLICY, DesiredCallingPolicy, ZoneName
from .cc_campaign import (
    CampaignPlan,
    campaign_manager,
    campaign_names,
    each_with_contact_center,
    exported_contact_center,
    read_campaign,
)
from .member_zones import TZ_HINT, MemberZones, member_zones, needs_zones, read_hints
from .suppress_members import (
    PHONE_HINT,
    MemberScreen,
    MemberScreening,
    MemberSuppressSpec,
    ScreenedMembers,
    check_member_suppress,
    member_screen_of,
)

if TYPE_CHECKING:
    import polars as pl

MASS_REMOVE = "mass-remove"
RELATIVE_SCHEDULE_PATTERN = r"^\+[0-7]d [0-2][0-9]:[0-5][0-9](Z|[+-][0-9]{2}:[0-9]{2}| local)$"
NOT_STARTED = frozenset({0, 2})
STOPPED = frozenset({5, 6, 7})
"""Campaign statuses (GET /api/stats/campaigns/{id}.json) in which no member can be added."""

# ------------------------------------------------------------------------------------------------- document


def _schedule_text(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        parse_schedule(value)
    except ScheduleError as exc:
        raise PydanticCustomError(
            "reconciler", "{what}", {"what": exc.reason, "remedy": exc.remedy, "echo": True, "whole": True}
        ) from None
    return value


ScheduleText = Annotated[
    str | None,
    AfterValidator(_schedule_text),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "pattern": RELATIVE_SCHEDULE_PATTERN},
                {"type": "null"},
            ],
            "description": "An ISO 8601 date-time with a UTC offset or Z, e.g. 2026-11-25T09:00:00+00:00; "
            "or relative to the day of apply, e.g. +2d 09:00+00:00 (0 to 7 days), or +1d 09:00 local (at 09:00 "
            "in the member's own zone, daylight saving included)",
        }
    ),
]


def _customer_id(value: str) -> str:
    if not value:
        raise invalid("is empty", "give the CRM customer id (digits)", echo=False)
    if re.fullmatch(CUSTOMER_ID_PATTERN, value) is None:
        raise invalid("is not a CRM customer id", "use the customer's id in the CRM: digits only", echo=False)
    return value


CustomerId = Annotated[
    str,
    AfterValidator(_customer_id),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": CUSTOMER_ID_PATTERN},
            ],
            "description": "The customer's id in the Contact Center CRM (digits); kept exactly as written",
        }
    ),
]


class MemberSpec(SpecModel):
    """One CRM customer in a dynamic campaign, with an optional schedule and hints of its time zone."""

    customer_id: CustomerId = Field(alias="customer-id")
    schedule: ScheduleText = None
    tz: ZoneName | None = Field(
        default=None, description="A hint, never sent: the member's IANA time zone, e.g. Europe/London"
    )
    phone: NonEmptyText | None = Field(
        default=None,
        description="A hint, never sent: the member's phone, for its time zone and the phone suppression lists",
    )


class CampaignMembershipSpec(SpecModel):
    """The members of one Contact Center dynamic campaign."""

    campaign: int = Field(ge=1, description="The Contact Center campaign id")
    source: NonEmptyText | None = Field(
        default=None,
        description="A .csv (columns customer-id, schedule, and the hints tz and phone, never sent) or .jsonl file "
        "(optionally .gz), relative to this file",
    )
    members: tuple[MemberSpec, ...] | None = Field(
        default=None, description="Inline members, instead of source"
    )
    absent: Literal["ignore", "remove"] = Field(
        default="ignore", description="What happens to live members not listed: ignore or remove"
    )
    guards: GuardsSpec | None = None
    suppress: MemberSuppressSpec | None = Field(
        default=None,
        description="Members whose `phone` column (a hint, never sent) is on these lists are not added",
    )
    calling_policy: Name | None = Field(
        default=None, description="metadata.name of the CallingPolicy its members' schedules must keep to"
    )
    zone: ZoneName | None = Field(
        default=None,
        description="The time zone of the members whose tz and phone hints resolve none (the CC API gives a "
        "member no phone)",
    )

    @model_validator(mode="after")
    def _one_source(self) -> CampaignMembershipSpec:
        check_one_source(self.source, self.members, "members")
        return self


class CampaignMembershipDocument(SpecModel):
    """A CampaignMembership manifest document: the members of one Contact Center dynamic campaign."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["CampaignMembership"]
    metadata: Metadata
    spec: CampaignMembershipSpec


@dataclass(frozen=True, eq=False)
class MembershipManifest(SourcedDocument[SourceMember]):
    KIND: ClassVar[str] = "CampaignMembership"

    spec: CampaignMembershipSpec = field(kw_only=True)

    def iter_members(self) -> Iterator[SourceMember]:
        """The members, streamed (see SourcedDocument.rows)."""
        return self.rows()

    def scan(self) -> Iterator[SourceMember | Problem]:
        return scan_members(self.spec.members, self.node_at("spec.members"), self.source)

    def entry(self, item: SourceMember) -> object:
        entry = {"customer-id": item.customer_id, "schedule": item.schedule.text if item.schedule else None}
        hints = {TZ_HINT: item.tz, PHONE_HINT: item.phone}
        return entry | {name: value for name, value in hints.items() if value}


# ---------------------------------------------------------------------------------------------- desired


@dataclass(frozen=True)
class ManifestMembers:
    """A CampaignMembership manifest's members as the diff reads them: streamed, never held."""

    manifest: MembershipManifest
    _checked: CheckedOnce = field(default_factory=CheckedOnce, compare=False, repr=False)

    def iter_members(self) -> Iterator[DesiredMember]:
        for member in self.manifest.iter_members():
            yield DesiredMember(member.customer_id, _schedule(member.schedule), member.location)

    def check(self) -> list[Problem]:
        """Every problem of the source file's members (inline members are checked when the project loads)."""
        source = self.manifest.source
        if source is None:
            return []
        return self._checked.check(
            lambda: checked_member_frame(source), lambda: _scanned_problems(self.manifest)
        )

    def frame(self) -> pl.DataFrame | None:
        """customer-id, schedule and the line of each member of a source file, from the check's pass when it ran
        (kept for every reader of the plan); None for inline members, or a file that must be read row by row."""
        source = self.manifest.source
        if source is None:
            return None
        return self._checked.take(lambda: checked_member_frame(source), lambda: None)

    def frame_member(self, line: int, customer_id: str, schedule: str) -> DesiredMember:
        """The member `iter_members` gives for the row of `frame()` that starts on `line`."""
        source = self.manifest.source
        assert source is not None
        when = _schedule(parse_schedule(schedule)) if schedule else None
        return DesiredMember(customer_id, when, Location(source.display, line, 1))

    def digest(self) -> str:
        return self.manifest.source_digest()


def _schedule(schedule: Schedule | None) -> MemberSchedule | None:
    if isinstance(schedule, AbsoluteSchedule):
        return schedule.at
    return schedule


@dataclass(frozen=True)
class DesiredMembership(Desired):
    campaign: int = field(kw_only=True)
    source: Any = field(kw_only=True)
    """A MemberSource (model/state.py)."""
    remove_absent: bool = field(default=False, kw_only=True)
    guard: Guard = field(default=Guard(), kw_only=True)
    campaign_address: str | None = field(default=None, kw_only=True)
    """The resource that declares the campaign's status, if the project has one."""
    suppress: MemberScreen | None = field(default=None, kw_only=True)
    calling_policy: str | None = field(default=None, kw_only=True)
    """The address of the CallingPolicy its schedules keep to (spec.callingPolicy), in each member's zone."""
    zone: str | None = field(default=None, kw_only=True)
    """The zone of members whose `tz` and `phone` hints resolve none (spec.zone)."""

    def needs(self) -> tuple[str, ...]:
        lists = () if self.suppress is None else self.suppress.lists
        return (*(() if self.campaign_address is None else (self.campaign_address,)), *lists)

    def check_source(self) -> list[Problem]:
        return list(self.source.check())


# ------------------------------------------------------------------------------------------------- kind


class MembershipKind(SourcedKind[MembershipManifest, DesiredMembership]):
    name: ClassVar[str] = "CampaignMembership"
    document: ClassVar[type[CampaignMembershipDocument]] = CampaignMembershipDocument
    manifest_type: ClassVar[type[MembershipManifest]] = MembershipManifest
    plural: ClassVar[str] = "campaign memberships"
    unit: ClassVar[str] = "members"

    # ---------------------------------------------------------------------------------------- manifests

    def check_documents(self, index: DocumentIndex) -> list[Problem]:
        """A campaign gets its members from one document."""
        campaigns: dict[int, MembershipManifest] = {}
        problems = []
        for manifest in self.mine(index):
            problems += check_member_suppress(manifest, manifest.spec.suppress, index)
            campaign = manifest.spec.campaign
            first = campaigns.setdefault(campaign, manifest)
            if first is not manifest:
                problems.append(
                    Problem(
                        f"campaign {campaign} already gets its members from {first.address} ({first.location})",
                        manifest.location_of("spec.campaign"),
                        manifest.address,
                        "a campaign has one CampaignMembership; merge them",
                    )
                )
        return problems

    def check_rows(self, manifest: MembershipManifest, *, files: bool) -> list[Problem]:
        if manifest.source is None or files:
            return _check_rows(manifest)
        return []

    def desired(self, manifest: MembershipManifest, project: Project) -> DesiredMembership:
        spec = manifest.spec
        return DesiredMembership(
            manifest.address,
            manifest.location,
            spots={"spec.campaign": manifest.location_of("spec.campaign")},
            campaign=spec.campaign,
            source=ManifestMembers(manifest),
            remove_absent=spec.absent == "remove",
            guard=project.config.guards.merged(spec.guards),
            campaign_address=campaign_manager(project, spec.campaign),
            suppress=member_screen_of(spec.suppress, manifest),
            calling_policy=None
            if spec.calling_policy is None
            else CALLING_POLICY.address(spec.calling_policy),
            zone=spec.zone,
        )

    # --------------------------------------------------------------------------------------------- plan

    def plan(self, items: Sequence[DesiredMembership], ctx: PlanContext) -> None:
        zoned = {item.address: _member_zones(item, ctx) for item in items}
        each_with_contact_center(
            items, ctx, lambda item, provider: _plan_one(item, provider, ctx, self.unit, zoned[item.address])
        )
        for item in items:
            zones = zoned[item.address]
            if zones is not None:
                check_schedules(item.address, item.calling_policy, zones, item.source, ctx)
                check_campaign_window(item.address, item.calling_policy, zones, item.campaign, ctx)
                attach_gates(item.address, item.calling_policy, zones, item.campaign, ctx)

    def guards(self, change: Change, item: DesiredMembership, live_rows: int) -> list[Verdict]:
        verdict = mass_change(
            item.address,
            change.counts.get("remove", 0),
            live_rows,
            item.guard,
            item.location,
            verb="removes",
            risk=MASS_REMOVE,
        )
        return [] if verdict is None else [verdict]

    # -------------------------------------------------------------------------------------------- apply

    def steps(self, change: Change, item: DesiredMembership) -> list[Step]:
        work = change.work
        assert isinstance(work, MemberWork)
        return [Step(Phase.MEMBERS, lambda ctx: _apply(ctx, change.address, work))]

    # ------------------------------------------------------------------------------------------- export

    def prepare_export(self, ctx: ExportContext) -> None:
        """The campaigns to export, checked first: one that cannot be planned is refused before anything is
        read."""
        provider = exported_contact_center(ctx)
        if provider is None:
            return
        campaigns = {}
        problems: list[Problem] = []
        for campaign_id in sorted(set(ctx.options.cc_campaigns)):
            info = provider.campaign(campaign_id)
            problems.extend(
                Problem(
                    reason,
                    None,
                    f"--cc-campaign {campaign_id}",
                    "export only running, enabled dynamic campaigns",
                )
                for reason in campaign_problems(info)
            )
            campaigns[campaign_id] = info
        if problems:
            raise ExportError(problems)
        ctx.exported[self.name] = campaigns

    def export(self, ctx: ExportContext) -> None:
        """memberships.yaml and one CSV of members per --cc-campaign, by customer id."""
        campaigns: Mapping[int, CampaignInfo] = ctx.exported.get(self.name) or {}  # type: ignore[assignment]
        provider = ctx.target.contact_center
        if not campaigns or provider is None:
            return
        options = ctx.options
        names = campaign_names(campaigns)
        (ctx.manifests / "data" / "members").mkdir(parents=True)
        documents = []
        for campaign_id in sorted(campaigns, key=lambda key: names[key]):
            name = names[campaign_id]
            ctx.progress(f"reading the members of campaign {campaign_id} ({name})")
            source = f"data/members/{name}.csv"
            result = export_members(
                provider.iter_members(campaign_id), ctx.manifests / source, options.scheduled_as
            )
            documents.append(
                document(self.name, name, {"campaign": campaign_id, "source": source, "absent": "ignore"})
            )
            ctx.files[f"manifests/{source}"] = (
                f"{result.members} members, {result.scheduled} scheduled (written as {options.scheduled_as})"
            )
        (ctx.manifests / "memberships.yaml").write_text(
            manifest_file(ctx.header, documents), encoding="utf-8"
        )
        ctx.files["manifests/memberships.yaml"] = f"{len(documents)} campaign memberships"


def _member_zones(item: DesiredMembership, ctx: PlanContext) -> MemberZones | None:
    """Each member's zone, from its hints (reconciler/kinds/member_zones.py), with the zone report line and the
    problems; None when the membership keeps to no policy and has no `local` schedule, or is not planned."""
    if ctx.metadata_only or not ctx.source_ok(item):
        return None
    found = None if item.calling_policy is None else ctx.desired.get(item.calling_policy)
    policy = found if isinstance(found, DesiredCallingPolicy) else None
    if not needs_zones(policy, item.source):
        return None
    manifest = item.source.manifest
    nodes = manifest.node_at("spec.members")
    hints = read_hints(manifest.source, manifest.spec.members, getattr(nodes, "items", None), item.location)
    zones = member_zones(item.address, policy, item.zone, hints)
    ctx.problems.extend(zones.problems)
    ctx.observations.append(zones.observation(item.address))
    return zones


def _plan_one(
    item: DesiredMembership,
    provider: ContactCenterApi,
    ctx: PlanContext,
    unit: str,
    zones: MemberZones | None,
) -> None:
    """Check the campaign can take members, then diff them against the live members as they stream in."""
    info = read_campaign(item, item.campaign, provider, ctx)
    if info is None:
        return
    planned = None if item.campaign_address is None else ctx.fact(item.campaign_address, CampaignPlan)
    if planned is not None and planned.stopped:
        ctx.live[item.address] = f"campaign stopped ({info.status})"
        message = f"campaign {item.campaign} has stopped, as {item.campaign_address} declares: its members no longer change"
        ctx.observations.append(Observation(item.address, "info", message))
        return
    if planned is not None:  # this plan moves the campaign before its members change
        info = replace(info, status=planned.during_members)
    reasons = campaign_problems(info)
    if reasons:
        ctx.problems.extend(
            Problem(
                reason, item.at("spec.campaign"), item.address, "choose a running, enabled dynamic campaign"
            )
            for reason in reasons
        )
        return
    if ctx.metadata_only or not ctx.source_ok(item):
        return
    screening = None if item.suppress is None else MemberScreening.start(item.address, item.suppress, ctx)
    if item.suppress is not None and screening is None:
        return  # a list could not be loaded: its own problem says why, and nothing is planned without it
    with ctx.reading(f"{item.address}: live members") as advance:
        pieces = counted(provider.iter_member_pieces(item.campaign), advance, _size)
        dropped = set() if zones is None else set(zones.excluded)
        if screening is not None:
            manifest = item.source.manifest
            inline = [(member.customer_id, member.phone or "") for member in manifest.spec.members or ()]
            screening.read_source(manifest.source, inline)
            dropped |= screening.suppressed
            pieces = screening.tap(pieces)
        desired = replace(item, source=ScreenedMembers(item.source, frozenset(dropped))) if dropped else item
        result = diff_members(
            desired,
            pieces,
            now=ctx.now,
            window=CampaignWindow(info.start, info.end),
            zones=None if zones is None else zones.local,
        )
    ctx.problems.extend(result.problems)
    ctx.observations.extend(result.observations)
    if screening is not None:
        ctx.observations.extend(screening.observations(item.remove_absent))
    ctx.live[item.address] = result.live_digest
    ctx.live_rows[item.address] = result.live_rows
    if result.change is not None:
        counts = result.change.counts
        tally = {
            "create": counts.get("add", 0),
            "change": counts.get("reschedule", 0),
            "remove": counts.get("remove", 0),
        }
        ctx.changes.append(replace(result.change, unit=unit, tally=tally))


def _size(piece: LiveMembers) -> int:
    return len(piece.customer_ids)


def campaign_problems(info: CampaignInfo) -> list[str]:
    """Why members cannot be managed in a campaign ([] when they can)."""
    reasons = []
    if not info.dynamic:
        reasons.append(f"campaign {info.id} is not a dynamic campaign")
    if not info.enabled:
        reasons.append(f"campaign {info.id} is not enabled")
    if info.status in STOPPED:
        reasons.append(f"campaign {info.id} has stopped (status {info.status}); no members can be added")
    if info.status in NOT_STARTED:
        reasons.append(f"campaign {info.id} has not started (status {info.status})")
    return reasons


def _check_rows(manifest: MembershipManifest) -> list[Problem]:
    """Every problem of every member, and repeated customer ids with both lines (a source file is checked a
    column at a time first; see ManifestMembers.check)."""
    if manifest.source is None:
        return _scanned_problems(manifest)
    return ManifestMembers(manifest).check()


def _scanned_problems(manifest: MembershipManifest) -> list[Problem]:
    return check_scanned(manifest, manifest.scan, lambda member: member.customer_id, "customer-id")


# ------------------------------------------------------------------------------------------------- apply


def _apply(ctx: StepContext, address: str, work: MemberWork) -> StepResult:
    provider = ctx.target.contact_center
    assert provider is not None
    done: list[str] = []
    failures: list[str] = []
    refused = 0
    try:
        if work.removes:
            with ctx.progress(f"{address}: remove", len(work.removes)) as advance:
                removed = provider.remove(work.campaign, work.removes, progress=advance)
            done.append(f"{removed.removed} removed")
            failures += [f"{failure.customer_id}: {failure.reason}" for failure in removed.failures]
        refused += len(failures)
        blocked = {line.split(":", 1)[0] for line in failures}
        closed = None if work.gate is None else work.gate.closed(ctx.now())
        held = [member.customer_id for member in work.adds if closed is not None and member.schedule is None]
        blocked.update(held)
        adds = [member.customer_id for member in work.adds if member.customer_id not in blocked]
        if adds:
            schedules = _at_the_write(work, ctx.now())
            with ctx.progress(f"{address}: add", len(adds)) as advance:
                added = provider.add(work.campaign, adds, schedules, progress=advance)
            done.append(f"{added.added} added")
            failures += [f"{failure.customer_id}: {failure.reason}" for failure in added.failures]
            refused += len(added.failures)
            failures += [
                f"{customer}: failed transiently on every attempt; run apply again"
                for customer in added.unresolved
            ]
    except ReconcilerError as error:
        return StepResult(
            Outcome.FAILED, "; ".join([*done, str(error)]), failures, error=error, refused=refused
        )
    if held and work.gate is not None:
        return _held(work.gate, len(held), closed, done, failures, refused)
    detail = ", ".join(done)
    if failures:
        detail += f"; {len(failures)} members failed"
    return StepResult(Outcome.FAILED if failures else Outcome.APPLIED, detail, failures, refused=refused)


def _held(
    gate: Gate, held: int, closed: str | None, done: list[str], failures: list[str], refused: int
) -> StepResult:
    """The members without a schedule were not added: the campaign would call them at once, outside the window."""
    before = f"{', '.join(done)}; " if done else ""
    if failures:
        before += f"{len(failures)} members failed; "
    if gate.refuses:
        detail = f"{before}refused to add {held} members without a schedule, which the campaign calls at once: {closed}"
        return StepResult(Outcome.FAILED, detail, failures, refused=refused)
    detail = f"{before}deferred: {held} members without a schedule not added, {closed}; apply again then"
    return StepResult(Outcome.FAILED if failures else Outcome.SKIPPED, detail, failures, refused=refused)


def _at_the_write(work: MemberWork, now: datetime) -> Mapping[str, datetime]:
    """The schedules to send: those the plan resolved, and each `local` one resolved now, at the moment of the
    write, in its member's zone (daylight saving as it is on the day it names), sent in UTC."""
    if not work.local:
        return work.resolved
    schedules = dict(work.resolved)
    for member in work.adds:
        zone = work.local.get(member.customer_id)
        if zone is not None and isinstance(member.schedule, RelativeSchedule):
            schedules[member.customer_id] = member.schedule.resolve(now, ZoneInfo(zone)).astimezone(UTC)
    return schedules


MEMBERSHIP = MembershipKind()
