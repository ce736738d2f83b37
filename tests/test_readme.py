"""The README's commands, pasted into bash against the default sandbox, exit as the README says.

A block is pasted when the line before its fence is `<!-- readme-test: exit N -->` (every command of the
block exits N) or `<!-- readme-test: exits N1 N2 ... -->` (one code per command, in order). A command is
a line of the block that is not blank and not a comment, joined with the lines a trailing `\\` continues.
The sandbox is the one `exportctl sandbox` starts (seed 42, scale 1), so the README's ids must exist in it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox
from exportctl.tuning import ENV_POLL_INTERVAL
from tests.clock.travel import OFFSET_VARIABLE
from tests.conftest import start_sandbox

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARK = re.compile(r"<!-- readme-test: (?:exit (?P<one>\d+)|exits (?P<each>\d+(?: \d+)*)) -->")
COMMAND_TIMEOUT = 120
# What the pasted commands inherit: the suite's clock, first poll and cache of the embedded sandbox's data.
PASSED_ON = ("PYTHONPATH", OFFSET_VARIABLE, ENV_POLL_INTERVAL, "XDG_CACHE_HOME")
# An id after a scope option: what must exist in the sandbox a command talks to.
SCOPED_ID = re.compile(r"--(?:voucher|campaign|member)[ =](?P<id>[A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Pasted:
    line: int  # of the command in README.md
    command: str
    exit_code: int

    def __str__(self) -> str:
        return f"README.md:{self.line}: {self.command}"


def pasted_commands(text: str) -> list[Pasted]:
    """Every command of the marked blocks, with the exit code the README gives it."""
    lines = text.splitlines()
    found: list[Pasted] = []
    for number, line in enumerate(lines):
        mark = MARK.fullmatch(line.strip())
        if mark is None:
            continue
        fence = lines[number + 1].strip() if number + 1 < len(lines) else ""
        assert fence in ("```bash", "```sh"), f"README.md:{number + 1}: a readme-test mark must precede a bash block"
        commands: list[tuple[int, str]] = []
        pending, start = "", 0
        for offset, body in enumerate(lines[number + 2 :], start=number + 3):
            if body.strip() == "```":
                break
            stripped = body.strip()
            if not pending and (not stripped or stripped.startswith("#")):
                continue
            if not pending:
                start = offset
            if stripped.endswith("\\"):
                pending += stripped[:-1] + " "
                continue
            commands.append((start, pending + stripped))
            pending = ""
        codes = [int(mark["one"])] * len(commands) if mark["one"] else [int(c) for c in mark["each"].split()]
        assert len(codes) == len(commands), (
            f"README.md:{number + 1}: {len(codes)} exit codes for {len(commands)} commands"
        )
        found += [Pasted(at, command, code) for (at, command), code in zip(commands, codes, strict=True)]
    return found


COMMANDS = pasted_commands(README.read_text(encoding="utf-8"))


def test_the_readme_marks_commands_for_every_item_it_shows() -> None:
    shown = " ".join(pasted.command for pasted in COMMANDS)
    for needed in ("doctor", "GC2-JOXJ64DR", "camp_TB0eQaGMGQwToedg6D8sFFKN", ".csv.gz", "nightly.yaml", "--filter"):
        assert needed in shown, f"no pasted README command shows {needed!r}"


@pytest.fixture(scope="module")
def default_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """What `exportctl sandbox` serves (seed 42, scale 1), with quick jobs."""
    root = tmp_path_factory.mktemp("readme-sandbox")
    with start_sandbox(seed=42, scale=1.0, db_path=root / "db.sqlite3", data_dir=root / "exports") as running:
        yield running


@pytest.mark.parametrize("pasted", COMMANDS, ids=str)
def test_a_pasted_readme_command_exits_as_the_readme_says(
    pasted: Pasted, default_sandbox: Sandbox, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    shutil.copytree(ROOT / "sample-configs", work / "sample-configs")
    scripts = Path(sys.executable).parent
    env = {
        "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "VOUCHERIFY_API_BASE_URL": default_sandbox.base_url,
        "VOUCHERIFY_APP_ID": default_sandbox.app_id,
        "VOUCHERIFY_APP_TOKEN": default_sandbox.secret_key,
        "COLUMNS": "120",
        # `pytest --clock` moves the clock of the processes it starts through these (tests/clock/plugin.py).
        # The suite's quick first poll (tests/conftest.py) reaches them the same way.
        **{name: os.environ[name] for name in PASSED_ON if name in os.environ},
    }
    if shutil.which("exportctl", path=env["PATH"]) is None:
        pytest.skip("the exportctl console script is not installed")
    done = subprocess.run(
        ["bash", "-c", pasted.command],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert done.returncode == pasted.exit_code, (
        f"{pasted}\nstdout:\n{done.stdout[-2000:]}\nstderr:\n{done.stderr[-2000:]}"
    )
    assert "Traceback" not in done.stderr


def test_quick_start_runs_twice_in_a_row(tmp_path: Path) -> None:
    """Quick start #1's export, pasted twice: the second run replaces the file instead of failing."""
    text = README.read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    command = block[block.index("exportctl --sandbox") :].strip()
    assert command.endswith("&& head gift-cards.csv"), command
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOUCHERIFY_", "EXPORTCTL_PROFILE"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for _ in range(2):
        done = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Code,")


def bash_commands(text: str) -> list[Pasted]:
    """Every command of every bash block, marked or not (exit code 0 assumed), with its line."""
    found: list[Pasted] = []
    inside, pending, start = False, "", 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped in ("```bash", "```sh"):
            inside = True
        elif stripped == "```":
            inside = False
        elif inside and (pending or (stripped and not stripped.startswith("#"))):
            start = start if pending else number
            if stripped.endswith("\\"):
                pending += stripped[:-1] + " "
                continue
            found.append(Pasted(start, pending + stripped, 0))
            pending = ""
    return found


SANDBOX_ID_COMMANDS = [
    pasted
    for pasted in bash_commands(README.read_text(encoding="utf-8"))
    if "exportctl --sandbox" in pasted.command and SCOPED_ID.search(pasted.command)
]


def test_the_readme_shows_its_ids_under_the_embedded_sandbox() -> None:
    ids = {match["id"] for pasted in SANDBOX_ID_COMMANDS for match in SCOPED_ID.finditer(pasted.command)}
    assert {"GC2-JOXJ64DR", "RC3-OVLHPKFD", "camp_TB0eQaGMGQwToedg6D8sFFKN"} <= ids


@pytest.mark.parametrize("pasted", SANDBOX_ID_COMMANDS, ids=str)
def test_a_readme_id_is_served_by_the_embedded_sandbox(pasted: Pasted, tmp_path: Path) -> None:
    """`exportctl --sandbox` with an id the README shows finds it: the same data as `exportctl sandbox`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOUCHERIFY_", "EXPORTCTL_PROFILE"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(tmp_path)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    if shutil.which("exportctl", path=env["PATH"]) is None:
        pytest.skip("the exportctl console script is not installed")
    done = subprocess.run(
        ["bash", "-c", pasted.command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{pasted}\nstderr:\n{done.stderr[-2000:]}"
    # Without the sandbox's address, whose random port may hold the digits 404 (http://127.0.0.1:44041).
    said = re.sub(r"https?://\S+", "URL", done.stderr)
    assert "404" not in said and "not found" not in said.lower(), done.stderr
    _header, *records = done.stdout.splitlines()
    assert records, f"{pasted}: no records for the README's id\n{done.stdout}"
