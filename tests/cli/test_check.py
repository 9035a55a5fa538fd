"""`reconciler check`: reach the target, log in, check what the manifests reference; never write."""

from __future__ import annotations

from pathlib import Path

from support import dataset_doc, write_file
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.emulator.state import EmulatorState

from .conftest import CREDENTIALS


def _check(root: Path, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["check", str(root)], env={**CREDENTIALS, **env})
    return result.exit_code, result.stdout, result.stderr


def _writes(state: EmulatorState) -> list[str]:
    reads = {"token.get", "cc.campaign", "cc.read"}
    return [
        entry.op for entry in state.log.entries(0) if not entry.op.endswith(".read") and entry.op not in reads
    ]


def test_check_passes_against_the_emulator_and_reads_no_rows(served: tuple[Path, EmulatorState]) -> None:
    root, state = served
    assert _check(root) == (
        0,
        "OK: target local answered and accepted the credentials (ContactNow, Contact Center); what 0 calling "
        "policies, 0 time-of-day policies, 0 queues, 1 datasets, 0 outcome codes, 0 suppression lists, 1 record "
        "sets, 0 CC campaigns, 1 campaign memberships reference exists there.\n",
        "",
    )
    ops = [entry.op for entry in state.log.entries(0)]
    assert "ecnow_records.read" not in ops and "cc.read" not in ops
    assert _writes(state) == []


def test_a_wrong_password_is_said_exactly_and_writes_nothing(served: tuple[Path, EmulatorState]) -> None:
    root, state = served
    code, stdout, stderr = _check(root, CN_PASS="not-the-password")
    assert (code, stdout) == (1, "")
    url = root.joinpath("reconciler.yaml").read_text().split("'")[1]
    assert stderr == (
        "Error: ContactNow refused the credentials (Authentication failure); check the username and password "
        f"environment variables [{url}token.php]\n"
    )
    assert _writes(state) == []


def test_an_unknown_campaign_table_is_said_exactly_and_writes_nothing(
    served: tuple[Path, EmulatorState],
) -> None:
    root, state = served
    write_file(root, "manifests/all.yaml", dataset_doc().replace("campaign: Willtest", "campaign: Nowhere"))
    code, stdout, stderr = _check(root)
    assert (code, stdout) == (1, "")
    assert stderr == (
        f"Error: cannot plan: 1 problem\n  {root}/manifests/all.yaml:7:13: Dataset/spring: campaign table Nowhere "
        "does not exist (known: Willtest, nelsontest) (fix spec.campaign; campaign tables are created in "
        "ContactNow, not by the reconciler)\n"
    )
    assert _writes(state) == []
