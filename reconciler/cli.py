"""The command line: options -> engine -> renderers -> exit codes. The only module that prints, and the only one
that maps errors to exit codes.

Exit codes, as Terraform's: 0 nothing to do or success; 2 changes present (`plan --detailed-exitcode`) or drift
found (`drift`); 1 everything else, usage errors included (a typo'd flag, a bare `reconciler`), so that a CI
job never mistakes a broken command line for drift.
"""

from __future__ import annotations

import gc
import logging
import shlex
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO

import typer
import typer.core

from . import __version__, native
from .errors import ApplyInterrupted, ConfigError, ReconcilerError
from .redact import install_log_redaction, redact
from .render.drift_text import render_drift_markdown, render_drift_text
from .render.plan_text import MARKDOWN_BUDGET, dumps, render_markdown, render_text, summary_line
from .settings import DEFAULT_SCHEDULED_AS, Settings
from .text import escaped

if TYPE_CHECKING:
    from .engine import Acknowledgements, ApplyReport, Engine, Scope

# The engine (and through it pydantic, httpx, polars and every kind) is imported by the commands that use it,
# not here: `reconciler --version` and `--help` start in a fraction of the time.

INTERRUPTED = 130
"""A shell's code for a process stopped by SIGINT (Ctrl-C)."""
USAGE_ERROR = 1
"""Click exits 2 for a usage error, the code plan and drift keep for "changes present": ours exit 1."""


class _Commands(typer.core.TyperGroup):
    """The command group, with every usage error (and a bare `reconciler`) exiting 1, not click's 2."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        forward = {"args": args, "prog_name": prog_name, "complete_var": complete_var, **extra}
        forward["windows_expand_args"] = windows_expand_args
        if not standalone_mode:
            return super().main(standalone_mode=False, **forward)
        try:
            code = super().main(standalone_mode=False, **forward)
        except typer.Abort:
            _echo("Aborted.", err=True)
            sys.exit(USAGE_ERROR)
        except typer.TyperException as error:  # click's usage errors (typer vendors click)
            show = getattr(error, "show", None)
            if callable(show):
                show()
            else:
                _echo(f"Error: {error}", err=True)
            sys.exit(USAGE_ERROR)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="reconciler",
    cls=_Commands,
    help="Config-as-code for 8x8 dialler data: plan, apply and drift for ContactNow datasets and records, "
    "and Contact Center campaign membership.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: readable in a CI log, and no terminal codes under NO_COLOR
)


def _print_version(given: bool) -> None:
    if given:
        _echo(f"reconciler {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Config-as-code for 8x8 dialler data: plan, apply and drift for ContactNow datasets and records, and
    Contact Center campaign membership."""


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


DirArg = Annotated[Path, typer.Argument(help="Project root: holds reconciler.yaml and the manifests.")]
TargetOpt = Annotated[str | None, typer.Option("--target", "-t", help="Target from reconciler.yaml.")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
MarkdownBudget = Annotated[
    int,
    typer.Option(
        "--markdown-budget",
        min=2000,
        help="Longest Markdown plan, in characters; what does not fit is left out and said so.",
    ),
]
ShowValues = Annotated[
    bool, typer.Option("--show-values", help="Reveal personal values (masked by default).")
]
AllowExpire = Annotated[bool, typer.Option("--allow-expire", help="Acknowledge moves to EXPIRED.")]
AllowComplete = Annotated[
    bool,
    typer.Option("--allow-mass-complete", help="Acknowledge completing more records than the guard allows."),
]
AllowUpdate = Annotated[
    bool,
    typer.Option("--allow-mass-update", help="Acknowledge updating more records than the guard allows."),
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


def _echo(text: str, *, err: bool = False) -> None:
    """Every line the CLI prints from data goes out escaped: no control or bidirectional character of a
    record, a description or a vendor message reaches the terminal raw."""
    typer.echo(escaped(text), err=err)


def _fail(message: str, code: int = 1) -> NoReturn:
    _echo(redact(message), err=True)
    raise typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the reconciler's errors into a message and exit code 1; anything else is a bug, said plainly."""
    try:
        yield
    except ApplyInterrupted as error:
        _fail(str(error), INTERRUPTED)
    except ReconcilerError as error:
        _fail(f"Error: {error}")
    except KeyboardInterrupt:
        _fail("Interrupted before anything was written. Plan again to see what would change.", INTERRUPTED)
    except OSError as error:
        _fail(f"Error: {error.strerror or error}: {error.filename or ''}".rstrip(": "))


def _settings() -> Settings:
    """Read the settings once, and set up logging as they ask (secrets redacted)."""
    settings = Settings.from_env()
    logging.basicConfig(
        level=getattr(logging, settings.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )
    install_log_redaction()
    return settings


def _engine(settings: Settings) -> Engine:
    """The engine, with the built-in emulator mounted in-process over the project's own store, and long live
    reads shown on stderr when it is a terminal."""

    def embedded(store: Path | None) -> Any:
        from .emulator import in_process

        return in_process(None if store is None else str(store))

    from .engine import Engine
    from .render.progress import Reporter

    return Engine(settings, embedded=embedded, reading=Reporter(sys.stderr, plain=settings.no_color).reading)


def _acks(expire: bool, mass_complete: bool, mass_remove: bool, mass_update: bool) -> Acknowledgements:
    given = (
        ("expire", expire),
        ("mass-complete", mass_complete),
        ("mass-remove", mass_remove),
        ("mass-update", mass_update),
    )
    from .engine import Acknowledgements

    return Acknowledgements.of(risk for risk, chosen in given if chosen)


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


def _write_plan_output(
    body: dict[str, Any], fmt: Format, stream: TextIO, settings: Settings, budget: int = MARKDOWN_BUDGET
) -> None:
    if fmt is Format.json:
        stream.write(dumps(body))
    elif fmt is Format.markdown:
        render_markdown(body, stream, budget=budget)
    else:
        render_text(body, stream, colour=stream.isatty() and not settings.no_color)


@app.command()
def validate(directory: DirArg = Path(".")) -> None:
    """Check manifests and their sources. Exit 0 when valid, 1 with every problem listed when not."""
    with _errors():
        valid = _engine(_settings()).validate(directory)
        counts = ", ".join(f"{count} {noun}" for noun, count in valid.counts)
        _echo(f"Valid: {counts} in {valid.root}.")


@app.command()
def schema(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the JSON Schemas to.")] = Path(
        "schemas"
    ),
) -> None:
    """Write the JSON Schemas: one per manifest kind, reconciler.yaml's, and the plan and drift documents'."""
    with _errors():
        from .engine import write_schemas

        for path in write_schemas(out):
            _echo(f"wrote {path}")


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
    allow_mass_update: AllowUpdate = False,
    only: OnlyOpt = None,
    exclude: ExcludeOpt = None,
    markdown_budget: MarkdownBudget = MARKDOWN_BUDGET,
) -> None:
    """Show what apply would change. Never writes to the dialler.

    The last line (on stderr) sums the plan up and says what to run next.
    """
    from .engine import Scope

    acks = _acks(allow_expire, allow_mass_complete, allow_mass_remove, allow_mass_update)
    scope = Scope.of(only, exclude)
    with _errors():
        settings = _settings()
        result = _engine(settings).plan(directory, target, scope)
        body = result.to_dict(show_values=show_values)
        _write_plan_output(body, fmt, sys.stdout, settings, markdown_budget)
        from .engine import UnsafePlanError, refusals

        refused = refusals(result.verdicts, acks)
        if refused:  # shown first, so that the reviewer sees what the guard stopped
            raise UnsafePlanError(refused)
        if out is not None:
            out.write_text(dumps(body), encoding="utf-8")
        _echo(_plan_closing_line(body, directory, target, scope, acks, out, fmt), err=True)
    if detailed_exitcode and not result.plan.empty:
        raise typer.Exit(2)


def _plan_closing_line(
    body: dict[str, Any],
    directory: Path,
    target: str | None,
    scope: Scope,
    acks: Acknowledgements,
    out: Path | None,
    fmt: Format,
) -> str:
    """One line a human can act on: what to run next, after the counts unless the text plan above ends with
    them already."""
    if not body["changes"]:
        return "No changes: the live state matches the manifests. Nothing to apply."
    flags = acks.flags()
    counts = "" if fmt is Format.text else summary_line(body["summary"]) + " "
    if out is not None:
        from .engine import Scope

        command = _command("apply", directory, None, Scope(), "--plan", shlex.quote(str(out)), *flags)
        return f"{counts}Saved to {out}; apply exactly this plan with `{command}`."
    command = _command("apply", directory, target, scope, *flags)
    return f"{counts}Run `{command}` to apply it."


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
    allow_mass_update: AllowUpdate = False,
    only: OnlyOpt = None,
    exclude: ExcludeOpt = None,
    lock_timeout: Annotated[
        float,
        typer.Option(
            "--lock-timeout",
            min=0,
            help="Wait up to this many seconds for another apply to finish (default: 0).",
        ),
    ] = 0.0,
) -> None:
    """Make the live state match the manifests, in a safe order. Asks first unless --auto-approve, or unless
    applying a saved plan (--plan), which is the approval."""
    from .engine import Scope
    from .render.progress import Reporter

    acks = _acks(allow_expire, allow_mass_complete, allow_mass_remove, allow_mass_update)
    scope = Scope.of(only, exclude)
    failed = False
    with _errors():
        settings = _settings()
        engine = _engine(settings)
        saved = engine.read_saved(plan_file) if plan_file is not None else None

        def approve(body: dict[str, Any], is_saved: bool) -> bool:
            """A saved plan is the approval, as in Terraform: it was reviewed, and apply refuses it if stale."""
            if not is_saved:
                render_text(body, sys.stdout, colour=sys.stdout.isatty() and not settings.no_color)
            if not auto_approve and not is_saved:
                if not sys.stdin.isatty():
                    raise ConfigError(
                        "refusing to apply unattended: pass --auto-approve, or save a plan with "
                        "`plan --out FILE` and apply that reviewed file with `apply --plan FILE`"
                    )
                if not typer.confirm("Apply these changes?"):
                    _fail("Apply cancelled. Nothing was changed.")
            _echo("Applying:")
            return True

        applied = engine.apply(
            directory,
            target,
            scope,
            acks,
            approve=approve,
            reporter=Reporter(sys.stdout, plain=settings.no_color),
            saved=saved,
            show_values=show_values,
            lock_timeout=lock_timeout,
        )
        if applied.report is None or applied.remaining is None:
            _echo("No changes. The live state matches the manifests.")
            return
        counts = applied.report.counts()
        _echo(f"Apply: {counts['applied']} applied, {counts['failed']} failed, {counts['skipped']} skipped.")
        if applied.remaining.empty:
            _echo("Verified: the live state matches the manifests.")
        else:
            _echo(
                f"Verified: still to do: {summary_line(applied.remaining.summary())} {_next(applied.report)}"
            )
        failed = not applied.report.ok
    if failed:
        raise typer.Exit(1)


def _next(report: ApplyReport) -> str:
    """What to do about what is still to do: apply again, unless it would only repeat the vendor's refusals."""
    if report.settled:
        return (
            "Applying again would only repeat the failures above: the vendor refused them for good. Fix the "
            "manifests, or the data in the vendor account, then plan again."
        )
    refused = report.refused()
    if refused:
        return (
            f"Run apply again for the rest; the {refused} failures the vendor refused for good (listed above) "
            "need a fix in the manifests or the vendor account first."
        )
    return "Run apply again."


@app.command()
def check(directory: DirArg = Path("."), target: TargetOpt = None) -> None:
    """Reach the target, log in, and check that what the manifests reference exists there. Writes nothing."""
    with _errors():
        checked = _engine(_settings()).check(directory, target)
        counts = ", ".join(f"{count} {noun}" for noun, count in checked.counts)
        _echo(
            f"OK: target {checked.target} answered and accepted the credentials "
            f"({', '.join(checked.apis) or 'no API'}); what {counts} reference exists there."
        )


@app.command()
def show(
    plan_file: Annotated[Path, typer.Argument(help="A plan saved with `plan --out`.")],
    fmt: FormatOpt = Format.text,
    markdown_budget: MarkdownBudget = MARKDOWN_BUDGET,
) -> None:
    """Render a saved plan (checked: not edited, of the plan schema) without contacting any target."""
    with _errors():
        settings = _settings()
        body = _engine(settings).read_saved(plan_file)
        _write_plan_output(body, fmt, sys.stdout, settings, markdown_budget)


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
    """Report what changed outside git. Exit 0 no drift, 2 drift, 1 error (a resource that could not be read
    is reported, with every other resource, and exits 1).

    --report FILE is written as JSON when FILE ends in .json, as Markdown when it ends in .md, otherwise in
    --format. The last line (on stderr) sums the drift up and says what to run next.
    """
    from .engine import Scope

    scope = Scope.of(only, exclude)
    with _errors():
        body = _engine(_settings()).drift(directory, target, scope, show_values=show_values)
        if report is not None:
            with report.open("w", encoding="utf-8") as stream:
                _write_drift(body, _report_format(report, fmt), stream)
        _write_drift(body, fmt, sys.stdout)
        _echo(_drift_closing_line(body, directory, target, scope), err=True)
    if body["errors"]:
        raise typer.Exit(1)
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
    for key, noun in (
        ("irreversible", "irreversible"),
        ("problems", "with problems"),
        ("errors", "not read"),
    ):
        if body[key]:
            parts.append(f"{len(body[key])} {noun}")
    if unmanaged:
        parts.append(f"{unmanaged} unmanaged {'object' if unmanaged == 1 else 'objects'}")
    plan_command = _command("plan", directory, target, scope)
    if body["irreversible"]:
        return (
            f"Drift: {', '.join(parts)}. Irreversible drift cannot be restored by apply: follow each remedy in "
            "the report and change the manifests."
        )
    if body["errors"] and not body["drift"]:
        return (
            f"Drift unknown for {len(body['errors'])} resources that could not be read; {', '.join(parts)}."
        )
    if body["drift"]:
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
        from .engine import ExportOptions, Status

        options = ExportOptions(
            key=key,
            campaigns=tuple(campaign or ()),
            datasets=tuple(dataset or ()),
            statuses=tuple(Status(item.value) for item in status or ()),
            cc_campaigns=tuple(cc_campaign or ()),
            fields=tuple(field or ()),
            records=records,
            scheduled_as=scheduled_as,
        )
        summary = _engine(_settings()).export(
            directory, target, out, options, lambda text: _echo(f"  {text}", err=True)
        )
        _echo(f"Exported target {summary.target} to {out}:")
        for path, what in summary.files.items():
            _echo(f"  {path}: {what}")
        for address, reasons in sorted(summary.skipped.items()):
            counted = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
            _echo(
                f"  {address}: left out {sum(reasons.values())} live records ({counted}); "
                "absent: ignore leaves them as they are"
            )
        for note in summary.notes:
            _echo(f"  note: {note}")
        _echo(
            f"Export: {len(summary.files)} files. Run `reconciler plan {shlex.quote(str(out))}`: it should show "
            "no changes.",
            err=True,
        )


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
    """Run the local 8x8 emulator (ContactNow under /contactnow/, Contact Center under /cc).

    Exits 1 with one line for a bad --fault, --seed or --db, and 3 when the port is already in use."""
    import errno
    import socket

    from .emulator import serve

    try:
        with socket.create_server((host, port)):
            pass  # free now; uvicorn binds it again at once
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            _fail(
                f"Error: port {port} on {host} is in use (another emulator?); stop it, or pick another --port",
                3,
            )
        _fail(f"Error: cannot listen on {host}:{port}: {error.strerror or error}")
    _echo(f"Emulator on http://{host}:{port}/ (ContactNow /contactnow/, Contact Center /cc)", err=True)
    try:
        serve(host, port, db, seed, fault or [])
    except ValueError as error:  # a bad fault spec or seed: the emulator says which and why
        _fail(f"Error: {error}")
    except OSError as error:
        _fail(f"Error: {error.strerror or error}: {error.filename or ''}".rstrip(": "))


suppression = typer.Typer(
    cls=_Commands, help="Suppression lists: numbers that must not be called, kept as keyed hashes."
)
app.add_typer(suppression, name="suppression")
ProjectOpt = Annotated[
    Path, typer.Option("--project", "-C", help="Project root: holds reconciler.yaml and the manifests.")
]


@suppression.command("import")
def suppression_import(
    numbers: Annotated[Path, typer.Argument(help="CSV, or one number per line; gzip too.")],
    name: Annotated[str, typer.Option("--list", help="metadata.name of the SuppressionList to write.")],
    region: Annotated[
        str | None, typer.Option(help="Region of national numbers (ISO 3166, e.g. GB); not for customer ids.")
    ] = None,
    column: Annotated[str | None, typer.Option(help="The CSV column of numbers.")] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Leave out values that are not numbers (counted).")
    ] = False,
    directory: ProjectOpt = Path("."),
) -> None:
    """Hash the numbers of a file into a SuppressionList's file, and set its screenedAt to today."""
    with _errors():
        done = _engine(_settings()).import_suppression(
            directory, numbers, name, region, column=column, skip_invalid=skip_invalid
        )
    skipped = [
        f"{count:,} {what} skipped"
        for count, what in ((done.blank, "blank lines"), (done.invalid, "invalid values"))
        if count
    ]
    _echo(
        f"{done.address}: {done.read:,} numbers read, {done.entries:,} distinct written to {done.file}"
        + "".join(f"; {part}" for part in skipped)
        + (f"; screenedAt set to {done.screened_at} in {done.manifest}" if done.screened_at else "")
        + "."
    )


@suppression.command("harvest")
def suppression_harvest(
    name: Annotated[str, typer.Option("--list", help="metadata.name of the SuppressionList to add to.")],
    region: Annotated[
        str | None, typer.Option(help="Region of national numbers; the list file's own when it exists.")
    ] = None,
    target: TargetOpt = None,
    directory: ProjectOpt = Path("."),
) -> None:
    """Add the numbers of every live record with a do-not-call outcome, across every dataset and queue."""
    with _errors():
        done = _engine(_settings()).harvest_suppression(directory, target, name, region)
    codes = ", ".join(done.codes) or "none"
    _echo(
        f"{done.address}: {done.records:,} records with a do-not-call outcome ({codes}) in {done.datasets:,} "
        f"datasets; {done.added:,} numbers added, {done.entries:,} in {done.file}; screenedAt set in "
        f"{done.manifest}."
    )


@app.command()
def version() -> None:
    """Print the version."""
    _echo(__version__)


def main() -> None:
    native.tune()
    try:
        app()
    finally:
        # Nothing the command made is needed once it has answered: frozen, it is left to the process's end rather
        # than walked by the interpreter's collections as it exits (a 1M-record plan's exit took 0.11-0.21 s,
        # 0.02-0.04 s frozen). Files are closed where they are written, and exit handlers still run.
        gc.freeze()


__all__ = ["app", "main"]
