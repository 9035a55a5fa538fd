"""Make a plan: each kind, in registry order, reads the live state its documents reference, checks them against
it and says what changes; then every guard gives its verdict.

Data flows one way: desired state (from manifests) and live state (from the providers) go in; a Plan and the
guards' verdicts come out. Problems are collected and raised together, each with its resource, location and
remedy. Guards never raise here: the engine decides what a verdict means for the run (scope, acknowledgements).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import ManifestError, PlanError, Problem
from .kinds import REGISTRY
from .kinds.base import DesiredState, LiveReads, PlanContext, Reading
from .plan.changes import Change
from .plan.guards import Verdict
from .plan.plan import Plan
from .providers.base import Target


@dataclass(frozen=True)
class Planned:
    """A plan and the guards' verdicts on its changes (not part of the plan: whether they refuse it depends
    on what the operator acknowledged)."""

    plan: Plan
    verdicts: tuple[Verdict, ...] = ()
    problems: tuple[Problem, ...] = ()
    """What contradicts the manifests (only when planned with keep_going; otherwise raised)."""
    failures: tuple[Problem, ...] = ()
    """Resources whose live state could not be read (only when planned with keep_going)."""


def make_plan(
    desired: DesiredState,
    target: Target,
    *,
    now: datetime | None = None,
    reads: LiveReads | None = None,
    metadata_only: bool = False,
    reading: Reading | None = None,
    keep_going: bool = False,
    secret: Callable[[str], str] | None = None,
) -> Planned:
    """Plan the changes that bring `target` to `desired`. Raises ManifestError (a source's rows) or PlanError.

    `reads` keeps the live reads several plans of one run share (a scoped plan's second round reads nothing the
    first one read). With `metadata_only`, only what the manifests reference is checked: no rows are read and
    the plan has no changes. With `keep_going` (drift), problems and resources that could not be read are
    returned in the Planned, and every other resource is still planned. `secret` gives the value of an
    environment variable a manifest names (Settings.secret)."""
    with _cycles_not_collected():
        ctx = PlanContext(
            desired,
            target,
            now or datetime.now(UTC),
            reads or LiveReads(),
            metadata_only=metadata_only,
            reading=reading,
            keep_going=keep_going,
            secret=secret,
        )
        for kind in REGISTRY:
            items = [item for item in desired.items if REGISTRY.of(item.address) is kind]
            if items:
                kind.plan(items, ctx)
        for unchecked in desired.items if not metadata_only else ():
            ctx.source_ok(unchecked)  # the sources no kind needed are checked all the same
        source_problems = ctx.source_problems()
        if source_problems and not keep_going:
            raise ManifestError(source_problems)
        if ctx.problems and not keep_going:
            raise PlanError(ctx.problems)
        changes = tuple(sorted(ctx.changes, key=Change.sort_key))
        verdicts = []
        for change in changes:
            item = desired.get(change.address)
            assert item is not None
            verdicts += REGISTRY.of(change.address).guards(change, item, ctx.live_rows.get(change.address, 0))
        observations = tuple(sorted(ctx.observations, key=lambda item: (item.address, item.category)))
        plan = Plan(target.name, changes, observations, ctx.live, dict(desired.source_digests))
        problems = sorted([*source_problems, *ctx.problems], key=Problem.sort_key)
        return Planned(plan, tuple(verdicts), tuple(problems), tuple(ctx.failures))


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
