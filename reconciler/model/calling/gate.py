"""The apply-time clock gate: whether dialling may start now, in every zone a resource's records are in.

A gate is made at plan time from what the records are (their zones) and what the policy allows there; whether it
is open is decided from the clock at the moment of the write, never from the plan's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from .holidays import CallingHours
from .hours import clock


@dataclass(frozen=True)
class Gate:
    """The zones a write would start dialling in, each with the hours allowed there, and what a closed gate does:
    refuse the write (a mandatory policy) or defer it to a later apply. A holiday is the local date of each zone:
    on it only the holiday hours are open (none: the gate stays closed all day)."""

    policy: str
    """The CallingPolicy's address."""
    zones: tuple[tuple[str, CallingHours], ...]
    refuses: bool

    def closed(self, now: datetime) -> str | None:
        """Why dialling may not start at `now` (None when every zone is inside its window): the first zone that is
        outside, its local time, and when the window next opens in every zone."""
        for name, hours in self.zones:
            zone = ZoneInfo(name)
            if hours.allows_at(now, zone):
                continue
            local = now.astimezone(zone)
            text = (
                f"it is {local:%a} {clock(local.hour * 60 + local.minute)} in {name}, outside {self.policy} "
                f"({hours.describe_on(local.date())} there)"
            )
            opens = self.opens(now)
            if opens is None:
                return f"{text}; no time in the next 8 days is inside the window in every zone of its records"
            first = opens.astimezone(zone)
            return (
                f"{text}; the window opens in every zone at {opens.astimezone(UTC):%Y-%m-%d %H:%M} UTC "
                f"({first:%a %H:%M} in {name})"
            )
        return None

    def opens(self, now: datetime) -> datetime | None:
        """The first minute from `now` (within 8 days) that is inside the window in every zone: a window
        opening of one of the zones, the first where all of them allow it."""
        candidates = sorted(
            {
                opening
                for name, hours in self.zones
                for opening in hours.openings(now.astimezone(ZoneInfo(name)), 8)
                if opening >= now
            }
        )
        for moment in candidates:
            if all(hours.allows_at(moment, ZoneInfo(name)) for name, hours in self.zones):
                return moment
        return None
