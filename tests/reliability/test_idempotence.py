"""Idempotence (#5 item 8): once applied, a second apply of 1,000 records and 1,000 members sends 0 writes.

Counts come from the emulator's request log; stored rows from its store.
"""

from __future__ import annotations

from collections import Counter

from harness.project import WRITE_OPS, Project
from support import COMPLETE, dataset_doc, membership_doc, record_set_doc

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


def write_bulk(project: Project, count: int = COUNT) -> None:
    project.write("manifests/bulk.yaml", PROJECT)
    lines = ["VENDOR_URN,FirstName,LastName,MobilePhone,Postcode,Testy"]
    lines += [",".join(row) for row in bulk_rows(count)]
    project.write("manifests/records.csv", "\n".join(lines) + "\n")
    members = ["customer-id", *(str(10000000 + n) for n in range(count))]
    project.write("manifests/members.csv", "\n".join(members) + "\n")


def write_counts(project: Project, since: int) -> dict[str, int]:
    return dict(Counter(entry.op for entry in project.writes(since)))


def test_second_apply_of_1000_records_and_members_sends_no_write(project: Project) -> None:
    write_bulk(project)
    mark = project.mark()
    first = project.cli("apply", "--auto-approve")
    assert first.exit_code == 0, first.stdout + first.stderr
    assert "Verified: the live state matches the manifests." in first.stdout
    assert write_counts(project, mark) == {
        "ecnow_datasets.create": 1,
        "ecnow_records.create": 1,
        "ecnow_datasets.update": 1,
        "cc.add": 1,
    }
    fields = ("VENDOR_URN", "FirstName", "LastName", "MobilePhone", "Postcode", "Testy", "ProcessType")
    stored = sorted(tuple(record[name] for name in fields) for record in project.view.records())
    assert stored == [(*row, "New Prospect") for row in bulk_rows()]
    members = sorted(member.customer for member in project.view.members(125))
    assert members == [10000000 + n for n in range(COUNT)]

    for _ in range(2):  # a second and a third apply: nothing to do, nothing written
        mark = project.mark()
        again = project.cli("apply", "--auto-approve")
        assert (again.exit_code, again.stdout, again.stderr) == (
            0,
            "No changes. The live state matches the manifests.\n",
            "",
        )
        assert project.writes(mark) == []
        reads = [entry for entry in project.state.log.entries(mark) if entry.op not in WRITE_OPS]
        assert reads, "the second apply must read the live state, not trust a memory of it"

    assert project.cli("plan", "--detailed-exitcode").exit_code == 0
    assert len(project.view.record_keys()) == COUNT
