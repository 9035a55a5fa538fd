"""Apply a plan in the safe order (DESIGN.md section 4) and report each change's outcome.

Each kind turns its changes into steps, each tagged with a phase (plan/changes.py: Phase); the runner runs every
step of every change in phase order, and within a phase in plan order. So the order has one source:

1. OUTCOME_CODES: outcome codes are created and updated, before any record is completed with one;
2. DATASET: datasets are created (on HOLD), their attributes updated, LIVE datasets taken to HOLD when asked;
3. RECORDS: record creates, updates and completes, batched and concurrent, while their dataset is on HOLD;
4. CAMPAIGN: Contact Center campaigns move short of a stop (a campaign starts before members are added);
5. MEMBERS: Contact Center removals, then adds;
6. CAMPAIGN_STOP: campaigns stop, once their members are removed;
7. GO_LIVE: datasets go LIVE, once their records are in;
8. EXPIRE: datasets go EXPIRED, last.

A change's steps stop at the first that does not apply. A failed change stops its dependants (a record set whose
dataset failed, a dataset whose records failed does not go LIVE: each kind's step checks), never independent
resources. A failure retries could not get past stops the whole apply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from ..errors import ApplyError, ReconcilerError
from ..kinds import REGISTRY
from ..kinds.base import DesiredState
from ..plan.plan import Plan
from ..providers.base import Progress, Target
from ..providers.writes import FATAL
from .steps import ChangeResult, Outcome, Reporter, Step, StepResult

logger = logging.getLogger(__name__)

T = TypeVar("T")
STOPPED = "not attempted: the apply stopped"


@dataclass
class ApplyReport:
    results: list[ChangeResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.outcome is Outcome.APPLIED for result in self.results)

    @property
    def settled(self) -> bool:
        """Something failed, and applying again would only repeat every failure (ChangeResult.settled)."""
        failed = [result for result in self.results if result.outcome is Outcome.FAILED]
        return bool(failed) and all(result.settled for result in failed)

    def refused(self) -> int:
        """Rows and members the vendor refused for good, over every change."""
        return sum(result.refused for result in self.results)

    def counts(self) -> dict[str, int]:
        counts = {outcome.value: 0 for outcome in Outcome}
        for result in self.results:
            counts[result.outcome.value] += 1
        return counts


def apply_plan(
    plan: Plan,
    desired: DesiredState,
    target: Target,
    reporter: Reporter,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ApplyReport:
    """Apply every change in the safe order and return the report. `clock` is read by the steps that decide
    at the moment of their write (calling hours), never the plan's time.

    A failure that retries could not get past (service down, Retry-After beyond the cap, credentials refused)
    stops the apply: the changes not yet finished are reported as skipped and ApplyError is raised, naming
    where it stopped and why. Nothing done so far is undone, and the next run re-reads and finishes the job.
    """
    run = _Run(desired, target, reporter, clock)
    scheduled: list[tuple[int, int, str, Step]] = []
    for order, change in enumerate(plan.changes):
        item = desired.get(change.address)
        assert item is not None, f"{change.address} is planned but not desired"
        steps = REGISTRY.of(change.address).steps(change, item)
        run.left[change.address] = len(steps)
        scheduled += [(int(step.phase), order, change.address, step) for step in steps]
    for _phase, _order, address, step in sorted(scheduled, key=lambda entry: entry[:2]):
        run.step(address, step)
    for change in plan.changes:  # a change without steps has nothing to do
        if change.address not in run.done:
            run.finish(ChangeResult(change.address, Outcome.APPLIED, ""))
    if run.stopped is not None:
        address, error = run.stopped
        skipped = run.report.counts()[Outcome.SKIPPED.value]
        lines = [f"apply stopped at {address}: {error}"]
        if skipped:
            noun = "change was" if skipped == 1 else "changes were"
            lines.append(f"{skipped} other {noun} not attempted.")
        lines.append(
            "Nothing written is undone. Run apply again to finish the job: it re-reads the live state "
            "first, so nothing is created twice."
        )
        raise ApplyError("\n".join(lines))
    return run.report


class _Run:
    """One apply: the steps' context (StepContext), and the results so far."""

    def __init__(
        self, desired: DesiredState, target: Target, reporter: Reporter, clock: Callable[[], datetime]
    ) -> None:
        self.clock = clock
        self.desired = desired
        self._target = target
        self.reporter = reporter
        self.report = ApplyReport()
        self.left: dict[str, int] = {}
        """Address -> steps of its change still to run."""
        self.details: dict[str, list[str]] = {}
        self.done: set[str] = set()
        self.failed_addresses: set[str] = set()
        self.values: dict[str, object] = {}
        self.stopped: tuple[str, ReconcilerError] | None = None
        """Where and why the apply stopped (a failure retries could not get past), if it did."""

    # ------------------------------------------------------------------------------------------- running

    def step(self, address: str, step: Step) -> None:
        if address in self.done:
            return  # an earlier step of the change failed or was skipped
        if self.stopped is not None:
            self.finish(ChangeResult(address, Outcome.SKIPPED, STOPPED))
            return
        result = step.run(self)
        if result.detail:
            self.details.setdefault(address, []).append(result.detail)
        self.left[address] -= 1
        if result.outcome is Outcome.APPLIED and self.left[address] > 0:
            return
        self.finish(
            ChangeResult(
                address,
                result.outcome,
                "; ".join(self.details.get(address, [])),
                result.failures,
                error=result.error,
                refused=result.refused,
            )
        )

    def finish(self, result: ChangeResult) -> None:
        result.failures.sort()  # by key or customer id: the same run reports the same way
        self.done.add(result.address)
        if result.outcome is not Outcome.APPLIED:
            self.failed_addresses.add(result.address)
        if result.outcome is Outcome.FAILED and self.stopped is None and isinstance(result.error, FATAL):
            self.stopped = (result.address, result.error)
        self.report.results.append(result)
        self.reporter.result(result)

    # ------------------------------------------------------------------------------------- StepContext

    @property
    def target(self) -> Target:
        return self._target

    def progress(self, label: str, total: int) -> AbstractContextManager[Progress]:
        return self.reporter.progress(label, total)

    def now(self) -> datetime:
        return self.clock()

    def remember(self, address: str, value: object) -> None:
        self.values[address] = value

    def recall(self, address: str, kind: type[T]) -> T | None:
        value = self.values.get(address)
        return value if isinstance(value, kind) else None

    def failed(self, address: str) -> bool:
        return address in self.failed_addresses

    def dependants(self, address: str) -> tuple[str, ...]:
        return self.desired.dependants(address)


__all__ = ["ApplyReport", "ChangeResult", "Outcome", "Reporter", "StepResult", "apply_plan"]
