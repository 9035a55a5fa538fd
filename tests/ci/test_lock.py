"""The lock the CI examples install reconciler's dependencies from, examples/ci/requirements.txt: every
distribution pinned and hashed and nothing else in it, every dependency of reconciler in it at a version
pyproject.toml allows, and the build backend too (the jobs build reconciler with --no-build-isolation).

When one of these fails after a change of pyproject.toml, make the lock again with the command at its top."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .harness import LOCK, ROOT, locked

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})+)$")


def logical_lines(text: str) -> list[str]:
    """The lock's requirement lines, continuations joined, comments dropped."""
    joined = text.replace("\\\n", " ")
    lines = (re.sub(r"(^|\s)#.*$", "", line).strip() for line in joined.splitlines())
    return [re.sub(r"\s+", " ", line) for line in lines if line]


def test_every_line_pins_a_version_and_its_hashes_and_nothing_else() -> None:
    text = LOCK.read_text()
    lines = logical_lines(text)
    assert lines
    for line in lines:
        assert _PIN.match(line), f"not a hashed pin: {line}"
    assert "pip-compile" in text
    assert "--generate-hashes" in text  # the command that makes it again


def test_reconciler_s_dependencies_and_build_backend_are_locked_within_their_ranges() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = locked(LOCK.read_text())
    needed = [*pyproject["project"]["dependencies"], *pyproject["build-system"]["requires"]]
    for text in needed:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in {LOCK.name}"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} vs {text}"


def test_what_a_locked_version_requires_is_locked_too() -> None:
    """Checked for the locked versions installed here (their metadata is at hand); the jobs' `pip check` checks
    what they install."""
    pins = locked(LOCK.read_text())
    checked = 0
    for name, version in pins.items():
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        if distribution.version != version:
            continue
        checked += 1
        for text in distribution.requires or ():
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            dependency = canonicalize_name(requirement.name)
            assert dependency in pins, f"{name}=={version} requires {text}, which is not locked"
            assert requirement.specifier.contains(pins[dependency], prereleases=True), (name, text)
    assert checked
