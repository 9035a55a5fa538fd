"""Drift, stale plans and PII masking over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness.project import Project

from .test_records import records, rows, setup

CANARIES = ("Zanzibarina", "07700900999", "canary@example.com")


def test_drift_churn_then_config_drift(project: Project) -> None:
    setup(project, rows(20), status="LIVE")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    simulated = project.http.post("/_emulator/simulate", json={"steps": 30, "seed": 7})
    assert simulated.status_code == 200
    churn = project.cli("drift")
    assert churn.exit_code == 0, churn.stdout + churn.stderr
    assert "Dialler churn (expected):" in churn.stdout
    assert "No drift: the live state matches the manifests." in churn.stdout

    project.view.set_dataset(project.view.dataset(), priority=77)
    project.view.set_records("U005", FirstName="Changed")
    report = project.root / "drift.json"
    drifted = project.cli("drift", "--report", str(report))
    assert drifted.exit_code == 2
    assert 'priority: "77" -> "0"' in drifted.stdout
    assert "RecordSet/spring-records" in drifted.stdout
    body = json.loads(report.read_text())
    assert body["drift"] is True
    assert [change["address"] for change in body["config_drift"]] == [
        "Dataset/spring",
        "RecordSet/spring-records",
    ]
    assert body["config_drift"][1]["field_counts"] == {"FirstName": 1}


def test_stale_plan_is_refused_with_no_writes(project: Project) -> None:
    setup(project, rows(3))
    plan_file = project.root / "plan.json"
    assert project.cli("plan", "--out", str(plan_file)).exit_code == 0
    assert project.cli("apply", "--plan", str(plan_file), "--auto-approve").exit_code == 0
    assert len(records(project)) == 3
    mark = project.mark()
    again = project.cli("apply", "--plan", str(plan_file), "--auto-approve")
    assert again.exit_code == 1
    assert "stale plan refused" in again.stderr
    assert project.writes(mark) == []

    setup(project, rows(4))
    assert project.cli("plan", "--out", str(plan_file)).exit_code == 0
    project.view.set_records("U000", FirstName="Edited")
    mark = project.mark()
    edited = project.cli("apply", "--plan", str(plan_file), "--auto-approve")
    assert edited.exit_code == 1
    assert "RecordSet/spring-records: its live state changed since the plan was made" in edited.stderr
    assert project.writes(mark) == []

    assert project.cli("plan", "--out", str(plan_file)).exit_code == 0
    text = plan_file.read_text()
    plan_file.write_text(text.replace('"create": 1', '"create": 2', 1))
    tampered = project.cli("apply", "--plan", str(plan_file), "--auto-approve")
    assert tampered.exit_code == 1
    assert "was modified after it was made (checksum mismatch)" in tampered.stderr
    assert project.writes(mark) == []


def test_personal_values_never_reach_output_unless_asked(project: Project) -> None:
    canary_rows = [(f"C{n}", CANARIES[0], CANARIES[1][:-1] + str(n), "t") for n in range(3)]
    setup(project, canary_rows)
    outputs = []
    plan_file = project.root / "plan.json"
    for fmt in ("text", "json", "markdown"):
        outputs.append(project.cli("plan", "--format", fmt, "--out", str(plan_file)).stdout)
        outputs.append(plan_file.read_text())
    applied = project.cli("apply", "--auto-approve")
    outputs += [applied.stdout, applied.stderr]
    project.view.set_records(FirstName=f"{CANARIES[0]}x")  # every record
    for fmt in ("text", "json", "markdown"):
        drifted = project.cli("drift", "--format", fmt)
        outputs += [drifted.stdout, drifted.stderr]
    joined = "\n".join(outputs)
    for canary in (CANARIES[0], CANARIES[1][:-1]):
        assert canary not in joined
    shown = project.cli("drift", "--show-values")
    assert CANARIES[0] in shown.stdout, shown.stdout


def test_a_work_folder_linked_outside_the_project_is_refused(project: Project, tmp_path: Path) -> None:
    setup(project, rows(3))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (project.root / ".reconciler").symlink_to(outside, target_is_directory=True)
    # the built-in emulator target keeps its store (and so its lock) in the project's .reconciler/
    result = project.cli("apply", "--auto-approve", "--target", "emulator")
    assert result.exit_code == 1
    assert f"{project.root / '.reconciler'} is a symbolic link or not a folder" in result.stderr
    assert "Remove it and run again" in result.stderr
    assert list(outside.iterdir()) == []


def test_a_bad_setting_is_an_error_naming_it(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    setup(project, rows(3))
    monkeypatch.setenv("RECONCILER_CONSISTENCY_SECONDS", "soon")
    result = project.cli("plan")
    assert result.exit_code == 1
    assert (
        "environment variable RECONCILER_CONSISTENCY_SECONDS is 'soon'; set it to a number from 0 to 600 "
        "or unset it to use the default" in result.stderr
    )
