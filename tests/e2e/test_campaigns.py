"""CcCampaign and OutcomeCode through the CLI, against the emulator: every pair of the vendor's campaign graph,
the acknowledgements, the order of status changes and member changes in the request log, drift after the
dialler moved campaigns, the complete-flip guard, and codes created before the records that use them."""

from __future__ import annotations

import itertools
import json

import pytest
from harness.project import Project
from support import document, membership_doc

from reconciler.emulator.view import Member
from reconciler.model.campaign import OPERATOR_CODE, STATE_OF, CampaignState, path

S = CampaignState
LIVE_CODE = {S.NEW: 0, S.RUNNING: 3, S.PAUSED: 8, S.PURGED: 10, S.STOPPED: 5}
"""The status each state is set to before a test (an operator's code, or 0 New)."""
DECLARED = (S.RUNNING, S.PAUSED, S.PURGED, S.STOPPED)


def campaign_doc(status: str, *acknowledge: str, campaign: int = 125, name: str = "winback") -> str:
    spec: dict[str, object] = {"campaign": campaign, "status": status}
    if acknowledge:
        spec["acknowledge"] = f"[{', '.join(acknowledge)}]"
    return document("CcCampaign", name, **spec)


def acknowledgements(live: CampaignState, declared: CampaignState) -> tuple[str, ...]:
    way = path(live, declared) or ()
    return tuple(
        risk for risk, needed in (("run", S.RUNNING in way[:-1]), ("stop", S.STOPPED in way)) if needed
    )


def status_changes(project: Project, mark: int) -> list[str]:
    """What each status change did, as the emulator logged it: `200 3->8`, `error=Invalid state transition`."""
    return [entry.result for entry in project.log(mark, op="cc.status")]


@pytest.mark.parametrize("declared", DECLARED, ids=lambda state: state.value)
@pytest.mark.parametrize("live", tuple(LIVE_CODE), ids=lambda state: f"from-{state.value}")
def test_every_pair_of_the_graph(project: Project, live: CampaignState, declared: CampaignState) -> None:
    """20 pairs: 13 ways apply and verify, one edge at a time; 4 are no change; 3 (out of Stopped) are refused at
    plan time with the exact message and no write."""
    project.view.set_campaign(125, status=LIVE_CODE[live])
    project.write("manifests/campaigns.yaml", campaign_doc(declared.value, *acknowledgements(live, declared)))
    mark = project.mark()
    way = path(live, declared)
    if way is None:
        refused = project.cli("apply", "--auto-approve")
        assert refused.exit_code == 1
        assert refused.stderr == (
            "Error: cannot plan: 1 problem\n"
            f"  {project.root}/manifests/campaigns.yaml:5:9: CcCampaign/winback: campaign 125 was stopped by an "
            f"operator, outside git: it is Stopped (status 5, Manual Stopped), and Stopped is final, so it can never be "
            f"{declared.value} again (declare status: STOPPED to record it, or point spec.campaign at a new "
            "campaign (created in CC Configuration Manager))\n"
        )
        assert project.writes(mark) == []
        return
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    codes = [LIVE_CODE[live], *(OPERATOR_CODE[state] for state in way)]
    assert status_changes(project, mark) == [f"200 {a}->{b}" for a, b in itertools.pairwise(codes)]
    assert [entry.op for entry in project.writes(mark)] == ["cc.status"] * len(way)
    assert STATE_OF[project.view.campaign_status(125)] is declared
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize(
    ("live", "declared", "shown"),
    [
        (S.NEW, S.PAUSED, "NEW -> RUNNING -> PAUSED"),
        (S.NEW, S.PURGED, "NEW -> RUNNING -> PAUSED -> PURGED"),
        (S.NEW, S.STOPPED, "NEW -> RUNNING -> STOPPED"),
        (S.PURGED, S.PAUSED, "PURGED -> RUNNING -> PAUSED"),
    ],
)
def test_a_way_through_running_is_refused_without_acknowledgement(
    project: Project, live: CampaignState, declared: CampaignState, shown: str
) -> None:
    project.view.set_campaign(125, status=LIVE_CODE[live])
    stop = ("stop",) if declared is S.STOPPED else ()
    project.write("manifests/campaigns.yaml", campaign_doc(declared.value, *stop))
    mark = project.mark()
    refused = project.cli("plan")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: plan refused by a safety guard: 1 problem\n"
        f"  {project.root}/manifests/campaigns.yaml:5:9: CcCampaign/winback: campaign 125 goes {shown}: it dials "
        "while RUNNING on the way (add `acknowledge: [run]` to the CcCampaign spec if dialling on the way is acceptable)\n"
    )
    assert project.cli("apply", "--auto-approve").exit_code == 1
    assert project.writes(mark) == []


def test_a_stop_is_refused_without_acknowledgement(project: Project) -> None:
    project.write("manifests/campaigns.yaml", campaign_doc("STOPPED"))
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[1] == (
        f"  {project.root}/manifests/campaigns.yaml:5:9: CcCampaign/winback: campaign 125 goes RUNNING -> "
        "STOPPED: STOPPED is final, and the campaign can never run again (add `acknowledge: [stop]` to the "
        "CcCampaign spec, so that git records that it stopped for good)"
    )
    assert project.writes(mark) == []


def test_the_plan_says_what_a_pause_leaves_dialling(project: Project) -> None:
    project.write("manifests/campaigns.yaml", campaign_doc("PAUSED"))
    plan = project.cli("plan")
    assert plan.exit_code == 0, plan.output
    assert (
        "  ~ CcCampaign/winback will be updated\n"
        '      status: "RUNNING" -> "PAUSED"\n'
        "      # campaign 125 is Running (status 3, Manual Running); the way there: PAUSED\n"
        "      # PAUSED still dials the records already queued; PURGED also flushes them\n"
    ) in plan.stdout


def test_members_are_added_after_the_campaign_starts(project: Project) -> None:
    """Campaign 129 is New: its members can only be added once this plan has started it."""
    members = membership_doc(campaign=129, members="[{customer-id: 10000001}, {customer-id: 10000002}]")
    project.write("manifests/members.yaml", members)
    alone = project.cli("plan")
    assert alone.exit_code == 1
    assert "campaign 129 has not started (status 0)" in alone.stderr
    project.write("manifests/campaigns.yaml", campaign_doc("RUNNING", campaign=129, name="new-one"))
    mark = project.mark()
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert [entry.op for entry in project.writes(mark)] == ["cc.status", "cc.add"]
    assert status_changes(project, mark) == ["200 0->3"]
    assert sorted(project.members(129)) == ["10000001", "10000002"]
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_members_are_removed_before_the_campaign_stops(project: Project) -> None:
    project.view.add_members(125, [Member(10000001), Member(10000002), Member(10000003)])
    members = membership_doc(members="[{customer-id: 10000002}]", absent="remove")
    project.write("manifests/members.yaml", members)
    project.write("manifests/campaigns.yaml", campaign_doc("STOPPED", "stop"))
    plan = project.cli("plan", "--format", "json")
    assert [change["address"] for change in json.loads(plan.stdout)["changes"]] == [
        "CampaignMembership/winback",
        "CcCampaign/winback",
    ]
    mark = project.mark()
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert [entry.op for entry in project.writes(mark)] == ["cc.delete", "cc.delete", "cc.status"]
    assert status_changes(project, mark) == ["200 3->5"]
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_a_scoped_apply_never_stops_a_campaign_before_its_removals(project: Project) -> None:
    project.view.add_members(125, [Member(10000001)])
    project.write(
        "manifests/members.yaml", membership_doc(members="[{customer-id: 10000002}]", absent="remove")
    )
    project.write("manifests/campaigns.yaml", campaign_doc("STOPPED", "stop"))
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve", "--only", "CcCampaign/winback")
    assert refused.exit_code == 1
    assert (
        "CcCampaign/winback: would stop campaign 125 while CampaignMembership/winback, out of scope, still has "
        "members to change (add --only CampaignMembership/winback so its members change first (or stop "
        "excluding it))" in refused.stderr
    )
    assert project.writes(mark) == []


# ------------------------------------------------------------------------------------------------ drift


def test_drift_tells_an_operators_change_from_the_schedules_and_the_dialers(project: Project) -> None:
    project.view.add_campaign(130, "Paused by schedule", status=9)
    project.view.add_campaign(140, "Ends soon", status=3, end="2099-01-01T00:00:00+00:00")
    project.view.add_campaign(141, "Ends today", status=3, end="2099-01-01T00:00:00+00:00")
    project.view.add_members(140, [Member(10000001)])
    project.write(
        "manifests/campaigns.yaml",
        campaign_doc("RUNNING")
        + campaign_doc("RUNNING", campaign=130, name="paused-by-schedule")
        + campaign_doc("RUNNING", campaign=140, name="ends-soon")
        + campaign_doc("RUNNING", campaign=141, name="ends-today"),
    )
    clean = project.cli("drift")
    assert clean.exit_code == 0, clean.output

    # An operator pauses 125 in the vendor's UI (its API, as the UI does); the dialler completes 140's members;
    # 141's end time passes.
    paused = project.http.patch(
        "/cc/api/tstats/campaigns/125", json={"status": "PAUSED"}, auth=("demo", "demo-token")
    )
    assert paused.status_code == 200
    project.view.set_campaign(141, end="2000-01-01T00:00:00+00:00")
    simulated = project.http.post("/_emulator/simulate", json={"steps": 10, "seed": 3})
    assert simulated.json()["campaigns_moved"] == 2
    assert (project.view.campaign_status(140), project.view.campaign_status(141)) == (6, 7)

    report = project.root / "drift.json"
    drifted = project.cli("drift", "--report", str(report))
    assert drifted.exit_code == 2, drifted.output
    body = json.loads(report.read_text())
    assert [(item["address"], item["fields"]) for item in body["config_drift"]] == [
        ("CcCampaign/winback", [{"field": "status", "before": "PAUSED", "after": "RUNNING"}])
    ]
    assert [(item["address"], item["message"]) for item in body["irreversible"]] == [
        (
            "CcCampaign/ends-soon",
            "campaign 140 was completed by the dialler (every record is done): it is Stopped (status 6, "
            "Completed), and Stopped is final, so it can never be RUNNING again",
        ),
        (
            "CcCampaign/ends-today",
            "campaign 141 was stopped by its schedule: it is Stopped (status 7, Schedule Stopped), and Stopped is "
            "final, so it can never be RUNNING again",
        ),
    ]
    assert [(item["address"], item["message"]) for item in body["churn"]] == [
        (
            "CcCampaign/paused-by-schedule",
            "campaign 130 is Paused (status 9, Schedule Paused), moved there by its schedule; RUNNING is declared, "
            "and the plan leaves the campaign to its schedule",
        )
    ]
    assert body["problems"] == [] and body["errors"] == []


# ---------------------------------------------------------------------------------------------- outcome codes


def outcome_doc(description: str, *, outcome: int | None = None, complete: bool, **spec: object) -> str:
    pinned: dict[str, object] = {} if outcome is None else {"outcome": outcome}
    return document(
        "OutcomeCode",
        "code",
        **pinned,
        description=description,
        complete=str(complete).lower(),
        **spec,
    )


def test_a_complete_flip_on_a_code_in_use_needs_acknowledgement(project: Project) -> None:
    """20,000 live records, 12,400 of which carry outcome 501638 (complete N): making it complete would take
    them off the dialler."""
    view = project.view
    first = view.add_dataset("Willtest", status="LIVE")
    second = view.add_dataset("nelsontest", status="HOLD")
    view.add_records(first, ({"outcomecode": "501638" if n < 9_000 else "100"} for n in range(12_000)))
    view.add_records(second, ({"outcomecode": "501638" if n < 3_400 else ""} for n in range(8_000)))
    flip = outcome_doc("Need more information", outcome=501638, complete=True, dmc="true", sale="true")
    project.write("manifests/outcomecodes.yaml", flip)
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: plan refused by a safety guard: 1 problem\n"
        f"  {project.root}/manifests/outcomecodes.yaml:5:9: OutcomeCode/code: flips dialability of 12,400 records: 62% "
        "(12400/20000) of the account's live records carry outcome 501638, and complete N -> Y takes them off the "
        "dialler (if every record that carries the code should change, add `acknowledge: [complete-flip]` to the "
        "OutcomeCode spec; otherwise create a new code for the new meaning)\n"
    )
    assert project.writes(mark) == []

    project.write("manifests/outcomecodes.yaml", flip + "  acknowledge: [complete-flip]\n")
    plan = project.cli("plan")
    assert "      # flips dialability of 12,400 records: 62% (12400/20000)" in plan.stdout
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert [entry.op for entry in project.writes(mark)] == ["outcomecodes.update"]
    assert view.outcomes()["501638"] is True
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_a_code_is_created_before_the_records_completed_with_it(project: Project) -> None:
    view = project.view
    dataset = view.add_dataset("Willtest", description="Spring 2026")
    view.add_records(dataset, ({"VENDOR_URN": f"U{n}", "MobilePhone": "07700900001"} for n in range(3)))
    project.write(
        "manifests/all.yaml",
        outcome_doc("Opted out", outcome=700001, complete=True, doNotCall="true")
        + document("Dataset", "spring", campaign="Willtest", description="Spring 2026")
        + document(
            "RecordSet",
            "spring-records",
            dataset="spring",
            fields="[MobilePhone]",
            rows='[{VENDOR_URN: U0, MobilePhone: "07700900001"}]',
            absent="{policy: complete, outcome: 700001}",
        ),
    )
    mark = project.mark()
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert [entry.op for entry in project.writes(mark)] == ["outcomecodes.create", "ecnow_records.update"]
    completed = {row["VENDOR_URN"]: row["outcomecode"] for row in view.records()}
    assert completed == {"U0": "", "U1": "700001", "U2": "700001"}
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_a_system_code_cannot_be_changed(project: Project) -> None:
    project.write("manifests/outcomecodes.yaml", outcome_doc("No Answer", outcome=100, complete=True))
    refused = project.cli("plan")
    assert refused.exit_code == 1
    assert (
        "OutcomeCode/code: outcome code 100 (No Answer) is a system code and cannot be changed (complete differ)"
        in refused.stderr
    )
