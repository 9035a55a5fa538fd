"""The OutcomeCode kind, planned and applied against an in-memory ContactNow (no HTTP): identity by number or
description, system codes, the complete-flip guard, and record sets that use a code this plan creates or flips."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from core.helpers import record_set
from fakes import FakeContactNow, Quiet, target

from reconciler.apply.runner import apply_plan
from reconciler.apply.steps import Outcome
from reconciler.errors import Location, PlanError
from reconciler.kinds.base import Desired, DesiredState
from reconciler.kinds.dataset import DesiredDataset
from reconciler.kinds.outcome_code import DesiredOutcome
from reconciler.model.state import Dataset, Policy, Status
from reconciler.plan.changes import Action, FieldChange, Phase
from reconciler.planner import make_plan
from reconciler.providers.base import OutcomeInfo, OutcomeUse, OutcomeWrite

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
WHERE = Location("manifests/outcomecodes.yaml", 4, 9)


def _code(
    description: str = "Opted out",
    outcome: str = "",
    *,
    complete: bool = True,
    acknowledge: frozenset[str] = frozenset(),
    **flags: bool,
) -> DesiredOutcome:
    want = OutcomeInfo(outcome, description, complete, **flags)
    return DesiredOutcome("OutcomeCode/opted-out", WHERE, want=want, acknowledge=acknowledge)


def _writes(account: FakeContactNow) -> list[tuple[object, ...]]:
    return [
        call for call in account.calls if call[0] in {"create_outcome", "update_outcome", "complete_records"}
    ]


def test_a_new_code_is_created_with_every_value() -> None:
    account = FakeContactNow()
    desired = DesiredState((_code(do_not_call=True),))
    planned = make_plan(desired, target(account), now=NOW)
    (change,) = planned.plan.changes
    assert (change.action, change.phase, change.tally) == (Action.CREATE, Phase.OUTCOME_CODES, {"create": 1})
    assert change.fields == (
        FieldChange("description", None, "Opted out"),
        FieldChange("complete", None, "Y"),
        FieldChange("doNotCall", None, "Y"),
        FieldChange("dmc", None, "N"),
        FieldChange("sale", None, "N"),
        FieldChange("answerphone", None, "N"),
    )
    reporter = Quiet()
    assert apply_plan(planned.plan, desired, target(account), reporter).ok
    assert _writes(account) == [
        ("create_outcome", None, OutcomeWrite("Opted out", True, True, False, False, False)),
    ]
    assert reporter.results[0].detail == "created outcome code 510457"
    assert make_plan(desired, target(account), now=NOW).plan.empty


def test_a_code_is_matched_by_description_and_only_what_differs_is_updated() -> None:
    account = FakeContactNow()
    desired = DesiredState((_code("Call back", complete=False, dmc=True),))
    planned = make_plan(desired, target(account), now=NOW)
    (change,) = planned.plan.changes
    assert change.fields == (FieldChange("dmc", "N", "Y"),)
    assert apply_plan(planned.plan, desired, target(account), Quiet()).ok
    assert _writes(account) == [("update_outcome", "100", OutcomeWrite(dmc=True))]


def test_a_pinned_number_is_created_as_that_number_and_checked() -> None:
    account = FakeContactNow(renumber=True)
    desired = DesiredState((_code(outcome="700001"),))
    planned = make_plan(desired, target(account), now=NOW)
    assert planned.plan.changes[0].notes == ("created as number 700001",)
    reporter = Quiet()
    assert not apply_plan(planned.plan, desired, target(account), reporter).ok
    (result,) = reporter.results
    assert (result.outcome, result.detail, result.failures) == (
        Outcome.FAILED,
        "the vendor numbered the new code 510457, not 700001 as pinned",
        ["pin spec.outcome: 510457 (and name 510457 wherever 700001 was named)"],
    )


def test_two_live_codes_with_one_description_ask_for_a_pin() -> None:
    account = FakeContactNow()
    account.outcomes["600"] = OutcomeInfo("600", "Call back", False)
    with pytest.raises(PlanError) as refused:
        make_plan(DesiredState((_code("Call back", complete=False),)), target(account), now=NOW)
    assert [str(problem) for problem in refused.value.problems] == [
        'manifests/outcomecodes.yaml:4:9: OutcomeCode/opted-out: 2 live outcome codes are described "Call back" '
        "(numbers 100, 600) (pin the one to manage with spec.outcome)"
    ]


def test_a_system_code_is_read_only() -> None:
    account = FakeContactNow(system=frozenset({"100"}))
    assert make_plan(
        DesiredState((_code("Call back", "100", complete=False),)), target(account), now=NOW
    ).plan.empty
    with pytest.raises(PlanError) as refused:
        make_plan(DesiredState((_code("Call back", "100", complete=True),)), target(account), now=NOW)
    assert [str(problem) for problem in refused.value.problems] == [
        "manifests/outcomecodes.yaml:4:9: OutcomeCode/opted-out: outcome code 100 (Call back) is a system code and "
        "cannot be changed (complete differ) (set the manifest to the live values, or remove the document: system "
        "codes are read-only)"
    ]
    assert _writes(account) == []


def test_live_codes_no_manifest_names_are_reported_as_unmanaged() -> None:
    planned = make_plan(
        DesiredState((_code("Call back", complete=False),)), target(FakeContactNow()), now=NOW
    )
    assert [(item.address, item.category, item.message) for item in planned.plan.observations] == [
        (
            "OutcomeCode/#510456",
            "unmanaged",
            "outcome code 510456 (Completed by the reconciler) is in no manifest",
        )
    ]


# ------------------------------------------------------------------------------------ the complete flip


def test_a_complete_flip_on_a_code_in_use_is_refused_until_acknowledged() -> None:
    account = FakeContactNow(use={"100": OutcomeUse(12_400, 20_000)})
    flip = _code("Call back", complete=True)
    planned = make_plan(DesiredState((flip,)), target(account), now=NOW)
    (change,) = planned.plan.changes
    assert change.fields == (FieldChange("complete", "N", "Y"),)
    assert change.notes == (
        "flips dialability of 12,400 records: 62% (12400/20000) of the account's live records carry outcome 100, "
        "and complete N -> Y takes them off the dialler",
    )
    (verdict,) = planned.verdicts
    assert verdict.risk == "complete-flip"
    assert str(verdict.problem) == (
        "manifests/outcomecodes.yaml:4:9: OutcomeCode/opted-out: flips dialability of 12,400 records: 62% "
        "(12400/20000) of the account's live records carry outcome 100, and complete N -> Y takes them off the "
        "dialler (if every record that carries the code should change, add `acknowledge: [complete-flip]` to the "
        "OutcomeCode spec; otherwise create a new code for the new meaning)"
    )
    acknowledged = _code("Call back", complete=True, acknowledge=frozenset({"complete-flip"}))
    assert make_plan(DesiredState((acknowledged,)), target(account), now=NOW).verdicts == ()
    assert [call for call in account.calls if call[0] == "outcome_use"] == [("outcome_use", "100")] * 2


def test_a_flip_no_live_record_carries_needs_no_acknowledgement() -> None:
    planned = make_plan(DesiredState((_code("Call back", complete=True),)), target(FakeContactNow()), now=NOW)
    assert planned.verdicts == ()
    assert planned.plan.changes[0].notes == ("complete N -> Y: no live record carries outcome 100",)


def test_the_records_a_flip_would_touch_join_the_live_digest() -> None:
    account = FakeContactNow(use={"100": OutcomeUse(5, 50)})
    flip = DesiredState((_code("Call back", complete=True, acknowledge=frozenset({"complete-flip"})),))
    before = make_plan(flip, target(account), now=NOW).plan.live_digests
    account.use["100"] = OutcomeUse(6, 50)
    assert make_plan(flip, target(account), now=NOW).plan.live_digests != before


# ------------------------------------------------------------------------------------ with record sets


def _records_completing_with(outcome: str) -> tuple[Desired, ...]:
    dataset = DesiredDataset(
        "Dataset/spring", Location("manifests/datasets.yaml", 1, 1), want=Dataset("Willtest", "Spring")
    )
    rows = [{"VENDOR_URN": "A-1", "FirstName": "Ann", "MobilePhone": "07700900001"}]
    return dataset, record_set(rows, absent=Policy("complete", outcome))


def _live_records(account: FakeContactNow) -> None:
    rows = [{"VENDOR_URN": f"A-{n}", "FirstName": "X", "MobilePhone": "07700900001"} for n in (1, 2)]
    account.add_dataset(Dataset("Willtest", "Spring", Status.HOLD, 0, 0, 4), rows)


def test_a_record_set_may_complete_with_a_code_this_plan_creates_first() -> None:
    account = FakeContactNow()
    _live_records(account)
    records = _records_completing_with("700001")
    with pytest.raises(PlanError) as refused:
        make_plan(DesiredState(records), target(account), now=NOW)
    assert [problem.reason for problem in refused.value.problems] == [
        "outcome code 700001 (spec.absent.outcome) does not exist"
    ]
    desired = DesiredState((_code(outcome="700001"), *records))
    planned = make_plan(desired, target(account), now=NOW)
    assert [change.address for change in planned.plan.changes] == [
        "OutcomeCode/opted-out",
        "RecordSet/spring",
    ]
    assert apply_plan(planned.plan, desired, target(account), Quiet()).ok
    assert [call[:2] for call in _writes(account)] == [("create_outcome", "700001"), ("complete_records", 4)]


def test_a_record_set_is_refused_a_code_this_plan_makes_incomplete() -> None:
    account = FakeContactNow()
    _live_records(account)
    demoted = _code(
        "Completed by the reconciler", "510456", complete=False, acknowledge=frozenset({"complete-flip"})
    )
    with pytest.raises(PlanError) as refused:
        make_plan(DesiredState((demoted, *_records_completing_with("510456"))), target(account), now=NOW)
    assert [problem.reason for problem in refused.value.problems] == [
        "outcome code 510456 (Completed by the reconciler) is not a complete outcome (complete = N)"
    ]
