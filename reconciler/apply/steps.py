"""The apply vocabulary every kind speaks: a step (a phase and what to run), what it may ask of the run, and
what it reports. The runner (runner.py) executes the steps of every change in phase order; kinds build them.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from ..errors import ApiError, AuthError, RateLimitError, ReconcilerError, TransientApiError
from ..plan.changes import Phase
from ..providers.base import Progress, Target

T = TypeVar("T")


class Outcome(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class StepResult:
    """What one step did. A change's steps run until one does not apply; their details are joined."""

    outcome: Outcome
    detail: str = ""
    failures: list[str] = field(default_factory=list)
    """One line per failed row: its key and the reason (never personal values)."""
    error: ReconcilerError | None = field(default=None, repr=False, compare=False)
    """The error that failed the step as a whole, if one did."""
    refused: int = 0
    """How many of `failures` the vendor refused for good: applying again would only repeat them."""


@dataclass
class ChangeResult:
    address: str
    outcome: Outcome
    detail: str
    failures: list[str] = field(default_factory=list)
    error: ReconcilerError | None = field(default=None, repr=False, compare=False)
    refused: int = 0
    """How many of `failures` the vendor refused for good."""

    @property
    def settled(self) -> bool:
        """A failure that applying again would only repeat: the vendor refused the change, or every failed
        row, for good; no passing trouble (a service down, an answer lost, a rate limit) cut it short."""
        if self.outcome is not Outcome.FAILED:
            return False
        if self.error is not None:
            return isinstance(self.error, ApiError) and not isinstance(
                self.error, TransientApiError | RateLimitError | AuthError
            )
        return self.refused == len(self.failures) > 0


class Reporter(Protocol):
    """How apply tells its caller what it does. Only the CLI prints."""

    def result(self, result: ChangeResult) -> None: ...

    def progress(self, label: str, total: int) -> AbstractContextManager[Progress]: ...


class StepContext(Protocol):
    """What a step may use and ask of the run."""

    @property
    def target(self) -> Target: ...

    def progress(self, label: str, total: int) -> AbstractContextManager[Progress]:
        """A progress counter for `total` rows, shown by the reporter."""
        ...

    def now(self) -> datetime:
        """The time now, read at the moment a step asks (the engine's clock; a test's fake one)."""
        ...

    def remember(self, address: str, value: object) -> None:
        """Keep a value an earlier step learnt (a created dataset's id) for later steps."""
        ...

    def recall(self, address: str, kind: type[T]) -> T | None:
        """The value remembered for `address`, if it is a `kind`."""
        ...

    def failed(self, address: str) -> bool:
        """True when the change at `address` failed or was skipped."""
        ...

    def dependants(self, address: str) -> tuple[str, ...]:
        """The addresses of the changes that depend on the change at `address`."""
        ...


@dataclass(frozen=True)
class Step:
    """One step of a change: what runs, and the phase that places it in the apply order."""

    phase: Phase
    run: Callable[[StepContext], StepResult]
