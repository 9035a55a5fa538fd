"""Rows and members as the reconciler uses them, from inline YAML or a source file, with their checks.

A record row keeps the key and the managed fields only, every value as text (a field a row leaves out is "").
Inline rows are strict: a column that is not managed is an error. Source files may carry extra columns, which
are ignored, so an export can be used as it is.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Protocol, TypeVar

from reconciler.errors import Location, Problem
from reconciler.model.fields import PHONE_FIELDS, PHONE_NOISE, TEXT_ONLY_FIELDS
from reconciler.model.frames import PackedFrame, packed
from reconciler.text import UNSAFE_REMEDY, unsafe

from . import yaml_loader as y
from .columns import LINE, Refused, read_column_pieces, read_columns
from .schedules import Schedule, ScheduleError, parse_schedule
from .sources import Cell, RawRow, SourceFile, read_rows
from .spec import CUSTOMER_ID_PATTERN
from .validation import suggest

if TYPE_CHECKING:
    import polars as pl

CUSTOMER_ID_COLUMN = "customer-id"
SCHEDULE_COLUMN = "schedule"

_TEXT_ONLY = frozenset(name.casefold() for name in TEXT_ONLY_FIELDS)
_PHONES = frozenset(name.casefold() for name in PHONE_FIELDS)
_PHONE_SEPARATORS = re.compile(PHONE_NOISE)
_LINE_BREAK = re.compile("[\t\n\r]")
_PHONE = re.compile(r"\+?[0-9]{5,20}")
_SPACED_PHONE = f"^{PHONE_NOISE}*\\+?{PHONE_NOISE}*(?:[0-9]{PHONE_NOISE}*){{5,20}}$"
"""What `_PHONE` takes once the separators are removed, matched as written: one pass over a column, where removing
the separators first took two and a copy (0.25 s of CPU for two phone columns of 1,000,000 rows; 0.10 s now)."""
_CUSTOMER_ID = re.compile(CUSTOMER_ID_PATTERN)


class RecordColumns(Protocol):
    """What the row checks need of a record set's spec: its key and its managed fields."""

    @property
    def key(self) -> str: ...

    @property
    def fields(self) -> Sequence[str]: ...


class InlineMember(Protocol):
    """A member written inline, as its spec model holds it (the schedule already checked)."""

    @property
    def customer_id(self) -> str: ...

    @property
    def schedule(self) -> str | None: ...

    @property
    def tz(self) -> str | None: ...

    @property
    def phone(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One record: where it was written, and the key and managed fields as text."""

    location: Location
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class SourceMember:
    """One campaign member: where it was written, the CRM customer id as written, its schedule if any; inline,
    its `tz` and `phone` hints too (hints are never sent; a source file's are read in columns where needed)."""

    location: Location
    customer_id: str
    schedule: Schedule | None
    tz: str = ""
    phone: str = ""


def managed_fields(spec: RecordColumns) -> tuple[str, ...]:
    """The key first, then the managed fields in manifest order, each once."""
    names = [spec.key]
    for name in spec.fields:
        if name not in names:
            names.append(name)
    return tuple(names)


def phone_fields(spec: RecordColumns) -> tuple[str, ...]:
    return tuple(name for name in managed_fields(spec) if name.casefold() in _PHONES)


class _RecordRules:
    def __init__(self, spec: RecordColumns) -> None:
        self.key = spec.key
        self.managed = managed_fields(spec)
        self.managed_set = frozenset(self.managed)
        self.phones = phone_fields(spec)
        self.text_only = frozenset(name for name in self.managed if name.casefold() in _TEXT_ONLY)

    def check(
        self, location: Location, cells: Mapping[str, str | Cell], *, inline: bool
    ) -> list[SourceRow | Problem]:
        """The row's problems, followed by the row itself when it has a key (so that duplicate keys are
        found even among rows with other problems; iter_rows stops at the first problem anyway)."""
        problems: list[Problem] = []
        if inline:
            for column, written in cells.items():
                if column not in self.managed_set:
                    guess = suggest(column, self.managed)
                    problems.append(
                        Problem(
                            f'row field "{column}" is not in fields',
                            (written.location if isinstance(written, Cell) else None) or location,
                            remedy=f'did you mean "{guess}"?'
                            if guess
                            else "add it to spec.fields to manage it, or remove it from the row",
                        )
                    )
        values: dict[str, str] = {}
        bad_phone_text: set[str] = set()
        for name, written in cells.items():
            text = written if isinstance(written, str) else written.text
            found = unsafe(text)
            if name in self.managed_set and found and not inline:  # YAML strings are checked when loaded
                where = (written.location if isinstance(written, Cell) else None) or location
                problems.append(
                    Problem(
                        f"{name} holds a control or bidirectional character ({', '.join(found)})",
                        where,
                        remedy=UNSAFE_REMEDY,
                    )
                )
        for name in self.managed:
            cell = cells.get(name)
            if cell is None:
                values[name] = ""
                continue
            if isinstance(cell, str):
                values[name] = cell
                continue
            where = cell.location or location
            if cell.nested:
                problems.append(
                    Problem(f"{name} must be text, not {cell.nested}", where, remedy="write a single value")
                )
                values[name] = ""
                bad_phone_text.add(name)
                continue
            if cell.number and name in self.text_only:
                bad_phone_text.add(name)
                if inline:
                    problems.append(
                        Problem(
                            f"{name} is an unquoted number",
                            where,
                            remedy="quote the value so a leading 0 or + is kept as written",
                        )
                    )
                else:
                    problems.append(
                        Problem(
                            f"{name} is a JSON number",
                            where,
                            remedy="write it as a JSON string so a leading 0 or + is kept as written",
                        )
                    )
            values[name] = cell.text
        if values[self.key].strip() == "" and values[self.key] != "":
            problems.append(
                Problem(
                    f"{self.key} is blank",
                    location,
                    remedy=f"give every row a value for the key {self.key}: spaces alone identify no record",
                )
            )
        elif _LINE_BREAK.search(values[self.key]):
            problems.append(
                Problem(
                    f"{self.key} holds a tab or a line break",
                    location,
                    remedy=f"write the key {self.key} on one line",
                )
            )
        if values[self.key] == "":
            problems.append(
                Problem(
                    f"row has no {self.key}",
                    location,
                    remedy=f"every row needs a value for the key {self.key}, unique in this source",
                )
            )
        if self.phones:
            if all(values[name] == "" for name in self.phones):
                problems.append(
                    Problem(
                        "row has no phone number",
                        location,
                        remedy=f"fill {_one_of(self.phones)}",
                    )
                )
            for name in self.phones:
                text = values[name]
                if (
                    text
                    and name not in bad_phone_text
                    and _PHONE.fullmatch(_PHONE_SEPARATORS.sub("", text)) is None
                ):
                    phone = cells.get(name)
                    problems.append(
                        Problem(
                            f"{name} is not a phone number",
                            (phone.location if isinstance(phone, Cell) else None) or location,
                            remedy="use 5 to 20 digits, with spaces, dashes, dots or brackets and a leading + if needed",
                        )
                    )
        result: list[SourceRow | Problem] = list(problems)
        if values[self.key].strip() != "":
            result.append(SourceRow(location, values))
        return result


def _one_of(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    return "at least one of " + ", ".join(names[:-1]) + " or " + names[-1]


def inline_cells(row: y.Mapping) -> dict[str, str | Cell]:
    cells: dict[str, str | Cell] = {}
    for key, value in row.entries:
        if isinstance(value, y.Scalar):
            cells[key.text] = Cell(
                value.value or "", number=y.looks_like_number(value), location=value.location
            )
        else:
            cells[key.text] = Cell("", nested=y.describe(value), location=value.location)
    return cells


def scan_records(
    spec: RecordColumns, rows_node: y.Node | None, source: SourceFile | None
) -> Iterator[SourceRow | Problem]:
    """Every row, or a Problem for each row (or file) that cannot be used. Problems carry no address."""
    rules = _RecordRules(spec)
    if source is None:
        if not isinstance(rows_node, y.Sequence):
            return
        for row in rows_node.items:
            if isinstance(row, y.Mapping):
                yield from rules.check(row.location, inline_cells(row), inline=True)
        return
    for item in read_rows(source, rules.managed):
        if isinstance(item, Problem):
            yield item
            continue
        yield from rules.check(item.location, item.cells, inline=False)


def scan_members(
    inline: Sequence[InlineMember] | None, members_node: y.Node | None, source: SourceFile | None
) -> Iterator[SourceMember | Problem]:
    """Every member, or a Problem for each member (or file) that cannot be used. Problems carry no address."""
    if source is None:
        if inline is None or not isinstance(members_node, y.Sequence):
            return
        for member, node in zip(inline, members_node.items, strict=False):
            schedule = parse_schedule(member.schedule) if member.schedule else None
            yield SourceMember(
                node.location, member.customer_id, schedule, member.tz or "", member.phone or ""
            )
        return
    for item in read_rows(source, (CUSTOMER_ID_COLUMN,)):
        if isinstance(item, Problem):
            yield item
        else:
            yield _member(item)


def _member(row: RawRow) -> SourceMember | Problem:
    cell = _as_cell(row.cells.get(CUSTOMER_ID_COLUMN))
    if cell is None or cell.nested or cell.text == "":
        return Problem(
            "member has no customer-id",
            row.location,
            remedy="give the CRM customer id (digits) on every line",
        )
    if _CUSTOMER_ID.fullmatch(cell.text) is None:
        return Problem(
            "customer-id is not a CRM customer id",
            row.location,
            remedy="use the customer's id in the CRM: digits only",
        )
    schedule_cell = _as_cell(row.cells.get(SCHEDULE_COLUMN))
    schedule: Schedule | None = None
    if schedule_cell is not None and schedule_cell.nested:
        return Problem("schedule must be text", row.location, remedy='write e.g. "+2d 09:00+00:00"')
    if schedule_cell is not None and schedule_cell.text:
        try:
            schedule = parse_schedule(schedule_cell.text)
        except ScheduleError as exc:
            return Problem(exc.reason, row.location, remedy=exc.remedy)
    return SourceMember(row.location, cell.text, schedule)


def _as_cell(value: str | Cell | None) -> Cell | None:
    return Cell(value) if isinstance(value, str) else value


# ------------------------------------------------------------------------------------------- columnar
# A source file is read in one columnar pass (columns.read_columns) and checked a column at a time. A source that
# passes is one the row checks would pass without a problem; for any other source these return None, and the row
# checks run to name each problem with its line.


CHECK_ROWS = 250_000
"""Rows of a source's frame checked at a time."""


def _has_duplicates(keys: pl.Series) -> bool:
    """Whether a key is written twice: equal 64-bit hashes found by sorting them (a sixth of the memory of a hash
    table of the keys), and only when two are equal the keys themselves compared."""
    hashes = keys.hash(0x4B1D).sort()
    if len(hashes) < 2 or not (hashes.slice(1) == hashes.slice(0, len(hashes) - 1)).any():
        return False
    return bool(keys.is_duplicated().any())


def checked_record_frame(spec: RecordColumns, source: SourceFile) -> pl.DataFrame | None:
    """The managed columns (and LINE) of a source file in which every row is usable and every key unique, read
    in one pass; else None."""
    checked = checked_record_columns(spec, source)
    assert not isinstance(checked, PackedFrame)  # never packed without pack_bytes
    return checked


def checked_record_columns(
    spec: RecordColumns, source: SourceFile, *, pack_bytes: int | None = None
) -> pl.DataFrame | PackedFrame | None:
    """As `checked_record_frame`, each piece of the file checked as it is read; once the pieces read take more
    than `pack_bytes` (polars' estimate), they and every later piece are held packed, so that a source of millions
    of rows is never held whole in polars' memory (None: never packed). 5,000,000 rows of 12 fields took 44 MiB
    packed, against 1,240 MiB held whole."""
    import polars as pl

    rules = _RecordRules(spec)
    checks = _record_checks(rules)
    keys: list[pl.Series] = []
    kept: list[pl.DataFrame] = []
    packs: list[bytes] = []
    size = 0

    def each(piece: pl.DataFrame) -> None:
        nonlocal size
        # A slice at a time: polars gathers the chunks of the columns an expression reads into one first. Each
        # check is its own column, so that polars runs them side by side (under one any_horizontal it ran them
        # one after another).
        for part in piece.iter_slices(CHECK_ROWS):
            found = part.select(check.alias(f"check{number}") for number, check in enumerate(checks))
            if found.height and any(found.row(0)):
                raise Refused
        keys.append(piece.get_column(rules.key))
        size += int(piece.estimated_size())
        if pack_bytes is not None and (packs or size > pack_bytes):
            packs.extend(map(packed, kept))
            kept.clear()
            packs.append(packed(piece))
        else:
            kept.append(piece)

    if (
        read_column_pieces(source, rules.managed, text_only=rules.text_only, each=each, safe_text=True)
        is None
    ):
        return None
    if keys and _has_duplicates(pl.concat(keys, rechunk=False)):
        return None
    keys.clear()  # the pieces, kept or packed, hold the keys; these were for the check only
    if packs:
        return PackedFrame(tuple(packs))
    if not kept:
        return pl.DataFrame(schema={**dict.fromkeys(rules.managed, pl.String), LINE: pl.UInt32})
    return pl.concat(kept, how="vertical")


def _record_checks(rules: _RecordRules) -> list[pl.Expr]:
    """One expression per check of a record source's columns, each true when some row fails it."""
    import polars as pl

    key = pl.col(rules.key)
    checks = [(key.str.strip_chars() == "").any(), key.str.contains("[\t\n\r]").any()]
    if rules.phones:
        checks.append(pl.all_horizontal(pl.col(name) == "" for name in rules.phones).any())
        for name in rules.phones:
            checks.append(((pl.col(name) != "") & ~pl.col(name).str.contains(_SPACED_PHONE)).any())
    return checks


def rows_frame(rows: Iterable[SourceRow], columns: tuple[str, ...]) -> pl.DataFrame:
    """Rows already read (inline, or by the row reader) as the columns `checked_record_frame` gives."""
    import polars as pl

    schema = {**dict.fromkeys(columns, pl.String), LINE: pl.UInt32}
    parts = [pl.DataFrame(schema=schema)]
    iterator = iter(rows)
    while chunk := list(islice(iterator, _ROWS_PER_PART)):
        data: dict[str, list[str] | list[int]] = {
            name: [row.values.get(name, "") for row in chunk] for name in columns
        }
        data[LINE] = [row.location.line or 0 for row in chunk]
        parts.append(pl.DataFrame(data, schema=schema))
    return pl.concat(parts)


_ROWS_PER_PART = 100_000


def checked_member_frame(source: SourceFile) -> pl.DataFrame | None:
    """customer-id, schedule ("" when not written) and LINE of a source file in which every member is usable
    and every customer id unique, read in one pass; else None. Schedules are parsed (each distinct one once) by
    parse_schedule."""
    import polars as pl

    frame = read_columns(source, (CUSTOMER_ID_COLUMN,), (SCHEDULE_COLUMN,), text_only=frozenset())
    if frame is None:
        return None
    customer = pl.col(CUSTOMER_ID_COLUMN)
    checks = [(~customer.str.contains(CUSTOMER_ID_PATTERN)).any(), customer.is_duplicated().any()]
    found = frame.select(pl.any_horizontal(checks).alias("bad"))
    if found.height and found.item():
        return None
    for text in frame.get_column(SCHEDULE_COLUMN).unique().to_list():
        if not text:
            continue
        try:
            parse_schedule(text)
        except ScheduleError:
            return None
    return frame


F = TypeVar("F", bound="pl.DataFrame | None")


class CheckedOnce:
    """A source file's columns, read once for its check and kept for every reader of the plan (the diff's first
    pass, suppression screening and calling-hours zones), so that they share one pass, then let go of before the
    diff's second pass. When the check could not read the file in columns, no reader tries again: the frame is built
    once from the rows. A large source's columns are kept packed (`checked_record_columns`): the diff's first pass
    reads them a piece at a time (`pieces`), and a reader that takes the frame gets it unpacked whole."""

    def __init__(self) -> None:
        self._frame: pl.DataFrame | PackedFrame | None = None
        self._columnar = True
        self._lock = threading.Lock()

    def check(
        self, read: Callable[[], pl.DataFrame | PackedFrame | None], problems: Callable[[], list[Problem]]
    ) -> list[Problem]:
        """[] when `read` gives the checked columns (kept for `take`, packed or not); else `problems()`, from the
        rows."""
        frame = read()
        if frame is not None:
            self._frame = frame
            return []
        self._columnar = False
        return problems()

    def release(self) -> None:
        """Let go of the kept frame once every reader of the plan has taken its columns: the diff's second pass
        needs only digests, and at millions of rows the frame is most of a plan's memory. A later taker (apply's
        creates) reads the source again, in columns."""
        with self._lock:
            self._frame = None

    def take(self, read: Callable[[], pl.DataFrame | None], rows: Callable[[], F]) -> pl.DataFrame | F:
        """The columns the check read (unpacked whole, when it kept them packed); else `read()`, unless the check
        found it cannot be read in columns; else `rows()`, built from the row reader (None: there is no frame to
        build). What is read is kept for the next taker, until `release`: the plan's readers share one pass over
        the file. Takers may run on threads."""
        with self._lock:
            if self._frame is None and self._columnar:
                self._frame = read()
            if self._frame is None:
                built = rows()
                if built is None:
                    return built
                self._frame = built
            return self._frame.frame() if isinstance(self._frame, PackedFrame) else self._frame

    def pieces(self) -> Iterator[pl.DataFrame] | None:
        """The kept columns a piece at a time when the check kept them packed (each unpacked as it is read), else
        None: `take` gives them."""
        with self._lock:
            return self._frame.frames() if isinstance(self._frame, PackedFrame) else None
