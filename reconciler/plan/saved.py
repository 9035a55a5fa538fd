"""Saved plans as approvals: read one back, refuse a damaged or edited one, and say why a stale one is stale.

`plan --out` writes the plan's canonical dictionary; `apply --plan` reads it here, checks its checksum and its
shape against the plan document model, then (in the engine) plans again and compares.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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


MAX_EXPLAINED = 10
NOT_EXPLAINED = frozenset({"sample"})
"""Keys of a change whose differences are not listed: the sample follows the counts, and would only repeat them."""
"""Field-level differences listed when a stale plan is refused; the rest are counted."""


def stale_reasons(saved: Mapping[str, Any], fresh: Mapping[str, Any]) -> list[str]:
    """Why a fresh plan differs from a saved one: each live state or source that changed, by address, then
    what that does to the plan, field by field (the first MAX_EXPLAINED differences)."""
    reasons = []
    for side in ("live", "sources"):
        before, after = saved["observed"][side], fresh["observed"][side]
        for address in sorted(set(before) | set(after)):
            if before.get(address) != after.get(address):
                what = "live state" if side == "live" else "source"
                reasons.append(f"{address}: its {what} changed since the plan was made")
    explained = explain(saved["changes"], fresh["changes"])
    reasons += explained[:MAX_EXPLAINED]
    if len(explained) > MAX_EXPLAINED:
        reasons.append(f"and {len(explained) - MAX_EXPLAINED} more differences in the plan's changes")
    if not reasons:
        reasons.append("the changes differ from the saved plan")
    return reasons


def explain(saved: Sequence[Mapping[str, Any]], fresh: Sequence[Mapping[str, Any]]) -> list[str]:
    """What differs between two plans' changes, as `address: path: before -> after` lines (deepdiff is the
    tool for small nested documents like these; values are already masked as the plans were made)."""
    from deepdiff import DeepDiff

    before = {change["address"]: change for change in saved}
    after = {change["address"]: change for change in fresh}
    lines = []
    for category, items in DeepDiff(before, after, view="tree").items():
        for item in items:
            parts = item.path(output_format="list")
            if not parts:
                lines.append("the plan's changes differ")
                continue
            address, *path = parts
            if path and path[0] in NOT_EXPLAINED:
                continue
            where = ".".join(str(part) for part in path)
            if category == "dictionary_item_added" and not path:
                lines.append(f"{address}: now changes, and the saved plan did not change it")
            elif category == "dictionary_item_removed" and not path:
                lines.append(f"{address}: the saved plan changes it, and it no longer needs to")
            elif category.endswith("_added"):
                lines.append(f"{address}: {where}: now {_shown(item.t2)}")
            elif category.endswith("_removed"):
                lines.append(f"{address}: {where}: was {_shown(item.t1)}, now gone")
            else:
                lines.append(f"{address}: {where}: {_shown(item.t1)} -> {_shown(item.t2)}")
    return sorted(lines)


def _shown(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _problem(reason: str, remedy: str) -> Problem:
    return Problem(reason, remedy=remedy)
