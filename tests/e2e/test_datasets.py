"""Dataset plan/apply over real HTTP: create, each managed field, HOLD<->LIVE, EXPIRED rules, identity."""

from __future__ import annotations

from support import dataset_doc as dataset

from .conftest import Estate


def test_create_then_converge(estate: Estate) -> None:
    estate.write("manifests/datasets.yaml", dataset("spring", "Spring 2026", priority=50, queue=75674454))
    planned = estate.cli("plan", "--detailed-exitcode")
    assert planned.exit_code == 2
    assert "+ Dataset/spring will be created" in planned.stdout
    assert planned.stdout.rstrip().endswith("Plan: 1 to create, 0 to change, 0 to complete/remove.")
    applied = estate.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "Verified: the live state matches the manifests." in applied.stdout
    rows = estate.sql("SELECT import_table, description, qid, d_status, d_priority FROM cn_datasets")
    assert rows == [("Willtest", "Spring 2026", 75674454, "HOLD", 50)]
    mark = estate.mark()
    assert estate.cli("plan", "--detailed-exitcode").exit_code == 0
    again = estate.cli("apply", "--auto-approve")
    assert again.exit_code == 0
    assert "No changes." in again.stdout
    assert estate.writes(mark) == []


def test_update_each_managed_field_and_hold_live(estate: Estate) -> None:
    estate.write("manifests/datasets.yaml", dataset("spring", "Spring 2026", priority=10))
    assert estate.cli("apply", "--auto-approve").exit_code == 0
    (dataset_id,) = estate.sql("SELECT dataset FROM cn_datasets")[0]
    estate.write(
        "manifests/datasets.yaml",
        dataset("spring", "Spring renamed", id=dataset_id, priority=60, queue=829603, status="LIVE"),
    )
    planned = estate.cli("plan")
    assert "~ Dataset/spring will be updated" in planned.stdout
    for line in (
        'description: "Spring 2026" -> "Spring renamed"',
        'queue: "0" -> "829603"',
        'priority: "10" -> "60"',
        'status: "HOLD" -> "LIVE"',
    ):
        assert line in planned.stdout
    assert estate.cli("apply", "--auto-approve").exit_code == 0
    assert estate.sql("SELECT description, qid, d_status, d_priority FROM cn_datasets") == [
        ("Spring renamed", 829603, "LIVE", 60)
    ]
    estate.write(
        "manifests/datasets.yaml",
        dataset("spring", "Spring renamed", id=dataset_id, priority=60, queue=829603),
    )
    assert estate.cli("apply", "--auto-approve").exit_code == 0
    assert estate.sql("SELECT d_status FROM cn_datasets") == [("HOLD",)]


def test_expire_needs_acknowledgement_and_is_forever(estate: Estate) -> None:
    estate.write("manifests/datasets.yaml", dataset("old", "Old list"))
    assert estate.cli("apply", "--auto-approve").exit_code == 0
    estate.write("manifests/datasets.yaml", dataset("old", "Old list", status="EXPIRED"))
    mark = estate.mark()
    refused = estate.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert "Dataset/old: moves to EXPIRED, which is irreversible" in refused.stderr
    assert "--allow-expire" in refused.stderr
    assert estate.writes(mark) == []
    assert estate.cli("apply", "--auto-approve", "--allow-expire").exit_code == 0
    assert estate.sql("SELECT d_status FROM cn_datasets") == [("EXPIRED",)]
    estate.write("manifests/datasets.yaml", dataset("old", "Old list", status="LIVE"))
    mark = estate.mark()
    leave = estate.cli("plan")
    assert leave.exit_code == 1
    assert "can never leave it (asked for LIVE)" in leave.stderr
    assert "create a new dataset" in leave.stderr
    assert estate.writes(mark) == []


def test_acknowledgement_on_the_resource(estate: Estate) -> None:
    estate.write(
        "manifests/datasets.yaml", dataset("old", "Old list", status="EXPIRED", acknowledge="[expire]")
    )
    applied = estate.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert estate.sql("SELECT d_status FROM cn_datasets") == [("EXPIRED",)]


def test_ambiguous_identity_asks_for_id(estate: Estate) -> None:
    estate.write("manifests/a.yaml", dataset("one", "Twin"))
    assert estate.cli("apply", "--auto-approve").exit_code == 0
    estate.write("manifests/a.yaml", dataset("one", "Twin") + dataset("two", "Other"))
    assert estate.cli("apply", "--auto-approve").exit_code == 0
    estate.state.store.conn.execute("UPDATE cn_datasets SET description = 'Twin' WHERE description = 'Other'")
    estate.write("manifests/a.yaml", dataset("one", "Twin"))
    result = estate.cli("plan")
    assert result.exit_code == 1
    assert 'Dataset/one: 2 live datasets in Willtest have the description "Twin" (ids 1, 2)' in result.stderr
    assert "pin the one to manage with spec.id" in result.stderr


def test_live_metadata_checks(estate: Estate) -> None:
    estate.write(
        "manifests/bad.yaml",
        dataset("a", "A", queue=999999)
        + dataset("b", "B").replace("campaign: Willtest", "campaign: NoSuchTable"),
    )
    result = estate.cli("plan")
    assert result.exit_code == 1
    assert "Dataset/a: queue 999999 does not exist" in result.stderr
    assert (
        "Dataset/b: campaign table NoSuchTable does not exist (known: Willtest, nelsontest)" in result.stderr
    )


def test_queue_must_be_outbound(estate: Estate) -> None:
    estate.write(
        "manifests/bad.yaml",
        dataset("a", "A", queue=642384) + dataset("b", "B", queue="Nelson inbound"),
    )
    mark = estate.mark()
    result = estate.cli("plan")
    assert result.exit_code == 1
    assert "Dataset/a: queue 642384 is inbound, not outbound" in result.stderr
    assert 'Dataset/b: no outbound queues are named "Nelson inbound"' in result.stderr
    assert "give the qid of an outbound queue" in result.stderr
    assert estate.writes(mark) == []
