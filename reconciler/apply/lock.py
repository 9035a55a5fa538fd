"""A local apply lock: two applies against one account from one machine never write at the same time.

The lock is a `filelock` on a file named after the account (`lock_place`: under the user's cache folder, so two
checkouts of one repository exclude each other too). The operating system releases it when the process ends,
however it ends, so a lock held by a killed process never blocks the next run. A second apply fails fast with
LockError naming who holds it, or waits up to `timeout` seconds (`--lock-timeout`) for it.

Beside the lock, a marker says whether the last apply finished: it holds who runs the apply (host, pid, user,
start time, as JSON) while it runs, and is emptied when the apply's block ends without an exception. An apply
that finds it non-empty knows that the previous one was killed or failed part way, possibly with writes whose
answers were lost and which reads may not show yet. It then waits `settle_seconds` (the target's consistency
window) before it reads anything, so that its plan sees every record the previous run stored and creates no
duplicate.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import ConfigError, LockError
from ..settings import Settings
from ..targets import Connection

logger = logging.getLogger(__name__)

HOLDER_WAIT_SECONDS = 1.0
"""How long a refused apply waits for the holder to name itself in the marker. The holder writes it just after it
takes the lock, so an apply refused in between reads an empty marker, or the one a killed apply left."""
_HOLDER_POLL_SECONDS = 0.05


@contextmanager
def apply_lock(
    directory: Path,
    target: str,
    *,
    account: str = "",
    settle_seconds: float = 0.0,
    timeout: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold the apply lock of `target` for the block; raise LockError if another process still holds it after
    `timeout` seconds (0: at once)."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"apply-{target}-{account}" if account else f"apply-{target}"
    path = directory / f"{stem}.lock"
    marker = directory / f"{stem}.state"
    lock = FileLock(path, timeout=timeout)
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if timeout <= 0:
                raise
            logger.warning(
                "another apply against target %s is running (%s); waiting up to %g s for it to finish",
                target,
                _running_holder(marker, sleep),
                timeout,
            )
            lock.acquire()
    except Timeout:
        holder = _running_holder(marker, sleep)
        waited = f" after waiting {timeout:g} s" if timeout > 0 else ""
        raise LockError(
            f"another apply against target {target} is running ({holder}){waited}; wait for it to finish "
            f"(or pass --lock-timeout SECONDS to wait), then plan again (lock: {path})"
        ) from None
    try:
        previous = _unfinished(marker)
        _write_marker(marker, json.dumps(_me(), sort_keys=True))
        if previous and settle_seconds > 0:
            logger.warning(
                "the previous apply against target %s (%s) did not finish; waiting %.1f s for reads to show "
                "what it stored",
                target,
                previous,
                settle_seconds,
            )
            sleep(settle_seconds)
        yield
        _write_marker(marker, "")
    finally:
        lock.release()


def _me() -> dict[str, object]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "user": user,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _write_marker(marker: Path, text: str) -> None:
    """Replace the marker's text at once (a file written beside it, then renamed over it): an apply that reads it
    meanwhile reads the old text or the new, never part of it. Only the lock's holder writes it."""
    part = marker.with_name(marker.name + ".part")
    part.write_text(text)
    os.replace(part, marker)


def _read_holder(marker: Path) -> dict[str, object] | None:
    """Who holds (or last held) the lock, as the marker says; None when it names no one."""
    try:
        return _parsed(marker.read_text())
    except OSError:
        return None


def _parsed(text: str) -> dict[str, object] | None:
    try:
        held = json.loads(text)
    except ValueError:
        return None
    return held if isinstance(held, dict) else None


def _unfinished(marker: Path) -> str:
    """Who ran the last apply, when it did not finish (the marker it left is not empty); "" when it finished."""
    try:
        text = marker.read_text()
    except FileNotFoundError:
        return ""
    if not text.strip():
        return ""
    held = _parsed(text)
    return "another process" if held is None else _described(held)


def _described(held: dict[str, object]) -> str:
    return (
        f"pid {held.get('pid')} on {held.get('host')}, user {held.get('user')}, since {held.get('started')}"
    )


def _running_holder(marker: Path, sleep: Callable[[float], None]) -> str:
    """Who holds the lock another process holds now: the marker once it names a process that is running (on
    another host it cannot be checked, and is taken as it is), looked at for up to HOLDER_WAIT_SECONDS."""
    polls = round(HOLDER_WAIT_SECONDS / _HOLDER_POLL_SECONDS)
    for poll in range(polls + 1):
        held = _read_holder(marker)
        if held is not None and _may_be_running(held):
            return _described(held)
        if poll < polls:
            sleep(_HOLDER_POLL_SECONDS)
    return "another process"


def _may_be_running(held: dict[str, object]) -> bool:
    """False when the marker names a process of this host that has ended (a killed apply's, or the one before)."""
    pid = held.get("pid")
    # Not asked on Windows, where os.kill(pid, 0) would end the process.
    if held.get("host") != socket.gethostname() or not isinstance(pid, int) or os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # running, as another user
        return True
    return True


GITIGNORE = "# Written by reconciler: its locks and the embedded emulator's store are not for git.\n*\n"


def work_dir(root: Path) -> Path:
    """The project's own working folder, `.reconciler/` (locks, the embedded emulator's store), created with a
    .gitignore that keeps it out of git."""
    work = root / ".reconciler"
    if work.is_symlink() or (work.exists() and not work.is_dir()):
        raise ConfigError(
            f"{work} is a symbolic link or not a folder; the reconciler keeps its locks and the embedded "
            "emulator's store there. Remove it and run again"
        )
    work.mkdir(parents=True, exist_ok=True)
    ignore = work / ".gitignore"
    if not ignore.exists():
        ignore.write_text(GITIGNORE, encoding="utf-8")
    return work


def lock_place(root: Path, connection: Connection, settings: Settings) -> tuple[Path, str]:
    """Where the apply lock of a target's account lives, and the account's short name.

    A real account is locked machine-wide, under the user's cache folder and named by a hash of its base
    URLs and user names, so that two checkouts applying to one account never write at the same time. The
    embedded emulator's account is the project's own store, so its lock stays in the project.
    """
    if connection.transport is not None:
        return work_dir(root), ""
    endpoints = (connection.contactnow, connection.contact_center)
    account = "\n".join(f"{item.base_url}\x1f{item.user}" for item in endpoints if item is not None)
    locks = settings.cache_home / "reconciler" / "locks"
    try:
        locks.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        logger.warning("cannot use %s for the apply lock (%s); locking in the project only", locks, error)
        return work_dir(root), ""
    return locks, hashlib.sha256(account.encode()).hexdigest()[:16]
