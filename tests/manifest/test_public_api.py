"""The names other code imports from reconciler.manifest are pinned."""

from __future__ import annotations

import reconciler.manifest as manifest


def test_exported_members() -> None:
    assert sorted(manifest.__all__) == [
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
    for name in manifest.__all__:
        assert getattr(manifest, name) is not None
