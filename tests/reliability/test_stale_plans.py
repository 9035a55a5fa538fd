"""Stale or tampered plans (#5 item 9) are refused with the exact reason and 0 write requests.

tests/e2e/test_drift_and_safety.py covers a plan applied a second time after it created its dataset, an
unplanned record's field edited out of band, and one hand-edited count. This file covers the rest: live state
changed in other ways after the plan (dataset settings, a record another process loaded, a planned update
already made, a record planned for completion re-keyed), a source edited after the plan, a plan made against
an existing empty dataset applied twice, and single-byte corruption at 40 seeded positions of a plan file.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from harness.project import Project
from support import COMPLETE, dataset_doc, record_set_doc

from reconciler.providers.contactnow.client import ContactNowClient

DATASET = dataset_doc()
RECORDS = record_set_doc(source="records.csv", absent=COMPLETE, guards="{maxPercent: 100}")

GONE = "the saved plan changes it, and it no longer needs to"
NEW = "now changes, and the saved plan did not change it"


def stale(address: str, what: str, explained: str | None) -> str:
    """The refusal of a stale plan: what changed since, and what that does to the plan (deepdiff), if anything."""
    lines = sorted([f"its {what} changed since the plan was made", *([explained] if explained else [])])
    count = "1 problem" if len(lines) == 1 else f"{len(lines)} problems"
    return f"Error: stale plan refused: {count}\n" + "".join(
        f"  {address}: {line} (make a new plan)\n" for line in lines
    )


def write_rows(project: Project, keys: list[int], renamed: dict[int, str] | None = None) -> None:
    names = renamed or {}
    lines = ["VENDOR_URN,FirstName,MobilePhone"]
    lines += [f"S{n:03d},{names.get(n, f'Name{n}')},07700900{n:03d}" for n in keys]
    project.write("manifests/records.csv", "\n".join(lines) + "\n")


def setup(project: Project, keys: list[int], renamed: dict[int, str] | None = None) -> None:
    project.write("manifests/spring.yaml", DATASET + RECORDS)
    write_rows(project, keys, renamed)


def save_plan(project: Project) -> Path:
    saved = project.root / "plan.json"
    made = project.cli("plan", "--out", str(saved))
    assert made.exit_code == 0, made.stdout + made.stderr
    return saved


def apply_saved(project: Project, saved: Path) -> tuple[int, str]:
    mark = project.mark()
    result = project.cli("apply", "--plan", str(saved), "--auto-approve")
    if result.exit_code != 0:
        assert project.writes(mark) == [], "a refused plan must not write"
    return result.exit_code, result.stderr


def stored(project: Project) -> list[tuple[str, str, str]]:
    """(VENDOR_URN, FirstName, outcomecode) of each stored record, by key (then by id)."""
    records = project.view.records()  # by id: sorted() keeps that order among equal keys
    return sorted(
        ((r["VENDOR_URN"], r["FirstName"], r["outcomecode"]) for r in records), key=lambda row: row[0]
    )


@pytest.fixture
def applied(project: Project) -> Project:
    """Dataset/spring with records S000..S004, applied."""
    setup(project, list(range(5)))
    first = project.cli("apply", "--auto-approve")
    assert first.exit_code == 0, first.stdout + first.stderr
    return project


def test_dataset_changed_out_of_band_after_the_plan(applied: Project) -> None:
    write_rows(applied, list(range(6)))
    saved = save_plan(applied)
    applied.view.set_dataset(applied.view.dataset(), priority=40)
    assert apply_saved(applied, saved) == (1, stale("Dataset/spring", "live state", NEW))
    assert len(stored(applied)) == 5


@pytest.mark.served  # another client loads records at the emulator URL
def test_record_loaded_by_someone_else_after_the_plan(applied: Project) -> None:
    """The plan creates S005; another process loads S005 first. Applying the plan would duplicate it."""
    write_rows(applied, list(range(6)))
    saved = save_plan(applied)
    dataset = applied.view.dataset().id
    with ContactNowClient(f"{applied.base_url}/contactnow/", "demo", "demo-password") as other:
        loaded = other.create_records(
            [
                {
                    "dataset": str(dataset),
                    "VENDOR_URN": "S005",
                    "FirstName": "Name5",
                    "MobilePhone": "07700900005",
                }
            ]
        )
    assert (loaded.total, loaded.bad) == (1, 0)
    assert apply_saved(applied, saved) == (
        1,
        stale("RecordSet/spring-records", "live state", GONE),
    )
    assert [row[0] for row in stored(applied)].count("S005") == 1


def test_planned_update_already_made_out_of_band(applied: Project) -> None:
    setup(applied, list(range(5)), renamed={2: "Renamed"})
    saved = save_plan(applied)
    assert json.loads(saved.read_text())["summary"]["rows"] == {"change": 1, "create": 0, "remove": 0}
    applied.view.set_records("S002", FirstName="Renamed")
    assert apply_saved(applied, saved) == (
        1,
        stale("RecordSet/spring-records", "live state", GONE),
    )


def test_record_planned_for_completion_rekeyed_out_of_band(applied: Project) -> None:
    write_rows(applied, [0, 1, 2, 3])  # S004 is absent: the plan completes it
    saved = save_plan(applied)
    assert json.loads(saved.read_text())["summary"]["rows"] == {"change": 0, "create": 0, "remove": 1}
    applied.view.set_records("S004", VENDOR_URN="S999")
    assert apply_saved(applied, saved) == (
        1,
        stale("RecordSet/spring-records", "live state", None),  # the same plan, on other records,
    )
    assert [row[2] for row in stored(applied)] == ["", "", "", "", ""]


def test_source_edited_after_the_plan(applied: Project) -> None:
    write_rows(applied, list(range(6)))
    saved = save_plan(applied)
    write_rows(applied, list(range(7)))
    assert apply_saved(applied, saved) == (
        1,
        stale("RecordSet/spring-records", "source", "counts.create: 1 -> 2"),
    )
    assert len(stored(applied)) == 5


def test_plan_against_an_empty_dataset_applied_twice(project: Project) -> None:
    project.write("manifests/spring.yaml", DATASET)
    assert project.cli("apply", "--auto-approve").exit_code == 0
    setup(project, list(range(8)))
    saved = save_plan(project)
    plan = json.loads(saved.read_text())
    assert plan["observed"]["live"]["RecordSet/spring-records"] != "absent"
    assert apply_saved(project, saved) == (0, "")
    assert len(stored(project)) == 8
    assert apply_saved(project, saved) == (
        1,
        stale("RecordSet/spring-records", "live state", GONE),
    )
    assert len(stored(project)) == 8


REFUSALS = [
    r"Error: stale plan refused: 1 problem\n  {path} was modified after it was made \(checksum mismatch\) "
    r"\(make a new plan with `plan --out`\)\n",
    r"Error: stale plan refused: 1 problem\n  cannot read plan file {path}: .+ \(make a new plan\)\n",
    r"Error: stale plan refused: 1 problem\n  {path} is not a reconciler plan "
    r"\(make a new plan with `plan --out`\)\n",
]


def test_a_plan_file_with_one_byte_changed_is_refused_at_every_position(applied: Project) -> None:
    """40 seeded positions, each replaced by a different byte that is not JSON whitespace (whitespace between
    tokens does not change what the plan says, and a byte inside a value or a token always does)."""
    write_rows(applied, [0, 1, 2, 3, 5, 6], renamed={1: "Other"})  # create, update and complete
    saved = save_plan(applied)
    original = saved.read_bytes()
    chooser = random.Random(5)
    positions = sorted(chooser.sample(range(len(original)), 40))
    patterns = [re.compile(pattern.format(path=re.escape(str(saved)))) for pattern in REFUSALS]
    seen = [0, 0, 0]
    for position in positions:
        replacement = chooser.choice([b for b in range(256) if b not in (original[position], 9, 10, 13, 32)])
        saved.write_bytes(original[:position] + bytes([replacement]) + original[position + 1 :])
        code, stderr = apply_saved(applied, saved)
        assert code == 1, f"byte {position} changed to {replacement:#04x} was accepted"
        matched = [index for index, pattern in enumerate(patterns) if pattern.fullmatch(stderr)]
        assert matched, (position, stderr)
        seen[matched[0]] += 1
    assert seen[0] > 0 and seen[1] > 0 and sum(seen) == 40, seen  # with seed 5: 9 checksum, 31 unreadable
    saved.write_bytes(original)
    assert apply_saved(applied, saved) == (0, "")
    assert [row[:2] for row in stored(applied)] == [
        ("S000", "Name0"),
        ("S001", "Other"),
        ("S002", "Name2"),
        ("S003", "Name3"),
        ("S004", "Name4"),
        ("S005", "Name5"),
        ("S006", "Name6"),
    ]
    assert stored(applied)[4][2] == "510456"
