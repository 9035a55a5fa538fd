"""The fault lab: a real emulator server on loopback, a project pointing at it, and the CLI, in-process or as a
real process, for the fault, crash and concurrency tests of issue #5 (items 1-7, 10).

Settings reach the CLI the way a user sets them, through environment variables:
RECONCILER_BATCH_SIZE (rows per write request), RECONCILER_RETRY_ATTEMPTS / _BASE_SECONDS / _MAX_SECONDS,
RECONCILER_MAX_RETRY_AFTER_SECONDS and RECONCILER_CONSISTENCY_SECONDS. Faults are the emulator's own rules
(reconciler/emulator/faults.py); counts come from its request log and its store.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from e2e.conftest import CREDENTIALS, WRITE_OPS, project_file
from support import dataset_doc, membership_doc, record_set_doc, write_file
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.emulator import build_state, running_server
from reconciler.emulator.faults import Decision, FaultInjector
from reconciler.emulator.requestlog import LogEntry
from reconciler.emulator.state import EmulatorState

WRITES = frozenset(WRITE_OPS)
"""The request log ops that write."""

FAST_SETTINGS: Mapping[str, str] = {
    "RECONCILER_BATCH_SIZE": "20",
    "RECONCILER_RETRY_ATTEMPTS": "5",
    "RECONCILER_RETRY_BASE_SECONDS": "0.02",
    "RECONCILER_RETRY_MAX_SECONDS": "0.2",
    "RECONCILER_MAX_RETRY_AFTER_SECONDS": "30",
    "RECONCILER_CONSISTENCY_SECONDS": "0.2",
}
"""Small batches (so that 2,000 records make 100 create requests) and short backoff, for fast tests."""

RECONCILER = str(Path(sys.executable).parent / "reconciler")
"""The console script installed with the package, next to the interpreter running the tests."""


@dataclass
class Run:
    """A finished CLI run (in-process or a real process)."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Lab:
    root: Path
    base_url: str
    state: EmulatorState
    env: dict[str, str]
    monkeypatch: pytest.MonkeyPatch
    runner: CliRunner = field(default_factory=CliRunner)

    # ------------------------------------------------------------------------------------------ project

    def write(self, relative: str, text: str) -> Path:
        return write_file(self.root, relative, text)

    def records_project(
        self,
        count: int,
        *,
        name: str = "bulk",
        status: str = "HOLD",
        testy: Callable[[int], str] = lambda n: "t",
        prefix: str = "K",
    ) -> list[str]:
        """A Dataset and a RecordSet of `count` new records keyed K00000... (or another prefix); returns the
        keys."""
        keys = [f"{prefix}{n:05d}" for n in range(count)]
        dataset = dataset_doc(name, f"{name} load", status=status)
        records = record_set_doc(
            f"{name}-records", dataset=name, fields="[FirstName, MobilePhone, Testy]", source=f"{name}.csv"
        )
        self.write(f"manifests/{name}.yaml", dataset + records)
        lines = ["VENDOR_URN,FirstName,MobilePhone,Testy"]
        lines += [f"{key},Name{n},0770{n:07d},{testy(n)}" for n, key in enumerate(keys)]
        self.write(f"manifests/{name}.csv", "\n".join(lines) + "\n")
        return keys

    def members_project(self, customers: list[str], *, name: str = "members", campaign: int = 125) -> None:
        self.write(
            f"manifests/{name}.yaml", membership_doc(name, campaign=campaign, source=f"{name}-members.csv")
        )
        self.write(f"manifests/{name}-members.csv", "customer-id\n" + "\n".join(customers) + "\n")

    def setenv(self, **values: str) -> None:
        """Set environment variables for both in-process and subprocess runs of the CLI."""
        for name, value in values.items():
            self.env[name] = value
            self.monkeypatch.setenv(name, value)

    # --------------------------------------------------------------------------------------------- CLI

    def cli(self, command: str, *args: str) -> Run:
        """Run the CLI in-process (every request still crosses real HTTP to the emulator)."""
        result = self.runner.invoke(app, [command, str(self.root), *args], catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    def command(self, command: str, *args: str) -> list[str]:
        return [RECONCILER, command, str(self.root), *args]

    def spawn(self, command: str, *args: str) -> subprocess.Popen[str]:
        """Start the CLI as a real process (its own interpreter, sockets and lock file handle)."""
        return subprocess.Popen(
            self.command(command, *args),
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def process(self, command: str, *args: str, timeout: float = 120) -> Run:
        child = self.spawn(command, *args)
        stdout, stderr = child.communicate(timeout=timeout)
        return Run(child.returncode, stdout, stderr)

    # ----------------------------------------------------------------------------------------- emulator

    def fault(self, *specs: str) -> None:
        for spec in specs:
            self.state.faults.add_spec(spec)

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def mark(self) -> int:
        return self.state.log.last_seq

    def log(self, since: int = 0, op: str | None = None) -> list[LogEntry]:
        return self.state.log.entries(since, op=op)

    def writes(self, since: int = 0) -> list[LogEntry]:
        return [entry for entry in self.log(since) if entry.op in WRITES]

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.state.store.lock:
            return list(self.state.store.conn.execute(query, params).fetchall())

    def stored_keys(self, description: str | None = None) -> list[str]:
        """Keys of the stored records, of every dataset or of the one with this description."""
        if description is None:
            rows = self.sql("SELECT VENDOR_URN FROM cn_records ORDER BY id")
        else:
            rows = self.sql(
                "SELECT VENDOR_URN FROM cn_records WHERE datasetid IN "
                "(SELECT dataset FROM cn_datasets WHERE description = ?) ORDER BY id",
                description,
            )
        return [str(row[0]) for row in rows]

    def duplicates(self, description: str | None = None) -> int:
        """Records beyond the first of each key."""
        counts = Counter(self.stored_keys(description))
        return sum(count - 1 for count in counts.values())

    def members(self, campaign: int = 125) -> list[str]:
        rows = self.sql(
            "SELECT customer_id FROM cc_members WHERE campaign_id = ? ORDER BY customer_id", campaign
        )
        return [str(row[0]) for row in rows]

    @contextmanager
    def on_arrival(self, op: str | frozenset[str], callback: Callable[[int], None]) -> Iterator[None]:
        """Call `callback(n)` when the n-th request of `op` (one op or a set) arrives, before it is handled.

        Test instrumentation: it wraps the fault injector's decision hook, which the middleware calls for
        every request before its handler runs.
        """
        injector: FaultInjector = self.state.faults
        original = injector.decide
        ops = frozenset({op}) if isinstance(op, str) else op
        seen = [0]
        lock = threading.Lock()

        def decide(request_op: str, path: str, now: float) -> Decision:
            if request_op in ops:
                with lock:
                    seen[0] += 1
                    number = seen[0]
                callback(number)
            return original(request_op, path, now)

        self.monkeypatch.setattr(injector, "decide", decide)
        try:
            yield
        finally:
            self.monkeypatch.setattr(injector, "decide", original)


def make_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state: EmulatorState, base_url: str) -> Lab:
    env = {
        **CREDENTIALS,
        **FAST_SETTINGS,
        "RECONCILER_LOG": "WARNING",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    lab = Lab(tmp_path / "project", base_url, state, env, monkeypatch)
    lab.write("reconciler.yaml", project_file(base_url))
    return lab


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    """A project whose `local` target is a real emulator server, with fast retry and batch settings."""
    state = build_state()
    try:
        with running_server(state) as base_url:
            yield make_lab(tmp_path, monkeypatch, state, base_url)
    finally:
        state.store.close()
