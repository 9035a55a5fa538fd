"""The manifest language: load a project directory, validate every document, stream its sources.

    from reconciler.manifest import load_project
    project = load_project(Path("examples"))          # raises ManifestError with every problem of every file
    for record_set in project.record_sets:
        for row in record_set.iter_rows():            # streams CSV / JSONL (gzip too) or inline rows
            ...

Modules: yaml_loader (YAML with locations, refusals), models (pydantic models of every kind), validation
(pydantic errors to Problems), sources (safe paths, streaming readers), rows (rows and members with their
checks), documents (one class per kind), checks (across documents and through sources), project
(reconciler.yaml and load_project), schedules, schema (JSON Schema generation).
"""

from __future__ import annotations

from ..model.schedules import RelativeSchedule
from .documents import DatasetManifest, Manifest, ManifestDocument, MembershipManifest, RecordSetManifest
from .models import (
    AbsentPolicy,
    CampaignMembershipSpec,
    DatasetSpec,
    DedupePolicy,
    Guards,
    MemberSpec,
    RecordSetSpec,
)
from .project import (
    ContactCenterTarget,
    ContactNowTarget,
    GuardsConfig,
    Project,
    ProjectConfig,
    TargetConfig,
    load_project,
)
from .rows import SourceMember, SourceRow
from .schedules import AbsoluteSchedule, Schedule, ScheduleError, parse_schedule
from .schema import write_schemas
from .sources import SourceFile

__all__ = [
    "AbsentPolicy",
    "AbsoluteSchedule",
    "CampaignMembershipSpec",
    "ContactCenterTarget",
    "ContactNowTarget",
    "DatasetManifest",
    "DatasetSpec",
    "DedupePolicy",
    "Guards",
    "GuardsConfig",
    "Manifest",
    "ManifestDocument",
    "MemberSpec",
    "MembershipManifest",
    "Project",
    "ProjectConfig",
    "RecordSetManifest",
    "RecordSetSpec",
    "RelativeSchedule",
    "Schedule",
    "ScheduleError",
    "SourceFile",
    "SourceMember",
    "SourceRow",
    "TargetConfig",
    "load_project",
    "parse_schedule",
    "write_schemas",
]
