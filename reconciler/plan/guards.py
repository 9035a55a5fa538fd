"""Safety guards as verdicts: a kind says which of its changes take a risk that needs acknowledging, with the
numbers and the way to acknowledge it; the engine decides, from the command line's acknowledgements and the
run's scope, whether the plan is refused. Each class of risk has its own acknowledgement (`--allow-<class>`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import Location, Problem
from ..model.state import Guard


@dataclass(frozen=True)
class Acknowledgements:
    """The classes of risk the operator acknowledged on the command line (`--allow-expire` gives "expire")."""

    given: frozenset[str] = frozenset()
    everything: bool = False
    """Every class at once: what drift and the verification after an apply plan with."""

    @classmethod
    def of(cls, classes: Iterable[str]) -> Acknowledgements:
        return cls(frozenset(classes))

    def covers(self, risk: str) -> bool:
        return self.everything or risk in self.given

    def flags(self) -> list[str]:
        """The command-line flags that give these acknowledgements, sorted."""
        return sorted(flag(risk) for risk in self.given)


EVERYTHING = Acknowledgements(everything=True)


@dataclass(frozen=True)
class Verdict:
    """A guard's refusal of one change, which stands unless its class of risk is acknowledged."""

    risk: str
    """The class of risk: "expire", "mass-complete", "mass-remove", ..."""
    problem: Problem

    @property
    def address(self) -> str:
        return self.problem.address or ""


def flag(risk: str) -> str:
    """The command-line flag that acknowledges a class of risk."""
    return f"--allow-{risk}"


def mass_change(
    address: str,
    count: int,
    base: int,
    guard: Guard,
    location: Location | None,
    *,
    verb: str,
    risk: str,
) -> Verdict | None:
    """The verdict on a change that `verb`s `count` of `base` live rows: refused above the guard's percentage,
    once the set has at least the guard's minimum of rows."""
    if count == 0 or base < guard.min_rows:
        return None
    share = 100.0 * count / base
    if share <= guard.max_percent:
        return None
    return Verdict(
        risk,
        Problem(
            f"{verb} {_percent(share)}% ({count}/{base}) of its live rows; limit {_percent(guard.max_percent)}%",
            location,
            address,
            f"acknowledge with {flag(risk)}, or raise spec.guards.maxPercent if this is expected",
        ),
    )


def _percent(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
