"""Schedules of Contact Center campaign members: an absolute date-time or a relative "on add" time.

Absolute: an ISO 8601 date-time with a UTC offset or Z, e.g. `2026-11-25T09:00:00+00:00`.
Relative: `+<N>d HH:MM<offset>`, e.g. `+2d 09:00+00:00`: N (0..7) days after the day of apply, at that time of
day in that offset; or `+<N>d HH:MM local`, e.g. `+1d 09:00 local`: at that time of day in the member's own
zone. A relative schedule is resolved only when a member is added, and never compared with a live
schedule, so it causes no churn from one run to the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo

from ..model.schedules import RelativeSchedule

MAX_DAYS_AHEAD = 7
"""The Contact Center API accepts schedules at most 7 days ahead."""

EXAMPLES = '"2026-11-25T09:00:00+00:00", "+2d 09:00+00:00" or "+1d 09:00 local"'
LOCAL = " local"
"""The suffix of a relative schedule read in the member's own zone."""

_RELATIVE = re.compile(
    r"\+(?P<days>[0-9]{1,3})d (?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?P<offset>Z|[+-][0-9]{2}:[0-9]{2}| local)"
)
_ABSOLUTE_SHAPE = re.compile(r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}[T ][0-9]{2}")


class ScheduleError(ValueError):
    """A schedule that cannot be used; `reason` and `remedy` are ready for a Problem."""

    def __init__(self, reason: str, remedy: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.remedy = remedy


@dataclass(frozen=True)
class AbsoluteSchedule:
    """A fixed, time-zone-aware moment."""

    text: str
    at: datetime

    @property
    def is_relative(self) -> bool:
        return False

    def resolve(self, now: datetime) -> datetime:
        """The moment itself (`now` is not needed, but keeps one signature for both forms)."""
        _require_aware(now)
        return self.at


Schedule = AbsoluteSchedule | RelativeSchedule


def parse_schedule(text: str) -> Schedule:
    """Parse either schedule form; raises ScheduleError with a reason that quotes the text (never personal)."""
    relative = _RELATIVE.fullmatch(text)
    if relative is not None:
        return _relative(text, relative)
    if text.startswith("+"):
        raise ScheduleError(
            f'schedule "{text}" is not a relative schedule',
            'write "+<days>d HH:MM<offset>" or "+<days>d HH:MM local", e.g. "+2d 09:00+00:00"',
        )
    if _ABSOLUTE_SHAPE.match(text) is None:
        raise ScheduleError(
            f'schedule "{text}" is not an ISO 8601 date-time',
            f"write {EXAMPLES}",
        )
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ScheduleError(
            f'schedule "{text}" is not an ISO 8601 date-time',
            f"write {EXAMPLES}",
        ) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise ScheduleError(
            f'schedule "{text}" has no time zone',
            "add a UTC offset such as +00:00 or Z",
        )
    return AbsoluteSchedule(text, at)


def _relative(text: str, match: re.Match[str]) -> RelativeSchedule:
    days = int(match["days"])
    if days > MAX_DAYS_AHEAD:
        raise ScheduleError(
            f'schedule "{text}" is more than {MAX_DAYS_AHEAD} days ahead',
            f"the Contact Center accepts +0d to +{MAX_DAYS_AHEAD}d",
        )
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise ScheduleError(f'schedule "{text}" has no such time of day', "use HH:MM from 00:00 to 23:59")
    if match["offset"] == LOCAL:
        return RelativeSchedule(text, days, time(hour, minute), None)
    offset = _offset(match["offset"])
    if offset is None:
        raise ScheduleError(
            f'schedule "{text}" has an invalid UTC offset',
            "use an offset from -23:59 to +23:59, or Z",
        )
    return RelativeSchedule(text, days, time(hour, minute), offset)


def _offset(text: str) -> tzinfo | None:
    if text == "Z":
        return UTC
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a time-zone-aware datetime")
