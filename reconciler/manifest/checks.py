"""Checks that look across documents, or through a whole source.

Across documents: unique addresses, RecordSet.dataset names a Dataset, one RecordSet per dataset, one
CampaignMembership per campaign, no two Datasets that would match the same live dataset, and managed fields the
dialler does not own.

Through a source: every row or member is usable, and keys are unique. Uniqueness keeps one 64-bit hash per key
(not the key, not the row); only when a hash repeats is the source read a second time, to name both lines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import replace
from typing import TypeVar

from reconciler.errors import Location, Problem
from reconciler.model.fields import VENDOR_OWNED_FIELDS, is_personal

from .documents import DatasetManifest, Manifest, MembershipManifest, RecordSetManifest
from .rows import (
    SourceMember,
    SourceRow,
    phone_fields,
    scan_members,
    scan_records,
    valid_member_frame,
    valid_record_frame,
)
from .validation import find, suggest

MAX_PROBLEMS_PER_SOURCE = 100
"""Past this, a source's further problems are counted, not listed."""

T = TypeVar("T", SourceRow, SourceMember)

_VENDOR_OWNED = {name.casefold(): name for name in VENDOR_OWNED_FIELDS}


def check_documents(manifests: Iterable[Manifest], *, invalid: Collection[str] = ()) -> list[Problem]:
    """Problems between documents and inside a spec that the models alone cannot see. `invalid` holds the
    addresses of documents refused for other reasons: a reference to one of them is not reported again."""
    ordered = list(manifests)
    problems: list[Problem] = []
    problems += _unique_addresses(ordered)
    datasets = {m.name: m for m in ordered if isinstance(m, DatasetManifest)}
    problems += _datasets(ordered)
    owners: dict[str, RecordSetManifest] = {}
    campaigns: dict[int, MembershipManifest] = {}
    for manifest in ordered:
        if isinstance(manifest, RecordSetManifest):
            problems += _record_set_fields(manifest)
            dataset = manifest.spec.dataset
            where = manifest.location_of("spec.dataset")
            if dataset not in datasets and f"Dataset/{dataset}" not in invalid:
                known = [*datasets, *(a.split("/", 1)[1] for a in invalid if a.startswith("Dataset/"))]
                guess = suggest(dataset, known)
                problems.append(
                    Problem(
                        f'dataset "{dataset}" is not the name of a Dataset document',
                        where,
                        manifest.address,
                        f'did you mean "{guess}"?' if guess else "define a Dataset with this metadata.name",
                    )
                )
            elif dataset not in datasets:
                pass
            elif dataset in owners:
                first = owners[dataset]
                problems.append(
                    Problem(
                        f"Dataset/{dataset} already gets its records from {first.address} ({first.location})",
                        where,
                        manifest.address,
                        "a dataset has one RecordSet; merge them",
                    )
                )
            else:
                owners[dataset] = manifest
        elif isinstance(manifest, MembershipManifest):
            campaign = manifest.spec.campaign
            if campaign in campaigns:
                first_membership = campaigns[campaign]
                problems.append(
                    Problem(
                        f"campaign {campaign} already gets its members from {first_membership.address} "
                        f"({first_membership.location})",
                        manifest.location_of("spec.campaign"),
                        manifest.address,
                        "a campaign has one CampaignMembership; merge them",
                    )
                )
            else:
                campaigns[campaign] = manifest
    return problems


def _unique_addresses(manifests: list[Manifest]) -> list[Problem]:
    problems = []
    seen: dict[str, Manifest] = {}
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


def _datasets(manifests: list[Manifest]) -> list[Problem]:
    problems = []
    ids: dict[int, DatasetManifest] = {}
    natural: dict[tuple[str, str], DatasetManifest] = {}
    for manifest in manifests:
        if not isinstance(manifest, DatasetManifest):
            continue
        spec = manifest.spec
        if spec.id is not None:
            first = ids.setdefault(spec.id, manifest)
            if first is not manifest:
                problems.append(
                    Problem(
                        f"id {spec.id} is already pinned by {first.address} ({first.location})",
                        manifest.location_of("spec.id"),
                        manifest.address,
                        "each dataset is described once; remove one of them",
                    )
                )
            continue
        pair = (spec.campaign, spec.description)
        other = natural.setdefault(pair, manifest)
        if other is not manifest:
            problems.append(
                Problem(
                    f"same campaign and description as {other.address} ({other.location}), so both would "
                    "match the same live dataset",
                    manifest.location_of("spec.description"),
                    manifest.address,
                    "change one description, or pin each to its dataset with id",
                )
            )
    return problems


def _record_set_fields(manifest: RecordSetManifest) -> list[Problem]:
    spec = manifest.spec
    problems = []
    owned = _VENDOR_OWNED.get(spec.key.casefold())
    if owned is not None:
        problems.append(
            Problem(
                f"key {spec.key} is written by the dialler and cannot identify your records",
                manifest.location_of("spec.key"),
                manifest.address,
                "use VENDOR_URN, the default, or a custom field that holds your own id",
            )
        )
    seen: dict[str, int] = {}
    for index, name in enumerate(spec.fields):
        where = manifest.location_of(f"spec.fields.{index}")
        owned = _VENDOR_OWNED.get(name.casefold())
        if owned is not None:
            problems.append(
                Problem(
                    f"field {name} is written by the dialler and cannot be managed",
                    where,
                    manifest.address,
                    "remove it from fields",
                )
            )
        folded = name.casefold()
        if folded in seen:
            problems.append(
                Problem(
                    f"field {name} is listed twice",
                    where,
                    manifest.address,
                    f"it is already item {seen[folded] + 1} of fields; keep one",
                )
            )
        else:
            seen[folded] = index
    if not phone_fields(spec):
        problems.append(
            Problem(
                "fields name no phone field",
                manifest.location_of("spec.fields"),
                manifest.address,
                "manage at least one of HomePhone, MobilePhone or WorkPhone: ContactNow refuses a record "
                "without a phone number",
            )
        )
    return problems


def check_rows(manifest: RecordSetManifest | MembershipManifest) -> list[Problem]:
    """Stream the rows (or members) once: every problem of every row, and duplicate keys with both lines.

    A large plain CSV source is checked a column at a time first; only when that finds something are the rows
    read one by one, to name each problem with its line."""
    if (
        isinstance(manifest, RecordSetManifest)
        and valid_record_frame(manifest.spec, manifest.source) is not None
    ):
        return []
    if isinstance(manifest, MembershipManifest) and valid_member_frame(manifest.source) is not None:
        return []
    if isinstance(manifest, RecordSetManifest):
        key_name = manifest.spec.key
        rows_node = find(manifest.node, ("spec", "rows"))
        record_spec = manifest.spec
        record_source = manifest.source

        def records() -> Iterator[SourceRow | Problem]:
            return scan_records(record_spec, rows_node, record_source)

        return _check(manifest, records, lambda row: row.values[key_name], key_name)
    members_node = find(manifest.node, ("spec", "members"))
    member_spec = manifest.spec
    member_source = manifest.source

    def members() -> Iterator[SourceMember | Problem]:
        return scan_members(member_spec, members_node, member_source)

    return _check(manifest, members, lambda member: member.customer_id, "customer-id")


def _check(
    manifest: RecordSetManifest | MembershipManifest,
    scan: Callable[[], Iterator[T | Problem]],
    key_of: Callable[[T], str],
    key_name: str,
) -> list[Problem]:
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
    manifest: RecordSetManifest | MembershipManifest,
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
