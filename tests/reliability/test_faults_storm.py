"""Error storm (#5 item 4): 20% of all requests answer 500/502/503 for the whole apply; a permanent outage.

Retries are classified per logical action. Reads and idempotent writes are retried by the HTTP layer, at most
RECONCILER_RETRY_ATTEMPTS times in all, with full-jitter backoff. A ContactNow create that failed with a 5xx
may have been stored, so it is never re-sent as such: its keys are re-read and only the missing ones go again.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest
from harness.project import FAST_SETTINGS, Project

from reconciler.emulator.requestlog import LogEntry
from reconciler.providers.http.retry import RetryPolicy

pytestmark = pytest.mark.usefixtures("fast_settings")

COUNT = 2000
ATTEMPTS = 5
STORM = "error:rate=0.2:status=500,502,503:seed=4"
CREATES = {"ecnow_records.create", "ecnow_datasets.create"}


def retry_chains(entries: list[LogEntry]) -> list[list[LogEntry]]:
    """Attempts of each logical request of an idempotent op: after a faulted entry, the next entry of the same
    op and path is its retry (these ops run one at a time)."""
    chains: list[list[LogEntry]] = []
    open_chain: dict[tuple[str, str], list[LogEntry]] = {}
    for entry in entries:
        if entry.op in CREATES:
            continue
        slot = (entry.op, entry.path)
        chain = open_chain.pop(slot, None)
        if chain is None:
            chain = []
            chains.append(chain)
        chain.append(entry)
        if entry.fault is not None:
            open_chain[slot] = chain
    return chains


@pytest.mark.served  # a raw HTTP client reads the emulator at its URL
def test_error_storm_converges_with_bounded_jittered_retries(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = project.records_project(COUNT, status="LIVE")
    project.fault(STORM)
    # The client's own schedule: every backoff its retry policy chose, with the ceiling it chose it under.
    backoff = RetryPolicy.backoff
    waits: list[tuple[int, float]] = []

    def recorded(policy: RetryPolicy, retry_number: int) -> float:
        wait = backoff(policy, retry_number)
        waits.append((retry_number, wait))
        return wait

    monkeypatch.setattr(RetryPolicy, "backoff", recorded)
    run = project.cli("apply", "--auto-approve")
    assert run.exit_code == 0, run.output
    assert "RecordSet/bulk-records: ok: 2000 created" in run.stdout
    assert "Dataset/bulk: ok: created dataset 1 on HOLD; dataset 1 is LIVE" in run.stdout
    assert "Verified: the live state matches the manifests." in run.stdout
    entries = project.log()
    creates = Counter(entry.fault for entry in entries if entry.op == "ecnow_records.create")
    # 127 create requests: the 100 batches, then re-sends of the keys that re-reading showed missing. The 27
    # that answered 5xx were not stored; each of the 100 stored ones carried 20 distinct keys.
    assert creates == {None: 100, "error:503": 10, "error:502": 9, "error:500": 8}
    stored_rows = sum(
        entry.rows or 0 for entry in entries if entry.op == "ecnow_records.create" and entry.committed
    )
    assert stored_rows == COUNT
    # Reads and idempotent writes: each failed attempt is followed by a retry of the same request; no logical
    # request took more than ATTEMPTS attempts, and the backoff waits vary (full jitter).
    chains = retry_chains(entries)
    assert all(chain[-1].fault is None for chain in chains)
    assert Counter(len(chain) for chain in chains) == {1: 13, 2: 3, 3: 1}
    assert max(len(chain) for chain in chains) <= ATTEMPTS
    retried = sum(len(chain) - 1 for chain in chains)
    assert retried == sum(1 for entry in entries if entry.fault and entry.op not in CREATES) == 5
    # Full jitter: the policy chose one wait per retry, no two alike, each under its ceiling (base 2**(n-1),
    # capped). How long the client then really waited is left to the clock: a busy machine stretches it.
    base = float(FAST_SETTINGS["RECONCILER_RETRY_BASE_SECONDS"])
    cap = float(FAST_SETTINGS["RECONCILER_RETRY_MAX_SECONDS"])
    assert sorted(number for number, _ in waits) == [1, 1, 1, 1, 2]
    assert all(0 <= wait <= min(cap, base * 2 ** (number - 1)) for number, wait in waits)
    assert len({wait for _, wait in waits}) == len(waits)
    delays = [later.time - earlier.time for chain in chains for earlier, later in pairwise(chain)]
    assert all(delay >= 0 for delay in delays)
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0
    mark = project.mark()
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0  # still under the storm
    assert project.writes(mark) == []


def test_permanent_outage_ends_cleanly_and_the_next_run_finishes(project: Project) -> None:
    keys = project.records_project(COUNT, status="LIVE")
    # Everything after the 60th request answers 503: the outage starts half-way through the creates.
    project.fault("error:status=503:after=60")
    run = project.cli("apply", "--auto-approve")
    assert run.exit_code == 1
    url = f"{project.base_url}/contactnow/ecnow.php"
    assert run.stderr == (
        "Error: apply stopped at RecordSet/bulk-records: ContactNow ecnow_records.read failed after 5 attempts; "
        f"the service may be unavailable: run again later (work done so far is kept) (HTTP 503) [{url}]\n"
        "1 other change was not attempted.\n"
        "Nothing written is undone. Run apply again to finish the job: it re-reads the live state first, so "
        "nothing is created twice.\n"
    )
    assert "Dataset/bulk: skipped: not attempted: the apply stopped" in run.stdout
    assert "Verified" not in run.stdout
    entries = project.log()
    stored_before = len(project.keys())
    assert stored_before == 20 * sum(1 for e in entries if e.op == "ecnow_records.create" and e.committed)
    assert 0 < stored_before < COUNT
    # the re-read by key got 5 attempts, then the run stopped: no further request
    assert [entry.op for entry in entries[-5:]] == ["ecnow_records.read"] * 5
    assert project.view.dataset().status == "HOLD"  # not LIVE with half its records
    project.clear_faults()
    mark = project.mark()
    again = project.cli("apply", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert f"RecordSet/bulk-records: ok: {COUNT - stored_before} created" in again.stdout
    assert (
        sum(entry.rows or 0 for entry in project.log(mark, op="ecnow_records.create"))
        == COUNT - stored_before
    )
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0
    assert project.view.dataset().status == "LIVE"
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0
