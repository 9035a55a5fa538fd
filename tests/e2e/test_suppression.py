"""Suppression lists through the CLI, against the emulator: importing numbers into a list file, and what a
plan and an apply do with the lists a RecordSet names."""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from harness.project import Project
from support import document

from reconciler import cli
from reconciler.suppression.listfile import HEADER_BYTES, PREFIX_BYTES

KEY = "0123456789abcdef0123456789abcdef"
NUMBERS = ["07700 900001", "+44 7700 900002", "0044 7700-900003", "447700900004", "(07700) 900005"]


def list_doc(name: str = "tps", kind: str = "registry", **spec: object) -> str:
    extra: dict[str, object] = {"maxAge": "28d"} if kind == "registry" else {}
    return document("SuppressionList", name, type=kind, source=f"../suppression/{name}.hmac", **extra, **spec)


def suppress_import(project: Project, numbers: Path, *args: str, name: str = "tps") -> tuple[int, str, str]:
    run = project.mode.invoke(
        [
            "suppression",
            "import",
            str(numbers),
            "--list",
            name,
            "--region",
            "GB",
            "-C",
            str(project.root),
            *args,
        ]
    )
    return run.exit_code, run.stdout, run.stderr


def test_import_hashes_every_number_and_sets_screened_at(project: Project) -> None:
    project.setenv(RECONCILER_SUPPRESSION_KEY=KEY)
    project.write("manifests/lists.yaml", list_doc())
    source = project.root / "tps.csv.gz"
    source.write_bytes(gzip.compress(("Number\n" + "\n".join([*NUMBERS, "", NUMBERS[0]]) + "\n").encode()))
    at(project, datetime(2026, 12, 1, 23, 59, tzinfo=UTC))
    code, out, err = suppress_import(project, source)
    assert (code, err) == (0, "")
    assert out == (
        f"SuppressionList/tps: 6 numbers read, 5 distinct written to {project.root}/suppression/tps.hmac; 1 blank "
        f"lines skipped; screenedAt set to 2026-12-01 in {project.root}/manifests/lists.yaml.\n"
    )
    listed = project.root / "suppression" / "tps.hmac"
    assert listed.stat().st_size == HEADER_BYTES + 5 * PREFIX_BYTES
    text = (project.root / "manifests" / "lists.yaml").read_text()
    assert "  source: ../suppression/tps.hmac\n  screenedAt: 2026-12-01\n  maxAge: 28d\n" in text


def test_a_number_that_cannot_be_read_names_its_line_and_writes_nothing(project: Project) -> None:
    project.setenv(RECONCILER_SUPPRESSION_KEY=KEY)
    project.write("manifests/lists.yaml", list_doc())
    source = project.write("numbers.txt", "07700 900001\nunknown 555\n07700 900002\n")
    code, out, err = suppress_import(project, source)
    assert (code, out) == (1, "")
    assert err == (
        f"Error: cannot read input: 1 problem\n  {source}:2:1: is not a phone number of GB or in international "
        "form (value not shown) (fix or remove these lines, check --region, or pass --skip-invalid to leave them "
        "out and count them)\n"
    )
    assert "555" not in err
    assert not (project.root / "suppression").exists()
    assert "screenedAt" not in (project.root / "manifests" / "lists.yaml").read_text()
    code, out, err = suppress_import(project, source, "--skip-invalid")
    assert code == 0 and "2 numbers read, 2 distinct" in out and "1 invalid values skipped" in out


def test_import_without_the_key_is_refused_before_reading(project: Project) -> None:
    project.write("manifests/lists.yaml", list_doc(keyEnv="TPS_KEY"))
    source = project.write("numbers.txt", "07700 900001\n")
    code, _, err = suppress_import(project, source)
    assert code == 1
    assert err == (
        "Error: SuppressionList/tps: environment variable TPS_KEY is not set; set it to the suppression key (at "
        "least 16 characters) the list was written with\n"
    )


def test_import_names_the_lists_when_the_name_is_unknown(project: Project) -> None:
    project.setenv(RECONCILER_SUPPRESSION_KEY=KEY)
    project.write("manifests/lists.yaml", list_doc())
    code, _, err = suppress_import(project, project.write("n.txt", "07700 900001\n"), name="tsp")
    assert code == 1
    assert err == (
        'Error: no SuppressionList named "tsp" in the project (lists: tps); add its manifest first, with the '
        "source file to write\n"
    )


def at(project: Project, moment: datetime) -> None:
    """Run the CLI's engine with its clock stopped at `moment`."""
    make = cli._engine
    project.monkeypatch.setattr(
        cli, "_engine", lambda settings: replace(make(settings), clock=lambda: moment)
    )
