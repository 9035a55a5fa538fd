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
import time
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


def first_to_exit(children: list[subprocess.Popen[str]], timeout: float = 120.0) -> int:
    """The index of the first of `children` to exit (a bound, not a measure: a hung child fails the test)."""
    for _ in range(int(timeout / 0.05)):
        for index, child in enumerate(children):
            if child.poll() is not None:
                return index
        time.sleep(0.05)
    raise AssertionError(f"none of {len(children)} applies exited within {timeout:g} s")


def test_two_applies_started_together_one_fails_fast(project: Project) -> None:
    """The creates are held until one apply has failed, so the other is caught holding the lock however slowly
    either process starts on a busy machine."""
    keys = project.records_project(COUNT)
    with project.gate("ecnow_records.create") as creates:
        children = [project.spawn("apply", "--auto-approve"), project.spawn("apply", "--auto-approve")]
        loser = first_to_exit(children)
        assert creates.wait_for(1, timeout=120), "neither apply wrote"
        creates.open()
        winner = 1 - loser
        outputs = [child.communicate(timeout=180) for child in children]
    codes = [child.returncode for child in children]
    assert (codes[winner], codes[loser]) == (0, 1), outputs
    lock = lock_file(project)
    assert outputs[loser][0] == ""
    assert re.fullmatch(
        f"Error: another apply against target local is running \\({holder(children[winner].pid)}\\); wait for "
        + re.escape(
            f"it to finish (or pass --lock-timeout SECONDS to wait), then plan again (lock: {lock})\n"
        ),
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
    with project.gate("ecnow_records.create") as creates:
        first = project.spawn("apply", "--auto-approve")
        assert creates.wait_for(1, timeout=120), "the first apply never wrote"
        second = subprocess.Popen(  # the first holds the lock, caught in its first create
            [RECONCILER, "apply", str(other), "--auto-approve"],
            env={**os.environ, **project.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        refused = second.communicate(timeout=120)
        creates.open()
        applied = first.communicate(timeout=180)
    assert (first.returncode, second.returncode) == (0, 1), (applied, refused)
    assert refused[0] == ""
    assert re.match(
        f"Error: another apply against target local is running \\({holder(first.pid)}\\)", refused[1]
    ), refused[1]
    assert [entry.op for entry in project.writes()] == ["ecnow_datasets.create"] + [
        "ecnow_records.create"
    ] * 100
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0


def test_lock_timeout_waits_for_the_other_apply_or_says_how_long_it_waited(project: Project) -> None:
    """The first apply is caught in its first create until the impatient one has given up and the patient one
    says it is waiting, so neither outcome depends on how fast the processes start."""
    keys = project.records_project(COUNT)
    with project.gate("ecnow_records.create") as creates:
        first = project.spawn("apply", "--auto-approve")
        assert creates.wait_for(1, timeout=120), "the first apply never wrote"
        impatient = project.spawn("apply", "--auto-approve", "--lock-timeout", "0.3")
        gave_up = impatient.communicate(timeout=120)
        waiting = project.spawn("apply", "--auto-approve", "--lock-timeout", "120")
        assert waiting.stderr is not None
        said = waiting.stderr.readline()  # it says it waits before it waits
        creates.open()
        held = first.communicate(timeout=180)
        waited = waiting.communicate(timeout=180)
    assert first.returncode == 0, held
    assert waiting.returncode == 0, (said, waited)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000 WARNING reconciler.apply.lock: another apply against target "
        "local is running "
        f"\\({holder(first.pid)}\\); waiting up to 120 s for it to finish\n",
        said,
    ), said
    assert waited[0].startswith("No changes.")  # it waited for the lock, then found the job done
    assert impatient.returncode == 1
    assert gave_up[1].endswith(
        f" after waiting 0.3 s; wait for it to finish (or pass --lock-timeout SECONDS to wait), then plan again "
        f"(lock: {lock_file(project)})\n"
    ), gave_up[1]
    assert sorted(project.keys()) == keys
    assert project.duplicates() == 0
