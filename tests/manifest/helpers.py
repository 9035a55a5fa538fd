"""Shared paths and helpers for the manifest tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import dataset_doc, record_set_doc

from reconciler.errors import ManifestError
from reconciler.kinds import load_project
from reconciler.manifest import Project

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
FIXTURES = REPO / "tests" / "fixtures" / "manifests"
SCHEMAS = REPO / "schemas"

DATASET = dataset_doc(description="Spring renewals").removeprefix("---\n")
"""Dataset/spring with no leading `---`: the line numbers the manifest tests expect start at apiVersion."""


def problems(root: Path, *, check_sources: bool = True) -> list[str]:
    """The problems load_project reports for a project, as printed, in order (fails if it loads)."""
    with pytest.raises(ManifestError) as caught:
        load_project(root, check_sources=check_sources)
    return [str(problem) for problem in caught.value.problems]


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create a project tree under root from {relative path: content}."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def record_set(
    rows_or_source: str, fields: str = "[FirstName, MobilePhone]", name: str = "spring-records"
) -> str:
    """A RecordSet document for Dataset/spring; rows_or_source is the YAML after `fields:`."""
    return record_set_doc(name, fields=fields) + rows_or_source


def load(root: Path) -> Project:
    return load_project(root)
