"""A reader that quits early (`exportctl voucher -o - | head`, a FIFO's reader) is an error, not a quiet end.

What went out cannot be taken back, so the command says the output is incomplete and exits 1, the code
of a local write failure, without a traceback. A single buffered write of more than a pipe holds comes
back short, without an error, when the reader leaves in the middle: these exports are far larger.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox

MESSAGE = "closed by its reader before the export was complete"


def command(big: Sandbox, *args: str) -> list[str]:
    credentials = ["--api-url", big.base_url, "--app-id", big.app_id, "--app-token", big.secret_key]
    return [sys.executable, "-m", "exportctl", "voucher", *credentials, *args]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_standard_output_closed_early_says_the_output_is_incomplete(big: Sandbox, isolated: Path, fmt: str) -> None:
    process = subprocess.Popen(
        command(big, "-o", "-", "--format", fmt), stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=isolated
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.read(100)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1, stderr
    assert first.startswith(b"Code" if fmt == "csv" else b"{")
    assert MESSAGE in " ".join(stderr.split())
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert list(isolated.iterdir()) == [], "no staging file is left behind"


def test_a_fifo_whose_reader_quits_says_the_output_is_incomplete(big: Sandbox, isolated: Path) -> None:
    fifo = isolated / "pipe"
    os.mkfifo(fifo)

    def read_a_little() -> None:
        with fifo.open("rb") as reader:
            reader.read(100)

    reader = threading.Thread(target=read_a_little, daemon=True)
    reader.start()
    done = subprocess.run(command(big, "-o", str(fifo)), capture_output=True, text=True, cwd=isolated, timeout=60)
    reader.join(timeout=30)
    assert done.returncode == 1, done.stderr
    assert MESSAGE in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in isolated.iterdir()) == ["pipe"]
