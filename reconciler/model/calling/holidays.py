"""Holiday calendars (holidays.yaml beside this module, by their dated names) and calling hours that know dates.

`CallingHours` is what a CallingPolicy allows in one zone: its weekly hours, and on its holiday dates (local dates
of the called party) only its holiday hours (none: no call). A holiday only narrows a day: its hours are the
day's weekly hours inside the holiday window.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from .hours import Span, WeekHours, local_moment, span_text
from .shipped import shipped

CLOSED = WeekHours(((),) * 7)
"""No hours on any weekday."""
LISTED = "listed in holidays.dates"
"""What a holiday a policy lists itself (not from a calendar) is called."""


@dataclass(frozen=True)
class Calendar:
    """A named, dated calendar: one year's holidays of a country or region, and where they were taken from."""

    name: str
    source: str
    holidays: Mapping[date, str] = field(hash=False)


@cache
def calendars() -> dict[str, Calendar]:
    """Every shipped calendar by name (e.g. "GB-EAW@2026")."""
    data = shipped("holidays.yaml")
    found: dict[str, Calendar] = {}
    for name, entry in data.items():
        days = {date.fromisoformat(str(day)): str(what) for day, what in entry["holidays"].items()}
        found[str(name)] = Calendar(str(name), str(entry["source"]), dict(sorted(days.items())))
    return found


def named_holidays(names: Sequence[str], extra: Sequence[date]) -> dict[date, str]:
    """Each holiday date of the named calendars and the extra dates, with what it is: "Christmas Day
    (GB-EAW@2026)", several calendars' names joined with "; " when they share a date."""
    found: dict[date, dict[str, list[str]]] = {}
    for name in names:
        for day, what in calendars()[name].holidays.items():
            found.setdefault(day, {}).setdefault(what, []).append(name)
    for day in extra:
        found.setdefault(day, {}).setdefault(LISTED, [])
    return {
        day: "; ".join(what if not named else f"{what} ({', '.join(named)})" for what, named in whats.items())
        for day, whats in sorted(found.items())
    }


@dataclass(frozen=True)
class CallingHours:
    """The weekly hours of a zone, and the holiday dates on which only `holiday` hours apply."""

    week: WeekHours
    holidays: Mapping[date, str] = field(default_factory=dict, hash=False)
    """Each holiday's local date and what it is."""
    holiday: WeekHours = CLOSED
    """The hours of a holiday by its weekday (already inside `week`); closed when the policy gives no window."""

    @classmethod
    def of(cls, week: WeekHours, holidays: Mapping[date, str], window: WeekHours | None) -> CallingHours:
        """The hours with holidays: on a holiday, `week` inside `window` (None: no call at all)."""
        return cls(week, dict(holidays), week.intersect(window) if window is not None else CLOSED)

    def narrowed(self, other: WeekHours) -> CallingHours:
        """These hours inside `other` (a fallback window), holidays kept."""
        return CallingHours(self.week.intersect(other), self.holidays, self.holiday.intersect(other))

    def spans(self, day: date) -> tuple[Span, ...]:
        """The spans allowed on local `day`."""
        hours = self.holiday if day in self.holidays else self.week
        return hours.days[day.weekday()]

    def allows_on(self, day: date, minute: int) -> bool:
        return any(start <= minute < end for start, end in self.spans(day))

    def allows_at(self, moment: datetime, zone: ZoneInfo) -> bool:
        local = moment.astimezone(zone)
        return self.allows_on(local.date(), local.hour * 60 + local.minute)

    def covers(self, day: date, span: Span) -> bool:
        return any(start <= span[0] and span[1] <= end for start, end in self.spans(day))

    def first_outside(self, day: date, span: Span) -> int:
        """The first minute of `span` on `day` these hours do not allow (the span is known not to be covered)."""
        minute = span[0]
        for start, end in self.spans(day):
            if start <= minute < end:
                minute = end
        return minute

    def describe(self) -> str:
        """The weekly hours in words (holidays are named where a finding falls on one: `describe_on`)."""
        return self.week.describe()

    def on_holidays(self, day: date) -> str:
        """What a holiday allows on `day`'s weekday: "no calls", or its spans."""
        spans = self.holiday.days[day.weekday()]
        return ", ".join(span_text(span) for span in spans) or "no calls"

    def describe_on(self, day: date) -> str:
        """The hours of local `day` in words: the weekly hours, or on a holiday "Fri 2026-12-25 is Christmas Day
        (GB-EAW@2026): no calls"."""
        what = self.holidays.get(day)
        if what is None:
            return self.describe()
        return f"{day:%a %Y-%m-%d} is {what}: {self.on_holidays(day)}"

    def openings(self, local: datetime, horizon_days: int) -> Iterator[datetime]:
        """The instants each allowed span starts, in the zone of `local`, from its date for `horizon_days`."""
        zone = local.tzinfo
        assert isinstance(zone, ZoneInfo)
        for offset in range(horizon_days + 1):
            day = local.date() + timedelta(days=offset)
            for start, _ in self.spans(day):
                yield local_moment(day, start, zone)
