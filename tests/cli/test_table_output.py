"""Answers for pipes: tab-separated rows off a terminal, nothing cut; --format table|tsv|json chooses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

LONG_NAMES = """\
exports:
  - name: paid-orders-of-the-whole-northern-region
    object: voucher
    parameters: {fields: [code]}
    output: exports-of-a-rather-long-directory-name/paid-orders-of-the-whole-northern-region.csv
"""


def _tsv(stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in stdout.splitlines()]


def test_list_in_a_pipe_is_tab_separated_with_a_header_and_whole_values(cli: Cli) -> None:
    export_id = cli("voucher", "--no-wait").stdout.strip()
    result = cli("list", "--limit", "100")
    assert result.exit_code == 0, result.output
    rows = _tsv(result.stdout)
    assert rows[0] == ["id", "object", "status", "created", "channel"]
    mine = [row for row in rows[1:] if row[0] == export_id]
    assert len(mine) == 1 and mine[0][1] == "voucher" and mine[0][3].endswith("Z")
    assert "…" not in result.stdout and "│" not in result.stdout


def test_run_in_a_pipe_prints_whole_names_and_paths(cli: Cli, isolated: Path) -> None:
    (isolated / "exports-of-a-rather-long-directory-name").mkdir()
    (isolated / "run.yaml").write_text(LONG_NAMES, encoding="utf-8")
    result = cli("run", "run.yaml")
    assert result.exit_code == 0, result.output
    header, row = _tsv(result.stdout)
    assert header[:3] == ["name", "object", "status"]
    record = dict(zip(header, row, strict=True))
    assert record["name"] == "paid-orders-of-the-whole-northern-region"
    assert record["output"] == "exports-of-a-rather-long-directory-name/paid-orders-of-the-whole-northern-region.csv"
    assert record["status"] == "done" and int(record["rows"]) > 0


def test_schema_in_a_pipe_is_tab_separated(cli: Cli) -> None:
    result = cli("schema", "voucher", credentials=False)
    rows = _tsv(result.stdout)
    assert rows[0] == ["field", "type", "default", "description"]
    assert rows[2][:3] == ["code", "string", "yes"]
    fields = rows[1 : rows.index([""])]  # then an empty line before the next section
    assert len(fields) > 20 and all(len(row) == 4 for row in fields)
    assert ["filter", "type", "description"] in rows


@pytest.mark.parametrize("command", [["list"], ["schema"], ["run", "run.yaml"]])
def test_format_json_is_the_json_answer(cli: Cli, isolated: Path, command: list[str]) -> None:
    (isolated / "exports-of-a-rather-long-directory-name").mkdir()
    (isolated / "run.yaml").write_text(LONG_NAMES, encoding="utf-8")
    result = cli(*command, "--format", "json")
    assert result.exit_code == 0, result.output
    assert isinstance(json.loads(result.stdout), dict | list)


def test_an_unknown_format_is_refused_with_the_valid_ones(cli: Cli) -> None:
    result = cli("list", "--format", "tvs", credentials=False)
    assert result.exit_code == 2
    assert "Did you mean 'tsv'?" in result.stderr and "table, tsv, json" in result.stderr


def test_a_forced_table_in_a_narrow_window_never_cuts_an_id(cli: Cli) -> None:
    export_id = cli("voucher", "--no-wait").stdout.strip()
    env = {**os.environ, "COLUMNS": "50"}
    argv = [sys.executable, "-m", "exportctl", *cli.credentials(), "list", "--format", "table", "--limit", "100"]
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert export_id in result.stdout and "┃" in result.stdout
