"""Fakes for the pure core: in-memory sources built from plain rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from reconciler.errors import Location
from reconciler.model.state import (
    DesiredMember,
    DesiredMembership,
    DesiredRecordSet,
    Guard,
    Policy,
    SourceRecord,
)


@dataclass(frozen=True)
class ListSource:
    rows: Sequence[Mapping[str, str]]
    key: str = "VENDOR_URN"

    def iter_records(self) -> Iterator[SourceRecord]:
        for number, row in enumerate(self.rows, start=2):
            yield SourceRecord(row[self.key], row, Location("records.csv", number, 1))

    def digest(self) -> str:
        return hashlib.sha256(repr(self.rows).encode()).hexdigest()


@dataclass(frozen=True)
class MemberList:
    members: Sequence[DesiredMember]

    def iter_members(self) -> Iterator[DesiredMember]:
        yield from self.members

    def digest(self) -> str:
        return "members"


def record_set(
    rows: Sequence[Mapping[str, str]],
    fields: tuple[str, ...] = ("FirstName", "MobilePhone"),
    *,
    absent: Policy = Policy(),
    dedupe: Policy = Policy("report"),
    guard: Guard = Guard(),
) -> DesiredRecordSet:
    return DesiredRecordSet(
        "RecordSet/spring",
        Location("manifests/records.yaml", 1, 1),
        "Dataset/spring",
        "VENDOR_URN",
        fields,
        ListSource(rows),
        absent=absent,
        dedupe=dedupe,
        guard=guard,
    )


def membership(members: Sequence[DesiredMember], *, remove_absent: bool = False) -> DesiredMembership:
    return DesiredMembership(
        "CampaignMembership/winback",
        Location("manifests/members.yaml", 1, 1),
        125,
        MemberList(members),
        remove_absent=remove_absent,
    )
