"""Suppression lists through the CLI, against the emulator: importing numbers into a list file, and what a
plan and an apply do with the lists a RecordSet names."""

from __future__ import annotations

import gzip
import json
import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from harness.project import Project
from support import dataset_doc, document, membership_doc, record_set_doc

from reconciler import cli
from reconciler.suppression.listfile import HEADER_BYTES, PREFIX_BYTES

KEY = "0123456789abcdef0123456789abcdef"
NUMBERS = ["07700 900001", "+44 7700 900002", "0044 7700-900003", "447700900004", "(07700) 900005"]


def list_doc(name: str = "tps", kind: str = "registry", **spec: object) -> str:
    extra: dict[str, object] = {"maxAge": "28d"} if kind == "registry" else {}
    return document("SuppressionList", name, type=kind, source=f"../suppression/{name}.hmac", **extra, **spec)


def suppress_import(project: Project, numbers: Path, *args: str, name: str = "tps") -> tuple[int, str, str]:
    run = project.mode.invoke(
        [
            "suppression",
            "import",
            str(numbers),
            "--list",
            name,
            "--region",
            "GB",
            "-C",
            str(project.root),
            *args,
        ]
    )
    return run.exit_code, run.stdout, run.stderr


def test_import_hashes_every_number_and_sets_screened_at(project: Project) -> None:
    project.setenv(RECONCILER_SUPPRESSION_KEY=KEY)
    project.write("manifests/lists.yaml", list_doc())
    source = project.root / "tps.csv.gz"
    source.write_bytes(gzip.compress(("Number\n" + "\n".join([*NUMBERS, "", NUMBERS[0]]) + "\n").encode()))
    at(project, datetime(2026, 12, 1, 23, 59, tzinfo=UTC))
    code, out, err = suppress_import(project, source)
    assert (code, err) == (0, "")
    assert out == (
        f"SuppressionList/tps: 6 numbers read, 5 distinct written to {project.root}/suppression/tps.hmac; 1 blank "
        f"lines skipped; screenedAt set to 2026-12-01 in {project.root}/manifests/lists.yaml.\n"
    )
    listed = project.root / "suppression" / "tps.hmac"
    assert listed.stat().st_size == HEADER_BYTES + 5 * PREFIX_BYTES
    text = (project.root / "manifests" / "lists.yaml").read_text()
    assert "  source: ../suppression/tps.hmac\n  screenedAt: 2026-12-01\n  maxAge: 28d\n" in text


def test_a_number_that_cannot_be_read_names_its_line_and_writes_nothing(project: Project) -> None:
    project.setenv(RECONCILER_SUPPRESSION_KEY=KEY)
    project.write("manifests/lists.yaml", list_doc())
    source = project.write("numbers.txt", "07700 900001\nunknown 555\n07700 900002\n")
    mark = project.mark()
    code, out, err = suppress_import(project, source)
    assert (code, out) == (1, "")
    assert err == (
        f"Error: cannot read input: 1 problem\n  {source}:2:1: is not a phone number of GB or in international "
        "form (value not shown) (fix or remove these lines, check --region, or pass --skip-invalid to leave them "
        "out and count them)\n"
    )
    assert "555" not in err
    assert not (project.root / "suppression").exists()
    assert "screenedAt" not in (project.root / "manifests" / "lists.yaml").read_text()
    assert project.log(mark) == []  # an import never contacts the dialler
    code, out, err = suppress_import(project, source, "--skip-invalid")
    assert code == 0 and "2 numbers read, 2 distinct" in out and "1 invalid values skipped" in out


def test_import_without_the_key_is_refused_before_reading(project: Project) -> None:
    project.write("manifests/lists.yaml", list_doc(keyEnv="TPS_KEY"))
    source = project.write("numbers.txt", "07700 900001\n")
    code, _, err = suppress_import(project, source)
    assert code == 1
    assert err == (
        "Error: SuppressionList/tps: environment variable TPS_KEY is not set; set it to the suppression key (at "
        "least 16 characters) the list was written with\n"
    )


def test_import_names_the_lists_when_the_name_is_unknown(project: Project) -> None:
    project.setenv(RECONCILER_SUPPRESSION_KEY=KEY)
    project.write("manifests/lists.yaml", list_doc())
    code, _, err = suppress_import(project, project.write("n.txt", "07700 900001\n"), name="tsp")
    assert code == 1
    assert err == (
        'Error: no SuppressionList named "tsp" in the project (lists: tps); add its manifest first, with the '
        "source file to write\n"
    )


def at(project: Project, moment: datetime) -> None:
    """Run the CLI's engine with its clock stopped at `moment`."""
    make = cli._engine
    project.monkeypatch.setattr(
        cli, "_engine", lambda settings: replace(make(settings), clock=lambda: moment)
    )


# ------------------------------------------------------------------------------------------- record sets

SUPPRESS = "{lists: [tps, dnc], match: [MobilePhone], consent: {field: Testy}, live: {outcome: 510450}}"
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def lists_project(project: Project, rows: list[tuple[str, str, str, str]], suppress: str = SUPPRESS) -> None:
    """tps (registry) and dnc (internal) lists, and Dataset/spring with RecordSet/spring-records of these rows
    (VENDOR_URN, FirstName, MobilePhone, Testy: the consent field)."""
    project.setenv(RECONCILER_SUPPRESSION_KEY=KEY)
    project.write("manifests/lists.yaml", list_doc() + list_doc("dnc", "internal"))
    project.write(
        "manifests/spring.yaml",
        dataset_doc()
        + record_set_doc(fields="[FirstName, MobilePhone, Testy]", source="records.csv", suppress=suppress),
    )
    lines = ["VENDOR_URN,FirstName,MobilePhone,Testy", *(",".join(row) for row in rows)]
    project.write("manifests/records.csv", "\n".join(lines) + "\n")


def put_on(project: Project, name: str, *numbers: str) -> None:
    source = project.write(f"{name}-numbers.txt", "\n".join(numbers) + "\n")
    code, out, err = suppress_import(project, source, name=name)
    assert code == 0, out + err


def stored(project: Project) -> list[tuple[str, str, str]]:
    """(VENDOR_URN, ProcessType, outcomecode) of each stored record, by id."""
    return [(row["VENDOR_URN"], row["ProcessType"], row["outcomecode"]) for row in project.view.records()]


def test_suppressed_rows_are_not_loaded_and_live_matches_are_completed(project: Project) -> None:
    at(project, NOW)
    rows = [(f"U{n}", f"Name{n}", f"07700 90000{n}", "") for n in range(6)]
    rows[4] = ("U4", "Name4", "07700 900004", "2026-01-02")  # consented: tps does not suppress it
    lists_project(project, rows)
    put_on(project, "tps", "+447700900001", "07700900004")
    put_on(project, "dnc", "0044 7700 900002")
    plan = project.cli("plan")
    assert plan.exit_code == 0, plan.stderr
    assert "records: 4 create" in plan.stdout
    assert (
        "RecordSet/spring-records [suppression]: 2 of 6 source rows suppressed (tps 1; dnc 1): never created, "
        "never updated" in plan.stdout
    )
    assert "RecordSet/spring-records [suppression]: consent overrides used on 1 rows (Testy)" in plan.stdout
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert sorted(key for key, _, _ in stored(project)) == ["U0", "U3", "U4", "U5"]

    put_on(project, "dnc", "0044 7700 900002", "07700900003")  # U3 opts out after it was loaded
    plan = project.cli("plan", "--format", "json")
    body = json.loads(plan.stdout)
    (change,) = [item for item in body["changes"] if item["address"] == "RecordSet/spring-records"]
    assert change["counts"] == {"suppress": 1, "unchanged": 4}
    messages = [item["message"] for item in body["observations"] if item["category"] == "compliance"]
    assert "1 live records newly match and will be completed with outcome 510450 (dnc 1)" in messages
    drift = project.cli("drift")
    assert drift.exit_code == 2
    assert (
        "Compliance findings (dialable records on a suppression list):\n  RecordSet/spring-records: 1 live "
        "records newly match and will be completed with outcome 510450 (dnc 1)\n" in drift.stdout
    )
    assert "Drift: 1 resource has changed outside git; 1 compliance finding." in drift.stdout
    mark = project.mark()
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert [entry.op for entry in project.writes(mark)] == ["ecnow_records.update"]
    assert ("U3", "COMPLETE", "510450") in stored(project)
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_the_live_outcome_must_be_complete_and_do_not_call(project: Project) -> None:
    at(project, NOW)
    lists_project(project, [("U0", "A", "07700 900000", "")], SUPPRESS.replace("510450", "510456"))
    put_on(project, "tps", "07700900009")
    put_on(project, "dnc", "07700900008")
    plan = project.cli("plan")
    assert plan.exit_code == 1
    assert (
        "RecordSet/spring-records: outcome code 510456 (Sales Completed) is not a complete do-not-call outcome "
        "(complete = Y, doNotCall = N) (name an outcome code whose complete and doNotCall flags are Y)"
    ) in plan.stderr


def loaded(project: Project, count: int, suppress: str) -> list[tuple[str, str, str, str]]:
    """`count` records loaded through a RecordSet with this suppress (on empty lists), applied."""
    rows = [(f"U{n:02d}", f"Name{n}", f"07700 9001{n:02d}", "") for n in range(count)]
    lists_project(project, rows, suppress)
    project.write("manifests/gone.yaml", list_doc("gone", "erasure"))
    for name in ("tps", "dnc", "gone"):
        put_on(project, name)
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    return rows


def test_erasure_beats_the_mass_change_guard_and_a_registry_list_does_not(project: Project) -> None:
    """Nine of ten live records match: by an erasure list they are completed without acknowledgement; the
    same nine on a registry list are refused by the guard until acknowledged."""
    at(project, NOW)
    nine = [f"07700 9001{n:02d}" for n in range(9)]
    loaded(project, 10, "{lists: [tps, gone], match: [MobilePhone], live: {outcome: 510450}}")
    put_on(project, "tps", *nine)
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert (
        "RecordSet/spring-records: completes 90% (9/10) of its live rows; limit 30% (acknowledge with "
        "--allow-mass-complete, or raise spec.guards.maxPercent if this is expected)" in refused.stderr
    )
    assert [row[1] for row in stored(project)] == ["HOLD: New Prospect"] * 10
    put_on(project, "tps")
    put_on(project, "gone", *nine)
    mark = project.mark()
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    assert [entry.op for entry in project.writes(mark)] == ["ecnow_records.update"]
    assert [row[1:] for row in stored(project)] == [("COMPLETE", "510450")] * 9 + [("HOLD: New Prospect", "")]


def test_a_changed_list_makes_a_saved_plan_stale(project: Project) -> None:
    at(project, NOW)
    loaded(project, 3, SUPPRESS)
    put_on(project, "dnc", "07700 900100")
    saved = project.root / "plan.json"
    assert project.cli("plan", "--out", str(saved)).exit_code == 0
    put_on(project, "dnc", "07700 900100", "07700 900101")
    mark = project.mark()
    stale = project.cli("apply", "--plan", str(saved))
    assert stale.exit_code == 1
    assert "Error: stale plan refused" in stale.stderr and "SuppressionList/dnc" in stale.stderr
    assert project.writes(mark) == []


def test_apply_checks_a_registry_list_age_again_against_its_own_clock(project: Project) -> None:
    """A plan saved while tps was fresh; apply runs 23 days later, past its 28 days: refused, nothing written."""
    at(project, datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    loaded(project, 3, SUPPRESS)
    put_on(project, "tps", "07700 900100")
    at(project, datetime(2026, 12, 18, 9, 0, tzinfo=UTC))
    saved = project.root / "plan.json"
    planned = project.cli("plan", "--out", str(saved))
    assert planned.exit_code == 0, planned.stderr
    at(project, datetime(2026, 12, 19, 0, 1, tzinfo=UTC))
    mark = project.mark()
    late = project.cli("apply", "--plan", str(saved))
    assert late.exit_code == 1
    assert late.stderr == (
        "Error: cannot plan: 1 problem\n"
        f"  {project.root}/manifests/lists.yaml:9:15: SuppressionList/tps: the list was screened on 2026-11-20, 29 "
        "days before this plan (2026-12-19); maxAge is 28d, so it expired after 2026-12-18 (take a fresh copy of "
        "the register and run `reconciler suppression import FILE --list tps --region <region>`, which rewrites "
        "the file and sets screenedAt)\n"
    )
    assert project.writes(mark) == []


def test_a_wrong_key_or_a_truncated_list_stops_the_plan_naming_the_file(project: Project) -> None:
    at(project, NOW)
    loaded(project, 3, SUPPRESS)
    put_on(project, "dnc", "07700 900100")
    mark = project.mark()
    project.setenv(RECONCILER_SUPPRESSION_KEY="another key entirely, 32 bytes!")
    wrong = project.cli("apply", "--auto-approve")
    assert wrong.exit_code == 1
    assert (
        f"list file {project.root}/suppression/dnc.hmac was written with a different key than the one in "
        "RECONCILER_SUPPRESSION_KEY" in wrong.stderr
    )
    project.setenv(RECONCILER_SUPPRESSION_KEY=KEY)
    listed = project.root / "suppression" / "dnc.hmac"
    listed.write_bytes(listed.read_bytes()[:-5])
    cut = project.cli("apply", "--auto-approve")
    assert cut.exit_code == 1
    assert f"list file {project.root}/suppression/dnc.hmac is truncated" in cut.stderr
    assert project.writes(mark) == []


CANARY = "07700 900123"
"""A number that is on a list and in the source: no form of it may appear anywhere the reconciler writes."""
CANARY_FORMS = ("7700900123", "7700 900123", "900123")


def test_a_listed_number_never_appears_in_a_list_file_plan_report_or_log(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    at(project, NOW)
    project.setenv(RECONCILER_LOG="DEBUG")
    caplog.set_level(logging.DEBUG)
    rows = [("U0", "Name0", CANARY, ""), ("U1", "Name1", "07700 900999", "")]
    lists_project(project, rows)
    put_on(project, "tps", CANARY)
    put_on(project, "dnc", "+44 7700 900123")
    written: list[str] = []
    for fmt in ("text", "json", "markdown"):
        run = project.cli("plan", "--format", fmt, "--out", str(project.root / f"plan-{fmt}.json"))
        assert run.exit_code == 0, run.stderr
        written += [run.stdout, run.stderr, (project.root / f"plan-{fmt}.json").read_text()]
    assert "1 of 2 source rows suppressed" in written[0]
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0
    written += [applied.stdout, applied.stderr]
    put_on(project, "dnc", "+44 7700 900999")  # the loaded one opts out: a completion to show and apply
    for command in (
        ("plan",),
        ("drift", "--report", str(project.root / "drift.md")),
        ("apply", "--auto-approve"),
    ):
        run = project.cli(*command)
        written += [run.stdout, run.stderr]
    written.append((project.root / "drift.md").read_text())
    written.append(caplog.text)
    assert "reconciler" in caplog.text  # the reconciler's own DEBUG lines were captured
    assert any("1 live records newly match" in text for text in written)
    files = [(project.root / "suppression" / f"{name}.hmac").read_bytes() for name in ("tps", "dnc")]
    for text in written:
        for form in (*CANARY_FORMS, "7700900999", "900999"):
            assert form not in text.replace("-", "")
    for data in files:
        for form in (*CANARY_FORMS, "447700900123"):
            assert form.encode() not in data
            assert form.encode("utf-16-le") not in data


def test_suppress_names_lists_that_exist_and_managed_fields(project: Project) -> None:
    lists_project(
        project,
        [("U0", "A", "07700 900000", "")],
        "{lists: [tsp], match: [HomePhone], consent: {field: TpsOptIn}, live: {outcome: 510450}}",
    )
    run = project.cli("validate")
    assert run.exit_code == 1
    where = f"{project.root}/manifests/spring.yaml"
    assert run.stderr.splitlines()[1:] == [
        f'  {where}:18:22: RecordSet/spring-records: list "tsp" is not the name of a SuppressionList document '
        "(define a SuppressionList with this metadata.name)",
        f"  {where}:18:36: RecordSet/spring-records: HomePhone is not a managed field (add HomePhone to "
        "spec.fields: suppression reads only managed fields, in the source and live)",
        f"  {where}:18:65: RecordSet/spring-records: TpsOptIn is not a managed field (add TpsOptIn to "
        "spec.fields: suppression reads only managed fields, in the source and live)",
    ]


# ---------------------------------------------------------------------------------------------- harvest


def test_harvest_round_trip_closes_the_per_queue_gap(project: Project) -> None:
    """The dialler marks some of spring's records do-not-call (outcome 98 or 510450) on the Willtest queue;
    harvest adds exactly their numbers to internal-dnc; autumn, on nelsontest's queue, then leaves them out."""
    at(project, NOW)
    project.setenv(RECONCILER_SUPPRESSION_KEY=KEY)
    numbers = [f"07700 9002{n:02d}" for n in range(20)]
    project.write(
        "manifests/spring.yaml",
        dataset_doc(status="LIVE") + record_set_doc(fields="[FirstName, MobilePhone]", source="spring.csv"),
    )
    spring = [f"S{n:02d},Name{n},{number}" for n, number in enumerate(numbers)]
    project.write("manifests/spring.csv", "\n".join(["VENDOR_URN,FirstName,MobilePhone", *spring]) + "\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert project.http.post("/_emulator/simulate", json={"steps": 30, "seed": 5}).status_code == 200
    marked = sorted(
        row["MobilePhone"] for row in project.view.records() if row["outcomecode"] in {"98", "510450"}
    )
    assert 0 < len(marked) < 20

    project.write("manifests/lists.yaml", list_doc("internal-dnc", "internal"))
    mark = project.mark()
    run = project.mode.invoke(
        ["suppression", "harvest", "--list", "internal-dnc", "--region", "GB", "-C", str(project.root)]
    )
    assert run.exit_code == 0, run.stderr
    assert run.stdout == (
        f"SuppressionList/internal-dnc: {len(marked)} records with a do-not-call outcome (510450, 98) in 1 "
        f"datasets; {len(marked)} numbers added, {len(marked)} in {project.root}/suppression/internal-dnc.hmac; "
        f"screenedAt set in {project.root}/manifests/lists.yaml.\n"
    )
    assert project.writes(mark) == []  # harvest only reads the dialler

    autumn = document("Dataset", "autumn", campaign="nelsontest", description="Autumn 2026")
    suppress = "{lists: [internal-dnc], match: [MobilePhone], live: {outcome: 510450}}"
    autumn += record_set_doc(
        "autumn-records",
        dataset="autumn",
        fields="[FirstName, MobilePhone]",
        source="autumn.csv",
        suppress=suppress,
    )
    project.write("manifests/autumn.yaml", autumn)
    rows = [f"A{n:02d},Name{n},{number.replace(' ', '')}" for n, number in enumerate(numbers)]
    project.write("manifests/autumn.csv", "\n".join(["VENDOR_URN,FirstName,MobilePhone", *rows]) + "\n")
    plan = project.cli("plan")
    assert plan.exit_code == 0, plan.stderr
    assert (
        f"{len(marked)} of 20 source rows suppressed (internal-dnc {len(marked)}): never created, never updated"
        in plan.stdout
    )
    assert f"records: {20 - len(marked)} create" in plan.stdout
    assert project.cli("apply", "--auto-approve").exit_code == 0
    loaded = {row["MobilePhone"] for row in project.view.records(project.view.dataset("Autumn 2026"))}
    assert loaded == {number.replace(" ", "") for number in numbers} - {m.replace(" ", "") for m in marked}


# -------------------------------------------------------------------------------------------- members


def test_members_are_matched_by_their_phone_hint_which_is_never_shown(project: Project) -> None:
    at(project, NOW)
    project.setenv(RECONCILER_SUPPRESSION_KEY=KEY)
    project.write("manifests/lists.yaml", list_doc("dnc", "internal"))
    put_on(project, "dnc", "07700 900002")
    project.write(
        "manifests/members.yaml",
        membership_doc(source="members.csv", absent="remove", suppress="{lists: [dnc]}"),
    )
    hints = ["07700 900001", "07700 900002", "", "07700 900004", "", "+44 7700 900006"]
    lines = [f"1000000{n + 1},{hint}" for n, hint in enumerate(hints)]
    project.write("manifests/members.csv", "\n".join(["customer-id,phone", *lines]) + "\n")
    plan = project.cli("plan")
    assert plan.exit_code == 0, plan.stderr
    assert (
        "CampaignMembership/winback [suppression]: 1 of 6 members suppressed by their phone hint (dnc 1): never "
        "added\n" in plan.stdout
    )
    assert (
        "CampaignMembership/winback [suppression]: not checkable: 2 members (no phone hint)\n" in plan.stdout
    )
    assert "members: 5 add" in plan.stdout
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert project.members() == ["10000001", "10000003", "10000004", "10000005", "10000006"]

    put_on(project, "dnc", "07700 900002", "07700 900004")
    plan = project.cli("plan")
    assert (
        "CampaignMembership/winback [compliance]: 1 live members are on a suppression list; they are removed "
        "where the campaign allows (absent: remove)\n" in plan.stdout
    )
    assert "members: 1 remove" in plan.stdout
    for form in ("7700900", "900004", "900002"):
        assert form not in plan.stdout.replace(" ", "")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert project.members() == ["10000001", "10000003", "10000005", "10000006"]


def test_inline_members_are_matched_by_their_phone_hint_too(project: Project) -> None:
    at(project, NOW)
    project.setenv(RECONCILER_SUPPRESSION_KEY=KEY)
    project.write("manifests/lists.yaml", list_doc("dnc", "internal"))
    put_on(project, "dnc", "07700 900002")
    members = (
        '[{customer-id: "10000001", phone: "07700 900001"}, {customer-id: "10000002", phone: "07700 900002"}, '
        '{customer-id: "10000003"}]'
    )
    project.write("manifests/members.yaml", membership_doc(members=members, suppress="{lists: [dnc]}"))
    plan = project.cli("plan")
    assert plan.exit_code == 0, plan.stderr
    assert (
        "CampaignMembership/winback [suppression]: 1 of 3 members suppressed by their phone hint (dnc 1): never "
        "added\n" in plan.stdout
    )
    assert (
        "CampaignMembership/winback [suppression]: not checkable: 1 members (no phone hint)\n" in plan.stdout
    )
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert project.members() == ["10000001", "10000003"]


def test_a_live_number_changed_outside_git_is_matched_on_its_own(project: Project) -> None:
    """A loaded record whose number was changed in the dialler to a listed one (its source row's is not) is
    completed: the live side is matched by its own numbers, not only through its source row."""
    at(project, NOW)
    loaded(project, 3, SUPPRESS)
    project.view.set_records("U01", MobilePhone="07700 900555")
    put_on(project, "dnc", "07700900555")
    plan = project.cli("plan", "--format", "json")
    body = json.loads(plan.stdout)
    (change,) = [item for item in body["changes"] if item["address"] == "RecordSet/spring-records"]
    assert change["counts"] == {"update": 1, "suppress": 1, "unchanged": 2}  # the number is put back, too
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert [row[1:] for row in stored(project)] == [
        ("HOLD: New Prospect", ""),
        ("COMPLETE", "510450"),
        ("HOLD: New Prospect", ""),
    ]


def test_members_are_matched_by_customer_id_on_a_customer_id_list(project: Project) -> None:
    at(project, NOW)
    project.setenv(RECONCILER_SUPPRESSION_KEY=KEY)
    project.write("manifests/lists.yaml", list_doc("optout-ids", "internal", values="customer-id"))
    ids = project.write("ids.txt", "10000002\n 10000004 \n")
    run = project.mode.invoke(
        ["suppression", "import", str(ids), "--list", "optout-ids", "-C", str(project.root)]
    )
    assert run.exit_code == 0, run.stderr
    assert run.stdout.startswith("SuppressionList/optout-ids: 2 numbers read, 2 distinct written to ")
    members = [f"{{customer-id: 1000000{n}}}" for n in range(1, 6)]
    lines = "\n".join(f"    - {member}" for member in members)
    project.write(
        "manifests/members.yaml",
        membership_doc(absent="remove", suppress="{lists: [optout-ids]}") + f"  members:\n{lines}\n",
    )
    plan = project.cli("plan")
    assert plan.exit_code == 0, plan.stderr
    assert (
        "CampaignMembership/winback [suppression]: 2 of 5 members suppressed by their customer id (optout-ids 2): "
        "never added\n" in plan.stdout
    )
    assert "not checkable" not in plan.stdout
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert project.members() == ["10000001", "10000003", "10000005"]


def test_a_customer_id_list_is_refused_where_phone_numbers_are_matched(project: Project) -> None:
    at(project, NOW)
    project.setenv(RECONCILER_SUPPRESSION_KEY=KEY)
    lists_project(project, [("U0", "A", "07700 900000", "")])
    project.write("manifests/lists.yaml", list_doc() + list_doc("dnc", "internal", values="customer-id"))
    put_on(project, "tps", "07700900009")
    ids = project.write("ids.txt", "10000002\n")
    assert (
        project.mode.invoke(
            ["suppression", "import", str(ids), "--list", "dnc", "-C", str(project.root)]
        ).exit_code
        == 0
    )
    plan = project.cli("plan")
    assert plan.exit_code == 1
    assert (
        "RecordSet/spring-records: SuppressionList/dnc holds customer ids, not phone numbers: a RecordSet matches "
        "phone lists (name lists of phone numbers in spec.suppress.lists)" in plan.stderr
    )
