"""RecordSet plan/apply over real HTTP: create, update, complete, duplicates, field checks, ordering."""

from __future__ import annotations

import pytest
from harness.project import Project
from support import COMPLETE, dataset_doc, record_set_doc

from reconciler.kinds import recordset
from reconciler.manifest import columns

FIELDS = "[FirstName, MobilePhone, Testy]"


def setup(
    project: Project, rows: list[tuple[str, str, str, str]], *, status: str = "HOLD", **spec: str
) -> None:
    """Dataset/spring and RecordSet/spring-records of these rows; spec: more RecordSet keys (absent, dedupe)."""
    project.write(
        "manifests/spring.yaml",
        dataset_doc(status=status) + record_set_doc(fields=FIELDS, source="records.csv", **spec),
    )
    lines = ["VENDOR_URN,FirstName,MobilePhone,Testy", *(",".join(row) for row in rows)]
    project.write("manifests/records.csv", "\n".join(lines) + "\n")


def records(project: Project) -> list[tuple[str, ...]]:
    """(VENDOR_URN, FirstName, MobilePhone, ProcessType, outcomecode) of each stored record, by id."""
    fields = ("VENDOR_URN", "FirstName", "MobilePhone", "ProcessType", "outcomecode")
    return [tuple(record[name] for name in fields) for record in project.view.records()]


def rows(count: int, name: str = "Canary") -> list[tuple[str, str, str, str]]:
    return [(f"U{n:03d}", f"{name}{n}", f"07700900{n:03d}", "t") for n in range(count)]


@pytest.mark.parametrize("packed", [False, True], ids=["held whole", "held packed"])
def test_create_update_complete(project: Project, packed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Held packed (as a source of millions is), read in pieces of 64 bytes: the same plan, the same writes."""
    if packed:
        monkeypatch.setattr(recordset, "KEEP_BYTES", 0)
        monkeypatch.setattr(columns, "PIECE_BYTES", 64)
    setup(project, rows(12), absent=COMPLETE)
    first = project.cli("apply", "--auto-approve")
    assert first.exit_code == 0, first.stdout + first.stderr
    assert len(records(project)) == 12
    assert records(project)[0] == ("U000", "Canary0", "07700900000", "HOLD: New Prospect", "")
    changed = rows(12)
    changed[1] = ("U001", "Renamed", "07700900001", "t")
    setup(project, changed[:-2], absent=COMPLETE)
    plan = project.cli("plan")
    assert "records: 1 update, 2 complete, 9 unchanged" in plan.stdout
    assert "fields changing: FirstName 1" in plan.stdout
    mark = project.mark()
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert [entry.op for entry in project.writes(mark)] == ["ecnow_records.update", "ecnow_records.update"]
    got = records(project)
    assert got[1][1] == "Renamed"
    assert [row[3:] for row in got[-2:]] == [("COMPLETE", "510456"), ("COMPLETE", "510456")]
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_dataset_goes_live_after_records_load(project: Project) -> None:
    setup(project, rows(3), status="LIVE")
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    ops = [entry.op for entry in project.writes()]
    assert ops == ["ecnow_datasets.create", "ecnow_records.create", "ecnow_datasets.update"]
    assert {row[3] for row in records(project)} == {"New Prospect"}


def test_live_duplicates_are_reported_and_can_be_completed(project: Project) -> None:
    setup(project, rows(2))
    assert project.cli("apply", "--auto-approve").exit_code == 0
    (original,) = [record for record in project.view.records() if record["VENDOR_URN"] == "U001"]
    copied = ("VENDOR_URN", "FirstName", "MobilePhone", "ProcessType")
    project.view.add_records(int(original["datasetid"]), [{name: original[name] for name in copied}])
    plan = project.cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 0
    assert (
        "1 keys have more than one live record (1 extra records: U001); set spec.dedupe to complete them"
        in plan.stdout
    )
    setup(project, rows(2), dedupe=COMPLETE)
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert [row[3] for row in records(project)] == ["HOLD: New Prospect", "HOLD: New Prospect", "COMPLETE"]


def test_unknown_field_and_not_complete_outcome_are_plan_errors(project: Project) -> None:
    project.write(
        "manifests/spring.yaml",
        dataset_doc(status="HOLD")
        + record_set_doc(
            fields="[FirstName, MobilePhone, Nope]",
            source="records.csv",
            absent="{policy: complete, outcome: 501638}",
        ),
    )
    project.write("manifests/records.csv", "VENDOR_URN,FirstName,MobilePhone,Nope\nU1,A,07700900001,x\n")
    result = project.cli("plan")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    fields_at = _line_col(project, "manifests/spring.yaml", "Nope]")
    outcome_at = _line_col(project, "manifests/spring.yaml", "501638")
    assert (
        f"  {project.root}/manifests/spring.yaml:{fields_at}: RecordSet/spring-records: field Nope does not exist "
        "in campaign table Willtest (fix spec.fields, or add the field to the campaign table in ContactNow)"
    ) in lines
    assert (
        f"  {project.root}/manifests/spring.yaml:{outcome_at}: RecordSet/spring-records: outcome code 501638 "
        "(Need more information) is not a complete outcome (complete = N) (name an outcome code whose complete flag is Y)"
    ) in lines


def _line_col(project: Project, path: str, text: str) -> str:
    """The 1-based line:column where `text` first appears in a project file."""
    for number, line in enumerate((project.root / path).read_text().splitlines(), start=1):
        if text in line:
            return f"{number}:{line.index(text) + 1}"
    raise AssertionError(f"{text} is not in {path}")


def test_value_longer_than_its_field_is_refused_before_any_write(project: Project) -> None:
    setup(project, [("U1", "Ann", "07700900001", "x" * 101)])
    mark = project.mark()
    result = project.cli("apply", "--auto-approve")
    assert result.exit_code == 1
    assert (
        "records.csv:2:1: RecordSet/spring-records: Testy of record U1 is 101 characters; the field holds 100"
        in (result.stderr)
    )
    assert project.writes(mark) == []


def test_a_personal_key_is_never_shown(project: Project) -> None:
    project.write(
        "manifests/spring.yaml",
        dataset_doc()
        + record_set_doc(key="MobilePhone", fields="[FirstName, ThisIsATimeField]", source="r.csv"),
    )
    project.write("manifests/r.csv", "MobilePhone,FirstName,ThisIsATimeField\n07700900111,Ann,09:00\n")
    plan = project.cli("plan")
    assert plan.exit_code == 0, plan.stderr
    assert "+ (sensitive key)" in plan.stdout
    assert "07700900111" not in plan.stdout + plan.stderr

    project.write("manifests/r.csv", "MobilePhone,FirstName,ThisIsATimeField\n07700900111,Ann,09:00:00:00\n")
    refused = project.cli("plan", "--format", "json")
    assert refused.exit_code == 1
    assert "ThisIsATimeField of the record is 11 characters; the field holds 8" in refused.stderr
    assert "r.csv:2" in refused.stderr
    assert "07700900111" not in refused.stdout + refused.stderr


def test_creates_send_only_the_new_keys_and_the_managed_fields(project: Project) -> None:
    setup(project, rows(3))
    assert project.cli("apply", "--auto-approve").exit_code == 0
    lines = ["Address1,VENDOR_URN,FirstName,MobilePhone,Testy"]
    lines += [f"not managed {n},U{n:03d},Canary{n},07700900{n:03d},t" for n in range(5)]
    project.write("manifests/records.csv", "\n".join(lines) + "\n")
    mark = project.mark()
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert [(entry.op, entry.rows) for entry in project.writes(mark)] == [("ecnow_records.create", 2)]
    stored = [
        (
            record["VENDOR_URN"],
            record["FirstName"],
            record["MobilePhone"],
            record["Testy"],
            record["Address1"],
        )
        for record in project.view.records()
    ]
    assert stored == [
        ("U000", "Canary0", "07700900000", "t", ""),
        ("U001", "Canary1", "07700900001", "t", ""),
        ("U002", "Canary2", "07700900002", "t", ""),
        ("U003", "Canary3", "07700900003", "t", ""),
        ("U004", "Canary4", "07700900004", "t", ""),
    ]
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0
