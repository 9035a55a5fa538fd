"""A write that cannot be repeated, whose answer is lost after it was stored, converges: the move to EXPIRED."""

from __future__ import annotations

from pathlib import Path

from support import dataset_doc, write_file
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.emulator.state import EmulatorState

from .conftest import CREDENTIALS

FAST = {"RECONCILER_RETRY_BASE_SECONDS": "0", "RECONCILER_CONSISTENCY_SECONDS": "0"}


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={**CREDENTIALS, **FAST})
    return result.exit_code, result.stdout, result.stderr


def test_a_lost_answer_to_the_move_to_expired_still_converges(served: tuple[Path, EmulatorState]) -> None:
    root, state = served
    write_file(root, "manifests/all.yaml", dataset_doc(status="LIVE"))
    assert _cli("apply", str(root), "--auto-approve")[0] == 0
    write_file(root, "manifests/all.yaml", dataset_doc(status="EXPIRED"))
    state.faults.add_spec("commit_then_fail:rate=1:mode=502:count=1:match=ecnow_datasets.update")
    mark = state.log.last_seq
    code, stdout, stderr = _cli("apply", str(root), "--auto-approve", "--allow-expire")
    assert code == 0, stdout + stderr
    assert "Dataset/spring: ok: dataset 1 is EXPIRED" in stdout
    updates = [
        (entry.status, entry.committed) for entry in state.log.entries(mark, op="ecnow_datasets.update")
    ]
    assert updates == [
        (502, True),
        (200, False),
    ]  # stored, answer lost; the repeat refused as already expired
    assert _cli("plan", str(root), "--detailed-exitcode")[0] == 0
