"""A project: reconciler.yaml (optional) and every manifest document under its manifest directories.

`load_project` reads everything, validates everything, and either returns a Project or raises one
ManifestError holding every problem of every file, sorted by file, line and column.
"""

from __future__ import annotations

import logging
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import ValidationError

from reconciler.errors import Location, ManifestError, Problem

from . import yaml_loader as y
from .checks import check_documents, check_rows
from .documents import (
    DatasetManifest,
    FileContext,
    Manifest,
    MembershipManifest,
    RecordSetManifest,
    build_manifest,
    document_address,
)
from .models import DEFAULT_CONCURRENCY, Guards, ProjectFile, TargetSpec
from .validation import find, problems_from, suggest

log = logging.getLogger(__name__)

PROJECT_FILE = "reconciler.yaml"
EMULATOR = "emulator"
MANIFEST_SUFFIXES = (".yaml", ".yml")
DEFAULT_MAX_PERCENT = 30.0
DEFAULT_MIN_ROWS = 10
CONTACTNOW_REGIONS = {"eu": "https://api-106.dxi.eu/", "us": "https://api.contactnow.8x8.com/api/"}


@dataclass(frozen=True)
class GuardsConfig:
    """Mass-change limits with every value filled in."""

    max_percent: float = DEFAULT_MAX_PERCENT
    min_rows: int = DEFAULT_MIN_ROWS

    def merged(self, override: Guards | None) -> GuardsConfig:
        """These limits, with the values an override sets replacing them."""
        if override is None:
            return self
        return GuardsConfig(
            self.max_percent if override.max_percent is None else override.max_percent,
            self.min_rows if override.min_rows is None else override.min_rows,
        )


@dataclass(frozen=True)
class ContactNowTarget:
    """ContactNow access: the base URL (from baseUrl or region) and the NAMES of the credential variables."""

    base_url: str
    username_env: str
    password_env: str
    concurrency: int = DEFAULT_CONCURRENCY
    requests_per_second: float | None = None

    @property
    def url(self) -> str:
        return self.base_url


@dataclass(frozen=True)
class ContactCenterTarget:
    """Contact Center access: the base URL (from baseUrl or platform) and the NAMES of the credential variables."""

    base_url: str
    tenant_env: str
    token_env: str
    concurrency: int = DEFAULT_CONCURRENCY
    requests_per_second: float | None = None

    @property
    def url(self) -> str:
        return self.base_url


@dataclass(frozen=True)
class TargetConfig:
    """Where plans are read from and applied to. The built-in emulator has kind "emulator" and no API blocks
    (the CLI starts it and knows its URLs); a real target has kind "remote" and one or both API blocks."""

    name: str
    kind: Literal["emulator", "remote"]
    contactnow: ContactNowTarget | None = None
    contact_center: ContactCenterTarget | None = None
    allow_insecure_http: bool = False

    @property
    def is_emulator(self) -> bool:
        return self.kind == "emulator"


EMULATOR_TARGET = TargetConfig(EMULATOR, "emulator")


@dataclass(frozen=True)
class ProjectConfig:
    """reconciler.yaml, resolved: defaults filled in and the built-in emulator target added."""

    manifests: tuple[str, ...] = (".",)
    default_target: str = EMULATOR
    guards: GuardsConfig = GuardsConfig()
    targets: dict[str, TargetConfig] = field(default_factory=lambda: {EMULATOR: EMULATOR_TARGET})
    file: Path | None = None
    """The reconciler.yaml read, or None when the project has none."""
    display: str = PROJECT_FILE
    """How messages name reconciler.yaml."""
    node: y.Mapping | None = field(default=None, repr=False, compare=False)

    def location_of(self, path: str) -> Location:
        """Where a setting of reconciler.yaml was written, e.g. "targets.production.contactnow.baseUrl"."""
        parts: list[int | str] = [int(part) if part.isdigit() else part for part in path.split(".") if part]
        for depth in range(len(parts), -1, -1):
            found = find(self.node, parts[:depth]) if self.node is not None else None
            if found is not None:
                return found.location
        return Location(self.display)


@dataclass(frozen=True)
class Project:
    """Every validated document of a project."""

    root: Path
    config: ProjectConfig
    datasets: tuple[DatasetManifest, ...]
    record_sets: tuple[RecordSetManifest, ...]
    memberships: tuple[MembershipManifest, ...]

    @property
    def manifests(self) -> tuple[Manifest, ...]:
        """Every document, sorted by address."""
        everything: list[Manifest] = [*self.datasets, *self.record_sets, *self.memberships]
        return tuple(sorted(everything, key=lambda manifest: manifest.address))

    def get(self, address: str) -> Manifest | None:
        """The document at an address such as "Dataset/spring", or None."""
        return next((manifest for manifest in self.manifests if manifest.address == address), None)

    def dataset_of(self, record_set: RecordSetManifest) -> DatasetManifest:
        """The Dataset document a RecordSet belongs to (load_project guarantees there is one)."""
        return next(dataset for dataset in self.datasets if dataset.name == record_set.spec.dataset)

    def guards_for(self, manifest: RecordSetManifest | MembershipManifest) -> GuardsConfig:
        """The project's guards with the resource's own overrides applied."""
        return self.config.guards.merged(manifest.spec.guards)


def load_project(root: Path, *, check_sources: bool = True) -> Project:
    """Load and validate a project directory. Raises ManifestError with every problem found.

    With check_sources, every source file is streamed once to check its rows and the uniqueness of its keys.
    Inline rows and members are always checked.
    """
    root = Path(root)
    root_display = _display_root(root)
    if not root.is_dir():
        raise ManifestError(
            [Problem("project directory not found", Location(root_display), remedy="name a directory")]
        )
    root_real = Path(os.path.realpath(root))
    problems: list[Problem] = []
    config, config_problems = _load_config(root, root_real, root_display)
    problems += config_problems
    files, file_problems = _manifest_files(root, root_real, root_display, config)
    problems += file_problems
    manifests: list[Manifest] = []
    invalid: set[str] = set()
    for rel in files:
        context = FileContext(
            root / rel, _join(root_display, rel.as_posix()), rel.parent, root_real, root_display
        )
        loaded = y.load_yaml_file(context.file, context.display)
        problems += loaded.problems
        for document in loaded.documents:
            manifest, document_problems = build_manifest(document, context)
            problems += document_problems
            if manifest is not None:
                manifests.append(manifest)
            else:
                invalid.add(document_address(document.root) or "")
    problems += check_documents(manifests, invalid=invalid)
    for manifest in manifests:
        if isinstance(manifest, RecordSetManifest | MembershipManifest):
            inline = manifest.spec.source is None
            if inline or (check_sources and manifest.source is not None):
                problems += check_rows(manifest)
    if problems:
        raise ManifestError(problems)
    log.debug("loaded %d manifest documents from %s", len(manifests), root_display)
    ordered = sorted(manifests, key=lambda manifest: manifest.address)
    return Project(
        root=root,
        config=config,
        datasets=tuple(m for m in ordered if isinstance(m, DatasetManifest)),
        record_sets=tuple(m for m in ordered if isinstance(m, RecordSetManifest)),
        memberships=tuple(m for m in ordered if isinstance(m, MembershipManifest)),
    )


def _display_root(root: Path) -> str:
    text = root.as_posix().rstrip("/")
    return text or "/"


def _join(root_display: str, rel: str) -> str:
    if root_display == ".":
        return rel
    return f"{root_display.rstrip('/')}/{rel}"


def _load_config(root: Path, root_real: Path, root_display: str) -> tuple[ProjectConfig, list[Problem]]:
    path = root / PROJECT_FILE
    display = _join(root_display, PROJECT_FILE)
    if not os.path.lexists(path):
        return ProjectConfig(display=display), []
    if not _inside(os.path.realpath(path), str(root_real)):
        return ProjectConfig(manifests=(), file=path, display=display), [
            Problem(
                f"{PROJECT_FILE} is a symbolic link that leads outside the project root",
                Location(display),
                remedy="copy the file into the project",
            )
        ]
    loaded = y.load_yaml_file(path, display)
    problems = list(loaded.problems)
    documents = [doc for doc in loaded.documents if not _empty(doc.root)]
    for document in loaded.documents:
        problems += document.problems
    if problems or any(not doc.complete for doc in documents):
        return ProjectConfig(file=path, display=display), problems
    if len(documents) != 1:
        where = documents[1].location if len(documents) > 1 else Location(display)
        reason = f"{PROJECT_FILE} must hold one document" + (
            ", not several" if documents else "; it is empty"
        )
        return ProjectConfig(file=path, display=display), [
            Problem(reason, where, remedy="start it with apiVersion: reconciler/v1 and kind: Project")
        ]
    node = documents[0].root
    if not isinstance(node, y.Mapping):
        location = node.location if node is not None else Location(display)
        return ProjectConfig(file=path, display=display), [
            Problem(
                f"{PROJECT_FILE} must be a mapping, not {y.describe(node)}",
                location,
                remedy="start it with apiVersion: reconciler/v1 and kind: Project",
            )
        ]
    targets_node = node.get("targets")
    emulator_key = targets_node.key(EMULATOR) if isinstance(targets_node, y.Mapping) else None
    if emulator_key is not None:
        problems.append(
            Problem(
                "target emulator is built in and cannot be redefined",
                emulator_key.location,
                remedy="give your target another name",
            )
        )
    try:
        parsed = ProjectFile.model_validate(y.to_data(node))
    except ValidationError as exc:
        salvaged = ProjectConfig(manifests=_salvage_manifests(node), file=path, display=display, node=node)
        return salvaged, problems + problems_from(exc, node, ProjectFile, None, node.location)
    targets: dict[str, TargetConfig] = {EMULATOR: EMULATOR_TARGET}
    for name, spec in parsed.targets.items():
        if name != EMULATOR:
            targets[name] = _target(name, spec)
    if parsed.default_target not in targets:
        guess = suggest(parsed.default_target, targets)
        problems.append(
            Problem(
                f'defaultTarget "{parsed.default_target}" is not a target',
                _value_location(node, ("defaultTarget",), display),
                remedy=f'did you mean "{guess}"?'
                if guess
                else f"define it under targets, or use one of: {', '.join(sorted(targets))}",
            )
        )
    guards = GuardsConfig().merged(parsed.guards)
    config = ProjectConfig(parsed.manifests, parsed.default_target, guards, targets, path, display, node)
    return config, problems


def _salvage_manifests(node: y.Mapping) -> tuple[str, ...]:
    """The manifest directories of an invalid reconciler.yaml when they are readable, else none (so that a
    broken project file does not turn every YAML file of the root into a manifest)."""
    entry = node.get("manifests")
    if entry is None:
        return (".",)
    if isinstance(entry, y.Sequence) and all(
        isinstance(item, y.Scalar) and item.value for item in entry.items
    ):
        return tuple(item.value for item in entry.items if isinstance(item, y.Scalar) and item.value)
    return ()


def _empty(node: y.Node | None) -> bool:
    return node is None or (isinstance(node, y.Scalar) and node.value is None)


def _value_location(node: y.Mapping, loc: tuple[int | str, ...], display: str) -> Location:
    found = find(node, loc)
    return found.location if found is not None else Location(display)


def _target(name: str, spec: TargetSpec) -> TargetConfig:
    contactnow = None
    if spec.contactnow is not None:
        block = spec.contactnow
        base_url = block.base_url or CONTACTNOW_REGIONS[block.region or "eu"]
        contactnow = ContactNowTarget(
            base_url, block.username_env, block.password_env, block.concurrency, block.requests_per_second
        )
    contact_center = None
    if spec.contact_center is not None:
        cc = spec.contact_center
        base_url = cc.base_url or f"https://vcc-{cc.platform}.8x8.com"
        contact_center = ContactCenterTarget(
            base_url, cc.tenant_env, cc.token_env, cc.concurrency, cc.requests_per_second
        )
    return TargetConfig(name, "remote", contactnow, contact_center, spec.allow_insecure_http)


def _manifest_files(
    root: Path, root_real: Path, root_display: str, config: ProjectConfig
) -> tuple[list[PurePosixPath], list[Problem]]:
    """Every *.yaml / *.yml under the manifest directories, relative to the root, sorted, each once."""
    problems: list[Problem] = []
    found: dict[str, PurePosixPath] = {}
    for index, entry in enumerate(config.manifests):
        where = config.location_of(f"manifests.{index}")
        directory = _manifest_dir(entry, root_real, where, problems)
        if directory is None:
            continue
        for dirpath, dirnames, filenames in os.walk(root_real / directory):
            dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
            for filename in sorted(filenames):
                if filename.startswith(".") or not filename.lower().endswith(MANIFEST_SUFFIXES):
                    continue
                rel = PurePosixPath(Path(dirpath, filename).relative_to(root_real).as_posix())
                if rel.as_posix() in (PROJECT_FILE, "reconciler.yml"):
                    continue
                real = os.path.realpath(root_real / rel)
                if not _inside(real, str(root_real)):
                    problems.append(
                        Problem(
                            "manifest file is a symbolic link that leads outside the project root",
                            Location(_join(root_display, rel.as_posix())),
                            remedy="copy the file into the project",
                        )
                    )
                    continue
                found.setdefault(real, rel)
    return sorted(found.values(), key=lambda rel: rel.as_posix()), problems


def _manifest_dir(entry: str, root_real: Path, where: Location, problems: list[Problem]) -> str | None:
    if entry.startswith("/") or "\\" in entry or "\x00" in entry:
        problems.append(
            Problem(
                "manifest directory must be a relative path",
                where,
                remedy="name a directory relative to the project root, e.g. manifests",
            )
        )
        return None
    normal = posixpath.normpath(entry)
    real = os.path.realpath(root_real / normal)
    if normal == ".." or normal.startswith("../") or not _inside(real, str(root_real)):
        problems.append(
            Problem(
                f'manifest directory "{entry}" leads outside the project root',
                where,
                remedy="keep manifests inside the project directory",
            )
        )
        return None
    if not os.path.isdir(real):
        problems.append(
            Problem(
                f'manifest directory "{entry}" not found',
                where,
                remedy="create it, or fix manifests in reconciler.yaml",
            )
        )
        return None
    return normal


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


__all__ = [
    "ContactCenterTarget",
    "ContactNowTarget",
    "DatasetManifest",
    "GuardsConfig",
    "Manifest",
    "MembershipManifest",
    "Project",
    "ProjectConfig",
    "RecordSetManifest",
    "TargetConfig",
    "load_project",
]
