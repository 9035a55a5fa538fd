"""A relative "on add" schedule of a Contact Center member: `+<N>d HH:MM<offset>`, or `+<N>d HH:MM local`.

It names a moment only when the member is added (N days after the day of apply, at a time of day in an
offset), so it is never compared with a live schedule and causes no churn from one run to the next. A `local`
one has no offset of its own: it is read in the member's own time zone (resolved per member from its hints), so
it names a different instant for members in different zones, and keeps its time of day across a change of
daylight saving, which a fixed offset does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

Zone = tzinfo
"""A time zone (the name `tzinfo` is the schedule's own field)."""


@dataclass(frozen=True)
class RelativeSchedule:
    """`days` after the day of apply (in `tzinfo`), at `time` of day in `tzinfo`; `text` as written. `tzinfo` is
    None for a `local` schedule: the member's own zone, given when it is resolved."""

    text: str
    days: int
    time: time
    tzinfo: tzinfo | None

    @property
    def is_relative(self) -> bool:
        return True

    @property
    def local(self) -> bool:
        """True for `+<N>d HH:MM local`: resolved in each member's own zone."""
        return self.tzinfo is None

    def resolve(self, now: datetime, zone: Zone | None = None) -> datetime:
        """The moment this schedule names when the member is added at `now` (a time-zone-aware datetime); a
        `local` one in the member's `zone` (a ZoneInfo keeps its daylight saving on the day it names)."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be a time-zone-aware datetime")
        where = self.tzinfo if self.tzinfo is not None else zone
        if where is None:
            raise ValueError(f"{self.text} is read in the member's own zone, and none was given")
        local_day: date = now.astimezone(where).date() + timedelta(days=self.days)
        return datetime.combine(local_day, self.time, tzinfo=where)

    def __str__(self) -> str:
        return self.text
