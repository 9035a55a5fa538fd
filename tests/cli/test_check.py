"""`reconciler check`: reach the target, log in, check what the manifests reference; never write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import dataset_doc, membership_doc, record_set_doc, write_file
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.emulator import build_state, running_server
from reconciler.emulator.state import EmulatorState

PROJECT = """\
apiVersion: reconciler/v1
kind: Project
defaultTarget: local
targets:
  local:
    contactnow: {{baseUrl: '{url}/contactnow/', usernameEnv: CN_USER, passwordEnv: CN_PASS}}
    contactCenter: {{baseUrl: '{url}/cc', tenantEnv: CC_TENANT, tokenEnv: CC_TOKEN}}
"""
CREDENTIALS = {"CN_USER": "demo", "CN_PASS": "demo-password", "CC_TENANT": "demo", "CC_TOKEN": "demo-token"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, EmulatorState]]:
    state = build_state()
    with running_server(state) as url:
        root = tmp_path / "project"
        write_file(root, "reconciler.yaml", PROJECT.format(url=url))
        documents = dataset_doc() + record_set_doc(source="spring.csv") + membership_doc(members="[]")
        write_file(root, "manifests/all.yaml", documents)
        write_file(root, "manifests/spring.csv", "VENDOR_URN,FirstName,MobilePhone\nA-1,Ann,07700900001\n")
        yield root, state


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
        "OK: target local answered and accepted the credentials (ContactNow, Contact Center); what 1 datasets, "
        "1 record sets, 1 campaign memberships reference exists there.\n",
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
        f"Error: cannot plan: 1 problem\n  {root}/manifests/all.yaml:5:9: Dataset/spring: campaign table Nowhere "
        "does not exist (known: Willtest, nelsontest) (fix spec.campaign; campaign tables are created in "
        "ContactNow, not by the reconciler)\n"
    )
    assert _writes(state) == []
