"""--only and --exclude over real HTTP: scoped plans change only the named resources, dependencies are read but
never changed, unsafe splits are refused with the remedy, and a saved scoped plan keeps its scope."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Estate

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
    estate: Estate,
    *,
    spring: int = 3,
    nelson: int = 2,
    members: int = 2,
    spring_status: str = "HOLD",
    spring_priority: int = 0,
    nelson_status: str = "HOLD",
    nelson_extra: str = "",
) -> None:
    estate.write(
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
        estate.write(f"manifests/{name}.csv", "\n".join(lines) + "\n")


def snapshot(estate: Estate) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "datasets": estate.sql("SELECT dataset, d_status, d_priority, qid, description FROM cn_datasets"),
        "spring": estate.sql(
            "SELECT r.* FROM cn_records r JOIN cn_datasets d ON d.dataset = r.datasetid "
            "WHERE d.description = 'Spring' ORDER BY r.id"
        ),
        "nelson": estate.sql(
            "SELECT r.* FROM cn_records r JOIN cn_datasets d ON d.dataset = r.datasetid "
            "WHERE d.description = 'Nelson' ORDER BY r.id"
        ),
        "members": estate.sql("SELECT customer_id, status FROM cc_members ORDER BY customer_id"),
    }


def converge(estate: Estate) -> None:
    applied = estate.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr


def test_only_a_record_set_writes_only_its_records(estate: Estate) -> None:
    write(estate)
    converge(estate)
    write(estate, spring=5, nelson=4, members=3, spring_priority=20, nelson_status="LIVE")
    before = snapshot(estate)
    planned = estate.cli("plan", "--only", "RecordSet/spring")
    assert planned.exit_code == 0, planned.stderr
    assert "+ RecordSet/spring" not in planned.stdout
    assert "~ RecordSet/spring will be updated" in planned.stdout
    assert "Dataset/" not in planned.stdout.split("Observed")[0]
    assert planned.stderr.splitlines()[-1] == (
        f"Plan: 2 to create, 0 to change, 0 to complete/remove. "
        f"Run `reconciler apply {estate.root} --only RecordSet/spring` to apply it."
    )

    mark = estate.mark()
    applied = estate.cli("apply", "--auto-approve", "--only", "RecordSet/spring")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert [(entry.op, entry.rows) for entry in estate.writes(mark)] == [("ecnow_records.create", 2)]
    after = snapshot(estate)
    assert after["datasets"] == before["datasets"]
    assert after["nelson"] == before["nelson"]
    assert after["members"] == before["members"]
    assert [row[5] for row in after["spring"]] == ["S0", "S1", "S2", "S3", "S4"]  # VENDOR_URN
    assert "Verified: the live state matches the manifests." in applied.stdout


def test_exclude_leaves_the_named_resources_alone(estate: Estate) -> None:
    write(estate)
    converge(estate)
    write(estate, spring=5, nelson=4, members=3, spring_priority=20)
    before = snapshot(estate)
    mark = estate.mark()
    applied = estate.cli(
        "apply", "--auto-approve", "--exclude", "RecordSet/spring", "--exclude", "CampaignMembership/winback"
    )
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert sorted((entry.op, entry.rows) for entry in estate.writes(mark)) == [
        ("ecnow_datasets.update", 1),
        ("ecnow_records.create", 2),
    ]
    after = snapshot(estate)
    assert after["spring"] == before["spring"]
    assert after["members"] == before["members"]
    assert len(after["nelson"]) == 4
    assert [row[2] for row in after["datasets"] if row[4] == "Spring"] == [20]
    # The excluded changes are still there for an unscoped plan.
    rest = estate.cli("plan", "--detailed-exitcode")
    assert rest.exit_code == 2
    assert rest.stderr.splitlines()[-1].startswith("Plan: 3 to create, 0 to change, 0 to complete/remove.")


def test_unknown_addresses_are_listed_with_the_known_ones(estate: Estate) -> None:
    write(estate)
    result = estate.cli("plan", "--only", "RecordSet/sprung", "--exclude", "Dataset/x")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: unknown addresses --only RecordSet/sprung, --exclude Dataset/x; name resources as Kind/name "
        "(known: CampaignMembership/winback, Dataset/nelson, Dataset/spring, RecordSet/nelson, RecordSet/spring)\n"
    )
    assert estate.writes() == []
    nothing = estate.cli("plan", "--only", "Dataset/spring", "--exclude", "Dataset/spring")
    assert nothing.exit_code == 1
    assert nothing.stderr == (
        "Error: --only Dataset/spring --exclude Dataset/spring leaves no resource to plan; "
        "name at least one resource\n"
    )


def test_records_of_a_dataset_that_does_not_exist_yet_are_refused(estate: Estate) -> None:
    write(estate)
    result = estate.cli("plan", "--only", "RecordSet/spring")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: cannot plan: 1 problem\n"
        "  RecordSet/spring: its dataset Dataset/spring does not exist yet and is out of scope "
        "(add --only Dataset/spring (or stop excluding it))\n"
    )
    assert estate.writes() == []


def test_records_wait_for_an_out_of_scope_move_to_hold(estate: Estate) -> None:
    write(estate, spring_status="LIVE")
    converge(estate)
    write(estate, spring=4, spring_status="HOLD")
    refused = estate.cli("plan", "--only", "RecordSet/spring")
    assert refused.exit_code == 1
    assert "RecordSet/spring: its dataset Dataset/spring must go from LIVE to HOLD before records change" in (
        refused.stderr
    )
    both = estate.cli("apply", "--auto-approve", "--only", "RecordSet/spring", "--only", "Dataset/spring")
    assert both.exit_code == 0, both.stdout + both.stderr
    assert estate.sql("SELECT d_status FROM cn_datasets WHERE description = 'Spring'") == [("HOLD",)]


def test_a_dataset_does_not_go_live_before_its_out_of_scope_records(estate: Estate) -> None:
    write(estate)
    converge(estate)
    write(estate, spring=4, spring_status="LIVE")
    refused = estate.cli("plan", "--only", "Dataset/spring")
    assert refused.exit_code == 1
    assert refused.stderr.endswith(
        "Dataset/spring: would go LIVE while RecordSet/spring, out of scope, still has records to load or "
        "change (add --only RecordSet/spring so the records load first (or stop excluding it))\n"
    )
    mark = estate.mark()
    records_first = estate.cli("apply", "--auto-approve", "--only", "RecordSet/spring")
    assert records_first.exit_code == 0, records_first.stdout + records_first.stderr
    live = estate.cli("apply", "--auto-approve", "--only", "Dataset/spring")
    assert live.exit_code == 0, live.stdout + live.stderr
    assert [(entry.op, entry.rows) for entry in estate.writes(mark)] == [
        ("ecnow_records.create", 1),
        ("ecnow_datasets.update", 1),
    ]
    assert estate.sql("SELECT d_status FROM cn_datasets WHERE description = 'Spring'") == [("LIVE",)]


def test_guards_of_resources_out_of_scope_do_not_refuse(estate: Estate) -> None:
    write(estate)
    converge(estate)
    write(estate, spring=4, nelson_status="EXPIRED")
    unscoped = estate.cli("plan")
    assert unscoped.exit_code == 1
    assert "plan refused by a safety guard" in unscoped.stderr
    scoped = estate.cli("plan", "--exclude", "Dataset/nelson")
    assert scoped.exit_code == 0, scoped.stderr
    assert "RecordSet/spring" in scoped.stdout
    only_it = estate.cli("plan", "--only", "Dataset/nelson")
    assert only_it.exit_code == 1
    assert "Dataset/nelson: moves to EXPIRED, which is irreversible" in only_it.stderr


def test_a_saved_scoped_plan_keeps_its_scope_and_its_stale_check(estate: Estate) -> None:
    write(estate)
    converge(estate)
    write(estate, spring=4, nelson=3)
    plan_file = estate.root / "plan.json"
    planned = estate.cli("plan", "--only", "RecordSet/spring", "--out", str(plan_file))
    assert planned.exit_code == 0, planned.stderr
    body = json.loads(plan_file.read_text())
    assert body["scope"] == {"only": ["RecordSet/spring"], "exclude": []}
    assert [change["address"] for change in body["changes"]] == ["RecordSet/spring"]
    assert sorted(body["observed"]["live"]) == ["Dataset/spring", "RecordSet/spring"]
    assert planned.stderr.splitlines()[-1] == (
        f"Plan: 1 to create, 0 to change, 0 to complete/remove. Saved to {plan_file}; apply exactly this plan "
        f"with `reconciler apply {estate.root} --plan {plan_file}`."
    )

    other = estate.cli("apply", "--plan", str(plan_file), "--auto-approve", "--only", "RecordSet/nelson")
    assert other.exit_code == 1
    assert other.stderr == (
        "Error: the plan was made with scope --only RecordSet/spring, not --only RecordSet/nelson; apply it "
        "without --only/--exclude (its scope is recorded in it), or make a new plan\n"
    )

    # An out-of-band change to a record outside the scope does not make the plan stale...
    estate.sql("UPDATE cn_records SET FirstName = 'Changed' WHERE VENDOR_URN = 'N0'")
    mark = estate.mark()
    applied = estate.cli("apply", "--plan", str(plan_file), "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert [(entry.op, entry.rows) for entry in estate.writes(mark)] == [("ecnow_records.create", 1)]

    # ...one inside it does.
    write(estate, spring=5, nelson=3)
    assert estate.cli("plan", "--only", "RecordSet/spring", "--out", str(plan_file)).exit_code == 0
    estate.sql("UPDATE cn_records SET FirstName = 'Changed' WHERE VENDOR_URN = 'S0'")
    mark = estate.mark()
    stale = estate.cli("apply", "--plan", str(plan_file), "--auto-approve")
    assert stale.exit_code == 1
    assert "RecordSet/spring: its live state changed since the plan was made" in stale.stderr
    assert estate.writes(mark) == []


def test_drift_in_scope_only(estate: Estate) -> None:
    write(estate)
    converge(estate)
    estate.sql("UPDATE cn_datasets SET d_priority = 7 WHERE description = 'Nelson'")
    outside = estate.cli("drift", "--only", "Dataset/spring", "--only", "RecordSet/spring")
    assert outside.exit_code == 0, outside.stdout + outside.stderr
    assert outside.stderr.splitlines()[-1] == "No drift: the live state matches the manifests."
    inside = estate.cli("drift", "--exclude", "RecordSet/nelson", "--report", str(estate.root / "drift.json"))
    assert inside.exit_code == 2
    assert inside.stderr.splitlines()[-1] == (
        f"Drift: 1 resource changed outside git. Run `reconciler plan {estate.root} --exclude RecordSet/nelson` "
        "to see how apply would restore the manifests, or change the manifests to accept it."
    )
    report = json.loads((estate.root / "drift.json").read_text())
    assert report["scope"] == {"only": [], "exclude": ["RecordSet/nelson"]}
    assert [change["address"] for change in report["config_drift"]] == ["Dataset/nelson"]


def _reads(estate: Estate, since: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in estate.state.log.entries(since):
        counts[entry.op] = counts.get(entry.op, 0) + 1
    return counts


def test_a_scoped_plan_reads_each_resource_once(estate: Estate) -> None:
    """Rule 2 plans the out-of-scope record set in a second round, which shares every read of the first: the
    account's tables, fields, queues and outcome codes, and the campaign table's datasets, are read once."""
    write(estate)
    converge(estate)
    write(estate, spring=4, spring_status="LIVE")
    mark = estate.mark()
    refused = estate.cli("plan", "--only", "Dataset/spring")
    assert refused.exit_code == 1
    assert _reads(estate, mark) == {
        "token.get": 1,
        "campaign_tables.read": 1,
        "queues.read": 1,
        "ecnow_datasets.read": 1,
        "campaign_fields.read": 1,
        "outcomecodes.read": 1,
        "ecnow_records.read": 1,
    }


def test_a_guard_outside_the_scope_costs_no_second_read(estate: Estate) -> None:
    """A guard refusing out of scope no longer makes the plan run twice: each record set is read once."""
    write(estate)
    converge(estate)
    write(estate, spring=4, nelson_status="EXPIRED")
    mark = estate.mark()
    scoped = estate.cli("plan", "--exclude", "Dataset/nelson")
    assert scoped.exit_code == 0, scoped.stderr
    reads = _reads(estate, mark)
    assert reads["ecnow_records.read"] == 2  # RecordSet/spring and RecordSet/nelson, once each
    assert reads["ecnow_datasets.read"] == 2  # the two campaign tables, once each
    assert (reads["cc.campaign"], reads["cc.read"]) == (1, 1)
