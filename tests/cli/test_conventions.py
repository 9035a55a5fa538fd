"""The CLI keeps Terraform's conventions: exit codes, saved plans as approvals, --version, completion, NO_COLOR.

These run against the built-in emulator (the project's own store under .reconciler/): in-process through the
same entry point the console script calls, and as the installed `reconciler` command where a real process or
terminal matters (the exit code a shell sees, a pseudo-terminal).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import dataset_doc, record_set_doc, write_file
from typer.testing import CliRunner

from reconciler.cli import app

RECONCILER = str(Path(sys.executable).parent / "reconciler")


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> Ran:
    """The CLI in-process, as the console script runs it (usage errors included), stdin not a terminal."""
    result = CliRunner().invoke(app, list(args), input=stdin, env={"NO_COLOR": "", **(env or {})})
    return Ran(result.exit_code, result.stdout, result.stderr)


def process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command as a real process: the exit code a shell sees, its own logging set-up."""
    return subprocess.run(
        [RECONCILER, *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write_file(root, "manifests/spring.yaml", dataset_doc() + record_set_doc(source="spring.csv"))
    write_file(root, "manifests/spring.csv", "VENDOR_URN,FirstName,MobilePhone\nA-1,Ann,07700900001\n")
    return root


def test_exit_codes(project: Path) -> None:
    """0 success or nothing to do, 2 changes or drift, 1 everything else."""
    assert run("validate", str(project)).returncode == 0
    assert run("plan", str(project)).returncode == 0
    assert run("plan", str(project), "--detailed-exitcode").returncode == 2
    assert run("apply", str(project), "--auto-approve").returncode == 0
    assert run("plan", str(project), "--detailed-exitcode").returncode == 0
    assert run("drift", str(project)).returncode == 0
    write_file(project, "manifests/spring.csv", "VENDOR_URN,FirstName,MobilePhone\nA-1,Anne,07700900001\n")
    assert run("drift", str(project)).returncode == 2
    assert run("--version").returncode == 0
    typo = process("plan", str(project), "--detailed-exitcod")
    assert typo.returncode == 1
    assert "No such option: --detailed-exitcod" in typo.stderr
    assert process().returncode == 1  # a bare command prints the help, and is not "changes present"
    assert run("drfit").returncode == 1
    assert run("plan", str(project), "--target", "nowhere").returncode == 1
    assert run("validate", str(project / "missing")).returncode == 1


def test_version_and_completion() -> None:
    version = run("--version")
    assert version.stdout == "reconciler 0.1.0\n"
    # typer finds the shell from the processes above it (shellingham), which under `sh -c` is sh, a shell it does
    # not complete; its own switch for tests makes it take the shell named here instead.
    completion = process(
        "--show-completion", "bash", env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    )
    assert completion.returncode == 0
    assert "_reconciler_completion()" in completion.stdout
    assert "complete -o default -F _reconciler_completion reconciler" in completion.stdout


def test_the_command_line_loads_no_engine_until_a_command_needs_it() -> None:
    """--version and --help start quickly: importing the CLI loads neither the engine nor the libraries behind
    it (pydantic, httpx, polars, ruamel.yaml...); `plan` and the other commands import them when they run."""
    heavy = ("polars", "httpx", "pydantic", "ruamel", "msgspec", "deepdiff", "starlette", "uvicorn", "ijson")
    code = (
        "import sys, reconciler.cli; "
        "print(sorted(m for m, module in sys.modules.items() if module is not None and "
        f"(m.split('.')[0] in {heavy!r} or m == 'reconciler.engine')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout == "[]\n"
    version = process("--version")
    assert (version.returncode, version.stdout) == (0, "reconciler 0.1.0\n")


def test_the_engine_loads_no_command_line_client_of_httpx() -> None:
    """httpx imports its own command-line client (click, rich, pygments: about 0.1 s) when they are installed;
    reconciler never runs it, so a plan's start does not pay for it. rich loads only for a progress bar."""
    code = (
        "import sys, reconciler.engine, reconciler.providers.contactnow.client, httpx; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'rich', 'pygments')), "
        "'httpx._main' in sys.modules and sys.modules['httpx._main'] is not None)"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout == "[] False\n"


def test_a_saved_plan_is_the_approval_and_a_stale_one_is_still_refused(project: Path, tmp_path: Path) -> None:
    saved = tmp_path / "p.json"
    planned = run("plan", str(project), "--out", str(saved))
    assert planned.returncode == 0, planned.stderr
    assert planned.stderr.splitlines()[-1].endswith(
        f"Saved to {saved}; apply exactly this plan with `reconciler apply {project} --plan {saved}`."
    )
    stale = tmp_path / "stale.json"
    stale.write_bytes(saved.read_bytes())
    applied = run("apply", str(project), "--plan", str(saved), stdin="")  # no terminal, no --auto-approve
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Verified: the live state matches the manifests." in applied.stdout
    refused = run("apply", str(project), "--plan", str(stale), stdin="")
    assert refused.returncode == 1
    assert "Dataset/spring: its live state changed since the plan was made" in refused.stderr
    assert "Applying:" not in refused.stdout


def test_an_unsaved_apply_still_needs_approval_when_unattended(project: Path) -> None:
    refused = run("apply", str(project), stdin="")
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith(
        "refusing to apply unattended: pass --auto-approve, or save a plan with `plan --out FILE` and apply "
        "that reviewed file with `apply --plan FILE`"
    )
    assert run("plan", str(project), "--detailed-exitcode").returncode == 2  # nothing was written


def test_show_renders_a_saved_plan_without_a_target(project: Path, tmp_path: Path) -> None:
    saved = tmp_path / "p.json"
    assert run("plan", str(project), "--out", str(saved)).returncode == 0
    shutil.rmtree(project)  # no project, no emulator store: show reads the file alone
    text = run("show", str(saved))
    assert text.returncode == 0, text.stderr
    assert "  + Dataset/spring will be created" in text.stdout
    assert json.loads(run("show", str(saved), "--format", "json").stdout) == json.loads(saved.read_text())
    assert run("show", str(saved), "--format", "markdown").stdout.startswith("<!-- reconciler-plan -->\n")
    body = json.loads(saved.read_text())
    body["target"] = "production"
    saved.write_text(json.dumps(body))
    edited = run("show", str(saved))
    assert edited.returncode == 1
    assert "was modified after it was made (checksum mismatch)" in edited.stderr


def test_log_level_is_validated_and_log_lines_carry_a_timestamp(project: Path) -> None:
    wrong = run("validate", str(project), env={"RECONCILER_LOG": "chatty"})
    assert wrong.returncode == 1
    assert wrong.stderr == (
        "Error: environment variable RECONCILER_LOG is 'chatty'; set it to one of DEBUG, INFO, WARNING, ERROR, "
        "CRITICAL or unset it to use the default (WARNING)\n"
    )
    logged = process("plan", str(project), env={"RECONCILER_LOG": "debug"})
    assert logged.returncode == 0
    lines = [line for line in logged.stderr.splitlines() if " DEBUG " in line]
    assert lines
    assert all(line[:4].isdigit() and line[4] == "-" and line[10] == "T" for line in lines)


@pytest.mark.skipif(shutil.which("script") is None, reason="needs util-linux script for a pseudo-terminal")
def test_no_color_on_a_terminal_means_no_escape_codes(project: Path) -> None:
    """Under NO_COLOR, on a real pseudo-terminal (script), no command writes a terminal code."""
    commands = [
        ["--help"],
        ["plan", str(project)],
        ["apply", str(project), "--auto-approve"],
        ["plan", str(project)],
        ["drift", str(project)],
    ]
    for command in commands:
        line = shlex.join([RECONCILER, *command])
        done = subprocess.run(
            ["script", "-qec", line, "/dev/null"],
            capture_output=True,
            env={**os.environ, "NO_COLOR": "1", "TERM": "xterm-256color"},
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout
        assert b"\x1b" not in done.stdout, (command, done.stdout[:400])


@pytest.mark.parametrize("ends", [None, SystemExit(2)], ids=["returns", "exits"])
def test_what_a_command_made_is_left_to_the_process_end(
    monkeypatch: pytest.MonkeyPatch, ends: SystemExit | None
) -> None:
    """The console script's entry freezes every object once the command has answered, however it ends: the
    interpreter's collections at exit then walk none of them."""
    import gc

    from reconciler import cli

    def command() -> None:
        assert gc.get_freeze_count() == 0  # frozen only after the command
        if ends is not None:
            raise ends

    monkeypatch.setenv("_RJEM_MALLOC_CONF", "as the user set it")
    monkeypatch.setattr(cli, "app", command)
    try:
        if ends is None:
            cli.main()
        else:
            with pytest.raises(SystemExit) as exited:
                cli.main()
            assert exited.value.code == 2
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
