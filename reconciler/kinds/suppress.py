"""`suppress:` on a RecordSet: the rows and records whose numbers are on a SuppressionList.

    suppress:
      lists: [tps, internal-dnc, erasure]
      match: [HomePhone, MobilePhone, WorkPhone]   # a match on any of them suppresses the record
      consent: {field: TpsOptInDate}               # registry lists skip rows with consent; the others never do
      live: {outcome: 510999}                      # a live record that now matches is completed with this code

A suppressed source row is never created and never updated. A live, open record that matches (its own numbers,
or its source row's) is completed with `live.outcome`, which must be a complete, do-not-call code. Those
completions count toward the mass-change guard, except the ones an erasure list causes: erasure beats every
guard. The plan says how many rows each list suppressed, how many live records will be completed and how often
consent overrode a registry list; never a number or a hash.

The work is done in columns: each match field is turned into E.164 (suppression/phones.py) and looked up in the
lists' sorted hash prefixes (suppression/listfile.py), a chunk of source rows or a page of live records at a
time; only the keys of suppressed rows are kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pydantic import Field

from ..diff.records import RecordDiff, RecordWork
from ..errors import Location, Problem
from ..manifest.documents import DocumentIndex, ManifestDocument
from ..manifest.spec import FieldName, Name, SpecModel
from ..manifest.validation import suggest
from ..model.frames import columns_of
from ..model.state import LiveBatch, RecordSource
from ..plan.changes import Action, Change, Observation, Phase, RowSample
from .base import PlanContext
from .suppression_list import SUPPRESSION_LIST, LoadedList, SuppressionListManifest

if TYPE_CHECKING:
    import polars as pl

CHUNK_ROWS = 200_000
SAMPLE_SIZE = 5
_CLOSED = ("COMPLETE", "EXPIRED")

# ------------------------------------------------------------------------------------------------- document


class ConsentSpec(SpecModel):
    """The field whose value, when set, says the person consented to calls despite a registry listing."""

    field: FieldName = Field(
        description="A managed field; a row with any value in it is not suppressed by "
        "registry lists (internal and erasure lists still suppress it)"
    )


class SuppressLiveSpec(SpecModel):
    """What happens to a live record that now matches a list."""

    outcome: int = Field(
        ge=1, description="The outcome code it is completed with: complete Y and doNotCall Y"
    )


class SuppressSpec(SpecModel):
    """Numbers on these lists are not loaded, and live records that carry one are completed."""

    lists: tuple[Name, ...] = Field(
        min_length=1, description="metadata.name of each SuppressionList to apply"
    )
    match: tuple[FieldName, ...] = Field(
        min_length=1, description="Managed phone fields; a match on any of them suppresses the row"
    )
    consent: ConsentSpec | None = Field(default=None, description="Consent that overrides registry lists")
    live: SuppressLiveSpec = Field(description="How a live record that now matches is completed")


@dataclass(frozen=True)
class Screen:
    """A resource's `suppress:` as planning reads it."""

    lists: tuple[str, ...]
    """The SuppressionList addresses."""
    match: tuple[str, ...]
    consent: str | None
    outcome: str
    location: Location


def screen_of(spec: SuppressSpec | None, manifest: ManifestDocument) -> Screen | None:
    if spec is None:
        return None
    return Screen(
        tuple(SUPPRESSION_LIST.address(name) for name in spec.lists),
        spec.match,
        None if spec.consent is None else spec.consent.field,
        str(spec.live.outcome),
        manifest.location_of("spec.suppress"),
    )


def check_suppress(
    manifest: ManifestDocument, spec: SuppressSpec | None, fields: Sequence[str], index: DocumentIndex
) -> list[Problem]:
    """Its lists are SuppressionList documents; its match and consent fields are managed (the plan reads only
    those, on both sides)."""
    if spec is None:
        return []
    problems = list_problems(manifest, spec.lists, index)
    managed = {name.casefold() for name in fields}
    wanted = [(f"spec.suppress.match.{i}", name) for i, name in enumerate(spec.match)]
    if spec.consent is not None:
        wanted.append(("spec.suppress.consent.field", spec.consent.field))
    for path, name in wanted:
        if name.casefold() not in managed:
            problems.append(
                Problem(
                    f"{name} is not a managed field",
                    manifest.location_of(path),
                    manifest.address,
                    f"add {name} to spec.fields: suppression reads only managed fields, in the source and live",
                )
            )
    return problems


def list_problems(manifest: ManifestDocument, lists: Sequence[str], index: DocumentIndex) -> list[Problem]:
    """Each list named is a SuppressionList document."""
    names = [item.name for item in index.manifests if isinstance(item, SuppressionListManifest)]
    refused = [
        address.split("/", 1)[1]
        for address in index.invalid
        if address.startswith(SUPPRESSION_LIST.address(""))
    ]
    problems = []
    for position, name in enumerate(lists):
        if name not in names and name not in refused:
            guess = suggest(name, names)
            problems.append(
                Problem(
                    f'list "{name}" is not the name of a SuppressionList document',
                    manifest.location_of(f"spec.suppress.lists.{position}"),
                    manifest.address,
                    f'did you mean "{guess}"?'
                    if guess
                    else "define a SuppressionList with this metadata.name",
                )
            )
    return problems


def outcome_problems(screen: Screen, address: str, outcomes: Mapping[str, Any]) -> list[Problem]:
    """The live outcome exists, is complete and is do-not-call (as the outcome codes will be once applied)."""
    code = outcomes.get(screen.outcome)
    where = screen.location
    if code is None:
        reason = f"outcome code {screen.outcome} (spec.suppress.live.outcome) does not exist"
    elif not code.complete or not code.do_not_call:
        flags = f"complete = {'Y' if code.complete else 'N'}, doNotCall = {'Y' if code.do_not_call else 'N'}"
        reason = f"outcome code {screen.outcome} ({code.description}) is not a complete do-not-call outcome ({flags})"
    else:
        return []
    return [Problem(reason, where, address, "name an outcome code whose complete and doNotCall flags are Y")]


# ---------------------------------------------------------------------------------------------- planning


@dataclass
class _Tally:
    rows: int = 0
    suppressed: int = 0
    by_list: Counter[str] = field(default_factory=Counter)
    consent: int = 0
    unreadable: int = 0


class Screening:
    """One record set's suppression in one plan: the source pass, the live tap and the settling of the diff."""

    def __init__(
        self, address: str, screen: Screen, lists: Sequence[LoadedList], spelled: Sequence[str]
    ) -> None:
        self.address = address
        self.screen = screen
        self.lists = lists
        folded = [name.casefold() for name in spelled]
        # The live page's column of each match and consent field (a membership screens no live values).
        column = {name: f"v{index}" for index, name in enumerate(folded)}
        self._live_match = [column[name.casefold()] for name in screen.match if name.casefold() in column]
        self._live_consent = None if screen.consent is None else column.get(screen.consent.casefold())
        self.source = _Tally()
        self.live = _Tally()
        self.suppressed_keys: set[str] = set()
        self.erased_keys: set[str] = set()
        self.suppress_ids: list[int] = []
        self.erase_ids: list[int] = []
        self._source_parts: list[pl.DataFrame] = []
        self._live_parts: list[pl.DataFrame] = []
        self._reading: Future[None] | None = None

    @classmethod
    def start(
        cls, address: str, screen: Screen, spelled: Sequence[str], ctx: PlanContext
    ) -> Screening | None:
        """The screening, or None when a list could not be loaded (its own problem says why)."""
        lists = [ctx.fact(name, LoadedList) for name in screen.lists]
        loaded = [item for item in lists if item is not None]
        if len(loaded) != len(lists):
            return None
        wrong = [item for item in loaded if item.entries.values != "phone"]
        ctx.problems.extend(
            Problem(
                f"{item.desired.address} holds customer ids, not phone numbers: a RecordSet matches phone lists",
                screen.location,
                address,
                "name lists of phone numbers in spec.suppress.lists",
            )
            for item in wrong
        )
        return None if wrong else cls(address, screen, loaded, spelled)

    # ------------------------------------------------------------------------------------------- match

    def _hits(
        self, numbers: Sequence[pl.Series], consent: pl.Series | None, tally: _Tally
    ) -> tuple[pl.Series, pl.Series, dict[str, pl.Series]]:
        """(suppressed, by erasure, suppressed by each list) per row, counted into `tally`."""
        import polars as pl

        size = len(numbers[0]) if numbers else 0
        none = pl.repeat(False, size, dtype=pl.Boolean, eager=True)
        anything, erased, overridden = none, none, none
        consented = none if consent is None else (consent.fill_null("").str.strip_chars() != "")
        readable: dict[str, list[pl.Series]] = {}
        by_list: dict[str, pl.Series] = {}
        for loaded in self.lists:
            region = loaded.entries.region
            if region not in readable:
                readable[region] = [_e164(column, region) for column in numbers]
            hit = none
            for column in readable[region]:
                hit = hit | loaded.entries.matches(column)
            if loaded.type == "registry":
                overridden = overridden | (hit & consented)
                hit = hit & ~consented
            elif loaded.type == "erasure":
                erased = erased | hit
            tally.by_list[loaded.name] += int(hit.sum())
            by_list[loaded.name] = hit
            anything = anything | hit
        if readable:
            first = next(iter(readable.values()))
            unread = none
            for raw, column in zip(numbers, first, strict=True):
                unread = unread | (column.is_null() & (raw.fill_null("").str.strip_chars() != ""))
            tally.unreadable += int(unread.sum())
        tally.rows += size
        tally.suppressed += int(anything.sum())
        tally.consent += int((overridden & ~anything).sum())
        return anything, erased, by_list

    # ------------------------------------------------------------------------------------------ source

    def start_source(self, source: RecordSource, key: str) -> None:
        """Screen the source on a thread of its own, while the diff runs: hashing holds the interpreter, the
        diff's columnar work mostly does not, so the two overlap. `settle` waits for it (and raises its error)."""
        columns = self._columns(source, key)
        pool = ThreadPoolExecutor(1, thread_name_prefix="suppression")
        self._reading = pool.submit(self._screen_columns, columns)
        pool.shutdown(wait=False)

    def _columns(self, source: RecordSource, key: str) -> pl.DataFrame:
        """The key, match and consent columns of the source's frame (taken in the caller's thread, so that the
        frame can be let go of once every reader has its columns)."""
        frame = source.frame()
        wanted = [key, *self.screen.match, *([self.screen.consent] if self.screen.consent else [])]
        return columns_of(frame, {name: name for name in _spelled(frame.columns, wanted)})

    def _screen_columns(self, selected: pl.DataFrame) -> None:
        """Pass over the source's key, match and consent columns: which rows are suppressed."""
        import polars as pl

        names = selected.columns
        for chunk in selected.iter_slices(CHUNK_ROWS):
            self._source_chunk([chunk.get_column(name).cast(pl.String) for name in names])

    def _source_chunk(self, columns: list[pl.Series]) -> None:
        import polars as pl

        keys, numbers = columns[0], columns[1 : 1 + len(self.screen.match)]
        consent = columns[-1] if self.screen.consent else None
        hit, erased, by_list = self._hits(numbers, consent, self.source)
        if hit.any():
            self.suppressed_keys.update(keys.filter(hit).to_list())
            self.erased_keys.update(keys.filter(erased).to_list())
        # What the live side reuses for a record whose numbers and consent are those of its source row.
        self._source_parts.append(
            pl.DataFrame(
                {
                    "key": keys,
                    **{f"m{i}": _digits(column) for i, column in enumerate(numbers)},
                    "consented": _consented(consent, len(keys)),
                    "hit": hit,
                    "erased": erased,
                    **{f"l{i}": by_list[loaded.name] for i, loaded in enumerate(self.lists)},
                }
            )
        )

    # -------------------------------------------------------------------------------------------- live

    def tap(self, batches: Iterable[LiveBatch]) -> Iterator[LiveBatch]:
        """The live pages, passed on as they come; the open records among them are kept (id, key, numbers and
        consent only) to be matched once the read is done (`_match_live`)."""
        import polars as pl

        for batch in batches:
            yield batch
            frame = batch.frame.filter(~pl.col("process_type").is_in(_CLOSED))
            if frame.height == 0:
                continue
            columns = [pl.col(name).alias(f"m{i}") for i, name in enumerate(self._live_match)]
            consent = pl.lit("") if self._live_consent is None else pl.col(self._live_consent)
            self._live_parts.append(frame.select("id", "key", *columns, consent.alias("consent")))

    def _match_live(self) -> None:
        """Which kept live records match. One whose numbers and consent equal its source row's (the common
        case) takes that row's verdict; only the others are normalised and hashed."""
        import polars as pl

        if not self._live_parts:
            return
        live = pl.concat(self._live_parts)
        self._live_parts = []
        count = len(self._live_match)
        live = live.with_columns(
            *(_digits(live.get_column(f"m{i}")).alias(f"d{i}") for i in range(count)),
            _consented(live.get_column("consent"), live.height).alias("given"),
        )
        source = pl.concat(self._source_parts) if self._source_parts else None
        if source is None:
            joined = live.with_columns(pl.lit(None, dtype=pl.Boolean).alias("hit"))
        else:
            joined = live.join(source, on="key", how="left", maintain_order="left")
        same = pl.col("hit").is_not_null() & (pl.col("given") == pl.col("consented"))
        for i in range(count):
            same = same & (pl.col(f"d{i}") == pl.col(f"m{i}_right" if source is not None else f"d{i}"))
        joined = joined.with_columns(same.fill_null(False).alias("same"))
        known = joined.filter(pl.col("same"))
        fresh = joined.filter(~pl.col("same"))
        ids: list[pl.Series] = []
        erasing: list[pl.Series] = []
        if known.height:
            self.live.rows += known.height
            self.live.suppressed += int(known.get_column("hit").sum())
            for i, loaded in enumerate(self.lists):
                self.live.by_list[loaded.name] += int(known.get_column(f"l{i}").sum())
            chosen = known.filter(pl.col("hit"))
            ids.append(chosen.get_column("id"))
            erasing.append(chosen.get_column("erased"))
        if fresh.height:
            numbers = [fresh.get_column(f"m{i}") for i in range(count)]
            hit, erased, _ = self._hits(numbers, fresh.get_column("consent"), self.live)
            # A record whose source row is suppressed is completed too, whatever its live numbers.
            hit = hit | fresh.get_column("hit").fill_null(False)
            erased = erased | fresh.get_column("erased").fill_null(False)
            ids.append(fresh.get_column("id").filter(hit))
            erasing.append(erased.filter(hit))
        for chosen_ids, by_erasure in zip(ids, erasing, strict=True):
            self.erase_ids += chosen_ids.filter(by_erasure).to_list()
            self.suppress_ids += chosen_ids.filter(~by_erasure).to_list()

    # ------------------------------------------------------------------------------------------ settle

    def settle(self, result: RecordDiff, dataset_address: str, dataset_id: int | None) -> RecordDiff:
        """The diff with suppressed rows neither created nor updated, and matching live records completed."""
        if self._reading is not None:
            self._reading.result()
            self._reading = None
        self._match_live()
        observations = [*result.observations, *self._observations()]
        change = result.change
        completing = set(self.suppress_ids) | set(self.erase_ids)
        if change is None and not completing:
            return replace(result, observations=tuple(observations))
        work = change.work if change is not None else None
        if not isinstance(work, RecordWork):
            work = RecordWork(dataset_address, dataset_id=dataset_id)
        held = self.suppressed_keys
        work = replace(
            work,
            create_keys=frozenset(key for key in work.create_keys if key not in held),
            updates={key: value for key, value in work.updates.items() if key not in held},
            complete_ids=tuple(item for item in work.complete_ids if item not in completing),
            dedupe_ids=tuple(item for item in work.dedupe_ids if item not in completing),
            suppress_ids=tuple(self.suppress_ids),
            erase_ids=tuple(self.erase_ids),
            suppress_outcome=self.screen.outcome,
        )
        counts = dict(change.counts) if change is not None else {}
        counts.update(
            create=len(work.create_keys),
            update=len(work.updates),
            complete=len(work.complete_ids),
            dedupe=len(work.dedupe_ids),
            suppress=len(work.suppress_ids),
            erase=len(work.erase_ids),
        )
        counts = {name: value for name, value in counts.items() if value}
        if not any(
            counts.get(name) for name in ("create", "update", "complete", "dedupe", "suppress", "erase")
        ):
            return replace(result, change=None, observations=tuple(observations))
        sample = _sample(change.sample if change is not None else (), work, counts)
        sample += tuple(RowSample(f"#{item}", Action.REMOVE) for item in sorted(completing)[:SAMPLE_SIZE])
        if change is None:
            change = Change(Action.UPDATE, self.address, Phase.RECORDS, depends_on=(dataset_address,))
        fields = Counter(name for _, differing in work.updates.values() for name in differing)
        settled = replace(change, counts=counts, sample=sample, work=work, field_counts=dict(fields))
        return replace(result, change=settled, observations=tuple(observations))

    def _observations(self) -> list[Observation]:
        found = []
        source, live = self.source, self.live
        per_list = "; ".join(f"{name} {source.by_list[name]:,}" for name in self._names())
        found.append(
            Observation(
                self.address,
                "suppression",
                f"{source.suppressed:,} of {source.rows:,} source rows suppressed ({per_list}): never created, "
                "never updated",
                {"suppressed": source.suppressed, "rows": source.rows},
            )
        )
        completing = len(self.suppress_ids) + len(self.erase_ids)
        if completing:
            live_lists = "; ".join(
                f"{name} {live.by_list[name]:,}" for name in self._names() if live.by_list[name]
            )
            erasure = (
                f", {len(self.erase_ids):,} of them by erasure (beyond every guard)" if self.erase_ids else ""
            )
            found.append(
                Observation(
                    self.address,
                    "compliance",
                    f"{completing:,} live records newly match and will be completed with outcome "
                    f"{self.screen.outcome}{erasure}" + (f" ({live_lists})" if live_lists else ""),
                    {"completed": completing, "erasure": len(self.erase_ids)},
                )
            )
        consent = source.consent + live.consent
        if consent:
            found.append(
                Observation(
                    self.address,
                    "suppression",
                    f"consent overrides used on {consent:,} rows ({self.screen.consent}): registry lists did not "
                    "suppress them",
                    {"consent": consent},
                )
            )
        unreadable = source.unreadable
        if unreadable:
            found.append(
                Observation(
                    self.address,
                    "suppression",
                    f"{unreadable:,} source rows hold a phone value that is not a number of the lists' region; "
                    "those values could not be checked",
                    {"unreadable": unreadable},
                )
            )
        return found

    def _names(self) -> list[str]:
        return [loaded.name for loaded in self.lists]


def _sample(
    sample: Sequence[RowSample], work: RecordWork, counts: Mapping[str, int]
) -> tuple[RowSample, ...]:
    """The diff's sample without the rows suppression holds back."""
    kept = []
    left = {Action.CREATE: counts.get("create", 0), Action.UPDATE: counts.get("update", 0)}
    for row in sample:
        if row.action in left:
            named = row.key in work.create_keys or row.key in work.updates
            masked = not named and row.key.startswith("(")
            if not (named or masked) or left[row.action] <= 0:
                continue
            left[row.action] -= 1
        kept.append(row)
    return tuple(kept)


def _digits(column: pl.Series) -> pl.Series:
    """A number as written, without the separators people write (what two writings of it share)."""
    from ..model.fields import PHONE_NOISE

    return column.fill_null("").str.strip_chars().str.replace_all(PHONE_NOISE, "")


def _consented(consent: pl.Series | None, size: int) -> pl.Series:
    import polars as pl

    if consent is None:
        return pl.repeat(False, size, dtype=pl.Boolean, eager=True)
    return consent.fill_null("").str.strip_chars() != ""


def _spelled(available: Sequence[str], wanted: Sequence[str]) -> list[str]:
    folded = {name.casefold(): name for name in available}
    return [name if name in available else folded.get(name.casefold(), name) for name in wanted]


def _e164(column: pl.Series, region: str) -> pl.Series:
    from ..suppression.phones import e164

    return e164(column.fill_null(""), region)
