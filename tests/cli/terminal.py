"""Run the CLI on a real pseudo-terminal of a chosen width, as a person's window is (not COLUMNS alone)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

# What a terminal sets; without COLUMNS and LINES the width is the pseudo-terminal's own (TIOCGWINSZ).
DROPPED = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM", "CI", "GITHUB_ACTIONS")


class Screen(NamedTuple):
    code: int
    output: str  # what the terminal received: standard output and standard error, as a person sees them


def run_on_terminal(
    argv: Sequence[str],
    *,
    columns: int,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> Screen:
    """Run `argv` with standard output and error on a pseudo-terminal `columns` wide (input: /dev/null)."""
    environ = {k: v for k, v in (env or os.environ).items() if k not in DROPPED}
    environ["TERM"] = "xterm-256color"
    parent, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen(
        list(argv), stdin=subprocess.DEVNULL, stdout=child, stderr=child, cwd=cwd, env=environ, close_fds=True
    )
    os.close(child)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([parent], [], [], 0.5)
        if ready:
            try:
                data = os.read(parent, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    else:
        process.kill()
    os.close(parent)
    code = process.wait(timeout=30)
    return Screen(code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n"))


def plain(text: str) -> str:
    """`text` without terminal escape sequences (colours, cursor moves)."""
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07", "", text)
