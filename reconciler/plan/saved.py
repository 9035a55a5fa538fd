"""Saved plans as approvals: read one back, refuse a damaged or edited one, and say why a stale one is stale.

`plan --out` writes the plan's canonical dictionary; `apply --plan` reads it here, checks its checksum and its
shape against the plan document model, then (in the engine) plans again and compares.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Problem, StalePlanError
from .plan import checksum

PLAN_FORMAT = "reconciler-plan"


def read_saved_plan(path: Path, model: type[BaseModel]) -> dict[str, Any]:
    """The plan saved at `path`, checked: readable, a reconciler plan, not edited (checksum), and of the plan
    document's shape (`model`). Raises StalePlanError with every reason."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StalePlanError(
            [_problem(f"cannot read plan file {path}: {error}", "make a new plan")]
        ) from None
    if not isinstance(body, dict) or body.get("format") != PLAN_FORMAT:
        raise StalePlanError(
            [_problem(f"{path} is not a reconciler plan", "make a new plan with `plan --out`")]
        )
    if body.get("checksum") != checksum(body):
        raise StalePlanError(
            [
                _problem(
                    f"{path} was modified after it was made (checksum mismatch)",
                    "make a new plan with `plan --out`",
                )
            ]
        )
    try:
        model.model_validate(body)
    except ValidationError as error:
        raise StalePlanError(
            [
                _problem(
                    f"{path} does not match the plan schema: {'.'.join(map(str, item['loc']))}: {item['msg']}",
                    "make a new plan with `plan --out` (schemas/plan.schema.json describes the format)",
                )
                for item in error.errors(include_input=False)
            ]
        ) from None
    return body


def stale_reasons(saved: Mapping[str, Any], fresh: Mapping[str, Any]) -> list[str]:
    """Why a fresh plan differs from a saved one: each live state or source that changed, by address."""
    reasons = []
    for side in ("live", "sources"):
        before, after = saved["observed"][side], fresh["observed"][side]
        for address in sorted(set(before) | set(after)):
            if before.get(address) != after.get(address):
                what = "live state" if side == "live" else "source"
                reasons.append(f"{address}: its {what} changed since the plan was made")
    if not reasons:
        reasons.append("the changes differ from the saved plan")
    return reasons


def _problem(reason: str, remedy: str) -> Problem:
    return Problem(reason, remedy=remedy)
