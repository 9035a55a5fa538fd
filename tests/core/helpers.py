"""Fakes for the pure core: in-memory sources built from plain rows, and the desired state of each kind."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from reconciler.errors import Location, Problem
from reconciler.kinds.membership import DesiredMembership
from reconciler.kinds.recordset import DesiredRecordSet
from reconciler.model.state import DesiredMember, Guard, Policy, SourceRecord


def rows_frame(rows: Sequence[Mapping[str, str]]) -> pl.DataFrame:
    """Rows as the frame a record source gives: a text column per field any row has ("" where one lacks it)."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    return pl.DataFrame(
        {name: [row.get(name, "") for row in rows] for name in names}, schema=dict.fromkeys(names, pl.String)
    )


@dataclass(frozen=True)
class ListSource:
    rows: Sequence[Mapping[str, str]]
    key: str = "VENDOR_URN"

    def iter_records(self) -> Iterator[SourceRecord]:
        for number, row in enumerate(self.rows, start=2):
            yield SourceRecord(row[self.key], row, Location("records.csv", number, 1))

    def check(self) -> list[Problem]:
        return []

    def frame(self) -> pl.DataFrame:
        return rows_frame(self.rows)

    def digest(self) -> str:
        return hashlib.sha256(repr(self.rows).encode()).hexdigest()


@dataclass(frozen=True)
class MemberList:
    members: Sequence[DesiredMember]

    def iter_members(self) -> Iterator[DesiredMember]:
        yield from self.members

    def check(self) -> list[Problem]:
        return []

    def frame(self) -> None:
        return None

    def frame_member(self, line: int, customer_id: str, schedule: str) -> DesiredMember:
        raise AssertionError("a list of members has no frame")

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
        dataset_address="Dataset/spring",
        key="VENDOR_URN",
        fields=fields,
        source=ListSource(rows),
        absent=absent,
        dedupe=dedupe,
        guard=guard,
    )


def membership(members: Sequence[DesiredMember], *, remove_absent: bool = False) -> DesiredMembership:
    return DesiredMembership(
        "CampaignMembership/winback",
        Location("manifests/members.yaml", 1, 1),
        campaign=125,
        source=MemberList(members),
        remove_absent=remove_absent,
    )
