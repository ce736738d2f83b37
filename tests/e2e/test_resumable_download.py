"""Resumable downloads end to end: an interrupted `exportctl download` keeps `.part`, the next one continues it
with a Range request (or starts over when the server ignores Range), and the result is the server's file."""

from __future__ import annotations

import hashlib
import json
import signal
from pathlib import Path

from exportctl.errors import ExitCode
from exportctl.files.atomic import part_path
from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli
from tests.cli.test_fault_matrix import ALL_FIELDS, done_export, start_cli, wait_for


def interrupted_download(big: Sandbox, work: Path) -> tuple[str, bytes, bytes]:
    """Ctrl-C in the middle of `exportctl download ID -o v.csv`: (export id, the server's file, what .part kept)."""
    export_id = done_export(big, ALL_FIELDS.split(","))
    server_file = (big.data_dir / f"{export_id}.csv").read_bytes()
    big.faults.stall_download_after(600_000, 30)
    process = start_cli(big, work, "download", export_id, "-o", "v.csv")
    part = part_path(work / "v.csv")
    wait_for(lambda: part.exists() and part.stat().st_size >= 512 * 1024, process=process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    assert f"exportctl download {export_id}" in stderr
    big.faults.reset()
    kept = part.read_bytes()
    assert 0 < len(kept) < len(server_file)
    assert kept == server_file[: len(kept)]
    assert not (work / "v.csv").exists()
    return export_id, server_file, kept


def big_cli(big: Sandbox) -> Cli:
    return Cli(big)


def test_the_next_download_continues_the_part_with_a_range_request(big: Sandbox, isolated: Path) -> None:
    export_id, server_file, kept = interrupted_download(big, isolated)
    result = big_cli(big)("--verbose", "download", export_id, "-o", "v.csv", "--json")
    assert result.exit_code == ExitCode.OK, result.stderr
    # The reporter shows the offset the server answered 206 from: the resume did not start over.
    assert f"resuming at {kept_size_text(len(kept))}" in result.stderr
    assert (isolated / "v.csv").read_bytes() == server_file
    assert not part_path(isolated / "v.csv").exists()
    summary = json.loads(result.stdout)
    assert summary["bytes"] == len(server_file)
    assert summary["sha256"] == hashlib.sha256(server_file).hexdigest()


def test_a_server_that_ignores_range_makes_it_start_over(big: Sandbox, isolated: Path) -> None:
    export_id, server_file, _ = interrupted_download(big, isolated)
    big.faults.ignore_range()
    result = big_cli(big)("--verbose", "download", export_id, "-o", "v.csv", "--json")
    assert result.exit_code == ExitCode.OK, result.stderr
    assert "resuming" not in result.stderr
    assert (isolated / "v.csv").read_bytes() == server_file
    assert json.loads(result.stdout)["sha256"] == hashlib.sha256(server_file).hexdigest()


def kept_size_text(size: int) -> str:
    """How the reporter writes a byte count (`_human_bytes`), for matching its resume line."""
    from exportctl.cli.reporters import _human_bytes

    return _human_bytes(size)
