"""Plans stay reviewable at size: unmanaged objects are counted by table and status (each listed only in JSON),
Markdown stays under its budget and says what it cut, a refused plan still shows what it would do, and the
summary keeps resources and rows apart, once."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fakes import FakeContactNow, target
from support import dataset_doc, write_file
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.errors import Location
from reconciler.kinds.base import DesiredState
from reconciler.kinds.dataset import DesiredDataset
from reconciler.model.state import Dataset, Status
from reconciler.planner import make_plan
from reconciler.render.plan_text import render_markdown, render_text

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def _plan(declared: int, unmanaged: int) -> dict[str, Any]:
    account = FakeContactNow()
    for n in range(unmanaged):
        status = (Status.LIVE, Status.HOLD, Status.EXPIRED)[n % 3]
        account.add_dataset(
            Dataset("Willtest", f"Old list {n} with a long enough description", status, 0, 0, 1000 + n)
        )
    desired = DesiredState(
        tuple(
            DesiredDataset(
                f"Dataset/new-{n:04d}",
                Location("manifests/datasets.yaml", n + 1, 1),
                want=Dataset("Willtest", f"New list {n}", Status.HOLD, 10),
            )
            for n in range(declared)
        )
    )
    return make_plan(desired, target(account), now=NOW).plan.to_dict()


def test_900_unmanaged_datasets_are_counted_by_table_and_status() -> None:
    body = _plan(1, 900)
    text, markdown = io.StringIO(), io.StringIO()
    render_text(body, text)
    render_markdown(body, markdown)
    line = (
        "Dataset [unmanaged]: 900 live objects in no manifest (Willtest, EXPIRED 300, Willtest, HOLD 300, "
        "Willtest, LIVE 300); the JSON plan lists each"
    )
    assert f"  {line}\n" in text.getvalue()
    assert len(markdown.getvalue()) < 5_000
    assert sum(1 for item in body["observations"] if item["category"] == "unmanaged") == 900


def test_markdown_stays_under_its_budget_and_names_the_cut() -> None:
    body = _plan(2_000, 10)
    whole = io.StringIO()
    render_markdown(body, whole, budget=10_000_000)
    assert len(whole.getvalue()) > 60_000
    cut = io.StringIO()
    render_markdown(body, cut)
    shown = cut.getvalue()
    assert len(shown) <= 60_000
    kept = shown.count("| `+` | `Dataset/new-")
    assert 0 < kept < 2_000
    assert (
        f"_Cut to fit 60,000 characters: 10 observations, {2_000 - kept:,} of 2,000 changes not shown. The whole "
        "plan is in the JSON plan (`reconciler plan --format json`, or the file saved with `--out`, shown by "
        "`reconciler show`)._"
    ) in shown
    assert shown.startswith(
        "<!-- reconciler-plan -->\n### reconciler plan for `fake`\n\n**Plan: 2,000 resources"
    )
    assert shown.rstrip().endswith(f"checksum `{body['checksum']}`</sub>")


def test_a_refused_plan_still_shows_what_it_would_do_and_the_summary_is_said_once(tmp_path: Path) -> None:
    write_file(tmp_path, "manifests/d.yaml", dataset_doc(status="EXPIRED"))
    refused = CliRunner().invoke(app, ["plan", str(tmp_path), "--out", str(tmp_path / "p.json")])
    assert refused.exit_code == 1
    assert refused.stdout.startswith(
        "Target emulator. Changes, in the order apply makes them:\n\n  ! Dataset/spring"
    )
    assert refused.stdout.splitlines()[-1] == (
        "Plan: 0 resources to create, 0 to change, 1 irreversible; 0 rows to create, 0 to change, 0 to "
        "complete/remove."
    )
    assert refused.stderr.startswith("Error: plan refused by a safety guard")
    assert not (tmp_path / "p.json").exists()  # a refused plan is not saved for apply
    shown = CliRunner().invoke(app, ["plan", str(tmp_path), "--allow-expire"])
    assert shown.exit_code == 0
    assert "Plan: " not in shown.stderr  # the text plan ends with the summary; stderr says what to run
    assert json.loads(
        CliRunner().invoke(app, ["plan", str(tmp_path), "--allow-expire", "--format", "json"]).stdout
    )["summary"] == {
        "resources": {"create": 0, "change": 0, "irreversible": 1},
        "rows": {"create": 0, "change": 0, "remove": 0},
    }
