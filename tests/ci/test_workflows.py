"""The CI examples run as written (see harness.py): every job of both files plans, comments, applies and catches
drift against a real emulator server, after installing reconciler the way the job does."""

from __future__ import annotations

import json

import pytest

from reconciler.render.plan_text import MARKDOWN_MARKER

from .harness import GITHUB, GITLAB, Repo, github_job, gitlab_job, load

PR = {"github.event.pull_request.number": "7"}
MR = {"CI_MERGE_REQUEST_IID": "12", "CI_PIPELINE_SOURCE": "merge_request_event"}
PLAN_STEPS = {"plan": 0, "comment": 0, "verdict": 0}


def test_github_workflow_plans_comments_applies_and_catches_drift(repo: Repo) -> None:
    workflow = load(GITHUB)

    first = github_job(repo, workflow, "plan", PR)
    assert first.codes == {"install": 0, **PLAN_STEPS}, first.steps
    assert (
        first.step("plan")
        .stderr.splitlines()[-1]
        .startswith(
            "Plan: 7 resources to create, 1 to change, 1 irreversible; 825 rows to create, 0 to change,"
        )
    )
    assert (repo.root / "plan.json").exists()
    (comment,) = repo.forge.comments.values()
    assert comment["body"].startswith(f"{MARKDOWN_MARKER}\n### reconciler plan for `production-readonly`\n")
    assert (
        "**Plan: 7 resources to create, 1 to change, 1 irreversible; 825 rows to create, 0 to change, 0 to "
        "complete/remove.**"
    ) in comment["body"]

    second = github_job(repo, workflow, "plan", PR)
    assert second.codes == PLAN_STEPS
    assert list(repo.forge.comments) == [comment["id"]]  # updated in place, never a second comment
    assert repo.forge.calls == [
        ("GET", "/repos/acme/dialler/issues/7/comments"),
        ("POST", "/repos/acme/dialler/issues/7/comments"),
        ("GET", "/repos/acme/dialler/issues/7/comments"),
        ("PATCH", f"/repos/acme/dialler/issues/comments/{comment['id']}"),
    ]
    assert set(repo.forge.auth) == {"Bearer ghs_example"}

    merged = github_job(repo, workflow, "apply", {})
    assert merged.codes == {"plan": 0, "apply": 0}, merged.steps
    assert "Verified: the live state matches the manifests." in merged.step("apply").stdout
    assert repo.sql("SELECT count(*) FROM cn_records") == [(325,)]

    after = github_job(repo, workflow, "plan", PR)
    assert after.codes == PLAN_STEPS
    assert "No changes. The live state matches the manifests." in repo.forge.comments[comment["id"]]["body"]

    quiet = github_job(repo, workflow, "drift", {})
    assert quiet.codes == {"drift": 0}, quiet.steps
    repo.sql("UPDATE cn_datasets SET d_priority = 77 WHERE description = 'Spring renewals'")
    nightly = github_job(repo, workflow, "drift", {})
    assert nightly.codes == {"drift": 2}  # the job fails: drift
    report = json.loads((repo.root / "drift.json").read_text())
    assert report["drift"] is True
    assert [change["address"] for change in report["config_drift"]] == ["Dataset/spring-renewals"]
    last = nightly.step("drift").stderr.splitlines()[-1]
    assert last.startswith(
        "Drift: 1 resource changed outside git. Run `reconciler plan . --target production-readonly`"
    )
    assert "<!-- reconciler-drift -->" in (repo.root.parent / "step-summary.md").read_text()


def test_github_plan_comment_carries_a_failed_plan(repo: Repo) -> None:
    workflow = load(GITHUB)
    (repo.root / "manifests/datasets.yaml").write_text(
        (repo.root / "manifests/datasets.yaml").read_text().replace("priority: 50", "priority: 95")
    )
    failed = github_job(repo, workflow, "plan", {"github.event.pull_request.number": "8"})
    assert failed.codes == {"install": 0, **PLAN_STEPS, "verdict": 1}  # the job fails after the comment
    (comment,) = repo.forge.comments.values()
    assert comment["body"].startswith(
        f"{MARKDOWN_MARKER}\n### reconciler plan failed (exit code 1)\n\n```\nError: "
    )
    assert "priority" in comment["body"]


def test_gitlab_pipeline_plans_comments_applies_and_catches_drift(repo: Repo) -> None:
    pipeline = load(GITLAB)

    first = gitlab_job(repo, pipeline, "plan", MR, protected_ref=False)
    assert first.codes == {"plan": 0}, first.steps
    (note,) = repo.forge.comments.values()
    assert note["body"].startswith(f"{MARKDOWN_MARKER}\n### reconciler plan for `production-readonly`\n")
    assert gitlab_job(repo, pipeline, "plan", MR, protected_ref=False).codes == {"plan": 0}
    assert repo.forge.calls == [
        ("GET", "/api/v4/projects/acme%2Fdialler/merge_requests/12/notes"),
        ("POST", "/api/v4/projects/acme%2Fdialler/merge_requests/12/notes"),
        ("GET", "/api/v4/projects/acme%2Fdialler/merge_requests/12/notes"),
        ("PUT", f"/api/v4/projects/acme%2Fdialler/merge_requests/12/notes/{note['id']}"),
    ]
    assert set(repo.forge.auth) == {"glpat-x"}

    merged = gitlab_job(repo, pipeline, "apply", {"CI_PIPELINE_SOURCE": "push"}, protected_ref=True)
    assert merged.codes == {"apply": 0}, merged.steps
    assert repo.sql("SELECT count(*) FROM cn_records") == [(325,)]

    schedule = {"CI_PIPELINE_SOURCE": "schedule"}
    quiet = gitlab_job(repo, pipeline, "drift", schedule, protected_ref=True)
    assert quiet.codes == {"drift": 0}, quiet.steps
    repo.sql("UPDATE cn_datasets SET d_priority = 77 WHERE description = 'Spring renewals'")
    nightly = gitlab_job(repo, pipeline, "drift", schedule, protected_ref=True)
    assert nightly.codes == {"drift": 2}
    assert json.loads((repo.root / "drift.json").read_text())["drift"] is True


def test_gitlab_merge_request_plan_without_its_variables_fails_with_the_remedy(repo: Repo) -> None:
    """What a merge request of an unprotected branch met when the file asked for protected variables: no
    credentials and no GITLAB_TOKEN. The plan fails naming the variables, and the note step says what to set,
    not a KeyError."""
    pipeline = load(GITLAB)
    bare = gitlab_job(
        repo, pipeline, "plan", MR, protected_ref=False, withhold=["GITLAB_TOKEN", "RECONCILER_RO_CC_TOKEN"]
    )
    assert bare.codes == {"plan": 1}
    stderr = bare.steps[0].stderr
    assert (
        "the Contact Center credentials are not set (environment variable RECONCILER_RO_CC_TOKEN)" in stderr
    )
    assert "GITLAB_TOKEN is not set, so the plan cannot be posted to the merge request." in stderr
    assert "not protected" in stderr
    assert "Traceback" not in stderr
    assert repo.forge.calls == []


@pytest.mark.parametrize("forge", ["github", "gitlab"])
def test_an_install_by_bare_name_fails_the_job(repo: Repo, forge: str) -> None:
    """The jobs' pip has no index: installing `reconciler==0.1.0` from one (a stranger's package on the public
    index) fails, and nothing after it runs."""
    bare = 'python -m pip install --quiet "reconciler==0.1.0"'
    if forge == "github":
        workflow = load(GITHUB)
        (install,) = (step for step in workflow["jobs"]["plan"]["steps"] if step.get("id") == "install")
        install["run"] = bare
        job = github_job(repo, workflow, "plan", PR)
        assert job.codes == {"install": 1}
    else:
        pipeline = load(GITLAB)
        pipeline["default"]["before_script"] = [bare]
        job = gitlab_job(repo, pipeline, "plan", MR, protected_ref=False)
        assert job.codes == {"plan": 1}
    assert "No matching distribution found for reconciler==0.1.0" in job.steps[0].stderr
    assert repo.forge.calls == []
