"""The bundled examples, over real HTTP: plan shows changes, apply converges, a second apply writes nothing."""

from __future__ import annotations

import shutil
import textwrap
from collections import Counter
from pathlib import Path

from harness.project import Project, project_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_examples_converge_and_a_second_apply_writes_nothing(project: Project) -> None:
    shutil.copytree(EXAMPLES, project.root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".reconciler"))
    (project.root / "reconciler.yaml").write_text(
        textwrap.dedent(project_file(project.base_url)).lstrip() + "manifests: [manifests]\n"
    )
    assert project.cli("plan", "--detailed-exitcode").exit_code == 2
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "Verified: the live state matches the manifests." in applied.stdout
    datasets = project.view.datasets()
    assert len(datasets) == 5
    assert sorted(Counter(dataset.status for dataset in datasets).items()) == [
        ("EXPIRED", 1),
        ("HOLD", 2),
        ("LIVE", 2),
    ]
    keys = project.view.record_keys()
    assert (len(keys), len(set(keys))) == (325, 325)
    assert len(project.view.members(125)) == 500
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0
    mark = project.mark()
    again = project.cli("apply", "--auto-approve")
    assert again.exit_code == 0
    assert project.writes(mark) == []
