"""TAB completion of every closed set, through the real completion protocol (and a real bash for one)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_completion import _tab_in_bash, needs_bash


def _complete(line: str, cwd: Path | None = None) -> list[str]:
    """What `exportctl` answers to bash's completion request for `line` (the word after its last space)."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    env = {**os.environ, "_EXPORTCTL_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(cword)}
    answer = subprocess.run(
        [sys.executable, "-m", "exportctl"], env=env, cwd=cwd, capture_output=True, text=True, check=True
    )
    return answer.stdout.split()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("exportctl voucher --junction ", ["and", "or"]),
        ("exportctl order --headers ", ["api", "fields"]),
        ("exportctl redemption --split-by ", ["day", "week", "month"]),
        ("exportctl redemption --split-by w", ["week"]),
        ("exportctl --region ", ["eu", "us1", "as1"]),
        ("exportctl login --region a", ["as1"]),
    ],
)
def test_closed_sets_complete_to_their_values_not_to_files(line: str, expected: list[str], tmp_path: Path) -> None:
    (tmp_path / "and-a-file.csv").write_text("x")
    assert _complete(line, cwd=tmp_path) == expected


def test_output_dir_completes_directories_only(tmp_path: Path) -> None:
    tmp_path = tmp_path / "project"
    tmp_path.mkdir()
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "daily").mkdir()
    (tmp_path / "exports.yaml").write_text("x")
    (tmp_path / ".hidden").mkdir()
    assert _complete("exportctl order --output-dir ", cwd=tmp_path) == ["exports/"]
    assert _complete("exportctl order --output-dir exports/", cwd=tmp_path) == ["exports/daily/"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("status!=CA", ["status!=CANCELED"]),
        ("status=CA", ["status=CANCELED"]),
        ("status:$not_in:PAID,CA", ["status:$not_in:PAID,CANCELED"]),
        ("status:in:FUL", ["status:in:FULFILLED"]),
    ],
)
def test_filter_values_complete_after_every_operator(typed: str, expected: list[str]) -> None:
    assert _complete(f"exportctl order --filter {typed}") == expected


@needs_bash
def test_bash_completes_a_value_after_not_equals() -> None:
    expect = "--filter status!=CANCELED"
    assert expect in _tab_in_bash("exportctl order --filter status!=CAN", expect)


@needs_bash
def test_bash_completes_the_junction() -> None:
    expect = "--junction or"
    assert expect in _tab_in_bash("exportctl order --junction o", expect)
