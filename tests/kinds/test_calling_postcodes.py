"""Postcodes as a zone source: US ZIP codes (by ZIP3: the state or territory, and its zones) and Canadian postal
codes (by first letter: the province or territory) beside GB and AU ones, told apart by shape, with the policy's
region settling four digits; invalid values counted; every shipped zone name known to this machine's tzdata."""

from __future__ import annotations

from zoneinfo import available_timezones

import polars as pl
import pytest

from reconciler.model.calling.postcodes import postcode_tables
from reconciler.model.calling.zones import ZoneColumns, resolve

ALASKA = (
    "America/Adak",
    "America/Anchorage",
    "America/Juneau",
    "America/Metlakatla",
    "America/Nome",
    "America/Sitka",
    "America/Yakutat",
)
INDIANA = (
    "America/Chicago",
    "America/Indiana/Indianapolis",
    "America/Indiana/Knox",
    "America/Indiana/Marengo",
    "America/Indiana/Petersburg",
    "America/Indiana/Tell_City",
    "America/Indiana/Vevay",
    "America/Indiana/Vincennes",
    "America/Indiana/Winamac",
)
BRITISH_COLUMBIA = (
    "America/Creston",
    "America/Dawson_Creek",
    "America/Edmonton",
    "America/Fort_Nelson",
    "America/Vancouver",
)
NORTHWEST_AND_NUNAVUT = (
    "America/Atikokan",
    "America/Cambridge_Bay",
    "America/Edmonton",
    "America/Inuvik",
    "America/Iqaluit",
    "America/Rankin_Inlet",
    "America/Resolute",
)

SAMPLES: list[tuple[str, tuple[str, ...]]] = [
    ("10001", ("America/New_York",)),  # New York City
    ("90210", ("America/Los_Angeles",)),
    ("60601", ("America/Chicago",)),
    ("85001", ("America/Phoenix",)),
    ("96813", ("Pacific/Honolulu",)),
    ("99501", ALASKA),  # Anchorage
    ("46204", INDIANA),  # Indianapolis
    ("M5V 2T6", ("America/Toronto",)),
    ("V6B 1A1", BRITISH_COLUMBIA),
    ("H2X 1Y4", ("America/Toronto",)),  # Montreal: America/Montreal is a link to Toronto
    ("00501", ("America/New_York",)),  # Holtsville NY
    ("00901", ("America/Puerto_Rico",)),
    ("00802", ("America/St_Thomas",)),
    ("05501", ("America/New_York",)),  # Andover MA, in Vermont's 05
    ("20500", ("America/New_York",)),
    ("33101", ("America/New_York",)),  # Miami
    ("32501", ("America/Chicago", "America/New_York")),  # Pensacola: the panhandle's ZIP3s keep both
    ("73301", ("America/Chicago",)),  # Austin's ZIP3 in Oklahoma's range
    ("79901", ("America/Chicago", "America/Denver")),  # El Paso
    ("86001", ("America/Denver", "America/Phoenix")),  # Flagstaff: the Navajo Nation keeps DST
    ("83702", ("America/Boise",)),
    ("97914", ("America/Boise", "America/Los_Angeles")),  # Ontario OR, Malheur County
    ("49858", ("America/Detroit", "America/Menominee")),
    ("96799", ("Pacific/Pago_Pago",)),  # American Samoa, in Hawaii's 967
    ("96910", ("Pacific/Guam",)),
    ("96950", ("Pacific/Saipan",)),
    ("a1c 5m2", ("America/Goose_Bay", "America/St_Johns")),
    ("B3H 4R2", ("America/Halifax",)),
    ("E1C4M3", ("America/Moncton",)),
    ("G1R 4P5", ("America/Blanc-Sablon", "America/Halifax", "America/Toronto")),
    ("K1A 0B1", ("America/Toronto",)),
    ("P7B 5E1", ("America/Atikokan", "America/Toronto", "America/Winnipeg")),
    ("R3C 4T3", ("America/Winnipeg",)),
    ("S4P 3Y2", ("America/Edmonton", "America/Regina", "America/Swift_Current", "America/Winnipeg")),
    ("T2P 2M5", ("America/Edmonton",)),
    ("X1A 2L9", NORTHWEST_AND_NUNAVUT),
    ("Y1A 6E6", ("America/Dawson", "America/Whitehorse")),
    ("SW1A 1AA", ("Europe/London",)),
    ("2000", ("Australia/Sydney",)),
]


def _groups(values: list[str | None], region: str | None = None) -> tuple[tuple[tuple[str, ...], int], ...]:
    frame = pl.DataFrame({"Postcode": values}, schema={"Postcode": pl.String})
    return resolve(frame, ZoneColumns(("postcode",), postcode="Postcode", region=region)).groups


@pytest.mark.parametrize(("code", "zones"), SAMPLES, ids=[code for code, _ in SAMPLES])
def test_a_postcode_resolves_to_the_zones_of_its_state_or_province(code: str, zones: tuple[str, ...]) -> None:
    assert _groups([code]) == ((zones, 1),)


def test_a_zip_plus_four_resolves_as_its_zip() -> None:
    assert _groups(["10001-1234", "10001 - 1234", "90210-0001"]) == (
        (("America/New_York",), 2),
        (("America/Los_Angeles",), 1),
    )


def test_invalid_postcodes_are_counted_and_military_and_unassigned_zips_leave_the_phone_to_decide() -> None:
    postcodes = [
        "09012",  # APO AE
        "34001",  # APO AA
        "96201",  # APO AP
        "00001",  # unassigned
        "96898",  # Wake Island
        "96939",  # Palau
        "1234-5678",
        "123456",
        "D1A 1A1",  # D is never used
        "W1A 1A1",  # W is never first
        "",
        None,
    ]
    frame = pl.DataFrame(
        {"Postcode": postcodes, "MobilePhone": ["+1 212 555 0100"] * len(postcodes)},
        schema={"Postcode": pl.String, "MobilePhone": pl.String},
    )
    report = resolve(frame, ZoneColumns(("postcode", "phone"), postcode="Postcode", phones=("MobilePhone",)))
    assert report.groups == ((("America/New_York",), 12),)
    assert dict(report.by_provenance) == {"postcode": 0, "phone": 12}
    assert (report.invalid_postcodes, report.unresolved, report.conflicts) == (4, 0, 0)
    assert report.summary() == (
        "12 records in 1 zones (12 by phone); 0 ambiguous (several zones; the check takes every one); 0 unresolved; "
        "0 invalid numbers; 0 invalid zone names; 4 invalid postcodes; 0 postcode/phone conflicts"
    )


@pytest.mark.parametrize("region", ["US", "PR", "GU"])
def test_four_digits_under_a_us_region_are_an_invalid_zip_not_an_australian_postcode(region: str) -> None:
    frame = pl.DataFrame({"Postcode": ["2000", "0501", "00501", "M5V 2T6"]})
    report = resolve(frame, ZoneColumns(("postcode",), postcode="Postcode", region=region))
    assert report.groups == ((("America/New_York",), 1), (("America/Toronto",), 1))
    assert (report.invalid_postcodes, report.unresolved, report.unresolved_rows) == (2, 2, (0, 1))


@pytest.mark.parametrize("region", [None, "AU", "GB", "CA"])
def test_four_digits_are_australian_under_any_other_region(region: str | None) -> None:
    frame = pl.DataFrame({"Postcode": ["2000", "0800"]})
    report = resolve(frame, ZoneColumns(("postcode",), postcode="Postcode", region=region))
    assert report.groups == ((("Australia/Darwin",), 1), (("Australia/Sydney",), 1))
    assert report.invalid_postcodes == 0


def test_the_zip3_table_follows_the_usps_allocation_by_state() -> None:
    areas = postcode_tables().areas
    by_state = {f"{code:03d}": areas.get(f"{code:03d}", "-").split()[0] for code in range(100)}
    expected = {
        **dict.fromkeys((f"{code:03d}" for code in range(100)), "-"),
        "005": "NY",
        "006": "PR",
        "007": "PR",
        "008": "VI",
        "009": "PR",
        **dict.fromkeys((f"{code:03d}" for code in range(10, 28)), "MA"),
        "028": "RI",
        "029": "RI",
        **dict.fromkeys((f"{code:03d}" for code in range(30, 39)), "NH"),
        **dict.fromkeys((f"{code:03d}" for code in range(39, 50)), "ME"),
        **dict.fromkeys((f"{code:03d}" for code in range(50, 60)), "VT"),
        "055": "MA",
        **dict.fromkeys((f"{code:03d}" for code in range(60, 70)), "CT"),
        **dict.fromkeys((f"{code:03d}" for code in range(70, 90)), "NJ"),
    }
    assert by_state == expected
    military = ["340", *(f"{code:03d}" for code in range(90, 99)), *(f"{code}" for code in range(962, 967))]
    assert [code for code in military if code in areas] == []
    states = {name.split()[0] for name in areas.values()}
    assert len(states - {"Wake"}) == 56  # the 50 states, DC, PR, VI, GU, AS and MP
    assert (len(postcode_tables().zip3), len(postcode_tables().zip5)) == (913, 28)


def test_every_shipped_zone_name_is_a_zone_this_machine_knows() -> None:
    tables = postcode_tables()
    names = tables.zone_names()
    assert sorted(names - available_timezones()) == []
    assert sorted(tables.ca) == list("ABCEGHJKLMNPRSTVXY")
    for code, zones in SAMPLES:
        assert set(zones) <= available_timezones(), code
