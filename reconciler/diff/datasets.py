"""Match desired datasets to live ones and say what changes. A pure function of the two states.

Identity: a pinned `id`, otherwise (campaign, description). Two live matches is a problem that asks for `id`.
EXPIRED is forever: a manifest that asks to leave it is a problem; moving to it is an irreversible change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import Problem
from ..model.state import Dataset, DesiredDataset, Status
from ..plan.changes import Action, Change, DatasetWork, FieldChange, Observation, Phase

_COMPARED = ("description", "queue", "priority", "status")


@dataclass(frozen=True)
class DatasetDiff:
    changes: tuple[Change, ...]
    problems: tuple[Problem, ...]
    observations: tuple[Observation, ...]
    matches: dict[str, Dataset | None]
    """Desired address -> the live dataset it matched (None: it will be created)."""
    digests: dict[str, str]


def diff_datasets(desired: Sequence[DesiredDataset], live: Iterable[Dataset]) -> DatasetDiff:
    live_list = sorted(live, key=lambda item: item.id or 0)
    by_id = {item.id: item for item in live_list}
    problems: list[Problem] = []
    changes: list[Change] = []
    matches: dict[str, Dataset | None] = {}
    claimed: dict[int, str] = {}

    for want in desired:
        match, problem = _match(want, live_list, by_id)
        if problem is not None:
            problems.append(problem)
            continue
        if match is not None and match.id is not None:
            other = claimed.get(match.id)
            if other is not None:
                problems.append(
                    Problem(
                        f"matches live dataset {match.id}, which {other} already matches",
                        want.location,
                        want.address,
                        "give each manifest a distinct description or pin spec.id",
                    )
                )
                continue
            claimed[match.id] = want.address
        matches[want.address] = match
        change, problem = _change(want, match)
        if problem is not None:
            problems.append(problem)
        elif change is not None:
            changes.append(change)

    observations = [
        Observation(
            f"Dataset/#{item.id}",
            "unmanaged",
            f"live dataset {item.id} ({item.campaign}: {item.description}, {item.status.value}) is in no manifest",
        )
        for item in live_list
        if item.id not in claimed
    ]
    digests = {address: _digest(match) for address, match in matches.items()}
    return DatasetDiff(tuple(changes), tuple(problems), tuple(observations), matches, digests)


def _match(
    want: DesiredDataset, live: list[Dataset], by_id: dict[int | None, Dataset]
) -> tuple[Dataset | None, Problem | None]:
    spec = want.want
    if spec.id is not None:
        found = by_id.get(spec.id)
        if found is None:
            return None, Problem(
                f"pinned dataset id {spec.id} does not exist in campaign table {spec.campaign}",
                want.location,
                want.address,
                "correct spec.id, or remove it to create a new dataset",
            )
        if found.campaign != spec.campaign:
            return None, Problem(
                f"pinned dataset id {spec.id} belongs to campaign table {found.campaign}, not {spec.campaign}",
                want.location,
                want.address,
                "a dataset cannot move between campaign tables; fix spec.campaign or spec.id",
            )
        return found, None
    candidates = [
        item for item in live if item.campaign == spec.campaign and item.description == spec.description
    ]
    if len(candidates) > 1:
        ids = ", ".join(str(item.id) for item in candidates)
        return None, Problem(
            f"{len(candidates)} live datasets in {spec.campaign} have the description "
            f'"{spec.description}" (ids {ids})',
            want.location,
            want.address,
            "pin the one to manage with spec.id",
        )
    return (candidates[0] if candidates else None), None


def _change(want: DesiredDataset, live: Dataset | None) -> tuple[Change | None, Problem | None]:
    spec = want.want
    if live is None:
        after = spec.managed()
        fields = tuple(FieldChange(name, None, _text(after[name])) for name in ("campaign", *_COMPARED))
        created_notes = []
        if spec.status is Status.LIVE:
            created_notes.append("created on HOLD; goes LIVE once its records are loaded")
        if spec.status is Status.EXPIRED:
            created_notes.append("created on HOLD, then EXPIRED last (irreversible)")
        action = Action.IRREVERSIBLE if spec.status is Status.EXPIRED else Action.CREATE
        work = DatasetWork(spec, None)
        return Change(
            action, want.address, Phase.DATASET, fields, notes=tuple(created_notes), work=work
        ), None

    if live.status is Status.EXPIRED and spec.status is not Status.EXPIRED:
        return None, Problem(
            f"dataset {live.id} is EXPIRED and can never leave it (asked for {spec.status.value})",
            want.location,
            want.address,
            "EXPIRED is irreversible: create a new dataset (new description, no spec.id) for these records",
        )
    before = live.managed()
    after = spec.managed()
    differing = tuple(
        FieldChange(name, _text(before[name]), _text(after[name]))
        for name in _COMPARED
        if before[name] != after[name]
    )
    if not differing:
        return None, None
    if live.status is Status.EXPIRED:
        names = ", ".join(item.field for item in differing)
        return None, Problem(
            f"dataset {live.id} is EXPIRED and cannot be edited ({names} differ)",
            want.location,
            want.address,
            "set the manifest to the live values, or manage a new dataset",
        )
    notes: list[str] = []
    action = Action.UPDATE
    phase = Phase.DATASET
    if spec.status is Status.EXPIRED:
        action = Action.IRREVERSIBLE
        notes.append("EXPIRED is irreversible: its records close and can never be edited or reopened")
        if all(item.field == "status" for item in differing):
            phase = Phase.EXPIRE
    elif (
        spec.status is Status.LIVE
        and live.status is Status.HOLD
        and all(item.field == "status" for item in differing)
    ):
        phase = Phase.GO_LIVE
    work = DatasetWork(spec, live)
    return Change(action, want.address, phase, differing, notes=tuple(notes), work=work), None


def _text(value: object) -> str:
    return str(value)


def _digest(live: Dataset | None) -> str:
    if live is None:
        return "absent"
    text = f"{live.id}|{live.campaign}|{live.description}|{live.queue}|{live.status.value}|{live.priority}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]
