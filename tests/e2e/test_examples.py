"""The bundled examples, over real HTTP: plan shows changes, apply converges, a second apply writes nothing."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from .conftest import Estate, project_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_examples_converge_and_a_second_apply_writes_nothing(estate: Estate) -> None:
    shutil.copytree(EXAMPLES, estate.root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".reconciler"))
    (estate.root / "reconciler.yaml").write_text(
        textwrap.dedent(project_file(estate.base_url)).lstrip() + "manifests: [manifests]\n"
    )
    assert estate.cli("plan", "--detailed-exitcode").exit_code == 2
    applied = estate.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "Verified: the live state matches the manifests." in applied.stdout
    assert estate.sql("SELECT count(*) FROM cn_datasets") == [(5,)]
    assert estate.sql("SELECT d_status, count(*) FROM cn_datasets GROUP BY d_status ORDER BY 1") == [
        ("EXPIRED", 1),
        ("HOLD", 2),
        ("LIVE", 2),
    ]
    assert estate.sql("SELECT count(*), count(DISTINCT VENDOR_URN) FROM cn_records") == [(325, 325)]
    assert estate.sql("SELECT count(*) FROM cc_members WHERE campaign_id = 125") == [(500,)]
    assert estate.cli("plan", "--detailed-exitcode").exit_code == 0
    mark = estate.mark()
    again = estate.cli("apply", "--auto-approve")
    assert again.exit_code == 0
    assert estate.writes(mark) == []
