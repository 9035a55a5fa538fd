"""Manifest documents and project files shared by the manifest, e2e and reliability tests.

Every document is block-style YAML that starts with `---`, so that documents join by concatenation; the
spec keys follow in the order given, one a line, and line numbers in expected messages count on that.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

COMPLETE = "{policy: complete, outcome: 510456}"
"""A RecordSet's `absent:` (or `dedupe:`) policy that completes records with the outcome 510456."""


def document(kind: str, name: str, **spec: object) -> str:
    """A manifest document of this kind and metadata.name, its spec keys in the order given."""
    lines = "".join(f"  {key}: {value}\n" for key, value in spec.items())
    return f"---\napiVersion: reconciler/v1\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n{lines}"


def dataset_doc(name: str = "spring", description: str = "Spring 2026", **spec: object) -> str:
    """A Dataset of campaign Willtest; spec: the keys after `description` (status, priority, queue, id...)."""
    return document("Dataset", name, campaign="Willtest", description=description, **spec)


def record_set_doc(
    name: str = "spring-records",
    *,
    dataset: str = "spring",
    fields: str = "[FirstName, MobilePhone]",
    **spec: object,
) -> str:
    """A RecordSet; spec: the keys after `fields` (source, absent, dedupe, guards...)."""
    return document("RecordSet", name, dataset=dataset, fields=fields, **spec)


def us_sales_policy(enforcement: str | None = "advisory") -> str:
    """CallingPolicy us-sales: 08:00-21:00 every day under US-TCPA@2026-11 (enforcement None: the default)."""
    spec: dict[str, object] = {
        "floor": "US-TCPA@2026-11",
        "windows": "{mon: 08:00-21:00, tue: 08:00-21:00, wed: 08:00-21:00, thu: 08:00-21:00, fri: 08:00-21:00, "
        "sat: 08:00-21:00, sun: 08:00-21:00}",
    }
    if enforcement is not None:
        spec["enforcement"] = enforcement
    return document("CallingPolicy", "us-sales", **spec)


def membership_doc(name: str = "winback", *, campaign: int = 125, **spec: object) -> str:
    """A CampaignMembership; spec: the keys after `campaign` (source, absent...)."""
    return document("CampaignMembership", name, campaign=campaign, **spec)


def write_file(root: Path, relative: str, text: str) -> Path:
    """Write text (dedented, leading blank lines dropped) to root/relative, creating its folders."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path
