"""The command line: the only module that prints, and the only one that maps errors to exit codes.

Exit codes: 0 nothing to do or success; 1 error; 2 changes present (`plan --detailed-exitcode`) or drift.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TextIO

import typer
from pydantic import ValidationError

from . import __version__
from .apply.lock import apply_lock
from .apply.runner import ChangeResult, Outcome, apply_plan
from .desired import desired_state
from .drift import drift_report
from .errors import ConfigError, Problem, ReconcilerError, StalePlanError
from .export import DEFAULT_SCHEDULED_AS, ExportOptions, export_account
from .manifest import Project, load_project
from .manifest.validation import find
from .manifest.yaml_loader import to_data
from .model.state import DesiredState, Status
from .plan.document import PlanDocument
from .plan.guards import Acknowledgements
from .plan.plan import checksum, dumps
from .planner import Target
from .redact import install_log_redaction, redact
from .render.drift_text import render_drift_markdown, render_drift_text
from .render.plan_text import render_markdown, render_text, summary_line
from .schemas import write_all
from .scope import Scope, ScopedPlan, plan_scope
from .settings import Settings
from .targets import ApiEndpoint, Connection, connect, credentials, retry_policy
from .transport import SyncAsgiTransport

app = typer.Typer(
    name="reconciler",
    help="Config-as-code for 8x8 dialler data: plan, apply and drift for ContactNow datasets and records, "
    "and Contact Center campaign membership.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

logger = logging.getLogger(__name__)
EMULATOR_CONTACTNOW = ApiEndpoint("http://127.0.0.1/contactnow/", "demo", "demo-password")
EMULATOR_CC = ApiEndpoint("http://127.0.0.1/cc", "demo", "demo-token")


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


DirArg = Annotated[Path, typer.Argument(help="Project root: holds reconciler.yaml and the manifests.")]
TargetOpt = Annotated[str | None, typer.Option("--target", "-t", help="Target from reconciler.yaml.")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
ShowValues = Annotated[
    bool, typer.Option("--show-values", help="Reveal personal values (masked by default).")
]
AllowExpire = Annotated[bool, typer.Option("--allow-expire", help="Acknowledge moves to EXPIRED.")]
AllowComplete = Annotated[
    bool,
    typer.Option("--allow-mass-complete", help="Acknowledge completing more records than the guard allows."),
]
AllowRemove = Annotated[
    bool, typer.Option("--allow-mass-remove", help="Acknowledge removing more members than the guard allows.")
]
OnlyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--only", help="Only this resource, as Kind/name (repeatable); its dependencies are read only."
    ),
]
ExcludeOpt = Annotated[
    list[str] | None, typer.Option("--exclude", help="Leave this resource out, as Kind/name (repeatable).")
]


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(redact(message), err=True)
    raise typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the reconciler's errors into a message and exit code 1; anything else is a bug, said plainly."""
    try:
        yield
    except ReconcilerError as error:
        _fail(f"Error: {error}")
    except KeyboardInterrupt:
        _fail("Interrupted. Nothing is half-written: plan again to see what remains.", 130)
    except OSError as error:
        _fail(f"Error: {error.strerror or error}: {error.filename or ''}".rstrip(": "))


def _configure_logging() -> Settings:
    """Read the settings once, and set up logging as they ask (secrets redacted)."""
    settings = Settings.from_env()
    logging.basicConfig(
        level=getattr(logging, settings.log_level, logging.WARNING),
        format="%(levelname)s %(name)s: %(message)s",
    )
    install_log_redaction()
    return settings


def _load(directory: Path, *, check_sources: bool = False) -> tuple[Project, DesiredState]:
    """The project and its desired state. Source files are checked here only for `validate`: plan, apply and
    drift check each one while the live state it is compared with streams in (see planner.make_plan)."""
    project = load_project(directory, check_sources=check_sources)
    return project, desired_state(project)


def _connection(project: Project, name: str | None, settings: Settings) -> Connection:
    target_name = name or project.config.default_target
    targets = project.config.targets
    config = targets.get(target_name)
    if config is None:
        known = ", ".join(sorted(targets)) or "emulator"
        raise ConfigError(
            f"unknown target {target_name} (known: {known}); name one of reconciler.yaml's targets"
        )
    if config.is_emulator:
        return _embedded_emulator(project.root, settings)
    contactnow = contact_center = None
    if config.contactnow is not None:
        spec = config.contactnow
        user, secret = credentials(
            target_name, "ContactNow", (spec.username_env, spec.password_env), settings
        )
        contactnow = ApiEndpoint(spec.url, user, secret, spec.concurrency, spec.requests_per_second)
    if config.contact_center is not None:
        spec_cc = config.contact_center
        user, secret = credentials(
            target_name, "Contact Center", (spec_cc.tenant_env, spec_cc.token_env), settings
        )
        contact_center = ApiEndpoint(
            spec_cc.url, user, secret, spec_cc.concurrency, spec_cc.requests_per_second
        )
    return Connection(
        target_name,
        contactnow,
        contact_center,
        allow_insecure_http=config.allow_insecure_http,
        consistency_window=settings.consistency_seconds,
        retry=retry_policy(settings),
        batch_size=settings.batch_size,
    )


def _work_dir(root: Path) -> Path:
    """The project's own working folder, `.reconciler/` (locks, the embedded emulator's store)."""
    work = root / ".reconciler"
    if work.is_symlink() or (work.exists() and not work.is_dir()):
        raise ConfigError(
            f"{work} is a symbolic link or not a folder; the reconciler keeps its locks and the embedded "
            "emulator's store there. Remove it and run again"
        )
    work.mkdir(parents=True, exist_ok=True)
    return work


def _lock_place(root: Path, connection: Connection, settings: Settings) -> tuple[Path, str]:
    """Where the apply lock of a target's account lives, and the account's short name.

    A real account is locked machine-wide, under the user's cache folder and named by a hash of its base
    URLs and user names, so that two checkouts applying to one account never write at the same time. The
    embedded emulator's account is the project's own store, so its lock stays in the project.
    """
    if connection.transport is not None:
        return _work_dir(root), ""
    endpoints = (connection.contactnow, connection.contact_center)
    account = "\n".join(f"{item.base_url}\x1f{item.user}" for item in endpoints if item is not None)
    locks = settings.cache_home / "reconciler" / "locks"
    try:
        locks.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        logger.warning("cannot use %s for the apply lock (%s); locking in the project only", locks, error)
        return _work_dir(root), ""
    return locks, hashlib.sha256(account.encode()).hexdigest()[:16]


def _embedded_emulator(root: Path, settings: Settings) -> Connection:
    """The built-in target: the emulator in-process, its store under .reconciler/ so runs converge."""
    from .emulator import build_state, create_app

    store = _work_dir(root)
    state = build_state(db=str(store / "emulator.sqlite3"))
    transport = SyncAsgiTransport(create_app(state))
    return Connection(
        "emulator",
        EMULATOR_CONTACTNOW,
        EMULATOR_CC,
        transport=transport,
        consistency_window=0.0,
        retry=retry_policy(settings),
        batch_size=settings.batch_size,
    )


def _plan(desired: DesiredState, target: Target, acks: Acknowledgements, scope: Scope) -> ScopedPlan:
    return plan_scope(desired, target, scope, acks=acks)


def _command(name: str, directory: Path, target: str | None, scope: Scope, *extra: str) -> str:
    """The command line that repeats `name` on the same project, target and scope (for closing hints)."""
    parts = ["reconciler", name, shlex.quote(str(directory))]
    if target is not None:
        parts += ["--target", shlex.quote(target)]
    parts += [
        f"{flag} {shlex.quote(item)}"
        for flag, items in (("--only", scope.only), ("--exclude", scope.exclude))
        for item in items
    ]
    return " ".join([*parts, *extra])


def _write_plan_output(body: dict[str, Any], fmt: Format, stream: TextIO, settings: Settings) -> None:
    if fmt is Format.json:
        stream.write(dumps(body))
    elif fmt is Format.markdown:
        render_markdown(body, stream)
    else:
        render_text(body, stream, colour=stream.isatty() and not settings.no_color)


@app.command()
def validate(directory: DirArg = Path(".")) -> None:
    """Check manifests and their sources. Exit 0 when valid, 1 with every problem listed when not."""
    with _errors():
        _configure_logging()
        project, desired = _load(directory, check_sources=True)
        typer.echo(
            f"Valid: {len(desired.datasets)} datasets, {len(desired.record_sets)} record sets, "
            f"{len(desired.memberships)} campaign memberships in {project.root}."
        )


@app.command()
def schema(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the JSON Schemas to.")] = Path(
        "schemas"
    ),
) -> None:
    """Write the JSON Schemas: one per manifest kind, reconciler.yaml's, and the plan and drift documents'."""
    with _errors():
        for path in write_all(out):
            typer.echo(f"wrote {path}")


@app.command()
def plan(
    directory: DirArg = Path("."),
    target: TargetOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Save the plan (JSON) for `apply --plan`.")
    ] = None,
    fmt: FormatOpt = Format.text,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes, 0 when none.")
    ] = False,
    show_values: ShowValues = False,
    allow_expire: AllowExpire = False,
    allow_mass_complete: AllowComplete = False,
    allow_mass_remove: AllowRemove = False,
    only: OnlyOpt = None,
    exclude: ExcludeOpt = None,
) -> None:
    """Show what apply would change. Never writes to the dialler.

    The last line (on stderr) sums the plan up and says what to run next.
    """
    acks = Acknowledgements(allow_expire, allow_mass_complete, allow_mass_remove)
    scope = Scope.of(only, exclude)
    with _errors():
        settings = _configure_logging()
        project, desired = _load(directory)
        with connect(_connection(project, target, settings)) as live:
            result = _plan(desired, live, acks, scope)
        body = result.to_dict(show_values=show_values)
        _write_plan_output(body, fmt, sys.stdout, settings)
        if out is not None:
            out.write_text(dumps(body), encoding="utf-8")
        typer.echo(_plan_closing_line(body, directory, target, scope, acks, out), err=True)
    if detailed_exitcode and not result.plan.empty:
        raise typer.Exit(2)


def _ack_flags(acks: Acknowledgements) -> list[str]:
    flags = (
        ("--allow-expire", acks.expire),
        ("--allow-mass-complete", acks.mass_complete),
        ("--allow-mass-remove", acks.mass_remove),
    )
    return [flag for flag, given in flags if given]


def _plan_closing_line(
    body: dict[str, Any],
    directory: Path,
    target: str | None,
    scope: Scope,
    acks: Acknowledgements,
    out: Path | None,
) -> str:
    """One line a human can act on: the counts, and the command that applies them."""
    if not body["changes"]:
        return "No changes: the live state matches the manifests. Nothing to apply."
    flags = _ack_flags(acks)
    if out is not None:
        command = _command("apply", directory, None, Scope(), "--plan", shlex.quote(str(out)), *flags)
        return f"{summary_line(body['summary'])} Saved to {out}; apply exactly this plan with `{command}`."
    command = _command("apply", directory, target, scope, *flags)
    return f"{summary_line(body['summary'])} Run `{command}` to apply it."


class _Reporter:
    """Prints each change's result; shows progress bars on a terminal and quiet log lines elsewhere."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()

    def result(self, result: ChangeResult) -> None:
        mark = {Outcome.APPLIED: "ok", Outcome.FAILED: "FAILED", Outcome.SKIPPED: "skipped"}[result.outcome]
        self.stream.write(f"  {result.address}: {mark}: {result.detail}\n")
        for line in result.failures[:20]:
            self.stream.write(f"      {line}\n")
        if len(result.failures) > 20:  # the rest by key or customer id only, so every one is named
            rest = ", ".join(line.split(":", 1)[0] for line in result.failures[20:])
            self.stream.write(f"      ... and {len(result.failures) - 20} more: {rest}\n")
        self.stream.flush()

    def progress(self, label: str, total: int) -> AbstractContextManager[Callable[[int], None]]:
        return self._bar(label, total) if self.tty else self._lines(label, total)

    @contextmanager
    def _bar(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        """A live bar on the terminal: done/total, percent, rows per second and time left."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
        )
        console = Console(file=self.stream, force_terminal=True)
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(label, total=total, rate="")

            def advance(rows: int) -> None:
                bar.advance(task, rows)
                speed = bar.tasks[0].speed
                bar.update(task, rate=f"{speed:,.0f}/s" if speed else "")

            yield advance

    @contextmanager
    def _lines(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        """Quiet log lines elsewhere (CI): one per tenth done, with the rate and the time left."""
        done = [0, 0]
        step = max(1, total // 10)
        started = time.monotonic()

        def advance(rows: int) -> None:
            done[0] += rows
            if done[0] - done[1] >= step or done[0] >= total:
                done[1] = done[0]
                elapsed = max(time.monotonic() - started, 1e-9)
                rate = done[0] / elapsed
                left = f", about {(total - done[0]) / rate:.0f} s left" if done[0] < total and rate else ""
                self.stream.write(f"  {label}: {done[0]}/{total} ({rate:,.0f}/s{left})\n")
                self.stream.flush()

        yield advance


def _read_saved_plan(path: Path) -> dict[str, Any]:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StalePlanError(
            [_problem(f"cannot read plan file {path}: {error}", "make a new plan")]
        ) from None
    if not isinstance(body, dict) or body.get("format") != "reconciler-plan":
        raise StalePlanError(
            [_problem(f"{path} is not a reconciler plan", "make a new plan with `plan --out`")]
        )
    if body.get("checksum") != checksum(body):
        raise StalePlanError(
            [
                _problem(
                    f"{path} was modified after it was made (checksum mismatch)",
                    "make a new plan with `plan --out`",
                )
            ]
        )
    try:
        PlanDocument.model_validate(body)
    except ValidationError as error:
        raise StalePlanError(
            [
                _problem(
                    f"{path} does not match the plan schema: {'.'.join(map(str, item['loc']))}: {item['msg']}",
                    "make a new plan with `plan --out` (schemas/plan.schema.json describes the format)",
                )
                for item in error.errors(include_input=False)
            ]
        ) from None
    return body


def _problem(reason: str, remedy: str) -> Problem:
    return Problem(reason, remedy=remedy)


def _stale_reasons(saved: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    reasons = []
    for side in ("live", "sources"):
        before, after = saved["observed"][side], fresh["observed"][side]
        for address in sorted(set(before) | set(after)):
            if before.get(address) != after.get(address):
                what = "live state" if side == "live" else "source"
                reasons.append(f"{address}: its {what} changed since the plan was made")
    if not reasons:
        reasons.append("the changes differ from the saved plan")
    return reasons


@app.command()
def apply(
    directory: DirArg = Path("."),
    plan_file: Annotated[
        Path | None, typer.Option("--plan", help="Apply this saved plan, if still current.")
    ] = None,
    target: TargetOpt = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Apply without asking.")] = False,
    show_values: ShowValues = False,
    allow_expire: AllowExpire = False,
    allow_mass_complete: AllowComplete = False,
    allow_mass_remove: AllowRemove = False,
    only: OnlyOpt = None,
    exclude: ExcludeOpt = None,
) -> None:
    """Make the live state match the manifests, in a safe order. Asks first unless --auto-approve."""
    acks = Acknowledgements(allow_expire, allow_mass_complete, allow_mass_remove)
    scope = Scope.of(only, exclude)
    failed = False
    with _errors():
        settings = _configure_logging()
        saved = _read_saved_plan(plan_file) if plan_file is not None else None
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
        project, desired = _load(directory)
        connection = _connection(project, target, settings)
        lock_dir, account = _lock_place(project.root, connection, settings)
        lock = apply_lock(
            lock_dir, connection.name, account=account, settle_seconds=connection.consistency_window
        )
        with lock, connect(connection) as live:
            result = _plan(desired, live, acks, scope)
            body = result.to_dict(show_values=show_values)
            if saved is not None and body["checksum"] != saved["checksum"]:
                raise StalePlanError(
                    [_problem(reason, "make a new plan") for reason in _stale_reasons(saved, body)]
                )
            if result.plan.empty:
                typer.echo("No changes. The live state matches the manifests.")
                return
            if saved is None:
                render_text(body, sys.stdout, colour=sys.stdout.isatty())
            if not auto_approve:
                if not sys.stdin.isatty():
                    raise ConfigError(
                        "refusing to apply unattended: pass --auto-approve (or apply a reviewed --plan)"
                    )
                if not typer.confirm("Apply these changes?"):
                    _fail("Apply cancelled. Nothing was changed.")
            typer.echo("Applying:")
            report = apply_plan(result.plan, result.desired, live, _Reporter(sys.stdout))
            counts = report.counts()
            typer.echo(
                f"Apply: {counts['applied']} applied, {counts['failed']} failed, {counts['skipped']} skipped."
            )
            if report.results and connection.consistency_window > 0:
                time.sleep(connection.consistency_window)  # reads may lag writes: verify what they will show
            remaining = _plan(desired, live, Acknowledgements(True, True, True), scope).plan
            if remaining.empty:
                typer.echo("Verified: the live state matches the manifests.")
            else:
                typer.echo(f"Verified: still to do: {summary_line(remaining.summary())} Run apply again.")
            failed = not report.ok
    if failed:
        raise typer.Exit(1)


@app.command()
def drift(
    directory: DirArg = Path("."),
    target: TargetOpt = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the report to this file.")
    ] = None,
    fmt: FormatOpt = Format.text,
    show_values: ShowValues = False,
    only: OnlyOpt = None,
    exclude: ExcludeOpt = None,
) -> None:
    """Report what changed outside git. Exit 0 no drift, 2 drift, 1 error.

    --report FILE is written as JSON when FILE ends in .json, as Markdown when it ends in .md, otherwise in
    --format. The last line (on stderr) sums the drift up and says what to run next.
    """
    scope = Scope.of(only, exclude)
    with _errors():
        settings = _configure_logging()
        project, desired = _load(directory)
        with connect(_connection(project, target, settings)) as live:
            result = _plan(desired, live, Acknowledgements(True, True, True), scope)
        body = drift_report(
            result.plan, show_values=show_values, scope=None if scope.everything else scope.to_dict()
        )
        if report is not None:
            with report.open("w", encoding="utf-8") as stream:
                _write_drift(body, _report_format(report, fmt), stream)
        _write_drift(body, fmt, sys.stdout)
        typer.echo(_drift_closing_line(body, directory, target, scope), err=True)
    if body["drift"]:
        raise typer.Exit(2)


def _report_format(path: Path, fmt: Format) -> Format:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return Format.json
    if suffix in {".md", ".markdown"}:
        return Format.markdown
    return fmt


def _drift_closing_line(body: dict[str, Any], directory: Path, target: str | None, scope: Scope) -> str:
    """One line a human can act on: what drifted, and what to run to see how apply would restore it."""
    changed = len(body["config_drift"])
    unmanaged = len(body["unmanaged"])
    parts = []
    if changed:
        parts.append(f"{changed} {'resource' if changed == 1 else 'resources'} changed outside git")
    if unmanaged:
        parts.append(f"{unmanaged} unmanaged {'object' if unmanaged == 1 else 'objects'}")
    plan_command = _command("plan", directory, target, scope)
    if changed:
        return (
            f"Drift: {', '.join(parts)}. Run `{plan_command}` to see how apply would restore the manifests, "
            "or change the manifests to accept it."
        )
    if unmanaged:
        return (
            f"No drift; {parts[0]} (not in any manifest, left alone). Run `reconciler export` to bring "
            "them under management if they should be."
        )
    return "No drift: the live state matches the manifests."


def _write_drift(body: dict[str, Any], fmt: Format, stream: TextIO) -> None:
    if fmt is Format.json:
        stream.write(dumps(body))
    elif fmt is Format.markdown:
        render_drift_markdown(body, stream)
    else:
        render_drift_text(body, stream)


class StatusChoice(StrEnum):
    HOLD = "HOLD"
    LIVE = "LIVE"
    EXPIRED = "EXPIRED"


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="New (or empty) directory to write the project to.")],
    directory: DirArg = Path("."),
    target: TargetOpt = None,
    key: Annotated[
        str, typer.Option("--key", help="The record field that identifies a record.")
    ] = "VENDOR_URN",
    campaign: Annotated[
        list[str] | None, typer.Option("--campaign", help="Only this campaign table (repeatable).")
    ] = None,
    dataset: Annotated[
        list[str] | None,
        typer.Option("--dataset", help="Only this dataset, by id or description (repeatable)."),
    ] = None,
    status: Annotated[
        list[StatusChoice] | None, typer.Option("--status", help="Only datasets in this status (repeatable).")
    ] = None,
    cc_campaign: Annotated[
        list[int] | None,
        typer.Option("--cc-campaign", help="Export this Contact Center campaign's members (repeatable)."),
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field", help="Manage exactly these record fields (repeatable; default: those with values)."
        ),
    ] = None,
    records: Annotated[
        bool, typer.Option("--records/--no-records", help="Export records as well as datasets.")
    ] = True,
    scheduled_as: Annotated[
        str,
        typer.Option("--scheduled-as", help="Relative schedule written for scheduled CC members."),
    ] = DEFAULT_SCHEDULED_AS,
) -> None:
    """Write manifests that reproduce the live account, so that the first plan is empty.

    Exports datasets with their records (CSV) and the members of each --cc-campaign.

    Two exports of one account are byte-identical. Personal values go only into the record CSV files.
    """
    with _errors():
        settings = _configure_logging()
        project = load_project(directory)
        target_name = target or project.config.default_target
        connection = _connection(project, target, settings)
        options = ExportOptions(
            target=target_name,
            key=key,
            campaigns=tuple(campaign or ()),
            datasets=tuple(dataset or ()),
            statuses=tuple(Status(item.value) for item in status or ()),
            cc_campaigns=tuple(cc_campaign or ()),
            fields=tuple(field or ()),
            records=records,
            scheduled_as=scheduled_as,
            project_targets=_target_entry(project, target_name),
            guards={
                "maxPercent": project.config.guards.max_percent,
                "minRows": project.config.guards.min_rows,
            },
        )
        with connect(connection) as live:
            summary = export_account(live, options, out, lambda text: typer.echo(f"  {text}", err=True))
        typer.echo(f"Exported target {target_name} to {out}:")
        for path, what in summary.files.items():
            typer.echo(f"  {path}: {what}")
        for address, reasons in sorted(summary.skipped.items()):
            counted = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
            typer.echo(
                f"  {address}: left out {sum(reasons.values())} live records ({counted}); "
                "absent: ignore leaves them as they are"
            )
        for note in summary.notes:
            typer.echo(f"  note: {note}")
        if connection.transport is not None and target_name == "emulator":
            typer.echo(
                "  note: the embedded emulator keeps its account in the project directory, so the exported "
                "project starts from an empty one; export from a served emulator (`reconciler emulator`) instead"
            )
        typer.echo(
            f"Export: {len(summary.files)} files. Run `reconciler plan {shlex.quote(str(out))}`: it should show "
            "no changes.",
            err=True,
        )


def _target_entry(project: Project, name: str) -> dict[str, Any]:
    """The target's entry of reconciler.yaml as written (region or baseUrl, variable names), for the export."""
    node = find(project.config.node, ("targets", name)) if project.config.node is not None else None
    data = to_data(node)
    if not isinstance(data, dict):
        return {}
    if "allowInsecureHttp" in data:
        data["allowInsecureHttp"] = str(data["allowInsecureHttp"]).lower() == "true"
    return {name: data}


@app.command()
def emulator(
    host: Annotated[str, typer.Option(help="Address to bind; loopback by default.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    db: Annotated[
        str | None, typer.Option(help="SQLite file for the store (in memory when omitted).")
    ] = None,
    seed: Annotated[str | None, typer.Option(help="Seed YAML (the default seed when omitted).")] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option("--fault", help="Fault rule, e.g. error:rate=0.2:status=502 (repeatable)."),
    ] = None,
) -> None:
    """Run the local 8x8 emulator (ContactNow under /contactnow/, Contact Center under /cc)."""
    from .emulator import serve

    typer.echo(f"Emulator on http://{host}:{port}/ (ContactNow /contactnow/, Contact Center /cc)", err=True)
    serve(host, port, db, seed, fault or [])


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    app()


__all__ = ["app", "main"]
