"""Shell completion: the committed scripts are current, and TAB really completes in a real bash."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exportctl.cli.app import app
from exportctl.cli.completion import Shell, completion_script

COMPLETIONS = Path(__file__).resolve().parents[2] / "completions"
FILES = {Shell.bash: "exportctl.bash", Shell.zsh: "_exportctl", Shell.fish: "exportctl.fish"}


@pytest.mark.parametrize("shell", list(Shell), ids=lambda shell: shell.value)
def test_committed_completion_scripts_are_current(shell: Shell) -> None:
    committed = (COMPLETIONS / FILES[shell]).read_text()
    assert committed == completion_script(shell), "regenerate with: make completions"
    printed = CliRunner().invoke(app, ["completion", shell.value])
    assert printed.exit_code == 0 and printed.stdout == committed


def test_unknown_shell_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["completion", "tcsh"])
    assert result.exit_code == 2
    assert "bash" in result.output


def _exportctl_dir() -> Path:
    beside = Path(sys.executable).parent / "exportctl"
    found = beside if beside.exists() else shutil.which("exportctl")
    if found is None:
        pytest.skip("the exportctl console script is not installed")
    return Path(found).parent


def _tab_in_bash(typed: str, *expect: str, home: str | None = None) -> str:
    """Type `typed` and TAB into an interactive bash with our completion loaded; the screen once `expect`
    shows on it, every one of them if several (or after 10 s without them)."""
    env = {
        "PATH": f"{_exportctl_dir()}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": home or os.environ.get("HOME", "/tmp"),
        "TERM": "dumb",
        "PS1": "$ ",
        "INPUTRC": "/dev/null",
    }
    pid, fd = pty.fork()
    if pid == 0:  # the child: a real interactive bash
        os.execve(shutil.which("bash") or "/bin/bash", ["bash", "--norc", "--noprofile", "-i"], env)
    output = b""

    def read_for(seconds: float, until: tuple[str, ...] = ()) -> None:
        nonlocal output
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = output.decode(errors="replace")
            if until and all(text in screen for text in until):
                return
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    output += os.read(fd, 65536)
                except OSError:
                    return

    try:
        os.write(fd, f"source {COMPLETIONS / 'exportctl.bash'}\n".encode())
        # List the candidates at the first TAB, as many users configure readline to do.
        os.write(fd, b"bind 'set show-all-if-ambiguous on'\n")
        read_for(0.5)
        output = b""
        os.write(fd, (typed if "\t" in typed else typed + "\t").encode())
        read_for(10.0, until=expect)
    finally:
        os.write(fd, b"\x03exit\n")
        os.close(fd)
        os.waitpid(pid, 0)
    return output.decode(errors="replace").replace("\r", "")


needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


@needs_bash
def test_bash_completes_a_subcommand() -> None:
    expect = "exportctl gift-card-transactions"
    assert expect in _tab_in_bash("exportctl gift", expect)


@needs_bash
def test_bash_completes_a_field_inside_a_comma_list() -> None:
    expect = "--fields code,voucher_type"
    assert expect in _tab_in_bash("exportctl voucher --fields code,vouch", expect)


@needs_bash
def test_bash_lists_the_fields_that_match() -> None:
    screen = _tab_in_bash("exportctl voucher --fields code,va", "code,value", "code,validity_day_of_week")
    assert "code,value" in screen and "code,validity_day_of_week" in screen


@needs_bash
def test_bash_completes_an_enum_value_after_equals() -> None:
    expect = "--filter status=FULFILLED"
    assert expect in _tab_in_bash("exportctl order --filter status=FUL", expect)


@needs_bash
def test_bash_completes_an_order_value() -> None:
    expect = "--order expires_at"
    assert expect in _tab_in_bash("exportctl points-expiration --order ex", expect)
    # Click reads a word that starts with "-" as an option name, so descending orders are offered
    # in the list of an empty word rather than completed from "-".
    assert "-expires_at" in _tab_in_bash("exportctl points-expiration --order ", "-expires_at")


@needs_bash
def test_bash_adds_no_space_after_a_filter_field_so_the_operator_follows() -> None:
    # `@` typed right after the TAB lands against the completed word when no space was added.
    expect = "--filter status@"
    assert expect in _tab_in_bash("exportctl order --filter stat\t@", expect)


@needs_bash
def test_bash_completes_the_sub_fields_of_a_prefix() -> None:
    expect = "--fields address.city"
    assert expect in _tab_in_bash("exportctl customer --fields address.ci", expect)
    screen = _tab_in_bash("exportctl customer --fields name,address.", "address.city", "address.postal_code")
    assert "address.city" in screen and "address.postal_code" in screen


@needs_bash
def test_bash_never_lists_files_for_a_profile(tmp_path: Path) -> None:
    work = Path.cwd()
    (work / "somefile-a.txt").write_text("")
    (work / "somefile-b.txt").write_text("")
    screen = _tab_in_bash("exportctl --profile \t@", "@", home=str(tmp_path)).replace("\a", "")
    assert "--profile @" in screen and "somefile" not in screen, screen


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script_answers_the_completion_protocol() -> None:
    env = {**os.environ, "_EXPORTCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "exportctl voucher --order -co"}
    answer = subprocess.run([sys.executable, "-m", "exportctl"], env=env, capture_output=True, text=True, check=False)
    assert "-code" in answer.stdout


def _zsh_answer(line: str, home: Path) -> str:
    env = {**os.environ, "_EXPORTCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line, "HOME": str(home)}
    env.pop("XDG_CONFIG_HOME", None)
    done = subprocess.run([sys.executable, "-m", "exportctl"], env=env, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def test_zsh_answers_no_files_for_a_profile_and_no_space_after_a_filter_field(tmp_path: Path) -> None:
    assert _zsh_answer("exportctl --profile ", tmp_path) == ""  # Typer's answer was `_files`
    assert _zsh_answer("exportctl order --filter stat", tmp_path) == "compadd -S '' -- status"
    assert _zsh_answer("exportctl order -o ", tmp_path) == "_files"  # a path is still completed as one
