"""Drift, stale plans and PII masking over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from .conftest import Estate
from .test_records import records, rows, setup

CANARIES = ("Zanzibarina", "07700900999", "canary@example.com")


def test_drift_churn_then_config_drift(estate: Estate) -> None:
    setup(estate, rows(20), status="LIVE")
    assert estate.cli("apply", "--auto-approve").exit_code == 0
    simulated = httpx.post(f"{estate.base_url}/_emulator/simulate", json={"steps": 30, "seed": 7})
    assert simulated.status_code == 200
    churn = estate.cli("drift")
    assert churn.exit_code == 0, churn.stdout + churn.stderr
    assert "Dialler churn (expected):" in churn.stdout
    assert "No drift: the live state matches the manifests." in churn.stdout

    estate.state.store.conn.execute("UPDATE cn_datasets SET d_priority = 77")
    estate.state.store.conn.execute("UPDATE cn_records SET FirstName = 'Changed' WHERE VENDOR_URN = 'U005'")
    report = estate.root / "drift.json"
    drifted = estate.cli("drift", "--report", str(report))
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


def test_stale_plan_is_refused_with_no_writes(estate: Estate) -> None:
    setup(estate, rows(3))
    plan_file = estate.root / "plan.json"
    assert estate.cli("plan", "--out", str(plan_file)).exit_code == 0
    assert estate.cli("apply", "--plan", str(plan_file), "--auto-approve").exit_code == 0
    assert len(records(estate)) == 3
    mark = estate.mark()
    again = estate.cli("apply", "--plan", str(plan_file), "--auto-approve")
    assert again.exit_code == 1
    assert "stale plan refused" in again.stderr
    assert estate.writes(mark) == []

    setup(estate, rows(4))
    assert estate.cli("plan", "--out", str(plan_file)).exit_code == 0
    estate.state.store.conn.execute("UPDATE cn_records SET FirstName = 'Edited' WHERE VENDOR_URN = 'U000'")
    mark = estate.mark()
    edited = estate.cli("apply", "--plan", str(plan_file), "--auto-approve")
    assert edited.exit_code == 1
    assert "RecordSet/spring-records: its live state changed since the plan was made" in edited.stderr
    assert estate.writes(mark) == []

    assert estate.cli("plan", "--out", str(plan_file)).exit_code == 0
    text = plan_file.read_text()
    plan_file.write_text(text.replace('"create": 1', '"create": 2', 1))
    tampered = estate.cli("apply", "--plan", str(plan_file), "--auto-approve")
    assert tampered.exit_code == 1
    assert "was modified after it was made (checksum mismatch)" in tampered.stderr
    assert estate.writes(mark) == []


def test_personal_values_never_reach_output_unless_asked(estate: Estate) -> None:
    canary_rows = [(f"C{n}", CANARIES[0], CANARIES[1][:-1] + str(n), "t") for n in range(3)]
    setup(estate, canary_rows)
    outputs = []
    plan_file = estate.root / "plan.json"
    for fmt in ("text", "json", "markdown"):
        outputs.append(estate.cli("plan", "--format", fmt, "--out", str(plan_file)).stdout)
        outputs.append(plan_file.read_text())
    applied = estate.cli("apply", "--auto-approve")
    outputs += [applied.stdout, applied.stderr]
    estate.state.store.conn.execute(f"UPDATE cn_records SET FirstName = '{CANARIES[0]}x'")
    for fmt in ("text", "json", "markdown"):
        drifted = estate.cli("drift", "--format", fmt)
        outputs += [drifted.stdout, drifted.stderr]
    joined = "\n".join(outputs)
    for canary in (CANARIES[0], CANARIES[1][:-1]):
        assert canary not in joined
    shown = estate.cli("drift", "--show-values")
    assert CANARIES[0] in shown.stdout, shown.stdout


def test_a_work_folder_linked_outside_the_project_is_refused(estate: Estate, tmp_path: Path) -> None:
    setup(estate, rows(3))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (estate.root / ".reconciler").symlink_to(outside, target_is_directory=True)
    # the built-in emulator target keeps its store (and so its lock) in the project's .reconciler/
    result = estate.cli("apply", "--auto-approve", "--target", "emulator")
    assert result.exit_code == 1
    assert f"{estate.root / '.reconciler'} is a symbolic link or not a folder" in result.stderr
    assert "Remove it and run again" in result.stderr
    assert list(outside.iterdir()) == []


def test_a_bad_setting_is_an_error_naming_it(estate: Estate, monkeypatch: pytest.MonkeyPatch) -> None:
    setup(estate, rows(3))
    monkeypatch.setenv("RECONCILER_CONSISTENCY_SECONDS", "soon")
    result = estate.cli("plan")
    assert result.exit_code == 1
    assert (
        "environment variable RECONCILER_CONSISTENCY_SECONDS is 'soon'; set it to a number from 0 to 600 "
        "or unset it to use the default" in result.stderr
    )
