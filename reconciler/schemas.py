"""Every JSON Schema the project publishes in schemas/: the manifest kinds, reconciler.yaml, and the JSON
documents plan and drift write (the machine contract for CI bots)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from .manifest.schema import SCHEMAS as MANIFEST_SCHEMAS
from .manifest.schema import write_schemas
from .plan.document import DriftDocument, PlanDocument

SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    **MANIFEST_SCHEMAS,
    "plan.schema.json": (PlanDocument, "reconciler plan (plan --format json, plan --out)"),
    "drift.schema.json": (DriftDocument, "reconciler drift report (drift --format json, drift --report)"),
}


def write_all(out_dir: Path) -> list[Path]:
    """Write every published schema into out_dir; returns the paths written, sorted by name."""
    return write_schemas(out_dir, SCHEMAS)
