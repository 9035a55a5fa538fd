"""The apply lock's refusal names the apply that holds the lock, even when it is refused in the moment between the
holder taking the lock and writing the marker (tests/reliability/test_concurrency.py runs two real applies)."""

from __future__ import annotations

import getpass
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.apply.lock import HOLDER_WAIT_SECONDS, apply_lock
from reconciler.errors import LockError

HOLD = (
    "import sys\n"
    "from filelock import FileLock\n"
    "lock = FileLock(sys.argv[1])\n"
    "lock.acquire()\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)
"""A process that holds the lock file until its standard input closes."""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock of target `t`, whose marker is still empty."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "apply-t.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline() == "held\n"
    (tmp_path / "apply-t.state").write_text("")
    yield child
    child.communicate("")


def named(pid: int) -> dict[str, object]:
    return {
        "host": socket.gethostname(),
        "pid": pid,
        "user": getpass.getuser(),
        "started": "2026-12-07T08:00:00+00:00",
    }


def refusal(directory: Path, sleep: list[float], write: dict[int, dict[str, object]]) -> str:
    """The error of an apply refused the lock; `write[n]` is written to the marker at the n-th sleep."""
    marker = directory / "apply-t.state"

    def fake_sleep(seconds: float) -> None:
        sleep.append(seconds)
        if len(sleep) in write:
            marker.write_text(json.dumps(write[len(sleep)]))

    with pytest.raises(LockError) as raised, apply_lock(directory, "t", sleep=fake_sleep):
        pass
    return str(raised.value)


def message(directory: Path, holder: str) -> str:
    return (
        f"another apply against target t is running ({holder}); wait for it to finish (or pass --lock-timeout "
        f"SECONDS to wait), then plan again (lock: {directory / 'apply-t.lock'})"
    )


def test_an_apply_refused_before_the_holder_names_itself_waits_for_its_name(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    sleeps: list[float] = []
    error = refusal(tmp_path, sleeps, {3: named(holder.pid)})
    user = getpass.getuser()
    running = f"pid {holder.pid} on {socket.gethostname()}, user {user}, since 2026-12-07T08:00:00+00:00"
    assert error == message(tmp_path, running)
    assert sleeps == [0.05, 0.05, 0.05]


def test_a_marker_left_by_an_ended_apply_is_not_taken_for_the_holder(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    (tmp_path / "apply-t.state").write_text(json.dumps(named(int(ended.stdout))))
    sleeps: list[float] = []
    error = refusal(tmp_path, sleeps, {2: named(holder.pid)})
    assert f"(pid {holder.pid} on {socket.gethostname()}, " in error
    assert sleeps == [0.05, 0.05]


def test_a_holder_that_never_names_itself_is_another_process(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    sleeps: list[float] = []
    error = refusal(tmp_path, sleeps, {})
    assert error == message(tmp_path, "another process")
    assert sleeps == [0.05] * 20
    assert sum(sleeps) == pytest.approx(HOLDER_WAIT_SECONDS)


def test_the_marker_is_replaced_whole_and_emptied_when_the_apply_finishes(tmp_path: Path) -> None:
    marker = tmp_path / "apply-t.state"
    with apply_lock(tmp_path, "t"):
        held = json.loads(marker.read_text())
        assert (held["pid"], held["host"], held["user"]) == (
            os.getpid(),
            socket.gethostname(),
            getpass.getuser(),
        )
    assert marker.read_text() == ""
    assert sorted(path.name for path in tmp_path.iterdir()) == ["apply-t.lock", "apply-t.state"]
