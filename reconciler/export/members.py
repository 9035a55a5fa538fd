"""Export the members of one Contact Center campaign to a CSV source (`customer-id,schedule`).

The CC API says whether a member is scheduled (status 4) but not when. A scheduled member is written with a
relative schedule (default `+1d 09:00+00:00`): the plan never compares a relative schedule with the live
state, so it keeps the first plan empty, and it is used only if the member has to be added again. An
absolute time would be a guess, and once in the past it would be a plan error whenever the member had to be
added again.

Members are sorted by customer id (numerically), so the file does not depend on the order the API answers
in. Ids are held packed in an array of 64-bit integers (one bit for "scheduled"), about 8 bytes a member;
ids that do not fit that form are held as text instead.
"""

from __future__ import annotations

import csv
import os
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..model.state import LiveMember, MemberStatus

_PACKABLE = (1 << 62) - 1


@dataclass(frozen=True)
class MemberExport:
    members: int
    scheduled: int


def export_members(live: Iterable[LiveMember], out: Path, scheduled_as: str) -> MemberExport:
    packed = array("q")
    texts: list[tuple[str, bool]] = []
    scheduled = 0
    for member in live:
        flag = member.status is MemberStatus.SCHEDULED
        scheduled += flag
        text = member.customer_id
        if text.isascii() and text.isdigit() and str(int(text)) == text and int(text) <= _PACKABLE:
            packed.append(int(text) << 1 | flag)
        else:
            texts.append((text, flag))
    rows = (
        sorted(
            [*((str(value >> 1), bool(value & 1)) for value in packed), *texts],
            key=lambda item: (len(item[0]), item[0]),
        )
        if texts
        else ((str(value >> 1), bool(value & 1)) for value in sorted(packed))
    )
    temporary = out.with_name(f".{out.name}.partial")
    count = 0
    with temporary.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["customer-id", "schedule"])
        for customer, is_scheduled in rows:
            writer.writerow([customer, scheduled_as if is_scheduled else ""])
            count += 1
    os.replace(temporary, out)
    return MemberExport(count, scheduled)
