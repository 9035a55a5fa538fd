"""Concurrent applies on one machine (#5 item 10), as two real processes.

Two applies started together: one holds the lock for the whole apply, the other fails fast with a clear message
before it sends a single request, so they never both write and nothing is duplicated. A lock held by a process
killed with SIGKILL is released by the kernel: the next apply runs, after waiting the consistency window because
the previous apply did not finish.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from .faultlab import RECONCILER, Lab

COUNT = 2000
SLOW = "latency:ms=100:match=ecnow_records.create"
"""100 ms per create request: a 2,000-record apply (100 requests on 4 workers) then lasts about 2.5 s."""


def lock_file(lab: Lab) -> Path:
    """The one lock file of the lab's account, in its own cache folder (XDG_CACHE_HOME)."""
    (found,) = (Path(lab.env["XDG_CACHE_HOME"]) / "reconciler" / "locks").glob("apply-local-*.lock")
    return found


def test_two_applies_started_together_one_fails_fast(lab: Lab) -> None:
    keys = lab.records_project(COUNT)
    lab.fault(SLOW)
    first, second = lab.spawn("apply", "--auto-approve"), lab.spawn("apply", "--auto-approve")
    outputs = [child.communicate(timeout=120) for child in (first, second)]
    codes = [first.returncode, second.returncode]
    assert sorted(codes) == [0, 1], outputs
    winner, loser = (0, 1) if codes[0] == 0 else (1, 0)
    pids = [first.pid, second.pid]
    lock = lock_file(lab)
    assert outputs[loser] == (
        "",
        f"Error: another apply against target local is running (pid {pids[winner]}); wait for it to finish, "
        f"then plan again (lock: {lock})\n",
    )
    assert "RecordSet/bulk-records: ok: 2000 created" in outputs[winner][0]
    # one apply's worth of requests: one dataset create, 100 record creates of 20 rows
    assert [entry.op for entry in lab.writes()] == ["ecnow_datasets.create"] + ["ecnow_records.create"] * 100
    assert lab.state.log.count(op="token.get") == 1  # the loser never even logged in
    assert sorted(lab.stored_keys()) == keys
    assert lab.duplicates() == 0
    assert lab.cli("plan", "--detailed-exitcode").exit_code == 0


def test_a_lock_held_by_a_killed_apply_does_not_block_the_next(lab: Lab) -> None:
    keys = lab.records_project(COUNT)
    lab.fault(SLOW)
    child: list[subprocess.Popen[str]] = []

    def kill(number: int) -> None:
        if number == 10:
            os.kill(child[0].pid, signal.SIGKILL)

    with lab.on_arrival("ecnow_records.create", kill):
        child.append(lab.spawn("apply", "--auto-approve"))
        child[0].communicate(timeout=120)
    assert child[0].returncode == -signal.SIGKILL
    lock = lock_file(lab)
    assert lock.read_text() == f"pid {child[0].pid}"  # the killed apply never finished
    lab.clear_faults()
    run = lab.process("apply", "--auto-approve")
    assert run.exit_code == 0, run.output
    assert (
        f"WARNING reconciler.apply.lock: the previous apply against target local (pid {child[0].pid}) did not "
        "finish; waiting 0.2 s for reads to show what it stored\n"
    ) in run.stderr
    assert "Verified: the live state matches the manifests." in run.stdout
    assert lock.read_text() == ""  # finished cleanly
    assert sorted(lab.stored_keys()) == keys
    assert lab.duplicates() == 0


def test_two_checkouts_of_one_account_exclude_each_other(lab: Lab) -> None:
    keys = lab.records_project(COUNT)
    other = lab.root.parent / "second-checkout"
    shutil.copytree(lab.root, other)
    lab.fault(SLOW)
    first = lab.spawn("apply", "--auto-approve")
    second = subprocess.Popen(
        [RECONCILER, "apply", str(other), "--auto-approve"],
        env={**os.environ, **lab.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    outputs = [child.communicate(timeout=120) for child in (first, second)]
    codes = [first.returncode, second.returncode]
    assert sorted(codes) == [0, 1], outputs
    winner, loser = (0, 1) if codes[0] == 0 else (1, 0)
    assert outputs[loser] == (
        "",
        f"Error: another apply against target local is running (pid {[first.pid, second.pid][winner]}); wait "
        f"for it to finish, then plan again (lock: {lock_file(lab)})\n",
    )
    assert [entry.op for entry in lab.writes()] == ["ecnow_datasets.create"] + ["ecnow_records.create"] * 100
    assert sorted(lab.stored_keys()) == keys
    assert lab.duplicates() == 0
