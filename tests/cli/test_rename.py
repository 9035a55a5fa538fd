"""A renamed dataset is updated in place (movedFrom), never created again beside the old one; without movedFrom
the plan is refused with the overlap. Over real HTTP, with the request log."""

from __future__ import annotations

import json
from pathlib import Path

from support import dataset_doc, record_set_doc, write_file
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.emulator.state import EmulatorState

from .conftest import CREDENTIALS

WRITES = {"ecnow_datasets.create", "ecnow_datasets.update", "ecnow_records.create", "ecnow_records.update"}


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={**CREDENTIALS, "RECONCILER_CONSISTENCY_SECONDS": "0"})
    return result.exit_code, result.stdout, result.stderr


def _writes(state: EmulatorState, since: int) -> list[str]:
    return [entry.op for entry in state.log.entries(since) if entry.op in WRITES]


def test_a_rename_with_moved_from_updates_the_description_in_place(
    served: tuple[Path, EmulatorState],
) -> None:
    root, state = served
    rows = "VENDOR_URN,FirstName,MobilePhone\n" + "".join(f"A-{n},Ann,0770090{n:04d}\n" for n in range(40))
    write_file(root, "manifests/spring.csv", rows)
    records = record_set_doc(source="spring.csv")
    write_file(root, "manifests/all.yaml", dataset_doc(description="Spring 2026", status="LIVE") + records)
    assert _cli("apply", str(root), "--auto-approve")[0] == 0

    write_file(root, "manifests/all.yaml", dataset_doc(description="Spring 2027", status="LIVE") + records)
    mark = state.log.last_seq
    code, _, stderr = _cli("plan", str(root))
    assert code == 1
    assert (
        "RecordSet/spring-records: Dataset/spring is new, but 40 of its 40 records are already open in dataset 1 "
        '("Spring 2026", LIVE) of campaign table Willtest: creating it would dial them twice (if Dataset/spring '
        'is that dataset renamed, add `movedFrom: {description: "Spring 2026"}` (or `id: 1`) to its spec; if both '
        "should dial them, add `acknowledge: [overlap]`)"
    ) in stderr
    assert _writes(state, mark) == []

    moved = dataset_doc(description="Spring 2027", status="LIVE", movedFrom='{description: "Spring 2026"}')
    write_file(root, "manifests/all.yaml", moved + records)
    code, stdout, _ = _cli("plan", str(root), "--format", "json")
    assert code == 0
    body = json.loads(stdout)
    assert [(change["address"], change["fields"]) for change in body["changes"]] == [
        ("Dataset/spring", [{"field": "description", "before": "Spring 2026", "after": "Spring 2027"}])
    ]
    assert body["summary"] == {
        "resources": {"create": 0, "change": 1, "irreversible": 0},
        "rows": {"create": 0, "change": 0, "remove": 0},
    }
    assert _writes(state, mark) == []
    code, stdout, stderr = _cli("apply", str(root), "--auto-approve")
    assert code == 0, stdout + stderr
    assert _writes(state, mark) == ["ecnow_datasets.update"]
    assert "Dataset/spring: ok: updated dataset 1 (description)" in stdout
    assert _cli("plan", str(root), "--detailed-exitcode")[0] == 0
