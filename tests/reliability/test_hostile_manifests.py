"""Hostile manifests (#5 item 14).

- 38 path-traversal payloads (source paths, manifest directories, symbolic links to files and directories
  outside the root, a linked reconciler.yaml, encoded forms, backslashes, NUL, `~`, drive letters, URLs, a very
  long path, FIFOs) are each refused with ManifestError and its exact reason, and an audit hook proves that no
  file or directory outside the project root is opened or listed.
- 10,000 seeded phone numbers, in YAML rows (double-quoted and unquoted), CSV (quoted and unquoted) and JSONL
  (string and number), are kept exactly or refused with a clear reason: never altered.
- Fuzzing beyond tests/manifest/test_fuzz.py (which fuzzes manifest files and sources): reconciler.yaml and
  source paths, with only ManifestError raised and nothing outside the root touched.
- A 1 GiB YAML file (sparse), deeply nested documents, and CSV/JSONL sources with a huge single line or field
  are refused within a budget of work (Python calls), bytes read and memory, counted rather than timed; the
  1 GiB YAML file is never even opened.
"""

from __future__ import annotations

import functools
import json
import os
import random
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness.cost import MIB, measure
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from reconciler.errors import ManifestError
from reconciler.kinds import load_project
from reconciler.kinds.recordset import RecordSetManifest
from reconciler.manifest import checks

DATASET = (
    "apiVersion: reconciler/v1\nkind: Dataset\nmetadata: {name: d}\nspec: {campaign: W, description: D}\n"
)


def record_set(source: str, fields: str = "[FirstName, MobilePhone]") -> str:
    return (
        "---\napiVersion: reconciler/v1\nkind: RecordSet\nmetadata: {name: r}\n"
        f"spec:\n  dataset: d\n  fields: {fields}\n  source: {json.dumps(source)}\n"
    )


def membership(source: str) -> str:
    return (
        "apiVersion: reconciler/v1\nkind: CampaignMembership\nmetadata: {name: m}\n"
        f"spec:\n  campaign: 125\n  source: {json.dumps(source)}\n"
    )


# ------------------------------------------------------------------------------------ file-access audit


class _Audit:
    """Paths opened or listed while `active`. A process-wide audit hook feeds it (hooks cannot be removed)."""

    active = False
    paths: list[str] = []  # noqa: RUF012 (one recorder for the process)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _Audit.active or event not in ("open", "os.scandir", "os.listdir"):
        return
    target = args[0] if args else None
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    if isinstance(target, bytes):
        target = os.fsdecode(target)
    if isinstance(target, str):
        _Audit.paths.append(target)


sys.addaudithook(_hook)


@dataclass
class Tree:
    root: Path
    outside: Path


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """A project root and, beside it, an `outside` directory full of tempting targets."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "manifests").mkdir(parents=True)
    (outside / "dir").mkdir(parents=True)
    for where in (outside, outside / "dir"):
        (where / "secret.csv").write_text("VENDOR_URN,FirstName,MobilePhone\nA,B,07700900123\n")
    (outside / "members.csv").write_text("customer-id\n10000001\n")
    (outside / "dir" / "evil.yaml").write_text(DATASET.replace("name: d", "name: evil"))
    (outside / "evil.yaml").write_text(DATASET.replace("name: d", "name: evil"))
    (outside / "reconciler.yaml").write_text("apiVersion: reconciler/v1\nkind: Project\n")
    return Tree(root, outside)


def opened(action: Callable[[], object]) -> list[str]:
    """Run `action` under the audit hook; return every path it opened or listed, as given."""
    _Audit.paths = []
    _Audit.active = True
    try:
        action()
    finally:
        _Audit.active = False
    return list(_Audit.paths)


def audited(tree: Tree, action: Callable[[], object]) -> list[str]:
    """Run `action` under the audit hook; return what it opened or listed outside the project root."""
    root = os.path.realpath(tree.root)
    code_dirs = tuple(os.path.realpath(path) for path in {sys.prefix, sys.base_prefix, *sys.path} if path)
    escaped = []
    for path in opened(action):
        real = os.path.realpath(path)
        if real == root or real.startswith(root + os.sep):
            continue
        if real.startswith(code_dirs):
            continue  # the interpreter importing code
        escaped.append(path)
    return escaped


def refusal(tree: Tree) -> list[str]:
    """The reasons load_project gives, with nothing outside the root opened or listed."""
    reasons: list[str] = []

    def load() -> None:
        with pytest.raises(ManifestError) as caught:
            load_project(tree.root)
        reasons.extend(problem.reason for problem in caught.value.problems)

    assert audited(tree, load) == []
    return reasons


def assert_loads_inside(tree: Tree) -> None:
    """load_project loads, or raises ManifestError with problems (nothing else), and opens or lists nothing
    outside the project root."""

    def load() -> None:
        try:
            load_project(tree.root)
        except ManifestError as error:
            assert error.problems

    assert audited(tree, load) == []


OUT = 'source path "{0}" leads outside the project root'
LINKED = 'source path "{0}" leads outside the project root through a symbolic link'
ABSOLUTE = 'source path "{0}" is absolute'
BACKSLASH = 'source path "{0}" contains a backslash'
URL = 'source "{0}" is a URL'
MISSING = 'source file "{0}" not found'

LONG = "a/" * 3000 + "secret.csv"
SOURCE_PAYLOADS: list[tuple[str, str]] = [
    ("../../outside/secret.csv", OUT),
    ("../" * 12 + "etc/passwd.csv", OUT),
    ("data/../../../outside/secret.csv", OUT),
    ("./../../outside/secret.csv", OUT),
    ("manifests/../../../outside/dir/secret.csv", OUT),
    ("/etc/passwd", ABSOLUTE),
    ("/proc/self/root/etc/passwd.csv", ABSOLUTE),
    ("C:/outside/secret.csv", ABSOLUTE),
    ("c:secret.csv", ABSOLUTE),
    ("~/secret.csv", ABSOLUTE),
    ("~root/.ssh/id_rsa.csv", ABSOLUTE),
    ("..\\..\\outside\\secret.csv", BACKSLASH),
    ("C:\\Windows\\win.csv", BACKSLASH),
    ("\\\\server\\share\\secret.csv", BACKSLASH),
    ("..\\/..\\/outside/secret.csv", BACKSLASH),
    ("file:///etc/passwd.csv", URL),
    ("https://evil.example/secret.csv", URL),
    ("..%2f..%2foutside%2fsecret.csv", MISSING),
    ("%2e%2e/%2e%2e/outside/secret.csv", MISSING),
    ("..%c0%af..%c0%afoutside/secret.csv", MISSING),
    ("\u2025/\u2025/outside/secret.csv", MISSING),
    ("\uff0e\uff0e/\uff0e\uff0e/outside/secret.csv", MISSING),
    ("..../..../outside/secret.csv", MISSING),
    ("..;/..;/outside/secret.csv", MISSING),
]


@pytest.mark.parametrize(("payload", "reason"), SOURCE_PAYLOADS)
def test_source_path_payloads_are_refused_without_opening_anything_outside(
    tree: Tree, payload: str, reason: str
) -> None:
    (tree.root / "manifests/m.yaml").write_text(DATASET + record_set(payload))
    assert refusal(tree) == [reason.format(payload)]


def _link(tree: Tree, name: str, target: Path | str) -> None:
    os.symlink(target, tree.root / "manifests" / name)


def _special(tree: Tree, kind: str) -> list[str]:
    """Set up one payload that needs more than a source string; return the expected reasons."""
    manifests = tree.root / "manifests"
    if kind == "nul":
        (manifests / "m.yaml").write_text(DATASET + record_set("secret.csv\x00.txt"))
        return ["a value holds a control or bidirectional character (\\x00)"]  # refused as any YAML string
    if kind == "long":
        (manifests / "m.yaml").write_text(DATASET + record_set(LONG))
        return [f"source path is {len(LONG)} characters long; at most 1024 are allowed"]
    if kind == "bidi":
        (manifests / "m.yaml").write_text(DATASET + record_set("\u202e../\u202e/x.csv"))
        return ["a value holds a control or bidirectional character (\\u202e)"]  # refused as any YAML string
    if kind == "file-link":
        _link(tree, "link.csv", tree.outside / "secret.csv")
        (manifests / "m.yaml").write_text(DATASET + record_set("link.csv"))
        return [LINKED.format("link.csv")]
    if kind == "absolute-link":
        _link(tree, "passwd.csv", "/etc/passwd")
        (manifests / "m.yaml").write_text(DATASET + record_set("passwd.csv"))
        return [LINKED.format("passwd.csv")]
    if kind == "dir-link":
        _link(tree, "linkdir", tree.outside / "dir")
        (manifests / "m.yaml").write_text(DATASET + record_set("linkdir/secret.csv"))
        return [LINKED.format("linkdir/secret.csv")]
    if kind == "chain":
        _link(tree, "second.csv", tree.outside / "secret.csv")
        _link(tree, "first.csv", manifests / "second.csv")
        (manifests / "m.yaml").write_text(DATASET + record_set("first.csv"))
        return [LINKED.format("first.csv")]
    if kind == "fifo":
        os.mkfifo(manifests / "fifo.csv")
        (manifests / "m.yaml").write_text(DATASET + record_set("fifo.csv"))
        return ['source "fifo.csv" is not a regular file']
    if kind == "members":
        (manifests / "m.yaml").write_text(membership("../../outside/members.csv"))
        return [OUT.format("../../outside/members.csv")]
    if kind == "manifest-link":
        _link(tree, "evil.yaml", tree.outside / "evil.yaml")
        return ["manifest file is a symbolic link that leads outside the project root"]
    if kind == "manifest-fifo":
        os.mkfifo(manifests / "pipe.yaml")
        return ["not a regular file"]
    if kind == "project-link":
        os.symlink(tree.outside / "reconciler.yaml", tree.root / "reconciler.yaml")
        return ["reconciler.yaml is a symbolic link that leads outside the project root"]
    directories = {
        "dir-up": ("../outside", 'manifest directory "../outside" leads outside the project root'),
        "dir-inner-up": (
            "manifests/../../outside",
            'manifest directory "manifests/../../outside" leads outside the project root',
        ),
        "dir-absolute": ("/etc", "manifest directory must be a relative path"),
        "dir-backslash": ("..\\outside", "manifest directory must be a relative path"),
        "dir-linked": ("linked", 'manifest directory "linked" leads outside the project root'),
    }
    entry, reason = directories[kind]
    if kind == "dir-linked":
        os.symlink(tree.outside / "dir", tree.root / "linked")
    (tree.root / "reconciler.yaml").write_text(
        f"apiVersion: reconciler/v1\nkind: Project\nmanifests: [manifests, {json.dumps(entry)}]\n"
    )
    (manifests / "m.yaml").write_text(DATASET)
    return [reason]


SPECIAL_PAYLOADS = [
    "nul",
    "long",
    "bidi",
    "file-link",
    "absolute-link",
    "dir-link",
    "chain",
    "fifo",
    "members",
    "manifest-link",
    "manifest-fifo",
    "project-link",
    "dir-up",
    "dir-inner-up",
    "dir-absolute",
    "dir-backslash",
    "dir-linked",
]


@pytest.mark.parametrize("kind", SPECIAL_PAYLOADS)
def test_links_fifos_and_directory_payloads_are_refused(tree: Tree, kind: str) -> None:
    expected = _special(tree, kind)
    assert refusal(tree) == expected


def test_there_are_at_least_30_payloads() -> None:
    assert len(SOURCE_PAYLOADS) + len(SPECIAL_PAYLOADS) == 41


# ------------------------------------------------------------------------------------------ phone numbers

PHONES = 10_000
NOT_A_PHONE = "MobilePhone is not a phone number"
UNQUOTED = "MobilePhone is an unquoted number"
JSON_NUMBER = "MobilePhone is a JSON number"
NOT_JSON = "line is not valid JSON"


def generated_phones(count: int, seed: int) -> list[str]:
    """Phone numbers as people write them, plus look-alikes that YAML or JSON would turn into numbers."""
    rng = random.Random(seed)

    def d(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    makers: list[Callable[[], str]] = [
        lambda: "0" + d(10),
        lambda: "07" + d(9),
        lambda: "+44" + d(10),
        lambda: f"+44 {d(4)} {d(6)}",
        lambda: f"(0{d(3)}) {d(3)}-{d(4)}",
        lambda: f"+1-{d(3)}-{d(3)}-{d(4)}",
        lambda: f"0{d(2)}.{d(4)}.{d(4)}",
        lambda: "00" + d(11),
        lambda: d(rng.randint(5, 15)),
        lambda: "+" + d(rng.randint(5, 18)),
        lambda: f"0{d(4)}_{d(6)}",
        lambda: f"{d(2)}:{d(2)}:{d(2)}",
        lambda: f"{d(3)}e{d(1)}",
        lambda: f"{d(5)}.{d(3)}",
        lambda: "0x" + d(6),
        lambda: "0o" + "".join(rng.choice("01234567") for _ in range(6)),
        lambda: f"+44 (0) {d(2)} {d(4)} {d(4)}",
        lambda: f"0800 FLOWERS{d(1)}",
        lambda: d(3),
        lambda: f"0{d(3)} {d(6)} ext {d(3)}",
        lambda: "+" + d(25),
    ]
    return [rng.choice(makers)() for _ in range(count)]


def _yaml_types(phones: list[str]) -> list[bool]:
    """True where a YAML 1.1 or 1.2 reader would NOT read the unquoted value as the same text."""
    changed = [False] * len(phones)
    text = "".join(f"k{index}: {phone}\n" for index, phone in enumerate(phones))
    for version in ((1, 1), (1, 2)):
        yaml = YAML(typ="safe", pure=True)
        yaml.version = version
        data = yaml.load(text)
        for index, phone in enumerate(phones):
            value = data[f"k{index}"]
            if not isinstance(value, str) or value != phone:
                changed[index] = True
    return changed


@dataclass
class Layout:
    """One way to write the phones: the files, the line each phone sits on, and how to write fewer phones."""

    files: dict[str, str]
    lines: list[int]
    again: Callable[[list[str]], Layout]


def _yaml_layout(phones: list[str], quote: str) -> Layout:
    head = DATASET + "---\napiVersion: reconciler/v1\nkind: RecordSet\nmetadata: {name: r}\nspec:\n"
    head += "  dataset: d\n  fields: [MobilePhone]\n  rows:\n"
    first = head.count("\n") + 2
    body = "".join(
        f"    - VENDOR_URN: K{index:05d}\n      MobilePhone: {quote}{phone}{quote}\n"
        for index, phone in enumerate(phones)
    )
    lines = [first + 2 * index for index in range(len(phones))]
    return Layout({"m.yaml": head + body}, lines, lambda kept: _yaml_layout(kept, quote))


def _csv_layout(phones: list[str], quoted: bool) -> Layout:
    rows = [
        f'K{index:05d},"{phone}"' if quoted else f"K{index:05d},{phone}" for index, phone in enumerate(phones)
    ]
    files = {
        "m.yaml": DATASET + record_set("p.csv", "[MobilePhone]"),
        "p.csv": "VENDOR_URN,MobilePhone\n" + "".join(row + "\n" for row in rows),
    }
    return Layout(files, [index + 2 for index in range(len(phones))], lambda kept: _csv_layout(kept, quoted))


def _jsonl_layout(phones: list[str], number: bool) -> Layout:
    rows = [
        f'{{"VENDOR_URN": "K{index:05d}", "MobilePhone": {phone if number else json.dumps(phone)}}}'
        for index, phone in enumerate(phones)
    ]
    files = {
        "m.yaml": DATASET + record_set("p.jsonl", "[MobilePhone]"),
        "p.jsonl": "".join(r + "\n" for r in rows),
    }
    return Layout(
        files, [index + 1 for index in range(len(phones))], lambda kept: _jsonl_layout(kept, number)
    )


def _write(root: Path, layout: Layout) -> None:
    for path in root.iterdir():
        path.unlink()
    for name, text in layout.files.items():
        (root / name).write_text(text)


def _verdicts(root: Path, phones: list[str], layout: Layout) -> list[str | None]:
    """Per phone: None when it loaded, else the reason it was refused. The ones that load are loaded again on
    their own, and must come back exactly as written."""
    _write(root, layout)
    by_line: dict[int, str] = {}
    try:
        load_project(root)
    except ManifestError as error:
        for problem in error.problems:
            assert problem.location is not None and problem.location.line not in by_line, problem
            by_line[problem.location.line] = problem.reason
            assert problem.address == "RecordSet/r"
    verdicts = [by_line.get(line) for line in layout.lines]
    assert len(by_line) == sum(verdict is not None for verdict in verdicts), "a problem on no phone's line"
    kept = [phone for phone, verdict in zip(phones, verdicts, strict=True) if verdict is None]
    if kept:
        _write(root, layout.again(kept))
        project = load_project(root)
        assert [row.values["MobilePhone"] for row in project.of(RecordSetManifest)[0].iter_rows()] == kept
    return verdicts


@pytest.mark.filterwarnings("ignore::ruamel.yaml.error.MantissaNoDotYAML1_1Warning")  # the oracle reads 1e5
def test_10000_phone_numbers_are_kept_exactly_or_refused_never_altered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checks, "MAX_PROBLEMS_PER_SOURCE", PHONES + 1)  # list every refusal, to map it back
    phones = generated_phones(PHONES, seed=20260105)
    typed = _yaml_types(phones)
    assert sum(typed) > 1000, "the generator must produce many values YAML would turn into numbers"

    text_verdicts = _verdicts(tmp_path, phones, _csv_layout(phones, quoted=False))
    assert set(text_verdicts) == {None, NOT_A_PHONE}
    for layout in (
        _csv_layout(phones, quoted=True),
        _jsonl_layout(phones, number=False),
        _yaml_layout(phones, '"'),
    ):
        assert _verdicts(tmp_path, phones, layout) == text_verdicts

    unquoted = _verdicts(tmp_path, phones, _yaml_layout(phones, ""))
    for phone, verdict, text_verdict, is_typed in zip(phones, unquoted, text_verdicts, typed, strict=True):
        if is_typed:
            assert verdict == UNQUOTED, phone  # a YAML reader would change it: refused, with the remedy
        else:
            assert verdict in (text_verdict, UNQUOTED), phone
    numbers = _verdicts(tmp_path, phones, _jsonl_layout(phones, number=True))
    assert set(numbers) == {JSON_NUMBER, NOT_JSON}
    kept = text_verdicts.count(None)
    print(
        f"phones kept exactly as text: {kept} of {PHONES}; unquoted in YAML: {unquoted.count(None)} kept, "
        f"{unquoted.count(UNQUOTED)} refused as numbers ({sum(typed)} of them a YAML reader would change)"
    )
    assert 0 < unquoted.count(None) < kept < PHONES


# --------------------------------------------------------------------------------------------- fuzzing

PROJECT_KEYS = [
    "apiVersion",
    "kind",
    "manifests",
    "defaultTarget",
    "targets",
    "local",
    "contactnow",
    "contactCenter",
    "baseUrl",
    "region",
    "platform",
    "usernameEnv",
    "passwordEnv",
    "tenantEnv",
    "tokenEnv",
    "allowInsecureHttp",
    "guards",
    "maxPercent",
    "minRows",
    "emulator",
]
PROJECT_VALUES = [
    "reconciler/v1",
    "Project",
    "[manifests]",
    "[../outside]",
    "[/etc]",
    "['..\\\\x']",
    "[manifests, manifests]",
    "[~]",
    "[linked]",
    "local",
    "emulator",
    "http://example.com/",
    "https://user:pw@example.com/",
    "http://127.0.0.1:1/x?token=abc",
    "ftp://x/",
    "eu",
    "na12",
    "true",
    "yes",
    "-1",
    "1e309",
    "{}",
    "[]",
    "~",
    "''",
    "&a x",
    "*a",
    "!!binary aGVsbG8=",
    '"\\0"',
    "\t",
]


@st.composite
def project_files(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 20))):
        indent = " " * draw(st.sampled_from([0, 2, 4, 6, 8, 1]))
        key = draw(st.one_of(st.sampled_from(PROJECT_KEYS), st.text(min_size=1, max_size=6)))
        value = draw(st.one_of(st.sampled_from(PROJECT_VALUES), st.just(""), st.text(max_size=10)))
        lines.append(f"{indent}{key}: {value}")
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        text = "apiVersion: reconciler/v1\nkind: Project\n" + text
    return text.encode("utf-8", "surrogatepass")


_HEALTH = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=_HEALTH)
@given(data=project_files())
def test_fuzzed_project_files_raise_only_manifest_error(tree: Tree, data: bytes) -> None:
    (tree.root / "reconciler.yaml").write_bytes(data)
    (tree.root / "manifests" / "m.yaml").write_text(DATASET)
    if not (tree.root / "linked").is_symlink():
        os.symlink(tree.outside / "dir", tree.root / "linked")
    assert_loads_inside(tree)


path_parts = st.sampled_from(
    ["..", ".", "/", "\\", "~", "%2e", "outside", "dir", "secret.csv", "x.csv", "\x00", ":"]
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=_HEALTH)
@given(path=st.one_of(st.lists(path_parts, max_size=12).map("".join), st.text(max_size=40)))
def test_fuzzed_source_paths_raise_only_manifest_error_and_stay_inside(tree: Tree, path: str) -> None:
    (tree.root / "manifests" / "m.yaml").write_text(DATASET + record_set(path))
    assert_loads_inside(tree)


# ------------------------------------------------------------------------------------- size and depth


@functools.cache
def _warmed() -> None:
    """Load a small project once, with a plain CSV, a quoted CSV and a JSONL source, so that code imported on
    first use is not counted in the calls of the first refusal measured."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        sources = {
            "plain.csv": "VENDOR_URN,FirstName,MobilePhone\nA,B,07700900123\n",
            "quoted.csv": 'VENDOR_URN,FirstName,MobilePhone\nA,"B",07700900123\n',
            "rows.jsonl": '{"VENDOR_URN": "A", "FirstName": "B", "MobilePhone": "07700900123"}\n',
        }
        for name, text in sources.items():
            (root / name).write_text(text)
            (root / "m.yaml").write_text(DATASET + record_set(name))
            load_project(root)


def refused_within(root: Path, *, calls: int, read_mib: float, peak_mib: float) -> list[str]:
    """The reasons load_project refuses the project at root with, within a budget of Python calls (the work
    done), bytes read and peak traced memory: counts that no load on the machine changes (harness/cost.py)."""
    _warmed()
    reasons: list[str] = []

    def load() -> None:
        with pytest.raises(ManifestError) as caught:
            load_project(root)
        reasons[:] = [str(problem) for problem in caught.value.problems]

    cost = measure(load)
    print(
        f"refused after {cost.calls:,} calls, {cost.read_bytes / MIB:.1f} MiB read, "
        f"peak {cost.peak_bytes / MIB:.1f} MiB traced"
    )
    assert cost.calls < calls, cost
    assert cost.read_bytes < read_mib * MIB, cost
    assert cost.peak_bytes < peak_mib * MIB, cost
    return reasons


GIB = 1024**3
SIZE_ONLY = {"calls": 10_000, "read_mib": 1, "peak_mib": 2}
"""A refusal by the file's size: a stat, no read."""


def test_a_1_gib_yaml_file_is_refused_by_its_size_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "huge.yaml"
    with big.open("wb") as stream:
        stream.truncate(GIB)  # sparse: nothing is written
    reasons: list[str] = []
    touched = opened(lambda: reasons.extend(refused_within(tmp_path, **SIZE_ONLY)))
    assert big.resolve() not in {Path(path).resolve() for path in touched}, "the file is never opened"
    assert reasons == [
        f"{tmp_path}/huge.yaml: file is 1024.0 MiB; a YAML file may hold at most 5 MiB (put records or members in a "
        "CSV or JSONL file and point spec.source at it)"
    ]
    big.unlink()
    project = tmp_path / "reconciler.yaml"
    with project.open("wb") as stream:
        stream.truncate(GIB)
    reasons = []
    touched = opened(lambda: reasons.extend(refused_within(tmp_path, **SIZE_ONLY)))
    assert project.resolve() not in {Path(path).resolve() for path in touched}, "the file is never opened"
    assert reasons[0].startswith(f"{tmp_path}/reconciler.yaml: file is 1024.0 MiB")


@pytest.mark.parametrize(
    ("document", "line", "column"),
    [
        ("[" * 200_000, 1, 33),
        ("{a: " * 100_000, 1, 129),
        ("".join(" " * depth + "a:\n" for depth in range(2000)), 33, 33),
        ("".join(" " * depth + "- \n" for depth in range(0, 400, 2)), 33, 65),
    ],
    ids=["flow-lists", "flow-mappings", "block-mappings", "block-lists"],
)
def test_deeply_nested_documents_are_refused_quickly(
    tmp_path: Path, document: str, line: int, column: int
) -> None:
    (tmp_path / "deep.yaml").write_text(document)
    # Work in proportion to the text (the nesting is refused at level 33, not expanded): at most 50 Python calls a
    # character, where a parse that went on down 200,000 levels or rescanned would make billions.
    reasons = refused_within(tmp_path, calls=50 * len(document), read_mib=16, peak_mib=16)
    assert reasons[0] == (
        f"{tmp_path}/deep.yaml:{line}:{column}: values are nested more than 32 levels deep (flatten the structure; "
        "no manifest needs this depth)"
    )


def test_an_alias_bomb_is_refused_before_expansion(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 30)]
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    reasons = refused_within(tmp_path, calls=100_000, read_mib=1, peak_mib=8)  # 10^30 once expanded
    assert f'{tmp_path}/bomb.yaml:1:5: anchor "&a0" is not allowed' in reasons[0]


def _source_project(root: Path, name: str) -> None:
    (root / "m.yaml").write_text(DATASET + record_set(name))


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_a_1_gib_source_with_no_line_break_is_refused_in_bounded_memory(tmp_path: Path, suffix: str) -> None:
    _source_project(tmp_path, f"r.{suffix}")
    with (tmp_path / f"r.{suffix}").open("wb") as stream:
        stream.truncate(GIB)  # one 1 GiB line of NUL bytes, sparse
    reasons = refused_within(tmp_path, calls=200_000, read_mib=64, peak_mib=32)  # a 16th of the file at most
    assert reasons == [
        f"{tmp_path}/r.{suffix}:1:1: RecordSet/r: line is longer than 1 MiB ("
        + (
            "one record per line; check for a missing line break or an unclosed quote)"
            if suffix == "csv"
            else "one JSON object per line, one record each)"
        )
    ]


def test_a_huge_csv_line_and_a_huge_quoted_field_are_refused(tmp_path: Path) -> None:
    _source_project(tmp_path, "r.csv")
    (tmp_path / "r.csv").write_bytes(
        b"VENDOR_URN,FirstName,MobilePhone\nA," + b"x" * (48 * 1024 * 1024) + b",1\n"
    )
    size = (tmp_path / "r.csv").stat().st_size / MIB
    assert refused_within(tmp_path, calls=500_000, read_mib=3 * size, peak_mib=32) == [
        f"{tmp_path}/r.csv:2:1: RecordSet/r: line is longer than 1 MiB (one record per line; check for a missing "
        "line break or an unclosed quote)"
    ]
    field = b'"' + (b"y" * 99 + b"\n") * 20_000 + b'"'
    (tmp_path / "r.csv").write_bytes(b"VENDOR_URN,FirstName,MobilePhone\nA," + field + b",07700900123\n")
    size = (tmp_path / "r.csv").stat().st_size / MIB
    reasons = refused_within(tmp_path, calls=500_000, read_mib=3 * size, peak_mib=32)
    assert reasons == [
        f"{tmp_path}/r.csv:2:1: RecordSet/r: CSV syntax error: field larger than field limit (131072) "
        "(check the quoting from this line on)"
    ]
