"""Schedules: absolute ISO 8601 with a time zone, or relative "+<N>d HH:MM<offset>" resolved at add time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from reconciler.manifest import AbsoluteSchedule, RelativeSchedule, ScheduleError, parse_schedule


def test_absolute_schedules() -> None:
    schedule = parse_schedule("2026-11-25T09:00:00+01:00")
    assert isinstance(schedule, AbsoluteSchedule)
    assert not schedule.is_relative
    assert schedule.at == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert schedule.resolve(datetime(2020, 1, 1, tzinfo=UTC)) == schedule.at
    assert parse_schedule("2026-11-25T09:00Z").resolve(datetime.now(UTC)) == datetime(
        2026, 11, 25, 9, tzinfo=UTC
    )
    assert parse_schedule("2026-11-25 09:00:00.5-05:30").text == "2026-11-25 09:00:00.5-05:30"


def test_relative_schedules_resolve_in_their_own_offset() -> None:
    schedule = parse_schedule("+2d 09:30-05:00")
    assert isinstance(schedule, RelativeSchedule)
    assert schedule.is_relative
    minus_five = timezone(-timedelta(hours=5))
    assert (schedule.days, schedule.time, schedule.tzinfo) == (2, time(9, 30), minus_five)
    # 02:00 UTC on 1 March is still 28 February at -05:00: two days later is 2 March.
    now = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    assert schedule.resolve(now) == datetime(2026, 3, 2, 9, 30, tzinfo=minus_five)
    assert parse_schedule("+0d 23:59Z").resolve(now) == datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
    assert parse_schedule("+7d 00:00+00:00").resolve(now) == datetime(2026, 3, 8, 0, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="time-zone-aware"):
        schedule.resolve(datetime(2026, 3, 1))


def test_a_local_schedule_resolves_in_the_members_zone_with_its_daylight_saving() -> None:
    schedule = parse_schedule("+1d 09:00 local")
    assert isinstance(schedule, RelativeSchedule)
    assert (schedule.days, schedule.time, schedule.tzinfo, schedule.local) == (1, time(9, 0), None, True)
    fixed = parse_schedule("+1d 09:00Z")
    assert isinstance(fixed, RelativeSchedule)
    assert not fixed.local
    # 00:30 on 1 November in New York (EDT); the next day is on EST, so 09:00 there is 14:00 UTC, not 13:00.
    now = datetime(2026, 11, 1, 4, 30, tzinfo=UTC)
    new_york, london = ZoneInfo("America/New_York"), ZoneInfo("Europe/London")
    assert schedule.resolve(now, new_york).astimezone(UTC) == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert schedule.resolve(now, london).astimezone(UTC) == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    # The day of apply is the member's: 23:30 UTC on 1 November is already 2 November in Sydney.
    late = datetime(2026, 11, 1, 23, 30, tzinfo=UTC)
    sydney = ZoneInfo("Australia/Sydney")
    assert schedule.resolve(late, sydney) == datetime(2026, 11, 3, 9, 0, tzinfo=sydney)
    with pytest.raises(ValueError, match="the member's own zone"):
        schedule.resolve(now)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-11-25T09:00:00", 'schedule "2026-11-25T09:00:00" has no time zone'),
        ("2026-11-25", 'schedule "2026-11-25" is not an ISO 8601 date-time'),
        ("tomorrow", 'schedule "tomorrow" is not an ISO 8601 date-time'),
        ("2026-13-25T09:00:00Z", 'schedule "2026-13-25T09:00:00Z" is not an ISO 8601 date-time'),
        ("+8d 09:00Z", 'schedule "+8d 09:00Z" is more than 7 days ahead'),
        ("+1d 24:00Z", 'schedule "+1d 24:00Z" has no such time of day'),
        ("+1d 09:00+25:00", 'schedule "+1d 09:00+25:00" has an invalid UTC offset'),
        ("+1d 09:00", 'schedule "+1d 09:00" is not a relative schedule'),
        ("+1 09:00Z", 'schedule "+1 09:00Z" is not a relative schedule'),
        ("+1d 09:00 Local", 'schedule "+1d 09:00 Local" is not a relative schedule'),
        ("+9d 09:00 local", 'schedule "+9d 09:00 local" is more than 7 days ahead'),
    ],
)
def test_bad_schedules(text: str, reason: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(text)
    assert caught.value.reason == reason
    assert caught.value.remedy
