"""Concurrent applies on one machine (#5 item 10), as two real processes.

Two applies started together: one holds the lock for the whole apply, the other fails fast with a clear message
before it sends a single request, so they never both write and nothing is duplicated. A lock held by a process
killed with SIGKILL is released by the kernel: the next apply runs, after waiting the consistency window because
the previous apply did not finish.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from harness.project import RECONCILER, Project

pytestmark = [pytest.mark.served, pytest.mark.usefixtures("fast_settings")]
"""The applies run as real processes, so the emulator is on a real server."""

COUNT = 2000
SLOW = "latency:ms=100:match=ecnow_records.create"
"""100 ms per create request: a 2,000-record apply (100 requests on 4 workers) then lasts about 2.5 s."""


def lock_file(project: Project) -> Path:
    """The one lock file of the project's account, in its own cache folder (XDG_CACHE_HOME)."""
    (found,) = (Path(project.env["XDG_CACHE_HOME"]) / "reconciler" / "locks").glob("apply-local-*.lock")
    return found


def marker(project: Project) -> Path:
    """Beside the lock: who runs the apply, emptied when it finishes."""
    return lock_file(project).with_suffix(".state")


def holder(pid: int) -> str:
    """How a message names the process holding the lock (its start time as a pattern)."""
    return (
        re.escape(f"pid {pid} on {socket.gethostname()}, user {getpass.getuser()}, since ")
        + r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"
    )


def test_two_applies_started_together_one_fails_fast(project: Project) -> None:
    keys = project.records_project(COUNT)
    project.fault(SLOW)
    first, second = project.spawn("apply", "--auto-approve"), project.spawn("apply", "--auto-approve")
    outputs = [child.communicate(timeout=120) for child in (first, second)]
    codes = [first.returncode, second.returncode]
    assert sorted(codes) == [0, 1], outputs
    winner, loser = (0, 1) if codes[0] == 0 else (1, 0)
    pids = [first.pid, second.pid]
    lock = lock_file(project)
    assert outputs[loser][0] == ""
    assert re.fullmatch(
        f"Error: another apply against target local is running \\({holder(pids[winner])}\\); wait for it to "
        + re.escape(f"finish (or pass --lock-timeout SECONDS to wait), then plan again (lock: {lock})\n"),
        outputs[loser][1],
    ), outputs[loser][1]
    assert "RecordSet/bulk-records: ok: 2000 created" in outputs[winner][0]
    # one apply's worth of requests: one dataset create, 100 record creates of 20 rows
    assert [entry.op for entry in project.writes()] == ["ecnow_datasets.create"] + [
        "ecnow_records.create"
    ] * 100
    assert project.state.log.count(op="token.get") == 1  # the loser never even logged in
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_a_lock_held_by_a_killed_apply_does_not_block_the_next(project: Project) -> None:
    keys = project.records_project(COUNT)
    project.fault(SLOW)
    child: list[subprocess.Popen[str]] = []

    def kill(number: int) -> None:
        if number == 10:
            os.kill(child[0].pid, signal.SIGKILL)

    with project.on_arrival("ecnow_records.create", kill):
        child.append(project.spawn("apply", "--auto-approve"))
        child[0].communicate(timeout=120)
    assert child[0].returncode == -signal.SIGKILL
    state = marker(project)
    held = json.loads(state.read_text())  # the killed apply never finished
    assert (held["pid"], held["host"], held["user"]) == (
        child[0].pid,
        socket.gethostname(),
        getpass.getuser(),
    )
    project.clear_faults()
    run = project.process("apply", "--auto-approve")
    assert run.exit_code == 0, run.output
    assert re.search(
        f"WARNING reconciler.apply.lock: the previous apply against target local \\({holder(child[0].pid)}\\) "
        "did not finish; waiting 0.2 s for reads to show what it stored\n",
        run.stderr,
    ), run.stderr
    assert "Verified: the live state matches the manifests." in run.stdout
    assert state.read_text() == ""  # finished cleanly
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0


def test_two_checkouts_of_one_account_exclude_each_other(project: Project) -> None:
    keys = project.records_project(COUNT)
    other = project.root.parent / "second-checkout"
    shutil.copytree(project.root, other)
    project.fault(SLOW)
    first = project.spawn("apply", "--auto-approve")
    second = subprocess.Popen(
        [RECONCILER, "apply", str(other), "--auto-approve"],
        env={**os.environ, **project.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    outputs = [child.communicate(timeout=120) for child in (first, second)]
    codes = [first.returncode, second.returncode]
    assert sorted(codes) == [0, 1], outputs
    winner, loser = (0, 1) if codes[0] == 0 else (1, 0)
    assert outputs[loser][0] == ""
    assert re.match(
        f"Error: another apply against target local is running \\({holder([first.pid, second.pid][winner])}\\)",
        outputs[loser][1],
    ), outputs[loser][1]
    assert [entry.op for entry in project.writes()] == ["ecnow_datasets.create"] + [
        "ecnow_records.create"
    ] * 100
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0


def test_lock_timeout_waits_for_the_other_apply_or_says_how_long_it_waited(project: Project) -> None:
    keys = project.records_project(COUNT)
    project.fault(SLOW)
    later: dict[str, subprocess.Popen[str]] = {}

    def start_the_others(number: int) -> None:
        if number == 2:  # the first apply holds the lock and writes
            later["waiting"] = project.spawn("apply", "--auto-approve", "--lock-timeout", "120")
            later["impatient"] = project.spawn("apply", "--auto-approve", "--lock-timeout", "0.3")

    with project.on_arrival("ecnow_records.create", start_the_others):
        first = project.spawn("apply", "--auto-approve")
        held = first.communicate(timeout=180)
    waited = later["waiting"].communicate(timeout=180)
    gave_up = later["impatient"].communicate(timeout=60)
    assert first.returncode == 0, held
    assert later["waiting"].returncode == 0, waited
    assert waited[0].startswith("No changes.")  # it waited for the lock, then found the job done
    assert later["impatient"].returncode == 1
    assert " after waiting 0.3 s; wait for it to finish" in gave_up[1]
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0
