"""Drift: what changed outside git, told apart from what the dialler is expected to change.

A drift report is made from a plan of the manifests as merged: any change it holds is config drift (a field the
manifests own changed outside git). Unmanaged objects and dialler churn are reported beside it and are not drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .plan import Plan, checksum

DRIFT_FORMAT = "reconciler-drift"
DRIFT_VERSION = 1


def drift_report(
    plan: Plan, *, show_values: bool = False, scope: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    """The drift report of a plan; `scope` (only/exclude addresses) is recorded when the run was scoped."""
    body = plan.to_dict(show_values=show_values)
    observations = body["observations"]
    report: dict[str, Any] = {
        "format": DRIFT_FORMAT,
        "version": DRIFT_VERSION,
        "target": plan.target,
        "values": body["values"],
        "drift": bool(body["changes"]),
        "config_drift": body["changes"],
        "unmanaged": [item for item in observations if item["category"] == "unmanaged"],
        "churn": [item for item in observations if item["category"] == "churn"],
        "other": [item for item in observations if item["category"] not in {"unmanaged", "churn"}],
        "observed": body["observed"],
    }
    if scope is not None:
        report["scope"] = dict(scope)
    report["checksum"] = checksum(report)
    return report
