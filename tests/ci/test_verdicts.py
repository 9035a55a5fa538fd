"""The jobs hold reconciler to its exit-code contract, exactly: 0 no changes (no drift), 2 changes (drift), and
anything else, 1 and 127 (`reconciler` missing) included, fails the job. A stand-in `reconciler` answers each
code; the install lines are left out (test_workflows.py runs them)."""

from __future__ import annotations

import pytest

from reconciler.render.plan_text import MARKDOWN_MARKER

from .harness import GITHUB, GITLAB, Repo, github_job, gitlab_job, load

PLAN = f"{MARKDOWN_MARKER}\n### reconciler plan for `production-readonly`\n\n**Plan: 1 to create.**\n"
FAILED = f"{MARKDOWN_MARKER}\n### reconciler plan failed (exit code "


def stand_in(repo: Repo, code: int | None, stdout: str = "") -> None:
    """A `reconciler` first on PATH that prints `stdout` and exits `code`; None: no `reconciler` at all."""
    repo.fake_bin = repo.root.parent / "fake-bin"
    repo.fake_bin.mkdir(exist_ok=True)
    if code is not None:
        script = repo.fake_bin / "reconciler"
        script.write_text(
            f"#!/bin/bash\nprintf '%s' '{stdout}'\necho 'stand-in says: exit {code}' >&2\nexit {code}\n"
        )
        script.chmod(0o755)


# (exit code, what it prints, whether the job passes). A usage error exits 2 with no plan: it is no plan.
PLANS = [
    (0, PLAN, True),
    (2, PLAN, True),
    (1, "", False),
    (2, "", False),
    (3, PLAN, False),
    (None, "", False),  # 127: the command is missing (the install put nothing on PATH)
]


@pytest.mark.parametrize(("code", "stdout", "passes"), PLANS)
def test_github_plan_verdict(bare_repo: Repo, code: int | None, stdout: str, passes: bool) -> None:
    stand_in(bare_repo, code, stdout)
    job = github_job(
        bare_repo, load(GITHUB), "plan", {"github.event.pull_request.number": "7"}, skip=["install"]
    )
    assert job.codes == {"plan": 0, "comment": 0, "verdict": 0 if passes else 1}, job.steps
    (comment,) = bare_repo.forge.comments.values()
    expected = PLAN if passes else f"{FAILED}{127 if code is None else code})\n"
    assert comment["body"].startswith(expected)
    if code is None:
        assert "reconciler: command not found" in comment["body"]


@pytest.mark.parametrize(("code", "stdout", "passes"), PLANS)
def test_gitlab_plan_verdict(bare_repo: Repo, code: int | None, stdout: str, passes: bool) -> None:
    stand_in(bare_repo, code, stdout)
    mr = {"CI_MERGE_REQUEST_IID": "12", "CI_PIPELINE_SOURCE": "merge_request_event"}
    job = gitlab_job(bare_repo, load(GITLAB), "plan", mr, protected_ref=False, install=False)
    assert job.codes == {"plan": 0 if passes else 1}, job.steps
    (note,) = bare_repo.forge.comments.values()
    assert note["body"].startswith(PLAN if passes else f"{FAILED}{127 if code is None else code})\n")


# (exit code of `reconciler drift`, the job's exit code): 2 is drift, and anything but 0 and 2 an error.
DRIFTS = [(0, 0), (2, 2), (1, 1), (3, 1), (None, 1)]


@pytest.mark.parametrize(("code", "job_code"), DRIFTS)
def test_github_drift_verdict(bare_repo: Repo, code: int | None, job_code: int) -> None:
    stand_in(bare_repo, code)
    job = github_job(bare_repo, load(GITHUB), "drift", {}, skip=["install"])
    assert job.codes == {"drift": job_code}, job.steps


@pytest.mark.parametrize(("code", "job_code"), DRIFTS)
def test_gitlab_drift_verdict(bare_repo: Repo, code: int | None, job_code: int) -> None:
    stand_in(bare_repo, code)
    job = gitlab_job(
        bare_repo,
        load(GITLAB),
        "drift",
        {"CI_PIPELINE_SOURCE": "schedule"},
        protected_ref=True,
        install=False,
    )
    assert job.codes == {"drift": job_code}, job.steps
