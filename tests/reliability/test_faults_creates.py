"""Ambiguous creates (#5 item 1) and read lag (item 2): 2,000 new records, 0 duplicates.

ContactNow creates are not idempotent. 10% of the create requests are stored by the emulator and then answer
502 or lose the connection (`commit_then_fail`), so the reconciler cannot know whether they were stored. It
must re-read by key (after the consistency window) and send only what is missing. With a read lag, new records
stay invisible to reads for 2 s: re-reading too early would see them missing and create duplicates.

Soak (not run by default): 20,000 records per seed, with ambiguous creates, a 20% error storm and a 1 s read
lag all at once, over 5 seeds:

    .venv/bin/pytest -m soak tests/reliability
"""

from __future__ import annotations

from collections import Counter

import pytest
from harness.project import Project

pytestmark = pytest.mark.usefixtures("fast_settings")

COUNT = 2000
BATCH = 20
AMBIGUOUS = "commit_then_fail:rate=0.1:mode=502|drop:match=ecnow_records.create:seed=1"


def _create_faults(project: Project) -> Counter[str | None]:
    return Counter(entry.fault for entry in project.log(op="ecnow_records.create"))


def test_ambiguous_creates_are_settled_by_key_without_duplicates(project: Project) -> None:
    keys = project.records_project(COUNT)
    project.fault(AMBIGUOUS)
    run = project.cli("apply", "--auto-approve")
    assert run.exit_code == 0, run.output
    assert "RecordSet/bulk-records: ok: 2000 created" in run.stdout
    assert "Verified: the live state matches the manifests." in run.stdout
    # 100 create requests of 20 rows, every one stored; 11 of them answered 502 or dropped the connection
    # (seeded). Every one was settled by re-reading by key, so none was sent again.
    assert _create_faults(project) == {None: 89, "commit_then_fail:drop": 7, "commit_then_fail:502": 4}
    assert project.state.log.count(op="ecnow_records.create", committed=True) == COUNT // BATCH
    assert sum(entry.rows or 0 for entry in project.log(op="ecnow_records.create")) == COUNT
    # one re-read by key after the ambiguous answers, one for the verification
    assert project.state.log.count(op="ecnow_records.read") == 2
    stored = project.keys()
    assert len(stored) == COUNT
    assert sorted(stored) == keys
    assert project.duplicates() == 0
    mark = project.mark()
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0
    assert project.writes(mark) == []


def test_read_lag_with_ambiguous_creates_makes_no_duplicates(project: Project) -> None:
    """New records stay invisible for 2 s; the configured consistency window (2.5 s) covers it."""
    keys = project.records_project(COUNT)
    project.state.settings.read_lag = 2.0
    project.setenv(RECONCILER_CONSISTENCY_SECONDS="2.5")
    project.fault(AMBIGUOUS)
    run = project.cli("apply", "--auto-approve")
    assert run.exit_code == 0, run.output
    assert "RecordSet/bulk-records: ok: 2000 created" in run.stdout
    assert "Verified: the live state matches the manifests." in run.stdout
    creates = project.log(op="ecnow_records.create")
    assert _create_faults(project) == {None: 89, "commit_then_fail:drop": 7, "commit_then_fail:502": 4}
    assert len(creates) == COUNT // BATCH  # nothing was sent twice
    reads = project.log(op="ecnow_records.read")
    assert len(reads) == 2  # the re-read by key, then the verification
    last_doubt = max(entry.time for entry in creates if entry.fault)
    assert reads[0].time - last_doubt >= 2.5  # it waited for reads to catch up before re-reading
    assert reads[1].time - max(entry.time for entry in creates) >= 2.5
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0
    mark = project.mark()
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0
    assert project.writes(mark) == []


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(5))
def test_soak_everything_at_once(project: Project, seed: int) -> None:
    count = 20_000
    keys = project.records_project(count, status="LIVE")
    project.setenv(RECONCILER_BATCH_SIZE="100", RECONCILER_CONSISTENCY_SECONDS="1.5")
    project.state.settings.read_lag = 1.0
    project.fault(
        f"commit_then_fail:rate=0.1:mode=502|drop:match=ecnow_records.create:seed={seed}",
        f"error:rate=0.2:status=500,502,503:seed={seed}",
    )
    run = project.cli("apply", "--auto-approve")
    assert run.exit_code == 0, run.output
    creates = Counter(entry.fault for entry in project.log(op="ecnow_records.create"))
    print(f"seed {seed}: create requests {dict(creates)}")
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0
    mark = project.mark()
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0
    assert project.writes(mark) == []
