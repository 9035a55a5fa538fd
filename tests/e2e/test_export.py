"""`reconciler export` over real HTTP: the exported project plans empty for every kind, two exports are
byte-identical, ambiguous datasets are pinned, and personal values reach only the record CSV files.

The account is seeded straight into the emulator's store (3 campaign tables, 20 datasets in all three
states, 50,000 records, 2 CC campaigns): loading 50,000 records through the API would test the loader, not
the export.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness.project import Project, open_project
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.emulator.view import Member

SEED = """
contactnow:
  users: [{username: demo, password: demo-password, account_id: "10278"}]
  tables:
    - {name: Willtest, campaign: 527219, fields: [{name: Testy, type: varchar, size: 100}]}
    - {name: nelsontest, campaign: 527220}
    - {name: Autumn_Table, campaign: 527221, fields: [{name: Region, type: varchar, size: 20},
                                                      {name: Score, type: varchar, size: 10}]}
  queues:
    - {qid: 75674454, type: outbound, description: Willtest outbound, campaignid: 527219}
    - {qid: 829603, type: outbound, description: Nelson outbound, campaignid: 527220}
  outcomecodes:
    - {outcome: 510456, description: Sales Completed, complete: Y, dmc: Y, sale: Y}
contactcenter:
  tenants: [{name: demo, token: demo-token}]
  crm_customers: [{from: 10000000, to: 10009999, phone_prefix: "0207946"}]
  campaigns:
    - {id: 125, name: Winback, dynamic: Y, enabled: Y, status: 3, start: null, end: null}
    - {id: 130, name: "Renewals: Q3", dynamic: Y, enabled: Y, status: 4, start: null, end: null}
    - {id: 126, name: Stopped, dynamic: Y, enabled: Y, status: 5, start: null, end: null}
"""

TABLES = ("Willtest", "nelsontest", "Autumn_Table")
DESCRIPTIONS = (
    "Spring renewals",
    "Spring renewals",  # the same description twice in one table: pinned by id
    "Winter: leads #1",
    "yes",
    "Ünïcode campaign",
    "0123",
    "Spring renewals",  # the same description in another table: not ambiguous, but the same slug
)

pytestmark = pytest.mark.served  # the CLI also runs on other projects, whose targets name the emulator by URL


def seed_account(account: Project, records: int) -> None:
    """20 datasets over 3 tables in all three states, `records` records, members in 2 CC campaigns."""
    rng = random.Random(7)
    statuses = ["HOLD", "LIVE", "EXPIRED"]
    datasets: list[tuple[int, str, str, str, int, int]] = []
    for number in range(1, 21):
        table = TABLES[number // 2 % 3] if number > 2 else "Willtest"
        description = DESCRIPTIONS[number - 1] if number <= len(DESCRIPTIONS) else f"Dataset number {number}"
        if number == 7:
            table = "nelsontest"
        queue = {"Willtest": 75674454, "nelsontest": 829603}.get(table, 0)
        datasets.append((number, table, description, statuses[number % 3], number * 3 % 91, queue))
    view = account.view
    rows: dict[int, list[dict[str, str]]] = {}
    for number, table, description, status, priority, queue in datasets:
        view.add_dataset(table, description, status=status, priority=priority, queue=queue, id=number)
        rows[number] = []
    for index in range(records):
        dataset, table, _description, status, _priority, _queue = datasets[index % 20]
        values = {
            "VENDOR_URN": f"K{index:06d}",
            "FirstName": f"First{index}",
            "LastName": ["O'Brien", 'Quote "Q"', "Comma, Name", "Smith", "Jones"][index // 20 % 5],
            "MobilePhone": f"07700{index:06d}",
            "ProcessType": {"HOLD": "HOLD: New Prospect", "LIVE": "New Prospect"}.get(status, "EXPIRED"),
        }
        if index % 4 == 0:
            values["HomePhone"] = f"+44 20 7946 {index % 10000:04d}"
        if index % 7 == 0:
            values["Postcode"] = "SW1A 1AA"
        if index % 11 == 0:
            values["outcomecode"] = "510456"
            values["ProcessType"] = "COMPLETE"
        if table == "Willtest" and index % 3 == 0:
            values["Testy"] = f"t{index % 5}"
        if table == "Autumn_Table":
            values["Region"] = rng.choice(["North", "South", "East"])
        rows[dataset].append(values)
    for dataset, loaded in rows.items():
        view.add_records(dataset, loaded)
    # Records the export must leave out: no key, and a second record with a key already seen.
    duplicate = {"VENDOR_URN": "K000000", "FirstName": "Other", "MobilePhone": "07700999999"}
    view.add_records(1, [{}, duplicate])
    view.add_members(125, (Member(10000000 + n, status=n % 5) for n in range(300)))
    view.add_members(130, (Member(10005000 + n, status=4 if n % 2 else 0) for n in range(40)))


@pytest.fixture
def account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED)
    with open_project(tmp_path, monkeypatch, seed=seed, root=tmp_path / "source", mode="served") as project:
        yield project


def export(project: Project, out: Path, *args: str) -> tuple[str, str]:
    result = project.cli("export", "--out", str(out), "--cc-campaign", "125", "--cc-campaign", "130", *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout, result.stderr


def files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".reconciler" not in path.parts
    }


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def check_round_trip(account: Project, records: int) -> Counter[str]:
    """Seed, export twice, plan the export; returns the ops of the requests of the first export."""
    seed_account(account, records)
    first, second = account.root.parent / "first", account.root.parent / "second"
    mark = account.mark()
    stdout, stderr = export(account, first)
    exported = Counter(entry.op for entry in account.log(mark))
    export(account, second)
    assert files(first) == files(second)  # byte-identical, file by file
    written = files(first)
    assert sorted(written) == [
        "manifests/campaigns.yaml",
        "manifests/data/members/renewals-q3.csv",
        "manifests/data/members/winback.csv",
        *sorted(f"manifests/data/records/{name}.csv" for name in RECORD_SET_NAMES),
        "manifests/datasets.yaml",
        "manifests/memberships.yaml",
        "manifests/outcomecodes.yaml",
        "manifests/recordsets.yaml",
        "reconciler.yaml",
    ]
    csv_rows = sum(
        body.count(b"\n") - 1 for path, body in written.items() if path.startswith("manifests/data/records/")
    )
    expired = sum(1 for index in range(records) if (index % 20 + 1) % 3 == 2)
    assert csv_rows == records - expired  # every record of a HOLD or LIVE dataset, each key once

    # Personal values appear in the record CSVs only: not in the output, not in any other file.
    for text in (stdout, stderr):
        assert "First1" not in text and "07700" not in text and "O'Brien" not in text
    for path, body in written.items():
        if not path.startswith("manifests/data/records/"):
            assert b"First1" not in body and b"07700" not in body, path

    code, out, err = run("plan", str(first), "--detailed-exitcode", "--format", "json")
    assert code == 0, out + err
    body = json.loads(out)
    assert body["changes"] == []
    observed = body["observed"]["live"]
    assert sum(address.startswith("Dataset/") for address in observed) == 20
    assert sum(address.startswith("RecordSet/") for address in observed) == len(RECORD_SET_NAMES)
    assert sorted(address for address in observed if address.startswith("CampaignMembership/")) == [
        "CampaignMembership/renewals-q3",
        "CampaignMembership/winback",
    ]
    assert sorted(address for address in observed if address.startswith("CcCampaign/")) == [
        "CcCampaign/renewals-q3",
        "CcCampaign/winback",
    ]
    assert [address for address in observed if address.startswith("OutcomeCode/")] == [
        "OutcomeCode/sales-completed"
    ]
    assert err.splitlines()[-1] == "No changes: the live state matches the manifests. Nothing to apply."
    return exported


RECORD_SET_NAMES = (
    "0123",
    "dataset-number-10",
    "dataset-number-12",
    "dataset-number-13",
    "dataset-number-15",
    "dataset-number-16",
    "dataset-number-18",
    "dataset-number-19",
    "dataset-number-9",
    "spring-renewals-1",
    "spring-renewals-7",
    "winter-leads-1",
    "yes",
)


def test_export_then_plan_is_empty_and_exports_are_identical(account: Project) -> None:
    """The acceptance account, full size: the export streams the 50,000 records, one read per record set (about
    2 s to export and 1 s to plan them here)."""
    exported = check_round_trip(account, 50_000)
    assert exported["ecnow_records.read"] == len(RECORD_SET_NAMES)


def test_exported_manifests_pin_ambiguous_datasets_and_copy_the_target(
    account: Project, caplog: pytest.LogCaptureFixture
) -> None:
    seed_account(account, 200)
    out = account.root.parent / "out"
    caplog.set_level(logging.DEBUG)
    stdout, _ = export(account, out)
    assert "reconciler.export" in caplog.text  # logging was on...
    for value in ("First0", "07700000000", "O'Brien", "SW1A"):  # ...and held no personal value
        assert value not in caplog.text
    datasets = (out / "manifests/datasets.yaml").read_text()
    assert datasets.startswith(
        "# Written by `reconciler export` from target local. Edit freely: this is now the source of truth.\n"
        "---\n"
        "apiVersion: reconciler/v1\n"
        "kind: Dataset\n"
        "metadata: {name: dataset-number-10}\n"
        "spec:\n"
        "  campaign: Autumn_Table\n"
        "  description: Dataset number 10\n"
        "  status: LIVE\n"
        "  priority: 30\n"
        "---\n"
    )
    assert (
        "metadata: {name: spring-renewals-1}\nspec:\n  campaign: Willtest\n  description: Spring renewals\n"
        "  queue: 75674454\n  status: LIVE\n  priority: 3\n  id: 1\n"
    ) in datasets
    assert "metadata: {name: spring-renewals-2}\n" in datasets and "  id: 2\n" in datasets
    assert "metadata: {name: spring-renewals-7}\nspec:\n  campaign: nelsontest\n" in datasets
    assert "  description: 'Winter: leads #1'\n" in datasets
    assert "  description: '0123'\n" in datasets
    assert datasets.count("  id: ") == 2  # only the two that share a campaign table and a description
    records = (out / "manifests/recordsets.yaml").read_text()
    assert (
        "kind: RecordSet\nmetadata: {name: spring-renewals-1}\nspec:\n  dataset: spring-renewals-1\n"
        "  key: VENDOR_URN\n  fields: [FirstName, LastName, Postcode, HomePhone, MobilePhone, Testy]\n"
        "  source: data/records/spring-renewals-1.csv\n  absent: {policy: ignore}\n"
    ) in records
    assert "spring-renewals-2" not in records  # dataset 2 is EXPIRED: its records can never change
    csv_lines = (out / "manifests/data/records/spring-renewals-1.csv").read_text().splitlines()
    assert csv_lines[:4] == [
        "VENDOR_URN,FirstName,LastName,Postcode,HomePhone,MobilePhone,Testy",
        "K000000,First0,O'Brien,SW1A 1AA,+44 20 7946 0000,07700000000,t0",
        'K000020,First20,"Quote ""Q""",,+44 20 7946 0020,07700000020,',
        'K000040,First40,"Comma, Name",,+44 20 7946 0040,07700000040,',
    ]
    campaigns = (out / "manifests/campaigns.yaml").read_text()
    assert campaigns.endswith(
        "kind: CcCampaign\nmetadata: {name: renewals-q3}\nspec:\n  campaign: 130\n  status: RUNNING\n---\n"
        "apiVersion: reconciler/v1\nkind: CcCampaign\nmetadata: {name: winback}\nspec:\n  campaign: 125\n"
        "  status: RUNNING\n"
    )
    assert (
        (out / "manifests/outcomecodes.yaml")
        .read_text()
        .endswith(
            "kind: OutcomeCode\nmetadata: {name: sales-completed}\nspec:\n  outcome: 510456\n"
            "  description: Sales Completed\n  complete: true\n  doNotCall: false\n  dmc: true\n  sale: true\n"
            "  answerphone: false\n"
        )
    )
    members = (out / "manifests/data/members/winback.csv").read_text().splitlines()
    assert members[:6] == [
        "customer-id,schedule",
        "10000000,",
        "10000001,",
        "10000002,",
        "10000003,",
        "10000004,+1d 09:00+00:00",
    ]
    project = (out / "reconciler.yaml").read_text()
    assert project == (
        "# Written by `reconciler export` from target local. Edit freely: this is now the source of truth.\n"
        "apiVersion: reconciler/v1\n"
        "kind: Project\n"
        "manifests: [manifests]\n"
        "defaultTarget: local\n"
        "guards: {maxPercent: 30.0, minRows: 10}\n"
        "targets:\n"
        "  local:\n"
        "    contactnow:\n"
        f"      baseUrl: {account.base_url}/contactnow/\n"
        "      usernameEnv: CN_USER\n"
        "      passwordEnv: CN_PASS\n"
        "    contactCenter:\n"
        f"      baseUrl: {account.base_url}/cc\n"
        "      tenantEnv: CC_TENANT\n"
        "      tokenEnv: CC_TOKEN\n"
    )
    assert "  manifests/data/records/spring-renewals-1.csv: 10 records, fields FirstName, LastName" in stdout
    assert (
        "  RecordSet/spring-renewals-1: left out 2 live records (1 duplicate key, 1 no key); "
        "absent: ignore leaves them as they are" in stdout
    )


def test_an_exported_change_shows_up_in_the_plan(account: Project) -> None:
    """The empty plan is not vacuous: one edited value in an exported CSV is exactly one record update."""
    seed_account(account, 200)
    out = account.root.parent / "out"
    export(account, out)
    path = out / "manifests/data/records/yes.csv"
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace("First", "Changed")
    path.write_text("\n".join(lines) + "\n")
    code, stdout, _ = run("plan", str(out), "--detailed-exitcode")
    assert code == 2
    assert "~ RecordSet/yes will be updated" in stdout
    assert "records: 1 update, 9 unchanged" in stdout


def test_scoped_export(account: Project) -> None:
    seed_account(account, 200)
    out = account.root.parent / "scoped"
    result = account.cli(
        "export", "--out", str(out), "--campaign", "nelsontest", "--status", "HOLD", "--no-records"
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert sorted(files(out)) == ["manifests/datasets.yaml", "reconciler.yaml"]
    datasets = (out / "manifests/datasets.yaml").read_text()
    assert datasets.count("kind: Dataset") == 3
    assert datasets.count("campaign: nelsontest") == datasets.count("status: HOLD") == 3
    code, stdout, stderr = run("plan", str(out), "--detailed-exitcode")
    assert code == 0, stdout + stderr
    by_id = account.cli("export", "--out", str(out.parent / "by-id"), "--dataset", "3", "--dataset", "yes")
    assert by_id.exit_code == 0, by_id.stderr
    assert (out.parent / "by-id/manifests/datasets.yaml").read_text().count("kind: Dataset") == 2


def test_export_refusals(account: Project) -> None:
    seed_account(account, 20)
    out = account.root.parent / "out"
    stopped = account.cli("export", "--out", str(out), "--cc-campaign", "126")
    assert stopped.exit_code == 1
    assert stopped.stderr == (
        "Error: cannot export: 1 problem\n"
        "  --cc-campaign 126: campaign 126 has stopped (status 5); no members can be added "
        "(export only running, enabled dynamic campaigns)\n"
    )
    assert not out.exists() and list(out.parent.glob(".out.*")) == []  # nothing half-written
    key = account.cli("export", "--out", str(out), "--key", "URN")
    assert key.exit_code == 1
    assert key.stderr.startswith("Error: --key URN is written by the dialler and cannot identify records")
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    busy = account.cli("export", "--out", str(out))
    assert busy.stderr == f"Error: {out} already exists and is not empty; export into a new directory\n"
    absolute = account.cli("export", "--out", str(out.parent / "x"), "--scheduled-as", "2030-01-01T09:00:00Z")
    assert absolute.exit_code == 1
    assert absolute.stderr.startswith("Error: --scheduled-as must be relative")
    assert account.writes() == []
