"""CallingPolicy: when calls may be placed, in the called party's local time, and how a record's zone is known.

A policy declares windows by weekday (a day it does not name allows no call), inside a named, dated legal floor
shipped with the reconciler (reconciler/model/calling/floors.yaml): a window outside its floor is refused when the
project loads. A margin takes minutes off the end of every window (a call started at 20:59 must not run past
21:00). The effective hours are the windows, inside the floor, less the margin.

`holidays` names shipped, dated holiday calendars (reconciler/model/calling/holidays.yaml, one year each) and extra
dates; on those local dates of the called party no call is allowed, or only inside `holidays.window`. Every
calendar applies to every record the policy governs, whatever its zone (a policy for several countries names
every country's calendar and so calls on none of their holidays): the conservative reading, kept simple.

It has no live state of its own. A Dataset or RecordSet that names it (`callingPolicy`) is proved against it at
plan time (reconciler/kinds/calling_use.py): every zone its records are in, against its queue's time-of-day
policy, and at apply time the clock decides whether dialling may start now.

`enforcement` says what a finding does: `mandatory` (the default) refuses the plan, or the write at apply time;
`advisory` reports the finding and defers the write to a later apply. A mandatory policy's findings can be
overridden only with a reason committed in the manifest (`override.reason`), and then act as advisory ones, with
the reason shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from ..apply.steps import Step
from ..errors import Problem
from ..manifest import DocumentBase, FileContext, ManifestDocument, Project
from ..manifest.documents import DocumentIndex
from ..manifest.spec import FieldName, Metadata, NonEmptyText, SpecModel, invalid
from ..model.calling.floors import floors
from ..model.calling.holidays import CallingHours, calendars, named_holidays
from ..model.calling.hours import DAYS, HoursError, Span, WeekHours, clock, parse_span, span_text
from ..model.calling.tod import PROOF_DAYS
from ..model.calling.zones import ZoneColumns, iana_zones, national_prefix
from ..plan.changes import Change, Observation
from ..text import shown
from .base import Desired, Kind, PlanContext

_DATED = re.compile(r"^[A-Z][A-Z0-9-]*@[0-9]{4}-[0-9]{2}$")
_DATED_CALENDAR = re.compile(r"^[A-Z][A-Z0-9-]*@[0-9]{4}$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _span(value: str) -> str:
    try:
        parse_span(value)
    except HoursError as error:
        raise invalid(str(error), 'write HH:MM-HH:MM with two-digit hours, e.g. "09:00-17:30"') from None
    return value


def _zone(value: str) -> str:
    if value not in iana_zones():
        raise invalid("is not an IANA time zone", "write a zone such as Europe/London or America/New_York")
    return value


def _region(value: str) -> str:
    if national_prefix(value) is None:
        raise invalid("is not a country the phone tables know", "write an ISO 3166 code such as GB, US or AU")
    return value.upper()


def _date(value: str) -> str:
    try:
        if _ISO_DATE.fullmatch(value) is None:
            raise ValueError(value)
        date.fromisoformat(value)
    except ValueError:
        raise invalid("is not a date", 'write YYYY-MM-DD, e.g. "2026-12-24"') from None
    return value


SpanText = Annotated[
    str, AfterValidator(_span), Field(description='A span of local time, e.g. "08:00-21:00"')
]
ZoneName = Annotated[str, AfterValidator(_zone), Field(description="An IANA time zone, e.g. Europe/London")]
Region = Annotated[str, AfterValidator(_region), Field(description="An ISO 3166 country code, e.g. GB")]
DateText = Annotated[str, AfterValidator(_date), Field(description='A date, YYYY-MM-DD, e.g. "2026-12-24"')]


class WindowsSpec(SpecModel):
    """The window of each weekday; a day left out allows no call."""

    mon: SpanText | None = None
    tue: SpanText | None = None
    wed: SpanText | None = None
    thu: SpanText | None = None
    fri: SpanText | None = None
    sat: SpanText | None = None
    sun: SpanText | None = None


class ZonesSpec(SpecModel):
    """Where a record's zone is read from, in precedence order."""

    precedence: tuple[Literal["zone", "postcode", "phone"], ...] = Field(
        default=("zone", "postcode", "phone"),
        min_length=1,
        description="The sources tried in turn: zone, postcode, phone",
    )
    zone_column: FieldName | None = Field(default=None, description="A field holding an IANA zone name")
    postcode_column: FieldName | None = Field(default=None, description="A field holding a postcode")
    phone_columns: tuple[FieldName, ...] = Field(
        default=(),
        description="Phone fields, first non-empty wins (default: the record set's managed phone fields)",
    )
    region: Region | None = Field(
        default=None, description="The country of national-format numbers (no + or 00), e.g. GB"
    )


class FallbackSpec(SpecModel):
    """The zone and window applied to a record whose zone nothing resolves."""

    zone: ZoneName
    window: SpanText


class HolidaysSpec(SpecModel):
    """Dates (the called party's local dates) with no calls, or only the holiday window."""

    calendars: tuple[NonEmptyText, ...] = Field(
        default=(), description="Shipped, dated holiday calendars, one year each, e.g. GB-EAW@2026"
    )
    dates: tuple[DateText, ...] = Field(default=(), description='More holiday dates, e.g. "2026-12-24"')
    window: SpanText | None = Field(
        default=None, description="The window on a holiday, inside that day's window; absent: no calls"
    )


class OverrideSpec(SpecModel):
    reason: NonEmptyText = Field(
        description="Why a mandatory policy's findings may pass; shown in every plan"
    )


class CallingPolicySpec(SpecModel):
    """Calling windows in the called party's local time, inside a legal floor."""

    floor: NonEmptyText = Field(description="A shipped, dated legal floor, e.g. US-TCPA@2026-11")
    windows: WindowsSpec = Field(
        description="The window of each weekday (mon..sun); a day left out: no calls"
    )
    margin_minutes: int = Field(
        default=0, ge=0, le=240, description="Minutes taken off the end of each window"
    )
    enforcement: Literal["advisory", "mandatory"] = Field(
        default="mandatory",
        description="mandatory: findings refuse the plan or the write; advisory: reported, writes deferred",
    )
    override: OverrideSpec | None = Field(
        default=None, description="A mandatory policy's findings pass as advisory ones, for this reason"
    )
    zones: ZonesSpec = ZonesSpec()
    unresolved: Literal["refuse", "exclude", "fallback"] = Field(
        default="refuse",
        description="A record whose zone nothing resolves: refuse the plan, exclude it (it is not loaded, and "
        "counts as absent from the source), or give it the fallback zone and window",
    )
    fallback: FallbackSpec | None = None
    holidays: HolidaysSpec | None = Field(
        default=None, description="Holiday calendars and dates: no calls then, or only the holiday window"
    )

    @field_validator("override")
    @classmethod
    def _override_is_for_mandatory(
        cls, value: OverrideSpec | None, info: ValidationInfo
    ) -> OverrideSpec | None:
        if value is not None and info.data.get("enforcement") != "mandatory":
            raise invalid(
                "is only for a mandatory policy", "remove override: advisory already defers", echo=False
            )
        return value

    @field_validator("fallback")
    @classmethod
    def _fallback_is_for_fallback(
        cls, value: FallbackSpec | None, info: ValidationInfo
    ) -> FallbackSpec | None:
        if value is not None and info.data.get("unresolved") != "fallback":
            raise invalid(
                "is only used with unresolved: fallback", "remove it, or set unresolved: fallback", echo=False
            )
        return value

    @model_validator(mode="after")
    def _fallback_given(self) -> CallingPolicySpec:
        if self.unresolved == "fallback" and self.fallback is None:
            raise invalid(
                "unresolved: fallback needs a fallback window",
                "add fallback: {zone: America/New_York, window: 12:00-17:00}",
                echo=False,
            )
        return self


class CallingPolicyDocument(SpecModel):
    """A CallingPolicy manifest document."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["CallingPolicy"]
    metadata: Metadata
    spec: CallingPolicySpec


@dataclass(frozen=True, eq=False)
class CallingPolicyManifest(ManifestDocument):
    KIND: ClassVar[str] = "CallingPolicy"

    spec: CallingPolicySpec = field(kw_only=True)


# ---------------------------------------------------------------------------------------------- desired


@dataclass(frozen=True)
class DesiredCallingPolicy(Desired):
    """A policy's effective hours (its windows inside the floor, less the margin) and how zones resolve."""

    hours: CallingHours = field(kw_only=True)
    columns: ZoneColumns = field(kw_only=True)
    mandatory: bool = field(default=True, kw_only=True)
    override: str | None = field(default=None, kw_only=True)
    fallback: tuple[str, CallingHours] | None = field(default=None, kw_only=True)
    """(zone, hours) for records whose zone nothing resolves; None: they are refused or excluded."""
    exclude: bool = field(default=False, kw_only=True)
    """Records whose zone nothing resolves are left out of the source (`unresolved: exclude`)."""
    calendars: tuple[str, ...] = field(default=(), kw_only=True)
    """The holiday calendars it names (their dates are in `hours`)."""

    @property
    def refuses(self) -> bool:
        """True when findings refuse (mandatory, not overridden); else they are reported and writes deferred."""
        return self.mandatory and self.override is None

    def report(self, address: str, findings: Sequence[Problem], ctx: PlanContext) -> None:
        """Add findings against `address` to the plan: as problems when the policy refuses, else as
        observations that say why they pass (advisory, or the committed override reason)."""
        if self.refuses:
            ctx.problems.extend(findings)
            return
        why = "advisory" if self.override is None else f"overridden: {shown(self.override)}"
        ctx.observations.extend(
            Observation(address, "info", f"{problem.reason} ({why})") for problem in findings
        )


class CallingPolicyKind(Kind[CallingPolicyManifest, DesiredCallingPolicy]):
    name: ClassVar[str] = "CallingPolicy"
    document: ClassVar[type[CallingPolicyDocument]] = CallingPolicyDocument
    manifest_type: ClassVar[type[CallingPolicyManifest]] = CallingPolicyManifest
    plural: ClassVar[str] = "calling policies"

    def manifest(
        self, document: Any, base: DocumentBase, context: FileContext
    ) -> tuple[CallingPolicyManifest, list[Problem]]:
        assert isinstance(document, CallingPolicyDocument)
        made = CallingPolicyManifest(base.name, base.file, base.location, base.node, spec=document.spec)
        return made, _floor_problems(made)

    def check_documents(self, index: DocumentIndex) -> list[Problem]:
        """Every `callingPolicy` a document names is a CallingPolicy document."""
        names = {manifest.name for manifest in self.mine(index)}
        refused = {
            address.split("/", 1)[1] for address in index.invalid if address.startswith(f"{self.name}/")
        }
        problems = []
        for manifest in index.manifests:
            named = getattr(getattr(manifest, "spec", None), "calling_policy", None)
            if isinstance(named, str) and named not in names | refused:
                problems.append(
                    Problem(
                        f'callingPolicy "{named}" is not the name of a CallingPolicy document',
                        manifest.location_of("spec.callingPolicy"),
                        manifest.address,
                        "define a CallingPolicy with this metadata.name",
                    )
                )
        return problems

    def desired(self, manifest: CallingPolicyManifest, project: Project) -> DesiredCallingPolicy:
        spec = manifest.spec
        floor = floors()[spec.floor]
        declared = _declared(spec.windows)
        hours = _with_holidays(
            declared.intersect(floor.hours).less_margin(spec.margin_minutes),
            spec.holidays,
            spec.margin_minutes,
        )
        zones = spec.zones
        columns = ZoneColumns(
            tuple(zones.precedence),
            zones.zone_column,
            zones.postcode_column,
            zones.phone_columns,
            zones.region,
        )
        fallback = None
        if spec.fallback is not None:
            span = parse_span(spec.fallback.window)
            week = WeekHours.every_day(span)
            fallback = (spec.fallback.zone, hours.narrowed(week))
        return DesiredCallingPolicy(
            manifest.address,
            manifest.location,
            spots={"spec.zones": manifest.location_of("spec.zones")},
            hours=hours,
            columns=columns,
            mandatory=spec.enforcement == "mandatory",
            override=None if spec.override is None else spec.override.reason,
            fallback=fallback,
            exclude=spec.unresolved == "exclude",
            calendars=() if spec.holidays is None else spec.holidays.calendars,
        )

    def plan(self, items: Sequence[DesiredCallingPolicy], ctx: PlanContext) -> None:
        """A policy has no live state: what it asks is proved where a Dataset or RecordSet names it. The plan says
        when a calendar ends before the year the proof walks does (later holidays of it are unknown)."""
        horizon = ctx.now.date() + timedelta(days=PROOF_DAYS - 1)
        for item in items:
            last: dict[str, int] = {}
            for name in item.calendars:
                family, _, dated = name.partition("@")
                last[family] = max(last.get(family, 0), int(dated))
            for family, year in sorted(last.items()):
                if date(year, 12, 31) >= horizon:
                    continue
                later = f"{family}@{year + 1}"
                remedy = (
                    f"add {later}"
                    if later in calendars()
                    else f"no later {family} calendar is shipped: list its dates in holidays.dates"
                )
                ctx.observations.append(
                    Observation(
                        item.address,
                        "info",
                        f"holiday calendar {family}@{year} ends on {year}-12-31, before this plan's proof does "
                        f"({horizon:%Y-%m-%d}): no later {family} holiday is known to it ({remedy})",
                    )
                )

    def steps(self, change: Change, item: DesiredCallingPolicy) -> list[Step]:
        return []


def _with_holidays(week: WeekHours, holidays: HolidaysSpec | None, margin: int) -> CallingHours:
    """The effective weekly hours with the policy's holidays (on a holiday: inside the holiday window less the
    margin, or no call)."""
    if holidays is None:
        return CallingHours(week)
    dates = [date.fromisoformat(text) for text in holidays.dates]
    window = None
    if holidays.window is not None:
        window = WeekHours.every_day(parse_span(holidays.window)).less_margin(margin)
    return CallingHours.of(week, named_holidays(holidays.calendars, dates), window)


def _declared(windows: WindowsSpec) -> WeekHours:
    spans: dict[int, list[Span]] = {}
    for day, name in enumerate(DAYS):
        text = getattr(windows, name)
        if text is not None:
            spans[day] = [parse_span(text)]
    return WeekHours.of(spans)


def _floor_problems(manifest: CallingPolicyManifest) -> list[Problem]:
    """The floor is a shipped, dated one, and every window (the fallback's and the holidays' too) lies inside it;
    every holiday calendar is a shipped, dated one."""
    spec = manifest.spec
    known = floors()
    floor = known.get(spec.floor)
    if floor is None:
        dated = sorted(name for name in known if name.split("@", 1)[0] == spec.floor.split("@", 1)[0])
        remedy = (
            f"name a dated floor, e.g. {dated[-1]}: a floor's date pins the rules it stands for"
            if dated and not _DATED.fullmatch(spec.floor)
            else f"name one of the shipped floors: {', '.join(sorted(known))}"
        )
        return [
            Problem(
                f'floor "{spec.floor}" is not a shipped floor',
                manifest.location_of("spec.floor"),
                manifest.address,
                remedy,
            )
        ]
    problems = []
    for day, name in enumerate(DAYS):
        text = getattr(spec.windows, name)
        if text is None:
            continue
        span = parse_span(text)
        if not floor.hours.covers(day, span):
            problems.append(
                _outside(
                    manifest,
                    f"spec.windows.{name}",
                    f"window {name} {span_text(span)}",
                    span,
                    floor.name,
                    day,
                )
            )
    if spec.fallback is not None:
        span = parse_span(spec.fallback.window)
        for day in range(7):
            if not floor.hours.covers(day, span):
                problems.append(
                    _outside(
                        manifest,
                        "spec.fallback.window",
                        f"fallback window {span_text(span)}",
                        span,
                        floor.name,
                        day,
                    )
                )
                break
    return problems + _holiday_problems(manifest)


def _holiday_problems(manifest: CallingPolicyManifest) -> list[Problem]:
    """Every calendar is a shipped, dated one, and the holiday window lies inside the floor on every day the floor
    allows calls (a day the floor closes stays closed on a holiday)."""
    holidays = manifest.spec.holidays
    if holidays is None:
        return []
    known = calendars()
    problems = []
    for position, name in enumerate(holidays.calendars):
        if name in known:
            continue
        dated = sorted(
            known_name for known_name in known if known_name.split("@", 1)[0] == name.split("@", 1)[0]
        )
        remedy = (
            f"name the dated calendars of the years the policy dials, e.g. {', '.join(dated)}: a calendar holds "
            "one year's dates"
            if dated and not _DATED_CALENDAR.fullmatch(name)
            else f"name one of the shipped calendars: {', '.join(sorted(known))}"
        )
        problems.append(
            Problem(
                f'holiday calendar "{shown(name)}" is not a shipped calendar',
                manifest.location_of(f"spec.holidays.calendars.{position}"),
                manifest.address,
                remedy,
            )
        )
    floor = floors()[manifest.spec.floor]
    if holidays.window is not None:
        span = parse_span(holidays.window)
        for day in range(7):
            if floor.hours.days[day] and not floor.hours.covers(day, span):
                problems.append(
                    _outside(
                        manifest,
                        "spec.holidays.window",
                        f"holiday window {span_text(span)}",
                        span,
                        floor.name,
                        day,
                    )
                )
                break
    return problems


def _outside(
    manifest: CallingPolicyManifest, path: str, what: str, span: Span, floor: str, day: int
) -> Problem:
    hours = floors()[floor].hours
    allowed = hours.days[day]
    if not allowed:
        why = f"the floor allows no call on {DAYS[day]}"
    elif not hours.allows(day, span[0]):
        why = f"it opens at {clock(span[0])}, before the floor's {clock(allowed[0][0])}"
    else:
        why = f"it ends at {clock(span[1])}, after the floor's {clock(allowed[-1][1])}"
    return Problem(
        f"{what} is outside the floor {floor} ({hours.describe()}): {why}",
        manifest.location_of(path),
        manifest.address,
        "narrow the window to lie inside the floor (a law's hours cannot be overridden)",
    )


CALLING_POLICY = CallingPolicyKind()
