"""The Dataset kind, planned and applied against an in-memory ContactNow (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fakes import FakeContactNow, Quiet, target

from reconciler.apply.runner import apply_plan
from reconciler.errors import Location, PlanError
from reconciler.kinds.base import DesiredState
from reconciler.kinds.dataset import DATASET, DesiredDataset
from reconciler.model.state import Dataset, Status
from reconciler.plan.changes import Action, FieldChange, Phase
from reconciler.planner import make_plan
from reconciler.providers.base import DatasetUpdate

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
WHERE = Location("manifests/datasets.yaml", 4, 9)


def _desired(*items: DesiredDataset) -> DesiredState:
    return DesiredState(items)


def _dataset(
    status: Status = Status.HOLD,
    priority: int = 0,
    queue: int = 0,
    description: str = "Spring",
    **extra: object,
) -> DesiredDataset:
    want = Dataset("Willtest", description, status, priority, queue)
    return DesiredDataset("Dataset/spring", WHERE, want=want, **extra)  # type: ignore[arg-type]


def test_a_new_dataset_is_created_then_goes_live_last() -> None:
    account = FakeContactNow()
    planned = make_plan(_desired(_dataset(Status.LIVE, priority=50)), target(account), now=NOW)
    (change,) = planned.plan.changes
    assert (change.action, change.phase, change.tally) == (Action.CREATE, Phase.DATASET, {})
    assert change.fields == (
        FieldChange("campaign", None, "Willtest"),
        FieldChange("description", None, "Spring"),
        FieldChange("queue", None, "0"),
        FieldChange("priority", None, "50"),
        FieldChange("status", None, "LIVE"),
    )
    assert change.notes == ("created on HOLD; goes LIVE once its records are loaded",)
    assert planned.plan.live_digests == {"Dataset/spring": "absent"}
    reporter = Quiet()
    report = apply_plan(planned.plan, _desired(_dataset(Status.LIVE, priority=50)), target(account), reporter)
    assert report.ok
    assert [call for call in account.calls if call[0] != "catalog" and call[0] != "datasets"] == [
        ("create_dataset", "Willtest", "Spring", 1),
        ("update_dataset", 1, DatasetUpdate(priority=50)),
        ("update_dataset", 1, DatasetUpdate(status=Status.LIVE)),
    ]
    assert reporter.results[0].detail == "created dataset 1 on HOLD; dataset 1 is LIVE"
    assert account.datasets_[1] == Dataset("Willtest", "Spring", Status.LIVE, 50, 0, 1)


def test_an_attribute_update_names_domain_fields_and_needs_one_write() -> None:
    account = FakeContactNow()
    account.add_dataset(Dataset("Willtest", "Spring", Status.HOLD, 10, 0, 7))
    desired = _desired(_dataset(priority=20, queue=75674454))
    planned = make_plan(desired, target(account), now=NOW)
    (change,) = planned.plan.changes
    assert (change.action, change.phase, change.tally) == (Action.UPDATE, Phase.DATASET, {})
    assert change.fields == (FieldChange("queue", "0", "75674454"), FieldChange("priority", "10", "20"))
    reporter = Quiet()
    assert apply_plan(planned.plan, desired, target(account), reporter).ok
    assert account.calls[-1] == ("update_dataset", 7, DatasetUpdate(queue=75674454, priority=20))
    assert reporter.results[0].detail == "updated dataset 7 (priority, queue)"


def test_going_live_alone_is_the_go_live_phase_and_one_status_write() -> None:
    account = FakeContactNow()
    account.add_dataset(Dataset("Willtest", "Spring", Status.HOLD, 0, 0, 3))
    desired = _desired(_dataset(Status.LIVE))
    planned = make_plan(desired, target(account), now=NOW)
    assert [change.phase for change in planned.plan.changes] == [Phase.GO_LIVE]
    reporter = Quiet()
    apply_plan(planned.plan, desired, target(account), reporter)
    assert account.calls[-1] == ("update_dataset", 3, DatasetUpdate(status=Status.LIVE))
    assert reporter.results[0].detail == "dataset 3 is LIVE"


def test_live_to_hold_comes_first_with_the_other_attributes() -> None:
    account = FakeContactNow()
    account.add_dataset(Dataset("Willtest", "Spring", Status.LIVE, 0, 0, 3))
    desired = _desired(_dataset(Status.HOLD, priority=5))
    planned = make_plan(desired, target(account), now=NOW)
    (change,) = planned.plan.changes
    assert change.phase is Phase.DATASET
    (step,) = DATASET.steps(change, desired.items[0])  # type: ignore[arg-type]
    assert step.phase is Phase.DATASET
    apply_plan(planned.plan, desired, target(account), Quiet())
    assert account.calls[-1] == ("update_dataset", 3, DatasetUpdate(priority=5, status=Status.HOLD))


def test_expire_is_irreversible_last_and_guarded_unless_acknowledged() -> None:
    account = FakeContactNow()
    account.add_dataset(Dataset("Willtest", "Spring", Status.LIVE, 0, 0, 3))
    planned = make_plan(_desired(_dataset(Status.EXPIRED)), target(account), now=NOW)
    (change,) = planned.plan.changes
    assert (change.action, change.phase) == (Action.IRREVERSIBLE, Phase.EXPIRE)
    (verdict,) = planned.verdicts
    assert verdict.risk == "expire"
    assert str(verdict.problem) == (
        "manifests/datasets.yaml:4:9: Dataset/spring: moves to EXPIRED, which is irreversible: its records close "
        "and can never be edited or reopened (acknowledge with --allow-expire, or add `acknowledge: [expire]` to "
        "the Dataset spec)"
    )
    acknowledged = _dataset(Status.EXPIRED, acknowledge=frozenset({"expire"}))
    assert make_plan(_desired(acknowledged), target(account), now=NOW).verdicts == ()


def test_leaving_expired_two_matches_and_unknown_queues_are_plan_problems() -> None:
    account = FakeContactNow()
    account.add_dataset(Dataset("Willtest", "Spring", Status.EXPIRED, 0, 0, 3))
    account.add_dataset(Dataset("Willtest", "Twice", Status.HOLD, 0, 0, 4))
    account.add_dataset(Dataset("Willtest", "Twice", Status.HOLD, 0, 0, 5))
    desired = _desired(
        _dataset(Status.LIVE),
        DesiredDataset("Dataset/twice", WHERE, want=Dataset("Willtest", "Twice")),
        DesiredDataset("Dataset/inbound", WHERE, want=Dataset("Willtest", "In", queue=829603)),
        DesiredDataset("Dataset/named", WHERE, want=Dataset("Willtest", "Named"), queue_name="Nobody"),
    )
    with pytest.raises(PlanError) as refused:
        make_plan(desired, target(account), now=NOW)
    assert [str(problem) for problem in refused.value.problems] == [
        "manifests/datasets.yaml:4:9: Dataset/inbound: queue 829603 is inbound, not outbound (give the qid of an "
        "outbound queue)",
        'manifests/datasets.yaml:4:9: Dataset/named: no outbound queues are named "Nobody" (give spec.queue as a '
        "qid)",
        "manifests/datasets.yaml:4:9: Dataset/spring: dataset 3 is EXPIRED and can never leave it (asked for LIVE) "
        "(EXPIRED is irreversible: create a new dataset (new description, no spec.id) for these records)",
        'manifests/datasets.yaml:4:9: Dataset/twice: 2 live datasets in Willtest have the description "Twice" '
        "(ids 4, 5) (pin the one to manage with spec.id)",
    ]


def test_a_queue_named_by_description_resolves_and_unmatched_live_datasets_are_unmanaged() -> None:
    account = FakeContactNow()
    account.add_dataset(Dataset("Willtest", "Other", Status.LIVE, 0, 0, 9))
    planned = make_plan(_desired(_dataset(queue_name="Renewals")), target(account), now=NOW)
    (change,) = planned.plan.changes
    assert FieldChange("queue", None, "75674454") in change.fields
    assert [(item.address, item.category, item.message) for item in planned.plan.observations] == [
        ("Dataset/#9", "unmanaged", "live dataset 9 (Willtest: Other, LIVE) is in no manifest")
    ]


def test_no_contactnow_api_is_a_problem_naming_the_block() -> None:
    with pytest.raises(PlanError) as refused:
        make_plan(_desired(_dataset()), target(), now=NOW)
    assert [str(problem) for problem in refused.value.problems] == [
        "manifests/datasets.yaml:4:9: Dataset/spring: target fake has no ContactNow API configured (add a "
        "contactnow block to target fake in reconciler.yaml)"
    ]
