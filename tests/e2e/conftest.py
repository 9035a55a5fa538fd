"""End-to-end fixtures: a real emulator server on loopback, a project pointing at it, and the CLI.

The CLI runs in-process through typer's runner (fast); every call it makes crosses real HTTP to the server.
Assertions read the emulator's store and request log directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from harness.probe import Probe, Watch
from support import write_file
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.emulator import build_state, create_app
from reconciler.emulator.server import ServerThread
from reconciler.emulator.state import EmulatorState

WRITE_OPS = {
    "ecnow_datasets.create",
    "ecnow_datasets.update",
    "ecnow_records.create",
    "ecnow_records.update",
    "cc.add",
    "cc.delete",
}

CREDENTIALS = {"CN_USER": "demo", "CN_PASS": "demo-password", "CC_TENANT": "demo", "CC_TOKEN": "demo-token"}


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@dataclass
class Estate:
    """A project directory whose `local` target is a running emulator."""

    root: Path
    base_url: str
    state: EmulatorState
    runner: CliRunner = field(default_factory=CliRunner)
    probe: Probe | None = None

    def write(self, relative: str, text: str) -> Path:
        return write_file(self.root, relative, text)

    def run(self, *args: str) -> Result:
        result = self.runner.invoke(app, list(args), catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    def cli(self, command: str, *args: str) -> Result:
        return self.run(command, str(self.root), *args)

    def writes(self, since: int = 0) -> list[Any]:
        return [entry for entry in self.state.log.entries(since) if entry.op in WRITE_OPS]

    def mark(self) -> int:
        return self.state.log.last_seq

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.state.store.lock:
            return list(self.state.store.conn.execute(query, params).fetchall())

    def in_flight(self, ops: str | frozenset[str], *, hold_until: int = 0) -> AbstractContextManager[Watch]:
        """Count the requests of `ops` the emulator holds at once (`Watch.peak`); with `hold_until`, hold each
        one until that many have arrived (harness/probe.py)."""
        assert self.probe is not None, "this estate's emulator is served without a probe"
        return self.probe.watch(ops, hold_until=hold_until)


def project_file(base_url: str) -> str:
    return f"""
        apiVersion: reconciler/v1
        kind: Project
        defaultTarget: local
        targets:
          local:
            contactnow:
              baseUrl: {base_url}/contactnow/
              usernameEnv: CN_USER
              passwordEnv: CN_PASS
            contactCenter:
              baseUrl: {base_url}/cc
              tenantEnv: CC_TENANT
              tokenEnv: CC_TOKEN
        """


def set_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator's demo credentials, in the environment variables project_file names."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)


def open_estate(root: Path, base_url: str, state: EmulatorState) -> Estate:
    """An Estate at root whose project file's `local` target is the emulator at base_url."""
    project = Estate(root, base_url, state)
    project.write("reconciler.yaml", project_file(base_url))
    return project


@pytest.fixture
def estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Estate]:
    set_credentials(monkeypatch)
    monkeypatch.setenv("RECONCILER_CONSISTENCY_SECONDS", "0")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    state = build_state()
    probe = Probe(create_app(state))
    server = ServerThread(probe)
    try:
        project = open_estate(tmp_path / "project", server.start(), state)
        project.probe = probe
        yield project
    finally:
        server.stop()
