"""The columnar check of a record source refuses exactly the files whose rows the row checks name a problem in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifest import columns
from reconciler.manifest.columns import LINE
from reconciler.manifest.rows import checked_record_columns, checked_record_frame
from reconciler.manifest.sources import SourceFile
from reconciler.model.frames import PackedFrame

PHONES = st.one_of(
    st.text(alphabet="0123456789+ ()./-a\u0663\n", max_size=24),
    st.lists(st.sampled_from(["1", "1", "1", " ", "-", "+"]), min_size=3, max_size=26).map("".join),
)


@dataclass(frozen=True)
class Spec:
    key: str = "VENDOR_URN"
    fields: tuple[str, ...] = ("FirstName", "MobilePhone", "HomePhone")


def _row_check_refuses(phone: str) -> bool:
    """What the row checks say of a MobilePhone beside an empty HomePhone (reconciler.manifest.rows)."""
    import re

    bare = re.sub(r"[ ()./-]", "", phone)
    return phone == "" or re.fullmatch(r"\+?[0-9]{5,20}", bare) is None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(PHONES)
def test_a_phone_is_refused_in_columns_exactly_when_the_row_check_refuses_it(
    tmp_path: Path, phone: str
) -> None:
    path = tmp_path / "spring.csv"
    quoted = '"' + phone.replace('"', '""') + '"'
    path.write_text(f"VENDOR_URN,FirstName,MobilePhone,HomePhone\nR1,Ann,{quoted},\n", encoding="utf-8")
    frame = checked_record_frame(Spec(), SourceFile(path, "spring.csv", "csv", False))
    assert (frame is None) == _row_check_refuses(phone)


def test_spaced_phones_pass_and_misplaced_plus_signs_do_not(tmp_path: Path) -> None:
    path = tmp_path / "spring.csv"
    rows = ["+44 7700 900123", "(0161) 496.0000", " +12345", "/1/2/3/4/5/", "12345", "1" * 20, "+" + "1" * 20]
    path.write_text(
        "VENDOR_URN,FirstName,MobilePhone,HomePhone\n"
        + "".join(f"R{i},Ann,{phone},\n" for i, phone in enumerate(rows))
    )
    assert checked_record_frame(Spec(), SourceFile(path, "spring.csv", "csv", False)) is not None
    for phone in ("12+345", "++12345", "1234", "1" * 21, "\u0663" * 5):
        path.write_text(f"VENDOR_URN,FirstName,MobilePhone,HomePhone\nR1,Ann,{phone},\n", encoding="utf-8")
        assert checked_record_frame(Spec(), SourceFile(path, "spring.csv", "csv", False)) is None, phone


def _spring(path: Path, phones: list[str]) -> SourceFile:
    path.write_text(
        "VENDOR_URN,FirstName,MobilePhone,HomePhone\n"
        + "".join(f"R{i},Ann {i},{phone},\n" for i, phone in enumerate(phones))
    )
    return SourceFile(path, "spring.csv", "csv", False)


def test_a_large_source_is_kept_packed_a_piece_at_a_time(tmp_path: Path) -> None:
    """Past `pack_bytes` every piece read is held packed; unpacked, the pieces are the frame, in order."""
    source = _spring(tmp_path / "spring.csv", [f"0770090{i:04d}" for i in range(40)])
    whole = checked_record_frame(Spec(), source)
    assert whole is not None and whole.height == 40
    with mock.patch.object(columns, "PIECE_BYTES", 64):
        packed = checked_record_columns(Spec(), source, pack_bytes=0)
        kept = checked_record_columns(Spec(), source, pack_bytes=10**9)
    assert isinstance(packed, PackedFrame) and len(packed.pieces) > 5
    assert pl.concat(list(packed.frames())).equals(whole)
    assert packed.frame().equals(whole)
    assert isinstance(kept, pl.DataFrame) and kept.equals(whole)
    assert whole.get_column(LINE).to_list() == list(range(2, 42))


def test_a_packed_source_is_refused_for_a_bad_row_or_a_key_twice_in_any_piece(tmp_path: Path) -> None:
    phones = [f"0770090{i:04d}" for i in range(40)]
    with mock.patch.object(columns, "PIECE_BYTES", 64):
        assert (
            checked_record_columns(Spec(), _spring(tmp_path / "a.csv", [*phones, "1234"]), pack_bytes=0)
            is None
        )
        path = tmp_path / "b.csv"
        _spring(path, phones)
        path.write_text(path.read_text() + "R0,Ann again,07700900999,\n")
        assert checked_record_columns(Spec(), SourceFile(path, "b.csv", "csv", False), pack_bytes=0) is None
