"""The names other code imports from reconciler.manifest and reconciler.kinds are pinned."""

from __future__ import annotations

import reconciler.kinds as kinds
import reconciler.manifest as manifest


def test_exported_members() -> None:
    assert sorted(manifest.__all__) == [
        "AbsoluteSchedule",
        "ContactCenterTargetSpec",
        "ContactNowTargetSpec",
        "DocumentBase",
        "DocumentKind",
        "EMULATOR",
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
    for name in manifest.__all__:
        assert getattr(manifest, name) is not None


def test_kinds_exported_members_and_registry_order() -> None:
    assert sorted(kinds.__all__) == [
        "Desired",
        "DesiredState",
        "Kind",
        "REGISTRY",
        "Registry",
        "desired_state",
        "load_project",
    ]
    assert kinds.REGISTRY.names() == (
        "CallingPolicy",
        "TodPolicy",
        "Queue",
        "Dataset",
        "OutcomeCode",
        "SuppressionList",
        "RecordSet",
        "CcCampaign",
        "CampaignMembership",
    )
    for name in kinds.__all__:
        assert getattr(kinds, name) is not None
