"""`suppress:` on a CampaignMembership: members whose CRM customer id is on a customer-id list, or whose
`phone` hint column is on a phone list, are not added, and live ones are treated as absent.

Contact Center's API gives no member's phone number, so the hint is read from the membership's own source and
never sent; members without one are counted as not checkable against the phone lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

from pydantic import Field

from ..errors import Location, Problem
from ..manifest.columns import read_columns
from ..manifest.documents import DocumentIndex, ManifestDocument
from ..manifest.rows import CUSTOMER_ID_COLUMN
from ..manifest.sources import SourceFile, read_rows
from ..manifest.spec import Name, SpecModel
from ..model.state import LiveMembers
from ..plan.changes import Observation
from .base import PlanContext
from .suppress import CHUNK_ROWS, Screen, Screening, list_problems
from .suppression_list import SUPPRESSION_LIST, LoadedList

if TYPE_CHECKING:
    import polars as pl


PHONE_HINT = "phone"


class MemberSuppressSpec(SpecModel):
    """Members whose `phone` hint column is on these lists are not added; live ones are treated as absent."""

    lists: tuple[Name, ...] = Field(
        min_length=1, description="metadata.name of each SuppressionList to apply"
    )


@dataclass(frozen=True)
class MemberScreen:
    lists: tuple[str, ...]
    location: Location


def member_screen_of(spec: MemberSuppressSpec | None, manifest: ManifestDocument) -> MemberScreen | None:
    if spec is None:
        return None
    lists = tuple(SUPPRESSION_LIST.address(name) for name in spec.lists)
    return MemberScreen(lists, manifest.location_of("spec.suppress"))


def check_member_suppress(
    manifest: ManifestDocument, spec: MemberSuppressSpec | None, index: DocumentIndex
) -> list[Problem]:
    if spec is None:
        return []
    return list_problems(manifest, spec.lists, index)


@dataclass(frozen=True)
class ScreenedMembers:
    """A member source without the suppressed members (a MemberSource). Read row by row when any member is
    suppressed, so that every member keeps the location its row gives it."""

    inner: Any
    suppressed: frozenset[str]

    def iter_members(self) -> Iterator[Any]:
        return (member for member in self.inner.iter_members() if member.customer_id not in self.suppressed)

    def check(self) -> list[Problem]:
        return list(self.inner.check())

    def frame(self) -> pl.DataFrame | None:
        return self.inner.frame() if not self.suppressed else None

    def frame_member(self, row: int, customer_id: str, schedule: str) -> Any:
        return self.inner.frame_member(row, customer_id, schedule)

    def digest(self) -> str:
        return str(self.inner.digest())


class MemberScreening:
    """One membership's suppression in one plan: the source members whose phone hint is on a phone list, or
    whose customer id is on a customer-id list."""

    def __init__(self, address: str, screen: MemberScreen, lists: Sequence[LoadedList]) -> None:
        self.address = address
        self.screen = screen
        self.lists = lists
        self.phone_lists = [item for item in lists if item.entries.values == "phone"]
        self.id_lists = [item for item in lists if item.entries.values != "phone"]
        matched = Screen(screen.lists, (PHONE_HINT,), None, "", screen.location)
        self.matcher = Screening(address, matched, self.phone_lists, [])
        self.suppressed: set[str] = set()
        self.members = 0
        self.no_hint = 0
        self.live_suppressed = 0

    @classmethod
    def start(cls, address: str, screen: MemberScreen, ctx: PlanContext) -> MemberScreening | None:
        lists = [ctx.fact(name, LoadedList) for name in screen.lists]
        loaded = [item for item in lists if item is not None]
        return cls(address, screen, loaded) if len(loaded) == len(lists) else None

    def read_source(self, source: SourceFile | None, inline: Sequence[tuple[str, str]]) -> None:
        """The customer ids and phone hints of a source file, or of inline members (`inline`: each one's id and
        phone hint, "" for none)."""
        import polars as pl

        if source is None:
            ids = pl.Series([customer for customer, _ in inline], dtype=pl.String)
            self._chunk(ids, pl.Series([phone for _, phone in inline], dtype=pl.String))
            return
        frame = read_columns(source, (CUSTOMER_ID_COLUMN,), (PHONE_HINT,), text_only=frozenset((PHONE_HINT,)))
        if frame is not None:
            for chunk in frame.iter_slices(CHUNK_ROWS):
                self._chunk(chunk.get_column(CUSTOMER_ID_COLUMN), chunk.get_column(PHONE_HINT))
            return
        rows = (item for item in read_rows(source, (CUSTOMER_ID_COLUMN,)) if not isinstance(item, Problem))
        while batch := list(islice(rows, CHUNK_ROWS)):
            texts = [_cell_text(row.cells.get(CUSTOMER_ID_COLUMN)) for row in batch]
            hints = [_cell_text(row.cells.get(PHONE_HINT)) for row in batch]
            self._chunk(pl.Series(texts, dtype=pl.String), pl.Series(hints, dtype=pl.String))

    def _chunk(self, ids: pl.Series, hints: pl.Series) -> None:
        tally = self.matcher.source
        if self.phone_lists:
            hit, _, _ = self.matcher._hits([hints], None, tally)
            self.no_hint += int((hints.fill_null("").str.strip_chars() == "").sum())
        else:
            hit = ids.is_null()
        hit = hit | self._on_id_lists(ids, count=True)
        self.members += len(ids)
        if hit.any():
            self.suppressed.update(ids.filter(hit).to_list())

    def _on_id_lists(self, ids: pl.Series, *, count: bool = False) -> pl.Series:
        from ..suppression.importer import customer_ids

        hit = ids.is_null()
        readable = customer_ids(ids)
        for loaded in self.id_lists:
            listed = loaded.entries.matches(readable)
            if count:
                self.matcher.source.by_list[loaded.name] += int(listed.sum())
            hit = hit | listed
        return hit

    def tap(self, pieces: Iterable[LiveMembers]) -> Iterator[LiveMembers]:
        """The live members, passed on; those on a list (by their source hint, or by id) are counted."""
        import polars as pl

        for piece in pieces:
            yield piece
            ids = pl.Series(piece.customer_ids, dtype=pl.String)
            listed = self._on_id_lists(ids) if self.id_lists else ids.is_null()
            known = ids.is_in(pl.Series(sorted(self.suppressed), dtype=pl.String).implode())
            self.live_suppressed += int((listed | known).sum())

    def observations(self, removes: bool) -> list[Observation]:
        tally = self.matcher.source
        per_list = "; ".join(f"{item.name} {tally.by_list[item.name]:,}" for item in self.lists)
        how = (
            "phone hint"
            if not self.id_lists
            else "customer id"
            if not self.phone_lists
            else "id or phone hint"
        )
        found = [
            Observation(
                self.address,
                "suppression",
                f"{len(self.suppressed):,} of {self.members:,} members suppressed by their {how} ({per_list}): never "
                "added",
                {"suppressed": len(self.suppressed), "rows": self.members},
            )
        ]
        if self.no_hint:
            found.append(
                Observation(
                    self.address,
                    "suppression",
                    f"not checkable: {self.no_hint:,} members (no phone hint)"
                    + (" against the phone lists" if self.id_lists else ""),
                    {"not_checkable": self.no_hint},
                )
            )
        if self.live_suppressed:
            what = (
                "they are removed where the campaign allows (absent: remove)"
                if removes
                else "they stay in the campaign: set absent: remove to take them out"
            )
            found.append(
                Observation(
                    self.address,
                    "compliance",
                    f"{self.live_suppressed:,} live members are on a suppression list; {what}",
                    {"live": self.live_suppressed},
                )
            )
        return found


def _cell_text(cell: object) -> str:
    if cell is None:
        return ""
    return cell if isinstance(cell, str) else str(getattr(cell, "text", ""))
