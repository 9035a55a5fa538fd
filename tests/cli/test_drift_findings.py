"""Drift always reports: an out-of-band EXPIRED is irreversible drift (exit 2, with the remedy), and a resource
whose live state cannot be read is reported beside every other resource (exit 1)."""

from __future__ import annotations

import json
from pathlib import Path

from support import dataset_doc, membership_doc, record_set_doc, write_file
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.emulator.state import EmulatorState

from .conftest import CREDENTIALS

FAST = {
    "RECONCILER_RETRY_ATTEMPTS": "2",
    "RECONCILER_RETRY_BASE_SECONDS": "0",
    "RECONCILER_CONSISTENCY_SECONDS": "0",
}


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={**CREDENTIALS, **FAST})
    return result.exit_code, result.stdout, result.stderr


def _live(served: tuple[Path, EmulatorState]) -> tuple[Path, EmulatorState]:
    root, state = served
    documents = (
        dataset_doc(status="LIVE")
        + record_set_doc(source="spring.csv")
        + membership_doc(members="[{customer-id: 10000000}]")
    )
    write_file(root, "manifests/all.yaml", documents)
    assert _cli("apply", str(root), "--auto-approve")[0] == 0
    return root, state


def test_an_out_of_band_expiry_is_irreversible_drift(
    served: tuple[Path, EmulatorState], tmp_path: Path
) -> None:
    root, state = _live(served)
    state.view.set_dataset(1, status="EXPIRED")  # someone expired it in the UI
    report = tmp_path / "drift.json"
    code, stdout, stderr = _cli("drift", str(root), "--report", str(report))
    assert code == 2
    body = json.loads(report.read_text())
    assert body["drift"] is True
    assert body["config_drift"] == []
    assert body["irreversible"] == [
        {
            "address": "Dataset/spring",
            "location": f"{root}/manifests/all.yaml:9:11",
            "message": "dataset 1 is EXPIRED and can never leave it (asked for LIVE)",
            "remedy": "EXPIRED is irreversible: create a new dataset (new description, no spec.id) for these "
            "records",
        }
    ]
    assert "Irreversible drift (cannot be restored by apply):\n  " in stdout
    assert stderr.splitlines()[-1] == (
        "Drift: 1 irreversible. Irreversible drift cannot be restored by apply: follow each remedy in the report "
        "and change the manifests."
    )


def test_a_resource_that_cannot_be_read_is_reported_beside_the_others(
    served: tuple[Path, EmulatorState], tmp_path: Path
) -> None:
    root, state = _live(served)
    write_file(root, "manifests/spring.csv", "VENDOR_URN,FirstName,MobilePhone\nA-1,Anne,07700900001\n")
    state.faults.add_spec("error:rate=1:status=500:match=cc.read")
    report = tmp_path / "drift.json"
    code, _stdout, stderr = _cli("drift", str(root), "--report", str(report))
    assert code == 1
    body = json.loads(report.read_text())
    assert [change["address"] for change in body["config_drift"]] == ["RecordSet/spring-records"]
    assert [(item["address"], item["location"]) for item in body["errors"]] == [
        ("CampaignMembership/winback", None)
    ]
    assert body["errors"][0]["message"].startswith(
        "its live state could not be read: Contact Center records read failed after 2 attempts"
    )
    assert stderr.splitlines()[-1].startswith("Drift: 1 resource changed outside git, 1 not read.")
