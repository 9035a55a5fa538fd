"""The record-set diff: streams the source and the live rows, holding one compact digest per desired row.

Pass 1 reads the source into `key -> row index` and an array of 64-bit digests of the normalised managed
values. Pass 2 streams the live records once: each is unchanged, changed, absent from the source, or a
duplicate. Pass 3 reads the source again, only to describe the few rows that changed. Nothing holds a dict per
row, so memory stays near one key and one digest per desired record.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..model.normalize import normalized
from ..model.state import DesiredRecordSet, LiveRecord
from ..plan.changes import Action, Change, FieldChange, Observation, Phase, RecordWork, RowSample

SAMPLE_SIZE = 5


@dataclass(frozen=True)
class RecordDiff:
    change: Change | None
    observations: tuple[Observation, ...]
    live_digest: str
    live_rows: int
    """Live records of the dataset (duplicates and closed ones included): the guard's base."""
    counts: Mapping[str, int] = field(default_factory=dict)


def diff_records(
    desired: DesiredRecordSet,
    fields: Sequence[str],
    live: Iterable[LiveRecord] | None,
    *,
    dataset_id: int | None,
    depends_on: tuple[str, ...] = (),
    sample_size: int = SAMPLE_SIZE,
) -> RecordDiff:
    """Diff one record set. `fields` are the managed fields (key included) with their live spelling.

    `live` is None when the dataset does not exist yet: every source row is then a create.
    """
    index: dict[str, int] = {}
    digests = array("q")
    for wanted in desired.source.iter_records():
        index[wanted.key] = len(digests)
        digests.append(hash(normalized(fields, wanted.values)))
    seen = bytearray(len(digests))

    changed: dict[str, tuple[int, tuple[str, ...]]] = {}
    absent_open: list[int] = []
    duplicates_open: list[int] = []
    duplicate_keys: Counter[str] = Counter()
    unmanaged = 0
    live_rows = 0
    dialler: Counter[str] = Counter()
    live_hash = hashlib.sha256()
    for record in live or ():
        live_rows += 1
        dialler[record.process_type or "(none)"] += 1
        if record.outcome:
            dialler["with an outcome"] += 1
        values = normalized(fields, record.values)
        live_hash.update(f"{record.id}\x1e{record.key}\x1e{chr(31).join(values)}\x1d".encode())
        position = index.get(record.key) if record.key else None
        if position is None:
            unmanaged += 1
            if not record.closed:
                absent_open.append(record.id)
            continue
        if seen[position]:
            duplicate_keys[record.key] += 1
            if not record.closed:
                duplicates_open.append(record.id)
            continue
        seen[position] = 1
        if hash(values) != digests[position]:
            changed[record.key] = (record.id, values)

    creates = [key for key, position in index.items() if not seen[position]]
    updates, field_counts, update_sample = _describe_updates(desired, fields, changed, sample_size)
    counts = {
        "create": len(creates),
        "update": len(updates),
        "unchanged": len(index) - len(creates) - len(updates),
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
        keys = sorted(duplicate_keys)
        shown = ", ".join(keys[:sample_size]) + (", ..." if len(keys) > sample_size else "")
        extra = sum(duplicate_keys.values())
        handled = "completed by the dedupe policy" if work_dedupe else "set spec.dedupe to complete them"
        observations.append(
            Observation(
                desired.address,
                "duplicates",
                f"{len(keys)} keys have more than one live record ({extra} extra records: {shown}); {handled}",
                {"keys": len(keys), "extra_records": extra},
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
    digest = "absent" if live is None else live_hash.hexdigest()[:32]
    return RecordDiff(change, tuple(observations), digest, live_rows, counts)


def _describe_updates(
    desired: DesiredRecordSet,
    fields: Sequence[str],
    changed: dict[str, tuple[int, tuple[str, ...]]],
    sample_size: int,
) -> tuple[dict[str, tuple[int, tuple[str, ...]]], Counter[str], tuple[RowSample, ...]]:
    """Pass 3: read the source again for the changed keys only, and say which fields differ."""
    updates: dict[str, tuple[int, tuple[str, ...]]] = {}
    field_counts: Counter[str] = Counter()
    sample: list[RowSample] = []
    if not changed:
        return updates, field_counts, ()
    for record in desired.source.iter_records():
        hit = changed.get(record.key)
        if hit is None:
            continue
        record_id, live_values = hit
        wanted = normalized(fields, record.values)
        differing = tuple(
            name for name, old, new in zip(fields, live_values, wanted, strict=True) if old != new
        )
        updates[record.key] = (record_id, differing)
        field_counts.update(differing)
        if len(sample) < sample_size:
            sample.append(
                RowSample(
                    record.key,
                    Action.UPDATE,
                    tuple(
                        FieldChange(name, old, new)
                        for name, old, new in zip(fields, live_values, wanted, strict=True)
                        if old != new
                    ),
                )
            )
    return dict(sorted(updates.items())), field_counts, tuple(sample)
