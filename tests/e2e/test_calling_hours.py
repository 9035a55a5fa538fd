"""Calling hours end to end, through the CLI against the emulator: time-of-day policies and queues written and
converged, a policy whose rules fail is completed by the next apply with no queue pointed at it meanwhile, and
each refusal with its exact message and no write."""

from __future__ import annotations

from pathlib import Path

from harness.project import FAST_SETTINGS, Project
from support import document

UK_HOURS = document(
    "TodPolicy",
    "uk-hours",
    description='"UK hours"',
    timezone="Europe/London",
    default="inactive",
    rules='[{days: [mon, tue, wed, thu, fri, sat, sun], hours: "09:00-20:00", action: active}, '
    '{date: "2026-12-25", action: inactive}]',
)
QUEUE = document("Queue", "willtest", qid=75674454, todPolicy="uk-hours")


def _rules(project: Project) -> list[tuple[object, ...]]:
    return project.state.store.execute(
        'SELECT p.description, p.timezone, p."default", r.rule, r.days, r.date, r.start, r."end", r.action'
        " FROM cn_tod_rules r JOIN cn_tod_policies p ON p.uid = r.policy ORDER BY r.policy, r.rule"
    )


def _queue(project: Project, qid: int = 75674454) -> tuple[object, ...]:
    (row,) = project.state.store.execute("SELECT tod, callerid FROM cn_queues WHERE qid = ?", (qid,))
    return row


def test_a_policy_and_its_queue_are_written_and_converge(project: Project) -> None:
    project.write("manifests/calling.yaml", UK_HOURS + QUEUE)
    planned = project.cli("plan")
    assert planned.exit_code == 0, planned.stdout + planned.stderr
    assert "+ TodPolicy/uk-hours will be created" in planned.stdout
    assert 'todPolicy: "0" -> "TodPolicy/uk-hours (created by this apply)"' in planned.stdout
    mark = project.mark()
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "Verified: the live state matches the manifests." in applied.stdout
    assert _rules(project) == [
        (
            "UK hours",
            "Europe/London",
            "inactive",
            1,
            "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
            "",
            "09:00",
            "19:59",
            "active",
        ),
        ("UK hours", "Europe/London", "inactive", 2, "", "2026-12-25", "00:00", "23:59", "inactive"),
    ]
    (uid,) = project.state.store.execute("SELECT uid FROM cn_tod_policies")[0]
    assert _queue(project) == (uid, "01632960000")
    assert [entry.op for entry in project.writes(mark)] == [
        "tod_policy.create",
        "tod_rules.create",
        "queues.update",
    ]
    again = project.mark()
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert project.writes(again) == []


def test_a_rule_change_updates_in_place_and_a_dropped_rule_is_neutralised(project: Project) -> None:
    project.write("manifests/calling.yaml", UK_HOURS + QUEUE)
    assert project.cli("apply", "--auto-approve").exit_code == 0
    fewer = UK_HOURS.replace(', {date: "2026-12-25", action: inactive}]', "]").replace("20:00", "19:00")
    project.write("manifests/calling.yaml", fewer + QUEUE)
    planned = project.cli("plan")
    assert (
        'rules: "1 mon,tue,wed,thu,fri,sat,sun 09:00-20:00 active; 2 2026-12-25 all day inactive" -> '
        '"1 mon,tue,wed,thu,fri,sat,sun 09:00-19:00 active"'
    ) in planned.stdout
    mark = project.mark()
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert [row[3:] for row in _rules(project)] == [
        (1, "Mon,Tue,Wed,Thu,Fri,Sat,Sun", "", "09:00", "18:59", "active"),
        (2, "", "2000-01-01", "00:00", "23:59", "inactive"),
    ]
    assert [entry.op for entry in project.writes(mark)] == ["tod_rules.update"]
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_a_policy_whose_rules_fail_is_reported_no_queue_points_at_it_and_the_next_apply_completes_it(
    project: Project,
) -> None:
    project.setenv(**FAST_SETTINGS)
    project.write("manifests/calling.yaml", UK_HOURS + QUEUE)
    project.fault("error:status=400:match=tod_rules.create")
    failed = project.cli("apply", "--auto-approve")
    assert failed.exit_code == 1
    assert project.state.store.execute("SELECT description FROM cn_tod_policies") == [("UK hours",)]
    assert _rules(project) == []
    assert _queue(project) == (0, "01632960000")
    out = failed.stdout + failed.stderr
    assert "TodPolicy/uk-hours" in out and "no queue is pointed at it, and the next apply completes it" in out
    assert "Queue/willtest" in out and "not pointed at TodPolicy/uk-hours, which failed" in out
    project.clear_faults()
    planned = project.cli("plan")
    assert "~ TodPolicy/uk-hours will be updated" in planned.stdout
    mark = project.mark()
    completed = project.cli("apply", "--auto-approve")
    assert completed.exit_code == 0, completed.stdout + completed.stderr
    assert len(_rules(project)) == 2
    (uid,) = project.state.store.execute("SELECT uid FROM cn_tod_policies")[0]
    assert _queue(project) == (uid, "01632960000")
    assert [entry.op for entry in project.writes(mark)] == ["tod_rules.create", "queues.update"]


def test_a_premium_rate_caller_id_is_refused_before_any_write(project: Project) -> None:
    project.write(
        "manifests/calling.yaml",
        UK_HOURS
        + document("Queue", "willtest", qid=75674454, todPolicy="uk-hours", callerId='"0845 123 4567"'),
    )
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: cannot plan: 1 problem\n  {project.root}/manifests/calling.yaml:19:13: Queue/willtest: caller ID "
        '"0845 123 4567" is service-charged (084): the called party is charged to ring it back (set spec.callerId '
        "to a geographic or mobile number the called party can ring back at a normal rate)\n"
    )
    assert project.writes(mark) == []


def test_a_live_queue_without_a_caller_id_is_refused(project: Project) -> None:
    project.write(
        "manifests/calling.yaml", UK_HOURS + document("Queue", "nelson", qid=829603, todPolicy="uk-hours")
    )
    mark = project.mark()
    refused = project.cli("plan")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: cannot plan: 1 problem\n  {project.root}/manifests/calling.yaml:15:9: Queue/nelson: caller ID "
        '"" (live) is empty: a call would reach the called party without a number to ring back (set spec.callerId '
        "to a geographic or mobile number the called party can ring back at a normal rate)\n"
    )
    assert project.writes(mark) == []


def test_a_cc_campaign_presenting_a_premium_caller_id_is_refused_before_any_write(project: Project) -> None:
    project.view.add_campaign(140, "Premium", status=3, caller_id="0871 222 3333")
    project.view.add_campaign(141, "Fine", status=3, caller_id="+44 20 7946 0000")
    project.write(
        "manifests/campaigns.yaml",
        document("CcCampaign", "premium", campaign=140, status="PAUSED")
        + document("CcCampaign", "fine", campaign=141, status="PAUSED"),
    )
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: cannot plan: 1 problem\n  {project.root}/manifests/campaigns.yaml:5:9: CcCampaign/premium: campaign "
        '140 presents caller ID "0871 222 3333", which is service-charged (087): the called party is charged to ring '
        "it back (set the campaign's caller ID in Contact Center to a geographic or mobile number the called party "
        "can ring back at a normal rate)\n"
    )
    assert project.writes(mark) == []
    assert (project.view.campaign_status(140), project.view.campaign_status(141)) == (3, 3)


def test_export_writes_the_policies_and_the_queues_that_use_them_and_plans_empty(
    project: Project, tmp_path: Path
) -> None:
    project.write("manifests/calling.yaml", UK_HOURS + QUEUE)
    assert project.cli("apply", "--auto-approve").exit_code == 0
    out = tmp_path / "exported"
    exported = project.cli("export", "--out", str(out))
    assert exported.exit_code == 0, exported.stdout + exported.stderr
    body = (out / "manifests/todpolicies.yaml").read_text()
    assert body.split("apiVersion", 1)[1] == (
        ": reconciler/v1\nkind: TodPolicy\nmetadata: {name: uk-hours}\nspec:\n  description: UK hours\n"
        "  timezone: Europe/London\n  default: inactive\n  rules:\n"
        "    - {days: [mon, tue, wed, thu, fri, sat, sun], hours: 09:00-20:00, action: active}\n"
        "    - {date: '2026-12-25', action: inactive}\n"
    )
    queues = (out / "manifests/queues.yaml").read_text()
    assert queues.split("apiVersion", 1)[1] == (
        ": reconciler/v1\nkind: Queue\nmetadata: {name: willtest-outbound}\nspec:\n  qid: 75674454\n"
        "  todPolicy: uk-hours\n  callerId: '01632960000'\n"
    )
    replanned = project.mode.invoke(["plan", str(out), "--detailed-exitcode"])
    assert replanned.exit_code == 0, replanned.stdout + replanned.stderr
