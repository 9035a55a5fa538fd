"""Export a live account to a project directory whose first plan is empty.

Layout of the output (every file sorted and named from what it holds, so two exports of one account are
byte-identical):

    reconciler.yaml                     the project: manifests/, the target exported from, the guards
    manifests/datasets.yaml             one Dataset per live dataset in scope, by campaign table then name
    manifests/recordsets.yaml           one RecordSet per dataset with exportable records (not EXPIRED ones)
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ExportError, Problem
from ..manifest import ScheduleError, parse_schedule
from ..manifest.schedules import AbsoluteSchedule
from ..model.fields import VENDOR_OWNED_FIELDS
from ..model.state import Dataset, Status
from ..planner import Target
from ..providers.contactcenter.provider import CampaignInfo, ContactCenterProvider
from ..providers.contactnow.provider import ContactNowProvider
from .documents import dataset_document, manifest_file, membership_document, project_file, record_set_document
from .members import export_members
from .names import slug, unique_names
from .records import candidate_fields, export_records, integer_fields

logger = logging.getLogger(__name__)

DEFAULT_SCHEDULED_AS = "+1d 09:00+00:00"
HEADER = "Written by `reconciler export` from target {target}. Edit freely: this is now the source of truth."


@dataclass(frozen=True)
class ExportOptions:
    """What to export. Empty filters mean "all"; `datasets` holds ids or descriptions."""

    target: str
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
    summary = ExportSummary()
    manifests = root / "manifests"
    manifests.mkdir()
    header = HEADER.format(target=options.target)
    filtered = bool(options.campaigns or options.datasets or options.statuses)
    if options.cc_campaigns and target.contact_center is None:
        raise ConfigError(f"target {options.target} has no Contact Center API; drop --cc-campaign")
    campaigns = _campaigns(target.contact_center, options) if target.contact_center is not None else {}
    if target.contactnow is not None:
        _export_contactnow(target.contactnow, options, manifests, header, summary, progress)
    elif filtered:
        raise ConfigError(
            f"target {options.target} has no ContactNow API; drop --campaign, --dataset and --status"
        )
    if campaigns and target.contact_center is not None:
        _export_memberships(target.contact_center, campaigns, options, manifests, header, summary, progress)
    project = project_file(header, options.target, options.project_targets, options.guards)
    (root / "reconciler.yaml").write_text(project, encoding="utf-8")
    summary.files["reconciler.yaml"] = f"the project; default target {options.target}"
    summary.files = dict(sorted(summary.files.items()))
    return summary


# ----------------------------------------------------------------------------------------------- ContactNow


def _export_contactnow(
    provider: ContactNowProvider,
    options: ExportOptions,
    manifests: Path,
    header: str,
    summary: ExportSummary,
    progress: Progress,
) -> None:
    tables = _tables(provider, options)
    meta = provider.metadata(tables)
    live = provider.datasets(tables)
    chosen = _chosen(live, options)
    if not chosen:
        summary.notes.append("no live dataset matches the filters; nothing of ContactNow was exported")
        return
    natural = Counter((item.campaign, item.description) for item in live)
    names = unique_names({_id(item): slug(item.description, "dataset") for item in chosen}, "dataset")
    ordered = sorted(chosen, key=lambda item: (item.campaign, names[_id(item)]))
    documents = [
        dataset_document(names[_id(item)], item, pin=natural[(item.campaign, item.description)] > 1)
        for item in ordered
    ]
    pinned = sum(natural[(item.campaign, item.description)] > 1 for item in ordered)
    (manifests / "datasets.yaml").write_text(manifest_file(header, documents), encoding="utf-8")
    summary.files["manifests/datasets.yaml"] = f"{len(documents)} datasets ({pinned} pinned by id)"
    if not options.records:
        return
    record_documents = []
    folder = manifests / "data" / "records"
    folder.mkdir(parents=True)
    for item in ordered:
        if item.status is Status.EXPIRED:
            continue  # EXPIRED records can never change: a RecordSet of them would only be noise
        name = names[_id(item)]
        known = meta.field_names(item.campaign)
        key_field = known.get(options.key.casefold())
        if key_field is None:
            raise ConfigError(
                f"campaign table {item.campaign} has no field {options.key}; name the key field with --key"
            )
        candidates = _candidates(options, known, item.campaign, key_field.name)
        progress(f"reading the records of dataset {item.id} ({item.campaign}: {name})")
        csv_path = folder / f"{name}.csv"
        result = export_records(
            provider.iter_records(_id(item), key_field.name, candidates),
            key_field.name,
            candidates,
            csv_path,
            keep_all=bool(options.fields),
            zero_is_empty=integer_fields(known.values()),
        )
        if result.skipped:
            summary.skipped[f"RecordSet/{name}"] = result.skipped
        if not result.rows:
            summary.notes.append(f"Dataset/{name}: no exportable records; no RecordSet written")
            continue
        source = f"data/records/{name}.csv"
        record_documents.append(record_set_document(name, name, key_field.name, result.fields, source))
        summary.files[f"manifests/{source}"] = f"{result.rows} records, fields {', '.join(result.fields)}"
    if record_documents:
        (manifests / "recordsets.yaml").write_text(manifest_file(header, record_documents), encoding="utf-8")
        summary.files["manifests/recordsets.yaml"] = f"{len(record_documents)} record sets"
    if not any(folder.iterdir()):
        folder.rmdir()
        folder.parent.rmdir()


def _tables(provider: ContactNowProvider, options: ExportOptions) -> list[str]:
    live_tables = sorted(provider.client.campaign_tables())
    if not options.campaigns:
        return live_tables
    unknown = sorted(set(options.campaigns) - set(live_tables))
    if unknown:
        raise ConfigError(
            f"unknown campaign table {', '.join(unknown)} (known: {', '.join(live_tables) or 'none'})"
        )
    return sorted(set(options.campaigns))


def _chosen(live: Sequence[Dataset], options: ExportOptions) -> list[Dataset]:
    ids = {int(item) for item in options.datasets if item.isdigit()}
    descriptions = {item for item in options.datasets if not item.isdigit()}
    chosen = []
    for item in live:
        if options.statuses and item.status not in options.statuses:
            continue
        if options.datasets and _id(item) not in ids and item.description not in descriptions:
            continue
        chosen.append(item)
    return chosen


def _candidates(options: ExportOptions, known: Mapping[str, Any], table: str, key: str) -> tuple[str, ...]:
    if not options.fields:
        return candidate_fields(known.values(), key)
    missing = [name for name in options.fields if name.casefold() not in known]
    if missing:
        raise ConfigError(f"campaign table {table} has no field {', '.join(missing)}; fix --field")
    spelled = [known[name.casefold()].name for name in options.fields]
    return tuple(dict.fromkeys(name for name in spelled if name.casefold() != key.casefold()))


def _id(item: Dataset) -> int:
    assert item.id is not None  # live datasets always have one
    return item.id


# ------------------------------------------------------------------------------------------- Contact Center


def _campaigns(provider: ContactCenterProvider, options: ExportOptions) -> dict[int, CampaignInfo]:
    """The campaigns to export, checked first: one that cannot be planned is refused before anything is read."""
    campaigns = {}
    problems: list[Problem] = []
    for campaign_id in sorted(set(options.cc_campaigns)):
        info = provider.campaign(campaign_id)
        reasons = info.problems()
        problems.extend(
            Problem(
                reason, None, f"--cc-campaign {campaign_id}", "export only running, enabled dynamic campaigns"
            )
            for reason in reasons
        )
        campaigns[campaign_id] = info
    if problems:
        raise ExportError(problems)
    return campaigns


def _export_memberships(
    provider: ContactCenterProvider,
    campaigns: Mapping[int, CampaignInfo],
    options: ExportOptions,
    manifests: Path,
    header: str,
    summary: ExportSummary,
    progress: Progress,
) -> None:
    names = unique_names({key: slug(info.name, "campaign") for key, info in campaigns.items()}, "campaign")
    folder = manifests / "data" / "members"
    folder.mkdir(parents=True)
    documents = []
    for campaign_id in sorted(campaigns, key=lambda key: names[key]):
        name = names[campaign_id]
        progress(f"reading the members of campaign {campaign_id} ({name})")
        source = f"data/members/{name}.csv"
        result = export_members(provider.iter_members(campaign_id), manifests / source, options.scheduled_as)
        documents.append(membership_document(name, campaign_id, source))
        summary.files[f"manifests/{source}"] = (
            f"{result.members} members, {result.scheduled} scheduled (written as {options.scheduled_as})"
        )
    (manifests / "memberships.yaml").write_text(manifest_file(header, documents), encoding="utf-8")
    summary.files["manifests/memberships.yaml"] = f"{len(documents)} campaign memberships"
