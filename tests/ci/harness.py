"""Runs the jobs of the CI examples as the forges do, on this machine and offline.

Every `run:` script of the GitHub workflow, and every `before_script:` and `script:` line of the GitLab file, is
executed by bash as written, the install lines included, against a real emulator server and a stand-in for the
comment APIs (forge.py). Only `uses:` steps are not run: what they do is done here instead.

- actions/checkout with `submodules: true` (the GitLab runner with GIT_SUBMODULE_STRATEGY): the user's repository
  holds the bundled example manifests, its own reconciler.yaml (targets pointing at the emulator), and this
  project's source at vendor/reconciler, where the submodule would be.
- actions/setup-python: a job gets a new virtual environment of its own as its `python`. Its site holds the
  locked dependencies and pip, linked from this test run's environment (no network, and no copy of them), and
  neither reconciler nor anything else: the install lines must put reconciler there, from vendor/reconciler.
  A later job of the same test whose install lines are the same (as test_security.py checks they are) reuses that
  Python, as a warm runner would, instead of running them again: they run as written once a test.
- pip is offline (PIP_NO_INDEX, no configuration files), so a line that installs by a bare name from an index
  fails the job. The lock at vendor/reconciler/examples/ci/requirements.txt is replaced by one that pins the
  versions installed here: pip checks hashes only of what it downloads, and an installed pin is not downloaded.
  The committed lock itself is checked in test_lock.py.
- Secrets and CI/CD variables reach a job only as the README tells users to set them up (GITHUB_SECRETS,
  GITLAB_VARIABLES): by environment on GitHub; by environment scope and protection on GitLab.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from reconciler.emulator.state import EmulatorState

from .forge import Forge

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "examples/ci/github/reconciler.yml"
GITLAB = ROOT / "examples/ci/gitlab/.gitlab-ci.yml"
LOCK = ROOT / "examples/ci/requirements.txt"
SUBMODULE = "vendor/reconciler"
LOCKED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)
"""A pinned requirement of a lock: name, version."""

_RO = {
    "RECONCILER_RO_CONTACTNOW_USERNAME": "demo",
    "RECONCILER_RO_CONTACTNOW_PASSWORD": "demo-password",
    "RECONCILER_RO_CC_TENANT": "demo",
    "RECONCILER_RO_CC_TOKEN": "demo-token",
}
_PRODUCTION = {
    "CONTACTNOW_USERNAME": "demo",
    "CONTACTNOW_PASSWORD": "demo-password",
    "CC_TENANT": "demo",
    "CC_TOKEN": "demo-token",
}
GITHUB_SECRETS = {"production-readonly": _RO, "production": _PRODUCTION}
"""Environment name -> its secrets. A job reads the secrets of the one environment it names, and no other."""
GITHUB_TOKEN = "ghs_example"


@dataclass(frozen=True)
class Variable:
    """A GitLab CI/CD variable as the README tells users to set it."""

    value: str
    protected: bool
    scope: str  # environment scope; "*" is every job


GITLAB_VARIABLES = {
    **{name: Variable(value, protected=True, scope="production") for name, value in _PRODUCTION.items()},
    **{name: Variable(value, protected=False, scope="production-readonly") for name, value in _RO.items()},
    "GITLAB_TOKEN": Variable("glpat-x", protected=False, scope="production-readonly"),
}

_EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
_ZERO_HASH = "0" * 64


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

    def step(self, name: str) -> Step:
        (found,) = (step for step in self.steps if step.name == name)
        return found


@dataclass
class Repo:
    root: Path
    forge: Forge
    dependencies: Path
    emulator: EmulatorState | None = None  # None: no emulator (the jobs then run a stand-in `reconciler`)
    fake_bin: Path | None = None  # a folder put first on PATH, for a stand-in `reconciler`
    installed: dict[str, Path] = field(default_factory=dict)  # install lines -> a Python they installed into

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        assert self.emulator is not None
        with self.emulator.store.lock:
            return list(self.emulator.store.conn.execute(query, params).fetchall())


def load(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text())
    assert isinstance(data, dict)
    return data


def locked(text: str) -> dict[str, str]:
    """The pins of a lock: normalised name -> version."""
    return {_normalise(name): version for name, version in LOCKED.findall(text)}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ------------------------------------------------------------------------------------- the user's repository


def _installed() -> dict[str, str]:
    """The distributions the committed lock names that are installed here: name -> installed version. (A name
    the installed versions no longer need may be missing; the committed lock is checked in test_lock.py.)"""
    found = {}
    for name in locked(LOCK.read_text()):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def dependencies_site(folder: Path) -> Path:
    """A folder holding links to the locked distributions as installed here, and to pip: what the hash-checked
    install line would have put in a job's environment. Nothing else, and reconciler least of all."""
    folder.mkdir(parents=True)
    for name in [*_installed(), "pip"]:
        distribution = importlib.metadata.distribution(name)
        site = Path(str(distribution.locate_file("")))
        tops = {
            file.parts[0] for file in distribution.files or () if file.parts[0] not in {"..", "__pycache__"}
        }
        for top in sorted(tops - {entry.name for entry in folder.iterdir()}):
            (folder / top).symlink_to(site / top)
    return folder


def _installed_lock() -> str:
    """A lock that pins the versions installed here. Its hashes are never read: pip checks the hash of a file
    it downloads, and every pin here is installed already."""
    pins = "".join(
        f"{name}=={version} \\\n    --hash=sha256:{_ZERO_HASH}\n"
        for name, version in sorted(_installed().items())
    )
    return f"# written by tests/ci: the versions installed in the test run\n{pins}"


def user_repository(root: Path, base_url: str) -> None:
    """The repository a user keeps: manifests, reconciler.yaml, and this project's source as the submodule."""
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
              production-readonly:
                contactnow: {{baseUrl: "{base_url}/contactnow/", usernameEnv: RECONCILER_RO_CONTACTNOW_USERNAME,
                             passwordEnv: RECONCILER_RO_CONTACTNOW_PASSWORD}}
                contactCenter: {{baseUrl: "{base_url}/cc", tenantEnv: RECONCILER_RO_CC_TENANT,
                                tokenEnv: RECONCILER_RO_CC_TOKEN}}
            """
        )
    )
    source = root / SUBMODULE
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "tests",
            "__pycache__",
            "*.egg-info",
            "build",
            "dist",
            ".reconciler",
            "bench-data",
            ".*_cache",
            ".hypothesis",
        ),
    )
    (source / LOCK.relative_to(ROOT)).write_text(_installed_lock())


# ------------------------------------------------------------------------------------------------ the jobs


def _python(repo: Repo, name: str, install: str | None) -> tuple[Path, bool]:
    """A job's Python, and whether its install lines are to run: the Python a job of this test installed into
    with the same lines, or a new one."""
    if install is not None and install in repo.installed:
        return repo.installed[install], False
    venv = repo.root.parent / f"python-{name}"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
    (site / "dependencies.pth").write_text(f"{repo.dependencies}\n")
    return venv, True


def _job_environment(repo: Repo, venv: Path) -> dict[str, str]:
    """What every job starts with: its Python first on PATH (as setup-python or the image gives), pip offline,
    and none of this test run's own executables."""
    ours = str(Path(sys.executable).parent)
    path = [
        str(venv / "bin"),
        *(entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry != ours),
    ]
    if repo.fake_bin is not None:
        path.insert(0, str(repo.fake_bin))
    return {
        "PATH": os.pathsep.join(path),
        "HOME": str(repo.root.parent),
        "LANG": "C.UTF-8",
        "CI": "true",
        "PIP_CONFIG_FILE": os.devnull,  # neither this machine's index nor its wheel folders
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_CACHE_DIR": "1",
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


def environment_name(definition: Mapping[str, Any]) -> str | None:
    environment = definition.get("environment")
    if isinstance(environment, Mapping):
        return str(environment["name"])
    return None if environment is None else str(environment)


def github_job(
    repo: Repo, workflow: dict[str, Any], name: str, context: Mapping[str, str], skip: Iterable[str] = ()
) -> Job:
    """Run a job's steps in order, as GitHub does: `env` of workflow, job and step, expressions resolved (a
    secret the job's environment does not hold is empty, as on GitHub); the first failing step ends the job.
    Steps whose id is in `skip` are not run, nor the install step when a job of this test ran the same lines."""
    job = Job()
    outputs: dict[str, dict[str, str]] = {}
    summary = repo.root.parent / "step-summary.md"
    definition = workflow["jobs"][name]
    secrets = GITHUB_SECRETS.get(environment_name(definition) or "", {})

    def resolve(value: object) -> str:
        def one(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("secrets."):
                return secrets.get(expression.removeprefix("secrets."), "")
            if expression == "github.token":
                return GITHUB_TOKEN
            if expression.startswith("steps."):
                step_id, _, output = expression.removeprefix("steps.").split(".", 2)
                return outputs[step_id][output]
            return context[expression]

        return _EXPRESSION.sub(one, str(value))

    install = next((step["run"] for step in definition["steps"] if step.get("id") == "install"), None)
    venv, fresh = _python(repo, name, None if "install" in skip else install)
    start = _job_environment(repo, venv)
    for index, step in enumerate(definition["steps"]):
        step_id = step.get("id", str(index))
        if "uses" in step or step_id in skip or (step_id == "install" and not fresh):
            continue
        script = step["run"]
        assert "${{" not in script, f"{name} step {index}: keep expressions in env:, not in run:"
        output = repo.root.parent / f"output-{name}-{index}"
        output.write_text("")
        env = dict(start)
        for scope in (workflow.get("env", {}), definition.get("env", {}), step.get("env", {})):
            env.update({key: resolve(value) for key, value in scope.items()})
        env.update(
            GITHUB_OUTPUT=str(output),
            GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_API_URL=repo.forge.url,
            GITHUB_REPOSITORY="acme/dialler",
            RUNNER_TEMP=str(repo.root.parent),
        )
        result = bash(script, repo.root, env, step_id)
        job.steps.append(result)
        if step_id == "install" and result.code == 0:
            repo.installed[script] = venv
        pairs = (line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        outputs[step_id] = dict(pairs)
        if result.code != 0:
            break
    return job


def gitlab_variables(definition: Mapping[str, Any], protected_ref: bool) -> dict[str, str]:
    """The project's CI/CD variables a job gets: a protected one only on a protected branch, and a scoped one
    only in a job of that environment."""
    scope = environment_name(definition)
    return {
        name: variable.value
        for name, variable in GITLAB_VARIABLES.items()
        if (protected_ref or not variable.protected) and variable.scope in {"*", scope}
    }


def gitlab_job(
    repo: Repo,
    pipeline: dict[str, Any],
    name: str,
    predefined: Mapping[str, str],
    *,
    protected_ref: bool,
    install: bool = True,
    withhold: Iterable[str] = (),
) -> Job:
    """Run before_script (unless `install` is false, or a job of this test ran the same lines) and script in one
    bash, as the GitLab runner does, with the pipeline's and the job's variables, the project's variables the job
    gets (less `withhold`), and the predefined ones given."""
    definition = pipeline[name]
    before = definition.get("before_script", pipeline["default"]["before_script"]) if install else []
    venv, fresh = _python(repo, name, "\n".join(before) if before else None)
    before = before if fresh else []
    env = _job_environment(repo, venv)
    env.update({key: str(value) for key, value in pipeline.get("variables", {}).items()})
    env.update({key: str(value) for key, value in definition.get("variables", {}).items()})
    project = gitlab_variables(definition, protected_ref)
    env.update({key: value for key, value in project.items() if key not in set(withhold)})
    env.update(CI_API_V4_URL=f"{repo.forge.url}/api/v4", CI_PROJECT_ID="acme/dialler")
    env.update(predefined)
    result = bash("\n".join([*before, *definition["script"]]) + "\n", repo.root, env, name)
    if before and (venv / "bin/reconciler").exists():
        repo.installed["\n".join(before)] = venv
    return Job([result])
