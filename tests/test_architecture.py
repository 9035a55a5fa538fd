"""The layer rules DESIGN.md sets, checked on the import statements of every module.

Layers, from the ground up (a module imports only from its own layer or below):
  0 ground floor: errors, concurrency, redact, settings, text (and the package's version)
  1 model: immutable domain values
  2 manifest (the manifest language's machinery), plan (the change vocabulary and the plan document)
  3 providers (the vendor APIs behind providers/base.py), diff (the streaming diff engines), export's writers
  4 apply/steps.py: the apply vocabulary kinds speak
  5 kinds: one module per resource kind, and the registry
  6 planner, scope, apply (runner, lock), targets, export (the driver), schemas
  7 engine: the use cases
  8 render: plans, reports and progress as text; decides nothing
  9 cli: options -> engine -> renderers -> exit codes
The emulator stands apart: it imports nothing of the package, and only the CLI imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from reconciler.kinds import REGISTRY

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"

LAYERS: dict[str, int] = {
    "reconciler": 0,
    "reconciler.errors": 0,
    "reconciler.concurrency": 0,
    "reconciler.redact": 0,
    "reconciler.settings": 0,
    "reconciler.text": 0,
    "reconciler.model": 1,
    "reconciler.manifest": 2,
    "reconciler.plan": 2,
    "reconciler.providers": 3,
    "reconciler.diff": 3,
    "reconciler.suppression": 3,
    "reconciler.export.documents": 3,
    "reconciler.export.names": 3,
    "reconciler.export.records": 3,
    "reconciler.export.members": 3,
    "reconciler.apply.steps": 4,
    "reconciler.kinds": 5,
    "reconciler.planner": 6,
    "reconciler.scope": 6,
    "reconciler.apply": 6,
    "reconciler.targets": 6,
    "reconciler.export": 6,
    "reconciler.schemas": 6,
    "reconciler.engine": 7,
    "reconciler.render": 8,
    "reconciler.cli": 9,
}

FORBIDDEN: dict[str, tuple[str, ...]] = {
    # DESIGN: providers never import apply, diff or kinds; nor the manifest language or plans.
    "reconciler.providers": (
        "reconciler.apply",
        "reconciler.diff",
        "reconciler.kinds",
        "reconciler.manifest",
        "reconciler.plan",
    ),
    # Export and kinds speak the provider contract, never a vendor's wire types or a concrete provider.
    "reconciler.export": ("reconciler.providers.contactnow", "reconciler.providers.contactcenter"),
    "reconciler.kinds": ("reconciler.providers.contactnow", "reconciler.providers.contactcenter"),
    # Render decides nothing: it knows plans, reports and results, not how they are made.
    "reconciler.render": (
        "reconciler.engine",
        "reconciler.kinds",
        "reconciler.planner",
        "reconciler.providers.contactnow",
        "reconciler.providers.contactcenter",
    ),
}

CLI_MAY_IMPORT = (
    "reconciler.engine",
    "reconciler.render",
    "reconciler.errors",
    "reconciler.settings",
    "reconciler.redact",
    "reconciler.text",
    "reconciler.emulator",
)


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved against its package)."""
    parts = _module(path).split(".")
    package = parts if path.name == "__init__.py" else parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
    return {name for name in found if name == "reconciler" or name.startswith("reconciler.")}


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _layer(module: str) -> int:
    matches = [prefix for prefix in LAYERS if _within(module, prefix)]
    return LAYERS[max(matches, key=len)]


def _files(*, inside_emulator: bool) -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    return [path for path in files if (path.parts[len(PACKAGE.parts)] == "emulator") == inside_emulator]


def layer_offences() -> set[str]:
    """Every import that runs up the layers, or into a module its layer may not use."""
    offences = set()
    for path in _files(inside_emulator=False):
        module = _module(path)
        for name in _imports(path):
            if _within(name, "reconciler.emulator"):
                continue  # checked below: only the CLI
            if _layer(name) > _layer(module):
                offences.add(f"{module} (layer {_layer(module)}) imports {name} (layer {_layer(name)})")
            for owner, banned in FORBIDDEN.items():
                if _within(module, owner) and any(_within(name, item) for item in banned):
                    offences.add(f"{module} imports {name}")
    return offences


def test_imports_only_run_down_the_layers() -> None:
    assert layer_offences() == set()


def test_every_module_has_a_layer() -> None:
    for path in _files(inside_emulator=False):
        assert any(_within(_module(path), prefix) for prefix in LAYERS), path


def test_a_planted_import_that_runs_up_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: a provider that imports the apply runner is an offence."""
    planted = PACKAGE / "providers" / "contactnow" / "provider.py"
    original = planted.read_text()
    original_read = Path.read_text

    def read_text(self: Path, *args: object, **kwargs: object) -> str:
        if self == planted:
            return original + "\nfrom ...apply.runner import apply_plan  # planted\n"
        return original_read(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", read_text)
    assert layer_offences() == {
        "reconciler.providers.contactnow.provider (layer 3) imports reconciler.apply.runner (layer 6)",
        "reconciler.providers.contactnow.provider imports reconciler.apply.runner",
    }


def test_the_cli_imports_only_engine_render_errors_settings_redact_text_and_emulator() -> None:
    offenders = {
        name
        for name in _imports(PACKAGE / "cli.py")
        if name != "reconciler" and not any(_within(name, allowed) for allowed in CLI_MAY_IMPORT)
    }
    assert offenders == set()


def test_emulator_imports_nothing_from_the_rest_of_the_package() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in _files(inside_emulator=True)
        for name in _imports(path)
        if not _within(name, "reconciler.emulator")
    }
    assert offenders == set()
    assert len(_files(inside_emulator=True)) > 5


def test_only_the_cli_imports_the_emulator() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in _files(inside_emulator=False)
        for name in _imports(path)
        if _within(name, "reconciler.emulator") and path.name != "cli.py"
    }
    assert offenders == set()


def test_only_the_cli_prints() -> None:
    printing = sorted(
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*.py")
        if path.name != "cli.py"
        and any(
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
            for node in ast.walk(ast.parse(path.read_text()))
        )
    )
    assert printing == []


def _kind_literals(path: Path) -> set[str]:
    """The registered kind names a file writes as a string: the name itself, or the start of an address."""
    names = REGISTRY.names()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.update(name for name in names if node.value == name or node.value.startswith(name + "/"))
    return found


def test_a_kind_is_named_only_in_its_own_module() -> None:
    homes = {
        kind.name: PACKAGE / "kinds" / f"{type(kind).__module__.rsplit('.', 1)[1]}.py" for kind in REGISTRY
    }
    offenders = {
        f"{path.relative_to(PACKAGE.parent)} names {name}"
        for path in _files(inside_emulator=False)
        for name in _kind_literals(path)
        if homes[name] != path
    }
    assert offenders == set()
    assert {name for path in homes.values() for name in _kind_literals(path)} == set(REGISTRY.names())
