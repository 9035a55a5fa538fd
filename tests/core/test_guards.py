"""Mass-change guards: the exact boundaries and the exact refusal text."""

from __future__ import annotations

import pytest

from reconciler.errors import Location
from reconciler.model.state import Guard
from reconciler.plan.changes import Action, Change, Phase
from reconciler.plan.guards import Acknowledgements, GuardContext, check_guards

RECORDS = "RecordSet/spring"
WHERE = Location("manifests/records.yaml", 3, 1)


def _completes(count: int) -> tuple[Change, ...]:
    return (Change(Action.UPDATE, RECORDS, Phase.RECORDS, counts={"complete": count}),)


def _check(count: int, live: int, acks: Acknowledgements = Acknowledgements()) -> list[str]:
    context = {RECORDS: GuardContext(Guard(), live, location=WHERE)}
    return [str(problem) for problem in check_guards(_completes(count), context, acks)]


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
    assert _check(31, 100, Acknowledgements(mass_complete=True)) == []


def test_expire_needs_its_own_acknowledgement() -> None:
    change = (Change(Action.IRREVERSIBLE, "Dataset/old", Phase.EXPIRE),)
    context = {"Dataset/old": GuardContext(Guard(), location=Location("manifests/datasets.yaml", 9, 1))}
    refused = check_guards(change, context, Acknowledgements(mass_complete=True, mass_remove=True))
    assert [str(problem) for problem in refused] == [
        "manifests/datasets.yaml:9:1: Dataset/old: moves to EXPIRED, which is irreversible: its records close and "
        "can never be edited or reopened (acknowledge with --allow-expire, or add `acknowledge: [expire]` to the "
        "Dataset spec)"
    ]
    assert check_guards(change, context, Acknowledgements(expire=True)) == []
    acknowledged = {"Dataset/old": GuardContext(Guard(), acknowledged=frozenset({"expire"}))}
    assert check_guards(change, acknowledged, Acknowledgements()) == []
