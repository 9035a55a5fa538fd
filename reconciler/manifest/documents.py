"""Manifest documents: one class per kind, built from a composed YAML document.

Each keeps its validated spec, its address (`Kind/name`), its file and the node tree, so that any later error
can point at a spec field: `manifest.location_of("spec.priority")`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import ClassVar

from pydantic import ValidationError

from reconciler.errors import Location, ManifestError, Problem

from . import yaml_loader as y
from .models import (
    DOCUMENT_MODELS,
    KINDS,
    CampaignMembershipDocument,
    CampaignMembershipSpec,
    DatasetDocument,
    DatasetSpec,
    RecordSetDocument,
    RecordSetSpec,
)
from .rows import SourceMember, SourceRow, managed_fields, scan_members, scan_records
from .sources import SourceFile, SourcePathError, file_digest, resolve_source
from .validation import find, problems_from, suggest


@dataclass(frozen=True, eq=False)
class ManifestDocument:
    """What every manifest document has: name, file, location and the YAML it came from."""

    KIND: ClassVar[str] = ""

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


@dataclass(frozen=True, eq=False)
class DatasetManifest(ManifestDocument):
    KIND: ClassVar[str] = "Dataset"

    spec: DatasetSpec = field(kw_only=True)


@dataclass(frozen=True, eq=False)
class RecordSetManifest(ManifestDocument):
    KIND: ClassVar[str] = "RecordSet"

    spec: RecordSetSpec = field(kw_only=True)
    source: SourceFile | None = field(kw_only=True, default=None)
    """The resolved source file, or None for inline rows."""

    @property
    def managed_fields(self) -> tuple[str, ...]:
        """The key first, then the managed fields, each once."""
        return managed_fields(self.spec)

    def iter_rows(self) -> Iterator[SourceRow]:
        """Stream the rows. Raises ManifestError at the first row that cannot be used. Key uniqueness is
        checked by load_project(check_sources=True), not here."""
        for item in scan_records(self.spec, self.node_at("spec.rows"), self.source):
            if isinstance(item, Problem):
                raise ManifestError([replace(item, address=self.address)])
            yield item

    def source_digest(self) -> str:
        """sha256 hex of the source file's bytes, or of the canonical JSON of the inline rows."""
        if self.source is not None:
            return file_digest(self.source)
        digest = hashlib.sha256()
        for row in self.iter_rows():
            digest.update(json.dumps(row.values, sort_keys=True, ensure_ascii=False).encode())
            digest.update(b"\n")
        return digest.hexdigest()

    def node_at(self, path: str) -> y.Node | None:
        return find(self.node, path.split("."))


@dataclass(frozen=True, eq=False)
class MembershipManifest(ManifestDocument):
    KIND: ClassVar[str] = "CampaignMembership"

    spec: CampaignMembershipSpec = field(kw_only=True)
    source: SourceFile | None = field(kw_only=True, default=None)
    """The resolved source file, or None for inline members."""

    def iter_members(self) -> Iterator[SourceMember]:
        """Stream the members. Raises ManifestError at the first member that cannot be used. Uniqueness of
        customer ids is checked by load_project(check_sources=True), not here."""
        for item in scan_members(self.spec, find(self.node, ("spec", "members")), self.source):
            if isinstance(item, Problem):
                raise ManifestError([replace(item, address=self.address)])
            yield item

    def source_digest(self) -> str:
        """sha256 hex of the source file's bytes, or of the canonical JSON of the inline members."""
        if self.source is not None:
            return file_digest(self.source)
        digest = hashlib.sha256()
        for member in self.iter_members():
            entry = {
                "customer-id": member.customer_id,
                "schedule": member.schedule.text if member.schedule else None,
            }
            digest.update(json.dumps(entry, sort_keys=True).encode())
            digest.update(b"\n")
        return digest.hexdigest()


Manifest = DatasetManifest | RecordSetManifest | MembershipManifest


@dataclass(frozen=True)
class FileContext:
    """Where a manifest file sits: its path as given, its display name, its directory relative to the root."""

    file: Path
    display: str
    rel_dir: PurePosixPath
    root_real: Path
    root_display: str


def document_address(root: y.Node | None) -> str | None:
    """`Kind/name` when both are written as text, for problems found before the document is validated."""
    if not isinstance(root, y.Mapping):
        return None
    kind, metadata = root.get("kind"), root.get("metadata")
    name = metadata.get("name") if isinstance(metadata, y.Mapping) else None
    if isinstance(kind, y.Scalar) and kind.value in KINDS and isinstance(name, y.Scalar) and name.value:
        return f"{kind.value}/{name.value}"
    return None


def build_manifest(doc: y.YamlDocument, context: FileContext) -> tuple[Manifest | None, list[Problem]]:
    """Validate one composed document. Returns the manifest, or None with the reasons why not."""
    address = document_address(doc.root)
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
    kind_problem = _check_kind(root)
    if kind_problem is not None:
        problems.append(kind_problem)
        return None, problems
    kind_node = root.get("kind")
    assert isinstance(kind_node, y.Scalar) and kind_node.value is not None
    kind = kind_node.value
    model = DOCUMENT_MODELS[kind]
    try:
        document = model.model_validate(y.to_data(root))
    except ValidationError as exc:
        problems.extend(problems_from(exc, root, model, address, root.location))
        return None, problems
    name_node = find(root, ("metadata", "name"))
    location = name_node.location if name_node is not None else root.location
    name = document.metadata.name
    address = f"{kind}/{name}"
    if isinstance(document, DatasetDocument):
        manifest: Manifest = DatasetManifest(name, context.file, location, root, spec=document.spec)
    elif isinstance(document, RecordSetDocument):
        source, problem = _resolve(document.spec.source, root, context, address)
        if problem is not None:
            problems.append(problem)
        manifest = RecordSetManifest(name, context.file, location, root, spec=document.spec, source=source)
    else:
        assert isinstance(document, CampaignMembershipDocument)
        source, problem = _resolve(document.spec.source, root, context, address)
        if problem is not None:
            problems.append(problem)
        manifest = MembershipManifest(name, context.file, location, root, spec=document.spec, source=source)
    return manifest, problems


def _check_kind(root: y.Mapping) -> Problem | None:
    node = root.get("kind")
    kinds = ", ".join(KINDS)
    if node is None:
        return Problem('missing required field "kind"', root.location, remedy=f"add kind: one of {kinds}")
    if not isinstance(node, y.Scalar) or node.value is None:
        return Problem(f"kind must be one of {kinds}, not {y.describe(node)}", node.location)
    if node.value in KINDS:
        return None
    if node.value == "Project":
        return Problem(
            "kind Project belongs in reconciler.yaml at the project root",
            node.location,
            remedy="move this document to reconciler.yaml, or leave it out of the manifest directories",
        )
    guess = suggest(node.value, KINDS)
    return Problem(
        f'unknown kind "{node.value}"',
        node.location,
        remedy=f'did you mean "{guess}"?' if guess else f"use one of {kinds}",
    )


def _resolve(
    text: str | None, root: y.Mapping, context: FileContext, address: str
) -> tuple[SourceFile | None, Problem | None]:
    if text is None:
        return None, None
    try:
        return resolve_source(text, context.rel_dir, context.root_real, context.root_display), None
    except SourcePathError as exc:
        node = find(root, ("spec", "source"))
        location = node.location if node is not None else root.location
        return None, Problem(exc.reason, location, address, exc.remedy)
