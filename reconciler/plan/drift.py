"""Drift: what changed outside git, told apart from what the dialler is expected to change.

A drift report is made from a plan of the manifests as merged, planned to the end whatever it finds:
- config drift: a change the plan holds (a field the manifests own changed outside git);
- irreversible drift: the live state can never again be what a manifest asks (a dataset moved to EXPIRED);
- problems: anything else that contradicts the manifests, per resource;
- errors: resources whose live state could not be read; the others are still reported.
Unmanaged objects and dialler churn are reported beside it and are not drift. Compliance findings (live,
dialable records on a suppression list) are reported on their own: they come with the config drift that
completes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import Problem
from .plan import Plan, checksum

DRIFT_FORMAT = "reconciler-drift"
DRIFT_VERSION = 1


def drift_report(
    plan: Plan,
    *,
    problems: Sequence[Problem] = (),
    failures: Sequence[Problem] = (),
    show_values: bool = False,
    scope: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The drift report of a plan and what planning found on the way; `scope` (only/exclude addresses) is
    recorded when the run was scoped."""
    body = plan.to_dict(show_values=show_values)
    observations = body["observations"]
    irreversible = [_finding(item) for item in problems if item.category == "irreversible"]
    others = [_finding(item) for item in problems if item.category != "irreversible"]
    report: dict[str, Any] = {
        "format": DRIFT_FORMAT,
        "version": DRIFT_VERSION,
        "target": plan.target,
        "values": body["values"],
        "drift": bool(body["changes"] or irreversible or others),
        "config_drift": body["changes"],
        "irreversible": irreversible,
        "problems": others,
        "errors": [_finding(item) for item in failures],
        "unmanaged": [item for item in observations if item["category"] == "unmanaged"],
        "churn": [item for item in observations if item["category"] == "churn"],
        "compliance": [item for item in observations if item["category"] == "compliance"],
        "other": [
            item for item in observations if item["category"] not in {"unmanaged", "churn", "compliance"}
        ],
        "observed": body["observed"],
    }
    if scope is not None:
        report["scope"] = dict(scope)
    report["checksum"] = checksum(report)
    return report


def _finding(problem: Problem) -> dict[str, Any]:
    return {
        "address": problem.address or "",
        "location": None if problem.location is None else str(problem.location),
        "message": problem.reason,
        "remedy": problem.remedy,
    }
