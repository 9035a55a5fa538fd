"""The manifest language's machinery: load a project directory, validate every document, stream its sources.

    from reconciler.kinds import load_project           # the loader below, with every registered kind
    project = load_project(Path("examples"))            # raises ManifestError with every problem of every file

Modules: yaml_loader (YAML with locations, refusals), spec (the pieces every kind's pydantic models use),
project_file (reconciler.yaml's models), validation (pydantic errors to Problems), sources (safe paths,
streaming readers), rows (rows and members with their checks), documents (the document base and how a kind
builds one), checks (across documents and through sources), project (reconciler.yaml and load_project),
schedules. Each kind's own models and documents live in reconciler/kinds/.
"""

from __future__ import annotations

from ..model.schedules import RelativeSchedule
from .documents import DocumentBase, DocumentKind, FileContext, ManifestDocument
from .project import EMULATOR, Project, ProjectConfig, load_project
from .project_file import ContactCenterTargetSpec, ContactNowTargetSpec, ProjectFile, TargetSpec
from .rows import SourceMember, SourceRow
from .schedules import AbsoluteSchedule, Schedule, ScheduleError, parse_schedule
from .sources import SourceFile
from .spec import GuardsSpec, Metadata, SpecModel

__all__ = [
    "EMULATOR",
    "AbsoluteSchedule",
    "ContactCenterTargetSpec",
    "ContactNowTargetSpec",
    "DocumentBase",
    "DocumentKind",
    "FileContext",
    "GuardsSpec",
    "ManifestDocument",
    "Metadata",
    "Project",
    "ProjectConfig",
    "ProjectFile",
    "RelativeSchedule",
    "Schedule",
    "ScheduleError",
    "SourceFile",
    "SourceMember",
    "SourceRow",
    "SpecModel",
    "TargetSpec",
    "load_project",
    "parse_schedule",
]
