"""Rate limits (#5 item 5) and token expiry (item 6).

A 429 holds back every request of the client until the time its Retry-After allows, given in seconds or as an
HTTP-date. A Retry-After longer than RECONCILER_MAX_RETRY_AFTER_SECONDS ends the run cleanly, and the next run
finishes the job. A ContactNow token that expires mid-apply is renewed exactly once, and no change fails.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator

import pytest
from harness.project import Project

from reconciler.providers.http.session import HttpSession

pytestmark = pytest.mark.usefixtures("fast_settings")

COUNT = 2000
WORKERS = 4


class Schedule:
    """The client's own record of its turns (HttpSession, wrapped): when each hold began and until when it holds,
    and when each request asked for its turn and when it got it, on the client's monotonic clock."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.holds: list[tuple[float, float]] = []
        self.turns: list[tuple[float, float]] = []
        self._lock = threading.Lock()
        hold_all, wait_turn = HttpSession._hold_all, HttpSession._wait_turn

        def held(session: HttpSession, seconds: float) -> None:
            until = time.monotonic() + seconds  # at the earliest: the hold may already run later
            hold_all(session, seconds)
            with self._lock:
                self.holds.append((time.monotonic(), until))

        def waited(session: HttpSession, delay: float) -> None:
            asked = time.monotonic()
            wait_turn(session, delay)
            with self._lock:
                self.turns.append((asked, time.monotonic()))

        monkeypatch.setattr(HttpSession, "_hold_all", held)
        monkeypatch.setattr(HttpSession, "_wait_turn", waited)

    def early_turns(self) -> Iterator[tuple[float, float, float]]:
        """(turn asked, turn given, hold's end) for each turn asked after a hold began and given before it ended."""
        for began, until in self.holds:
            for asked, given in self.turns:
                if asked > began and given < until:
                    yield asked, given, until


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_is_honoured(project: Project, form: str, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = project.records_project(COUNT)
    schedule = Schedule(monkeypatch)
    project.setenv(RECONCILER_BATCH_SIZE="200")  # 10 creates on 4 threads: others have work during a hold
    value = "1" if form == "seconds" else "http-date:1"
    project.fault(f"rate_limit:rate=0.2:retry_after={value}:seed=5")
    run = project.cli("apply", "--auto-approve")
    assert run.exit_code == 0, run.output
    assert "RecordSet/bulk-records: ok: 2000 created" in run.stdout
    entries = project.log()
    limited = [entry for entry in entries if entry.status == 429]
    assert len(limited) >= 3
    # The client held every thread: a request that asked for its turn once a 429's hold had begun got it only when
    # the hold ended. (How late a busy machine lets requests arrive is not the client's schedule.)
    assert len(schedule.holds) == len(limited)
    assert list(schedule.early_turns()) == []
    # Retry-After in seconds allows t + 1; as an HTTP-date, the date: t + 1 rounded up to a whole second.
    allowed = {
        entry.seq: entry.time + 1 if form == "seconds" else float(math.ceil(entry.time + 1))
        for entry in limited
    }
    # Requests that other threads were given their turn for before the client read the 429 still arrive before
    # that time; how many depends on how soon a busy machine lets the client read it, so they are not counted here
    # (the client's own turns above are the check). Each limited operation went through once its time had come.
    for entry in limited:
        assert any(
            later.seq > entry.seq and later.op == entry.op and later.status == 200
            for later in entries
            if later.time >= allowed[entry.seq] - 0.005
        ), entry
    # every 429 was followed by a retry of the same op that got through
    assert sum(1 for e in entries if e.op == "ecnow_records.create" and e.committed) == COUNT // 200
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0
    project.clear_faults()
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_retry_after_beyond_the_cap_ends_the_run_and_it_resumes(project: Project) -> None:
    keys = project.records_project(COUNT)
    project.setenv(RECONCILER_MAX_RETRY_AFTER_SECONDS="5")
    project.fault("rate_limit:retry_after=60:match=ecnow_records.create:after=30:count=1")
    run = project.cli("apply", "--auto-approve")
    assert run.exit_code == 1
    head, _, tail = run.stderr.partition(" [")
    assert head == (
        "Error: apply stopped at RecordSet/bulk-records: ContactNow ecnow_records.create: the server asks to "
        "wait 60 s, more than the 5 s allowed; run again later (work done so far is kept) (HTTP 429)"
    )
    assert tail.startswith(f"{project.base_url}/contactnow/ecnow.php?method=ecnow_records&action=create&")
    assert tail.endswith(
        "\nNothing written is undone. Run apply again to finish the job: it re-reads the live state first, so "
        "nothing is created twice.\n"
    )
    assert "token=***" in tail
    assert "Verified" not in run.stdout
    creates = project.log(op="ecnow_records.create")
    assert [entry.status for entry in creates].count(429) == 1
    # the 31st create was refused; the batches already in flight finished, and nothing more was sent
    assert len(creates) <= 31 + 3
    stored = project.keys()
    assert len(stored) == 20 * sum(1 for entry in creates if entry.committed)
    assert project.duplicates() == 0
    project.clear_faults()
    mark = project.mark()
    again = project.cli("apply", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert f"RecordSet/bulk-records: ok: {COUNT - len(stored)} created" in again.stdout
    assert sum(entry.rows or 0 for entry in project.log(mark, op="ecnow_records.create")) == COUNT - len(
        stored
    )
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_token_expiring_mid_apply_is_renewed_once(project: Project) -> None:
    """The first token lives 1 s, the apply about 2 s (60 ms per create request); the second token lives on."""
    keys = project.records_project(COUNT, status="LIVE")
    project.state.settings.token_lifetime = 1.0
    project.fault("latency:ms=60:match=ecnow_records.create")

    def second_token_lives_long(number: int) -> None:
        if number == 2:
            project.state.settings.token_lifetime = 3600.0

    with project.on_arrival("token.get", second_token_lives_long):
        run = project.cli("apply", "--auto-approve")
    assert run.exit_code == 0, run.output
    assert "RecordSet/bulk-records: ok: 2000 created" in run.stdout
    assert "Dataset/bulk: ok: created dataset 1 on HOLD; dataset 1 is LIVE" in run.stdout
    assert "Verified: the live state matches the manifests." in run.stdout
    assert project.state.log.count(op="token.get") == 2  # exactly one re-authentication
    creates = project.log(op="ecnow_records.create")
    expired = [index for index, entry in enumerate(creates) if entry.result == "error=Expired token"]
    # the token expired mid-apply: the creates in flight then (one per worker at most) were refused, not
    # stored, and sent again once with the new token
    assert 1 <= len(expired) <= WORKERS
    assert expired[0] > 0 and expired[-1] < len(creates) - 1
    assert not any(creates[index].committed for index in expired)
    assert len(creates) == COUNT // 20 + len(expired)
    assert sum(1 for entry in creates if entry.committed) == COUNT // 20
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0
