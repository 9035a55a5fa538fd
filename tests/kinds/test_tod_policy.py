"""TodPolicy and Queue planned and applied against the in-memory ContactNow: a queue waits for the policy it
names, a policy whose rules failed is completed by the next apply with no queue pointed at it meanwhile, rules a
policy no longer has (neutralised, as the API deletes none) are not a difference, and two live policies with one
description are a problem."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fakes import FakeContactNow, Quiet, target

from reconciler.apply.runner import apply_plan
from reconciler.apply.steps import Outcome
from reconciler.errors import Location, PlanError
from reconciler.kinds.base import DesiredState
from reconciler.kinds.queue import DesiredQueue
from reconciler.kinds.tod_policy import DesiredTodPolicy
from reconciler.model.calling.tod import NEUTRAL, TodPolicyValue, TodRule
from reconciler.plan.changes import Action, FieldChange
from reconciler.planner import make_plan
from reconciler.providers.base import QueueInfo

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
WHERE = Location("manifests/calling.yaml", 4, 9)
UK = TodPolicyValue(
    "UK hours",
    "Europe/London",
    False,
    (TodRule(frozenset(range(5)), span=(540, 1200)), TodRule(on=date(2026, 12, 25), active=False)),
)


def _account() -> FakeContactNow:
    return FakeContactNow(queues=(QueueInfo("75674454", "outbound", "Renewals", "01632960000"),))


def _desired() -> DesiredState:
    return DesiredState(
        (
            DesiredQueue("Queue/willtest", WHERE, qid=75674454, tod_policy="TodPolicy/uk-hours"),
            DesiredTodPolicy("TodPolicy/uk-hours", WHERE, want=UK),
        )
    )


def test_a_new_policy_is_written_before_its_queue_points_at_it() -> None:
    account = _account()
    planned = make_plan(_desired(), target(account), now=NOW)
    policy, queue = planned.plan.changes
    assert (policy.action, policy.address) == (Action.CREATE, "TodPolicy/uk-hours")
    assert policy.fields[-1] == FieldChange(
        "rules", None, "1 mon,tue,wed,thu,fri 09:00-20:00 active; 2 2026-12-25 all day inactive"
    )
    assert queue.fields == (FieldChange("todPolicy", "0", "TodPolicy/uk-hours (created by this apply)"),)
    assert apply_plan(planned.plan, _desired(), target(account), Quiet()).ok
    assert [call for call in account.calls if call[0] != "catalog" and call[0] != "tod_policies"] == [
        ("create_tod_policy", "UK hours"),
        ("write_tod_rules", "1", 2),
        ("update_queue", 75674454, "1", None),
    ]
    assert make_plan(_desired(), target(account), now=NOW).plan.empty


def test_a_policy_whose_rules_fail_is_reported_and_its_queue_waits_for_the_next_apply() -> None:
    account = _account()
    account.refuse_rules = True
    planned = make_plan(_desired(), target(account), now=NOW)
    reporter = Quiet()
    assert not apply_plan(planned.plan, _desired(), target(account), reporter).ok
    assert [(result.address, result.outcome, result.detail) for result in reporter.results] == [
        (
            "TodPolicy/uk-hours",
            Outcome.FAILED,
            "created time-of-day policy 1, but the rules of time-of-day policy 1 were not all written: Invalid "
            "time [24:00]; no queue is pointed at it, and the next apply completes it",
        ),
        ("Queue/willtest", Outcome.SKIPPED, "not pointed at TodPolicy/uk-hours, which failed"),
    ]
    assert account.queues[0].tod == ""
    account.refuse_rules = False
    again = make_plan(_desired(), target(account), now=NOW)
    policy, queue = again.plan.changes
    assert (policy.action, [change.field for change in policy.fields]) == (Action.UPDATE, ["rules"])
    assert queue.fields == (FieldChange("todPolicy", "0", "1"),)
    assert apply_plan(again.plan, _desired(), target(account), Quiet()).ok
    assert account.queues[0].tod == "1"
    assert make_plan(_desired(), target(account), now=NOW).plan.empty


def test_neutralised_rule_numbers_are_not_a_difference() -> None:
    account = _account()
    account.tod["7"] = TodPolicyValue(UK.description, UK.zone, False, (*UK.rules, NEUTRAL, NEUTRAL))
    account.queues = (QueueInfo("75674454", "outbound", "Renewals", "01632960000", "7"),)
    assert make_plan(_desired(), target(account), now=NOW).plan.empty


def test_two_live_policies_with_one_description_are_a_problem() -> None:
    account = _account()
    account.tod["3"] = UK
    account.tod["4"] = UK
    with pytest.raises(PlanError) as refused:
        make_plan(_desired(), target(account), now=NOW)
    assert [str(problem) for problem in refused.value.problems] == [
        'manifests/calling.yaml:4:9: TodPolicy/uk-hours: 2 live time-of-day policies are described "UK hours" '
        "(uids 3, 4) (rename all but one in ContactNow: a policy is matched by its description)"
    ]
