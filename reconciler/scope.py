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
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import ConfigError, PlanError, Problem
from .kinds import REGISTRY
from .kinds.base import DesiredState, LiveReads, Reading
from .plan.guards import Verdict
from .plan.plan import Plan, checksum
from .planner import make_plan
from .providers.base import Target

logger = logging.getLogger(__name__)


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
        known = desired.addresses()
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
    """A plan of the resources in scope, the guards' verdicts on its changes, and the desired state apply
    needs to carry it out."""

    plan: Plan
    desired: DesiredState
    scope: Scope = field(default_factory=Scope)
    verdicts: tuple[Verdict, ...] = ()
    problems: tuple[Problem, ...] = ()
    """What contradicts the manifests, when planned with keep_going (drift)."""
    failures: tuple[Problem, ...] = ()
    """Resources whose live state could not be read, when planned with keep_going (drift)."""

    def to_dict(self, *, show_values: bool = False) -> dict[str, Any]:
        """The plan's canonical form; a scoped plan also records its scope (and its checksum covers it)."""
        body = self.plan.to_dict(show_values=show_values)
        if not self.scope.everything:
            body["scope"] = self.scope.to_dict()
            body["checksum"] = checksum(body)
        return body


def plan_scope(
    desired: DesiredState,
    target: Target,
    scope: Scope,
    *,
    now: datetime | None = None,
    reading: Reading | None = None,
    keep_going: bool = False,
    secret: Callable[[str], str] | None = None,
) -> ScopedPlan:
    """Plan the resources in scope (everything when the scope is empty). Raises PlanError or ManifestError.

    Each resource's live state is read once: the dependencies of the resources in scope are read with them, and
    the second round (rule 2) reads only the dependants it needs, sharing every read of the first.
    """
    if scope.everything:
        planned = make_plan(desired, target, now=now, reading=reading, keep_going=keep_going, secret=secret)
        return ScopedPlan(planned.plan, desired, scope, planned.verdicts, planned.problems, planned.failures)
    chosen = scope.select(desired)
    needed = chosen | {need for address in chosen for need in _needs(desired, address)}
    part = desired.restrict(needed)
    reads = LiveReads()
    full = make_plan(
        part, target, now=now, reads=reads, reading=reading, keep_going=keep_going, secret=secret
    )
    problems = _blocked_by_dependencies(full.plan, chosen, desired)
    live_digests = dict(full.plan.live_digests)
    source_digests = dict(full.plan.source_digests)
    holding = _holding(full.plan, chosen, desired)
    if holding:
        behind = frozenset(dependant for dependants in holding.values() for dependant in dependants)
        side = make_plan(
            desired.restrict(behind | {need for address in behind for need in _needs(desired, address)}),
            target,
            now=now,
            reads=reads,
            reading=reading,
            keep_going=keep_going,
            secret=secret,
        )
        problems += _held_problems(full.plan, side.plan, holding, desired)
        live_digests.update({key: value for key, value in side.plan.live_digests.items() if key in behind})
        source_digests.update(
            {key: value for key, value in side.plan.source_digests.items() if key in behind}
        )
    if problems and not keep_going:
        raise PlanError(problems)
    logger.info("scoped plan: %d of %d resources in scope", len(chosen), len(desired.items))
    plan = Plan(
        full.plan.target,
        tuple(change for change in full.plan.changes if change.address in chosen),
        tuple(item for item in full.plan.observations if item.address in chosen),
        live_digests,
        source_digests,
    )
    verdicts = tuple(verdict for verdict in full.verdicts if verdict.address in chosen)  # rule 3
    found = [*full.problems, *problems] if keep_going else []
    failures = tuple(item for item in full.failures if item.address in chosen)
    return ScopedPlan(plan, part, scope, verdicts, tuple(found), failures)


def _needs(desired: DesiredState, address: str) -> tuple[str, ...]:
    item = desired.get(address)
    return () if item is None else item.needs()


def _blocked_by_dependencies(plan: Plan, chosen: frozenset[str], desired: DesiredState) -> list[Problem]:
    """Rule 1: changes in scope whose dependency, out of scope, has a change that must come first."""
    by_address = {change.address: change for change in plan.changes}
    problems: list[Problem] = []
    for change in plan.changes:
        if change.address not in chosen:
            continue
        for need in _needs(desired, change.address):
            before = by_address.get(need)
            if need in chosen or before is None:
                continue
            reason = REGISTRY.of(need).blocks_dependants(before)
            if reason is not None:
                problems.append(
                    Problem(reason, None, change.address, f"add --only {need} (or stop excluding it)")
                )
    return problems


def _holding(plan: Plan, chosen: frozenset[str], desired: DesiredState) -> Mapping[str, tuple[str, ...]]:
    """Rule 2: changes in scope that must wait for dependants out of scope, with those dependants."""
    found = {}
    for change in plan.changes:
        if change.address not in chosen:
            continue
        outside = tuple(item for item in desired.dependants(change.address) if item not in chosen)
        kind = REGISTRY.of(change.address)
        waiting = tuple(item for item in outside if kind.holds_for_dependants(change, item) is not None)
        if waiting:
            found[change.address] = waiting
    return found


def _held_problems(
    plan: Plan, side: Plan, holding: Mapping[str, tuple[str, ...]], desired: DesiredState
) -> list[Problem]:
    """Rule 2's refusals: a change in scope whose out-of-scope dependant still has changes to make."""
    pending = {change.address for change in side.changes}
    by_address = {change.address: change for change in plan.changes}
    problems = []
    for address, dependants in holding.items():
        item = desired.get(address)
        kind = REGISTRY.of(address)
        for dependant in dependants:
            if dependant not in pending:
                continue
            held = kind.holds_for_dependants(by_address[address], dependant)
            assert held is not None
            reason, remedy = held
            problems.append(Problem(reason, None if item is None else item.location, address, remedy))
    return problems
