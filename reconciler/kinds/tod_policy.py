"""TodPolicy: a ContactNow time-of-day policy (`database.php` `tod_policy` and `tod_rules`): the one zone a queue's
dialling hours are read in, a default action, and rules.

Identity: the description. Two live policies with one description is a problem. A rule is days of the week or a
date, a span of local time or the whole day, and an action; rules are numbered in the order written. Spans are
end-exclusive as manifests write them ("09:00-20:00" stops at 20:00); the wire's end minute is included, so the
provider writes 19:59.

Apply (phase TOD_POLICIES, before any queue is pointed at a policy): a new policy is created, then its rules
written; rule creates answer no key, so the provider re-reads the policy's rules and fails the step unless they are
all as asked. A policy whose rules failed is reported, and a Queue that names it is skipped (it needs the policy);
the next plan finds the policy by its description with its rules short, and the next apply completes them. Rule
numbers no longer wanted are neutralised (the API deletes none).

Planning publishes every policy as it will be (`PlannedTods`), so the calling-hours proof and the Queue kind read
what apply leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from ..apply.steps import Outcome, Step, StepContext, StepResult
from ..errors import Problem, ReconcilerError
from ..export.documents import document, flow, manifest_file
from ..export.names import slug, unique_names
from ..manifest import DocumentBase, FileContext, ManifestDocument, Project
from ..manifest.documents import DocumentIndex
from ..manifest.spec import Metadata, NonEmptyText, SpecModel, invalid
from ..model.calling.hours import DAYS, parse_span, span_text
from ..model.calling.tod import WHOLE_DAY, TodPolicyValue, TodRule
from ..plan.changes import Action, Change, FieldChange, Phase, Work
from ..providers.base import TodPolicyInfo
from .base import Desired, ExportContext, Kind, PlanContext, contactnow_for
from .calling_policy import SpanText, ZoneName

PLANNED = "time-of-day policies, as planned"
"""The key under which planning publishes `PlannedTods`."""

# ------------------------------------------------------------------------------------------------- document


class TodRuleSpec(SpecModel):
    """One rule: weekdays or a date, a span or the whole day, and an action."""

    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] | None = Field(
        default=None, min_length=1, description="The weekdays it covers (or give date)"
    )
    date: str | None = Field(default=None, description="The date it covers, YYYY-MM-DD (or give days)")
    hours: SpanText | None = Field(
        default=None, description='Its span of local time, e.g. "09:00-20:00"; none: all day'
    )
    action: Literal["active", "inactive"] = Field(
        description="active: the queue dials; inactive: it does not"
    )

    @model_validator(mode="after")
    def _days_or_date(self) -> TodRuleSpec:
        if (self.days is None) == (self.date is None):
            raise invalid(
                "needs days or a date, not both", "write days: [mon, tue] or date: 2026-12-25", echo=False
            )
        if self.date is not None:
            try:
                date.fromisoformat(self.date)
            except ValueError:
                raise invalid(f'date "{self.date}" is not a date', "write YYYY-MM-DD", echo=False) from None
        return self


class TodPolicySpec(SpecModel):
    """A ContactNow time-of-day policy, matched by its description."""

    description: NonEmptyText = Field(description="The policy's name in ContactNow; its natural key")
    timezone: ZoneName
    default: Literal["active", "inactive"] = Field(
        default="inactive", description="What the queue does when no rule covers the moment"
    )
    rules: tuple[TodRuleSpec, ...] = Field(default=(), description="The rules, numbered in this order from 1")


class TodPolicyDocument(SpecModel):
    """A TodPolicy manifest document."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["TodPolicy"]
    metadata: Metadata
    spec: TodPolicySpec


@dataclass(frozen=True, eq=False)
class TodPolicyManifest(ManifestDocument):
    KIND: ClassVar[str] = "TodPolicy"

    spec: TodPolicySpec = field(kw_only=True)


# ---------------------------------------------------------------------------------------------- desired


@dataclass(frozen=True)
class DesiredTodPolicy(Desired):
    want: TodPolicyValue = field(kw_only=True)


@dataclass(frozen=True)
class PlannedTods:
    """The policies as apply will leave them: by uid (those that exist), and by address with their uid (None
    while the plan still has to create it)."""

    by_uid: Mapping[str, TodPolicyValue]
    by_address: Mapping[str, tuple[str | None, TodPolicyValue]]


@dataclass(frozen=True)
class TodMade:
    """What apply remembers of a policy it created: its uid."""

    uid: str


@dataclass(frozen=True)
class TodWork(Work):
    want: TodPolicyValue
    live: TodPolicyInfo | None


# ------------------------------------------------------------------------------------------------- kind


class TodPolicyKind(Kind[TodPolicyManifest, DesiredTodPolicy]):
    name: ClassVar[str] = "TodPolicy"
    document: ClassVar[type[TodPolicyDocument]] = TodPolicyDocument
    manifest_type: ClassVar[type[TodPolicyManifest]] = TodPolicyManifest
    plural: ClassVar[str] = "time-of-day policies"

    def manifest(
        self, document: Any, base: DocumentBase, context: FileContext
    ) -> tuple[TodPolicyManifest, list[Problem]]:
        assert isinstance(document, TodPolicyDocument)
        return TodPolicyManifest(base.name, base.file, base.location, base.node, spec=document.spec), []

    def check_documents(self, index: DocumentIndex) -> list[Problem]:
        problems = []
        seen: dict[str, TodPolicyManifest] = {}
        for manifest in self.mine(index):
            first = seen.setdefault(manifest.spec.description, manifest)
            if first is not manifest:
                problems.append(
                    Problem(
                        f'description "{manifest.spec.description}" is already that of {first.address} '
                        f"({first.location})",
                        manifest.location_of("spec.description"),
                        manifest.address,
                        "each time-of-day policy is described once: remove one of them, or tell them apart",
                    )
                )
        return problems

    def desired(self, manifest: TodPolicyManifest, project: Project) -> DesiredTodPolicy:
        spec = manifest.spec
        rules = tuple(
            TodRule(
                frozenset(DAYS.index(day) for day in rule.days or ()),
                None if rule.date is None else date.fromisoformat(rule.date),
                WHOLE_DAY if rule.hours is None else parse_span(rule.hours),
                rule.action == "active",
            )
            for rule in spec.rules
        )
        want = TodPolicyValue(spec.description, spec.timezone, spec.default == "active", rules)
        return DesiredTodPolicy(manifest.address, manifest.location, want=want)

    def plan(self, items: Sequence[DesiredTodPolicy], ctx: PlanContext) -> None:
        provider = contactnow_for(items, ctx)
        if provider is None:
            return
        with ctx.attempt(*(item.address for item in items)):
            live = ctx.reads.get(("contactnow", "tod policies"), provider.tod_policies)
            by_uid = {info.uid: info.policy.trimmed() for info in live}
            by_address: dict[str, tuple[str | None, TodPolicyValue]] = {}
            for item in items:
                found = [info for info in live if info.policy.description == item.want.description]
                if len(found) > 1:
                    uids = ", ".join(info.uid for info in found)
                    ctx.problems.append(
                        Problem(
                            f'{len(found)} live time-of-day policies are described "{item.want.description}" '
                            f"(uids {uids})",
                            item.location,
                            item.address,
                            "rename all but one in ContactNow: a policy is matched by its description",
                        )
                    )
                    continue
                match = found[0] if found else None
                ctx.live[item.address] = _digest(match)
                change = _change(item, match)
                if change is not None:
                    ctx.changes.append(change)
                uid = None if match is None else match.uid
                by_address[item.address] = (uid, item.want)
                if uid is not None:
                    by_uid[uid] = item.want
            ctx.publish(PLANNED, PlannedTods(by_uid, by_address))

    def steps(self, change: Change, item: DesiredTodPolicy) -> list[Step]:
        work = change.work
        assert isinstance(work, TodWork)
        return [Step(Phase.TOD_POLICIES, lambda ctx: _apply(ctx, item, work))]

    def export(self, ctx: ExportContext) -> None:
        """todpolicies.yaml: one TodPolicy per live policy, by name (account-wide: a filtered export leaves them
        out). Publishes uid -> name for the Queue export."""
        provider = ctx.target.contactnow
        options = ctx.options
        if provider is None or options.campaigns or options.datasets or options.statuses:
            return
        live = {int(info.uid): info for info in provider.tod_policies() if info.uid.isdigit()}
        if not live:
            return
        names = unique_names(
            {uid: slug(info.policy.description, "tod-policy") for uid, info in live.items()}, "tod"
        )
        ordered = sorted(live, key=lambda uid: names[uid])
        documents = [
            document(self.name, names[uid], _export_spec(live[uid].policy.trimmed())) for uid in ordered
        ]
        (ctx.manifests / "todpolicies.yaml").write_text(
            manifest_file(ctx.header, documents), encoding="utf-8"
        )
        ctx.files["manifests/todpolicies.yaml"] = f"{len(documents)} time-of-day policies"
        skipped = [names[uid] for uid in ordered if not live[uid].complete]
        if skipped:
            ctx.notes.append(f"time-of-day policies with a rule that could not be read: {', '.join(skipped)}")
        ctx.exported[self.name] = {str(uid): names[uid] for uid in ordered}


def _export_spec(policy: TodPolicyValue) -> dict[str, object]:
    rules = []
    for rule in policy.rules:
        entry: dict[str, object] = {}
        if rule.on is not None:
            entry["date"] = rule.on.isoformat()
        else:
            entry["days"] = flow([DAYS[day] for day in sorted(rule.days)])
        if rule.span != WHOLE_DAY:
            entry["hours"] = span_text(rule.span)
        entry["action"] = "active" if rule.active else "inactive"
        rules.append(flow(entry))
    return {
        "description": policy.description,
        "timezone": policy.zone,
        "default": "active" if policy.default_active else "inactive",
        "rules": rules,
    }


def planned_tods(ctx: PlanContext) -> PlannedTods:
    """The policies as this plan leaves them: what TodPolicy planned, else the live ones (read once)."""
    planned = ctx.fact(PLANNED, PlannedTods)
    if planned is not None:
        return planned
    provider = ctx.target.contactnow
    if provider is None:
        return PlannedTods({}, {})
    live = ctx.reads.get(("contactnow", "tod policies"), provider.tod_policies)
    return PlannedTods({info.uid: info.policy.trimmed() for info in live}, {})


def _rules_text(policy: TodPolicyValue) -> str:
    """The rules in a line: "1 Mon-Fri 09:00-20:00 active; 2 2026-12-25 all day inactive"."""
    parts = []
    for number, rule in enumerate(policy.rules, 1):
        when = (
            rule.on.isoformat() if rule.on is not None else ",".join(DAYS[day] for day in sorted(rule.days))
        )
        span = "all day" if rule.span == WHOLE_DAY else span_text(rule.span)
        parts.append(f"{number} {when} {span} {'active' if rule.active else 'inactive'}")
    return "; ".join(parts) or "none"


def _shown(policy: TodPolicyValue) -> dict[str, str]:
    return {
        "timezone": policy.zone,
        "default": "active" if policy.default_active else "inactive",
        "rules": _rules_text(policy),
    }


def _change(item: DesiredTodPolicy, live: TodPolicyInfo | None) -> Change | None:
    after = _shown(item.want)
    if live is None:
        fields = (
            FieldChange("description", None, item.want.description),
            *(FieldChange(name, None, value) for name, value in after.items()),
        )
        work = TodWork(item.want, None)
        return Change(Action.CREATE, item.address, Phase.TOD_POLICIES, fields, tally={"create": 1}, work=work)
    before = _shown(live.policy.trimmed())
    if not live.complete:
        before["rules"] += " (a rule could not be read)"
    differing = tuple(
        FieldChange(name, before[name], after[name]) for name in after if before[name] != after[name]
    )
    if not differing:
        return None
    work = TodWork(item.want, live)
    return Change(Action.UPDATE, item.address, Phase.TOD_POLICIES, differing, tally={"change": 1}, work=work)


def _digest(live: TodPolicyInfo | None) -> str:
    if live is None:
        return "absent"
    text = f"{live.uid}|{live.complete}|{_shown(live.policy)}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _apply(ctx: StepContext, item: DesiredTodPolicy, work: TodWork) -> StepResult:
    provider = ctx.target.contactnow
    assert provider is not None  # planning refused a TodPolicy on a target without ContactNow
    want, live = work.want, work.live
    uid = None if live is None else live.uid
    try:
        if live is None:
            uid = provider.create_tod_policy(want)
            ctx.remember(item.address, TodMade(uid))
        elif (live.policy.zone, live.policy.default_active) != (want.zone, want.default_active):
            provider.update_tod_policy(live.uid, want)
        assert uid is not None
        if live is None or not live.complete or live.policy.trimmed().rules != want.rules:
            provider.write_tod_rules(uid, want, None if live is None else live.policy)
    except ReconcilerError as error:
        if uid is not None and live is None:
            return StepResult(
                Outcome.FAILED,
                f"created time-of-day policy {uid}, but {error}; no queue is pointed at it, and the next apply "
                "completes it",
                error=error,
            )
        return StepResult(Outcome.FAILED, str(error), error=error)
    verb = "created" if live is None else "updated"
    return StepResult(Outcome.APPLIED, f"{verb} time-of-day policy {uid} ({len(want.rules)} rules)")


TOD_POLICY = TodPolicyKind()
