"""Crash (#5 item 3): `kill -9` the apply process at seeded points of a 2,000-record apply, then apply again.

The apply runs as a real process (the `reconciler` console script). A hook on the emulator's request intake
kills it with SIGKILL when the k-th write request arrives (k seeded per trial, over the dataset create, the 100
record-create requests and the LIVE update). That request is still served and stored, so its answer is lost
with the process: the harshest point to die. Each trial then re-runs apply until it converges and counts the
re-runs. Every trial: at most 2 re-runs, 0 duplicates, and an empty next plan.

The default suite runs 3 trials; the soak suite runs all 20 and prints a line per trial:

    .venv/bin/pytest -m soak tests/reliability/test_crash.py -s
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass

import pytest
from harness.project import WRITE_OPS, Project

pytestmark = [pytest.mark.served, pytest.mark.usefixtures("fast_settings")]
"""The applies run as real processes, so the emulator is on a real server."""

COUNT = 2000
WRITE_REQUESTS = 1 + COUNT // 20 + 1  # dataset create, record creates, dataset update (LIVE)


@dataclass
class Trial:
    seed: int
    kill_at: int
    stored_at_kill: int
    reruns: int
    duplicates: int
    seconds: float


def kill_point(seed: int) -> int:
    return random.Random(seed).randint(1, WRITE_REQUESTS)


def crash_trial(project: Project, seed: int) -> Trial:
    for old in (project.root / "manifests").glob("crash*"):  # each trial manages only its own record set
        old.unlink()
    # Each trial loads its own customers: the same keys in a new dataset would be refused as an overlap.
    keys = project.records_project(COUNT, name=f"crash{seed}", status="LIVE", prefix=f"T{seed}-")
    description = f"crash{seed} load"
    started = time.monotonic()
    kill_at = kill_point(seed)
    child: list[subprocess.Popen[str]] = []

    def kill(number: int) -> None:
        if number == kill_at:
            os.kill(child[0].pid, signal.SIGKILL)

    with project.on_arrival(frozenset(WRITE_OPS), kill):
        child.append(project.spawn("apply", "--auto-approve"))
        child[0].communicate(timeout=120)
    assert child[0].returncode == -signal.SIGKILL, f"trial {seed}: the apply was not killed"
    stored_at_kill = len(project.keys(description))
    reruns = 0
    while True:
        reruns += 1
        run = project.process("apply", "--auto-approve")
        assert run.exit_code == 0, run.output
        if run.stdout.startswith("No changes.") or "Verified: the live state matches" in run.stdout:
            break
        assert reruns < 2, run.output
    mark = project.mark()
    plan = project.cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert project.writes(mark) == []
    assert sorted(project.keys(description)) == keys
    assert project.view.dataset(description).status == "LIVE"
    return Trial(
        seed, kill_at, stored_at_kill, reruns, project.duplicates(description), time.monotonic() - started
    )


def check(trials: list[Trial]) -> None:
    for trial in trials:
        print(
            f"trial {trial.seed:2d}: killed at write request {trial.kill_at:3d} with {trial.stored_at_kill:4d} "
            f"records stored; {trial.reruns} re-run(s); {trial.duplicates} duplicates; {trial.seconds:.1f} s"
        )
    assert all(trial.reruns <= 2 for trial in trials)
    assert sum(trial.duplicates for trial in trials) == 0


def test_kill_9_at_seeded_points_converges(project: Project) -> None:
    check([crash_trial(project, seed) for seed in range(3)])


@pytest.mark.soak
def test_kill_9_at_twenty_seeded_points_converges(project: Project) -> None:
    check([crash_trial(project, seed) for seed in range(20)])
