"""Control and bidirectional characters, and blank keys, are refused in every source (CSV, JSONL, inline rows,
YAML strings) with their location; the columnar path refuses the same rows as the row path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import DATASET, problems, record_set, write

HEADER = "VENDOR_URN,FirstName,MobilePhone\n"
REMEDY = (
    "remove it: control and bidirectional characters would reach the dialler and change what a reviewer sees"
)
CANARIES = {
    "NUL": ("\x00", "\\x00"),
    "ESC": ("\x1b", "\\x1b"),
    "CSI": ("\x1b[2J", "\\x1b"),
    "C1 CSI": ("\x9b2J", "\\x9b"),
    "bidi override": ("\u202e", "\\u202e"),
    "bidi isolate": ("\u2066", "\\u2066"),
}


def _many_rows(bad_row: str) -> str:
    """A CSV big enough for the columnar scan, with one bad row in it."""
    rows = [f"K{n},Ann,0770090{n:04d}\n" for n in range(3000)]
    rows[1234] = bad_row
    return HEADER + "".join(rows)


@pytest.mark.parametrize("name", sorted(CANARIES))
def test_csv_values_with_control_characters_are_refused_with_their_line(tmp_path: Path, name: str) -> None:
    raw, code = CANARIES[name]
    write(
        tmp_path,
        {
            "m.yaml": DATASET + record_set("  source: r.csv\n"),
            "r.csv": _many_rows(f"K1234,A{raw}n,07700901234\n"),
        },
    )
    assert problems(tmp_path) == [
        f"{tmp_path}/r.csv:1236:1: RecordSet/spring-records: FirstName holds a control or bidirectional character ({code}) "
        f"({REMEDY})"
    ]


@pytest.mark.parametrize("name", sorted(CANARIES))
def test_jsonl_escapes_decode_to_refused_characters(tmp_path: Path, name: str) -> None:
    raw, code = CANARIES[name]
    line = json.dumps({"VENDOR_URN": "K1", "FirstName": f"A{raw}n", "MobilePhone": "07700900001"})
    write(tmp_path, {"m.yaml": DATASET + record_set("  source: r.jsonl\n"), "r.jsonl": line + "\n"})
    assert problems(tmp_path) == [
        f"{tmp_path}/r.jsonl:1:1: RecordSet/spring-records: FirstName holds a control or bidirectional character ({code}) "
        f"({REMEDY})"
    ]


def test_inline_rows_and_yaml_strings_with_control_characters_are_refused(tmp_path: Path) -> None:
    rows = '  rows:\n    - {VENDOR_URN: K1, FirstName: "A\\en", MobilePhone: "07700900001"}\n'
    dataset = DATASET.replace("description: Spring renewals", 'description: "Spring\\u202e renewals"')
    write(tmp_path, {"m.yaml": dataset + record_set(rows)})
    found = problems(tmp_path)
    assert found == [
        f"{tmp_path}/m.yaml:7:16: Dataset/spring: a value holds a control or bidirectional character (\\u202e) ({REMEDY})",
        f"{tmp_path}/m.yaml:17:35: RecordSet/spring-records: a value holds a control or bidirectional character (\\x1b) "
        f"({REMEDY})",
    ]
    assert not any("\x1b" in text or "\u202e" in text for text in found)


@pytest.mark.parametrize(
    ("key", "reason"),
    [("   ", "VENDOR_URN is blank"), ("\\tK1", "VENDOR_URN holds a tab or a line break")],
)
def test_blank_keys_and_keys_with_line_breaks_are_refused(tmp_path: Path, key: str, reason: str) -> None:
    line = json.dumps(
        {"VENDOR_URN": json.loads(f'"{key}"'), "FirstName": "Ann", "MobilePhone": "07700900001"}
    )
    write(tmp_path, {"m.yaml": DATASET + record_set("  source: r.jsonl\n"), "r.jsonl": line + "\n"})
    assert problems(tmp_path)[0].startswith(f"{tmp_path}/r.jsonl:1:1: RecordSet/spring-records: {reason} (")


def test_a_blank_key_in_a_large_csv_is_refused_by_the_columnar_path_too(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"m.yaml": DATASET + record_set("  source: r.csv\n"), "r.csv": _many_rows("  ,Ann,07700901234\n")},
    )
    assert problems(tmp_path) == [
        f"{tmp_path}/r.csv:1236:1: RecordSet/spring-records: VENDOR_URN is blank (give every row a value for the key "
        "VENDOR_URN: spaces alone identify no record)"
    ]
