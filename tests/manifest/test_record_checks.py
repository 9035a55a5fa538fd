"""The columnar check of a record source refuses exactly the files whose rows the row checks name a problem in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifest.rows import checked_record_frame
from reconciler.manifest.sources import SourceFile

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
