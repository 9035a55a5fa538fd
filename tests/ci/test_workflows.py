"""The CI examples run as written: every `run:` script of the GitHub workflow and every `script:` line of the
GitLab file is executed by bash, as the runners do, against a real emulator server and a stand-in for the
comment APIs. Only the steps that install the package (`id: install`, `before_script`) are skipped, and
`uses:` steps (checkout, setup-python, upload-artifact), which need GitHub itself.

The repository the jobs run in holds the bundled example manifests and a reconciler.yaml whose `production`
target points at the emulator: that file is the user's own, not part of the examples.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.emulator import build_state, running_server
from reconciler.emulator.state import EmulatorState
from reconciler.render.plan_text import MARKDOWN_MARKER

from .forge import Forge, running_forge

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "examples/ci/github/reconciler.yml"
GITLAB = ROOT / "examples/ci/gitlab/.gitlab-ci.yml"
INSTALL = 'python -m pip install --quiet "$RECONCILER_PACKAGE"'
SECRETS = {
    "CONTACTNOW_USERNAME": "demo",
    "CONTACTNOW_PASSWORD": "demo-password",
    "CC_TENANT": "demo",
    "CC_TOKEN": "demo-token",
    "GITHUB_TOKEN": "ghs_example",
}
_EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


@dataclass
class Step:
    name: str
    code: int
    stdout: str
    stderr: str


@dataclass
class Job:
    steps: list[Step] = field(default_factory=list)

    @property
    def codes(self) -> dict[str, int]:
        return {step.name: step.code for step in self.steps}


@dataclass
class Repo:
    root: Path
    emulator: EmulatorState
    forge: Forge

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.emulator.store.lock:
            return list(self.emulator.store.conn.execute(query, params).fetchall())


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    state = build_state()
    with running_server(state) as base_url, running_forge() as forge:
        root = tmp_path / "repo"
        shutil.copytree(ROOT / "examples/manifests", root / "manifests")
        (root / "reconciler.yaml").write_text(
            textwrap.dedent(
                f"""\
                apiVersion: reconciler/v1
                kind: Project
                manifests: [manifests]
                targets:
                  production:
                    contactnow: {{baseUrl: "{base_url}/contactnow/", usernameEnv: CONTACTNOW_USERNAME,
                                 passwordEnv: CONTACTNOW_PASSWORD}}
                    contactCenter: {{baseUrl: "{base_url}/cc", tenantEnv: CC_TENANT, tokenEnv: CC_TOKEN}}
                """
            )
        )
        yield Repo(root, state, forge)


def load(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text())
    assert isinstance(data, dict)
    return data


def base_env(repo: Repo) -> dict[str, str]:
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(repo.root.parent),
        "LANG": "C.UTF-8",
        "CI": "true",
        "RECONCILER_CONSISTENCY_SECONDS": "0",  # the emulator's reads never lag its writes
    }


def bash(script: str, cwd: Path, env: Mapping[str, str], name: str) -> Step:
    path = cwd.parent / f"step-{name}.sh"
    path.write_text(script)
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Step(name, done.returncode, done.stdout, done.stderr)


# ------------------------------------------------------------------------------------------------- GitHub


def github_job(repo: Repo, workflow: dict[str, Any], name: str, context: Mapping[str, str]) -> Job:
    """Run a job's steps in order, as GitHub does: `env` of workflow, job and step, expressions resolved;
    the first failing step ends the job."""
    job = Job()
    outputs: dict[str, dict[str, str]] = {}
    summary = repo.root.parent / "step-summary.md"

    def resolve(value: object) -> str:
        def one(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("secrets."):
                return SECRETS[expression.removeprefix("secrets.")]
            if expression.startswith("steps."):
                step_id, _, output = expression.removeprefix("steps.").split(".", 2)
                return outputs[step_id][output]
            return context[expression]

        return _EXPRESSION.sub(one, str(value))

    definition = workflow["jobs"][name]
    for index, step in enumerate(definition["steps"]):
        if "uses" in step:
            continue
        script = step["run"]
        assert "${{" not in script, f"{name} step {index}: keep expressions in env:, not in run:"
        if step.get("id") == "install":
            assert script.strip() == INSTALL
            continue
        output = repo.root.parent / f"output-{name}-{index}"
        output.write_text("")
        env = base_env(repo)
        for scope in (workflow.get("env", {}), definition.get("env", {}), step.get("env", {})):
            env.update({key: resolve(value) for key, value in scope.items()})
        env.update(
            GITHUB_OUTPUT=str(output),
            GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_API_URL=repo.forge.url,
            GITHUB_REPOSITORY="acme/dialler",
        )
        result = bash(script, repo.root, env, step.get("id", str(index)))
        job.steps.append(result)
        pairs = (line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        outputs[step.get("id", str(index))] = dict(pairs)
        if result.code != 0:
            break
    return job


def test_github_workflow_plans_comments_applies_and_catches_drift(repo: Repo) -> None:
    workflow = load(GITHUB)
    assert set(workflow["on"]) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["jobs"]["apply"]["concurrency"] == {
        "group": "reconciler-production",
        "cancel-in-progress": False,
    }
    assert workflow["jobs"]["drift"]["concurrency"]["group"] == "reconciler-production"
    assert f"echo '{MARKDOWN_MARKER}'" in workflow["jobs"]["plan"]["steps"][3]["run"]
    pr = {"github.event.pull_request.number": "7"}

    first = github_job(repo, workflow, "plan", pr)
    assert first.codes == {"plan": 0, "comment": 0, "verdict": 0}, first.steps
    assert first.steps[0].stderr.splitlines()[-1].startswith("Plan: 829 to create, 1 to change,")
    assert (repo.root / "plan.json").exists()
    (comment,) = repo.forge.comments.values()
    assert comment["body"].startswith(f"{MARKDOWN_MARKER}\n### reconciler plan for `production`\n")
    assert "**Plan: 829 to create, 1 to change, 0 to complete/remove.**" in comment["body"]

    second = github_job(repo, workflow, "plan", pr)
    assert second.codes == {"plan": 0, "comment": 0, "verdict": 0}
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
    assert "Verified: the live state matches the manifests." in merged.steps[1].stdout
    assert repo.sql("SELECT count(*) FROM cn_records") == [(325,)]

    after = github_job(repo, workflow, "plan", pr)
    assert after.codes == {"plan": 0, "comment": 0, "verdict": 0}
    assert "No changes. The live state matches the manifests." in repo.forge.comments[comment["id"]]["body"]

    quiet = github_job(repo, workflow, "drift", {})
    assert quiet.codes == {"drift": 0}, quiet.steps
    repo.sql("UPDATE cn_datasets SET d_priority = 77 WHERE description = 'Spring renewals'")
    nightly = github_job(repo, workflow, "drift", {})
    assert nightly.codes == {"drift": 2}  # the job fails: drift
    report = json.loads((repo.root / "drift.json").read_text())
    assert report["drift"] is True
    assert [change["address"] for change in report["config_drift"]] == ["Dataset/spring-renewals"]
    assert (
        nightly.steps[0]
        .stderr.splitlines()[-1]
        .startswith("Drift: 1 resource changed outside git. Run `reconciler plan . --target production`")
    )
    assert "<!-- reconciler-drift -->" in (repo.root.parent / "step-summary.md").read_text()


def test_github_plan_comment_carries_a_failed_plan(repo: Repo) -> None:
    workflow = load(GITHUB)
    (repo.root / "manifests/datasets.yaml").write_text(
        (repo.root / "manifests/datasets.yaml").read_text().replace("priority: 50", "priority: 95")
    )
    failed = github_job(repo, workflow, "plan", {"github.event.pull_request.number": "8"})
    assert failed.codes == {"plan": 0, "comment": 0, "verdict": 1}  # the job fails after the comment
    (comment,) = repo.forge.comments.values()
    assert comment["body"].startswith(f"{MARKDOWN_MARKER}\n### reconciler plan failed\n\n```\nError: ")
    assert "priority" in comment["body"]


# ------------------------------------------------------------------------------------------------- GitLab


def gitlab_job(repo: Repo, pipeline: dict[str, Any], name: str, variables: Mapping[str, str]) -> Job:
    """Run before_script (less the install line) and script in one bash, as the GitLab runner does."""
    definition = pipeline[name]
    before = list(definition.get("before_script", pipeline["default"]["before_script"]))
    assert before == [INSTALL]
    env = base_env(repo)
    env.update({key: str(value) for key, value in pipeline["variables"].items()})
    env.update({key: str(value) for key, value in definition.get("variables", {}).items()})
    env.update(SECRETS)
    env.update(CI_API_V4_URL=f"{repo.forge.url}/api/v4", CI_PROJECT_ID="acme/dialler", GITLAB_TOKEN="glpat-x")
    env.update(variables)
    result = bash("\n".join(definition["script"]) + "\n", repo.root, env, name)
    return Job([result])


def test_gitlab_pipeline_plans_comments_applies_and_catches_drift(repo: Repo) -> None:
    pipeline = load(GITLAB)
    assert (
        pipeline["apply"]["resource_group"] == pipeline["drift"]["resource_group"] == "reconciler-production"
    )
    assert pipeline["drift"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert pipeline["drift"]["artifacts"] == {"when": "always", "paths": ["drift.json"]}
    mr = {"CI_MERGE_REQUEST_IID": "12", "CI_PIPELINE_SOURCE": "merge_request_event"}

    first = gitlab_job(repo, pipeline, "plan", mr)
    assert first.codes == {"plan": 0}, first.steps
    (note,) = repo.forge.comments.values()
    assert note["body"].startswith(f"{MARKDOWN_MARKER}\n### reconciler plan for `production`\n")
    assert gitlab_job(repo, pipeline, "plan", mr).codes == {"plan": 0}
    assert repo.forge.calls == [
        ("GET", "/api/v4/projects/acme%2Fdialler/merge_requests/12/notes"),
        ("POST", "/api/v4/projects/acme%2Fdialler/merge_requests/12/notes"),
        ("GET", "/api/v4/projects/acme%2Fdialler/merge_requests/12/notes"),
        ("PUT", f"/api/v4/projects/acme%2Fdialler/merge_requests/12/notes/{note['id']}"),
    ]
    assert set(repo.forge.auth) == {"glpat-x"}

    merged = gitlab_job(repo, pipeline, "apply", {"CI_PIPELINE_SOURCE": "push"})
    assert merged.codes == {"apply": 0}, merged.steps
    assert repo.sql("SELECT count(*) FROM cn_records") == [(325,)]

    repo.sql("UPDATE cn_datasets SET d_priority = 77 WHERE description = 'Spring renewals'")
    nightly = gitlab_job(repo, pipeline, "drift", {"CI_PIPELINE_SOURCE": "schedule"})
    assert nightly.codes == {"drift": 2}
    assert json.loads((repo.root / "drift.json").read_text())["drift"] is True
