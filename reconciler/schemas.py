"""Every JSON Schema the project publishes in schemas/: one per registered kind, reconciler.yaml's, and the
JSON documents plan and drift write (the machine contract for CI bots).

Generated from the models, written with sorted keys and a trailing newline, so the committed copies in schemas/
can be compared byte for byte. The plan and drift schemas name the registered kinds, so adding a kind changes
them too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .kinds import REGISTRY
from .manifest.project_file import ProjectFile
from .plan.document import documents

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def catalogue() -> dict[str, tuple[type[BaseModel], str]]:
    """File name -> (model, title) of every published schema."""
    plan, drift = documents(REGISTRY.names())
    schemas = {kind.schema_file: (kind.document, kind.title) for kind in REGISTRY}
    schemas["project.schema.json"] = (ProjectFile, "reconciler project file (reconciler.yaml)")
    schemas["plan.schema.json"] = (plan, "reconciler plan (plan --format json, plan --out)")
    schemas["drift.schema.json"] = (drift, "reconciler drift report (drift --format json, drift --report)")
    return schemas


def schema_for(model: type[BaseModel], title: str) -> dict[str, Any]:
    """The JSON Schema of one model, as the YAML author writes it (camelCase names)."""
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = SCHEMA_DIALECT
    schema["title"] = title
    return schema


def render_schema(model: type[BaseModel], title: str) -> str:
    """Deterministic text: sorted keys, two-space indent, a trailing newline."""
    return json.dumps(schema_for(model, title), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_all(out_dir: Path) -> list[Path]:
    """Write every published schema into out_dir (created if needed); returns the paths written, sorted."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, (model, title) in sorted(catalogue().items()):
        path = out_dir / filename
        path.write_text(render_schema(model, title), encoding="utf-8", newline="\n")
        written.append(path)
    return written
