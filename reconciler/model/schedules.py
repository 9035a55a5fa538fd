"""A relative "on add" schedule of a Contact Center member: `+<N>d HH:MM<offset>`.

It names a moment only when the member is added (N days after the day of apply, at a time of day in an
offset), so it is never compared with a live schedule and causes no churn from one run to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo


@dataclass(frozen=True)
class RelativeSchedule:
    """`days` after the day of apply (in `tzinfo`), at `time` of day in `tzinfo`; `text` as written."""

    text: str
    days: int
    time: time
    tzinfo: tzinfo

    @property
    def is_relative(self) -> bool:
        return True

    def resolve(self, now: datetime) -> datetime:
        """The moment this schedule names when the member is added at `now` (a time-zone-aware datetime)."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be a time-zone-aware datetime")
        local_day: date = now.astimezone(self.tzinfo).date() + timedelta(days=self.days)
        return datetime.combine(local_day, self.time, tzinfo=self.tzinfo)

    def __str__(self) -> str:
        return self.text
