"""The machine contract: the JSON documents `plan --format json`, `plan --out` and `drift --format json` write.

These models describe the documents exactly (unknown keys are refused), and the JSON Schemas published in
schemas/ are generated from them. `Plan.to_dict()` and `drift_report()` build the documents; a saved plan is
read back through `PlanDocument` so a damaged file is refused with every reason before anything is applied.

Versioning: `version` changes whenever a key is removed or its meaning changes. New optional keys do not change
it, but they are added to these models (and so to the schemas) first.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from .changes import Phase

NAME_PATTERN = r"[a-z0-9][a-z0-9._-]{0,62}"
CHECKSUM_PATTERN = r"^sha256:[0-9a-f]{64}$"

ActionSymbol = Literal["+", "~", "-", "-/+", "!"]
Category = Literal["unmanaged", "churn", "not-removable", "duplicates", "info", "suppression", "compliance"]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldChangeDocument(_Document):
    """One field that differs. Personal fields read "(sensitive)" unless the document says values are shown."""

    field: str
    before: str | None
    after: str | None


class SampleDocument(_Document):
    """One row of a bounded sample of row-level changes: a record key, `#<record id>`, or a customer id."""

    key: str
    action: ActionSymbol
    fields: list[FieldChangeDocument]


class ChangeDocument(_Document):
    """One resource's change. `kind`, `address` and `phase` are narrowed to the registered kinds and the
    phases by `documents()`."""

    action: ActionSymbol = Field(
        description="+ create, ~ update, - complete or remove, -/+ replace, ! irreversible"
    )
    address: str = Field(description="Kind/name of the resource")
    kind: str
    phase: int = Field(description="apply order")
    unit: str = Field(description='what `counts` count ("records", "members"); empty without row counts')
    fields: list[FieldChangeDocument] = Field(description="field-level changes of a Dataset")
    counts: dict[str, int] = Field(
        description="rows per action of a RecordSet or CampaignMembership: create, update, complete, dedupe, "
        "suppress (completed because a suppression list matches), erase (the same by an erasure list), "
        "unchanged, add, remove, reschedule"
    )
    field_counts: dict[str, int] = Field(description="how many rows change each field")
    sample: list[SampleDocument] = Field(description="a bounded sample of the row-level changes")
    notes: list[str]
    depends_on: list[str] = Field(description="addresses whose change must succeed first")


class ObservationDocument(_Document):
    """Something seen that is not a change: unmanaged objects, dialler churn, members that cannot move."""

    address: str
    category: Category
    message: str
    counts: dict[str, int]
    group: str = Field(
        description="where observations are told as counts (unmanaged datasets by table and status), the group "
        "this one counts in; empty otherwise"
    )


class ResourcesDocument(_Document):
    create: int = Field(ge=0)
    change: int = Field(ge=0)
    irreversible: int = Field(ge=0, description="changes that can never be undone (a move to EXPIRED)")


class RowsDocument(_Document):
    create: int = Field(ge=0, description="records and members to create or add")
    change: int = Field(ge=0, description="records to update and members to reschedule")
    remove: int = Field(ge=0, description="records to complete and members to remove")


class SummaryDocument(_Document):
    """Resources (one per change) and the rows inside them, kept apart."""

    resources: ResourcesDocument
    rows: RowsDocument


class ObservedDocument(_Document):
    """Digests of what the plan read. Apply refuses a plan whose live state or sources no longer match."""

    live: dict[str, str] = Field(description="address -> digest of the live state read for it")
    sources: dict[str, str] = Field(description="manifest or source file -> sha256 of its bytes")


class ScopeDocument(_Document):
    """The --only/--exclude addresses a scoped plan or report was made with; absent when unscoped."""

    only: list[str] = Field(description="Kind/name addresses in scope (all when empty)")
    exclude: list[str] = Field(description="Kind/name addresses left out")


class PlanDocument(_Document):
    format: Literal["reconciler-plan"]
    version: Literal[2] = Field(description="2: summary keeps resources and rows apart")
    target: str
    values: Literal["masked", "shown"] = Field(description="whether personal fields are masked")
    summary: SummaryDocument
    changes: list[ChangeDocument] = Field(description="in apply order")
    observations: list[ObservationDocument]
    observed: ObservedDocument
    scope: ScopeDocument | None = Field(
        default=None, description="present only in a scoped plan; apply --plan plans the same scope again"
    )
    checksum: str = Field(
        pattern=CHECKSUM_PATTERN,
        description="sha256 of the canonical JSON (sorted keys, no spaces) of every other key",
    )


class FindingDocument(_Document):
    """Something a drift run found about one resource that is not a change: irreversible drift, a problem, or
    a live state that could not be read."""

    address: str
    location: str | None = Field(description="file:line:col of the manifest, when known")
    message: str
    remedy: str | None


class DriftDocument(_Document):
    format: Literal["reconciler-drift"]
    version: Literal[1]
    target: str
    values: Literal["masked", "shown"]
    drift: bool = Field(
        description="true when config_drift, irreversible or problems is not empty (the command then exits 2, "
        "or 1 when errors is not empty)"
    )
    config_drift: list[ChangeDocument] = Field(
        description="fields the manifests own that changed outside git"
    )
    irreversible: list[FindingDocument] = Field(
        description="live states that can never again be what the manifests ask (a dataset moved to EXPIRED)"
    )
    problems: list[FindingDocument] = Field(description="what else contradicts the manifests, by resource")
    errors: list[FindingDocument] = Field(
        description="resources whose live state could not be read (the command then exits 1)"
    )
    unmanaged: list[ObservationDocument] = Field(description="live objects no manifest declares")
    churn: list[ObservationDocument] = Field(description="expected dialler changes to vendor-owned fields")
    compliance: list[ObservationDocument] = Field(
        description="live, dialable records whose numbers are on a suppression list (the dialler may call them "
        "until apply completes them)"
    )
    other: list[ObservationDocument]
    observed: ObservedDocument
    scope: ScopeDocument | None = Field(default=None, description="present only in a scoped report")
    checksum: str = Field(pattern=CHECKSUM_PATTERN)


@cache
def documents(kinds: Sequence[str]) -> tuple[type[PlanDocument], type[DriftDocument]]:
    """The plan and drift document models for these kinds (the registry's names, in order): a change's `kind`
    is one of them, its address starts with one, and its `phase` is one of the Phase values."""
    phases = tuple(int(phase) for phase in Phase)
    described = ", ".join(f"{int(phase)} {phase.label}" for phase in Phase)
    fields: dict[str, Any] = {
        "address": (
            str,
            Field(pattern=rf"^({'|'.join(kinds)})/{NAME_PATTERN}$", description="Kind/name of the resource"),
        ),
        "kind": (Literal.__getitem__(tuple(kinds)), ...),
        "phase": (Literal.__getitem__(phases), Field(description=f"apply order: {described}")),
    }
    change = create_model("ChangeDocument", __base__=ChangeDocument, **fields)
    plan = create_model(
        "PlanDocument", __base__=PlanDocument, changes=(list[change], Field(description="in apply order"))
    )
    drift = create_model(
        "DriftDocument",
        __base__=DriftDocument,
        config_drift=(list[change], Field(description="fields the manifests own that changed outside git")),
    )
    return plan, drift
