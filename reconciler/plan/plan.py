"""A plan: ordered changes plus what was observed, and its one canonical dictionary form.

`Plan.to_dict()` is the machine contract (schemas/plan.schema.json) and the thing the checksum hashes. It is
deterministic: the same manifests and the same live state give byte-identical plan files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model.fields import is_personal
from ..text import json_safe
from .changes import Action, Change, FieldChange, Observation, RowSample

PLAN_FORMAT = "reconciler-plan"
PLAN_VERSION = 2
MASK = "(sensitive)"


@dataclass(frozen=True)
class Plan:
    target: str
    changes: tuple[Change, ...]
    observations: tuple[Observation, ...] = ()
    live_digests: Mapping[str, str] = field(default_factory=dict)
    source_digests: Mapping[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.changes

    def summary(self) -> dict[str, dict[str, int]]:
        """Resources and rows kept apart: resources by action (every change is one), rows from each change's
        tally (records and members to create, to change, to complete or remove)."""
        resources = {"create": 0, "change": 0, "irreversible": 0}
        rows = {"create": 0, "change": 0, "remove": 0}
        for change in self.changes:
            if change.action is Action.CREATE:
                resources["create"] += 1
            elif change.action is Action.IRREVERSIBLE:
                resources["irreversible"] += 1
            else:
                resources["change"] += 1
            for name, count in change.tally.items():
                rows[name] += count
        return {"resources": resources, "rows": rows}

    def to_dict(self, *, show_values: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "format": PLAN_FORMAT,
            "version": PLAN_VERSION,
            "target": self.target,
            "values": "shown" if show_values else "masked",
            "summary": self.summary(),
            "changes": [_change_dict(change, show_values) for change in self.changes],
            "observations": [_observation_dict(item) for item in self.observations],
            "observed": {
                "live": dict(sorted(self.live_digests.items())),
                "sources": dict(sorted(self.source_digests.items())),
            },
        }
        body["checksum"] = checksum(body)
        return body


def checksum(body: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a plan dictionary, leaving out its own checksum."""
    canonical = {key: value for key, value in body.items() if key != "checksum"}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def dumps(body: Mapping[str, Any]) -> str:
    """The plan (or report) as a JSON file: sorted, indented, readable non-ASCII, and no raw control or
    bidirectional character (those are written as \\uXXXX escapes: the same JSON value)."""
    return json_safe(json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False)) + "\n"


def mask(field_name: str, value: str | None, show_values: bool) -> str | None:
    if value is None or show_values or not is_personal(field_name):
        return value
    return MASK


def _field_dict(item: FieldChange, show_values: bool) -> dict[str, Any]:
    return {
        "field": item.field,
        "before": mask(item.field, item.before, show_values),
        "after": mask(item.field, item.after, show_values),
    }


def _sample_dict(row: RowSample, show_values: bool) -> dict[str, Any]:
    return {
        "key": row.key,
        "action": row.action.value,
        "fields": [_field_dict(item, show_values) for item in row.fields],
    }


def _change_dict(change: Change, show_values: bool) -> dict[str, Any]:
    return {
        "action": change.action.value,
        "address": change.address,
        "kind": change.kind,
        "phase": int(change.phase),
        "unit": change.unit,
        "fields": [_field_dict(item, show_values) for item in change.fields],
        "counts": dict(sorted(change.counts.items())),
        "field_counts": dict(sorted(change.field_counts.items())),
        "sample": [_sample_dict(row, show_values) for row in change.sample],
        "notes": list(change.notes),
        "depends_on": list(change.depends_on),
    }


def _observation_dict(item: Observation) -> dict[str, Any]:
    return {
        "address": item.address,
        "category": item.category,
        "message": item.message,
        "counts": dict(sorted(item.counts.items())),
        "group": item.group,
    }
