"""The use cases: validate, plan, apply, drift and export, each from a project directory and one Settings.

The CLI turns options into calls here and results into output and exit codes; everything between (loading,
resolving the target, locking, planning, guarding, checking a saved plan, applying, waiting for reads to catch
up, verifying) happens here. The engine never prints and never imports the emulator: the built-in `emulator`
target is reached through a transport the caller mounts (`Engine.embedded`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from .apply.lock import apply_lock, lock_place, work_dir
from .apply.runner import ApplyReport, apply_plan
from .apply.steps import ChangeResult, Reporter
from .errors import (
    ApplyInterrupted,
    ConfigError,
    Location,
    ManifestError,
    Problem,
    StalePlanError,
    UnsafePlanError,
)
from .export.account import ExportOptions, ExportSummary, export_account
from .kinds import REGISTRY, desired_state, load_project
from .kinds.base import DesiredState, Reading
from .kinds.suppression_list import Harvested, Imported, find_list, harvest_numbers, import_numbers
from .manifest import EMULATOR, Project
from .manifest.validation import find
from .manifest.yaml_loader import to_data
from .model.state import Status
from .plan.document import documents
from .plan.drift import drift_report
from .plan.guards import EVERYTHING, Acknowledgements, Verdict
from .plan.plan import Plan
from .plan.saved import read_saved_plan, stale_reasons
from .planner import make_plan
from .providers.base import Progress, Target
from .scope import Scope, ScopedPlan, plan_scope
from .settings import DEFAULT_SCHEDULED_AS, Settings
from .targets import Connection, connect, connection

__all__ = [
    "DEFAULT_SCHEDULED_AS",
    "EVERYTHING",
    "Acknowledgements",
    "Applied",
    "ApplyReport",
    "Engine",
    "ExportOptions",
    "ExportSummary",
    "Harvested",
    "Imported",
    "Scope",
    "Status",
    "UnsafePlanError",
    "refusals",
]


STORE = "emulator.sqlite3"
"""The built-in emulator's store, in the project's .reconciler/ folder."""


@dataclass(frozen=True)
class Loaded:
    project: Project
    desired: DesiredState


@dataclass(frozen=True)
class Validated:
    root: Path
    counts: tuple[tuple[str, int], ...]
    """(plural noun, documents) of every registered kind, in registry order."""


@dataclass(frozen=True)
class Applied:
    """What an apply did: nothing (the live state already matched), or a report and what is still to do."""

    report: ApplyReport | None = None
    remaining: Plan | None = None
    """The plan of what is left, read after the consistency window; empty when the apply converged."""


@dataclass(frozen=True)
class Checked:
    """What `check` found: the target, the APIs it reached, and the resources whose references were checked."""

    target: str
    apis: tuple[str, ...]
    counts: tuple[tuple[str, int], ...]


Approve = Callable[[dict[str, Any], bool], bool]
"""Asked before an apply writes: the plan's dictionary and whether it is a saved plan; False cancels."""


@dataclass
class Engine:
    settings: Settings
    embedded: Callable[[Path | None], httpx.BaseTransport] | None = None
    """Mounts the built-in emulator over the store file it is given, or over a fresh account in memory when
    given None (the CLI's; None here: no built-in target)."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = time.sleep
    reading: Reading | None = None
    """Shows long live reads as they go (the CLI's counter on a terminal); None shows nothing."""
    transport: httpx.BaseTransport | None = None
    """Carries every request of a named target instead of the network, as the built-in emulator's transport
    carries its own (an embedding program, or a test, mounts an ASGI app this way); None: the network."""

    # ------------------------------------------------------------------------------------------- loading

    def load(self, directory: Path, *, check_sources: bool = False) -> Loaded:
        """The project and its desired state; a project without a manifest is an error (a CI job pointed at the
        wrong path must not pass). Source files are checked here only when asked (validate): plan, apply and
        drift check each one while the live state it is compared with streams in."""
        project = load_project(directory, check_sources=check_sources)
        if not project.manifests:
            searched = ", ".join(str(project.root / entry) for entry in project.config.manifests) or "nothing"
            raise ManifestError(
                [
                    Problem(
                        f"no manifest found: searched {searched} for *.yaml and *.yml documents",
                        Location(str(project.root)),
                        remedy="name the project directory that holds reconciler.yaml and the manifests, or "
                        "point `manifests:` in reconciler.yaml at the folders that hold them",
                    )
                ]
            )
        return Loaded(project, desired_state(project))

    def validate(self, directory: Path) -> Validated:
        loaded = self.load(directory, check_sources=True)
        counts = tuple(
            (kind.plural, sum(1 for item in loaded.project.manifests if item.kind == kind.name))
            for kind in REGISTRY
        )
        return Validated(loaded.project.root, counts)

    def connection(self, project: Project, target: str | None, *, writes: bool = False) -> Connection:
        """How to reach the target. The built-in emulator's account is the project's store,
        .reconciler/emulator.sqlite3: a command that writes creates it; one that only reads uses it when it
        exists, and otherwise an empty account in memory, so that plan and drift create nothing on disk."""
        embedded = self.embedded
        mount = None
        if embedded is not None:
            root = project.root

            def mount() -> httpx.BaseTransport:
                if writes:
                    return embedded(work_dir(root) / STORE)
                store = root / ".reconciler" / STORE
                return embedded(store if store.is_file() else None)

        link = connection(project.config, target, self.settings, embedded=mount)
        if self.transport is not None and link.transport is None:
            link = replace(link, transport=self.transport)
        return link

    # ---------------------------------------------------------------------------------------------- plan

    def plan(self, directory: Path, target: str | None, scope: Scope) -> ScopedPlan:
        """Plan the scope. The guards' verdicts are in the result (see `refusals`): a plan a guard refuses can
        still be shown."""
        loaded = self.load(directory)
        with connect(self.connection(loaded.project, target)) as live:
            return self._plan_scope(loaded, live, scope)

    def _plan_scope(
        self, loaded: Loaded, live: Target, scope: Scope, *, keep_going: bool = False
    ) -> ScopedPlan:
        """Plan the scope now, by this engine's clock, with its reading display and its secrets."""
        return plan_scope(
            loaded.desired,
            live,
            scope,
            now=self.clock(),
            reading=self.reading,
            keep_going=keep_going,
            secret=self.settings.secret,
        )

    def check(self, directory: Path, target: str | None) -> Checked:
        """Reach the target, log in with its credentials, and check that everything the manifests reference
        exists there (campaign tables, fields, queues, outcome codes, campaigns). Reads no rows, writes
        nothing. Raises what the first failing read or the check raises."""
        loaded = self.load(directory)
        link = self.connection(loaded.project, target)
        with connect(link) as live:
            make_plan(loaded.desired, live, now=self.clock(), metadata_only=True, secret=self.settings.secret)
        counts = tuple(
            (kind.plural, len([item for item in loaded.desired.items if REGISTRY.of(item.address) is kind]))
            for kind in REGISTRY
        )
        apis = [
            name
            for name, endpoint in (("ContactNow", link.contactnow), ("Contact Center", link.contact_center))
            if endpoint
        ]
        return Checked(link.name, tuple(apis), counts)

    def drift(
        self, directory: Path, target: str | None, scope: Scope, *, show_values: bool = False
    ) -> dict[str, Any]:
        loaded = self.load(directory)
        with connect(self.connection(loaded.project, target)) as live:
            result = self._plan_scope(loaded, live, scope, keep_going=True)
        return drift_report(
            result.plan,
            problems=result.problems,
            failures=result.failures,
            show_values=show_values,
            scope=None if scope.everything else scope.to_dict(),
        )

    # --------------------------------------------------------------------------------------------- apply

    def read_saved(self, path: Path) -> dict[str, Any]:
        return read_saved_plan(path, documents(REGISTRY.names())[0])

    def apply(
        self,
        directory: Path,
        target: str | None,
        scope: Scope,
        acks: Acknowledgements,
        *,
        approve: Approve,
        reporter: Reporter,
        saved: Mapping[str, Any] | None = None,
        show_values: bool = False,
        lock_timeout: float = 0.0,
    ) -> Applied:
        """Lock the account, plan, check the saved plan (if any) is still what would be done, ask, apply, wait
        for reads to catch up, and verify. A saved plan's target and scope are the run's."""
        if saved is not None:
            target = target or saved["target"]
            if target != saved["target"]:
                raise ConfigError(f"the plan was made for target {saved['target']}, not {target}")
            show_values = saved["values"] == "shown"
            saved_scope = Scope.from_plan(saved)
            if not scope.everything and scope != saved_scope:
                raise ConfigError(
                    f"the plan was made with scope {saved_scope.describe()}, not {scope.describe()}; "
                    "apply it without --only/--exclude (its scope is recorded in it), or make a new plan"
                )
            scope = saved_scope
        loaded = self.load(directory)
        link = self.connection(loaded.project, target, writes=True)
        lock_dir, account = lock_place(loaded.project.root, link, self.settings)
        lock = apply_lock(
            lock_dir, link.name, account=account, settle_seconds=link.consistency_window, timeout=lock_timeout
        )
        with lock, connect(link) as live:
            result = self._plan_scope(loaded, live, scope)
            refuse(result.verdicts, acks)
            body = result.to_dict(show_values=show_values)
            if saved is not None and body["checksum"] != saved["checksum"]:
                raise StalePlanError(
                    [Problem(reason, remedy="make a new plan") for reason in stale_reasons(saved, body)]
                )
            if result.plan.empty:
                return Applied()
            if not approve(body, saved is not None):
                return Applied()
            counting = _Counting(reporter)
            try:
                report = apply_plan(result.plan, result.desired, live, counting, clock=self.clock)
            except KeyboardInterrupt:
                raise ApplyInterrupted(counting.interrupted(result.plan)) from None
            if report.results and link.consistency_window > 0:
                self.sleep(link.consistency_window)  # reads may lag writes: verify what they will show
            remaining = self._plan_scope(loaded, live, scope).plan
        return Applied(report, remaining)

    # --------------------------------------------------------------------------------------- suppression

    def import_suppression(
        self,
        directory: Path,
        numbers: Path,
        name: str,
        region: str | None,
        *,
        column: str | None = None,
        skip_invalid: bool = False,
    ) -> Imported:
        """Replace the file of the SuppressionList `name` with the numbers of `numbers` (hashed with its key)
        and set its screenedAt to today; nothing is written when the input has a problem."""
        project = load_project(directory)
        manifest = find_list(project, name)
        return import_numbers(
            manifest,
            numbers,
            region,
            self.settings.secret,
            self.clock().date(),
            column=column,
            skip_invalid=skip_invalid,
        )

    def harvest_suppression(
        self, directory: Path, target: str | None, name: str, region: str | None = None
    ) -> Harvested:
        """Add to the SuppressionList `name` the numbers of every live record whose outcome code is
        do-not-call, in every dataset of the target; reads the dialler, writes only the list file."""
        project = load_project(directory)
        manifest = find_list(project, name)
        with connect(self.connection(project, target)) as live:
            provider = live.contactnow
            if provider is None:
                raise ConfigError(
                    f"target {live.name} has no ContactNow API to harvest do-not-call outcomes from"
                )
            return harvest_numbers(manifest, provider, self.settings.secret, self.clock().date(), region)

    # -------------------------------------------------------------------------------------------- export

    def export(
        self,
        directory: Path,
        target: str | None,
        out: Path,
        options: ExportOptions,
        progress: Callable[[str], None],
    ) -> ExportSummary:
        """Export the account of `target` to `out` (the options' target, its entry of reconciler.yaml and
        the guards are the project's)."""
        project = load_project(directory)
        name = target or project.config.default_target
        link = self.connection(project, target)
        guards = project.config.guards
        chosen = replace(
            options,
            target=name,
            project_targets=_target_entry(project, name),
            guards={"maxPercent": guards.max_percent, "minRows": guards.min_rows},
        )
        with connect(link) as live:
            summary = export_account(live, chosen, out, progress)
        if link.transport is not None and name == EMULATOR:
            summary.notes.append(
                "the embedded emulator keeps its account in the project directory, so the exported project "
                "starts from an empty one; export from a served emulator (`reconciler emulator`) instead"
            )
        return summary


class _Counting:
    """A Reporter that passes everything on and counts what was written, to say so if the apply is stopped."""

    def __init__(self, inner: Reporter) -> None:
        self.inner = inner
        self.rows = 0
        self.finished: list[str] = []

    def result(self, result: ChangeResult) -> None:
        self.finished.append(result.address)
        self.inner.result(result)

    @contextmanager
    def progress(self, label: str, total: int) -> Iterator[Progress]:
        with self.inner.progress(label, total) as advance:

            def counted(rows: int) -> None:
                self.rows += rows
                advance(rows)

            yield counted

    def interrupted(self, plan: Plan) -> str:
        """What an interrupted apply wrote, against what it planned."""
        planned = sum(
            count for change in plan.changes for name, count in change.counts.items() if name != "unchanged"
        )
        lines = [
            f"Interrupted: {len(self.finished)} of {len(plan.changes)} changes finished, and "
            f"{self.rows:,} of {planned:,} planned rows were written before the interrupt."
        ]
        pending = [change.address for change in plan.changes if change.address not in self.finished]
        if pending:
            lines.append(f"Not finished: {', '.join(pending)}.")
        lines.append(
            "What was written stays. Plan again to see what remains; apply finishes the job without creating "
            "anything twice."
        )
        return "\n".join(lines)


def write_schemas(out: Path) -> list[Path]:
    """Write every published JSON Schema into `out` (see schemas.py); the paths written, sorted."""
    from .schemas import write_all

    return write_all(out)


def refusals(verdicts: Iterable[Verdict], acks: Acknowledgements) -> list[Problem]:
    """The verdicts whose class of risk is not acknowledged."""
    return [verdict.problem for verdict in verdicts if not acks.covers(verdict.risk)]


def refuse(verdicts: Iterable[Verdict], acks: Acknowledgements) -> None:
    """Raise UnsafePlanError with every verdict whose class of risk is not acknowledged."""
    refused = refusals(verdicts, acks)
    if refused:
        raise UnsafePlanError(refused)


def _target_entry(project: Project, name: str) -> dict[str, Any]:
    """The target's entry of reconciler.yaml as written (region or baseUrl, variable names), for the export."""
    node = find(project.config.node, ("targets", name)) if project.config.node is not None else None
    data = to_data(node)
    if not isinstance(data, dict):
        return {}
    if "allowInsecureHttp" in data:
        data["allowInsecureHttp"] = str(data["allowInsecureHttp"]).lower() == "true"
    return {name: data}
