"""The import rules DESIGN.md sets: the emulator stands alone, and only the CLI wires it in."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"


def _imports(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved against its package)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
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
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _files(*, inside_emulator: bool) -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    return [path for path in files if (path.parts[len(PACKAGE.parts)] == "emulator") == inside_emulator]


def test_emulator_imports_nothing_from_the_rest_of_the_package() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in _files(inside_emulator=True)
        for name in _imports(path)
        if name.startswith("reconciler") and not name.startswith("reconciler.emulator")
    }
    assert offenders == set()
    assert len(_files(inside_emulator=True)) > 5


def test_only_the_cli_imports_the_emulator() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in _files(inside_emulator=False)
        for name in _imports(path)
        if name.startswith("reconciler.emulator") and path.name != "cli.py"
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
