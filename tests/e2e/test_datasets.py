"""Dataset plan/apply over real HTTP: create, each managed field, HOLD<->LIVE, EXPIRED rules, identity."""

from __future__ import annotations

from harness.project import Project
from support import dataset_doc as dataset


def test_create_then_converge(project: Project) -> None:
    project.write("manifests/datasets.yaml", dataset("spring", "Spring 2026", priority=50, queue=75674454))
    planned = project.cli("plan", "--detailed-exitcode")
    assert planned.exit_code == 2
    assert "+ Dataset/spring will be created" in planned.stdout
    assert planned.stdout.rstrip().endswith(
        "Plan: 1 resource to create, 0 to change; 0 rows to create, 0 to change, 0 to complete/remove."
    )
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "Verified: the live state matches the manifests." in applied.stdout
    rows = [(d.table, d.description, d.queue, d.status, d.priority) for d in project.view.datasets()]
    assert rows == [("Willtest", "Spring 2026", 75674454, "HOLD", 50)]
    mark = project.mark()
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0
    again = project.cli("apply", "--auto-approve")
    assert again.exit_code == 0
    assert "No changes." in again.stdout
    assert project.writes(mark) == []


def test_update_each_managed_field_and_hold_live(project: Project) -> None:
    project.write("manifests/datasets.yaml", dataset("spring", "Spring 2026", priority=10))
    assert project.cli("apply", "--auto-approve").exit_code == 0
    dataset_id = project.view.dataset().id
    project.write(
        "manifests/datasets.yaml",
        dataset("spring", "Spring renamed", id=dataset_id, priority=60, queue=829603, status="LIVE"),
    )
    planned = project.cli("plan")
    assert "~ Dataset/spring will be updated" in planned.stdout
    for line in (
        'description: "Spring 2026" -> "Spring renamed"',
        'queue: "0" -> "829603"',
        'priority: "10" -> "60"',
        'status: "HOLD" -> "LIVE"',
    ):
        assert line in planned.stdout
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert [(d.description, d.queue, d.status, d.priority) for d in project.view.datasets()] == [
        ("Spring renamed", 829603, "LIVE", 60)
    ]
    project.write(
        "manifests/datasets.yaml",
        dataset("spring", "Spring renamed", id=dataset_id, priority=60, queue=829603),
    )
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert [d.status for d in project.view.datasets()] == ["HOLD"]


def test_expire_needs_acknowledgement_and_is_forever(project: Project) -> None:
    project.write("manifests/datasets.yaml", dataset("old", "Old list"))
    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.write("manifests/datasets.yaml", dataset("old", "Old list", status="EXPIRED"))
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert "Dataset/old: moves to EXPIRED, which is irreversible" in refused.stderr
    assert "--allow-expire" in refused.stderr
    assert project.writes(mark) == []
    assert project.cli("apply", "--auto-approve", "--allow-expire").exit_code == 0
    assert [d.status for d in project.view.datasets()] == ["EXPIRED"]
    project.write("manifests/datasets.yaml", dataset("old", "Old list", status="LIVE"))
    mark = project.mark()
    leave = project.cli("plan")
    assert leave.exit_code == 1
    assert "can never leave it (asked for LIVE)" in leave.stderr
    assert "create a new dataset" in leave.stderr
    assert project.writes(mark) == []


def test_acknowledgement_on_the_resource(project: Project) -> None:
    project.write(
        "manifests/datasets.yaml", dataset("old", "Old list", status="EXPIRED", acknowledge="[expire]")
    )
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert [d.status for d in project.view.datasets()] == ["EXPIRED"]


def test_ambiguous_identity_asks_for_id(project: Project) -> None:
    project.write("manifests/a.yaml", dataset("one", "Twin"))
    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.write("manifests/a.yaml", dataset("one", "Twin") + dataset("two", "Other"))
    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.view.set_dataset(project.view.dataset("Other"), description="Twin")
    project.write("manifests/a.yaml", dataset("one", "Twin"))
    result = project.cli("plan")
    assert result.exit_code == 1
    assert 'Dataset/one: 2 live datasets in Willtest have the description "Twin" (ids 1, 2)' in result.stderr
    assert "pin the one to manage with spec.id" in result.stderr


def test_live_metadata_checks(project: Project) -> None:
    project.write(
        "manifests/bad.yaml",
        dataset("a", "A", queue=999999)
        + dataset("b", "B").replace("campaign: Willtest", "campaign: NoSuchTable"),
    )
    result = project.cli("plan")
    assert result.exit_code == 1
    assert "Dataset/a: queue 999999 does not exist" in result.stderr
    assert (
        "Dataset/b: campaign table NoSuchTable does not exist (known: Willtest, nelsontest)" in result.stderr
    )


def test_queue_must_be_outbound(project: Project) -> None:
    project.write(
        "manifests/bad.yaml",
        dataset("a", "A", queue=642384)
        + dataset("b", "B", queue="Nelson inbound")
        + dataset("c", "C", queue=999),
    )
    mark = project.mark()
    result = project.cli("plan")
    assert result.exit_code == 1
    where = f"{project.root}/manifests/bad.yaml"
    assert result.stderr.splitlines()[1:] == [
        f"  {where}:9:10: Dataset/a: queue 642384 is inbound, not outbound (give the qid of an outbound queue)",
        f'  {where}:18:10: Dataset/b: no outbound queues are named "Nelson inbound" (give spec.queue as a qid)',
        f"  {where}:27:10: Dataset/c: queue 999 is not a real queue (a deleted queue, or the default PBX queue) "
        "(give the qid of an outbound queue)",
    ]
    assert project.writes(mark) == []
