"""What `export` writes for a record's values: as the vendor wrote them, with only the vendor's ways of writing
"nothing" made empty."""

from __future__ import annotations

from pathlib import Path

from reconciler.export.records import export_records
from reconciler.model.state import LiveRecord


def test_a_text_value_of_midnight_is_kept_and_only_blank_or_zero_dates_are_emptied(tmp_path: Path) -> None:
    live = [
        LiveRecord(
            1, "A", {"MobilePhone": "07700900001", "Notes": "00:00:00", "callback": "0000-00-00 00:00:00"}
        ),
        LiveRecord(2, "B", {"MobilePhone": "07700900002", "Notes": "  ", "callback": "0000-00-00"}),
        LiveRecord(3, "C", {"MobilePhone": "07700900003", "Notes": "0", "callback": "2026-12-06 09:00:00"}),
    ]
    out = tmp_path / "records.csv"
    result = export_records(live, "VENDOR_URN", ("MobilePhone", "Notes", "callback"), out)
    assert (result.rows, result.fields) == (3, ("MobilePhone", "Notes", "callback"))
    assert out.read_text() == (
        "VENDOR_URN,MobilePhone,Notes,callback\n"
        "A,07700900001,00:00:00,\n"
        "B,07700900002,,\n"
        "C,07700900003,0,2026-12-06 09:00:00\n"
    )
