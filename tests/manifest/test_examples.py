"""examples/ is what the README shows: it must load, with exactly these documents and rows."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, time

from reconciler.errors import Location
from reconciler.kinds import desired_state, load_project
from reconciler.kinds.dataset import DatasetManifest
from reconciler.kinds.membership import MembershipManifest
from reconciler.kinds.recordset import DesiredRecordSet, RecordSetManifest
from reconciler.manifest import RelativeSchedule
from reconciler.model.state import Guard

from . import generate_example_data
from .helpers import EXAMPLES, REPO


def test_examples_load_with_exact_documents() -> None:
    project = load_project(EXAMPLES, check_sources=True)
    assert [d.address for d in project.of(DatasetManifest)] == [
        "Dataset/autumn-archive",
        "Dataset/nelson-callbacks",
        "Dataset/nelson-trial",
        "Dataset/spring-renewals",
        "Dataset/winter-leads",
    ]
    assert [r.address for r in project.of(RecordSetManifest)] == [
        "RecordSet/nelson-callbacks-records",
        "RecordSet/nelson-trial-records",
        "RecordSet/spring-renewals-records",
    ]
    assert [m.address for m in project.of(MembershipManifest)] == ["CampaignMembership/winback-calls"]
    statuses = {
        d.name: (d.spec.campaign, d.spec.status, d.spec.priority, d.spec.queue)
        for d in project.of(DatasetManifest)
    }
    assert statuses == {
        "spring-renewals": ("Willtest", "LIVE", 50, 75674454),
        "winter-leads": ("Willtest", "HOLD", 10, 829603),
        "autumn-archive": ("Willtest", "EXPIRED", 0, None),
        "nelson-callbacks": ("nelsontest", "HOLD", 0, 829603),
        "nelson-trial": ("nelsontest", "LIVE", 20, 829603),
    }
    assert project.get("Dataset/autumn-archive") is not None
    autumn = project.of(DatasetManifest)[0]
    assert autumn.spec.acknowledge == ("expire",)


def test_example_rows_and_members_exact() -> None:
    project = load_project(EXAMPLES)
    counts = {r.name: sum(1 for _ in r.iter_rows()) for r in project.of(RecordSetManifest)}
    assert counts == {
        "spring-renewals-records": 300,
        "nelson-callbacks-records": 5,
        "nelson-trial-records": 20,
    }

    spring = project.of(RecordSetManifest)[2]
    first = next(spring.iter_rows())
    assert (
        first.location == Location("examples/manifests/data/spring-renewals.csv", 2, 1)
        or first.location.line == 2
    )
    assert first.values == {
        "VENDOR_URN": "SPR-0001",
        "Title": "Mr",
        "FirstName": "Ann",
        "LastName": "Archer",
        "Postcode": "ZZ1 0AL",
        "MobilePhone": "07700900000",
        "HomePhone": "02079460000",
        "Customer_Email": "ann.archer.1@example.com",
        "Testy": "alpha",
    }
    desired = desired_state(project).get(spring.address)
    assert isinstance(desired, DesiredRecordSet)
    assert desired.needs() == ("Dataset/spring-renewals",)
    assert desired.guard == Guard(max_percent=20.0, min_rows=10)

    inline = project.of(RecordSetManifest)[0]
    rows = list(inline.iter_rows())
    assert [row.values["VENDOR_URN"] for row in rows] == [
        "NCB-001",
        "NCB-002",
        "NCB-003",
        "NCB-004",
        "NCB-005",
    ]
    assert rows[3].values == {
        "VENDOR_URN": "NCB-004",
        "FirstName": "Dev",
        "LastName": "Doyle",
        "MobilePhone": "+447700900902",
        "WorkPhone": "",
    }
    assert rows[0].location.file.endswith("examples/manifests/recordsets.yaml")
    assert (rows[0].location.line, rows[0].location.column) == (33, 7)

    members = list(project.of(MembershipManifest)[0].iter_members())
    assert len(members) == 500
    assert [m.customer_id for m in members[:3]] == ["10000000", "10000001", "10000002"]
    scheduled = [m for m in members if m.schedule is not None]
    assert len(scheduled) == 100
    assert all(isinstance(m.schedule, RelativeSchedule) for m in scheduled)
    schedule = members[0].schedule
    assert isinstance(schedule, RelativeSchedule)
    assert (schedule.days, schedule.time, schedule.text) == (1, time(9, 0), "+1d 09:00+00:00")
    assert schedule.resolve(datetime(2026, 3, 1, 23, 0, tzinfo=UTC)) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_example_project_config() -> None:
    config = load_project(EXAMPLES).config
    assert config.manifests == ("manifests",)
    assert config.default_target == "emulator"
    assert config.guards == Guard(30.0, 10)
    assert config.target_names == ["emulator"]
    assert config.targets == {}


def test_source_digest_is_sha256_of_the_file() -> None:
    project = load_project(EXAMPLES)
    spring = project.of(RecordSetManifest)[2]
    data = (EXAMPLES / "manifests" / "data" / "spring-renewals.csv").read_bytes()
    assert spring.source_digest() == hashlib.sha256(data).hexdigest()
    inline = project.of(RecordSetManifest)[0]
    assert inline.source_digest() == load_project(EXAMPLES).of(RecordSetManifest)[0].source_digest()
    assert re.fullmatch(r"[0-9a-f]{64}", inline.source_digest())


def test_every_example_file_names_its_schema() -> None:
    kinds = {
        "Dataset": "dataset",
        "RecordSet": "recordset",
        "CampaignMembership": "campaignmembership",
        "Project": "project",
    }
    files = sorted(EXAMPLES.rglob("*.yaml"))
    assert len(files) == 4
    for path in files:
        first = path.read_text().splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match is not None, path
        schema = (path.parent / match[1]).resolve()
        assert schema.parent == REPO / "schemas", path
        assert schema.exists(), path
        kind = re.search(r"^kind: (\w+)$", path.read_text(), re.MULTILINE)
        assert kind is not None
        assert schema.name == f"{kinds[kind[1]]}.schema.json", path


def test_example_data_is_what_the_generator_writes() -> None:
    for name, make in generate_example_data.FILES.items():
        assert (generate_example_data.DATA / name).read_text(encoding="utf-8") == make(), name
