"""Partial batches (#5 item 7): some items of a batch fail for good, some for now, some are already there.

Contact Center: an add of 1,000 members where 3% fail permanently (400 `Invalid customer-id`), 2% fail
transiently (503 per item inside the 207, and one whole request answering 502) and 1% are already members
(added out of band, not yet visible to reads). ContactNow: a create of 1,000 records where batches come back
with `bad > 0` (a field was shortened after the plan was made) and 2% of the requests answer 503.
In both, the result holds every valid item, the permanent failures are listed by id or key, the exit code is 1,
and the re-run sends only what is still missing.
"""

from __future__ import annotations

from collections import Counter

import pytest
from harness.project import Project

pytestmark = pytest.mark.usefixtures("fast_settings")

MEMBERS = 1000
INVALID = [str(2**63 + n) for n in range(30)]  # digits, but beyond the vendor's id range: 400
PRESENT = [str(10_000_000 + n) for n in range(10)]
FRESH = [str(10_000_010 + n) for n in range(MEMBERS - len(INVALID) - len(PRESENT))]


def assert_listed(output: str, failed: list[str], reason: str) -> None:
    """The run lists the first 20 permanent failures with their reason, then the others by id or key."""
    listed = [f"      {item}: {reason}" for item in failed[:20]]
    assert "\n".join(listed) in output
    assert f"      ... and {len(failed) - 20} more: {', '.join(failed[20:])}" in output


def test_cc_add_with_permanent_transient_and_duplicate_items(project: Project) -> None:
    project.members_project(INVALID + PRESENT + FRESH)
    project.setenv(RECONCILER_BATCH_SIZE="1000")
    project.state.settings.read_lag = 60.0  # the out-of-band members are not visible to the plan's read
    added = project.http.post(
        "/cc/api/tstats/campaigns/125/customers",
        json=[{"customer-id": int(customer)} for customer in PRESENT],
        auth=("demo", "demo-token"),
    )
    assert added.status_code == 207
    project.fault("cc_item_error:rate=0.02:status=503:seed=7", "error:status=502:match=cc.add:count=1")
    mark = project.mark()
    run = project.cli("apply", "--auto-approve")
    assert run.exit_code == 1
    # 970 members are in: the 960 new ones and the 10 already there ("Duplicate customer" is converged)
    assert "CampaignMembership/members: FAILED: 970 added; 30 members failed" in run.stdout
    assert_listed(run.stdout, INVALID, "Invalid customer-id")
    assert run.stdout.endswith(
        "Applying again would only repeat the failures above: the vendor refused them for good. Fix the "
        "manifests, or the data in the vendor account, then plan again.\n"
    )
    assert sorted(project.members()) == sorted(PRESENT + FRESH)
    adds = project.log(mark, op="cc.add")
    # one 1,000-item request answered 502 and was retried whole; then the items that failed with 503 inside
    # the 207 were sent again on their own
    assert [entry.fault for entry in adds[:2]] == ["error:502", None]
    # (a 502 answers before the body is read: no row count). 21 items failed with 503 inside the 207 (seeded):
    # sent again, 1 of them failed again, and went once more on its own.
    assert [(entry.rows, entry.result) for entry in adds] == [
        (None, ""),
        (MEMBERS, "207 stored=939 failed=61"),  # failed: 30 invalid, 10 duplicates, 21 transient
        (21, "207 stored=20 failed=1"),
        (1, "207 stored=1 failed=0"),
    ]
    project.state.settings.read_lag = 0.0
    project.clear_faults()
    mark = project.mark()
    again = project.cli("apply", "--auto-approve")
    assert again.exit_code == 1
    assert "CampaignMembership/members: FAILED: 0 added; 30 members failed" in again.stdout
    # the re-run sends only the 30 still missing
    assert [(entry.op, entry.rows) for entry in project.writes(mark)] == [("cc.add", 30)]
    assert sorted(project.members()) == sorted(PRESENT + FRESH)


def test_cc_members_failing_transiently_every_time_are_worth_another_apply(project: Project) -> None:
    project.members_project(INVALID[:2] + FRESH[:3])
    project.fault("cc_item_error:rate=1.0:status=503:seed=1")
    run = project.cli("apply", "--auto-approve")
    assert run.exit_code == 1
    assert "CampaignMembership/members: FAILED: 0 added; 5 members failed" in run.stdout
    for customer in FRESH[:3]:
        assert f"      {customer}: failed transiently on every attempt; run apply again" in run.stdout
    assert run.stdout.splitlines()[-1].endswith(
        "Run apply again for the rest; the 2 failures the vendor refused for good (listed above) need a fix in "
        "the manifests or the vendor account first."
    )
    project.clear_faults()
    again = project.cli("apply", "--auto-approve")
    assert again.exit_code == 1
    assert sorted(project.members()) == sorted(FRESH[:3])


def test_contactnow_batches_with_bad_rows_are_settled_row_by_row(project: Project) -> None:
    count = 1000
    long_rows = set(range(7, count, 33)[:30])
    keys = project.records_project(count, testy=lambda n: "x" * 10 if n in long_rows else "t")
    refused = [keys[n] for n in sorted(long_rows)]

    def shorten_testy(number: int) -> None:  # someone shortens the field after the plan was made
        if number == 1:
            project.view.set_field("Willtest", "Testy", size=5)

    project.fault("error:rate=0.02:status=503:match=ecnow_records.create:seed=3")
    with project.on_arrival("ecnow_records.create", shorten_testy):
        run = project.cli("apply", "--auto-approve")
    assert run.exit_code == 1
    assert "RecordSet/bulk-records: FAILED: 970 created; 30 rows failed" in run.stdout
    assert_listed(run.stdout, refused, "Value too long for field [Testy]")
    assert sorted(project.keys()) == sorted(set(keys) - set(refused))
    assert project.duplicates() == 0
    creates = project.log(op="ecnow_records.create")
    # 50 batches of 20, 4 of which answered 503 (not stored; re-read by key, then sent again as 4 batches).
    # 30 batches came back with bad=1 (one long row each); re-reading found their 19 stored rows, and the 30
    # missing rows went one by one, so that each refusal is known by its key.
    assert Counter((entry.rows, entry.result, entry.fault) for entry in creates) == {
        (20, "success", None): 20,
        (20, "bad=1", None): 30,
        (None, "", "error:503"): 4,
        (1, "bad=1", None): 30,
    }
    project.view.set_field("Willtest", "Testy", size=100)  # the field is fixed
    project.clear_faults()
    mark = project.mark()
    again = project.cli("apply", "--auto-approve")
    assert again.exit_code == 0, again.output
    # one batch of 20 and one of 10, sent by concurrent workers: either may arrive first
    assert sorted((entry.op, entry.rows) for entry in project.writes(mark)) == [
        ("ecnow_records.create", 10),
        ("ecnow_records.create", 20),
    ]
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0
