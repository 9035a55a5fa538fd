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
        f"Valid: 1 datasets, 0 record sets, 0 campaign memberships in {tmp_path}.\n",
    )


def test_the_working_folder_keeps_itself_out_of_git(tmp_path: Path) -> None:
    write_file(tmp_path, "datasets.yaml", dataset_doc())
    assert CliRunner().invoke(app, ["plan", str(tmp_path)]).exit_code == 0
    assert (tmp_path / ".reconciler" / ".gitignore").read_text() == (
        "# Written by reconciler: its locks and the embedded emulator's store are not for git.\n*\n"
    )
