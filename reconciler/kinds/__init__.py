"""The registry of resource kinds, and the two steps every command starts with: load the project, and turn its
documents into the desired state.

Adding a kind: write its module (see base.py for what a kind holds), add it to REGISTRY below in dependency
order (a kind after the kinds it needs), then regenerate schemas/ (`reconciler schema --out schemas/`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from ..manifest import Project
from ..manifest import load_project as load_documents
from .base import Desired, DesiredState, Kind, Registry, SourceDigests
from .calling_policy import CALLING_POLICY
from .cc_campaign import CC_CAMPAIGN
from .dataset import DATASET
from .membership import MEMBERSHIP
from .outcome_code import OUTCOME_CODE
from .queue import QUEUE
from .recordset import RECORD_SET
from .suppression_list import SUPPRESSION_LIST
from .tod_policy import TOD_POLICY

REGISTRY = Registry(
    (
        CALLING_POLICY,
        TOD_POLICY,
        QUEUE,
        DATASET,
        OUTCOME_CODE,
        SUPPRESSION_LIST,
        RECORD_SET,
        CC_CAMPAIGN,
        MEMBERSHIP,
    )
)


def load_project(root: Path, *, check_sources: bool = True) -> Project:
    """Load and validate a project directory with every registered kind (see manifest.load_project)."""
    return load_documents(root, REGISTRY.kinds, check_sources=check_sources)


def desired_state(project: Project) -> DesiredState:
    """What the project's documents ask for, sorted by address, with the digest of every source."""
    items: list[Desired] = []
    digests: dict[str, Callable[[], str | None]] = {}
    for manifest in project.manifests:
        kind = REGISTRY.get(manifest.kind)
        items.append(kind.desired(manifest, project))
        digests[manifest.address] = functools.partial(kind.source_digest, manifest)
    return DesiredState(tuple(items), project.config.guards, SourceDigests.start(digests))


__all__ = ["REGISTRY", "Desired", "DesiredState", "Kind", "Registry", "desired_state", "load_project"]
