"""The polling history end to end: every export leaves its timing in the state directory, and whatever that
file holds (garbage, a FIFO, a directory), the export runs and saves as usual."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from exportctl.files.poll_history import HISTORY_FILE, parse
from tests.cli.conftest import Cli


def history_path(state_home: Path) -> Path:
    path = state_home / "exportctl" / HISTORY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_an_export_records_its_timing(cli: Cli, state_home: Path, isolated: Path) -> None:
    result = cli("voucher", "-o", "v.csv", "--json")
    assert result.exit_code == 0, result.output
    (runs,) = parse(json.loads(history_path(state_home).read_text())).values()
    assert len(runs) == 1 and 0 <= runs[0].lo < runs[0].hi
    again = cli("voucher", "-o", "w.csv", "--json")
    assert again.exit_code == 0, again.output
    (runs,) = parse(json.loads(history_path(state_home).read_text())).values()
    assert len(runs) == 2  # the same kind of export: one history


def _garbage(path: Path) -> None:
    path.write_bytes(b"[" * 50_000 + b"\x00\xff")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _directory(path: Path) -> None:
    (path / "inside").mkdir(parents=True)


@pytest.mark.parametrize("plant", [_garbage, _fifo, _directory], ids=["garbage", "fifo", "directory"])
def test_a_hostile_history_file_never_breaks_an_export(
    cli: Cli, state_home: Path, isolated: Path, plant: Callable[[Path], None]
) -> None:
    path = history_path(state_home)
    plant(path)
    result = cli("voucher", "-o", "v.csv", "--json")
    assert result.exit_code == 0, result.output
    assert (isolated / "v.csv").stat().st_size > 0
    summary = json.loads(result.stdout)
    assert summary["status"] == "DONE" and summary["rows"] > 0
    if not path.is_dir():
        # Replaced by a valid history holding this run.
        assert len(next(iter(parse(json.loads(path.read_text())).values()))) == 1
