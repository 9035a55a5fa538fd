"""Queue: the settings of a ContactNow outbound queue that calling rules depend on (`database.php` `queues`): the
time-of-day policy it dials under (`tod`) and the caller ID it presents (`callerid`).

Identity: the qid; queues are created in ContactNow, never by the reconciler. `todPolicy` names a TodPolicy
document; when this plan creates that policy, the queue is pointed at it by the uid apply made, and not at all
when the policy's write failed (its step is skipped, and the next apply does both). A caller ID, the declared one
or else the live one, must be present, a phone number, and not premium rate: a problem otherwise.

Apply: phase QUEUES, after the time-of-day policies and before any dataset goes LIVE.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import Field

from ..apply.steps import Outcome, Step, StepContext, StepResult
from ..errors import Problem, ReconcilerError
from ..export.documents import document, manifest_file
from ..export.names import slug, unique_names
from ..manifest import DocumentBase, FileContext, ManifestDocument, Project
from ..manifest.documents import DocumentIndex
from ..manifest.spec import Metadata, Name, NonEmptyText, SpecModel
from ..model.calling.callerid import caller_id_problem
from ..plan.changes import Action, Change, FieldChange, Phase, Work
from ..providers.base import QueueInfo
from ..text import shown
from .base import Desired, ExportContext, Kind, PlanContext, contactnow_for
from .tod_policy import TOD_POLICY, TodMade, planned_tods

PLANNED = "queues, as planned"
"""The key under which planning publishes `PlannedQueues`."""

# ------------------------------------------------------------------------------------------------- document


class QueueSpec(SpecModel):
    """An outbound queue's calling settings; fields left out are not managed."""

    qid: int = Field(ge=1, description="The queue's id (queues are created in ContactNow)")
    tod_policy: Name | None = Field(default=None, description="metadata.name of the TodPolicy it dials under")
    caller_id: NonEmptyText | None = Field(
        default=None, description="The number it presents to called parties"
    )


class QueueDocument(SpecModel):
    """A Queue manifest document."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["Queue"]
    metadata: Metadata
    spec: QueueSpec


@dataclass(frozen=True, eq=False)
class QueueManifest(ManifestDocument):
    KIND: ClassVar[str] = "Queue"

    spec: QueueSpec = field(kw_only=True)


# ---------------------------------------------------------------------------------------------- desired


@dataclass(frozen=True)
class DesiredQueue(Desired):
    qid: int = field(kw_only=True)
    tod_policy: str | None = field(default=None, kw_only=True)
    """The address of the TodPolicy it names."""
    caller_id: str | None = field(default=None, kw_only=True)

    def needs(self) -> tuple[str, ...]:
        return () if self.tod_policy is None else (self.tod_policy,)


@dataclass(frozen=True)
class PlannedQueues:
    """The time-of-day policy each managed queue will dial under: a live uid, or the address of a policy this plan
    creates (by qid)."""

    tod: dict[int, str]


@dataclass(frozen=True)
class QueueWork(Work):
    tod_uid: str | None
    """The uid to point the queue at; None with `tod_address` when apply creates the policy first."""
    tod_address: str | None
    caller_id: str | None


# ------------------------------------------------------------------------------------------------- kind


class QueueKind(Kind[QueueManifest, DesiredQueue]):
    name: ClassVar[str] = "Queue"
    document: ClassVar[type[QueueDocument]] = QueueDocument
    manifest_type: ClassVar[type[QueueManifest]] = QueueManifest
    plural: ClassVar[str] = "queues"

    def manifest(
        self, document: Any, base: DocumentBase, context: FileContext
    ) -> tuple[QueueManifest, list[Problem]]:
        assert isinstance(document, QueueDocument)
        return QueueManifest(base.name, base.file, base.location, base.node, spec=document.spec), []

    def check_documents(self, index: DocumentIndex) -> list[Problem]:
        """One document per qid, and a todPolicy that is a TodPolicy document."""
        policies = {item.name for item in index.manifests if item.kind == TOD_POLICY.name}
        problems = []
        seen: dict[int, QueueManifest] = {}
        for manifest in self.mine(index):
            spec = manifest.spec
            first = seen.setdefault(spec.qid, manifest)
            if first is not manifest:
                problems.append(
                    Problem(
                        f"queue {spec.qid} is already described by {first.address} ({first.location})",
                        manifest.location_of("spec.qid"),
                        manifest.address,
                        "a queue has one Queue document; merge them",
                    )
                )
            if spec.tod_policy is not None and spec.tod_policy not in policies:
                problems.append(
                    Problem(
                        f'todPolicy "{spec.tod_policy}" is not the name of a TodPolicy document',
                        manifest.location_of("spec.todPolicy"),
                        manifest.address,
                        "define a TodPolicy with this metadata.name",
                    )
                )
        return problems

    def desired(self, manifest: QueueManifest, project: Project) -> DesiredQueue:
        spec = manifest.spec
        spots = {path: manifest.location_of(path) for path in ("spec.qid", "spec.todPolicy", "spec.callerId")}
        return DesiredQueue(
            manifest.address,
            manifest.location,
            spots=spots,
            qid=spec.qid,
            tod_policy=None if spec.tod_policy is None else TOD_POLICY.address(spec.tod_policy),
            caller_id=spec.caller_id,
        )

    def plan(self, items: Sequence[DesiredQueue], ctx: PlanContext) -> None:
        provider = contactnow_for(items, ctx)
        if provider is None:
            return
        with ctx.attempt(*(item.address for item in items)):
            catalog = ctx.reads.get(("contactnow", "catalog"), provider.catalog)
            queues = {queue.qid: queue for queue in catalog.queues()}
            tods = planned_tods(ctx)
            planned: dict[int, str] = {}
            for item in items:
                live = queues.get(str(item.qid))
                if live is None or live.type != "outbound" or item.qid not in catalog.outbound_queues():
                    why = "does not exist" if live is None else f"is not a real outbound queue ({live.type})"
                    ctx.problems.append(
                        Problem(
                            f"queue {item.qid} {why}",
                            item.at("spec.qid"),
                            item.address,
                            "give the qid of an outbound queue",
                        )
                    )
                    continue
                caller_id = item.caller_id if item.caller_id is not None else live.callerid
                problem = caller_id_problem(caller_id)
                if problem is not None:
                    declared = item.caller_id is not None
                    ctx.problems.append(
                        Problem(
                            f'caller ID "{shown(caller_id)}"{"" if declared else " (live)"} {problem}',
                            item.at("spec.callerId") if declared else item.location,
                            item.address,
                            "set spec.callerId to a geographic or mobile number the called party can ring back at "
                            "a normal rate",
                        )
                    )
                    continue
                uid, address = None, None
                if item.tod_policy is not None:
                    uid, _ = tods.by_address.get(item.tod_policy, (None, None))
                    address = item.tod_policy
                planned[item.qid] = uid or address or _tod(live)
                ctx.live[item.address] = hashlib.sha256(
                    f"{live.qid}|{live.tod}|{live.callerid}".encode()
                ).hexdigest()[:32]
                change = _change(item, live, uid, address)
                if change is not None:
                    ctx.changes.append(change)
            ctx.publish(PLANNED, PlannedQueues(planned))

    def steps(self, change: Change, item: DesiredQueue) -> list[Step]:
        work = change.work
        assert isinstance(work, QueueWork)
        return [Step(Phase.QUEUES, lambda ctx: _apply(ctx, item, work))]

    def export(self, ctx: ExportContext) -> None:
        """queues.yaml: one Queue per outbound queue that dials under an exported time-of-day policy, with its
        caller ID (account-wide, like the policies)."""
        provider = ctx.target.contactnow
        policies = ctx.exported.get(TOD_POLICY.name)
        if provider is None or not isinstance(policies, dict):
            return
        queues = {
            qid: queue
            for qid, queue in provider.catalog().outbound_queues().items()
            if _tod(queue) in policies
        }
        if not queues:
            return
        names = unique_names(
            {qid: slug(queue.description, "queue") for qid, queue in queues.items()}, "queue"
        )
        documents = []
        for qid in sorted(queues, key=lambda qid: names[qid]):
            spec: dict[str, object] = {"qid": qid, "todPolicy": policies[_tod(queues[qid])]}
            if queues[qid].callerid:
                spec["callerId"] = queues[qid].callerid
            documents.append(document(self.name, names[qid], spec))
        (ctx.manifests / "queues.yaml").write_text(manifest_file(ctx.header, documents), encoding="utf-8")
        ctx.files["manifests/queues.yaml"] = f"{len(documents)} queues (those with a time-of-day policy)"


def queue_tod(qid: int, ctx: PlanContext) -> str | None:
    """The time-of-day policy a queue will dial under once this plan is applied: a uid ("0": none), the address
    of a TodPolicy this plan creates, or None when the queue is not known."""
    planned = ctx.fact(PLANNED, PlannedQueues)
    if planned is not None and qid in planned.tod:
        return planned.tod[qid]
    provider = ctx.target.contactnow
    if provider is None:
        return None
    catalog = ctx.reads.get(("contactnow", "catalog"), provider.catalog)
    live = next((queue for queue in catalog.queues() if queue.qid == str(qid)), None)
    return None if live is None else _tod(live)


def _tod(live: QueueInfo) -> str:
    return live.tod.strip() or "0"


def _change(item: DesiredQueue, live: QueueInfo, uid: str | None, address: str | None) -> Change | None:
    fields = []
    if address is not None and uid != _tod(live):
        fields.append(FieldChange("todPolicy", _tod(live), uid or f"{address} (created by this apply)"))
    caller_id = item.caller_id if item.caller_id is not None and item.caller_id != live.callerid else None
    if caller_id is not None:
        fields.append(FieldChange("callerId", live.callerid, caller_id))
    if not fields:
        return None
    work = QueueWork(uid if address is not None else None, address if uid is None else None, caller_id)
    return Change(Action.UPDATE, item.address, Phase.QUEUES, tuple(fields), tally={"change": 1}, work=work)


def _apply(ctx: StepContext, item: DesiredQueue, work: QueueWork) -> StepResult:
    provider = ctx.target.contactnow
    assert provider is not None  # planning refused a Queue on a target without ContactNow
    uid = work.tod_uid
    if work.tod_address is not None:
        if ctx.failed(work.tod_address):
            return StepResult(Outcome.SKIPPED, f"not pointed at {work.tod_address}, which failed")
        made = ctx.recall(work.tod_address, TodMade)
        if made is None:
            return StepResult(Outcome.SKIPPED, f"not pointed at {work.tod_address}, which was not created")
        uid = made.uid
    try:
        provider.update_queue(item.qid, tod=uid, callerid=work.caller_id)
    except ReconcilerError as error:
        return StepResult(Outcome.FAILED, str(error), error=error)
    done = [f"time-of-day policy {uid}"] if uid is not None else []
    done += ["caller ID"] if work.caller_id is not None else []
    return StepResult(Outcome.APPLIED, f"queue {item.qid}: set {' and '.join(done)}")


QUEUE = QueueKind()
