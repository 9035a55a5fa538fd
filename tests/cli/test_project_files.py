"""The files the reconciler gives a user's repository: the pre-commit hook, and the .reconciler/ folder it keeps
out of git."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from ruamel.yaml import YAML
from support import dataset_doc, write_file
from typer.testing import CliRunner

from reconciler.cli import app

REPO = Path(__file__).resolve().parents[2]


def test_the_pre_commit_hook_runs_validate_once_for_manifest_changes(tmp_path: Path) -> None:
    (hook,) = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "reconciler-validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert all(files.search(name) for name in ("m/a.yaml", "reconciler.yml", "d/r.csv", "d/r.jsonl.gz"))
    assert not files.search("README.md")
    command, *arguments = shlex.split(hook["entry"])
    assert command == "reconciler"
    write_file(tmp_path, "datasets.yaml", dataset_doc())
    result = CliRunner().invoke(app, [*arguments, str(tmp_path)])
    assert (result.exit_code, result.stdout) == (
        0,
        "Valid: 0 calling policies, 0 time-of-day policies, 0 queues, 1 datasets, 0 outcome codes, 0 suppression "
        f"lists, 0 record sets, 0 CC campaigns, 0 campaign memberships in {tmp_path}.\n",
    )


def test_the_working_folder_keeps_itself_out_of_git(tmp_path: Path) -> None:
    write_file(tmp_path, "datasets.yaml", dataset_doc())
    assert CliRunner().invoke(app, ["apply", str(tmp_path), "--auto-approve"]).exit_code == 0
    assert (tmp_path / ".reconciler" / ".gitignore").read_text() == (
        "# Written by reconciler: its locks and the embedded emulator's store are not for git.\n*\n"
    )


def test_plan_validate_drift_and_check_create_nothing_on_disk(tmp_path: Path) -> None:
    write_file(tmp_path, "datasets.yaml", dataset_doc())
    before = sorted(tmp_path.rglob("*"))
    for command in ("validate", "plan", "drift", "check"):
        result = CliRunner().invoke(app, [command, str(tmp_path)])
        assert result.exit_code in {0, 2}, (command, result.stderr)
    assert sorted(tmp_path.rglob("*")) == before


def test_a_directory_without_manifests_is_an_error_naming_where_it_searched(tmp_path: Path) -> None:
    empty = tmp_path / "wrong-path"
    empty.mkdir()
    write_file(
        empty, "reconciler.yaml", "apiVersion: reconciler/v1\nkind: Project\nmanifests: [manifests, more]\n"
    )
    (empty / "manifests").mkdir()
    (empty / "more").mkdir()
    for command in ("validate", "plan", "drift", "apply"):
        result = CliRunner().invoke(
            app, [command, str(empty), "--auto-approve"] if command == "apply" else [command, str(empty)]
        )
        assert (result.exit_code, result.stdout) == (1, ""), command
        assert result.stderr == (
            f"Error: invalid manifests: 1 problem\n  {empty}: no manifest found: searched {empty}/manifests, "
            f"{empty}/more for *.yaml and *.yml documents (name the project directory that holds "
            "reconciler.yaml and the manifests, or point `manifests:` in reconciler.yaml at the folders that "
            "hold them)\n"
        )
    assert sorted(path.name for path in empty.iterdir()) == ["manifests", "more", "reconciler.yaml"]
