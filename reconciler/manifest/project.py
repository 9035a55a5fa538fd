"""A project: reconciler.yaml (optional) and every manifest document under its manifest directories.

`load_project` reads everything, validates everything, and either returns a Project or raises one
ManifestError holding every problem of every file, sorted by file, line and column.
"""

from __future__ import annotations

import logging
import os
import posixpath
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TypeVar

from pydantic import ValidationError

from reconciler.errors import Location, ManifestError, Problem
from reconciler.model.state import Guard

from . import yaml_loader as y
from .checks import check_documents
from .documents import DocumentKind, FileContext, ManifestDocument, build_manifest, document_address
from .project_file import ProjectFile, TargetSpec
from .validation import find, problems_from, suggest

log = logging.getLogger(__name__)

PROJECT_FILE = "reconciler.yaml"
EMULATOR = "emulator"
"""The built-in target: the embedded emulator, which needs no entry in reconciler.yaml."""
MANIFEST_SUFFIXES = (".yaml", ".yml")

M = TypeVar("M", bound=ManifestDocument)


@dataclass(frozen=True)
class ProjectConfig:
    """reconciler.yaml, resolved: defaults filled in."""

    manifests: tuple[str, ...] = (".",)
    default_target: str = EMULATOR
    guards: Guard = Guard()
    targets: Mapping[str, TargetSpec] = field(default_factory=dict)
    """The targets reconciler.yaml names (the built-in emulator is not among them)."""
    file: Path | None = None
    """The reconciler.yaml read, or None when the project has none."""
    display: str = PROJECT_FILE
    """How messages name reconciler.yaml."""
    node: y.Mapping | None = field(default=None, repr=False, compare=False)

    @property
    def target_names(self) -> list[str]:
        """Every target, the built-in emulator included, sorted."""
        return sorted({EMULATOR, *self.targets})

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
    """Every validated document of a project, sorted by address."""

    root: Path
    config: ProjectConfig
    manifests: tuple[ManifestDocument, ...]

    def of(self, kind: type[M]) -> tuple[M, ...]:
        """The documents of one kind, by their class (e.g. `project.of(DatasetManifest)`), sorted by address."""
        return tuple(manifest for manifest in self.manifests if isinstance(manifest, kind))

    def get(self, address: str) -> ManifestDocument | None:
        """The document at an address such as "Kind/name", or None."""
        return next((manifest for manifest in self.manifests if manifest.address == address), None)


@dataclass(frozen=True)
class _Index:
    manifests: Sequence[ManifestDocument]
    invalid: Collection[str]


def load_project(root: Path, kinds: Sequence[DocumentKind], *, check_sources: bool = True) -> Project:
    """Load and validate a project directory whose documents are of `kinds`. Raises ManifestError with every
    problem found.

    With check_sources, every source file is streamed once to check its rows and the uniqueness of its keys.
    Inline rows and members are always checked.
    """
    by_name = {kind.name: kind for kind in kinds}
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
    manifests: list[ManifestDocument] = []
    invalid: set[str] = set()
    for rel in files:
        context = FileContext(
            root / rel, _join(root_display, rel.as_posix()), rel.parent, root_real, root_display
        )
        loaded = y.load_yaml_file(context.file, context.display)
        problems += loaded.problems
        for document in loaded.documents:
            manifest, document_problems = build_manifest(document, context, by_name)
            problems += document_problems
            if manifest is not None:
                manifests.append(manifest)
            else:
                invalid.add(document_address(document.root, by_name) or "")
    ordered = sorted(manifests, key=lambda manifest: manifest.address)
    problems += check_documents(kinds, _Index(ordered, invalid))
    for manifest in ordered:
        problems += by_name[manifest.kind].check_rows(manifest, files=check_sources)
    if problems:
        raise ManifestError(problems)
    log.debug("loaded %d manifest documents from %s", len(manifests), root_display)
    return Project(root=root, config=config, manifests=tuple(ordered))


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
    targets = {name: spec for name, spec in parsed.targets.items() if name != EMULATOR}
    if parsed.default_target not in {EMULATOR, *targets}:
        guess = suggest(parsed.default_target, [EMULATOR, *targets])
        problems.append(
            Problem(
                f'defaultTarget "{parsed.default_target}" is not a target',
                _value_location(node, ("defaultTarget",), display),
                remedy=f'did you mean "{guess}"?'
                if guess
                else f"define it under targets, or use one of: {', '.join(sorted({EMULATOR, *targets}))}",
            )
        )
    guards = Guard().merged(parsed.guards)
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


__all__ = ["EMULATOR", "PROJECT_FILE", "Project", "ProjectConfig", "load_project"]
