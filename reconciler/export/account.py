"""Export a live account to a project directory whose first plan is empty: every registered kind writes what
reproduces its live objects (reconciler/kinds/), in registry order, after every kind has checked its options.

Layout of the output (every file sorted and named from what it holds, so two exports of one account are
byte-identical):

    reconciler.yaml                     the project: manifests/, the target exported from, the guards
    manifests/datasets.yaml             one Dataset per live dataset in scope, by campaign table then name
    manifests/outcomecodes.yaml         one OutcomeCode per code that is not a system code (unfiltered exports)
    manifests/recordsets.yaml           one RecordSet per dataset with exportable records (not EXPIRED ones)
    manifests/campaigns.yaml            one CcCampaign (its status) per --cc-campaign
    manifests/memberships.yaml          one CampaignMembership per --cc-campaign
    manifests/data/records/NAME.csv     the records (key first, then the managed fields), in id order
    manifests/data/members/NAME.csv     the members (customer-id, schedule), by customer id

The directory is written beside its final place and renamed into it at the end: an export that fails leaves
nothing half-written behind. Personal values go only into the record CSV files; logs and the summary hold
counts, names and field names.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..kinds import REGISTRY
from ..kinds.base import ExportContext
from ..manifest import ScheduleError, parse_schedule
from ..manifest.schedules import AbsoluteSchedule
from ..model.fields import VENDOR_OWNED_FIELDS
from ..model.state import Status
from ..providers.base import Target
from ..settings import DEFAULT_SCHEDULED_AS
from .documents import project_file

logger = logging.getLogger(__name__)

HEADER = "Written by `reconciler export` from target {target}. Edit freely: this is now the source of truth."


@dataclass(frozen=True)
class ExportOptions:
    """What to export. Empty filters mean "all"; `datasets` holds ids or descriptions."""

    target: str = ""
    key: str = "VENDOR_URN"
    campaigns: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    statuses: tuple[Status, ...] = ()
    cc_campaigns: tuple[int, ...] = ()
    fields: tuple[str, ...] = ()
    records: bool = True
    scheduled_as: str = DEFAULT_SCHEDULED_AS
    project_targets: Mapping[str, Any] = field(default_factory=dict)
    """The exported project's targets, as reconciler.yaml writes them (the target exported from)."""
    guards: Mapping[str, Any] = field(default_factory=lambda: {"maxPercent": 30.0, "minRows": 10})


@dataclass
class ExportSummary:
    """What an export wrote: file -> one line about it (counts and names only), and records left out."""

    target: str
    files: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, Counter[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


Progress = Callable[[str], None]


def export_account(
    target: Target, options: ExportOptions, out: Path, progress: Progress | None = None
) -> ExportSummary:
    """Read the account through `target` and write a project to `out`, which must not exist or be empty."""
    _check_options(options)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out} already exists and is not empty; export into a new directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        summary = _write(target, options, staging, progress or (lambda _text: None))
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return summary


def _check_options(options: ExportOptions) -> None:
    owned = {name.casefold() for name in VENDOR_OWNED_FIELDS}
    if options.key.casefold() in owned:
        raise ConfigError(
            f"--key {options.key} is written by the dialler and cannot identify records; use VENDOR_URN or a "
            "custom field that holds your own id"
        )
    bad = [name for name in options.fields if name.casefold() in owned]
    if bad:
        raise ConfigError(f"--field {', '.join(bad)}: written by the dialler, so not managed; leave it out")
    try:
        schedule = parse_schedule(options.scheduled_as)
    except ScheduleError as error:
        raise ConfigError(f"--scheduled-as: {error.reason} ({error.remedy})") from None
    if isinstance(schedule, AbsoluteSchedule):
        raise ConfigError(
            "--scheduled-as must be relative, e.g. +1d 09:00+00:00: the CC API does not say when a member is "
            "scheduled, and an absolute time would become a plan error once it is in the past"
        )


def _write(target: Target, options: ExportOptions, root: Path, progress: Progress) -> ExportSummary:
    manifests = root / "manifests"
    manifests.mkdir()
    ctx = ExportContext(target, options, manifests, HEADER.format(target=options.target), progress)
    for kind in REGISTRY:
        kind.prepare_export(ctx)
    for kind in REGISTRY:
        kind.export(ctx)
    project = project_file(ctx.header, options.target, options.project_targets, options.guards)
    (root / "reconciler.yaml").write_text(project, encoding="utf-8")
    ctx.files["reconciler.yaml"] = f"the project; default target {options.target}"
    return ExportSummary(
        options.target,
        dict(sorted(ctx.files.items())),
        {address: Counter(reasons) for address, reasons in ctx.skipped.items()},
        ctx.notes,
    )
