"""Manifest documents, built from composed YAML documents by the kind each names.

Every document keeps its address (`Kind/name`), its file and the node tree, so that any later error can point at
a spec field: `manifest.location_of("spec.priority")`. Each kind (reconciler/kinds/) subclasses
ManifestDocument with its validated spec; this module knows kinds only through the DocumentKind protocol.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from reconciler.errors import Location, ManifestError, Problem
from reconciler.text import unsafe

from . import yaml_loader as y
from .sources import SourceFile, SourcePathError, file_digest, resolve_source
from .validation import find, problems_from, suggest


@dataclass(frozen=True, eq=False)
class ManifestDocument:
    """What every manifest document has: name, file, location and the YAML it came from."""

    KIND: ClassVar[str] = ""
    """The kind's name; each kind's subclass sets it."""

    name: str
    file: Path
    location: Location
    node: y.Mapping = field(repr=False)

    @property
    def kind(self) -> str:
        return self.KIND

    @property
    def address(self) -> str:
        return f"{self.KIND}/{self.name}"

    def location_of(self, path: str) -> Location:
        """Where a field was written, e.g. "spec.priority" or "spec.rows.3.MobilePhone"; falls back to the
        nearest enclosing value, then to the document."""
        parts: list[int | str] = [int(part) if part.isdigit() else part for part in path.split(".") if part]
        for depth in range(len(parts), 0, -1):
            node = find(self.node, parts[:depth])
            if node is not None:
                return node.location
        return self.location

    def node_at(self, path: str) -> y.Node | None:
        """The YAML node at a dotted path under the document, e.g. "spec.rows"; None when not written."""
        return find(self.node, path.split("."))


T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class SourcedDocument(ManifestDocument, Generic[T]):
    """A document whose rows (of type T) come from a source file, or are written inline under `spec`."""

    spec: Any = field(kw_only=True)
    """The document's validated spec (each kind narrows its type); it has `source`."""
    source: SourceFile | None = field(kw_only=True, default=None)
    """The resolved source file, or None for inline rows."""

    def scan(self) -> Iterator[T | Problem]:
        """Every row, or a Problem (without its address) for each row that cannot be used."""
        raise NotImplementedError

    def entry(self, item: T) -> object:
        """The canonical JSON form of an inline row, for the digest."""
        raise NotImplementedError

    def rows(self) -> Iterator[T]:
        """Stream the rows. Raises ManifestError at the first row that cannot be used. Uniqueness is checked
        when the project loads (check_sources), not here."""
        for item in self.scan():
            if isinstance(item, Problem):
                raise ManifestError([replace(item, address=self.address)])
            yield item

    def source_digest(self) -> str:
        """sha256 hex of the source file's bytes, or of the canonical JSON of the inline rows."""
        if self.source is not None:
            return file_digest(self.source)
        digest = hashlib.sha256()
        for item in self.rows():
            digest.update(json.dumps(self.entry(item), sort_keys=True, ensure_ascii=False).encode())
            digest.update(b"\n")
        return digest.hexdigest()


@dataclass(frozen=True)
class FileContext:
    """Where a manifest file sits: its path as given, its display name, its directory relative to the root."""

    file: Path
    display: str
    rel_dir: PurePosixPath
    root_real: Path
    root_display: str

    def resolve(
        self, text: str | None, root: y.Mapping, address: str
    ) -> tuple[SourceFile | None, Problem | None]:
        """The source file `spec.source` names (None for none), or the problem with its path."""
        if text is None or unsafe(text):
            return None, None  # a path with control characters is refused where the YAML was read
        try:
            return resolve_source(text, self.rel_dir, self.root_real, self.root_display), None
        except SourcePathError as exc:
            node = find(root, ("spec", "source"))
            location = node.location if node is not None else root.location
            return None, Problem(exc.reason, location, address, exc.remedy)


@dataclass(frozen=True)
class DocumentBase:
    """What every document has before its kind builds it: name, file, where its name was written, its YAML."""

    name: str
    file: Path
    location: Location
    node: y.Mapping = field(repr=False)


class DocumentIndex(Protocol):
    """What a kind's cross-document checks may look at: every valid document, and the addresses of the
    documents refused for other reasons (a reference to one of those is not reported again)."""

    @property
    def manifests(self) -> Sequence[ManifestDocument]: ...

    @property
    def invalid(self) -> Collection[str]: ...


class DocumentKind(Protocol):
    """What the loader needs of a kind (reconciler/kinds/ implements it)."""

    @property
    def name(self) -> str: ...

    @property
    def document(self) -> type[BaseModel]:
        """The pydantic model of the whole document (apiVersion, kind, metadata, spec)."""
        ...

    def manifest(
        self, document: Any, base: DocumentBase, context: FileContext
    ) -> tuple[ManifestDocument, list[Problem]]:
        """The manifest built from a validated document, with any problem found on the way."""
        ...

    def check_documents(self, index: DocumentIndex) -> list[Problem]:
        """Problems between this kind's documents and the others that the models alone cannot see."""
        ...

    def check_rows(self, manifest: Any, *, files: bool) -> list[Problem]:
        """Every problem of a document's rows: inline ones always, a source file's only when `files`."""
        ...


def document_address(root: y.Node | None, kinds: Collection[str]) -> str | None:
    """`Kind/name` when both are written as text, for problems found before the document is validated."""
    if not isinstance(root, y.Mapping):
        return None
    kind, metadata = root.get("kind"), root.get("metadata")
    name = metadata.get("name") if isinstance(metadata, y.Mapping) else None
    if isinstance(kind, y.Scalar) and kind.value in kinds and isinstance(name, y.Scalar) and name.value:
        return f"{kind.value}/{name.value}"
    return None


def build_manifest(
    doc: y.YamlDocument, context: FileContext, kinds: Mapping[str, DocumentKind]
) -> tuple[ManifestDocument | None, list[Problem]]:
    """Validate one composed document. Returns the manifest, or None with the reasons why not."""
    address = document_address(doc.root, kinds)
    problems = [replace(problem, address=address) for problem in doc.problems]
    root = doc.root
    if root is None or (isinstance(root, y.Scalar) and root.value is None and not problems):
        return None, problems  # an empty document: nothing to do
    if not doc.complete:
        return None, problems
    if not isinstance(root, y.Mapping):
        problems.append(
            Problem(
                f"a document must be a mapping, not {y.describe(root)}",
                root.location,
                remedy="start it with apiVersion: reconciler/v1, kind, metadata and spec",
            )
        )
        return None, problems
    kind_problem = _check_kind(root, kinds)
    if kind_problem is not None:
        problems.append(kind_problem)
        return None, problems
    kind_node = root.get("kind")
    assert isinstance(kind_node, y.Scalar) and kind_node.value is not None
    kind = kinds[kind_node.value]
    model = kind.document
    try:
        document = model.model_validate(y.to_data(root))
    except ValidationError as exc:
        problems.extend(problems_from(exc, root, model, address, root.location))
        return None, problems
    name_node = find(root, ("metadata", "name"))
    location = name_node.location if name_node is not None else root.location
    base = DocumentBase(document.metadata.name, context.file, location, root)  # type: ignore[attr-defined]
    manifest, found = kind.manifest(document, base, context)
    return manifest, problems + found


def _check_kind(root: y.Mapping, kinds: Collection[str]) -> Problem | None:
    node = root.get("kind")
    names = ", ".join(kinds)
    if node is None:
        return Problem('missing required field "kind"', root.location, remedy=f"add kind: one of {names}")
    if not isinstance(node, y.Scalar) or node.value is None:
        return Problem(f"kind must be one of {names}, not {y.describe(node)}", node.location)
    if node.value in kinds:
        return None
    if node.value == "Project":
        return Problem(
            "kind Project belongs in reconciler.yaml at the project root",
            node.location,
            remedy="move this document to reconciler.yaml, or leave it out of the manifest directories",
        )
    guess = suggest(node.value, kinds)
    return Problem(
        f'unknown kind "{node.value}"',
        node.location,
        remedy=f'did you mean "{guess}"?' if guess else f"use one of {names}",
    )
