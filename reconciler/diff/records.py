"""The record-set diff: streams the source and the live rows, holding one compact digest per desired row.

Pass 1 takes the source's columns (read in one columnar pass that the source check shared, whatever the file's
format; see manifest/columns.py) into an index of its keys (`KeyIndex`, diff/keys.py) and an array of 64-bit
digests of the normalised managed values (`SourceTable`), normalised and digested in columns with polars. Pass 2
streams the live records once, a page (`LiveBatch`) at a time, and sorts each page's records in columns:
unchanged, changed, absent from the source, or a duplicate (a bitmap says which source rows a live record has
already claimed). A live record is normalised only when its values as read do not digest to its source row's
(most live records hold what an earlier apply sent, already normalised). The few changed rows are then taken from
pass 1's compressed chunks, to say which fields differ. Nothing holds a dict per row.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from ..model.fields import is_personal
from ..model.frames import packed, unpacked
from ..model.normalize import normalized_frame, row_digests
from ..model.state import LiveBatch, LiveRecord, Policy, RecordSource
from ..plan.changes import Action, Change, FieldChange, Observation, Phase, RowSample, Work
from .keys import KeyIndex

if TYPE_CHECKING:
    import polars as pl

SAMPLE_SIZE = 5
PERSONAL_KEY = "(sensitive key)"
"""How a sampled row is named when the record set's key is itself a personal field (a phone, an email)."""
CHUNK_ROWS = 100_000
"""Rows normalised and digested at a time (source side): each chunk's normalised copy is what pass 1 adds to the
source's columns at its peak."""
KEEP_BYTES = 192 * 1024 * 1024
"""A source whose managed columns take less memory than this (polars' estimate, which is about 100 MiB for the
benchmark's 1,000,000 rows, held in about 250 MB) keeps them through the diff, and pass 3 normalises the changed
rows again from them. A larger one has each chunk's normalised values packed in pass 1 (SourceTable.packed), so
that its columns can be let go of before pass 2, whose own working set grows with the rows too (the key index):
kept, they would raise the peak of a plan of millions. Packing and unpacking took about 0.9 s of CPU per 1,000,000
rows; at 1,000,000 rows keeping the columns left the peak where pass 1 puts it (566 against 567 MB)."""
_CLOSED = frozenset({"COMPLETE", "EXPIRED"})


class RecordSetInput(Protocol):
    """What the diff reads of a record set's desired state (the RecordSet kind's DesiredRecordSet)."""

    @property
    def address(self) -> str: ...

    @property
    def dataset_address(self) -> str: ...

    @property
    def key(self) -> str: ...

    @property
    def source(self) -> RecordSource: ...

    @property
    def absent(self) -> Policy: ...

    @property
    def dedupe(self) -> Policy: ...


@dataclass(frozen=True)
class RecordWork(Work):
    """What apply does to a record set. Payloads are not held: apply streams them from the source."""

    dataset_address: str
    dataset_id: int | None = None
    """The live dataset's id; None when apply creates the dataset first."""
    create_keys: frozenset[str] = frozenset()
    updates: Mapping[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    """key -> (live record id, the managed fields that differ)."""
    complete_ids: tuple[int, ...] = ()
    complete_outcome: str | None = None
    dedupe_ids: tuple[int, ...] = ()
    dedupe_outcome: str | None = None
    suppress_ids: tuple[int, ...] = ()
    """Live records a suppression list matches, completed with `suppress_outcome` (the guard counts them)."""
    erase_ids: tuple[int, ...] = ()
    """Those an erasure list matches: completed with `suppress_outcome`, beyond every guard."""
    suppress_outcome: str | None = None


@dataclass(frozen=True)
class RecordDiff:
    change: Change | None
    observations: tuple[Observation, ...]
    live_digest: str
    live_rows: int
    """Live records of the dataset (duplicates and closed ones included): the guard's base."""
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass
class SourceTable:
    """Pass 1 of a record set's source: each key's row index, a digest per row, the longest value per field,
    and the normalised values of every row, compressed, for the few rows that differ."""

    digests: pl.Series
    """UInt64, one per row."""
    stable: pl.Series
    """Boolean, one per row: whether the row's normalised values normalise to themselves (nearly every row does).
    A live record whose values as read digest to a stable row's digest is then that row unchanged, without being
    normalised itself."""
    keys: pl.Series
    """The key of each row, as written."""
    longest: dict[str, int]
    """Field -> length in characters of its longest raw value."""
    normalized_rows: Callable[[pl.Series], pl.DataFrame]
    """The normalised values of the rows at these positions (UInt32, ascending, each once), in that order: a
    column per field (c0, c1, ...), in the table's field order."""
    starts: list[int] = field(default_factory=list)
    """The row each chunk of pass 1 starts at (its packed values are `packed` at the same index)."""
    packed: list[bytes] = field(default_factory=list)
    """The normalised values of each chunk of pass 1 (at most CHUNK_ROWS rows), as zstd-compressed Arrow IPC: what
    pass 3 takes the changed rows from once the source's columns are let go of (a tenth of their memory, or less).
    Empty when the table keeps the columns themselves (KEEP_BYTES)."""
    _index: KeyIndex | None = field(default=None, repr=False)

    def index(self) -> KeyIndex:
        """The source row of each key, built when first asked: by the second pass, once the source's columns are
        let go of (the key column is all it keeps)."""
        if self._index is None:
            # The key of the index is the key as written, as the row reader gives it.
            self._index = KeyIndex(self.keys)
        return self._index


def source_table(desired: RecordSetInput, fields: Sequence[str]) -> SourceTable:
    """Pass 1: the source's columns, read once (for the source check too, when it ran). `fields` are the managed
    fields (key first) with their live spelling; the source's columns are matched to them without regard to
    case. The table keeps the columns (under KEEP_BYTES) or each chunk's normalised values compressed, so that the
    few changed rows are taken from it, not read again, while the source's own columns can be let go of. A source
    the check kept packed is read a piece at a time."""
    import numpy as np
    import polars as pl

    table = _empty_table(fields)
    pieces = _source_pieces(desired.source)
    if pieces is None:
        selected = _selected(desired.source.frame(), fields)
        if selected.estimated_size() < KEEP_BYTES:
            for _ in _pass_one(table, [selected], fields):
                pass
            kept = selected

            def normalized_again(positions: pl.Series) -> pl.DataFrame:
                return normalized_frame(kept[positions], fields)

            table.normalized_rows = normalized_again
            return table
        frames: Iterable[pl.DataFrame] = [selected]
        del selected
    else:
        frames = (_selected(piece, fields) for piece in pieces)
    # Each chunk's normalised values are compressed on a thread while the next chunk is normalised (zstd holds
    # no GIL): one pass over the source, at most two chunks' normalised copies held at once.
    with ThreadPoolExecutor(1, thread_name_prefix="pass-1-pack") as pool:
        packing: Future[bytes] | None = None
        for normal in _pass_one(table, frames, fields):
            if packing is not None:
                table.packed.append(packing.result())
            packing = pool.submit(packed, normal)
            del normal
        if packing is not None:
            table.packed.append(packing.result())
    del frames
    packs = table.packed
    starts = np.array(table.starts, dtype=np.int64)

    def normalized_rows(positions: pl.Series) -> pl.DataFrame:
        # The chunks are unpacked on two threads (polars lets go of the GIL): changed rows are spread over the
        # source, so nearly every chunk holds some, and this runs after the live read, with a core to spare
        # (50,000 rows of 5,000,000: 1.2 s on one thread).
        chunks = pl.Series(np.searchsorted(starts, positions.to_numpy(), side="right") - 1)

        def rows_of(chunk: int) -> pl.DataFrame:
            rows = positions.filter(chunks == chunk) - int(starts[chunk])
            return unpacked(packs[chunk])[rows]

        with ThreadPoolExecutor(2, thread_name_prefix="pass-3") as pool:
            parts = list(pool.map(rows_of, chunks.unique(maintain_order=True).to_list()))
        empty = pl.DataFrame(schema=dict.fromkeys((f"c{i}" for i in range(len(fields))), pl.String))
        return pl.concat([empty, *parts])

    table.normalized_rows = normalized_rows
    return table


def _source_pieces(source: RecordSource) -> Iterator[pl.DataFrame] | None:
    """The source's frame a piece at a time, when its check kept it packed; else None."""
    pieces = getattr(source, "pieces", None)
    found = pieces() if callable(pieces) else None
    return found if isinstance(found, Iterator) else None


def _selected(frame: pl.DataFrame, fields: Sequence[str]) -> pl.DataFrame:
    """The managed columns of a frame of the source, named c0, c1, ... in `fields` order: the columns as read,
    chunks and all (a select would copy them into one); a managed field the source lacks is empty in every row."""
    import polars as pl

    names = _source_names(frame.columns, fields)
    blank = pl.repeat("", frame.height, dtype=pl.String, eager=True)
    return pl.DataFrame(
        [
            (frame.get_column(name) if name in frame.columns else blank).alias(f"c{i}")
            for i, name in enumerate(names)
        ]
    )


def _pass_one(
    table: SourceTable, frames: Iterable[pl.DataFrame], fields: Sequence[str]
) -> Iterator[pl.DataFrame]:
    """Add the source's columns (`_selected` frames, in order) to the table a chunk of at most CHUNK_ROWS at a
    time, noting the row each chunk starts at; each chunk's normalised values."""
    for selected in frames:
        for offset in range(0, selected.height, CHUNK_ROWS):
            chunk = selected.slice(offset, CHUNK_ROWS)
            table.starts.append(len(table.digests))
            yield _extend(table, chunk, fields, chunk.get_column("c0"))


def _source_names(available: Sequence[str], fields: Sequence[str]) -> list[str]:
    """The source's own spelling of each field (the live spelling when the source lacks it)."""
    exact = set(available)
    folded = {name.casefold(): name for name in available}
    return [name if name in exact else folded.get(name.casefold(), name) for name in fields]


def _empty_table(fields: Sequence[str]) -> SourceTable:
    import polars as pl

    return SourceTable(
        pl.Series(dtype=pl.UInt64),
        pl.Series(dtype=pl.Boolean),
        pl.Series(dtype=pl.String),
        dict.fromkeys(fields, 0),
        lambda _: pl.DataFrame(),
    )


def _extend(table: SourceTable, frame: pl.DataFrame, fields: Sequence[str], keys: pl.Series) -> pl.DataFrame:
    """Add a chunk of the source to the table, but for its packed values; return its normalised values."""
    import polars as pl

    table.keys.append(keys)
    longest = frame.select(pl.all().str.len_chars().max()).row(0)
    for name, length in zip(fields, longest, strict=True):
        table.longest[name] = max(table.longest[name], int(length or 0))
    normal = normalized_frame(frame, fields)
    table.digests.append(row_digests(normal))
    table.stable.append(_stable(frame, normal, fields))
    return normal


def _stable(frame: pl.DataFrame, normal: pl.DataFrame, fields: Sequence[str]) -> pl.Series:
    """Whether each row of `normal` (`frame` normalised) normalises to itself. A row normalisation left as it was
    does; the few it changed are normalised again to see. Normalisation is not idempotent for every value: a
    phone written "(\u00a00161 496 0000)" keeps the no-break space inside its brackets, which are noise, so the
    space is at its edge once they are gone."""
    import polars as pl

    stable = pl.repeat(True, frame.height, dtype=pl.Boolean, eager=True)
    rows = _rows_differing(frame, normal).arg_true()
    if len(rows):
        again = normal[rows]
        stable.scatter(rows, ~_rows_differing(again, normalized_frame(again, fields)))
    return stable


def _rows_differing(one: pl.DataFrame, other: pl.DataFrame) -> pl.Series:
    """Whether each row of `one` differs from the same row of `other` (same columns) in any value."""
    differ = one.to_series(0) != other.to_series(0)
    for column in range(1, one.width):
        differ = differ | (one.to_series(column) != other.to_series(column))
    return differ.fill_null(True)


def diff_records(
    desired: RecordSetInput,
    fields: Sequence[str],
    live: Iterable[LiveRecord] | Iterable[LiveBatch] | None,
    *,
    dataset_id: int | None,
    depends_on: tuple[str, ...] = (),
    sample_size: int = SAMPLE_SIZE,
    table: SourceTable | None = None,
) -> RecordDiff:
    """Diff one record set. `fields` are the managed fields (key included) with their live spelling.

    `live` is None when the dataset does not exist yet: every source row is then a create. `table` is pass 1
    when the caller has read it already (the planner does, to check value sizes on the way).
    """
    import polars as pl

    source = table or source_table(desired, fields)
    digests = source.digests.rechunk()
    stable = source.stable.rechunk()
    seen = pl.repeat(False, len(digests), dtype=pl.Boolean, eager=True)

    changed: list[pl.DataFrame] = []
    """The changed live records: their source row (`position`), key, id and normalised values."""
    absent_open: list[int] = []
    duplicates_open: list[int] = []
    duplicate_keys: Counter[str] = Counter()
    unmanaged = 0
    live_rows = 0
    dialler: Counter[str] = Counter()
    live_hash = _LiveDigest()
    for batch in _batches(live, fields):
        if not len(batch):
            continue
        frame = batch.frame
        live_rows += len(batch)
        _count_dialler(dialler, frame)
        ids, keys = frame.get_column("id"), frame.get_column("key")
        positions = source.index().positions(keys)
        wanted = digests.gather(positions)
        hashes, normal, normalised = _live_digests(
            _managed(frame, fields), fields, wanted, stable.gather(positions)
        )
        live_hash.update(ids, keys, hashes)
        # Each live record in turn: a key the source lacks is unmanaged; the first record of a source key is
        # compared by digest; any later record of that key (in this batch or an earlier one) is a duplicate.
        known = positions.is_not_null()
        fresh = (known & positions.is_first_distinct() & ~seen.gather(positions)).fill_null(False)
        duplicate = known & ~fresh
        open_ = ~frame.get_column("process_type").is_in(_CLOSED)
        unmanaged += len(batch) - int(known.sum())
        absent_open.extend(ids.filter(~known & open_).to_list())
        if duplicate.any():
            duplicates_open.extend(ids.filter(duplicate & open_).to_list())
            # Closed duplicates are off the dialler: only open ones are worth reporting (or completing).
            duplicate_keys.update(keys.filter(duplicate & open_).to_list())
        seen.scatter(positions.filter(fresh), True)
        # A differing record is one that was normalised: the `differing`-th of them is the row of `normal`.
        differing = fresh.gather(normalised) & (hashes.gather(normalised) != wanted.gather(normalised))
        differing = differing.fill_null(False).arg_true()
        if len(differing):
            rows = normalised.gather(differing)
            changed.append(
                normal[differing].with_columns(
                    positions.gather(rows).alias("position"), keys.gather(rows), ids.gather(rows)
                )
            )

    creates = source.keys.filter(~seen).to_list()
    updates, field_counts, update_sample = _describe_updates(source, fields, changed, sample_size)
    counts = {
        "create": len(creates),
        "update": len(updates),
        "unchanged": len(source.index()) - len(creates) - len(updates),
    }

    work_complete: tuple[int, ...] = ()
    if desired.absent.action == "complete" and absent_open:
        work_complete = tuple(absent_open)
        counts["complete"] = len(absent_open)
    work_dedupe: tuple[int, ...] = ()
    if desired.dedupe.action == "complete" and duplicates_open:
        work_dedupe = tuple(duplicates_open)
        counts["dedupe"] = len(duplicates_open)

    observations: list[Observation] = []
    if duplicate_keys:
        doubled = sorted(duplicate_keys)
        shown = ", ".join(doubled[:sample_size]) + (", ..." if len(doubled) > sample_size else "")
        if is_personal(desired.key):
            shown = f"{desired.key} is a personal field, so the keys are not shown"
        extra = sum(duplicate_keys.values())
        handled = "completed by the dedupe policy" if work_dedupe else "set spec.dedupe to complete them"
        observations.append(
            Observation(
                desired.address,
                "duplicates",
                f"{len(doubled)} keys have more than one live record ({extra} extra records: {shown}); {handled}",
                {"keys": len(doubled), "extra_records": extra},
            )
        )
    if unmanaged and desired.absent.action != "complete":
        observations.append(
            Observation(
                desired.address,
                "unmanaged",
                f"{unmanaged} live records have no {desired.key} in the source and are left alone (absent: ignore)",
                {"records": unmanaged},
            )
        )

    if dialler:
        described = ", ".join(f"{count} {name}" for name, count in sorted(dialler.items()))
        observations.append(
            Observation(
                desired.address, "churn", f"dialler state of {live_rows} live records: {described}", dialler
            )
        )

    sample = tuple(RowSample(key, Action.CREATE) for key in creates[:sample_size]) + update_sample
    if is_personal(desired.key):
        sample = tuple(replace(row, key=PERSONAL_KEY) for row in sample)
    sample += tuple(RowSample(f"#{record_id}", Action.REMOVE) for record_id in work_complete[:sample_size])
    work = RecordWork(
        desired.dataset_address,
        dataset_id=dataset_id,
        create_keys=frozenset(creates),
        updates=updates,
        complete_ids=work_complete,
        complete_outcome=desired.absent.outcome,
        dedupe_ids=work_dedupe,
        dedupe_outcome=desired.dedupe.outcome,
    )
    actionable = counts["create"] + counts["update"] + len(work_complete) + len(work_dedupe)
    change = None
    if actionable:
        action = Action.CREATE if dataset_id is None else Action.UPDATE
        notes = (f"{counts['unchanged']} records unchanged",) if counts["unchanged"] else ()
        change = Change(
            action,
            desired.address,
            Phase.RECORDS,
            counts={key: value for key, value in counts.items() if value},
            field_counts=dict(field_counts),
            sample=sample,
            notes=notes,
            depends_on=depends_on,
            work=work,
        )
    digest = "absent" if live is None else live_hash.hexdigest()
    return RecordDiff(change, tuple(observations), digest, live_rows, counts)


def _batches(
    live: Iterable[LiveRecord] | Iterable[LiveBatch] | None, fields: Sequence[str]
) -> Iterator[LiveBatch]:
    """Live pages as they come; single records are grouped into batches."""
    pending: list[LiveRecord] = []
    for item in live or ():
        if isinstance(item, LiveBatch):
            if pending:
                yield LiveBatch.of(pending, fields)
                pending = []
            yield item
            continue
        pending.append(item)
        if len(pending) >= 10_000:
            yield LiveBatch.of(pending, fields)
            pending = []
    if pending:
        yield LiveBatch.of(pending, fields)


def _count_dialler(dialler: Counter[str], frame: pl.DataFrame) -> None:
    for name, count in frame.get_column("process_type").value_counts().iter_rows():
        dialler[name or "(none)"] += count
    with_outcome = int((frame.get_column("outcome") != "").sum())
    if with_outcome:
        dialler["with an outcome"] += with_outcome


def _managed(frame: pl.DataFrame, fields: Sequence[str]) -> pl.DataFrame:
    """A live batch's managed values as read, named as the source table's columns are."""
    import polars as pl

    return frame.select(pl.col(f"v{i}").alias(f"c{i}") for i in range(len(fields)))


def _live_digests(
    values: pl.DataFrame, fields: Sequence[str], wanted: pl.Series, stable: pl.Series
) -> tuple[pl.Series, pl.DataFrame, pl.Series]:
    """The digest of each live record's normalised values, the normalised values of those that were normalised,
    and their positions. `wanted` and `stable` are the digest and stability of each record's source row (null
    when the source lacks its key).

    A record whose values as read digest to its source row's digest, where that row is stable, holds that row's
    normalised values, which normalise to themselves: its digest is the one read, and it is not normalised. Only
    the rest are: the changed, the unmanaged and those written otherwise than normalised."""
    hashes = row_digests(values)
    settled = ((hashes == wanted) & stable).fill_null(False)
    normalised = (~settled).arg_true()
    normal = normalized_frame(values[normalised], fields)
    if len(normalised):
        hashes.scatter(normalised, row_digests(normal))
    return hashes, normal, normalised


class _LiveDigest:
    """What a plan records of a record set's live state: a digest of every live record's id, key and normalised
    managed values, in the order read. It does not depend on how the body was cut into batches."""

    def __init__(self) -> None:
        self._ids = hashlib.sha256()
        self._keys = hashlib.sha256()
        self._rows = hashlib.sha256()

    def update(self, ids: pl.Series, keys: pl.Series, hashes: pl.Series) -> None:
        import polars as pl

        # The bytes of int64 ids and uint64 hashes in this machine's order, and each key with a line end.
        self._ids.update(ids.cast(pl.Int64).to_numpy().tobytes())
        self._keys.update((keys.str.join("\n").item() + "\n").encode())  # the row digests hold the keys too
        self._rows.update(hashes.to_numpy().tobytes())

    def hexdigest(self) -> str:
        parts = (self._ids.digest(), self._keys.digest(), self._rows.digest())
        return hashlib.sha256(b"".join(parts)).hexdigest()[:32]


def _describe_updates(
    source: SourceTable, fields: Sequence[str], changed: list[pl.DataFrame], sample_size: int
) -> tuple[dict[str, tuple[int, tuple[str, ...]]], Counter[str], tuple[RowSample, ...]]:
    """Pass 3: the normalised source values of the changed rows only, and which fields differ, in columns."""
    import polars as pl

    if not changed:
        return {}, Counter(), ()
    live = pl.concat(changed).sort("position")
    wanted = source.normalized_rows(live.get_column("position"))
    columns = [f"c{i}" for i in range(len(fields))]
    differs = [live.get_column(column) != wanted.get_column(column) for column in columns]
    field_counts = Counter({name: int(differ.sum()) for name, differ in zip(fields, differs, strict=True)})
    named: dict[tuple[bool, ...], tuple[str, ...]] = {}
    updates: dict[str, tuple[int, tuple[str, ...]]] = {}
    for key, record_id, which in zip(
        live.get_column("key").to_list(),
        live.get_column("id").to_list(),
        zip(*(differ.to_list() for differ in differs), strict=True),
        strict=True,
    ):
        names = named.get(which)
        if names is None:
            names = named[which] = tuple(name for name, differ in zip(fields, which, strict=True) if differ)
        updates[key] = (record_id, names)
    sample = tuple(
        RowSample(
            key,
            Action.UPDATE,
            tuple(
                FieldChange(name, old, new)
                for name, old, new in zip(fields, before, after, strict=True)
                if old != new
            ),
        )
        for key, before, after in zip(
            live.get_column("key").head(sample_size).to_list(),
            live.head(sample_size).select(columns).rows(),
            wanted.head(sample_size).rows(),
            strict=True,
        )
    )
    return dict(sorted(updates.items())), +field_counts, sample
