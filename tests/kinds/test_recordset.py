"""The RecordSet kind, planned and applied against an in-memory ContactNow (no HTTP)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from core.helpers import ListSource, record_set
from fakes import FakeContactNow, Quiet, target

from reconciler.apply.runner import apply_plan
from reconciler.apply.steps import Outcome
from reconciler.errors import Location, PlanError
from reconciler.kinds.base import DesiredState
from reconciler.kinds.dataset import DesiredDataset
from reconciler.kinds.recordset import RECORD_SET
from reconciler.model.state import Dataset, Policy, SourceRecord, Status
from reconciler.plan.changes import Action, Phase
from reconciler.planner import make_plan
from reconciler.providers.base import DatasetUpdate

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
ROWS = [
    {"VENDOR_URN": "A-1", "FirstName": "Ann", "MobilePhone": "07700900001"},
    {"VENDOR_URN": "A-2", "FirstName": "Bob", "MobilePhone": "07700900002"},
    {"VENDOR_URN": "A-3", "FirstName": "Cy", "MobilePhone": "07700900003"},
]


def _state(
    status: Status = Status.HOLD, rows: list[dict[str, str]] = ROWS, **policies: Policy
) -> DesiredState:
    dataset = DesiredDataset(
        "Dataset/spring",
        Location("manifests/datasets.yaml", 1, 1),
        want=Dataset("Willtest", "Spring", status),
    )
    return DesiredState((dataset, record_set(rows, **policies)))  # type: ignore[arg-type]


def _live(account: FakeContactNow, rows: list[dict[str, str]], status: Status = Status.HOLD) -> int:
    made = account.add_dataset(Dataset("Willtest", "Spring", status, 0, 0, 4), rows)
    assert made.id is not None
    return made.id


def test_new_records_load_while_the_dataset_is_on_hold_then_it_goes_live() -> None:
    account = FakeContactNow()
    desired = _state(Status.LIVE)
    planned = make_plan(desired, target(account), now=NOW)
    records = next(change for change in planned.plan.changes if change.address == "RecordSet/spring")
    assert (records.action, records.phase, records.unit) == (Action.CREATE, Phase.RECORDS, "records")
    assert (records.counts, records.tally) == ({"create": 3}, {"create": 3, "change": 0, "remove": 0})
    assert records.depends_on == ("Dataset/spring",)
    assert apply_plan(planned.plan, desired, target(account), Quiet()).ok
    writes = [call[:3] for call in account.calls if call[0] not in {"catalog", "datasets", "records"}]
    assert writes == [
        ("create_dataset", "Willtest", "Spring"),
        ("create_records", 1, ("A-1", "A-2", "A-3")),
        ("update_dataset", 1, DatasetUpdate(status=Status.LIVE)),
    ]
    assert [row.values for row in account.records[1]] == ROWS


def test_updates_send_only_the_fields_that_differ_and_absent_records_complete() -> None:
    account = FakeContactNow()
    live = [dict(row) for row in ROWS] + [
        {"VENDOR_URN": "Z-9", "FirstName": "Old", "MobilePhone": "07700900999"}
    ]
    live[1]["FirstName"] = "Robert"
    dataset_id = _live(account, live)
    desired = _state(absent=Policy("complete", "510456"))
    planned = make_plan(desired, target(account), now=NOW)
    (change,) = planned.plan.changes
    assert change.counts == {"update": 1, "unchanged": 2, "complete": 1}
    assert change.field_counts == {"FirstName": 1}
    assert change.tally == {"create": 0, "change": 1, "remove": 1}
    assert planned.verdicts == ()  # 1 of 4 live rows is under 30%, and under the 10-row minimum anyway
    apply_plan(planned.plan, desired, target(account), Quiet())
    assert account.calls[-2:] == [
        ("update_records", dataset_id, (("A-2", {"FirstName": "Bob"}),)),
        ("complete_records", dataset_id, (4,), "510456"),
    ]


@dataclasses.dataclass(frozen=True)
class _FrameOnly(ListSource):
    """A source whose rows can only be taken from its frame, as the plan read and checked them."""

    def iter_records(self) -> Iterator[SourceRecord]:
        raise AssertionError("the source was read again, row by row")


def test_updates_take_their_rows_from_the_frame_the_plan_read() -> None:
    account = FakeContactNow()
    live = [dict(row) for row in ROWS]
    live[0]["MobilePhone"] = "07700900100"
    live[2]["FirstName"] = "Cyrus"
    dataset_id = _live(account, live)
    rows = [{**row, "Address1": f"not managed {n}"} for n, row in enumerate(ROWS)]
    desired = DesiredState(
        (_state().items[0], dataclasses.replace(record_set(rows), source=_FrameOnly(rows)))
    )
    planned = make_plan(desired, target(account), now=NOW)
    (change,) = planned.plan.changes
    assert change.counts == {"update": 2, "unchanged": 1}
    assert apply_plan(planned.plan, desired, target(account), Quiet()).ok
    assert account.calls[-1] == (
        "update_records",
        dataset_id,
        (("A-1", {"MobilePhone": "07700900001"}), ("A-3", {"FirstName": "Cy"})),
    )
    assert [row.values for row in account.records[dataset_id]] == ROWS


def test_completing_too_many_is_a_mass_complete_verdict() -> None:
    account = FakeContactNow()
    live = [{"VENDOR_URN": f"Z-{n}", "FirstName": "Old", "MobilePhone": f"0770090{n:04d}"} for n in range(10)]
    _live(account, live)
    planned = make_plan(_state(absent=Policy("complete", "510456")), target(account), now=NOW)
    (verdict,) = planned.verdicts
    assert verdict.risk == "mass-complete"
    assert str(verdict.problem) == (
        "manifests/records.yaml:1:1: RecordSet/spring: completes 100% (10/10) of its live rows; limit 30% "
        "(acknowledge with --allow-mass-complete, or raise spec.guards.maxPercent if this is expected)"
    )


def test_fields_and_outcomes_are_checked_against_the_table() -> None:
    account = FakeContactNow()
    _live(account, [])
    desired = DesiredState(
        (
            _state().items[0],
            dataclasses.replace(
                record_set(ROWS, ("FirstName", "Nickname")), absent=Policy("complete", "100")
            ),
        )
    )
    with pytest.raises(PlanError) as refused:
        make_plan(desired, target(account), now=NOW)
    assert [str(problem) for problem in refused.value.problems] == [
        "manifests/records.yaml:1:1: RecordSet/spring: field Nickname does not exist in campaign table Willtest "
        "(fix spec.fields, or add the field to the campaign table in ContactNow)",
        "manifests/records.yaml:1:1: RecordSet/spring: outcome code 100 (Call back) is not a complete outcome "
        "(complete = N) (name an outcome code whose complete flag is Y)",
    ]


def test_an_expired_dataset_is_not_compared() -> None:
    account = FakeContactNow()
    _live(account, ROWS, Status.EXPIRED)
    desired = DesiredState((_state(Status.EXPIRED).items[0], record_set(ROWS)))
    planned = make_plan(desired, target(account), now=NOW)
    assert planned.plan.changes == ()
    assert planned.plan.live_digests["RecordSet/spring"] == "expired"
    assert [item.message for item in planned.plan.observations] == [
        "its dataset is EXPIRED: records are not compared"
    ]


def test_refused_rows_fail_the_change_and_keep_the_dataset_on_hold() -> None:
    account = FakeContactNow(refuse={"A-2"})
    desired = _state(Status.LIVE)
    planned = make_plan(desired, target(account), now=NOW)
    reporter = Quiet()
    report = apply_plan(planned.plan, desired, target(account), reporter)
    assert not report.ok
    outcomes = {
        result.address: (result.outcome, result.detail, result.failures) for result in reporter.results
    }
    assert outcomes == {
        "RecordSet/spring": (Outcome.FAILED, "2 created; 1 rows failed", ["A-2: refused by the fake"]),
        "Dataset/spring": (
            Outcome.SKIPPED,
            "created dataset 1 on HOLD; left on HOLD because RecordSet/spring failed",
            [],
        ),
    }
    assert account.datasets_[1].status is Status.HOLD


def test_records_of_a_failed_dataset_are_skipped() -> None:
    account = FakeContactNow()
    desired = _state()
    planned = make_plan(desired, target(account), now=NOW)

    def refuse_create(want: Dataset) -> int:
        from reconciler.errors import ApiError

        raise ApiError("dataset was not created: the API refused the row")

    account.create_dataset = refuse_create  # type: ignore[method-assign]
    reporter = Quiet()
    apply_plan(planned.plan, desired, target(account), reporter)
    assert [(result.address, result.outcome, result.detail) for result in reporter.results] == [
        ("Dataset/spring", Outcome.FAILED, "dataset was not created: the API refused the row"),
        ("RecordSet/spring", Outcome.SKIPPED, "skipped: Dataset/spring failed"),
    ]
    assert not any(call[0] == "create_records" for call in account.calls)


def test_the_step_is_tagged_with_the_records_phase() -> None:
    account = FakeContactNow()
    desired = _state()
    planned = make_plan(desired, target(account), now=NOW)
    change = next(change for change in planned.plan.changes if change.address == "RecordSet/spring")
    assert [step.phase for step in RECORD_SET.steps(change, desired.items[1])] == [Phase.RECORDS]  # type: ignore[arg-type]


def test_a_wrong_mapping_that_overwrites_every_record_is_refused_without_mass_update() -> None:
    """100% of 100,000 live records updated (a personal field, masked in output, still counts)."""
    account = FakeContactNow()
    rows = [{"VENDOR_URN": f"K{n}", "FirstName": "Ann", "MobilePhone": f"07{n:09d}"} for n in range(100_000)]
    _live(account, rows)
    swapped = [{**row, "MobilePhone": f"08{n:09d}"} for n, row in enumerate(rows)]
    planned = make_plan(_state(rows=swapped), target(account), now=NOW)
    (change,) = planned.plan.changes
    assert change.counts == {"update": 100_000}
    assert change.field_counts == {"MobilePhone": 100_000}
    assert [(verdict.risk, str(verdict.problem)) for verdict in planned.verdicts] == [
        (
            "mass-update",
            "manifests/records.yaml:1:1: RecordSet/spring: updates 100% (100000/100000) of its live rows; limit "
            "30% (acknowledge with --allow-mass-update, or raise spec.guards.maxPercent if this is expected)",
        )
    ]


def _renamed(
    account: FakeContactNow, *, moved_from: str | None = None, acknowledge: frozenset[str] = frozenset()
) -> DesiredState:
    _live(account, ROWS, Status.LIVE)
    want = Dataset("Willtest", "Spring 2027", Status.LIVE)
    where = Location("manifests/datasets.yaml", 1, 1)
    renamed = DesiredDataset(
        "Dataset/spring", where, want=want, moved_from=moved_from, acknowledge=acknowledge
    )
    return DesiredState((renamed, record_set(ROWS)))


def test_a_renamed_dataset_with_moved_from_is_updated_in_place_and_its_records_unchanged() -> None:
    account = FakeContactNow()
    planned = make_plan(_renamed(account, moved_from="Spring"), target(account), now=NOW)
    (change,) = planned.plan.changes
    assert (change.address, change.action) == ("Dataset/spring", Action.UPDATE)
    assert [(item.field, item.before, item.after) for item in change.fields] == [
        ("description", "Spring", "Spring 2027")
    ]
    assert [call[0] for call in account.calls].count(
        "records"
    ) == 1  # the record set's own read, nothing else


def test_a_new_dataset_whose_records_are_open_elsewhere_is_refused_with_the_overlap() -> None:
    account = FakeContactNow()
    with pytest.raises(PlanError) as refused:
        make_plan(_renamed(account), target(account), now=NOW)
    assert [str(problem) for problem in refused.value.problems] == [
        "manifests/records.yaml:1:1: RecordSet/spring: Dataset/spring is new, but 3 of its 3 records are already "
        'open in dataset 4 ("Spring", LIVE) of campaign table Willtest: creating it would dial them twice (if '
        'Dataset/spring is that dataset renamed, add `movedFrom: {description: "Spring"}` (or `id: 4`) to its '
        "spec; if both should dial them, add `acknowledge: [overlap]`)"
    ]
    fresh = FakeContactNow()
    acknowledged = make_plan(_renamed(fresh, acknowledge=frozenset({"overlap"})), target(fresh), now=NOW)
    assert [change.address for change in acknowledged.plan.changes] == ["Dataset/spring", "RecordSet/spring"]
