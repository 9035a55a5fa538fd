"""Mass-change thresholds end to end through the CLI (#5 item 11): exact boundaries, exact refusal text.

tests/core/test_guards.py checks guards.py alone; here the live rows come from the emulator, the counts from
the diff, and the refusal from `plan`/`apply` with 0 write requests. Defaults: 30% of at least 10 live rows.
"""

from __future__ import annotations

import pytest
from harness.project import Project
from support import COMPLETE, dataset_doc, membership_doc, record_set_doc

MEMBERS = membership_doc(source="members.csv", absent="remove")

REFUSED = (
    "Error: plan refused by a safety guard: 1 problem\n"
    "  {where}: {address}: {verb} {share}% ({count}/{base}) of its live rows; limit {limit}% "
    "(acknowledge with {flag}, or raise spec.guards.maxPercent if this is expected)\n"
)
RECORDS_WHERE = "manifests/spring.yaml:13:9"
MEMBERS_WHERE = "manifests/members.yaml:5:9"
"""metadata.name of the resource: where the message points."""


def write_records(
    project: Project, keys: range | list[int], *, suffix: str = "csv", guards: str | None = None
) -> None:
    """Dataset/spring and RecordSet/spring-records (completes what is absent; spec.guards if given)."""
    spec = {} if guards is None else {"guards": guards}
    records = record_set_doc(source=f"records.{suffix}", absent=COMPLETE, **spec)
    project.write("manifests/spring.yaml", dataset_doc() + records)
    if suffix == "csv":
        lines = ["VENDOR_URN,FirstName,MobilePhone", *(f"R{n:03d},Name{n},07700900{n:03d}" for n in keys)]
        project.write("manifests/records.csv", "\n".join(lines) + "\n")
    else:
        lines = [
            f'{{"VENDOR_URN": "R{n:03d}", "FirstName": "N", "MobilePhone": "07700900{n:03d}"}}' for n in keys
        ]
        project.write("manifests/records.jsonl", "".join(line + "\n" for line in lines))


def write_members(project: Project, count: int) -> None:
    project.write("manifests/members.yaml", MEMBERS)
    project.write(
        "manifests/members.csv", "\n".join(["customer-id", *(str(10000000 + n) for n in range(count))]) + "\n"
    )


def completed(project: Project) -> int:
    return sum(record["outcomecode"] == "510456" for record in project.view.records())


def members(project: Project) -> int:
    return len(project.view.members(125))


def load(project: Project, live: int, *, kind: str) -> None:
    if kind == "records":
        write_records(project, range(live))
    else:
        write_members(project, live)
    loaded = project.cli("apply", "--auto-approve")
    assert loaded.exit_code == 0, loaded.stdout + loaded.stderr


def refused(project: Project, *args: str) -> str:
    """Both plan and apply refuse, with the same message and 0 writes (plan still shows what it would do);
    returns the message."""
    mark = project.mark()
    planned = project.cli("plan", *args)
    applied = project.cli("apply", "--auto-approve", *args)
    assert (planned.exit_code, applied.exit_code) == (1, 1)
    assert planned.stderr == applied.stderr
    assert planned.stdout.startswith(
        "Target local. Changes, in the order apply makes them:\n"
    )  # what it stopped
    assert applied.stdout == ""
    assert project.writes(mark) == []
    return planned.stderr


def record_refusal(project: Project, count: int, base: int, share: str, limit: str = "30") -> str:
    return REFUSED.format(
        where=f"{project.root}/{RECORDS_WHERE}",
        address="RecordSet/spring-records",
        verb="completes",
        share=share,
        count=count,
        base=base,
        limit=limit,
        flag="--allow-mass-complete",
    )


def member_refusal(project: Project, count: int, base: int, share: str) -> str:
    return REFUSED.format(
        where=f"{project.root}/{MEMBERS_WHERE}",
        address="CampaignMembership/winback",
        verb="removes",
        share=share,
        count=count,
        base=base,
        limit="30",
        flag="--allow-mass-remove",
    )


def test_records_30_percent_completes_31_percent_is_refused(project: Project) -> None:
    load(project, 100, kind="records")
    write_records(project, range(31, 100))  # 69 kept: completes 31
    assert refused(project) == record_refusal(project, 31, 100, "31")
    write_records(project, range(30, 100))  # 70 kept: completes 30, the limit itself
    mark = project.mark()
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "records: 30 complete, 70 unchanged" in applied.stdout
    assert completed(project) == 30
    assert {entry.op for entry in project.writes(mark)} == {"ecnow_records.update"}


def test_records_override_flag_and_spec_guards(project: Project) -> None:
    load(project, 100, kind="records")
    write_records(project, range(31, 100), guards="{maxPercent: 30.5}")
    assert refused(project) == record_refusal(project, 31, 100, "31", limit="30.5")
    write_records(project, range(31, 100))
    applied = project.cli("apply", "--auto-approve", "--allow-mass-complete")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert completed(project) == 31


@pytest.mark.parametrize(("live", "guarded"), [(9, False), (10, True)])
def test_records_empty_source_below_and_at_min_rows(project: Project, live: int, guarded: bool) -> None:
    """A source that shrank to nothing (a header only) completes every live record: refused from 10 rows."""
    load(project, live, kind="records")
    write_records(project, [])
    if guarded:
        assert refused(project) == record_refusal(project, live, live, "100")
        assert completed(project) == 0
    else:
        applied = project.cli("apply", "--auto-approve")
        assert applied.exit_code == 0, applied.stdout + applied.stderr
        assert completed(project) == live


def test_records_empty_jsonl_source_of_a_large_set_is_refused(project: Project) -> None:
    load(project, 200, kind="records")
    write_records(project, [], suffix="jsonl")  # a zero-byte file: no rows at all
    assert (project.root / "manifests/records.jsonl").stat().st_size == 0
    assert refused(project) == record_refusal(project, 200, 200, "100")
    assert refused(project, "--allow-mass-remove", "--allow-expire") == record_refusal(
        project, 200, 200, "100"
    )


def test_members_30_percent_removes_31_percent_is_refused(project: Project) -> None:
    load(project, 100, kind="members")
    write_members(project, 69)
    assert refused(project) == member_refusal(project, 31, 100, "31")
    assert refused(project, "--allow-mass-complete") == member_refusal(project, 31, 100, "31")
    write_members(project, 70)
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert members(project) == 70
    write_members(project, 40)  # 30 of the 70 left: 42.9%
    assert refused(project) == member_refusal(project, 30, 70, "42.9")
    applied = project.cli("apply", "--auto-approve", "--allow-mass-remove")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert members(project) == 40


@pytest.mark.parametrize(("live", "guarded"), [(9, False), (10, True)])
def test_members_empty_source_below_and_at_min_rows(project: Project, live: int, guarded: bool) -> None:
    load(project, live, kind="members")
    write_members(project, 0)
    if guarded:
        assert refused(project) == member_refusal(project, live, live, "100")
        assert members(project) == live
    else:
        applied = project.cli("apply", "--auto-approve")
        assert applied.exit_code == 0, applied.stdout + applied.stderr
        assert members(project) == 0
