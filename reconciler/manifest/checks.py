"""Checks that look across documents, or through a whole source.

Across documents: unique addresses here; each kind adds its own (references, natural keys, fields).

Through a source (`check_scanned`): every row is usable, and keys are unique. Uniqueness keeps one 64-bit hash
per key (not the key, not the row); only when a hash repeats is the source read a second time, to name both
lines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TypeVar

from reconciler.errors import Location, Problem
from reconciler.model.fields import is_personal

from .documents import DocumentIndex, DocumentKind, ManifestDocument
from .rows import SourceMember, SourceRow

MAX_PROBLEMS_PER_SOURCE = 100
"""Past this, a source's further problems are counted, not listed."""

T = TypeVar("T", SourceRow, SourceMember)


def check_documents(kinds: Iterable[DocumentKind], index: DocumentIndex) -> list[Problem]:
    """Problems between documents and inside a spec that the models alone cannot see: unique addresses, then
    each kind's own checks (references to other documents, natural keys, fields)."""
    problems = _unique_addresses(list(index.manifests))
    for kind in kinds:
        problems += kind.check_documents(index)
    return problems


def _unique_addresses(manifests: list[ManifestDocument]) -> list[Problem]:
    problems = []
    seen: dict[str, ManifestDocument] = {}
    for manifest in manifests:
        first = seen.get(manifest.address)
        if first is None:
            seen[manifest.address] = manifest
            continue
        problems.append(
            Problem(
                f"duplicate address; it is first defined at {first.location}",
                manifest.location,
                manifest.address,
                "give each document of a kind its own metadata.name",
            )
        )
    return problems


def check_scanned(
    manifest: ManifestDocument,
    scan: Callable[[], Iterator[T | Problem]],
    key_of: Callable[[T], str],
    key_name: str,
) -> list[Problem]:
    """Every problem `scan()` yields (the first MAX_PROBLEMS_PER_SOURCE listed, the rest counted), and every
    repeated key with the line it first appears on. `scan` is called again only when a key hash repeats."""
    problems: list[Problem] = []
    hidden = 0
    first_hidden: Location | None = None
    seen: set[int] = set()
    repeated: set[int] = set()
    for item in scan():
        if isinstance(item, Problem):
            if len(problems) < MAX_PROBLEMS_PER_SOURCE:
                problems.append(replace(item, address=manifest.address))
            else:
                hidden += 1
                first_hidden = first_hidden or item.location
            continue
        digest = _hash(key_of(item))
        if digest in seen:
            repeated.add(digest)
        else:
            seen.add(digest)
    seen.clear()
    if repeated:
        duplicates = _duplicates(manifest, scan, key_of, key_name, repeated)
        room = max(MAX_PROBLEMS_PER_SOURCE - len(problems), 0)
        problems += duplicates[:room]
        if duplicates[room:]:
            hidden += len(duplicates[room:])
            first_hidden = first_hidden or duplicates[room].location
    if hidden:
        where = first_hidden or manifest.location
        problems.append(
            Problem(
                f"{hidden} more problems from here on are not listed",
                where,
                manifest.address,
                "fix the ones listed and validate again",
            )
        )
    return problems


def _duplicates(
    manifest: ManifestDocument,
    scan: Callable[[], Iterator[T | Problem]],
    key_of: Callable[[T], str],
    key_name: str,
    repeated: set[int],
) -> list[Problem]:
    """Second pass, only over keys whose hash repeated: compare the keys themselves and name both lines."""
    first_seen: dict[str, Location] = {}
    problems = []
    personal = is_personal(key_name)
    for item in scan():
        if isinstance(item, Problem):
            continue
        key = key_of(item)
        if _hash(key) not in repeated:
            continue
        first = first_seen.setdefault(key, item.location)
        if first is item.location:
            continue
        shown = f"{key_name} value" if personal else f'{key_name} "{key}"'
        if first.file != item.location.file:
            line = str(first)
        elif first.line == item.location.line:
            line = f"line {first.line}, column {first.column}"
        else:
            line = f"line {first.line}"
        problems.append(
            Problem(
                f"duplicate {shown}; it first appears at {line}",
                item.location,
                manifest.address,
                f"each {key_name} may appear once in a source",
            )
        )
    return problems


def _hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
