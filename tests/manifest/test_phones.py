"""Phone numbers are never silently changed: quoted, they keep their exact text; unquoted and number-like, they
are refused with a remedy that says to quote them, and the value itself is never echoed."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import ManifestError
from reconciler.kinds import load_project
from reconciler.kinds.recordset import RecordSetManifest

from .helpers import DATASET, record_set, write

digits = st.text(alphabet="0123456789", min_size=5, max_size=15)
phones = st.one_of(
    digits.map(lambda d: "0" + d),
    digits.map(lambda d: "+44" + d),
    digits,
    st.tuples(digits, digits).map(lambda pair: f"0{pair[0][:4]} {pair[1][:6]}"),
    st.tuples(digits, digits).map(lambda pair: f"+44 ({pair[0][:3]}) {pair[1][:7]}"),
)
fields = st.sampled_from(["MobilePhone", "HomePhone", "WorkPhone"])


def _load(text: str) -> list[dict[str, str]] | list[str]:
    with tempfile.TemporaryDirectory() as directory:
        root = write(Path(directory), {"m.yaml": text})
        try:
            project = load_project(root)
        except ManifestError as error:
            return [f"{p.reason} ({p.remedy})" for p in error.problems]
        return [row.values for row in project.of(RecordSetManifest)[0].iter_rows()]


@settings(max_examples=300, deadline=None, database=None)
@given(phone=phones, field=fields, quote=st.sampled_from(['"', "'"]))
def test_quoted_phone_keeps_its_exact_text(phone: str, field: str, quote: str) -> None:
    rows = f"  rows:\n    - {{VENDOR_URN: A-1, {field}: {quote}{phone}{quote}}}\n"
    loaded = _load(DATASET + record_set(rows, f"[{field}]"))
    assert loaded == [{"VENDOR_URN": "A-1", field: phone}]


@settings(max_examples=300, deadline=None, database=None)
@given(phone=phones, field=fields)
def test_unquoted_phone_is_refused_or_kept_exactly_never_changed(phone: str, field: str) -> None:
    rows = f"  rows:\n    - {{VENDOR_URN: A-1, {field}: {phone}}}\n"
    loaded = _load(DATASET + record_set(rows, f"[{field}]"))
    if " " in phone:  # YAML reads it as text: kept exactly
        assert loaded == [{"VENDOR_URN": "A-1", field: phone}]
    else:
        assert loaded == [
            f"{field} is an unquoted number (quote the value so a leading 0 or + is kept as written)"
        ]
        assert all(phone not in message for message in loaded)


@settings(max_examples=200, deadline=None, database=None)
@given(phone=phones, postcode=st.text(alphabet="0123456789", min_size=4, max_size=6))
def test_phones_and_postcodes_in_csv_and_jsonl_are_text(phone: str, postcode: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = write(
            Path(directory),
            {
                "m.yaml": DATASET
                + record_set("  source: r.csv\n", "[MobilePhone, Postcode]")
                + record_set("  source: r.jsonl\n", "[MobilePhone, Postcode]", name="other").replace(
                    "dataset: spring", "dataset: other"
                )
                + "---\n"
                + DATASET.replace("name: spring", "name: other").replace("Spring", "Other"),
                "r.csv": f"VENDOR_URN,MobilePhone,Postcode\nA-1,{phone},{postcode}\n",
                "r.jsonl": f'{{"VENDOR_URN": "A-1", "MobilePhone": "{phone}", "Postcode": "{postcode}"}}\n',
            },
        )
        project = load_project(root)
        for record in project.of(RecordSetManifest):
            assert [row.values for row in record.iter_rows()] == [
                {"VENDOR_URN": "A-1", "MobilePhone": phone, "Postcode": postcode}
            ]


def test_a_tagged_phone_is_refused_for_its_tag_alone() -> None:
    rows = "  rows:\n    - {VENDOR_URN: A-1, MobilePhone: !!str 07700900001}\n"
    assert _load(DATASET + record_set(rows, "[MobilePhone]")) == [
        'explicit tag "!!str" is not allowed (remove the tag; every value is read as text, and quotes keep it '
        "exactly as written)"
    ]
