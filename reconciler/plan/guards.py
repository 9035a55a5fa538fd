"""Safety guards: a plan that completes or removes too much, or takes an irreversible step that nobody
acknowledged, is refused with the numbers and the way to acknowledge it. Each class of risk has its own flag."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import Location, Problem
from ..model.state import Guard
from .changes import Action, Change


@dataclass(frozen=True)
class Acknowledgements:
    """What the operator acknowledged on the command line."""

    expire: bool = False
    mass_complete: bool = False
    mass_remove: bool = False


@dataclass(frozen=True)
class GuardContext:
    """Per resource: its guard, its live row count, what its manifest acknowledges, and where it was written."""

    guard: Guard
    live_rows: int = 0
    acknowledged: frozenset[str] = frozenset()
    location: Location | None = None


def check_guards(
    changes: tuple[Change, ...], context: Mapping[str, GuardContext], acks: Acknowledgements
) -> list[Problem]:
    problems: list[Problem] = []
    for change in changes:
        info = context.get(change.address, GuardContext(Guard()))
        if change.action is Action.IRREVERSIBLE and change.kind == "Dataset":
            if not acks.expire and "expire" not in info.acknowledged:
                problems.append(
                    Problem(
                        "moves to EXPIRED, which is irreversible: its records close and can never be edited or reopened",
                        info.location,
                        change.address,
                        "acknowledge with --allow-expire, or add `acknowledge: [expire]` to the Dataset spec",
                    )
                )
            continue
        if change.kind == "RecordSet":
            count = change.counts.get("complete", 0) + change.counts.get("dedupe", 0)
            problem = _mass(
                change.address, count, info, "completes", "--allow-mass-complete", acks.mass_complete
            )
        elif change.kind == "CampaignMembership":
            count = change.counts.get("remove", 0)
            problem = _mass(change.address, count, info, "removes", "--allow-mass-remove", acks.mass_remove)
        else:
            continue
        if problem is not None:
            problems.append(problem)
    return problems


def _mass(
    address: str, count: int, info: GuardContext, verb: str, flag: str, acknowledged: bool
) -> Problem | None:
    base = info.live_rows
    if acknowledged or count == 0 or base < info.guard.min_rows:
        return None
    share = 100.0 * count / base
    if share <= info.guard.max_percent:
        return None
    return Problem(
        f"{verb} {_percent(share)}% ({count}/{base}) of its live rows; limit {_percent(info.guard.max_percent)}%",
        info.location,
        address,
        f"acknowledge with {flag}, or raise spec.guards.maxPercent if this is expected",
    )


def _percent(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
