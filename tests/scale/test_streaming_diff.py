"""The columnar, digest-based record diff gives exactly what a straightforward dict diff gives.

The reference below normalises every value with `normalize` (one value at a time), holds both sides in dicts and
compares them. The diff under test reads the source in columns (from rows, or from a plain CSV file through the
columnar scan), normalises in polars, compares 64-bit digests and only then describes the changed rows. Random
data covers the normalisation cases: phones with spaces, dashes and brackets; 0000-00-00 dates; dates with a T,
without seconds or with fractions; surrounding whitespace, tabs and control characters; non-ASCII text; values
that do not normalise to themselves; live values written as their source's normalised form; empty versus missing
fields; outcome codes written as "100" or " 100"; live duplicates, absent and closed records.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import polars as pl
from core.helpers import rows_frame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.diff import records
from reconciler.diff.records import RecordWork, diff_records
from reconciler.errors import Location, Problem
from reconciler.kinds.recordset import DesiredRecordSet
from reconciler.manifest.columns import read_columns
from reconciler.manifest.sources import RawRow, SourceFile, read_rows
from reconciler.model.frames import PackedFrame, packed
from reconciler.model.normalize import normalize, normalized
from reconciler.model.state import LiveBatch, LiveRecord, Policy, SourceRecord

FIELDS = ("VENDOR_URN", "FirstName", "MobilePhone", "callback", "outcomecode")
KEYS = [f"K{i}" for i in range(12)]

_TRICKY = [
    "",
    " ",
    "0000-00-00 00:00:00",
    "0000-00-00",
    "00:00:00",
    "2024-01-02T10:11",
    "2024-01-02 10:11:00",
    "2024-01-02 10:11:12.5",
    "07700 900-123",
    "07700900123",
    "(0161) 496.0000",
    "(\u00a00161 496 0000)",
    "(00:00:00)",
    "+44 7700 900123",
    "100",
    " 100",
    "100 ",
    "José",
    " José ",
    "\tAnn",
    "Ann",
    "\x1cAnn\x1f",
]
values = st.one_of(st.sampled_from(_TRICKY), st.text(alphabet="aB1 -().:T0+é\t", max_size=8))
csv_safe = st.one_of(
    st.sampled_from([item for item in _TRICKY if "\t" not in item and "\x1c" not in item]),
    st.text(alphabet="aB1 -().:T0+é", max_size=8),
)
file_safe = st.one_of(
    st.sampled_from([item for item in _TRICKY if "\x1c" not in item]),
    st.text(alphabet='aB1 -().T0+é",\n\r\\{}Ωß😀', max_size=8),
)
"""Values any source file can carry, quotes, commas, line breaks and non-ASCII included."""
FORMATS = ("plain.csv", "quoted.csv", "quoted.csv.gz", "records.jsonl", "records.jsonl.gz")


@dataclass(frozen=True)
class RowsSource:
    rows: Sequence[Mapping[str, str]]

    def iter_records(self) -> Iterator[SourceRecord]:
        for number, row in enumerate(self.rows, start=2):
            yield SourceRecord(row["VENDOR_URN"], row, Location("records.csv", number, 1))

    def check(self) -> list[Problem]:
        return []

    def frame(self) -> pl.DataFrame:
        return rows_frame(self.rows)

    def digest(self) -> str:
        return "rows"


@dataclass(frozen=True)
class FileSource(RowsSource):
    """The same rows, also written as a source file and read in one columnar pass."""

    file: SourceFile | None = None

    def frame(self) -> pl.DataFrame:
        assert self.file is not None
        frame = read_columns(self.file, FIELDS, text_only=frozenset())
        assert frame is not None  # the columnar pass is the path under test
        return frame


@dataclass(frozen=True)
class PiecesSource(RowsSource):
    """The same rows as a source its check kept packed (rows_frame's columns and LINE), in pieces of `size` rows,
    which the diff's first pass reads one at a time."""

    size: int = 1

    def pieces(self) -> Iterator[pl.DataFrame] | None:
        frame = self.frame()
        if not frame.height:
            return None  # an empty source is never packed
        return PackedFrame(tuple(packed(part) for part in frame.iter_slices(self.size))).frames()


def _record_set(source: RowsSource, absent: str, dedupe: str) -> DesiredRecordSet:
    return DesiredRecordSet(
        "RecordSet/spring",
        Location("manifests/records.yaml", 1, 1),
        dataset_address="Dataset/spring",
        key="VENDOR_URN",
        fields=FIELDS[1:],
        source=source,
        absent=Policy(absent, "510456" if absent == "complete" else None),
        dedupe=Policy(dedupe, "510456" if dedupe == "complete" else None),
    )


def _reference(
    rows: Sequence[Mapping[str, str]], live: Sequence[LiveRecord], absent: str, dedupe: str
) -> dict[str, object]:
    desired = {row["VENDOR_URN"]: normalized(FIELDS, row) for row in rows}
    seen: set[str] = set()
    updates: dict[str, tuple[int, tuple[str, ...]]] = {}
    absent_open: list[int] = []
    duplicates_open: list[int] = []
    for record in live:
        have = normalized(FIELDS, record.values)
        if not record.key or record.key not in desired:
            if not record.closed:
                absent_open.append(record.id)
            continue
        if record.key in seen:
            if not record.closed:
                duplicates_open.append(record.id)
            continue
        seen.add(record.key)
        want = desired[record.key]
        differing = tuple(name for name, old, new in zip(FIELDS, have, want, strict=True) if old != new)
        if differing:
            updates[record.key] = (record.id, differing)
    field_counts: Counter[str] = Counter()
    for _, differing in updates.values():
        field_counts.update(differing)
    return {
        "create": frozenset(key for key in desired if key not in seen),
        "updates": dict(sorted(updates.items())),
        "field_counts": dict(field_counts),
        "complete": tuple(absent_open) if absent == "complete" else (),
        "dedupe": tuple(duplicates_open) if dedupe == "complete" else (),
    }


def _ours(
    source: RowsSource, live: Sequence[LiveRecord], absent: str, dedupe: str, *, batched: bool
) -> dict[str, object]:
    feed: list[LiveRecord] | list[LiveBatch] = (
        [LiveBatch.of(live[i : i + 3], FIELDS) for i in range(0, len(live), 3)] if batched else list(live)
    )
    result = diff_records(_record_set(source, absent, dedupe), FIELDS, feed, dataset_id=7)
    work = result.change.work if result.change is not None else RecordWork("Dataset/spring", 7)
    assert isinstance(work, RecordWork)
    return {
        "create": work.create_keys,
        "updates": dict(work.updates),
        "field_counts": dict(result.change.field_counts) if result.change is not None else {},
        "complete": work.complete_ids,
        "dedupe": work.dedupe_ids,
    }


def _rows(draw: st.DrawFn, text: st.SearchStrategy[str]) -> list[dict[str, str]]:
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=10))
    rows = []
    for key in keys:
        row = {"VENDOR_URN": key}
        for name in FIELDS[1:]:
            if draw(st.booleans()) or text is csv_safe:  # a CSV row has every column
                row[name] = draw(text)
        rows.append(row)
    return rows


def _live(draw: st.DrawFn, rows: list[dict[str, str]], text: st.SearchStrategy[str]) -> list[LiveRecord]:
    live = []
    for number, key in enumerate(draw(st.lists(st.sampled_from([*KEYS, ""]), max_size=14)), start=1):
        base = next((row for row in rows if row["VENDOR_URN"] == key), {"VENDOR_URN": key})
        values = {name: _live_value(draw, name, base.get(name, ""), text) for name in FIELDS[1:]}
        values["VENDOR_URN"] = key
        process = draw(st.sampled_from(["New Prospect", "HOLD: New Prospect", "COMPLETE", "EXPIRED", ""]))
        live.append(LiveRecord(number, key, values, process, values.get("outcomecode", "")))
    return live


def _live_value(draw: st.DrawFn, name: str, source: str, text: st.SearchStrategy[str]) -> str:
    """The source's value as written, as normalised (what the diff may take unnormalised: it must still find a
    source value that does not normalise to itself, like "(\u00a00161 496 0000)" in a phone), or another."""
    choice = draw(st.integers(0, 2))
    return source if choice == 0 else normalize(name, source) if choice == 1 else draw(text)


@st.composite
def cases(draw: st.DrawFn, text: st.SearchStrategy[str] = values) -> tuple[object, ...]:
    rows = _rows(draw, text)
    live = _live(draw, rows, text)
    absent = draw(st.sampled_from(["ignore", "complete"]))
    dedupe = draw(st.sampled_from(["report", "complete"]))
    return rows, live, absent, dedupe


@settings(max_examples=150, deadline=None)
@given(
    cases(),
    st.booleans(),
    st.sampled_from([records.CHUNK_ROWS, 1, 3]),
    st.sampled_from([records.KEEP_BYTES, 0]),
    st.sampled_from([None, 1, 2, 5]),
)
def test_streaming_diff_equals_reference_diff(
    case: tuple[object, ...], batched: bool, chunk_rows: int, keep_bytes: int, pieces: int | None
) -> None:
    """With one chunk of pass 1, or several; the source's columns kept for pass 3, or (KEEP_BYTES 0) each chunk's
    normalised values packed on a thread while the next is normalised; the source whole, or packed in pieces of
    other sizes than the chunks: the changed rows must still be taken from their own chunk."""
    rows, live, absent, dedupe = case
    assert isinstance(rows, list) and isinstance(live, list)
    assert isinstance(absent, str) and isinstance(dedupe, str)
    expected = _reference(rows, live, absent, dedupe)
    source = RowsSource(rows) if pieces is None else PiecesSource(rows, size=pieces)
    with (
        mock.patch.object(records, "CHUNK_ROWS", chunk_rows),
        mock.patch.object(records, "KEEP_BYTES", keep_bytes),
    ):
        assert _ours(source, live, absent, dedupe, batched=batched) == expected


def _write(folder: Path, name: str, rows: list[dict[str, str]], ascii_only: bool) -> SourceFile:
    """`rows` written as `name` says: a CSV with quotes only where needed or everywhere, or JSON Lines."""
    text = io.StringIO()
    if name.startswith("plain"):
        text.write("\n".join([",".join(FIELDS)] + [",".join(row[name] for name in FIELDS) for row in rows]))
        text.write("\n")
    elif name.startswith("quoted"):
        writer = csv.writer(text, quoting=csv.QUOTE_ALL if ascii_only else csv.QUOTE_MINIMAL)
        writer.writerows([FIELDS, *([row[name] for name in FIELDS] for row in rows)])
    else:
        text.writelines(json.dumps(row, ensure_ascii=ascii_only) + "\n" for row in rows)
    data = text.getvalue().encode()
    compressed = name.endswith(".gz")
    path = folder / name
    path.write_bytes(gzip.compress(data) if compressed else data)
    return SourceFile(path, name, "csv" if ".csv" in name else "jsonl", compressed)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases(file_safe), st.sampled_from(FORMATS), st.booleans())
def test_every_source_format_read_in_columns_equals_reference_diff(
    tmp_path: Path, case: tuple[object, ...], name: str, ascii_only: bool
) -> None:
    """Plain, quoted and gzipped CSV and (gzipped) JSON Lines, read in one columnar pass, give exactly the values
    the row reader gives and the reference diff's result."""
    rows, live, absent, dedupe = case
    assert isinstance(rows, list) and isinstance(live, list)
    assert isinstance(absent, str) and isinstance(dedupe, str)
    if name.startswith("plain"):  # a plain CSV has no quote, comma or line break in a value
        rows = [{key: re.sub('[",\n\r]', "", value) for key, value in row.items()} for row in rows]
    if "csv" in name:  # a CSV row has every column
        rows = [{key: row.get(key, "") for key in FIELDS} for row in rows]
    file = _write(tmp_path, name, rows, ascii_only)
    source = FileSource(rows, file)
    read = [
        tuple(
            cell if isinstance(cell, str) else cell.text
            for cell in (item.cells.get(key, "") for key in FIELDS)
        )
        for item in read_rows(file, FIELDS)
        if isinstance(item, RawRow)
    ]
    assert source.frame().select(FIELDS).rows() == read
    assert _ours(source, live, absent, dedupe, batched=True) == _reference(rows, live, absent, dedupe)


def _digest(rows: list[dict[str, str]], live: Sequence[LiveRecord], cut: int) -> str:
    feed = [LiveBatch.of(live[i : i + cut], FIELDS) for i in range(0, len(live), cut)]
    record_set = _record_set(RowsSource(rows), "ignore", "report")
    return diff_records(record_set, FIELDS, feed, dataset_id=7).live_digest


def _respelled(record: LiveRecord) -> LiveRecord:
    """The same record as the diff compares it: every managed value padded with spaces."""
    values = {name: value if name == "VENDOR_URN" else f" {value} " for name, value in record.values.items()}
    return dataclasses.replace(record, values=values)


@settings(max_examples=150, deadline=None)
@given(cases(), st.integers(1, 5), st.integers(1, 5), st.data())
def test_live_digest_changes_exactly_when_the_compared_live_state_changes(
    case: tuple[object, ...], cut: int, other_cut: int, data: st.DataObject
) -> None:
    """The plan's live digest commits to every live record's id, key and normalised managed values, in order;
    not to how the body was cut into batches, nor to spellings that normalise the same."""
    rows, live, _, _ = case
    assert isinstance(rows, list) and isinstance(live, list)
    digest = _digest(rows, live, cut)
    assert _digest(rows, [_respelled(record) for record in live], other_cut) == digest
    assert _digest(rows, live[:-1], other_cut) != digest or not live
    if not live:
        return
    at = data.draw(st.integers(0, len(live) - 1))
    record = live[at]
    changes = [
        dataclasses.replace(record, id=record.id + 100),
        dataclasses.replace(record, key=record.key + "x"),
        dataclasses.replace(record, values={**record.values, "FirstName": record.values["FirstName"] + "x"}),
    ]
    for changed in changes:
        assert _digest(rows, [*live[:at], changed, *live[at + 1 :]], other_cut) != digest
    if len(live) > 1 and normalized(FIELDS, live[0].values) != normalized(FIELDS, live[-1].values):
        assert _digest(rows, [live[-1], *live[1:-1], live[0]], cut) != digest
