"""A reader that quits early (`exportctl voucher -o - | head`, a FIFO's reader) ends the command quietly.

As `cat` and `gh` do: no message, and the status a shell reports for a command ended by SIGPIPE, 141
(documented in README's exit codes). The export stays on the server; a `--json` document that goes
elsewhere than the closed pipe says so, with the command that saves the CSV. These exports are far
larger than a pipe holds, so the reader surely leaves in the middle.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox

PIPE_CLOSED = 141


def command(big: Sandbox, *args: str) -> list[str]:
    credentials = ["--api-url", big.base_url, "--app-id", big.app_id, "--app-token", big.secret_key]
    return [sys.executable, "-m", "exportctl", "voucher", *credentials, *args]


def pipeline(big: Sandbox, args: list[str], reader: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`exportctl voucher ARGS | READER` in bash with pipefail, so the status is exportctl's."""
    script = f"set -o pipefail; {shlex.join(command(big, *args))} 2>stderr.txt | {reader}"
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=cwd, timeout=120, check=False)


@pytest.mark.parametrize(
    ("args", "lines", "first"),
    [
        (["-o", "-"], "head -5", "Code"),
        (["--format", "jsonl", "-o", "-"], "head -3", "{"),
        (["-o", "-", "-q"], "head -1", "Code"),
    ],
)
def test_head_closing_the_pipe_ends_quietly(
    big: Sandbox, isolated: Path, args: list[str], lines: str, first: str
) -> None:
    done = pipeline(big, args, lines, isolated)
    assert done.returncode == PIPE_CLOSED, done
    assert len(done.stdout.splitlines()) == int(lines.split()[1].lstrip("-")) and done.stdout.startswith(first)
    stderr = (isolated / "stderr.txt").read_text()
    assert "error" not in stderr and "closed" not in stderr and "Traceback" not in stderr, stderr
    assert "Exception ignored" not in stderr
    assert sorted(p.name for p in isolated.iterdir()) == ["stderr.txt"], "no staging file is left behind"


def test_a_fifo_whose_reader_quits_ends_quietly_and_json_says_the_export_stays(big: Sandbox, isolated: Path) -> None:
    fifo = isolated / "pipe"
    os.mkfifo(fifo)

    def read_a_little() -> None:
        with fifo.open("rb") as reader:
            reader.read(100)

    reader = threading.Thread(target=read_a_little, daemon=True)
    reader.start()
    argv = command(big, "-o", str(fifo), "--json")
    done = subprocess.run(argv, capture_output=True, text=True, cwd=isolated, timeout=60, check=False)
    reader.join(timeout=30)
    assert done.returncode == PIPE_CLOSED, done.stderr
    assert "error" not in done.stderr and "Traceback" not in done.stderr
    document = json.loads(done.stdout)
    export_id = document["export_id"]
    assert document["exit_code"] == PIPE_CLOSED and export_id.startswith("exp_")
    assert "closed by its reader" in document["error"] and f"{export_id} stays on the server" in document["error"]
    assert document["hint"] == f"Save its CSV with: exportctl download {export_id} -o FILE"
    assert sorted(p.name for p in isolated.iterdir()) == ["pipe"]
