"""`--only` and `--exclude`: plan, apply or watch part of a project, without breaking what depends on it.

The resources in scope are the `--only` addresses (every address when none is given) minus the `--exclude`
addresses. Every address must name a manifest document. A scoped plan changes only resources in scope, and
these rules keep it safe:

1. A RecordSet in scope needs its Dataset: the dataset is read, for its id and status, but never changed.
   The plan is refused when the dataset does not exist yet (it must be created first), or when the manifests
   take it from LIVE to HOLD (records load while it is on HOLD, so that change must come first).
2. A Dataset in scope that would go LIVE while one of its RecordSets, out of scope, still has records to load
   or change is refused: going LIVE first would put a partial record set on the dialler. The record set is
   read to find out; nothing else of it is used.
3. A guard (mass complete, expire) of a resource out of scope never refuses a scoped plan.
4. Observations are about resources in scope. Unmanaged datasets are reported by unscoped plans only: a scoped
   plan does not read the documents out of scope, so it cannot tell which live datasets they manage.

A saved plan records its scope (`"scope": {"only": [...], "exclude": [...]}`), and `apply --plan` plans the
same scope again before it compares.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from .desired import addresses, restrict
from .errors import ConfigError, PlanError, Problem, UnsafePlanError
from .model.state import DesiredState, Status
from .plan.changes import Change, DatasetWork
from .plan.guards import Acknowledgements
from .plan.plan import Plan, checksum
from .planner import Target, make_plan

logger = logging.getLogger(__name__)

EVERYTHING = Acknowledgements(True, True, True)


@dataclass(frozen=True)
class Scope:
    """The addresses named by --only and --exclude, as given (sorted, each once)."""

    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def of(cls, only: Collection[str] | None, exclude: Collection[str] | None) -> Scope:
        return cls(tuple(sorted(set(only or ()))), tuple(sorted(set(exclude or ()))))

    @classmethod
    def from_plan(cls, body: Mapping[str, Any]) -> Scope:
        """The scope a saved plan was made with (everything when it records none)."""
        scope = body.get("scope") or {}
        lists = [scope.get(name) or [] for name in ("only", "exclude")] if isinstance(scope, dict) else None
        if lists is None or not all(
            isinstance(items, list) and all(isinstance(item, str) for item in items) for items in lists
        ):
            raise ConfigError('the plan\'s "scope" is not {"only": [...], "exclude": [...]}; make a new plan')
        return cls.of(lists[0], lists[1])

    @property
    def everything(self) -> bool:
        return not self.only and not self.exclude

    def to_dict(self) -> dict[str, list[str]]:
        return {"only": list(self.only), "exclude": list(self.exclude)}

    def describe(self) -> str:
        parts = [f"--only {item}" for item in self.only] + [f"--exclude {item}" for item in self.exclude]
        return " ".join(parts) or "(everything)"

    def select(self, desired: DesiredState) -> frozenset[str]:
        """The addresses in scope. Raises ConfigError naming every unknown address and the known ones."""
        known = addresses(desired)
        unknown = [
            f"{flag} {item}"
            for flag, items in (("--only", self.only), ("--exclude", self.exclude))
            for item in items
            if item not in known
        ]
        if unknown:
            listed = ", ".join(known) or "none"
            raise ConfigError(
                f"unknown address{'es' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"name resources as Kind/name (known: {listed})"
            )
        chosen = frozenset(self.only or known) - frozenset(self.exclude)
        if not chosen:
            raise ConfigError(f"{self.describe()} leaves no resource to plan; name at least one resource")
        return chosen


@dataclass(frozen=True)
class ScopedPlan:
    """A plan of the resources in scope, and the desired state apply needs to carry it out."""

    plan: Plan
    desired: DesiredState
    scope: Scope = field(default_factory=Scope)

    def to_dict(self, *, show_values: bool = False) -> dict[str, Any]:
        """The plan's canonical form; a scoped plan also records its scope (and its checksum covers it)."""
        body = self.plan.to_dict(show_values=show_values)
        if not self.scope.everything:
            body["scope"] = self.scope.to_dict()
            body["checksum"] = checksum(body)
        return body


def plan_scope(
    desired: DesiredState, target: Target, scope: Scope, *, acks: Acknowledgements = Acknowledgements()
) -> ScopedPlan:
    """Plan the resources in scope (everything when the scope is empty). Raises PlanError or UnsafePlanError."""
    if scope.everything:
        return ScopedPlan(make_plan(desired, target, acks=acks), desired, scope)
    chosen = scope.select(desired)
    dataset_of = {item.address: item.dataset_address for item in desired.record_sets}
    needed = chosen | {dataset_of[address] for address in chosen if address in dataset_of}
    part = restrict(desired, needed)
    full = _plan_ignoring_guards_outside(part, target, acks, chosen)
    problems = _dependency_problems(full, chosen, dataset_of)
    live_digests = dict(full.live_digests)
    source_digests = dict(full.source_digests)
    pending = _record_sets_behind(full, chosen, desired)
    if pending:
        side = make_plan(
            restrict(desired, pending | {dataset_of[item] for item in pending}), target, acks=EVERYTHING
        )
        problems.extend(_going_live_problems(side, chosen, desired))
        live_digests.update({key: value for key, value in side.live_digests.items() if key in pending})
        source_digests.update({key: value for key, value in side.source_digests.items() if key in pending})
    if problems:
        raise PlanError(problems)
    logger.info("scoped plan: %d of %d resources in scope", len(chosen), len(addresses(desired)))
    plan = Plan(
        full.target,
        tuple(change for change in full.changes if change.address in chosen),
        tuple(item for item in full.observations if item.address in chosen),
        live_digests,
        source_digests,
    )
    return ScopedPlan(plan, part, scope)


def _plan_ignoring_guards_outside(
    desired: DesiredState, target: Target, acks: Acknowledgements, chosen: frozenset[str]
) -> Plan:
    """make_plan, where a guard refuses only for resources in scope (rule 3)."""
    try:
        return make_plan(desired, target, acks=acks)
    except UnsafePlanError as refused:
        inside = [problem for problem in refused.problems if problem.address in chosen]
        if inside:
            raise UnsafePlanError(inside) from None
    return make_plan(desired, target, acks=EVERYTHING)


def _dependency_problems(plan: Plan, chosen: frozenset[str], dataset_of: Mapping[str, str]) -> list[Problem]:
    """Rule 1: record changes in scope whose dataset, out of scope, must change first."""
    by_address = {change.address: change for change in plan.changes}
    problems: list[Problem] = []
    for change in plan.changes:
        dataset = dataset_of.get(change.address)
        if dataset is None or change.address not in chosen or dataset in chosen:
            continue
        work = by_address[dataset].work if dataset in by_address else None
        if not isinstance(work, DatasetWork):
            continue
        if work.live is None:
            reason = f"its dataset {dataset} does not exist yet and is out of scope"
        elif work.live.status is Status.LIVE and work.desired.status is Status.HOLD:
            reason = (
                f"its dataset {dataset} must go from LIVE to HOLD before records change, and is out of scope"
            )
        else:
            continue
        problems.append(Problem(reason, None, change.address, f"add --only {dataset} (or stop excluding it)"))
    return problems


def _goes_live(change: Change) -> bool:
    work = change.work
    return (
        isinstance(work, DatasetWork)
        and work.desired.status is Status.LIVE
        and (work.live is None or work.live.status is not Status.LIVE)
    )


def _record_sets_behind(plan: Plan, chosen: frozenset[str], desired: DesiredState) -> frozenset[str]:
    """Record sets out of scope whose dataset, in scope, would go LIVE (rule 2 reads them)."""
    going_live = {
        change.address for change in plan.changes if change.address in chosen and _goes_live(change)
    }
    return frozenset(
        item.address
        for item in desired.record_sets
        if item.dataset_address in going_live and item.address not in chosen
    )


def _going_live_problems(side: Plan, chosen: frozenset[str], desired: DesiredState) -> list[Problem]:
    dataset_of = {item.address: item.dataset_address for item in desired.record_sets}
    locations = {item.address: item.location for item in desired.datasets}
    problems = []
    for change in side.changes:
        dataset = dataset_of.get(change.address)
        if dataset is None or dataset not in chosen or change.address in chosen:
            continue
        problems.append(
            Problem(
                f"would go LIVE while {change.address}, out of scope, still has records to load or change",
                locations.get(dataset),
                dataset,
                f"add --only {change.address} so the records load first (or stop excluding it)",
            )
        )
    return problems
