"""--only and --exclude over real HTTP: scoped plans change only the named resources, dependencies are read but
never changed, unsafe splits are refused with the remedy, and a saved scoped plan keeps its scope."""

from __future__ import annotations

import json
from typing import Any

from harness.project import Project

DATASETS = """---
apiVersion: reconciler/v1
kind: Dataset
metadata: {{name: spring}}
spec: {{campaign: Willtest, description: Spring, status: {spring_status}, priority: {spring_priority}}}
---
apiVersion: reconciler/v1
kind: Dataset
metadata: {{name: nelson}}
spec: {{campaign: nelsontest, description: Nelson, status: {nelson_status}{nelson_extra}}}
---
apiVersion: reconciler/v1
kind: RecordSet
metadata: {{name: spring}}
spec: {{dataset: spring, fields: [FirstName, MobilePhone], source: spring.csv}}
---
apiVersion: reconciler/v1
kind: RecordSet
metadata: {{name: nelson}}
spec: {{dataset: nelson, fields: [FirstName, MobilePhone], source: nelson.csv}}
---
apiVersion: reconciler/v1
kind: CampaignMembership
metadata: {{name: winback}}
spec:
  campaign: 125
  members: [{members}]
"""


def write(
    project: Project,
    *,
    spring: int = 3,
    nelson: int = 2,
    members: int = 2,
    spring_status: str = "HOLD",
    spring_priority: int = 0,
    nelson_status: str = "HOLD",
    nelson_extra: str = "",
) -> None:
    project.write(
        "manifests/all.yaml",
        DATASETS.format(
            spring_status=spring_status,
            spring_priority=spring_priority,
            nelson_status=nelson_status,
            nelson_extra=nelson_extra,
            members=", ".join(f"{{customer-id: {10000000 + n}}}" for n in range(members)),
        ),
    )
    for name, count in (("spring", spring), ("nelson", nelson)):
        lines = ["VENDOR_URN,FirstName,MobilePhone"]
        lines += [f"{name[0].upper()}{n},Name{n},07700900{n:03d}" for n in range(count)]
        project.write(f"manifests/{name}.csv", "\n".join(lines) + "\n")


def snapshot(project: Project) -> dict[str, list[Any]]:
    view = project.view
    return {
        "datasets": view.datasets(),
        "spring": view.records(view.dataset("Spring")),
        "nelson": view.records(view.dataset("Nelson")),
        "members": sorted((member.customer, member.status) for member in view.members(125)),
    }


def converge(project: Project) -> None:
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr


def test_only_a_record_set_writes_only_its_records(project: Project) -> None:
    write(project)
    converge(project)
    write(project, spring=5, nelson=4, members=3, spring_priority=20, nelson_status="LIVE")
    before = snapshot(project)
    planned = project.cli("plan", "--only", "RecordSet/spring")
    assert planned.exit_code == 0, planned.stderr
    assert "+ RecordSet/spring" not in planned.stdout
    assert "~ RecordSet/spring will be updated" in planned.stdout
    assert "Dataset/" not in planned.stdout.split("Observed")[0]
    assert planned.stderr.splitlines()[-1] == (
        f"Run `reconciler apply {project.root} --only RecordSet/spring` to apply it."
    )

    mark = project.mark()
    applied = project.cli("apply", "--auto-approve", "--only", "RecordSet/spring")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert [(entry.op, entry.rows) for entry in project.writes(mark)] == [("ecnow_records.create", 2)]
    after = snapshot(project)
    assert after["datasets"] == before["datasets"]
    assert after["nelson"] == before["nelson"]
    assert after["members"] == before["members"]
    assert [record["VENDOR_URN"] for record in after["spring"]] == ["S0", "S1", "S2", "S3", "S4"]
    assert "Verified: the live state matches the manifests." in applied.stdout


def test_exclude_leaves_the_named_resources_alone(project: Project) -> None:
    write(project)
    converge(project)
    write(project, spring=5, nelson=4, members=3, spring_priority=20)
    before = snapshot(project)
    mark = project.mark()
    applied = project.cli(
        "apply", "--auto-approve", "--exclude", "RecordSet/spring", "--exclude", "CampaignMembership/winback"
    )
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert sorted((entry.op, entry.rows) for entry in project.writes(mark)) == [
        ("ecnow_datasets.update", 1),
        ("ecnow_records.create", 2),
    ]
    after = snapshot(project)
    assert after["spring"] == before["spring"]
    assert after["members"] == before["members"]
    assert len(after["nelson"]) == 4
    assert [dataset.priority for dataset in after["datasets"] if dataset.description == "Spring"] == [20]
    # The excluded changes are still there for an unscoped plan.
    rest = project.cli("plan", "--detailed-exitcode")
    assert rest.exit_code == 2
    assert rest.stdout.splitlines()[-1] == (
        "Plan: 0 resources to create, 2 to change; 3 rows to create, 0 to change, 0 to complete/remove."
    )


def test_unknown_addresses_are_listed_with_the_known_ones(project: Project) -> None:
    write(project)
    result = project.cli("plan", "--only", "RecordSet/sprung", "--exclude", "Dataset/x")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: unknown addresses --only RecordSet/sprung, --exclude Dataset/x; name resources as Kind/name "
        "(known: CampaignMembership/winback, Dataset/nelson, Dataset/spring, RecordSet/nelson, RecordSet/spring)\n"
    )
    assert project.writes() == []
    nothing = project.cli("plan", "--only", "Dataset/spring", "--exclude", "Dataset/spring")
    assert nothing.exit_code == 1
    assert nothing.stderr == (
        "Error: --only Dataset/spring --exclude Dataset/spring leaves no resource to plan; "
        "name at least one resource\n"
    )


def test_records_of_a_dataset_that_does_not_exist_yet_are_refused(project: Project) -> None:
    write(project)
    result = project.cli("plan", "--only", "RecordSet/spring")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: cannot plan: 1 problem\n"
        "  RecordSet/spring: its dataset Dataset/spring does not exist yet and is out of scope "
        "(add --only Dataset/spring (or stop excluding it))\n"
    )
    assert project.writes() == []


def test_records_wait_for_an_out_of_scope_move_to_hold(project: Project) -> None:
    write(project, spring_status="LIVE")
    converge(project)
    write(project, spring=4, spring_status="HOLD")
    refused = project.cli("plan", "--only", "RecordSet/spring")
    assert refused.exit_code == 1
    assert "RecordSet/spring: its dataset Dataset/spring must go from LIVE to HOLD before records change" in (
        refused.stderr
    )
    both = project.cli("apply", "--auto-approve", "--only", "RecordSet/spring", "--only", "Dataset/spring")
    assert both.exit_code == 0, both.stdout + both.stderr
    assert project.view.dataset("Spring").status == "HOLD"


def test_a_dataset_does_not_go_live_before_its_out_of_scope_records(project: Project) -> None:
    write(project)
    converge(project)
    write(project, spring=4, spring_status="LIVE")
    refused = project.cli("plan", "--only", "Dataset/spring")
    assert refused.exit_code == 1
    assert refused.stderr.endswith(
        "Dataset/spring: would go LIVE while RecordSet/spring, out of scope, still has records to load or "
        "change (add --only RecordSet/spring so the records load first (or stop excluding it))\n"
    )
    mark = project.mark()
    records_first = project.cli("apply", "--auto-approve", "--only", "RecordSet/spring")
    assert records_first.exit_code == 0, records_first.stdout + records_first.stderr
    live = project.cli("apply", "--auto-approve", "--only", "Dataset/spring")
    assert live.exit_code == 0, live.stdout + live.stderr
    assert [(entry.op, entry.rows) for entry in project.writes(mark)] == [
        ("ecnow_records.create", 1),
        ("ecnow_datasets.update", 1),
    ]
    assert project.view.dataset("Spring").status == "LIVE"


def test_guards_of_resources_out_of_scope_do_not_refuse(project: Project) -> None:
    write(project)
    converge(project)
    write(project, spring=4, nelson_status="EXPIRED")
    unscoped = project.cli("plan")
    assert unscoped.exit_code == 1
    assert "plan refused by a safety guard" in unscoped.stderr
    scoped = project.cli("plan", "--exclude", "Dataset/nelson")
    assert scoped.exit_code == 0, scoped.stderr
    assert "RecordSet/spring" in scoped.stdout
    only_it = project.cli("plan", "--only", "Dataset/nelson")
    assert only_it.exit_code == 1
    assert "Dataset/nelson: moves to EXPIRED, which is irreversible" in only_it.stderr


def test_a_saved_scoped_plan_keeps_its_scope_and_its_stale_check(project: Project) -> None:
    write(project)
    converge(project)
    write(project, spring=4, nelson=3)
    plan_file = project.root / "plan.json"
    planned = project.cli("plan", "--only", "RecordSet/spring", "--out", str(plan_file))
    assert planned.exit_code == 0, planned.stderr
    body = json.loads(plan_file.read_text())
    assert body["scope"] == {"only": ["RecordSet/spring"], "exclude": []}
    assert [change["address"] for change in body["changes"]] == ["RecordSet/spring"]
    assert sorted(body["observed"]["live"]) == ["Dataset/spring", "RecordSet/spring"]
    assert planned.stderr.splitlines()[-1] == (
        f"Saved to {plan_file}; apply exactly this plan "
        f"with `reconciler apply {project.root} --plan {plan_file}`."
    )

    other = project.cli("apply", "--plan", str(plan_file), "--auto-approve", "--only", "RecordSet/nelson")
    assert other.exit_code == 1
    assert other.stderr == (
        "Error: the plan was made with scope --only RecordSet/spring, not --only RecordSet/nelson; apply it "
        "without --only/--exclude (its scope is recorded in it), or make a new plan\n"
    )

    # An out-of-band change to a record outside the scope does not make the plan stale...
    project.view.set_records("N0", FirstName="Changed")
    mark = project.mark()
    applied = project.cli("apply", "--plan", str(plan_file), "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert [(entry.op, entry.rows) for entry in project.writes(mark)] == [("ecnow_records.create", 1)]

    # ...one inside it does.
    write(project, spring=5, nelson=3)
    assert project.cli("plan", "--only", "RecordSet/spring", "--out", str(plan_file)).exit_code == 0
    project.view.set_records("S0", FirstName="Changed")
    mark = project.mark()
    stale = project.cli("apply", "--plan", str(plan_file), "--auto-approve")
    assert stale.exit_code == 1
    assert "RecordSet/spring: its live state changed since the plan was made" in stale.stderr
    assert project.writes(mark) == []


def test_drift_in_scope_only(project: Project) -> None:
    write(project)
    converge(project)
    project.view.set_dataset(project.view.dataset("Nelson"), priority=7)
    outside = project.cli("drift", "--only", "Dataset/spring", "--only", "RecordSet/spring")
    assert outside.exit_code == 0, outside.stdout + outside.stderr
    assert outside.stderr.splitlines()[-1] == "No drift: the live state matches the manifests."
    inside = project.cli(
        "drift", "--exclude", "RecordSet/nelson", "--report", str(project.root / "drift.json")
    )
    assert inside.exit_code == 2
    assert inside.stderr.splitlines()[-1] == (
        f"Drift: 1 resource changed outside git. Run `reconciler plan {project.root} --exclude RecordSet/nelson` "
        "to see how apply would restore the manifests, or change the manifests to accept it."
    )
    report = json.loads((project.root / "drift.json").read_text())
    assert report["scope"] == {"only": [], "exclude": ["RecordSet/nelson"]}
    assert [change["address"] for change in report["config_drift"]] == ["Dataset/nelson"]


def _reads(project: Project, since: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in project.log(since):
        counts[entry.op] = counts.get(entry.op, 0) + 1
    return counts


def test_a_scoped_plan_reads_each_resource_once(project: Project) -> None:
    """Rule 2 plans the out-of-scope record set in a second round, which shares every read of the first: the
    account's tables, fields, queues and outcome codes, and the campaign table's datasets, are read once."""
    write(project)
    converge(project)
    write(project, spring=4, spring_status="LIVE")
    mark = project.mark()
    refused = project.cli("plan", "--only", "Dataset/spring")
    assert refused.exit_code == 1
    assert _reads(project, mark) == {
        "token.get": 1,
        "campaign_tables.read": 1,
        "queues.read": 1,
        "ecnow_datasets.read": 1,
        "campaign_fields.read": 1,
        "outcomecodes.read": 1,
        "ecnow_records.read": 1,
    }


def test_a_guard_outside_the_scope_costs_no_second_read(project: Project) -> None:
    """A guard refusing out of scope no longer makes the plan run twice: each record set is read once."""
    write(project)
    converge(project)
    write(project, spring=4, nelson_status="EXPIRED")
    mark = project.mark()
    scoped = project.cli("plan", "--exclude", "Dataset/nelson")
    assert scoped.exit_code == 0, scoped.stderr
    reads = _reads(project, mark)
    assert reads["ecnow_records.read"] == 2  # RecordSet/spring and RecordSet/nelson, once each
    assert reads["ecnow_datasets.read"] == 2  # the two campaign tables, once each
    assert (reads["cc.campaign"], reads["cc.read"]) == (1, 1)
