"""SuppressionList: numbers that must not be called, kept in the repository only as keyed hashes.

A list is a file of sorted 64-bit HMAC-SHA-256 prefixes of E.164 numbers (reconciler/suppression/listfile.py),
keyed by a secret that only the environment holds (`keyEnv`). `reconciler suppression import` writes it and its
`screenedAt`; `reconciler suppression harvest` adds the numbers the dialler marked do-not-call.

Three types, which differ in how far they reach:
- registry (TPS, CTPS, the US DNC registry, Canada's DNCL): must be screened again within `maxAge`; a plan
  after that is refused, and apply refuses it again against the clock at apply time. A row whose consent field
  is set is not suppressed by a registry list (consent overrides the register).
- internal: the account's own opt-outs; consent never overrides them; no age limit.
- erasure: people who asked to be forgotten; consent never overrides them, and the completions they cause are
  not held back by the mass-change guard (the law is not a threshold).

A list has no live state and no changes of its own: planning checks it (the file, its key, its age) and
publishes it, loaded, for the record sets and memberships that match against it. Its file is part of the plan's
source digest, so a saved plan made against another version of the list is stale.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from ..apply.steps import Step
from ..errors import ConfigError, Problem
from ..manifest import DocumentBase, FileContext, ManifestDocument, Project
from ..manifest.sources import shown_path
from ..manifest.spec import EnvName, Metadata, NonEmptyText, SpecModel, invalid
from ..model.fields import PHONE_FIELDS
from ..plan.changes import Change, Observation
from ..providers.base import ContactNowApi
from ..suppression.importer import read_numbers
from ..suppression.listfile import (
    NO_REGION,
    HashList,
    ListFileError,
    check_key,
    file_digest,
    load_list,
    prefixes,
    read_header,
    write_list,
)
from ..suppression.phones import UnknownRegion, check_region, e164
from .base import Desired, Kind, PlanContext

DEFAULT_KEY_ENV = "RECONCILER_SUPPRESSION_KEY"
LIST_SUFFIX = ".hmac"
_AGE = re.compile(r"^([1-9][0-9]{0,3})d$")

ListType = Literal["registry", "internal", "erasure"]

# ------------------------------------------------------------------------------------------------- document


class SuppressionListSpec(SpecModel):
    """A list of numbers that must not be called, stored as keyed hashes in `source`."""

    type: ListType = Field(
        description="registry (a national do-not-call register: screened within maxAge, consent overrides "
        "it), internal (the account's own opt-outs) or erasure (erasure requests: beats every guard)"
    )
    source: NonEmptyText = Field(
        description=f"The list file ({LIST_SUFFIX}), relative to this manifest file; written by "
        "`reconciler suppression import`"
    )
    values: Literal["phone", "customer-id"] = Field(
        default="phone",
        description="What the list holds: phone numbers (E.164), or Contact Center CRM customer ids (a "
        "CampaignMembership matches its members' ids against those)",
    )
    key_env: EnvName = Field(
        default=DEFAULT_KEY_ENV,
        description="The NAME of the environment variable that holds the list's hashing key (never the key)",
    )
    screened_at: date | None = Field(
        default=None, description="The day the list was last taken from its register (set by import)"
    )
    max_age: str | None = Field(
        default=None,
        description="How old a registry list may be, in days, e.g. 28d (GB TPS/CTPS) or 31d (US DNC, CA "
        "DNCL); required for registry lists",
        json_schema_extra={"pattern": _AGE.pattern},
    )

    @field_validator("max_age")
    @classmethod
    def _days(cls, value: str | None) -> str | None:
        if value is not None and _AGE.fullmatch(value) is None:
            raise invalid("is not an age in days", "write a number of days, e.g. 28d")
        return value

    @field_validator("source")
    @classmethod
    def _suffix(cls, value: str) -> str:
        if not value.lower().endswith(LIST_SUFFIX):
            raise invalid(
                f"is not a {LIST_SUFFIX} list file",
                f"name a file ending in {LIST_SUFFIX}, e.g. suppression/tps.hmac",
            )
        return value


class SuppressionListDocument(SpecModel):
    """A SuppressionList manifest document: numbers that must not be called."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["SuppressionList"]
    metadata: Metadata
    spec: SuppressionListSpec


@dataclass(frozen=True, eq=False)
class SuppressionListManifest(ManifestDocument):
    KIND: ClassVar[str] = "SuppressionList"

    spec: SuppressionListSpec = field(kw_only=True)
    path: Path | None = field(kw_only=True, default=None)
    """The list file (it may not exist yet: import writes it)."""
    shown: str = field(kw_only=True, default="")
    """How messages name the file (relative to the project root)."""


# ---------------------------------------------------------------------------------------------- desired


@dataclass(frozen=True)
class DesiredSuppressionList(Desired):
    type: ListType = field(kw_only=True)
    path: Path = field(kw_only=True)
    shown: str = field(kw_only=True)
    key_env: str = field(kw_only=True)
    values: str = field(kw_only=True, default="phone")
    screened_at: date | None = field(kw_only=True)
    max_age: int | None = field(kw_only=True)
    """Days; None: no limit."""

    @property
    def name(self) -> str:
        return self.address.split("/", 1)[1]

    def expires(self) -> date | None:
        """The last day the list may be used on (None: never expires)."""
        if self.type != "registry" or self.max_age is None or self.screened_at is None:
            return None
        return self.screened_at + timedelta(days=self.max_age)

    def age_problem(self, now: datetime, when: str) -> Problem | None:
        """Why the list may not be used at `now` (the plan's moment, or apply's), or None."""
        if self.type != "registry":
            return None
        remedy = (
            f"take a fresh copy of the register and run `reconciler suppression import FILE --list {self.name} "
            "--region <region>`, which rewrites the file and sets screenedAt"
        )
        if self.screened_at is None:
            return Problem(
                "a registry list without screenedAt cannot show it is fresh",
                self.at("spec.screenedAt"),
                self.address,
                remedy,
            )
        if self.max_age is None:
            return Problem(
                "a registry list needs maxAge (how old it may be: 28d for GB TPS/CTPS, 31d for US DNC and CA DNCL)",
                self.location,
                self.address,
                "add maxAge to the spec",
            )
        today = now.date()
        if today > (self.expires() or today):
            age = (today - self.screened_at).days
            return Problem(
                f"the list was screened on {self.screened_at.isoformat()}, {age} days before {when} "
                f"({today.isoformat()}); maxAge is {self.max_age}d, so it expired after "
                f"{(self.expires() or today).isoformat()}",
                self.at("spec.screenedAt"),
                self.address,
                remedy,
            )
        return None


@dataclass(frozen=True)
class LoadedList:
    """A list checked and loaded for this plan: what the kinds that match against it read."""

    desired: DesiredSuppressionList
    entries: HashList = field(repr=False)

    @property
    def name(self) -> str:
        return self.desired.name

    @property
    def type(self) -> ListType:
        return self.desired.type


# ------------------------------------------------------------------------------------------------- kind


class SuppressionListKind(Kind[SuppressionListManifest, DesiredSuppressionList]):
    name: ClassVar[str] = "SuppressionList"
    document: ClassVar[type[SuppressionListDocument]] = SuppressionListDocument
    manifest_type: ClassVar[type[SuppressionListManifest]] = SuppressionListManifest
    plural: ClassVar[str] = "suppression lists"

    def manifest(
        self, document: Any, base: DocumentBase, context: FileContext
    ) -> tuple[SuppressionListManifest, list[Problem]]:
        assert isinstance(document, SuppressionListDocument)
        spec = document.spec
        path, shown, reason = _resolve(spec.source, context)
        made = SuppressionListManifest(
            base.name, base.file, base.location, base.node, spec=spec, path=path, shown=shown
        )
        if reason is None:
            return made, []
        where = made.location_of("spec.source")
        return made, [Problem(reason, where, made.address, "keep list files inside the project directory")]

    def desired(self, manifest: SuppressionListManifest, project: Project) -> DesiredSuppressionList:
        spec = manifest.spec
        assert manifest.path is not None  # a path that could not be resolved was refused when loading
        spots = {
            name: manifest.location_of(name) for name in ("spec.screenedAt", "spec.keyEnv", "spec.source")
        }
        return DesiredSuppressionList(
            manifest.address,
            manifest.location,
            type=spec.type,
            path=manifest.path,
            shown=manifest.shown,
            key_env=spec.key_env,
            values=spec.values,
            screened_at=spec.screened_at,
            max_age=None if spec.max_age is None else int(spec.max_age[:-1]),
            spots=spots,
        )

    def source_digest(self, manifest: SuppressionListManifest) -> str | None:
        return None if manifest.path is None else file_digest(manifest.path)

    def plan(self, items: Sequence[DesiredSuppressionList], ctx: PlanContext) -> None:
        for item in items:
            problems = _check(item, ctx)
            if problems:
                ctx.problems.extend(problems)
                continue
            try:
                key = check_key(ctx.secret(item.key_env), item.key_env)
                header = read_header(item.path, item.shown, key, item.key_env)
                if header.values != item.values:
                    raise ListFileError(
                        f"list file {item.shown} holds {header.values} values, but spec.values is {item.values}; "
                        "correct spec.values, or import the list again"
                    )
                count = header.count
                if not ctx.metadata_only and ctx.desired.dependants(item.address):
                    loaded = load_list(item.path, item.shown, key, item.key_env)
                    ctx.publish(item.address, LoadedList(item, loaded))
            except ListFileError as error:
                ctx.problems.append(Problem(str(error), item.at("spec.source"), item.address))
                continue
            ctx.observations.append(Observation(item.address, "info", _described(item, count, ctx.now)))

    def steps(self, change: Change, item: DesiredSuppressionList) -> list[Step]:
        return []  # a list has no changes of its own


def _check(item: DesiredSuppressionList, ctx: PlanContext) -> list[Problem]:
    problem = item.age_problem(ctx.now, "this plan")
    return [] if problem is None else [problem]


def _described(item: DesiredSuppressionList, count: int, now: datetime) -> str:
    text = f"{item.type} list {item.name}: {count:,} numbers"
    if item.screened_at is not None:
        text += f", screened {item.screened_at.isoformat()} ({(now.date() - item.screened_at).days} days ago)"
    expires = item.expires()
    if expires is not None:
        text += f"; usable until {expires.isoformat()}"
    return text


def _resolve(text: str, context: FileContext) -> tuple[Path | None, str, str | None]:
    """The list file `text` names (it need not exist yet), how messages show it, and why it cannot be used."""
    if (
        "\x00" in text
        or "\\" in text
        or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", text)
        or text.startswith(("/", "~"))
    ):
        return None, "", f'list file "{text}" is not a plain relative path'
    joined = posixpath.normpath(posixpath.join(context.rel_dir.as_posix(), text))
    if joined == ".." or joined.startswith(("../", "/")):
        return None, "", f'list file "{text}" leads outside the project root'
    root = str(context.root_real)
    real = os.path.realpath(os.path.join(root, joined))
    if not (real == root or real.startswith(root.rstrip(os.sep) + os.sep)):
        return None, "", f'list file "{text}" leads outside the project root through a symbolic link'
    return Path(real), f"{context.root_display}/{joined}", None


SUPPRESSION_LIST = SuppressionListKind()


# ------------------------------------------------------------------------------------------ import, harvest


@dataclass(frozen=True)
class Imported:
    """What an import or a harvest wrote: counts only, never a number."""

    address: str
    file: str
    """The list file, as messages name it."""
    entries: int
    """Distinct numbers in the list file now."""
    read: int
    """Numbers read (before duplicates were merged)."""
    blank: int = 0
    invalid: int = 0
    screened_at: date | None = None
    manifest: str = ""
    """The manifest file whose screenedAt was set ("" when it was not)."""


def find_list(project: Project, name: str) -> SuppressionListManifest:
    """The SuppressionList document named `name`; ConfigError naming the lists there are when none is."""
    lists = [item for item in project.manifests if isinstance(item, SuppressionListManifest)]
    for item in lists:
        if item.name == name:
            return item
    known = ", ".join(sorted(item.name for item in lists)) or "none"
    raise ConfigError(
        f'no SuppressionList named "{name}" in the project (lists: {known}); add its manifest first, with the '
        f"source file to write"
    )


def list_key(manifest: SuppressionListManifest, secret: Callable[[str], str]) -> bytes:
    try:
        return check_key(secret(manifest.spec.key_env), manifest.spec.key_env)
    except ListFileError as error:
        raise ConfigError(f"{manifest.address}: {error}") from None


def import_numbers(
    manifest: SuppressionListManifest,
    numbers: Path,
    region: str | None,
    secret: Callable[[str], str],
    today: date,
    *,
    column: str | None = None,
    skip_invalid: bool = False,
) -> Imported:
    """Replace the list's file with the numbers of the file at `numbers` and set its screenedAt to `today`.
    Nothing is written when a number cannot be read (unless `skip_invalid`) or the key is unusable."""
    assert manifest.path is not None
    key = list_key(manifest, secret)
    chosen: str | None = None
    if manifest.spec.values == "phone":
        if region is None:
            raise ConfigError(
                f"{manifest.address} holds phone numbers: give --region (e.g. GB) for national numbers"
            )
        try:
            chosen = check_region(region)
        except UnknownRegion as error:
            raise ConfigError(str(error)) from None
    read = read_numbers(
        numbers, shown_path(str(numbers)), chosen, key, column=column, skip_invalid=skip_invalid
    )
    entries = write_list(manifest.path, read.hashes, key, chosen or NO_REGION, manifest.spec.values)
    where = set_screened_at(manifest, today)
    return Imported(
        manifest.address, manifest.shown, entries, read.numbers, read.blank, read.invalid, today, where
    )


def set_screened_at(manifest: SuppressionListManifest, today: date) -> str:
    """Write `screenedAt: today` into the manifest's file, in place of the value there or after `source`; the
    file's name. Only that value changes: comments and layout stay."""
    lines = manifest.file.read_text(encoding="utf-8").splitlines(keepends=True)
    value = today.isoformat()
    node = manifest.node_at("spec.screenedAt")
    if node is not None:
        where = node.location
        line = lines[where.line - 1]
        start = where.column - 1
        end = start
        while end < len(line) and line[end] not in ",}\r\n #":
            end += 1
        lines[where.line - 1] = line[:start] + value + line[end:]
    else:
        source = manifest.location_of("spec.source")
        line = lines[source.line - 1]
        indent = len(line) - len(line.lstrip(" "))
        if "{" in line[: source.column - 1]:
            raise ConfigError(
                f"{manifest.file}: {manifest.address} writes its spec in flow style; add `screenedAt: {value}` "
                "to it by hand"
            )
        ending = "\r\n" if line.endswith("\r\n") else "\n"
        lines.insert(source.line, f"{' ' * indent}screenedAt: {value}{ending}")
    manifest.file.write_text("".join(lines), encoding="utf-8")
    return str(manifest.location.file)


@dataclass(frozen=True)
class Harvested:
    """What a harvest found and wrote: counts only."""

    address: str
    file: str
    datasets: int
    """Datasets read (every dataset of every campaign table)."""
    records: int
    """Live records carrying a do-not-call outcome."""
    codes: tuple[str, ...]
    """The do-not-call outcome codes looked for."""
    added: int
    """Numbers the list did not hold before."""
    entries: int
    manifest: str


def harvest_numbers(
    manifest: SuppressionListManifest,
    provider: ContactNowApi,
    secret: Callable[[str], str],
    today: date,
    region: str | None,
) -> Harvested:
    """Add to the list the numbers of every live record, in every dataset of every campaign table, whose
    outcome code is do-not-call: what one queue's opt-out leaves on the others closes here. Reads only; the
    list file and its screenedAt are the only things written."""
    import numpy as np

    assert manifest.path is not None
    if manifest.spec.values != "phone":
        raise ConfigError(
            f"{manifest.address} holds customer ids; harvest adds the phone numbers of do-not-call records to a "
            "list of phone numbers"
        )
    key = list_key(manifest, secret)
    held = None
    if manifest.path.exists():
        try:
            held = load_list(manifest.path, manifest.shown, key, manifest.spec.key_env)
        except ListFileError as error:
            raise ConfigError(f"{manifest.address}: {error}") from None
    try:
        wanted = check_region(region) if region is not None else None
    except UnknownRegion as error:
        raise ConfigError(str(error)) from None
    if held is not None and wanted is not None and wanted != held.region:
        raise ConfigError(
            f"{manifest.address}: list file {manifest.shown} holds numbers of region {held.region}, not {wanted}; "
            "leave out --region, or harvest into a list of that region"
        )
    chosen = wanted or (held.region if held is not None else None)
    if chosen is None:
        raise ConfigError(
            f"{manifest.address}: list file {manifest.shown} does not exist yet; give --region (e.g. GB) for the "
            "national numbers of the records"
        )
    catalog = provider.catalog()
    codes = tuple(sorted(number for number, code in catalog.outcomes().items() if code.do_not_call))
    found, records, datasets = _harvest(provider, sorted(catalog.tables()), codes, chosen, key)
    before = np.zeros(0, dtype=np.uint64) if held is None else held.entries
    entries = write_list(manifest.path, np.concatenate([before, found]), key, chosen)
    where = set_screened_at(manifest, today)
    return Harvested(
        manifest.address, manifest.shown, datasets, records, codes, entries - len(before), entries, where
    )


def _harvest(
    provider: ContactNowApi, tables: Sequence[str], codes: Sequence[str], region: str, key: bytes
) -> tuple[Any, int, int]:
    import numpy as np
    import polars as pl

    parts = []
    records = 0
    datasets = [item for item in provider.datasets(tables) if item.id is not None]
    if not codes:
        return np.zeros(0, dtype=np.uint64), 0, len(datasets)
    phones = sorted(PHONE_FIELDS)
    for dataset in datasets:
        assert dataset.id is not None
        for batch in provider.iter_record_batches(dataset.id, "VENDOR_URN", phones):
            frame = batch.frame.filter(pl.col("outcome").is_in(list(codes)))
            records += frame.height
            for index in range(len(phones)):
                numbers = e164(frame.get_column(f"v{index}"), region).drop_nulls()
                parts.append(prefixes(numbers.to_list(), key))
    found = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
    return found, records, len(datasets)
