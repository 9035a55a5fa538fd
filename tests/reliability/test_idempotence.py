"""Idempotence (#5 item 8): once applied, a second apply of 1,000 records and 1,000 members sends 0 writes.

Counts come from the emulator's request log; stored rows from its store.
"""

from __future__ import annotations

from collections import Counter

from support import COMPLETE, dataset_doc, membership_doc, record_set_doc

from .conftest import WRITE_OPS, Estate

COUNT = 1000

PROJECT = (
    dataset_doc("bulk", "Bulk load", status="LIVE")
    + record_set_doc(
        "bulk-records",
        dataset="bulk",
        fields="[FirstName, LastName, MobilePhone, Postcode, Testy]",
        source="records.csv",
        absent=COMPLETE,
    )
    + membership_doc("bulk-members", source="members.csv", absent="remove")
)


def bulk_rows(count: int = COUNT) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (f"B{n:04d}", f"First{n}", f"Last{n}", f"07700{n:06d}", f"AB{n % 10} {n % 9}CD", f"t{n % 7}")
        for n in range(count)
    ]


def write_bulk(estate: Estate, count: int = COUNT) -> None:
    estate.write("manifests/bulk.yaml", PROJECT)
    lines = ["VENDOR_URN,FirstName,LastName,MobilePhone,Postcode,Testy"]
    lines += [",".join(row) for row in bulk_rows(count)]
    estate.write("manifests/records.csv", "\n".join(lines) + "\n")
    members = ["customer-id", *(str(10000000 + n) for n in range(count))]
    estate.write("manifests/members.csv", "\n".join(members) + "\n")


def write_counts(estate: Estate, since: int) -> dict[str, int]:
    return dict(Counter(entry.op for entry in estate.writes(since)))


def test_second_apply_of_1000_records_and_members_sends_no_write(estate: Estate) -> None:
    write_bulk(estate)
    mark = estate.mark()
    first = estate.cli("apply", "--auto-approve")
    assert first.exit_code == 0, first.stdout + first.stderr
    assert "Verified: the live state matches the manifests." in first.stdout
    assert write_counts(estate, mark) == {
        "ecnow_datasets.create": 1,
        "ecnow_records.create": 1,
        "ecnow_datasets.update": 1,
        "cc.add": 1,
    }
    stored = estate.sql(
        "SELECT VENDOR_URN, FirstName, LastName, MobilePhone, Postcode, custom, ProcessType FROM cn_records"
        " ORDER BY VENDOR_URN"
    )
    assert stored == [(*row[:5], f'{{"Testy":"{row[5]}"}}', "New Prospect") for row in bulk_rows()]
    members = estate.sql("SELECT customer_id FROM cc_members WHERE campaign_id = 125 ORDER BY customer_id")
    assert members == [(10000000 + n,) for n in range(COUNT)]

    for _ in range(2):  # a second and a third apply: nothing to do, nothing written
        mark = estate.mark()
        again = estate.cli("apply", "--auto-approve")
        assert (again.exit_code, again.stdout, again.stderr) == (
            0,
            "No changes. The live state matches the manifests.\n",
            "",
        )
        assert estate.writes(mark) == []
        reads = [entry for entry in estate.state.log.entries(mark) if entry.op not in WRITE_OPS]
        assert reads, "the second apply must read the live state, not trust a memory of it"

    assert estate.cli("plan", "--detailed-exitcode").exit_code == 0
    assert len(estate.sql("SELECT id FROM cn_records")) == COUNT
