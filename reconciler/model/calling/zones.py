"""Each record's time zone, resolved in columns: from an explicit IANA zone, a postcode, or the phone number.

A record resolves to a zone group: the tuple of zones it may be in. A phone number maps by its longest known
prefix in the time-zone table the `phonenumbers` package ships (phonenumbers.tzdata, generated from Google's
libphonenumber), looked up by prefix in columns: a full parse costs about 24 µs a number, a million numbers a
lookup of nine prefix lengths. A number can map to several zones (an Australian mobile: all of Australia's), and
then every check takes all of them.

Postcodes come from small tables shipped here, which cover:
- Great Britain and Northern Ireland (every postcode: Europe/London), Guernsey (GY), Jersey (JE) and the Isle of
  Man (IM), by the postcode's area letters;
- Australia (four-digit postcodes, by state range, with Broken Hill 2880, Lord Howe Island 2898, Christmas
  Island 6798 and Cocos Islands 6799 apart);
- the United States (ZIP codes, by their first three digits: the state or territory, and its zones; see
  postcodes.yaml, which lists the basis), where military, unassigned and freely associated states' ZIPs resolve
  nothing and the next source in the precedence decides;
- Canada (postal codes, by their first letter: the province or territory, and its zones; see postcodes.yaml).

A postcode's country is told by its shape, after case and whitespace are set aside: letters and digits ending in
a digit and two letters is GB ("SW1A 1AA"); letter-digit-letter digit-letter-digit is Canada ("M5V 2T6"); five
digits, or five, a hyphen and four, is a US ZIP ("12345", "12345-6789"); four digits is Australia ("2000"). The
shapes do not overlap; the one ambiguity is four digits, which under a policy whose `zones.region` is the US or a
US territory (PR, VI, GU, AS, MP) are a ZIP that lost its leading zero, not guessed: invalid. Any other non-empty
value is invalid too, and counted; an invalid postcode resolves nothing, so the next source decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import available_timezones

from ..fields import PHONE_NOISE
from .postcodes import postcode_tables

if TYPE_CHECKING:
    import polars as pl

SOURCES = ("zone", "postcode", "phone")
"""The ways a record's zone can be known, as a policy's precedence names them."""

_GB_POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$"
_CA_POSTCODE = r"^[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z][0-9][ABCEGHJ-NPRSTV-Z][0-9]$"
"""A Canadian postal code without its space: D, F, I, O, Q and U are never used, W and Z never first."""
_US_ZIP = r"^[0-9]{5}(-[0-9]{4})?$"
_AU_POSTCODE = r"^[0-9]{4}$"
US_REGIONS = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})
"""Regions under which a four-digit postcode is a ZIP that lost its leading zero (invalid), not Australian."""
_GB_AREAS = {"GY": "Europe/Guernsey", "JE": "Europe/Jersey", "IM": "Europe/Isle_of_Man"}
_AU_RANGES: tuple[tuple[int, int, str], ...] = (
    (2880, 2880, "Australia/Broken_Hill"),
    (2898, 2898, "Australia/Lord_Howe"),
    (6798, 6798, "Indian/Christmas"),
    (6799, 6799, "Indian/Cocos"),
    (800, 999, "Australia/Darwin"),
    (200, 299, "Australia/Sydney"),
    (2000, 2999, "Australia/Sydney"),
    (3000, 3999, "Australia/Melbourne"),
    (4000, 4999, "Australia/Brisbane"),
    (5000, 5999, "Australia/Adelaide"),
    (6000, 6999, "Australia/Perth"),
    (7000, 7999, "Australia/Hobart"),
)
"""Australian postcode ranges and their zones, the exceptions first (the first range that holds wins)."""


NON_GEOGRAPHIC = {"614": "61", "6145": "61", "6146": "61"}
"""Prefixes whose numbers can be anywhere in their country, mapped to the country's prefix: the shipped table puts
Australian mobiles (+61 4) in Australia/Sydney, but a mobile keeps its number across the country, so a record
with one may be in any Australian zone, and every check takes them all."""


@dataclass(frozen=True)
class ZoneColumns:
    """Where a record's zone is read from, in precedence order, and how national phone numbers are read."""

    precedence: tuple[str, ...]
    zone: str | None = None
    postcode: str | None = None
    phones: tuple[str, ...] = ()
    region: str | None = None
    """The ISO country whose national format phone numbers without + or 00 are in (None: only international
    numbers resolve)."""


@dataclass(frozen=True)
class ZoneReport:
    """What resolving a resource's records found: counts only, no personal value."""

    rows: int
    groups: tuple[tuple[tuple[str, ...], int], ...]
    """(zones, records) of every zone group present, largest first."""
    by_provenance: Mapping[str, int] = field(default_factory=dict)
    ambiguous: int = 0
    """Records whose group holds more than one zone."""
    unresolved: int = 0
    invalid_numbers: int = 0
    """Records whose phone is not a number the table knows (malformed, or a country code it lacks)."""
    invalid_zones: int = 0
    """Records whose zone column names no IANA zone."""
    invalid_postcodes: int = 0
    """Records whose postcode has none of the known shapes (see the module), or four digits under a US region."""
    conflicts: int = 0
    """Records whose postcode and phone both resolve, to zones that have nothing in common."""
    unresolved_rows: tuple[int, ...] = ()
    """Positions (0-based) of the first few unresolved records, for messages."""

    def zones(self) -> dict[str, int]:
        """Each zone present, with how many records may be in it."""
        found: dict[str, int] = {}
        for zones, count in self.groups:
            for zone in zones:
                found[zone] = found.get(zone, 0) + count
        return dict(sorted(found.items()))

    def summary(self, unit: str = "records") -> str:
        """One line for the plan: counts by provenance, ambiguous, unresolved, invalid, conflicts."""
        parts = [f"{count:,} by {name}" for name, count in self.by_provenance.items() if count]
        text = f"{self.rows:,} {unit} in {len(self.zones())} zones"
        if parts:
            text += f" ({', '.join(parts)})"
        extras = [
            (self.ambiguous, "ambiguous (several zones; the check takes every one)"),
            (self.unresolved, "unresolved"),
            (self.invalid_numbers, "invalid numbers"),
            (self.invalid_zones, "invalid zone names"),
            (self.invalid_postcodes, "invalid postcodes"),
            (self.conflicts, "postcode/phone conflicts"),
        ]
        for count, label in extras:
            text += f"; {count:,} {label}"
        return text


class _Groups:
    """Zone groups by id: each distinct tuple of zones once."""

    def __init__(self) -> None:
        self.by_zones: dict[tuple[str, ...], int] = {}
        self.zones: list[tuple[str, ...]] = []

    def id(self, zones: Sequence[str]) -> int:
        key = tuple(sorted(set(zones)))
        found = self.by_zones.get(key)
        if found is None:
            found = self.by_zones[key] = len(self.zones)
            self.zones.append(key)
        return found


@cache
def _phone_table() -> tuple[tuple[tuple[str, ...], ...], tuple[dict[str, int], ...]]:
    """The phonenumbers time-zone table as (groups by id, prefix -> group id for each prefix length 1..9)."""
    from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

    groups = _Groups()
    by_length: list[dict[str, int]] = [{} for _ in range(TIMEZONE_LONGEST_PREFIX + 1)]
    for prefix, zones in {
        **TIMEZONE_DATA,
        **{key: TIMEZONE_DATA[country] for key, country in NON_GEOGRAPHIC.items()},
    }.items():
        known = [zone for zone in zones if zone != "Etc/Unknown"]
        if known:
            by_length[len(prefix)][prefix] = groups.id(known)
    return tuple(groups.zones), tuple(by_length)


@cache
def iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def national_prefix(region: str) -> tuple[str, str] | None:
    """(country code, national trunk prefix) of an ISO region, or None when phonenumbers does not know it."""
    from phonenumbers import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(region.upper())
    if metadata is None or metadata.country_code is None:
        return None
    return str(metadata.country_code), metadata.national_prefix or ""


def resolve(frame: pl.DataFrame, columns: ZoneColumns, fallback: str | None = None) -> ZoneReport:
    """Resolve every row of `frame` (text columns named as in `columns`); rows nothing resolves go to the
    `fallback` zone when one is given."""
    resolved, order, groups = _resolved(frame, columns)
    return _report(resolved, order, groups, fallback)


@dataclass(frozen=True)
class RowZones:
    """Each row's zones, beside the report: what a check of one row at a time needs."""

    report: ZoneReport
    group: pl.Series
    """The id of each row's zones in `zones` (null: nothing resolves it; the fallback is not applied)."""
    invalid_zone: pl.Series
    """True for each row whose zone column names no IANA zone."""
    zones: tuple[tuple[str, ...], ...]

    def of(self, row: int) -> tuple[str, ...]:
        """The zones of the row at `row` (0-based); () when nothing resolves it."""
        group = self.group[row]
        return () if group is None else self.zones[group]


def resolve_each(frame: pl.DataFrame, columns: ZoneColumns, fallback: str | None = None) -> RowZones:
    """`resolve`, with each row's zones kept (a CampaignMembership checks each member's schedule in its own
    zone)."""
    resolved, order, groups = _resolved(frame, columns)
    report = _report(resolved, order, groups, fallback)
    return RowZones(
        report, resolved.get_column("group"), resolved.get_column("invalid_zone"), tuple(groups.zones)
    )


def resolved_rows(frame: pl.DataFrame, columns: ZoneColumns) -> pl.Series:
    """True for each row of `frame` whose zone resolves (what `unresolved: exclude` keeps)."""
    resolved, _, _ = _resolved(frame, columns)
    return resolved.get_column("group").is_not_null()


def _resolved(frame: pl.DataFrame, columns: ZoneColumns) -> tuple[pl.DataFrame, list[str], _Groups]:
    """Each row's zone group (null: unresolved), the source it came from (its position in `order`), and whether
    its number or zone name is invalid, with the conflict columns when postcode and phone both count."""
    import polars as pl

    phone_groups, by_length = _phone_table()
    groups = _Groups()
    for zones in phone_groups:
        groups.id(zones)
    stage: dict[str, pl.Expr] = {}
    flags: dict[str, pl.Expr] = {}
    if columns.phones:
        frame = frame.with_columns(_e164(columns).alias("_digits"))
        digits = pl.col("_digits")
        looked = [
            digits.str.slice(0, length).replace_strict(table, default=None, return_dtype=pl.Int32)
            for length, table in reversed(list(enumerate(by_length)))
            if table
        ]
        stage["phone"] = pl.when(digits.str.contains(r"^[1-9][0-9]{6,14}$")).then(pl.coalesce(looked))
        flags["given"] = pl.any_horizontal(pl.col(name).str.strip_chars() != "" for name in columns.phones)
    if columns.postcode is not None:
        # Normalised once, as a column: every shape and table below reads it.
        normal = pl.col(columns.postcode).str.to_uppercase().str.replace_all(r"\s", "")
        frame = frame.with_columns(normal.alias("_postcode"))
        stage["postcode"], flags["invalid_postcode"] = _postcodes(pl.col("_postcode"), groups, columns.region)
    if columns.zone is not None:
        named = pl.col(columns.zone).str.strip_chars()
        present = frame.get_column(columns.zone).str.strip_chars().unique().to_list()
        known = {name: groups.id([name]) for name in present if name in iana_zones()}
        stage["zone"] = named.replace_strict(known, default=None, return_dtype=pl.Int32)
        flags["invalid_zone"] = (named != "") & ~named.is_in(list(known))
    # Each source's group once, as a column; what follows reads the columns.
    found = frame.select(*(expr.alias(name) for name, expr in {**stage, **flags}.items()))
    order = [name for name in columns.precedence if name in stage]
    chosen = pl.coalesce([pl.col(name) for name in order]) if order else pl.lit(None, dtype=pl.Int32)
    provenance = pl.lit(None, dtype=pl.Int8)
    for position, name in reversed(list(enumerate(order))):
        provenance = (
            pl.when(pl.col(name).is_not_null()).then(pl.lit(position, dtype=pl.Int8)).otherwise(provenance)
        )
    false = pl.lit(value=False)
    invalid_number = pl.col("given") & pl.col("phone").is_null() if "phone" in stage else false
    both = "postcode" in stage and "phone" in stage
    resolved = found.select(
        chosen.alias("group"),
        provenance.alias("provenance"),
        invalid_number.alias("invalid_number"),
        (pl.col("invalid_zone") if "invalid_zone" in flags else false).alias("invalid_zone"),
        (pl.col("invalid_postcode") if "invalid_postcode" in flags else false).alias("invalid_postcode"),
        *((pl.col("postcode").alias("a"), pl.col("phone").alias("b")) if both else ()),
    )
    return resolved, order, groups


def _e164(columns: ZoneColumns) -> pl.Expr:
    """The first non-empty phone of each row as E.164 digits (no +); national numbers read in the region."""
    import polars as pl

    raw = pl.coalesce(
        [
            pl.when(pl.col(name).str.strip_chars() != "").then(pl.col(name).str.replace_all(PHONE_NOISE, ""))
            for name in columns.phones
        ]
    ).fill_null("")
    national: pl.Expr = pl.lit(None, dtype=pl.String)
    known = national_prefix(columns.region) if columns.region else None
    if known is not None:
        code, trunk = known
        stripped = raw.str.strip_prefix(trunk) if trunk else raw
        national = pl.lit(code) + stripped
    return (
        pl.when(raw.str.starts_with("+"))
        .then(raw.str.slice(1))
        .when(raw.str.starts_with("00"))
        .then(raw.str.slice(2))
        .otherwise(national)
        .fill_null("")
    )


def _postcodes(text: pl.Expr, groups: _Groups, region: str | None) -> tuple[pl.Expr, pl.Expr]:
    """Each postcode's zone group (null: it resolves nothing), and whether it is invalid (see the module); `text`
    is the postcode in capitals without whitespace."""
    import polars as pl

    def ids(table: Mapping[str, Sequence[str]]) -> dict[str, int]:
        return {key: groups.id(zones) for key, zones in table.items() if zones}

    tables = postcode_tables()
    gb, ca, us = (text.str.contains(shape) for shape in (_GB_POSTCODE, _CA_POSTCODE, _US_ZIP))
    au = pl.lit(value=False) if region in US_REGIONS else text.str.contains(_AU_POSTCODE)
    gb_areas = ids({area: [zone] for area, zone in _GB_AREAS.items()})
    gb_group = text.str.extract(r"^([A-Z]{1,2})", 1).replace_strict(
        gb_areas, default=groups.id(["Europe/London"]), return_dtype=pl.Int32
    )
    number = text.cast(pl.Int32, strict=False)
    au_group: pl.Expr = pl.lit(None, dtype=pl.Int32)
    for low, high, name in reversed(_AU_RANGES):
        au_group = pl.when(number.is_between(low, high)).then(pl.lit(groups.id([name]))).otherwise(au_group)
    zip5 = text.str.slice(0, 5)
    us_group = text.str.slice(0, 3).replace_strict(ids(tables.zip3), default=None, return_dtype=pl.Int32)
    us_group = (
        pl.when(zip5.is_in(list(tables.zip5)))
        .then(zip5.replace_strict(ids(tables.zip5), default=None, return_dtype=pl.Int32))
        .otherwise(us_group)
    )
    ca_group = text.str.slice(0, 1).replace_strict(ids(tables.ca), default=None, return_dtype=pl.Int32)
    group = pl.when(gb).then(gb_group).when(ca).then(ca_group).when(us).then(us_group).when(au).then(au_group)
    return group, (text != "") & ~(gb | ca | us | au)


def _report(
    resolved: pl.DataFrame, order: Sequence[str], groups: _Groups, fallback: str | None
) -> ZoneReport:
    import polars as pl

    conflicts = 0
    if "a" in resolved.columns:
        pairs = resolved.group_by("a", "b").len()
        for postcode, phone, count in pairs.iter_rows():
            if postcode is None or phone is None:
                continue
            if not set(groups.zones[postcode]) & set(groups.zones[phone]):
                conflicts += count
    counts = resolved.group_by("group", "provenance").len()
    by_provenance = dict.fromkeys(order, 0)
    found: dict[int, int] = {}
    unresolved = 0
    for group, provenance, count in counts.iter_rows():
        if group is None:
            unresolved += count
            continue
        found[group] = found.get(group, 0) + count
        by_provenance[order[provenance]] += count
    unresolved_rows: tuple[int, ...] = ()
    if unresolved:
        positions = resolved.with_row_index("row").filter(pl.col("group").is_null()).head(3)
        unresolved_rows = tuple(positions.get_column("row").to_list())
        if fallback is not None:
            by_provenance["fallback"] = unresolved
            target = groups.id([fallback])
            found[target] = found.get(target, 0) + unresolved
    present = sorted(
        ((groups.zones[group], count) for group, count in found.items()),
        key=lambda entry: (-entry[1], entry[0]),
    )
    return ZoneReport(
        rows=resolved.height,
        groups=tuple(present),
        by_provenance=by_provenance,
        ambiguous=sum(count for zones, count in present if len(zones) > 1),
        unresolved=unresolved,
        invalid_numbers=int(resolved.get_column("invalid_number").sum()) if resolved.height else 0,
        invalid_zones=int(resolved.get_column("invalid_zone").sum()) if resolved.height else 0,
        invalid_postcodes=int(resolved.get_column("invalid_postcode").sum()) if resolved.height else 0,
        conflicts=conflicts,
        unresolved_rows=unresolved_rows,
    )
