"""Calling hours as values: the minutes of each weekday a call may be placed, in one local time.

`WeekHours` holds, for Monday to Sunday, sorted disjoint spans of minutes since local midnight (start inclusive,
end exclusive, 0..1440). Manifests write a span as "08:00-21:00" (21:00 itself is outside). It answers whether a
local time is inside, intersects and contains other hours, takes a margin off each span's end, and says what it
is in words. `spans_in(...)` turns hours kept in one zone into the local spans of another zone on real dates, so
that daylight saving is seen as it happens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys as manifests write them, Monday first (datetime.weekday() order)."""
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MINUTES = 1440

Span = tuple[int, int]
_SPAN = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])$")


class HoursError(ValueError):
    """A span or a set of hours that cannot be read; the message says why."""


def parse_span(text: str) -> Span:
    """ "08:00-21:00" -> (480, 1260); the end is exclusive and must come after the start (24:00 is midnight)."""
    found = _SPAN.fullmatch(text.strip())
    if found is None:
        raise HoursError('is not a span of local time such as "08:00-21:00"')
    start = int(found[1]) * 60 + int(found[2])
    end = int(found[3]) * 60 + int(found[4])
    if start > MINUTES or end > MINUTES:
        raise HoursError("goes past 24:00")
    if end <= start:
        raise HoursError("ends before it starts (a span may not cross midnight)")
    return start, end


def clock(minute: int) -> str:
    """Minutes since midnight as HH:MM."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def span_text(span: Span) -> str:
    return f"{clock(span[0])}-{clock(span[1])}"


def _merge(spans: Sequence[Span]) -> tuple[Span, ...]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def _intersect(first: Sequence[Span], second: Sequence[Span]) -> tuple[Span, ...]:
    found = [(max(a, c), min(b, d)) for a, b in first for c, d in second if max(a, c) < min(b, d)]
    return _merge(found)


def _covers(outer: Sequence[Span], inner: Span) -> bool:
    return any(start <= inner[0] and inner[1] <= end for start, end in outer)


@dataclass(frozen=True)
class WeekHours:
    """The spans of each weekday, Monday first."""

    days: tuple[tuple[Span, ...], ...]

    @classmethod
    def of(cls, by_day: Mapping[int, Sequence[Span]]) -> WeekHours:
        return cls(tuple(_merge(by_day.get(day, ())) for day in range(7)))

    @classmethod
    def every_day(cls, span: Span) -> WeekHours:
        return cls.of(dict.fromkeys(range(7), (span,)))

    def allows(self, weekday: int, minute: int) -> bool:
        return any(start <= minute < end for start, end in self.days[weekday])

    def allows_at(self, moment: datetime, zone: ZoneInfo) -> bool:
        local = moment.astimezone(zone)
        return self.allows(local.weekday(), local.hour * 60 + local.minute)

    def intersect(self, other: WeekHours) -> WeekHours:
        return WeekHours(tuple(_intersect(a, b) for a, b in zip(self.days, other.days, strict=True)))

    def contains(self, other: WeekHours) -> list[tuple[int, Span]]:
        """The (weekday, span) of `other` that lie outside these hours ([] when all lie inside)."""
        return [
            (day, span) for day in range(7) for span in other.days[day] if not _covers(self.days[day], span)
        ]

    def covers(self, weekday: int, span: Span) -> bool:
        return _covers(self.days[weekday], span)

    def less_margin(self, minutes: int) -> WeekHours:
        """Each span ends `minutes` earlier (a span that would vanish is dropped)."""
        return WeekHours(tuple(_merge([(s, e - minutes) for s, e in spans]) for spans in self.days))

    @property
    def empty(self) -> bool:
        return not any(self.days)

    def describe(self) -> str:
        """ "08:00-21:00" when every day is the same, else the days grouped: "Mon-Fri 09:00-20:00, Sat ..."."""
        if len(set(self.days)) == 1:
            return ", ".join(span_text(span) for span in self.days[0]) or "closed"
        parts: list[str] = []
        day = 0
        while day < 7:
            last = day
            while last + 1 < 7 and self.days[last + 1] == self.days[day]:
                last += 1
            if self.days[day]:
                label = DAY_NAMES[day] if last == day else f"{DAY_NAMES[day]}-{DAY_NAMES[last]}"
                parts.append(f"{label} {', '.join(span_text(span) for span in self.days[day])}")
            day = last + 1
        return ", ".join(parts) or "closed"


def local_moment(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The instant (UTC) of a local date and minute in `zone` (a minute skipped by daylight saving is read with
    the offset before the change, as zoneinfo does)."""
    naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    return naive.replace(tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class LocalSpan:
    """A span of minutes on one local date of a zone."""

    day: date
    span: Span


def spans_in(day: date, spans: Sequence[Span], source: ZoneInfo, target: ZoneInfo) -> list[LocalSpan]:
    """The local spans of `target` during which the spans of `source`'s local `day` run. Where the two zones'
    offsets differ at the two ends of a span (daylight saving changes inside it), the span is cut a minute at a
    time around the change."""
    found: list[LocalSpan] = []
    for start, end in spans:
        first = local_moment(day, start, source)
        last = local_moment(day, end, source)
        if _delta(first, source, target) == _delta(last, source, target):
            found += _split(first, last, target)
            continue
        cut = start
        for minute in range(start + 1, end):
            moment = local_moment(day, minute, source)
            if _delta(moment, source, target) != _delta(first, source, target):
                found += _split(first, moment, target)
                first, cut = moment, minute
        found += _split(local_moment(day, cut, source), last, target)
    return found


def _delta(moment: datetime, source: ZoneInfo, target: ZoneInfo) -> timedelta:
    one, two = moment.astimezone(source).utcoffset(), moment.astimezone(target).utcoffset()
    assert one is not None and two is not None
    return two - one


def _split(first: datetime, last: datetime, zone: ZoneInfo) -> list[LocalSpan]:
    """The instants [first, last) as local spans of `zone`, one per local date they touch."""
    start = first.astimezone(zone)
    length = int((last - first).total_seconds() // 60)
    pieces: list[LocalSpan] = []
    minute = start.hour * 60 + start.minute
    day = start.date()
    while length > 0:
        take = min(length, MINUTES - minute)
        pieces.append(LocalSpan(day, (minute, minute + take)))
        length -= take
        day += timedelta(days=1)
        minute = 0
    return pieces
