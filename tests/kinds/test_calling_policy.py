"""Calling hours as values: the shipped floors, windows, each record's zone resolved in columns, and the proof
that a time-of-day policy dials only inside a window in another zone (daylight saving included)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from reconciler.kinds.calling_members import posix_zone
from reconciler.model.calling.callerid import caller_id_problem
from reconciler.model.calling.floors import floors
from reconciler.model.calling.gate import Gate
from reconciler.model.calling.holidays import CallingHours
from reconciler.model.calling.hours import WeekHours, parse_span
from reconciler.model.calling.tod import Breach, TodPolicyValue, TodRule, breach
from reconciler.model.calling.zones import ZoneColumns, resolve

TCPA = floors()["US-TCPA@2026-11"].hours
UK_HOURS = TodPolicyValue(
    "UK hours", "Europe/London", False, (TodRule(frozenset(range(7)), span=(540, 1200)),)
)


def test_the_shipped_floors_name_their_source_and_hours() -> None:
    shipped = floors()
    assert sorted(shipped) == ["AU@2026-11", "CA@2026-11", "GB@2026-11", "US-TCPA@2026-11"]
    assert (
        shipped["US-TCPA@2026-11"].source == "47 CFR 64.1200(c)(1) (FCC, Telephone Consumer Protection Act)"
    )
    assert TCPA.describe() == "08:00-21:00"
    assert shipped["AU@2026-11"].hours.describe() == "Mon-Fri 09:00-20:00, Sat 09:00-17:00"
    assert shipped["CA@2026-11"].hours.describe() == "Mon-Fri 09:00-21:30, Sat-Sun 10:00-18:00"


def test_windows_intersect_and_lose_their_margin() -> None:
    declared = WeekHours.of({0: [parse_span("07:00-22:00")], 5: [parse_span("10:00-16:00")]})
    effective = declared.intersect(TCPA).less_margin(15)
    assert effective.describe() == "Mon 08:00-20:45, Sat 10:00-15:45"
    assert effective.allows(0, 480) and not effective.allows(0, 479) and not effective.allows(0, 20 * 60 + 45)
    assert TCPA.contains(declared) == [(0, (420, 1320))]


def test_the_gate_opens_at_the_first_minute_inside_in_every_zone() -> None:
    hours = CallingHours(TCPA)
    gate = Gate(
        "CallingPolicy/x", (("America/New_York", hours), ("America/Los_Angeles", hours)), refuses=True
    )
    after = datetime(2026, 12, 7, 12, 59, tzinfo=UTC)  # 07:59 in New York, 04:59 in Los Angeles
    assert gate.opens(after) == datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
    assert gate.closed(datetime(2026, 12, 7, 16, 0, tzinfo=UTC)) is None
    assert gate.closed(after) == (
        "it is Mon 07:59 in America/New_York, outside CallingPolicy/x (08:00-21:00 there); the window opens in every "
        "zone at 2026-12-07 16:00 UTC (Mon 11:00 in America/New_York)"
    )


def test_zones_resolve_by_precedence_and_are_counted_by_provenance() -> None:
    frame = pl.DataFrame(
        {
            "MobilePhone": [
                "+1 212 555 0100",
                "07700 900123",
                "+61412345678",
                "+442079460000",
                "abc",
                "",
                "0061 2 9999 0000",
            ],
            "Postcode": ["", "SW1A 1AA", "2880", "JE2 3AB", "", "", ""],
            "TZ": ["", "", "", "", "Europe/Paris", "Mars/Olympus", ""],
        }
    )
    columns = ZoneColumns(("zone", "postcode", "phone"), "TZ", "Postcode", ("MobilePhone",), "GB")
    report = resolve(frame, columns)
    assert report.zones() == {
        "America/New_York": 1,
        "Australia/Broken_Hill": 1,
        "Australia/Sydney": 1,
        "Europe/Jersey": 1,
        "Europe/London": 1,
        "Europe/Paris": 1,
    }
    assert dict(report.by_provenance) == {"zone": 1, "postcode": 3, "phone": 2}
    assert (report.unresolved, report.invalid_numbers, report.invalid_zones, report.conflicts) == (1, 1, 1, 2)
    assert report.unresolved_rows == (5,)
    assert report.summary() == (
        "7 records in 6 zones (1 by zone, 3 by postcode, 2 by phone); 0 ambiguous (several zones; the check takes "
        "every one); 1 unresolved; 1 invalid numbers; 1 invalid zone names; 0 invalid postcodes; 2 postcode/phone "
        "conflicts"
    )


def test_a_number_that_maps_to_several_zones_keeps_them_all_and_a_fallback_takes_the_unresolved() -> None:
    frame = pl.DataFrame({"MobilePhone": ["0412 345 678", "+1 999", "(02) 9999 0000"]})
    report = resolve(
        frame, ZoneColumns(("phone",), phones=("MobilePhone",), region="AU"), fallback="Europe/London"
    )
    assert report.groups == (
        (
            (
                "Australia/Adelaide",
                "Australia/Brisbane",
                "Australia/Eucla",
                "Australia/Lord_Howe",
                "Australia/Perth",
                "Australia/Sydney",
                "Indian/Christmas",
                "Indian/Cocos",
            ),
            1,
        ),
        (("Australia/Sydney",), 1),
        (("Europe/London",), 1),
    )
    assert report.ambiguous == 1 and report.unresolved == 1 and report.invalid_numbers == 1
    assert dict(report.by_provenance) == {"phone": 2, "fallback": 1}
    assert report.zones()["Australia/Sydney"] == 2


def test_a_policy_in_london_opens_at_one_in_los_angeles_and_fits_in_london() -> None:
    assert UK_HOURS.describe() == "Europe/London 09:00-20:00"
    start = date(2026, 12, 6)
    assert breach(UK_HOURS, "Europe/London", TCPA, start) is None
    assert breach(UK_HOURS, "America/Los_Angeles", TCPA, start) == Breach(start, "opens", 60)
    assert breach(UK_HOURS, "America/Los_Angeles", TCPA, start).describe() == "opens at 01:00 local"  # type: ignore[union-attr]


def test_daylight_saving_is_met_on_the_day_it_changes() -> None:
    """New York 08:00-16:00 fits 13:00-21:00 London while both keep or both change their clocks, but not in
    the weeks only one has changed (US clocks go forward on 8 March 2026, UK ones on 29 March)."""
    policy = TodPolicyValue("NY", "America/New_York", False, (TodRule(frozenset(range(7)), span=(480, 960)),))
    london = WeekHours.every_day(parse_span("13:00-21:00"))
    assert breach(policy, "Europe/London", london, date(2026, 1, 1), days=60) is None
    assert breach(policy, "Europe/London", london, date(2026, 1, 1), days=100) == Breach(
        date(2026, 3, 8), "opens", 720
    )


def test_an_inactive_default_with_no_rule_never_dials_and_an_active_one_always_does() -> None:
    closed = TodPolicyValue("closed", "Europe/London", False)
    assert breach(closed, "Pacific/Auckland", TCPA, date(2026, 12, 6)) is None
    always = TodPolicyValue("always", "Europe/London", True, (TodRule(frozenset({6}), active=False),))
    assert always.describe() == "Europe/London Mon-Sat 00:00-24:00"
    assert breach(always, "Europe/London", TCPA, date(2026, 12, 7)) == Breach(date(2026, 12, 7), "opens", 0)


def test_caller_ids_must_be_present_numbers_and_not_premium_rate() -> None:
    charged = "the called party is charged to ring it back"
    cases = {
        "": "is empty: a call would reach the called party without a number to ring back",
        "0800-CALLNOW": "is not a phone number",
        "09098 790 000": f"is premium rate: {charged}",
        "+44 845 123 4567": f"is service-charged (084): {charged}",
        "0871 222 3333": f"is service-charged (087): {charged}",
        "07000 123456": f"is personal numbering (070): {charged}",
        "118 118": f"is directory enquiries (118): {charged}",
        "+1 900 555 0100": f"is premium rate (NANP 900): {charged}",
        "+61 1902 123 456": f"is premium rate (Australian 190): {charged}",
    }
    for value, reason in cases.items():
        assert caller_id_problem(value) == reason, value
    for fine in ("01632 960000", "+44 7700 900123", "+1 212 555 0100", "+61 2 9999 0000"):
        assert caller_id_problem(fine) is None, fine


def test_posix_zones_of_the_campaign_read_map_to_iana_zones() -> None:
    cases = {
        "EST5EDT": "EST5EDT",
        "EST5EST": "Etc/GMT+5",
        "EST5": "Etc/GMT+5",
        "CET-1": "Etc/GMT-1",
        "GMT0": "GMT0",
        "UTC0": "Etc/GMT",
        "GMT0BST": None,
        "Europe/London": "Europe/London",
        "nonsense": None,
    }
    for text, zone in cases.items():
        assert posix_zone(text) == zone, text
