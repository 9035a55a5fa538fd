"""Holiday calendars and date-aware calling hours as values: the shipped calendars, hours that narrow on a holiday
(the called party's local date), the proof of a time-of-day policy across holidays, and the clock gate on one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from reconciler.model.calling.gate import Gate
from reconciler.model.calling.holidays import CallingHours, calendars, named_holidays
from reconciler.model.calling.hours import WeekHours, parse_span
from reconciler.model.calling.tod import Breach, TodPolicyValue, TodRule, breach

WEEKDAYS = frozenset(range(5))
GB_WEEKDAYS = WeekHours.of(dict.fromkeys(range(5), (parse_span("09:00-20:00"),)))
CHRISTMAS = date(2026, 12, 25)


def _gb(window: str | None = None, extra: tuple[date, ...] = ()) -> CallingHours:
    hours = None if window is None else WeekHours.every_day(parse_span(window))
    return CallingHours.of(GB_WEEKDAYS, named_holidays(["GB-EAW@2026"], extra), hours)


def _uk_weekdays(*rules: TodRule) -> TodPolicyValue:
    """Default active, with inactive rules outside Mon-Fri 09:00-20:00: the form whose holiday rules can be proved
    (the proof trusts an inactive rule only where no active rule covers the same time)."""
    return TodPolicyValue(
        "UK weekdays",
        "Europe/London",
        True,
        (
            TodRule(WEEKDAYS, span=(0, 540), active=False),
            TodRule(WEEKDAYS, span=(1200, 1440), active=False),
            TodRule(frozenset({5, 6}), active=False),
            *rules,
        ),
    )


def test_the_shipped_calendars_name_their_source_and_the_observed_days() -> None:
    shipped = calendars()
    assert sorted(shipped) == [
        "AU-NATIONAL@2026",
        "AU-NATIONAL@2027",
        "GB-EAW@2026",
        "GB-EAW@2027",
        "US-FEDERAL@2026",
        "US-FEDERAL@2027",
    ]
    gb = shipped["GB-EAW@2026"]
    assert gb.source == "GOV.UK UK bank holidays, England and Wales (www.gov.uk/bank-holidays)"
    assert len(gb.holidays) == 9
    assert gb.holidays[date(2026, 12, 28)] == "Boxing Day (substitute day)"
    us = shipped["US-FEDERAL@2027"]
    assert us.holidays[date(2027, 12, 31)] == "New Year's Day 2028 (observed)"
    assert us.holidays[date(2027, 7, 5)] == "Independence Day (observed)"
    assert shipped["US-FEDERAL@2026"].holidays[date(2026, 7, 3)] == "Independence Day (observed)"
    assert shipped["AU-NATIONAL@2027"].holidays[date(2027, 3, 26)] == "Good Friday"
    for calendar in shipped.values():
        year = int(calendar.name.split("@")[1])
        assert all(day.year == year for day in calendar.holidays if day.month > 1 or day.day > 1), (
            calendar.name
        )


def test_a_shared_date_names_each_calendar_and_a_listed_date_says_so() -> None:
    named = named_holidays(["GB-EAW@2026", "US-FEDERAL@2026"], [date(2026, 12, 24)])
    assert named[CHRISTMAS] == "Christmas Day (GB-EAW@2026, US-FEDERAL@2026)"
    assert named[date(2026, 12, 24)] == "listed in holidays.dates"
    assert named[date(2026, 7, 3)] == "Independence Day (observed) (US-FEDERAL@2026)"
    assert list(named) == sorted(named)


def test_a_holiday_allows_no_call_or_only_the_holiday_window_inside_the_days_hours() -> None:
    closed = _gb()
    assert closed.allows_on(date(2026, 12, 24), 600) and not closed.allows_on(CHRISTMAS, 600)
    assert closed.spans(CHRISTMAS) == ()
    assert closed.describe() == "Mon-Fri 09:00-20:00"
    assert closed.describe_on(date(2026, 12, 24)) == "Mon-Fri 09:00-20:00"
    assert closed.describe_on(CHRISTMAS) == "Fri 2026-12-25 is Christmas Day (GB-EAW@2026): no calls"
    reduced = _gb("10:00-14:00", extra=(date(2026, 12, 24),))
    assert reduced.spans(CHRISTMAS) == ((600, 840),)
    assert reduced.spans(date(2026, 12, 26)) == ()  # a Saturday: the week allows none, nor does the holiday
    assert reduced.describe_on(date(2026, 12, 24)) == (
        "Thu 2026-12-24 is listed in holidays.dates: 10:00-14:00"
    )
    assert reduced.allows_at(datetime(2026, 12, 25, 10, 0, tzinfo=UTC), ZoneInfo("Europe/London"))
    assert not reduced.allows_at(datetime(2026, 12, 25, 9, 59, tzinfo=UTC), ZoneInfo("Europe/London"))


def test_a_policy_that_dials_on_a_holiday_is_found_on_that_date() -> None:
    start = date(2026, 12, 6)
    policy = _uk_weekdays()
    assert breach(policy, "Europe/London", GB_WEEKDAYS, start) is None
    found = breach(policy, "Europe/London", _gb(), start)
    assert found == Breach(CHRISTMAS, "dials", 540, "Christmas Day (GB-EAW@2026)")
    assert found.describe() == "dials at 09:00 local on Fri 2026-12-25, Christmas Day (GB-EAW@2026)"
    late = breach(policy, "Europe/London", _gb("10:00-14:00"), start)
    assert late is not None and (late.day, late.minute) == (CHRISTMAS, 540)


def test_inactive_date_rules_for_the_holidays_prove_the_policy() -> None:
    rules = [TodRule(on=day, active=False) for day in (CHRISTMAS, date(2026, 12, 28))]
    assert breach(_uk_weekdays(*rules), "Europe/London", _gb(), date(2026, 12, 6)) is None
    only_christmas = breach(_uk_weekdays(rules[0]), "Europe/London", _gb(), date(2026, 12, 6))
    assert only_christmas == Breach(
        date(2026, 12, 28), "dials", 540, "Boxing Day (substitute day) (GB-EAW@2026)"
    )


def test_a_holiday_window_is_proved_by_date_rules_around_it() -> None:
    around = [
        TodRule(on=CHRISTMAS, span=(0, 600), active=False),
        TodRule(on=CHRISTMAS, span=(840, 1440), active=False),
    ]
    hours = _gb("10:00-14:00")
    monday = TodRule(on=date(2026, 12, 28), active=False)
    assert breach(_uk_weekdays(*around, monday), "Europe/London", hours, date(2026, 12, 6)) is None
    too_long = [
        TodRule(on=CHRISTMAS, span=(0, 600), active=False),
        TodRule(on=CHRISTMAS, span=(900, 1440), active=False),
    ]
    found = breach(_uk_weekdays(*too_long, monday), "Europe/London", hours, date(2026, 12, 6))
    assert found == Breach(CHRISTMAS, "dials", 840, "Christmas Day (GB-EAW@2026)")


def test_an_active_weekday_rule_is_not_undone_by_an_inactive_date_rule_in_the_proof() -> None:
    """The vendor does not say which rule wins, so the proof takes the widest reading: default inactive with an
    active weekday rule still may dial on a date an inactive rule names."""
    policy = TodPolicyValue(
        "UK hours",
        "Europe/London",
        False,
        (
            TodRule(WEEKDAYS, span=(540, 1200)),
            TodRule(on=CHRISTMAS, active=False),
            TodRule(on=date(2026, 12, 28), active=False),
        ),
    )
    assert breach(policy, "Europe/London", _gb(), date(2026, 12, 6)) == Breach(
        CHRISTMAS, "dials", 540, "Christmas Day (GB-EAW@2026)"
    )


def test_a_holiday_is_the_called_partys_local_date() -> None:
    """A New York policy dialling 15:00-20:00 its time reaches London after 20:00 on the 24th, and from 00:00 on
    the 25th: London's Christmas starts while it is still the 24th in New York."""
    policy = TodPolicyValue("NY", "America/New_York", False, (TodRule(WEEKDAYS, span=(900, 1200)),))
    london = CallingHours.of(WeekHours.every_day((0, 1440)), named_holidays(["GB-EAW@2026"], []), None)
    found = breach(policy, "Europe/London", london, date(2026, 12, 20))
    assert found == Breach(CHRISTMAS, "dials", 0, "Christmas Day (GB-EAW@2026)")


def test_the_gate_is_closed_on_a_holiday_and_opens_on_the_next_working_day() -> None:
    gate = Gate("CallingPolicy/gb-sales", (("Europe/London", _gb()),), refuses=False)
    christmas = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)
    assert gate.opens(christmas) == datetime(2026, 12, 29, 9, 0, tzinfo=UTC)
    assert gate.closed(christmas) == (
        "it is Fri 10:00 in Europe/London, outside CallingPolicy/gb-sales (Fri 2026-12-25 is Christmas Day "
        "(GB-EAW@2026): no calls there); the window opens in every zone at 2026-12-29 09:00 UTC (Tue 09:00 in "
        "Europe/London)"
    )
    assert gate.closed(datetime(2026, 12, 29, 10, 0, tzinfo=UTC)) is None
    reduced = Gate("CallingPolicy/gb-sales", (("Europe/London", _gb("10:00-14:00")),), refuses=False)
    assert reduced.closed(christmas) is None
    assert reduced.opens(datetime(2026, 12, 25, 14, 0, tzinfo=UTC)) == datetime(
        2026, 12, 28, 10, 0, tzinfo=UTC
    )
