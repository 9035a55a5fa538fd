"""JSON Schemas of the manifest language, for editors (yaml-language-server) and for review.

One schema per kind and one for reconciler.yaml, generated from the models, written with sorted keys and a
trailing newline so the committed copies in schemas/ can be compared byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .models import CampaignMembershipDocument, DatasetDocument, ProjectFile, RecordSetDocument

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "dataset.schema.json": (DatasetDocument, "reconciler Dataset manifest"),
    "recordset.schema.json": (RecordSetDocument, "reconciler RecordSet manifest"),
    "campaignmembership.schema.json": (CampaignMembershipDocument, "reconciler CampaignMembership manifest"),
    "project.schema.json": (ProjectFile, "reconciler project file (reconciler.yaml)"),
}


def schema_for(model: type[BaseModel], title: str) -> dict[str, Any]:
    """The JSON Schema of one document model, as the YAML author writes it (camelCase names)."""
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = SCHEMA_DIALECT
    schema["title"] = title
    return schema


def render_schema(model: type[BaseModel], title: str) -> str:
    """Deterministic text: sorted keys, two-space indent, a trailing newline."""
    return json.dumps(schema_for(model, title), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(
    out_dir: Path, catalogue: Mapping[str, tuple[type[BaseModel], str]] = SCHEMAS
) -> list[Path]:
    """Write every schema of `catalogue` (the manifest kinds by default) into out_dir, created if needed.

    Returns the paths written, sorted.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, (model, title) in sorted(catalogue.items()):
        path = out_dir / filename
        path.write_text(render_schema(model, title), encoding="utf-8", newline="\n")
        written.append(path)
    return written
