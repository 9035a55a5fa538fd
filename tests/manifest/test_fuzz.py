"""Fuzzing: whatever the bytes, the loader either loads or raises ManifestError, and never echoes a personal
value. Documents are built from manifest-like keys, values and indentation, then some are damaged at random."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import ManifestError
from reconciler.kinds import load_project
from reconciler.kinds.recordset import RecordSetManifest

SECRET = "Zq9SecretValue"
"""Written only as the value of personal fields: it must never appear in a message."""

KEYS = [
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "spec",
    "campaign",
    "description",
    "queue",
    "status",
    "priority",
    "id",
    "acknowledge",
    "dataset",
    "key",
    "fields",
    "source",
    "rows",
    "absent",
    "dedupe",
    "policy",
    "outcome",
    "guards",
    "maxPercent",
    "minRows",
    "members",
    "customer-id",
    "schedule",
    "VENDOR_URN",
    "Testy",
    "prority",
    "targets",
    "manifests",
]
PERSONAL = ["FirstName", "MobilePhone", "Postcode", "Customer_Email", "notes", "Address1"]
VALUES = [
    "reconciler/v1",
    "Dataset",
    "RecordSet",
    "CampaignMembership",
    "Project",
    "spring",
    "Willtest",
    "HOLD",
    "LIVE",
    "EXPIRED",
    "PAUSED",
    "0",
    "95",
    "-1",
    "1e3",
    "0x1F",
    "07700900123",
    "~",
    "null",
    "",
    "''",
    '"quoted"',
    "[a, b]",
    "[]",
    "{}",
    "{policy: complete}",
    "{policy: complete, outcome: 510456}",
    "&anchor x",
    "*anchor",
    "!!python/object:os.system x",
    "!foo bar",
    "|",
    ">-",
    "true",
    "yes",
    "r.csv",
    "../x.csv",
    "/etc/passwd",
    "+2d 09:00+00:00",
    "2026-11-25T09:00:00",
    '"\\x00"',
    "- item",
    "[[[[[[[[",
    "@bad",
    "`tick",
    "%",
    "é ü 字",
    "\t",
]

keys = st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=8))
values = st.one_of(st.sampled_from(VALUES), st.text(max_size=12))


@st.composite
def lines(draw: st.DrawFn) -> str:
    indent = " " * draw(st.sampled_from([0, 0, 2, 2, 4, 6, 1, 3]))
    dash = draw(st.sampled_from(["", "", "", "- "]))
    if draw(st.integers(0, 9)) == 0:
        return f"{indent}{dash}{draw(st.sampled_from(PERSONAL))}: {SECRET}"
    if draw(st.integers(0, 14)) == 0:
        return draw(st.sampled_from(["---", "...", "# comment", "", "%YAML 1.2"]))
    return f"{indent}{dash}{draw(keys)}: {draw(values)}"


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    text = "\n".join(draw(st.lists(lines(), min_size=0, max_size=25))) + "\n"
    if draw(st.booleans()):
        text = (
            "apiVersion: reconciler/v1\nkind: "
            + draw(st.sampled_from(["Dataset", "RecordSet", "CampaignMembership"]))
            + ("\nmetadata: {name: fuzz}\nspec:\n")
            + text
        )
    data = text.encode("utf-8", "surrogatepass")
    damage = draw(st.integers(0, 4))
    if damage == 1:  # insert random bytes
        position = draw(st.integers(0, len(data)))
        data = data[:position] + draw(st.binary(max_size=8)) + data[position:]
    elif damage == 2:  # truncate
        data = data[: draw(st.integers(0, len(data)))]
    elif damage == 3:
        data = draw(st.binary(max_size=200))
    return data


def _check(root: Path, data: bytes, extra: dict[str, bytes] | None = None) -> None:
    (root / "m.yaml").write_bytes(data)
    for other, content in (extra or {}).items():
        (root / other).write_bytes(content)
    try:
        project = load_project(root)
    except ManifestError as error:
        assert SECRET not in str(error)
        assert error.problems
        return
    for record_set in project.of(RecordSetManifest):
        for _ in record_set.iter_rows():
            pass


_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]


@settings(max_examples=2000, deadline=None, database=None, suppress_health_check=_HEALTH)
@given(data=documents())
def test_loader_only_ever_raises_manifest_error(tmp_path: Path, data: bytes) -> None:
    _check(tmp_path, data)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=_HEALTH)
@given(
    source=st.one_of(
        st.binary(max_size=300),
        st.lists(
            st.sampled_from(
                [
                    "VENDOR_URN,FirstName,MobilePhone",
                    "A-1,Ann,07700900001",
                    '"',
                    ",,",
                    "\r\n",
                    "{}",
                    '{"a": [1]}',
                    "1e999",
                    "[" * 50,
                ]
            ),
            max_size=8,
        ).map(lambda parts: "\n".join(parts).encode()),
    ),
    suffix=st.sampled_from(["r.csv", "r.jsonl"]),
)
def test_sources_only_ever_raise_manifest_error(tmp_path: Path, source: bytes, suffix: str) -> None:
    manifest = (
        "apiVersion: reconciler/v1\nkind: Dataset\nmetadata: {name: d}\nspec: {campaign: W, description: D}\n---\n"
        "apiVersion: reconciler/v1\nkind: RecordSet\nmetadata: {name: r}\n"
        f"spec: {{dataset: d, fields: [FirstName, MobilePhone], source: {suffix}}}\n"
    )
    _check(tmp_path, manifest.encode(), extra={suffix: source})
