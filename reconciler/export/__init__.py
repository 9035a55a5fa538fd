"""`reconciler export`: write manifests that reproduce a live account, so that the first plan is empty.

    from reconciler.export import ExportOptions, export_account
    summary = export_account(target, ExportOptions(target="production", cc_campaigns=(125,)), Path("adopted"))

Modules: account (what is read and where it is written), records (streaming record CSVs), members (member
CSVs), documents (YAML text), names (stable, unique manifest names).
"""

from __future__ import annotations

from .account import DEFAULT_SCHEDULED_AS, ExportOptions, ExportSummary, export_account

__all__ = ["DEFAULT_SCHEDULED_AS", "ExportOptions", "ExportSummary", "export_account"]
