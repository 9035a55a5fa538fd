"""What a security review of the CI examples checks, as tests: what they install, which actions they run, who
gets which secret, what may cancel what; and two linters, zizmor (GitHub Actions security) and check-jsonschema
(the forges' own workflow schemas, as vendored in it). Both run offline."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reconciler.render.plan_text import MARKDOWN_MARKER

from .harness import GITHUB, GITHUB_SECRETS, GITLAB, GITLAB_VARIABLES, ROOT, environment_name, load

README = ROOT / "examples/ci/README.md"
PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("043fb46d1a93c77aae656e7c1c64a875d1fc6a0a", "v7.0.1"),
}
"""The reviewed commit of each action, at its current major (all three run on Node 24)."""
_SECRET = re.compile(r"\$\{\{\s*secrets\.(\w+)\s*\}\}")
_OFFLINE = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "ALL_PROXY": "http://127.0.0.1:9",
}


def install_lines(script: str) -> list[str]:
    return [line.strip() for line in script.strip().splitlines()]


def github_install_steps(workflow: dict[str, Any]) -> Iterator[list[str]]:
    for job in workflow["jobs"].values():
        (install,) = (step for step in job["steps"] if step.get("id") == "install")
        yield install_lines(install["run"])


def test_both_forges_install_the_same_way_and_never_by_a_bare_name() -> None:
    installs = [*github_install_steps(load(GITHUB)), load(GITLAB)["default"]["before_script"]]
    assert all(lines == installs[0] for lines in installs)
    assert installs[0] == [
        "python -m pip install --require-hashes --only-binary :all: -r vendor/reconciler/examples/ci/requirements.txt",
        "python -m pip install --no-deps --no-build-isolation --no-index ./vendor/reconciler",
        "python -m pip check",
    ]
    for text in (GITHUB.read_text(), GITLAB.read_text()):
        for line in re.findall(r"pip install .*", text):
            assert "--require-hashes" in line or "--no-index" in line, line


def test_github_actions_are_pinned_by_commit_with_their_version() -> None:
    text = GITHUB.read_text()
    uses = re.findall(r"uses: (\S+)(.*)", text)
    assert {(action, comment) for action, comment in uses} == {
        (f"{action}@{sha}", f" # {version}") for action, (sha, version) in PINS.items()
    }
    for job in load(GITHUB)["jobs"].values():
        (checkout,) = (step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout@"))
        assert checkout["with"] == {"submodules": True, "persist-credentials": False}


def test_github_permissions_are_per_job_and_least() -> None:
    workflow = load(GITHUB)
    assert workflow["permissions"] == {}
    assert {name: job["permissions"] for name, job in workflow["jobs"].items()} == {
        "plan": {"contents": "read", "pull-requests": "write"},
        "apply": {"contents": "read"},
        "drift": {"contents": "read"},
    }


def test_github_secrets_reach_only_the_steps_and_environments_that_need_them() -> None:
    workflow = load(GITHUB)
    assert not _SECRET.search(json.dumps(workflow.get("env", {})))
    assert set(workflow["on"]) == {"pull_request", "push", "schedule", "workflow_dispatch"}  # no *_target
    assert workflow["on"]["push"]["branches"] == ["main"]
    readonly, production = set(GITHUB_SECRETS["production-readonly"]), set(GITHUB_SECRETS["production"])
    used: dict[str, set[str]] = {}
    for name, job in workflow["jobs"].items():
        assert not _SECRET.search(json.dumps(job.get("env", {}))), f"{name}: secrets in the job's env"
        for step in job["steps"]:
            assert not _SECRET.search(json.dumps(step.get("run", ""))), f"{name}: a secret in a script"
            for key, value in step.get("env", {}).items():
                for secret in _SECRET.findall(value):
                    assert secret == key, f"{name}: {key} holds secrets.{secret}"
                    used.setdefault(name, set()).add(secret)
    assert used == {"plan": readonly, "apply": production, "drift": readonly}
    environments = {
        name: (environment_name(job), job.get("environment")) for name, job in workflow["jobs"].items()
    }
    assert environments == {
        "plan": ("production-readonly", {"name": "production-readonly", "deployment": False}),
        "apply": ("production", "production"),
        "drift": ("production-readonly", {"name": "production-readonly", "deployment": False}),
    }
    targets = {name: job["env"]["RECONCILER_TARGET"] for name, job in workflow["jobs"].items()}
    assert targets == {"plan": "production-readonly", "apply": "production", "drift": "production-readonly"}
    # A fork's pull request gets no secrets, and is not planned.
    assert (
        "github.event.pull_request.head.repo.full_name == github.repository" in workflow["jobs"]["plan"]["if"]
    )
    readme = README.read_text()
    assert all(secret in readme for secret in readonly | production)


def test_github_drift_never_shares_a_group_with_apply_and_no_apply_is_cancelled() -> None:
    jobs = load(GITHUB)["jobs"]
    assert jobs["apply"]["concurrency"] == {
        "group": "reconciler-apply-production",
        "cancel-in-progress": False,
        "queue": "max",
    }
    assert jobs["drift"]["concurrency"] == {
        "group": "reconciler-drift-production",
        "cancel-in-progress": False,
    }
    assert jobs["plan"]["concurrency"]["group"] == "reconciler-plan-${{ github.event.pull_request.number }}"


def test_the_plan_marker_is_the_renderer_s() -> None:
    for text in (GITHUB.read_text(), GITLAB.read_text()):
        assert text.count(f"marker='{MARKDOWN_MARKER}'") == 1
        assert text.count(f'MARKER = "{MARKDOWN_MARKER}"') == 1


def test_gitlab_variables_and_order() -> None:
    pipeline = load(GITLAB)
    readonly = {"name": "production-readonly", "action": "access"}
    assert {name: pipeline[name]["environment"] for name in ("plan", "apply", "drift")} == {
        "plan": readonly,
        "apply": {"name": "production"},
        "drift": readonly,
    }
    assert {
        name: pipeline[name]["variables"]["RECONCILER_TARGET"] for name in ("plan", "apply", "drift")
    } == {
        "plan": "production-readonly",
        "apply": "production",
        "drift": "production-readonly",
    }
    # A merge-request pipeline runs on an unprotected branch: what its jobs need must not be protected.
    for name, variable in GITLAB_VARIABLES.items():
        assert variable.protected == (variable.scope == "production"), name
    # GitLab never cancels a job waiting for its resource group; oldest_first makes them run in order.
    assert (
        pipeline["apply"]["resource_group"] == pipeline["drift"]["resource_group"] == "reconciler-production"
    )
    assert "process_mode=oldest_first" in README.read_text()
    assert pipeline["drift"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert pipeline["drift"]["artifacts"] == {"when": "always", "paths": ["drift.json"]}
    readme = README.read_text()
    assert all(name in readme for name in GITLAB_VARIABLES)


def _tool(*command: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in {"GH_TOKEN", "GITHUB_TOKEN"}}
    env.update(_OFFLINE)  # any attempt to reach the network fails
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_zizmor_finds_nothing() -> None:
    zizmor = str(Path(sys.executable).parent / "zizmor")
    base = (zizmor, "--offline", "--no-config", "--no-progress", "--format", "json")
    regular = _tool(*base, str(GITHUB))
    assert regular.returncode == 0, regular.stderr
    assert json.loads(regular.stdout) == []
    auditor = _tool(*base, "--persona", "auditor", "--no-exit-codes", str(GITHUB))
    findings = json.loads(auditor.stdout)
    assert [finding["ident"] for finding in findings if finding["determinations"]["severity"] == "High"] == []


def test_the_files_match_the_forges_schemas() -> None:
    for schema, path in (("vendor.github-workflows", GITHUB), ("vendor.gitlab-ci", GITLAB)):
        done = _tool(sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path))
        assert done.returncode == 0, done.stdout + done.stderr
