"""A project directory whose `local` target is the emulator, and the means to run the reconciler on it.

    def test_x(project: Project) -> None:
        project.write("manifests/spring.yaml", dataset_doc())
        mark = project.mark()
        assert project.cli("apply", "--auto-approve").exit_code == 0
        assert project.view.dataset().status == "HOLD"          # the emulator's store (StoreView)
        assert [entry.op for entry in project.writes(mark)] == ["ecnow_datasets.create"]

The reconciler runs as a user runs it: through the CLI (`reconciler.cli.app`), in this process (`cli`) or as a
real process (`spawn`, `process`), with settings in environment variables (`setenv`; FAST_SETTINGS for the fault
tests). What it did is read from the emulator: its store (`view`), its request log (`log`, `writes`, `mark`), an
arrival hook (`on_arrival`) and a probe in front of it (`in_flight`). Faults are the emulator's own rules
(`fault`); its admin API is at `http`.

How the project reaches the emulator is its mode, one of MODES:
- `served`: the emulator on a real uvicorn server on loopback; the in-process CLI's every request crosses real
  HTTP, and other processes can reach it too.
- `in-process` (the default): the emulator app called in this process over an ASGI transport, which the CLI's
  engine uses for the `local` target instead of the network (Engine.transport); no socket, no server thread.
A test that needs a real server (it spawns the CLI as a process, or its faults act on a socket) carries
`@pytest.mark.served`; the `project` fixture gives the others DEFAULT_MODE.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol
from unittest import mock

import httpx
import pytest
from starlette.types import ASGIApp
from support import dataset_doc, membership_doc, record_set_doc, write_file
from typer.testing import CliRunner

from reconciler import cli
from reconciler.cli import app
from reconciler.emulator import SyncAsgiTransport, build_state, create_app
from reconciler.emulator.faults import Decision
from reconciler.emulator.requestlog import LogEntry
from reconciler.emulator.server import ServerThread
from reconciler.emulator.state import EmulatorState
from reconciler.emulator.view import StoreView
from reconciler.engine import Engine
from reconciler.settings import Settings

from .probe import Probe, Watch

WRITE_OPS = frozenset(
    {
        "ecnow_datasets.create",
        "ecnow_datasets.update",
        "ecnow_records.create",
        "ecnow_records.update",
        "cc.add",
        "cc.delete",
        "cc.status",
        "outcomecodes.create",
        "outcomecodes.update",
        "tod_policy.create",
        "tod_policy.update",
        "tod_rules.create",
        "tod_rules.update",
        "queues.update",
    }
)
"""The request-log ops that write."""

CREDENTIALS: Mapping[str, str] = {
    "CN_USER": "demo",
    "CN_PASS": "demo-password",
    "CC_TENANT": "demo",
    "CC_TOKEN": "demo-token",
}
"""The emulator's demo credentials, in the environment variables the project file names."""

FAST_SETTINGS: Mapping[str, str] = {
    "RECONCILER_BATCH_SIZE": "20",
    "RECONCILER_RETRY_ATTEMPTS": "5",
    "RECONCILER_RETRY_BASE_SECONDS": "0.02",
    "RECONCILER_RETRY_MAX_SECONDS": "0.2",
    "RECONCILER_MAX_RETRY_AFTER_SECONDS": "30",
    "RECONCILER_CONSISTENCY_SECONDS": "0.2",
    "RECONCILER_LOG": "WARNING",
}
"""Small batches (so that 2,000 records make 100 create requests) and short backoff: the fault tests' settings."""

RECONCILER = str(Path(sys.executable).parent / "reconciler")
"""The console script installed with the package, next to the interpreter running the tests."""


def project_file(base_url: str) -> str:
    """reconciler.yaml whose default target `local` is the emulator at base_url, credentials from CREDENTIALS."""
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


@dataclass(frozen=True)
class Run:
    """A finished CLI run (in-process or a real process)."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


# ------------------------------------------------------------------------------------------------ modes


class Mode(Protocol):
    """How a project reaches its emulator and runs the reconciler in this process: what the modes share."""

    name: ClassVar[str]

    @property
    def base_url(self) -> str:
        """What the project file's `local` target names."""
        ...

    def invoke(self, args: Sequence[str]) -> Run:
        """Run one reconciler command (`plan ROOT ...`) in this process."""
        ...

    def client(self) -> httpx.Client:
        """A new client for the emulator's own HTTP API, paths relative to base_url (the caller closes it)."""
        ...


@dataclass(frozen=True)
class Served:
    """The emulator on a real HTTP server at base_url; the CLI in-process through typer's runner."""

    base_url: str
    name: ClassVar[str] = "served"

    def invoke(self, args: Sequence[str]) -> Run:
        result = CliRunner().invoke(app, list(args), catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30)


@contextlib.contextmanager
def serve(emulator: ASGIApp) -> Iterator[Served]:
    """Serve the emulator app with uvicorn on 127.0.0.1 (a free port) until the block ends."""
    server = ServerThread(emulator)
    base_url = server.start()
    try:
        yield Served(base_url)
    finally:
        server.stop()


@dataclass(frozen=True)
class InProcess:
    """The emulator called in this process over an ASGI transport: the CLI's engine carries every request of
    the `local` target on it (Engine.transport, the path the built-in emulator takes), so no socket is opened.
    Faults that act on a socket (a reset, a dropped answer) need the served mode."""

    transport: httpx.BaseTransport
    base_url: str = "http://127.0.0.1:9"
    """Loopback, so the URL policy accepts plain http; never contacted."""
    name: ClassVar[str] = "in-process"

    def invoke(self, args: Sequence[str]) -> Run:
        make = cli._engine

        def engine(settings: Settings) -> Engine:
            return dataclasses.replace(make(settings), transport=_Kept(self.transport))

        with mock.patch.object(cli, "_engine", engine):
            result = CliRunner().invoke(app, list(args), catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, transport=self.transport, timeout=30)


class _Kept(httpx.BaseTransport):
    """The mode's transport, lent to one command: the clients it builds close what they use when the command
    ends, and the transport must outlive it (the mode closes it)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        return None


@contextlib.contextmanager
def in_process(emulator: ASGIApp) -> Iterator[InProcess]:
    """Call the emulator app in this process until the block ends."""
    transport = SyncAsgiTransport(emulator)
    try:
        yield InProcess(transport)
    finally:
        transport.close()


MODES: Mapping[str, Callable[[ASGIApp], AbstractContextManager[Mode]]] = {
    "served": serve,
    "in-process": in_process,
}
DEFAULT_MODE = "in-process"


# ---------------------------------------------------------------------------------------------- project


@dataclass
class Project:
    """A project directory at `root` whose `local` target is the emulator of `state`, reached through `mode`."""

    root: Path
    state: EmulatorState
    mode: Mode
    monkeypatch: pytest.MonkeyPatch
    probe: Probe | None = None
    """The instrumentation in front of the emulator, when the mode serves a probed app."""
    env: dict[str, str] = field(default_factory=dict)
    """The environment variables this project set (in os.environ too, for as long as the test runs)."""
    _http: httpx.Client | None = field(default=None, repr=False)

    @classmethod
    def create(
        cls,
        root: Path,
        state: EmulatorState,
        mode: Mode,
        monkeypatch: pytest.MonkeyPatch,
        probe: Probe | None = None,
    ) -> Project:
        """The project at root: its project file names the mode's base URL, and the environment holds the demo
        credentials, no consistency wait and a cache folder beside root (locks)."""
        project = cls(root, state, mode, monkeypatch, probe)
        project.write("reconciler.yaml", project_file(mode.base_url))
        project.setenv(
            **CREDENTIALS, RECONCILER_CONSISTENCY_SECONDS="0", XDG_CACHE_HOME=str(root.parent / "cache")
        )
        return project

    @property
    def base_url(self) -> str:
        return self.mode.base_url

    @property
    def view(self) -> StoreView:
        """The emulator's store: what is stored, and out-of-band changes."""
        return self.state.view

    @property
    def http(self) -> httpx.Client:
        """A client for the emulator's HTTP API (vendor and admin paths, relative to base_url)."""
        if self._http is None:
            self._http = self.mode.client()
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    # -------------------------------------------------------------------------------------------- files

    def write(self, relative: str, text: str) -> Path:
        """Write text (dedented) to a file of the project, creating its folders."""
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
        """A CampaignMembership of these customers, from a CSV source."""
        self.write(
            f"manifests/{name}.yaml", membership_doc(name, campaign=campaign, source=f"{name}-members.csv")
        )
        self.write(f"manifests/{name}-members.csv", "customer-id\n" + "\n".join(customers) + "\n")

    # ---------------------------------------------------------------------------------------------- CLI

    def setenv(self, **values: str) -> None:
        """Set environment variables, for in-process runs of the CLI and for the processes it spawns."""
        for name, value in values.items():
            self.env[name] = value
            self.monkeypatch.setenv(name, value)

    def cli(self, command: str, *args: str) -> Run:
        """Run `reconciler COMMAND ROOT ARGS...` in this process."""
        return self.mode.invoke([command, str(self.root), *args])

    def command(self, command: str, *args: str) -> list[str]:
        """The command line of `reconciler COMMAND ROOT ARGS...` as a real process."""
        return [RECONCILER, command, str(self.root), *args]

    def spawn(self, command: str, *args: str) -> subprocess.Popen[str]:
        """Start the CLI as a real process (its own interpreter, sockets and lock file handle)."""
        if not isinstance(self.mode, Served):
            raise RuntimeError(
                f"a separate process cannot reach a {self.mode.name} emulator: mark the test served"
            )
        return subprocess.Popen(
            self.command(command, *args),
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def process(self, command: str, *args: str, timeout: float = 120) -> Run:
        """Run the CLI as a real process to its end."""
        child = self.spawn(command, *args)
        stdout, stderr = child.communicate(timeout=timeout)
        return Run(child.returncode, stdout, stderr)

    # ----------------------------------------------------------------------------------------- emulator

    def fault(self, *specs: str) -> None:
        """Add fault rules (reconciler/emulator/faults.py specs)."""
        for spec in specs:
            self.state.faults.add_spec(spec)

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def mark(self) -> int:
        """The request log's position now: pass it as `since` to see what follows."""
        return self.state.log.last_seq

    def log(self, since: int = 0, op: str | None = None) -> list[LogEntry]:
        """The requests the emulator served after `since`, of one op or all."""
        return self.state.log.entries(since, op=op)

    def writes(self, since: int = 0) -> list[LogEntry]:
        """The write requests the emulator served after `since`."""
        return [entry for entry in self.log(since) if entry.op in WRITE_OPS]

    def keys(self, description: str | None = None) -> list[str]:
        """The keys (VENDOR_URN) of the stored records, of every dataset or of the one with this description."""
        return self.view.record_keys(None if description is None else self.view.dataset(description))

    def duplicates(self, description: str | None = None) -> int:
        """Stored records beyond the first of each key."""
        return sum(count - 1 for count in Counter(self.keys(description)).values())

    def members(self, campaign: int = 125) -> list[str]:
        """The customer ids of a campaign's members, as text, in ascending order."""
        return [
            str(customer) for customer in sorted(member.customer for member in self.view.members(campaign))
        ]

    @contextlib.contextmanager
    def on_arrival(self, ops: str | frozenset[str], callback: Callable[[int], None]) -> Iterator[None]:
        """Call `callback(n)` when the n-th request of `ops` (one op or a set) arrives, before it is served.

        It wraps the fault injector's decision, which the emulator makes for every request once it knows its op
        (a ContactNow method named in a POSTed form included), in the server's event loop, before the handler.
        """
        injector = self.state.faults
        decide = injector.decide
        wanted = frozenset({ops}) if isinstance(ops, str) else ops
        seen = itertools.count(1)
        lock = threading.Lock()

        def arrive(op: str, path: str, now: float) -> Decision:
            if op in wanted:
                with lock:
                    number = next(seen)
                callback(number)
            return decide(op, path, now)

        self.monkeypatch.setattr(injector, "decide", arrive)
        try:
            yield
        finally:
            self.monkeypatch.setattr(injector, "decide", decide)

    def in_flight(self, ops: str | frozenset[str], *, hold_until: int = 0) -> AbstractContextManager[Watch]:
        """Count the requests of `ops` the emulator holds at once (`Watch.peak`); with `hold_until`, hold each
        one until that many have arrived (harness/probe.py)."""
        return self._probe().watch(ops, hold_until=hold_until)

    def gate(self, ops: str | frozenset[str]) -> AbstractContextManager[Watch]:
        """Hold every request of `ops` on arrival until `Watch.open()` or the end of the block
        (harness/probe.py): a client caught in the middle of its writes, for as long as the test needs."""
        return self._probe().watch(ops, gated=True)

    def _probe(self) -> Probe:
        if self.probe is None:
            raise RuntimeError("this project's emulator is served without a probe")
        return self.probe


@contextlib.contextmanager
def open_project(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    mode: str = DEFAULT_MODE,
    seed: Path | None = None,
    root: Path | None = None,
) -> Iterator[Project]:
    """A project at root (default tmp_path/project) whose `local` target is a new in-memory emulator (from `seed`,
    default the bundled one) reached in `mode`, behind a probe; everything is closed when the block ends."""
    state = build_state(seed=seed)
    try:
        probe = Probe(create_app(state))
        with MODES[mode](probe) as reached:
            project = Project.create(root or tmp_path / "project", state, reached, monkeypatch, probe)
            try:
                yield project
            finally:
                project.close()
    finally:
        state.store.close()
