"""What a resource kind is, and what generic code gives it.

A kind is one unit (one module of reconciler/kinds/) that holds its whole slice of the pipeline:

1. its document model (pydantic) and manifest document, and the checks across documents and through its rows;
2. its desired state (a `Desired`), built from a manifest;
3. how it plans: it reads what it needs of the live state through the provider contract, and adds changes,
   observations, problems and a digest of what it read to the `PlanContext`;
4. its guard rules: a `Verdict` for each risk one of its changes takes that needs acknowledgement;
5. its apply steps, each tagged with a `Phase`; the runner runs every change's steps in phase order;
6. its export: documents (and data files) that reproduce the live objects of its kind.

Generic code (the loader, planner, runner, scope, export and schema generation) iterates the registry
(reconciler/kinds/__init__.py) and never names a kind. Heavy machinery stays in libraries a kind calls: the
streaming diffs (reconciler/diff/), row scanning (reconciler/manifest/rows.py) and CSV writers (export/).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from ..apply.steps import Step
from ..errors import Location, ManifestError, Problem, ReconcilerError
from ..manifest import DocumentBase, FileContext, ManifestDocument, Project
from ..manifest.documents import DocumentIndex, SourcedDocument
from ..model.state import Guard
from ..plan.changes import Change, Observation
from ..plan.guards import Verdict
from ..providers.base import ContactNowApi, Progress, Target

T = TypeVar("T")
M = TypeVar("M", bound=ManifestDocument)


@dataclass(frozen=True)
class Desired:
    """What one manifest document asks for: its address and where it was written. Each kind subclasses it."""

    address: str
    location: Location
    spots: Mapping[str, Location] = field(default_factory=dict, kw_only=True, compare=False, repr=False)
    """Where each spec value a plan may find fault with was written (e.g. "spec.campaign")."""

    def at(self, path: str) -> Location:
        """Where `path` (e.g. "spec.queue", "spec.fields.Nickname") was written; else the document."""
        return self.spots.get(path, self.location)

    def needs(self) -> tuple[str, ...]:
        """The addresses this resource reads when it is planned and applied (its dependencies)."""
        return ()

    def check_source(self) -> list[Problem]:
        """Every problem of the rows of its source file, checked while the live state streams in ([] when it
        has none, or when they were checked when the project loaded)."""
        return []


D = TypeVar("D", bound=Desired)


def contactnow_for(items: Sequence[Desired], ctx: PlanContext) -> ContactNowApi | None:
    """The target's ContactNow provider for planning `items`; None when there are none, or when the target has no
    ContactNow API (each item's problem is then reported)."""
    provider = ctx.target.contactnow
    if items and provider is None:
        ctx.problems.extend(no_api(ctx.target.name, item, "ContactNow", "contactnow") for item in items)
    return provider if items else None


def no_api(target: str, item: Desired, api: str, block: str) -> Problem:
    """The problem of a resource whose target does not configure the API it needs."""
    return Problem(
        f"target {target} has no {api} API configured",
        item.location,
        item.address,
        f"add a {block} block to target {target} in reconciler.yaml",
    )


class SourceDigests(Mapping[str, str]):
    """Address -> sha256 of its source, each worked out on a thread from the moment the desired state is made: the
    plan writes them only when it is done, and hashing a source of millions of rows reads the whole file (0.1 s
    per 120 MB, and JSON Lines are about three times the size). A digest that is None (a document without rows)
    is left out; an error raises where the digests are first read."""

    def __init__(self, jobs: Mapping[str, Future[str | None]]) -> None:
        self._jobs = dict(jobs)
        self._lock = threading.Lock()
        self._done: dict[str, str] | None = None

    @classmethod
    def start(cls, jobs: Mapping[str, Callable[[], str | None]]) -> SourceDigests:
        pool = ThreadPoolExecutor(1, thread_name_prefix="source-digest")
        futures = {address: pool.submit(job) for address, job in jobs.items()}
        pool.shutdown(wait=False)  # the thread ends when the last job has
        return cls(futures)

    def only(self, keep: Collection[str]) -> SourceDigests:
        return SourceDigests({address: job for address, job in self._jobs.items() if address in keep})

    def _digests(self) -> dict[str, str]:
        with self._lock:
            if self._done is None:
                results = {address: job.result() for address, job in self._jobs.items()}
                self._done = {address: digest for address, digest in results.items() if digest is not None}
            return self._done

    def __getitem__(self, address: str) -> str:
        return self._digests()[address]

    def __iter__(self) -> Iterator[str]:
        return iter(self._digests())

    def __len__(self) -> int:
        return len(self._digests())


@dataclass(frozen=True)
class DesiredState:
    """Everything the manifests ask for, sorted by address."""

    items: tuple[Desired, ...] = ()
    guard: Guard = Guard()
    source_digests: SourceDigests = field(default_factory=lambda: SourceDigests({}))
    """Address -> sha256 of its source (file bytes, or inline rows); a changed source makes a saved plan stale."""

    def of(self, kind: type[D]) -> tuple[D, ...]:
        return tuple(item for item in self.items if isinstance(item, kind))

    def get(self, address: str) -> Desired | None:
        return next((item for item in self.items if item.address == address), None)

    def addresses(self) -> tuple[str, ...]:
        """Every address, sorted."""
        return tuple(sorted(item.address for item in self.items))

    def dependants(self, address: str) -> tuple[str, ...]:
        """The addresses of the resources that need `address`, sorted."""
        return tuple(sorted(item.address for item in self.items if address in item.needs()))

    def restrict(self, addresses: Collection[str]) -> DesiredState:
        """The part at `addresses`; the rest is left out whole, source digests included, so that a plan of it
        reads and reports nothing else."""
        keep = frozenset(addresses)
        return replace(
            self,
            items=tuple(item for item in self.items if item.address in keep),
            source_digests=self.source_digests.only(keep),
        )


class LiveReads:
    """Live reads that several kinds (or both rounds of a scoped plan) need, each made once: an account's
    catalog, the datasets of a campaign table, a campaign's settings."""

    def __init__(self) -> None:
        self._values: dict[Hashable, object] = {}

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        if key not in self._values:
            self._values[key] = read()
        return self._values[key]  # type: ignore[return-value]


Reading = Callable[[str], AbstractContextManager[Progress]]
"""Shows a live read as it goes: given what is read, a context yielding a callback told each batch's rows."""


def _not_shown(label: str) -> AbstractContextManager[Progress]:
    return nullcontext(_count_nothing)


def _count_nothing(rows: int) -> None:
    return None


def _no_secret(name: str) -> str:
    return ""


def counted(items: Iterable[T], advance: Progress, size: Callable[[T], int]) -> Iterator[T]:
    """The items, telling `advance` how many rows each holds as it passes."""
    for item in items:
        advance(size(item))
        yield item


class PlanContext:
    """What a kind plans with (the target, the clock, the whole desired state, shared reads) and what it adds
    to the plan. Kinds are planned in registry order, so a kind can use the facts an earlier kind published
    (a record set learns its dataset's live id and status from the Dataset kind)."""

    def __init__(
        self,
        desired: DesiredState,
        target: Target,
        now: datetime,
        reads: LiveReads,
        *,
        metadata_only: bool = False,
        reading: Reading | None = None,
        keep_going: bool = False,
        secret: Callable[[str], str] | None = None,
    ) -> None:
        self.desired = desired
        self.target = target
        self.now = now
        self.reads = reads
        self.reading: Reading = reading or _not_shown
        """A counter for a long live read: `with ctx.reading("RecordSet/x: live records") as advance:`."""
        self.secret: Callable[[str], str] = secret or _no_secret
        """The value of an environment variable a manifest names for a secret (a suppression list's key)."""
        self.keep_going = keep_going
        """Report a resource whose live read fails, and plan the others (drift); else the failure is raised."""
        self.failures: list[Problem] = []
        """Resources whose live state could not be read, with why (only when keep_going)."""
        self.metadata_only = metadata_only
        """Check only what the manifests reference (tables, fields, queues, codes, campaigns): read no rows,
        make no changes (`reconciler check`)."""
        self.changes: list[Change] = []
        self.observations: list[Observation] = []
        self.problems: list[Problem] = []
        self.live: dict[str, str] = {}
        """Address -> digest of the live state read for it."""
        self.live_rows: dict[str, int] = {}
        """Address -> how many live rows it has: the base of its mass-change guard."""
        self._facts: dict[str, object] = {}
        self._sources: dict[str, list[Problem]] = {}

    def publish(self, address: str, fact: object) -> None:
        """Tell the kinds planned later what was learnt of `address` (e.g. the live dataset it matched)."""
        self._facts[address] = fact

    def fact(self, address: str, kind: type[T]) -> T | None:
        value = self._facts.get(address)
        return value if isinstance(value, kind) else None

    def published(self, address: str) -> bool:
        return address in self._facts

    @contextmanager
    def attempt(self, *addresses: str) -> Iterator[None]:
        """Plan these resources; when keep_going, a failure to read their live state is recorded against each
        of them (and against nothing else) instead of ending the plan."""
        try:
            yield
        except ReconcilerError as error:
            if not self.keep_going or isinstance(error, ManifestError):
                raise
            for address in addresses:
                self.failures.append(Problem(f"its live state could not be read: {error}", None, address))

    def source_ok(self, item: Desired) -> bool:
        """Check the rows of an item's source file, once per plan; True when they have no problem. Any problem
        found stops the plan before anything is written."""
        if item.address not in self._sources:
            self._sources[item.address] = item.check_source()
        return not self._sources[item.address]

    def source_problems(self) -> list[Problem]:
        return [problem for problems in self._sources.values() for problem in problems]


@dataclass
class ExportContext:
    """What a kind's export reads with and where it writes; kinds export in registry order, so a later kind
    sees what an earlier one exported (`exported`)."""

    target: Target
    options: Any
    """The export's options (export.ExportOptions)."""
    manifests: Path
    """The manifests/ folder being written."""
    header: str
    """The comment every written manifest file starts with."""
    progress: Callable[[str], None]
    files: dict[str, str] = field(default_factory=dict)
    """Relative path -> one line about it (counts and names only)."""
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)
    """Address -> live rows left out, by reason."""
    exported: dict[str, object] = field(default_factory=dict)
    """What a kind exported, for the kinds that export after it (by kind name)."""


class Kind(ABC, Generic[M, D]):
    """A resource kind. Subclasses set the class attributes and implement the abstract methods."""

    name: ClassVar[str]
    """The kind's name as manifests write it, and the first part of its addresses (`Kind/name`)."""
    document: ClassVar[type[BaseModel]]
    """The pydantic model of its whole document (apiVersion, kind, metadata, spec)."""
    manifest_type: ClassVar[type[ManifestDocument]]
    plural: ClassVar[str]
    """How a count of its documents is said ("3 datasets")."""
    unit: ClassVar[str] = ""
    """What its row counts count ("records"); empty when its changes have none."""

    @property
    def schema_file(self) -> str:
        return f"{self.name.lower()}.schema.json"

    @property
    def title(self) -> str:
        return f"reconciler {self.name} manifest"

    def address(self, name: str) -> str:
        return f"{self.name}/{name}"

    # ---------------------------------------------------------------------------------------- manifests

    @abstractmethod
    def manifest(self, document: Any, base: DocumentBase, context: FileContext) -> tuple[M, list[Problem]]:
        """The manifest built from a validated document, with any problem found on the way."""

    def check_documents(self, index: DocumentIndex) -> list[Problem]:
        """Problems between its documents and the others that the models alone cannot see."""
        return []

    def check_rows(self, manifest: M, *, files: bool) -> list[Problem]:
        """Every problem of a document's rows: inline rows always, a source file's only when `files`."""
        return []

    def mine(self, index: DocumentIndex) -> list[M]:
        """Its own documents in an index."""
        return [item for item in index.manifests if isinstance(item, self.manifest_type)]  # type: ignore[misc]

    @abstractmethod
    def desired(self, manifest: M, project: Project) -> D:
        """What a document asks for."""

    def source_digest(self, manifest: M) -> str | None:
        """sha256 hex of the document's rows (file bytes, or inline rows); None when it has none."""
        return None

    # --------------------------------------------------------------------------------------------- plan

    @abstractmethod
    def plan(self, items: Sequence[D], ctx: PlanContext) -> None:
        """Read what these items need of the live state and add what changes to `ctx`."""

    def guards(self, change: Change, item: D, live_rows: int) -> list[Verdict]:
        """The verdicts on a change, one per risk it takes that needs acknowledgement ([] when none);
        `live_rows` is the resource's live row count, the base of mass-change guards."""
        return []

    def blocks_dependants(self, change: Change) -> str | None:
        """Why resources that need this one cannot be applied before this change is (None: they can)."""
        return None

    def holds_for_dependants(self, change: Change, dependant: str) -> tuple[str, str] | None:
        """Why this change must not be applied while `dependant`, a resource that needs it, still has changes
        to make, and the remedy; None when it can."""
        return None

    # -------------------------------------------------------------------------------------------- apply

    @abstractmethod
    def steps(self, change: Change, item: D) -> list[Step]:
        """The steps that carry out a change, each tagged with its phase."""

    # ------------------------------------------------------------------------------------------- export

    def prepare_export(self, ctx: ExportContext) -> None:
        """Check the export's options and read what must be known before anything is written (every kind's
        runs before any kind's `export`, so a bad option is refused before the long reads)."""
        return None

    def export(self, ctx: ExportContext) -> None:
        """Write the documents (and data files) that reproduce the live objects of this kind."""
        return None


S = TypeVar("S", bound=SourcedDocument[Any])


class SourcedKind(Kind[S, D]):
    """A kind whose documents take their rows from a source file or inline (`spec.source`, a SourcedDocument):
    it builds them with their resolved source, and their digest is their source's."""

    manifest_type: ClassVar[type[SourcedDocument[Any]]]

    def manifest(self, document: Any, base: DocumentBase, context: FileContext) -> tuple[S, list[Problem]]:
        source, problem = context.resolve(document.spec.source, base.node, self.address(base.name))
        made = self.manifest_type(
            base.name, base.file, base.location, base.node, spec=document.spec, source=source
        )
        return made, [] if problem is None else [problem]  # type: ignore[return-value]

    def source_digest(self, manifest: S) -> str:
        return manifest.source_digest()


class Registry:
    """The registered kinds, in planning order: a kind comes after the kinds it needs."""

    def __init__(self, kinds: Sequence[Kind[Any, Any]]) -> None:
        self.kinds = tuple(kinds)
        self._by_name = {kind.name: kind for kind in self.kinds}
        if len(self._by_name) != len(self.kinds):
            raise ValueError("two kinds share a name")

    def __iter__(self) -> Iterator[Kind[Any, Any]]:
        return iter(self.kinds)

    def names(self) -> tuple[str, ...]:
        return tuple(kind.name for kind in self.kinds)

    def get(self, name: str) -> Kind[Any, Any]:
        return self._by_name[name]

    def of(self, address: str) -> Kind[Any, Any]:
        """The kind of an address (`Kind/name`)."""
        return self._by_name[address.split("/", 1)[0]]
