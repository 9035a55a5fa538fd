"""A ContactNow time-of-day policy as a value, and the proof that it dials only inside a calling window.

A policy has one zone, a default action and rules; a rule covers a date or some weekdays, a span or the whole
day, and says active or inactive. The vendor does not document which rule wins where rules overlap, so the proof
takes the widest reading: a minute may dial when an active rule covers it, or when the default is active and no
inactive rule covers it. Whatever the dialler's order, it dials no more than that.

Spans here are end-exclusive minutes (17:00 is the first minute outside). The wire writes the end's last minute
(16:59); the provider converts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from .holidays import CallingHours
from .hours import MINUTES, Span, WeekHours, clock, spans_in

WHOLE_DAY: Span = (0, MINUTES)
PROOF_DAYS = 371
"""How many days from the plan's date the proof walks: a year and a week, so every daylight-saving change of
both zones is met."""


@dataclass(frozen=True)
class TodRule:
    days: frozenset[int] = frozenset()
    """Weekdays (0 Monday) the rule covers; empty when it covers one date."""
    on: date | None = None
    span: Span = WHOLE_DAY
    active: bool = True

    def covers(self, day: date) -> bool:
        return day == self.on if self.on is not None else day.weekday() in self.days


NEUTRAL = TodRule(on=date(2000, 1, 1), active=False)
"""What a rule number no longer wanted is rewritten to (the API deletes no rule): inactive on a day long past,
which no reading of the rules lets dial."""


@dataclass(frozen=True)
class TodPolicyValue:
    """A policy as the proof reads it."""

    description: str
    zone: str
    default_active: bool
    rules: tuple[TodRule, ...] = ()

    def dialling(self, day: date) -> list[Span]:
        """The spans of local `day` during which the queue may dial (the widest reading, see the module)."""
        active = [rule.span for rule in self.rules if rule.active and rule.covers(day)]
        if self.default_active:
            blocked = [rule.span for rule in self.rules if not rule.active and rule.covers(day)]
            active += _minus(WHOLE_DAY, blocked)
        return _union(active)

    def trimmed(self) -> TodPolicyValue:
        """The policy without the neutral rules at the end of its list (numbers rewritten to NEUTRAL)."""
        rules = list(self.rules)
        while rules and rules[-1] == NEUTRAL:
            rules.pop()
        return TodPolicyValue(self.description, self.zone, self.default_active, tuple(rules))

    def describe(self) -> str:
        """The policy's weekly dialling hours in its own zone, e.g. "Europe/London 09:00-20:00"."""
        week = WeekHours.of({day: self.dialling(_MONDAY + timedelta(days=day)) for day in range(7)})
        return f"{self.zone} {week.describe()}"


_MONDAY = date(2001, 1, 1)
"""A Monday with no date rule near it: weekly hours are read from the week it starts."""


def _union(spans: Sequence[Span]) -> list[Span]:
    return list(WeekHours.of({0: spans}).days[0])


def _minus(whole: Span, cuts: Sequence[Span]) -> list[Span]:
    left: list[Span] = []
    start = whole[0]
    for cut_start, cut_end in _union(cuts):
        if cut_start > start:
            left.append((start, min(cut_start, whole[1])))
        start = max(start, cut_end)
    if start < whole[1]:
        left.append((start, whole[1]))
    return left


@dataclass(frozen=True)
class Breach:
    """The first local time a policy dials outside a window: on which local date, and whether it opens too early
    (`opens`, at `minute`) or runs too late (`closes`, at `minute`); on a holiday, `holiday` says what it is and
    `minute` is the first minute it dials outside the holiday's hours."""

    day: date
    what: str
    minute: int
    holiday: str | None = None

    def describe(self) -> str:
        if self.holiday is not None:
            return f"dials at {clock(self.minute)} local on {self.day:%a %Y-%m-%d}, {self.holiday}"
        return f"{self.what} at {clock(self.minute)} local"


def breach(
    policy: TodPolicyValue,
    zone: str,
    allowed: WeekHours | CallingHours,
    start: date,
    days: int = PROOF_DAYS,
) -> Breach | None:
    """The first time, over `days` from `start`, that `policy` may dial while it is outside `allowed` in
    `zone` (on a holiday of `allowed`, outside its holiday hours); None when it never does."""
    hours = allowed if isinstance(allowed, CallingHours) else CallingHours(allowed)
    source, target = ZoneInfo(policy.zone), ZoneInfo(zone)
    for offset in range(days):
        day = start + timedelta(days=offset)
        for piece in spans_in(day, policy.dialling(day), source, target):
            if hours.covers(piece.day, piece.span):
                continue
            holiday = hours.holidays.get(piece.day)
            if holiday is not None:
                return Breach(piece.day, "dials", hours.first_outside(piece.day, piece.span), holiday)
            first, end = piece.span
            if not hours.allows_on(piece.day, first):
                return Breach(piece.day, "opens", first)
            return Breach(piece.day, "closes", end)
    return None
