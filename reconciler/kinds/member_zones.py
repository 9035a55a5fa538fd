"""Each Contact Center member's time zone, resolved per member from hints in the membership's own source.

The CC API gives a member no phone, so a membership's source (a file, or inline members) may carry two hint
columns that are never sent: `tz` (an IANA zone) and `phone`. Under a CallingPolicy (or for a `local` schedule) a
member's zone is resolved in columns by the same machinery a RecordSet's records use
(reconciler/model/calling/zones.py), in the policy's `zones.precedence` (its `zone` source reads `tz`, its `phone`
source reads `phone`; postcodes are not hinted) and with its `region` for national numbers; the policy's column
names are for record sets and play no part here. A member nothing resolves takes the membership's declared `zone`,
else follows the policy's `unresolved`: refuse (one problem, counting them and naming their first lines), exclude
(never added; a live one counts as absent), or the policy's fallback zone and window.

A phone may map to several zones (an Australian mobile): an absolute schedule must then be allowed in every one,
and a `local` schedule, which needs one zone to be read in, is a problem.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..errors import Location, Problem
from ..manifest.columns import read_columns
from ..manifest.rows import CUSTOMER_ID_COLUMN, SCHEDULE_COLUMN
from ..manifest.schedules import LOCAL
from ..manifest.sources import SourceFile, read_rows
from ..model.calling.holidays import CallingHours
from ..model.calling.zones import ZoneColumns, ZoneReport, resolve_each
from ..plan.changes import Observation
from ..text import shown
from .calling_policy import DesiredCallingPolicy
from .suppress_members import PHONE_HINT

if TYPE_CHECKING:
    import polars as pl

TZ_HINT = "tz"
HINTS = (TZ_HINT, PHONE_HINT)
"""The member hint columns: read from the membership's source, never sent to the Contact Center."""
MAX_MEMBER_PROBLEMS = 20
_SOURCES = {"zone": TZ_HINT, "phone": PHONE_HINT}
"""The policy's precedence names the member hints answer to."""


@dataclass(frozen=True)
class MemberZones:
    """One membership's members' zones, as one plan resolved them."""

    policy: DesiredCallingPolicy | None
    report: ZoneReport
    """Counts by provenance (tz, phone, the declared zone or the policy's fallback), with no personal value."""
    scheduled: Mapping[str, tuple[str, ...]]
    """The zones of each scheduled member, by customer id (() when nothing resolves it)."""
    local: Mapping[str, str]
    """The one zone of each member with a `local` schedule that has one, by customer id."""
    hours: Mapping[str, CallingHours]
    """The hours the policy allows in each zone present (the fallback's window in the fallback zone)."""
    excluded: frozenset[str]
    """Members nothing resolves, left out under `unresolved: exclude`."""
    problems: tuple[Problem, ...]
    note: str = ""
    """What the summary adds (members excluded)."""

    def observation(self, address: str) -> Observation:
        """The zone report line of the plan, as a RecordSet's."""
        summary = self.report.summary("members") + self.note
        where = "member zones" if self.policy is None else f"calling hours ({self.policy.address})"
        return Observation(address, "info", f"{where}: {summary}")

    def zone_hours(self) -> tuple[tuple[str, CallingHours], ...]:
        """Each zone present with the hours allowed there, by zone name."""
        return tuple(sorted(self.hours.items()))


def needs_zones(policy: DesiredCallingPolicy | None, source: Any) -> bool:
    """Whether a membership's members need their zones: it keeps to a policy, or some schedule is `local`."""
    if policy is not None:
        return True
    frame = source.frame()
    if frame is not None:
        return bool(frame.get_column(SCHEDULE_COLUMN).str.ends_with(LOCAL).any())
    return any(
        getattr(member.schedule, "local", False) for member in source.iter_members()
    )  # inline, or a file read row by row: a schedule object says


def member_zones(
    address: str,
    policy: DesiredCallingPolicy | None,
    declared: str | None,
    hints: MemberHints,
) -> MemberZones:
    """Resolve every member's zone (see the module), with the problems that refuse the plan."""
    import polars as pl

    frame = hints.frame
    precedence = () if policy is None else policy.columns.precedence
    order = tuple(name for name in (precedence or ("zone", "phone")) if name in _SOURCES)
    region = None if policy is None else policy.columns.region
    columns = ZoneColumns(order, TZ_HINT, None, (PHONE_HINT,), region)
    policy_fallback = None if policy is None or policy.fallback is None else policy.fallback[0]
    fallback = declared or policy_fallback
    rows = resolve_each(frame, columns, fallback)
    report = _renamed(rows.report, declared)
    problems: list[Problem] = []
    problems += _invalid_tz(address, frame, rows.invalid_zone, hints.location)
    unresolved = rows.group.is_null()
    excluded: frozenset[str] = frozenset()
    note = ""
    if fallback is None and bool(unresolved.any()):
        lines = [hints.location(int(row)) for row in unresolved.arg_true().head(3).to_list()]
        count = int(unresolved.sum())
        if policy is not None and policy.exclude:
            excluded = frozenset(frame.filter(unresolved).get_column(CUSTOMER_ID_COLUMN).to_list())
            note = f"; {count:,} excluded (no zone resolves them; unresolved: exclude)"
        elif policy is not None:
            named = ", ".join(str(where.line) for where in lines)
            more = ", ..." if count > len(lines) else ""
            problems.append(
                Problem(
                    f"{count:,} members have no time zone: nothing in {', '.join(_SOURCES[n] for n in order)} "
                    f"resolves them and no zone is declared (lines {named}{more})",
                    lines[0],
                    address,
                    f"give them a tz or phone hint, declare spec.zone for the members without one, or declare "
                    f"`unresolved: fallback` with a fallback window in {policy.address}",
                )
            )
    scheduled: dict[str, tuple[str, ...]] = {}
    local: dict[str, str] = {}
    found: list[Problem] = []
    without = 0
    given = frame.select(
        pl.int_range(pl.len()).alias("row"), CUSTOMER_ID_COLUMN, SCHEDULE_COLUMN, rows.group.alias("group")
    ).filter(pl.col(SCHEDULE_COLUMN) != "")
    for row, customer, text, group in given.iter_rows():
        zones = rows.zones[group] if group is not None else (fallback,) if fallback is not None else ()
        scheduled[customer] = zones
        if not text.endswith(LOCAL) or customer in excluded:
            continue
        if len(zones) == 1:
            local[customer] = zones[0]
            continue
        without += 1
        if len(found) < MAX_MEMBER_PROBLEMS:
            found.append(_local_problem(address, customer, text, zones, hints.location(row)))
    problems += _capped(found, address, "members whose local schedule has no one zone", total=without)
    return MemberZones(
        policy, report, scheduled, local, _hours(report, policy), excluded, tuple(problems), note
    )


@dataclass(frozen=True)
class MemberHints:
    """customer-id, schedule, tz and phone of every member (text, "" when not written), in source order, and the
    location of each (by its position)."""

    frame: pl.DataFrame
    location: Callable[[int], Location]


def read_hints(source: SourceFile | None, inline: Any, items: Any, where: Location) -> MemberHints:
    """The hints of a source file (read in columns, else row by row), or of inline members (`inline`: their
    specs, `items`: their YAML nodes, for locations; `where`: the document's, should a node be missing)."""
    import polars as pl

    names = (CUSTOMER_ID_COLUMN, SCHEDULE_COLUMN, *HINTS)
    schema = dict.fromkeys(names, pl.String)
    if source is None:
        specs = list(inline or ())
        data = {
            CUSTOMER_ID_COLUMN: [spec.customer_id for spec in specs],
            SCHEDULE_COLUMN: [spec.schedule or "" for spec in specs],
            TZ_HINT: [spec.tz or "" for spec in specs],
            PHONE_HINT: [spec.phone or "" for spec in specs],
        }
        nodes = list(items or ())
        return MemberHints(
            pl.DataFrame(data, schema=schema),
            lambda row: nodes[row].location if row < len(nodes) else where,
        )
    frame = read_columns(source, (CUSTOMER_ID_COLUMN,), (SCHEDULE_COLUMN, *HINTS), text_only=frozenset(HINTS))
    if frame is not None:
        lines = frame.get_column(frame.columns[-1])
        return MemberHints(frame.select(names), lambda row: Location(source.display, int(lines[row]), 1))
    cells: dict[str, list[str]] = {name: [] for name in names}
    places: list[Location] = []
    for item in read_rows(source, (CUSTOMER_ID_COLUMN,)):
        if isinstance(item, Problem):
            continue  # the source's own check names it, and nothing is planned
        places.append(item.location)
        for name in names:
            cells[name].append(_text(item.cells.get(name)))
    return MemberHints(pl.DataFrame(cells, schema=schema), places.__getitem__)


def _text(cell: object) -> str:
    if cell is None:
        return ""
    return cell if isinstance(cell, str) else str(getattr(cell, "text", ""))


def _renamed(report: ZoneReport, declared: str | None) -> ZoneReport:
    """The report in the members' words: by tz, by phone, by the declared zone (members without a hint are not
    unresolved then) or by the policy's fallback."""
    words = {"zone": TZ_HINT, "phone": PHONE_HINT, "fallback": "declared zone" if declared else "fallback"}
    counts = {words[name]: count for name, count in report.by_provenance.items()}
    if declared is None:
        return replace(report, by_provenance=counts)
    return replace(report, by_provenance=counts, unresolved=0, unresolved_rows=())


def _invalid_tz(
    address: str, frame: pl.DataFrame, invalid: pl.Series, location: Callable[[int], Location]
) -> list[Problem]:
    found = [
        Problem(
            f'member {frame[CUSTOMER_ID_COLUMN][row]}: tz "{shown(frame[TZ_HINT][row])}" is not an IANA time zone',
            location(row),
            address,
            "write a zone such as Europe/London or America/New_York, or leave tz empty",
        )
        for row in invalid.arg_true().head(MAX_MEMBER_PROBLEMS + 1).to_list()
    ]
    return _capped(found, address, "members whose tz is not an IANA time zone", total=int(invalid.sum()))


def _local_problem(
    address: str, customer: str, text: str, zones: tuple[str, ...], where: Location
) -> Problem:
    if not zones:
        return Problem(
            f'member {customer} has a local schedule ("{text}") but no time zone: its tz and phone hints resolve '
            "none, and no zone is declared",
            where,
            address,
            "give it a tz or phone hint, or declare spec.zone",
        )
    return Problem(
        f'member {customer} has a local schedule ("{text}") but its phone hint may be in any of {len(zones)} '
        f"zones ({', '.join(zones[:3])}{', ...' if len(zones) > 3 else ''}), and a local time needs one",
        where,
        address,
        "give it a tz hint, or write its schedule with an offset",
    )


def _capped(found: list[Problem], address: str, what: str, total: int | None = None) -> list[Problem]:
    count = len(found) if total is None else total
    if count <= MAX_MEMBER_PROBLEMS:
        return found
    kept = found[:MAX_MEMBER_PROBLEMS]
    return [*kept, Problem(f"and {count - len(kept)} more {what}", None, address)]


def _hours(report: ZoneReport, policy: DesiredCallingPolicy | None) -> dict[str, CallingHours]:
    if policy is None:
        return {}
    found = {}
    for zone in report.zones():
        hours = policy.hours
        if policy.fallback is not None and zone == policy.fallback[0]:
            hours = policy.fallback[1]
        found[zone] = hours
    return found
