"""Source files: safe paths (nothing outside the root is ever opened), and readers that keep text as text."""

from __future__ import annotations

import builtins
import gzip
import io
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.errors import Location, ManifestError
from reconciler.kinds import load_project
from reconciler.kinds.recordset import RecordSetManifest

from .helpers import DATASET, problems, record_set, write

CSV_RECORDS = record_set("  source: data/r.csv\n")


def _rows(
    root: Path, source: str, content: str | bytes, fields: str = "[FirstName, MobilePhone]"
) -> list[dict[str, str]]:
    write(root, {"m.yaml": DATASET + record_set(f"  source: {source}\n", fields), source: content})
    project = load_project(root)
    return [row.values for row in project.of(RecordSetManifest)[0].iter_rows()]


def test_csv_values_are_text_exactly(tmp_path: Path) -> None:
    content = (
        "\ufeffVENDOR_URN,FirstName,MobilePhone,Postcode,Extra\n"
        "007,Ann,07700900001,01234,ignored\n"
        '008,"Smith, Bob","+447700900002",,\n'
        '009,"Line one\nline two",07700900003,1.50,x\n'
    )
    rows = _rows(tmp_path, "data/r.csv", content, "[FirstName, MobilePhone, Postcode]")
    assert rows == [
        {"VENDOR_URN": "007", "FirstName": "Ann", "MobilePhone": "07700900001", "Postcode": "01234"},
        {"VENDOR_URN": "008", "FirstName": "Smith, Bob", "MobilePhone": "+447700900002", "Postcode": ""},
        {
            "VENDOR_URN": "009",
            "FirstName": "Line one\nline two",
            "MobilePhone": "07700900003",
            "Postcode": "1.50",
        },
    ]


def test_csv_row_locations_count_physical_lines(tmp_path: Path) -> None:
    content = 'VENDOR_URN,FirstName,MobilePhone\nA-1,"two\nlines",07700900001\n\nA-2,Bob,07700900002\n'
    write(tmp_path, {"m.yaml": DATASET + CSV_RECORDS, "data/r.csv": content})
    rows = list(load_project(tmp_path).of(RecordSetManifest)[0].iter_rows())
    assert [row.location for row in rows] == [
        Location(f"{tmp_path}/data/r.csv", 2, 1),
        Location(f"{tmp_path}/data/r.csv", 5, 1),
    ]


def test_csv_problems(tmp_path: Path) -> None:
    cases: dict[str | bytes, str] = {
        "": "data/r.csv:1:1: RecordSet/spring-records: CSV file has no header row "
        "(start the file with the column names, e.g. VENDOR_URN,FirstName,MobilePhone)",
        "VENDOR_URN,FirstName,MobilePhone,FirstName\n": "data/r.csv:1:1: RecordSet/spring-records: "
        'CSV header has column "FirstName" twice (keep one)',
        "VENDOR_URN,FirstName,MobilePhone\nA-1,Ann\n": "data/r.csv:2:1: RecordSet/spring-records: "
        "row has 2 values but the header has 3 columns "
        "(check for a missing or extra comma; quote a value that contains a comma)",
        b"VENDOR_URN,FirstName,MobilePhone\nA-1,Ren\xe9e,07700900001\n": "data/r.csv:2:1: RecordSet/spring-records: "
        "source is not UTF-8 text (save the file as UTF-8)",
        'VENDOR_URN,FirstName,MobilePhone\nA-1,"unclosed,07700900001\n': "data/r.csv:2:1: RecordSet/spring-records: "
        "CSV syntax error: unexpected end of data (check the quoting from this line on)",
    }
    for index, (content, expected) in enumerate(cases.items()):
        root = tmp_path / str(index)
        write(root, {"m.yaml": DATASET + CSV_RECORDS, "data/r.csv": content})
        assert problems(root) == [f"{root}/{expected}"], content


def test_jsonl_numbers_become_their_json_text(tmp_path: Path) -> None:
    content = (
        '{"VENDOR_URN": 1001, "FirstName": "Ann", "MobilePhone": "07700900001", "Testy": 510456}\n'
        "\n"
        '{"VENDOR_URN": "A-2", "FirstName": null, "MobilePhone": "+447700900002", "Testy": 1.50, "x": [1]}\n'
        '{"VENDOR_URN": "A-3", "MobilePhone": "07700900003", "Testy": true}\n'
    )
    rows = _rows(tmp_path, "data/r.jsonl", content, "[FirstName, MobilePhone, Testy]")
    assert rows == [
        {"VENDOR_URN": "1001", "FirstName": "Ann", "MobilePhone": "07700900001", "Testy": "510456"},
        {"VENDOR_URN": "A-2", "FirstName": "", "MobilePhone": "+447700900002", "Testy": "1.50"},
        {"VENDOR_URN": "A-3", "FirstName": "", "MobilePhone": "07700900003", "Testy": "true"},
    ]


@pytest.mark.parametrize("suffix", [".csv.gz", ".jsonl.gz", ".ndjson.gz", ".ndjson"])
def test_gzip_and_ndjson_are_read_transparently(tmp_path: Path, suffix: str) -> None:
    if ".csv" in suffix:
        text = "VENDOR_URN,FirstName,MobilePhone\nA-1,Ann,07700900001\n"
    else:
        text = '{"VENDOR_URN": "A-1", "FirstName": "Ann", "MobilePhone": "07700900001"}\n'
    data = gzip.compress(text.encode()) if suffix.endswith(".gz") else text.encode()
    rows = _rows(tmp_path, f"data/r{suffix}", data)
    assert rows == [{"VENDOR_URN": "A-1", "FirstName": "Ann", "MobilePhone": "07700900001"}]


def test_bad_gzip_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, {"m.yaml": DATASET + record_set("  source: r.csv.gz\n"), "r.csv.gz": b"not gzip at all"})
    assert problems(tmp_path) == [
        f"{tmp_path}/r.csv.gz: RecordSet/spring-records: source is not a valid gzip file (recompress it with gzip)"
    ]


@pytest.mark.parametrize("name", ["r.csv.gz", "r.jsonl.gz"])
def test_a_gzip_file_whose_data_is_corrupt_is_a_problem_not_a_crash(tmp_path: Path, name: str) -> None:
    """A gzip header followed by a broken deflate stream: the columnar reader hands the file to the row reader,
    which names it (it used to raise zlib.error out of the plan)."""
    if name.endswith(".csv.gz"):
        text = b"VENDOR_URN,FirstName,MobilePhone\n" + b"".join(
            b"A-%d,Ann,07700900001\n" % i for i in range(20_000)
        )
    else:
        text = b"".join(b'{"VENDOR_URN": "A-%d", "MobilePhone": "07700900001"}\n' % i for i in range(20_000))
    broken = bytearray(gzip.compress(text))
    broken[200] ^= 0xFF
    broken[300] ^= 0xFF
    write(tmp_path, {"m.yaml": DATASET + record_set(f"  source: {name}\n"), name: bytes(broken)})
    assert problems(tmp_path) == [
        f"{tmp_path}/{name}: RecordSet/spring-records: source is not a valid gzip file (recompress it with gzip)"
    ]


def test_source_checks_only_when_asked_but_paths_always(tmp_path: Path) -> None:
    write(tmp_path, {"m.yaml": DATASET + CSV_RECORDS, "data/r.csv": "VENDOR_URN,FirstName\nA-1,Ann\n"})
    project = load_project(tmp_path, check_sources=False)
    with pytest.raises(ManifestError) as caught:
        list(project.of(RecordSetManifest)[0].iter_rows())
    assert [str(p) for p in caught.value.problems] == [
        f'{tmp_path}/data/r.csv:1:1: RecordSet/spring-records: CSV header has no column "MobilePhone" '
        "(add the column, or stop managing this field)"
    ]
    (tmp_path / "data" / "r.csv").unlink()
    assert problems(tmp_path, check_sources=False) == [
        f'{tmp_path}/m.yaml:16:11: RecordSet/spring-records: source file "data/r.csv" not found '
        "(check the path; it is relative to this manifest file)"
    ]


def test_source_paths_are_relative_to_the_manifest(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "manifests/deep/m.yaml": DATASET + record_set("  source: ../../data/r.csv\n"),
            "data/r.csv": "VENDOR_URN,FirstName,MobilePhone\nA-1,Ann,07700900001\n",
        },
    )
    record_sets = load_project(tmp_path).of(RecordSetManifest)
    assert record_sets[0].source is not None
    assert record_sets[0].source.display == f"{tmp_path}/data/r.csv"


# ---------------------------------------------------------------------------------------------------------------
# Path traversal: every payload is refused, and no file outside the root is opened.

TRAVERSAL = [
    "../x.csv",
    "../../x.csv",
    "a/../../x.csv",
    "./../x.csv",
    "data/../../../etc/passwd.csv",
    "/etc/passwd.csv",
    "/etc/passwd",
    "//server/share/x.csv",
    "~/x.csv",
    "~root/x.csv",
    "C:/x.csv",
    "c:x.csv",
    "..\\x.csv",
    "data\\..\\..\\x.csv",
    "file:///etc/passwd.csv",
    "https://example.com/x.csv",
    "x.csv\x00.txt",
    "../x.csv.gz",
    "../x.jsonl",
    "%2e%2e/x.csv",
    "%2e%2e%2fx.csv",
    "..%2fx.csv",
    "data/x.txt",
    "data/x.csv.zip",
    "data/x",
    "data/",
    ".",
    "..",
    "../",
]


@pytest.mark.parametrize("payload", TRAVERSAL)
def test_traversal_payloads_are_refused_without_opening_outside(
    tmp_path: Path, payload: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    outside = tmp_path / "x.csv"
    outside.write_text("VENDOR_URN,FirstName,MobilePhone\nA-1,Ann,07700900001\n")
    quoted = '"' + payload.replace("\\", "\\\\").replace("\x00", "\\0") + '"'
    write(root, {"m.yaml": DATASET + record_set(f"  source: {quoted}\n"), "data/placeholder.txt": ""})
    opened = _record_opens(monkeypatch)
    found = problems(root)
    assert len(found) == 1
    assert found[0].startswith(f"{root}/m.yaml:16:11: RecordSet/spring-records: "), found
    assert "\x00" not in found[0]
    real_root = str(root.resolve())
    assert [path for path in opened if not path.startswith(real_root)] == []


def _record_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    opened: list[str] = []
    real_os_open = os.open
    real_open = builtins.open

    def os_open(
        path: str | os.PathLike[str], flags: int, mode: int = 0o777, *, dir_fd: int | None = None
    ) -> int:
        opened.append(os.path.realpath(path))
        return real_os_open(path, flags, mode, dir_fd=dir_fd)

    def any_open(file: object, *args: object, **kwargs: object) -> object:
        if isinstance(file, str | bytes | os.PathLike):
            opened.append(os.path.realpath(os.fsdecode(file)))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", any_open)
    monkeypatch.setattr(io, "open", any_open)
    return opened


def _symlink_project(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "project"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("VENDOR_URN,FirstName,MobilePhone\nA-1,Ann,07700900001\n")
    root.mkdir()
    return root, outside


def test_symlink_leading_outside_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, outside = _symlink_project(tmp_path)
    write(root, {"m.yaml": DATASET + record_set("  source: data/r.csv\n")})
    (root / "data").mkdir()
    (root / "data" / "r.csv").symlink_to(outside / "secret.csv")
    opened = _record_opens(monkeypatch)
    assert problems(root) == [
        f'{root}/m.yaml:16:11: RecordSet/spring-records: source path "data/r.csv" leads outside the project root '
        "through a symbolic link (copy the file into the project, or point the link at a file inside it)"
    ]
    assert [path for path in opened if path.startswith(str(outside.resolve()))] == []


def test_symlinked_directory_and_chains_leading_outside_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, outside = _symlink_project(tmp_path)
    write(root, {"m.yaml": DATASET + record_set("  source: data/secret.csv\n")})
    (root / "data").symlink_to(outside)
    first = DATASET.replace("spring", "autumn").replace("Spring", "Autumn")
    (root / "n.yaml").write_text(
        first + record_set("  source: hop1.csv\n", name="autumn-records").replace("spring", "autumn")
    )
    (root / "hop2.csv").symlink_to(outside / "secret.csv")
    (root / "hop1.csv").symlink_to(root / "hop2.csv")
    opened = _record_opens(monkeypatch)
    found = problems(root)
    assert found == [
        f'{root}/m.yaml:16:11: RecordSet/spring-records: source path "data/secret.csv" leads outside the project root '
        "through a symbolic link (copy the file into the project, or point the link at a file inside it)",
        f'{root}/n.yaml:16:11: RecordSet/autumn-records: source path "hop1.csv" leads outside the project root '
        "through a symbolic link (copy the file into the project, or point the link at a file inside it)",
    ]
    assert [path for path in opened if path.startswith(str(outside.resolve()))] == []


def test_symlink_inside_the_root_is_fine_and_loops_are_refused(tmp_path: Path) -> None:
    root, _ = _symlink_project(tmp_path)
    write(
        root,
        {
            "m.yaml": DATASET + CSV_RECORDS,
            "real.csv": "VENDOR_URN,FirstName,MobilePhone\nA-1,Ann,07700900001\n",
        },
    )
    (root / "data").mkdir()
    (root / "data" / "r.csv").symlink_to(root / "real.csv")
    assert [row.values["VENDOR_URN"] for row in load_project(root).of(RecordSetManifest)[0].iter_rows()] == [
        "A-1"
    ]
    (root / "data" / "r.csv").unlink()
    (root / "data" / "r.csv").symlink_to(root / "data" / "loop.csv")
    (root / "data" / "loop.csv").symlink_to(root / "data" / "r.csv")
    found = problems(root)
    assert len(found) == 1 and "data/r.csv" in found[0]


def test_manifest_file_symlinked_from_outside_is_refused(tmp_path: Path) -> None:
    root, outside = _symlink_project(tmp_path)
    (outside / "evil.yaml").write_text(DATASET)
    (root / "evil.yaml").symlink_to(outside / "evil.yaml")
    assert problems(root) == [
        f"{root}/evil.yaml: manifest file is a symbolic link that leads outside the project root "
        "(copy the file into the project)"
    ]


# ---------------------------------------------------------------------------------------------------------------
# Streaming: memory does not grow with the number of rows.


def _big_csv(path: Path, rows: int) -> None:
    with path.open("w") as stream:
        stream.write("VENDOR_URN,FirstName,MobilePhone\n")
        for index in range(rows):
            stream.write(f"K{index},Name{index},07700{index % 1000000:06d}\n")


def _peak_while(iterator: Iterator[object]) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in iterator)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_iter_rows_streams(tmp_path: Path) -> None:
    write(tmp_path, {"m.yaml": DATASET + CSV_RECORDS})
    (tmp_path / "data").mkdir(exist_ok=True)
    _big_csv(tmp_path / "data" / "r.csv", 40_000)
    record_sets = load_project(tmp_path, check_sources=False).of(RecordSetManifest)
    record: RecordSetManifest = record_sets[0]
    count, peak = _peak_while(record.iter_rows())
    assert count == 40_000
    assert peak < 2 * 1024 * 1024  # the file is ~1.1 MB; rows are never all held
