"""Mass-change guards: the exact boundaries and the exact refusal text, from each kind's verdict."""

from __future__ import annotations

import dataclasses

import pytest

from core.helpers import record_set
from reconciler.engine import refuse
from reconciler.errors import Location, UnsafePlanError
from reconciler.kinds.dataset import DATASET, DesiredDataset
from reconciler.kinds.recordset import RECORD_SET
from reconciler.model.state import Dataset, Status
from reconciler.plan.changes import Action, Change, Phase
from reconciler.plan.guards import Acknowledgements

RECORDS = "RecordSet/spring"
WHERE = Location("manifests/records.yaml", 3, 1)


def _completes(count: int) -> Change:
    return Change(Action.UPDATE, RECORDS, Phase.RECORDS, counts={"complete": count})


def _check(count: int, live: int, acks: Acknowledgements = Acknowledgements()) -> list[str]:
    verdicts = RECORD_SET.guards(_completes(count), dataclasses.replace(record_set([]), location=WHERE), live)
    try:
        refuse(verdicts, acks)
    except UnsafePlanError as refused:
        return [str(problem) for problem in refused.problems]
    return []


def test_thirty_percent_passes() -> None:
    assert _check(30, 100) == []


def test_thirty_one_percent_is_refused_with_numbers_and_flag() -> None:
    assert _check(31, 100) == [
        "manifests/records.yaml:3:1: RecordSet/spring: completes 31% (31/100) of its live rows; limit 30% "
        "(acknowledge with --allow-mass-complete, or raise spec.guards.maxPercent if this is expected)"
    ]


@pytest.mark.parametrize(("live", "refused"), [(9, False), (10, True)])
def test_small_sets_below_ten_rows_are_not_guarded(live: int, refused: bool) -> None:
    assert bool(_check(live, live)) is refused


def test_empty_source_completing_everything_is_refused() -> None:
    assert _check(20, 20)[0].startswith(
        "manifests/records.yaml:3:1: RecordSet/spring: completes 100% (20/20) of its live rows"
    )


def test_acknowledgement_passes_a_refused_plan() -> None:
    assert _check(31, 100, Acknowledgements.of(["mass-complete"])) == []


def test_expire_needs_its_own_acknowledgement() -> None:
    change = Change(Action.IRREVERSIBLE, "Dataset/old", Phase.EXPIRE)
    where = Location("manifests/datasets.yaml", 9, 1)
    item = DesiredDataset("Dataset/old", where, want=Dataset("Willtest", "Old", Status.EXPIRED))
    (verdict,) = DATASET.guards(change, item, 0)
    with pytest.raises(UnsafePlanError) as refused:
        refuse([verdict], Acknowledgements.of(["mass-complete", "mass-remove"]))
    assert [str(problem) for problem in refused.value.problems] == [
        "manifests/datasets.yaml:9:1: Dataset/old: moves to EXPIRED, which is irreversible: its records close and "
        "can never be edited or reopened (acknowledge with --allow-expire, or add `acknowledge: [expire]` to the "
        "Dataset spec)"
    ]
    refuse([verdict], Acknowledgements.of(["expire"]))
    acknowledged = DesiredDataset("Dataset/old", where, want=item.want, acknowledge=frozenset({"expire"}))
    assert DATASET.guards(change, acknowledged, 0) == []


def _updates(count: int, live: int, acks: Acknowledgements = Acknowledgements()) -> list[str]:
    change = Change(Action.UPDATE, RECORDS, Phase.RECORDS, counts={"update": count})
    verdicts = RECORD_SET.guards(change, dataclasses.replace(record_set([]), location=WHERE), live)
    try:
        refuse(verdicts, acks)
    except UnsafePlanError as refused:
        return [str(problem) for problem in refused.problems]
    return []


def test_mass_updates_are_guarded_at_the_same_boundary_with_their_own_flag() -> None:
    assert _updates(30, 100) == []
    assert _updates(31, 100) == [
        "manifests/records.yaml:3:1: RecordSet/spring: updates 31% (31/100) of its live rows; limit 30% "
        "(acknowledge with --allow-mass-update, or raise spec.guards.maxPercent if this is expected)"
    ]
    assert _updates(31, 100, Acknowledgements.of(["mass-complete"])) != []
    assert _updates(31, 100, Acknowledgements.of(["mass-update"])) == []
    assert _updates(9, 9) == []
