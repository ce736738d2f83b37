"""Answers for pipes: tab-separated rows off a terminal, nothing cut; --format table|tsv|json chooses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.cli.conftest import Cli
from tests.cli.terminal import plain, run_on_terminal

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


# On a real terminal (a pseudo-terminal of 80 and 120 columns): the table fits the window.

RUN_WITH_AN_ERROR = """\
exports:
  - name: broken
    object: voucher
    output: broken.csv
  - name: paid-orders-of-the-whole-northern-region
    object: voucher
    parameters: {fields: [code, value]}
    output: exports-of-a-rather-long-directory-name/paid-orders-of-the-whole-northern-region.csv
"""  # the sandbox fails the first export


def _table_lines(screen: str) -> list[str]:
    return [line for line in plain(screen).splitlines() if line.startswith(("┃", "│", "┏", "└"))]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip("│┃").split("│" if "│" in line else "┃")]


@pytest.mark.parametrize("columns", [80, 120])
def test_run_table_fits_a_terminal_with_whole_numbers_and_ids(cli: Cli, isolated: Path, columns: int) -> None:
    (isolated / "exports-of-a-rather-long-directory-name").mkdir()
    (isolated / "run.yaml").write_text(RUN_WITH_AN_ERROR, encoding="utf-8")
    cli.sandbox.faults.fail_next_job("Export generation failed: the warehouse is on fire " * 3)
    argv = [sys.executable, "-m", "exportctl", *cli.credentials(), "run", "run.yaml", "--keep-going"]
    screen = run_on_terminal(argv, columns=columns, cwd=isolated)
    lines = _table_lines(screen.output)
    assert lines, screen.output
    assert all(cell_len(line) <= columns for line in lines), "\n".join(lines)
    header = _cells(lines[1])
    rows = [_cells(line) for line in lines if line.startswith("│")]
    assert len(rows) == 2, "\n".join(lines)  # one line per export: nothing wraps
    assert {"name", "status", "rows", "bytes", "output", "error"} <= set(header), header
    by_status = {row[header.index("status")]: dict(zip(header, row, strict=True)) for row in rows}
    done, failed = by_status["done"], by_status["failed"]
    assert done["rows"].isdigit() and int(done["rows"]) > 0
    assert done["bytes"].endswith(("B", "KiB", "MiB")) and done["bytes"][0].isdigit(), done
    full = "exports-of-a-rather-long-directory-name/paid-orders-of-the-whole-northern-region.csv"
    assert done["output"].endswith(".csv") and full.endswith(done["output"].lstrip("…")), done  # the end kept
    assert failed["error"].endswith("…"), failed
    assert "object" not in header and "seconds" not in header, header  # the least important go first, and say so
    caption = " ".join(plain(screen.output).split())
    assert (
        "Not shown for want of width: seconds, object" in caption
        or "Not shown for want of width: object, seconds" in caption
    )


@pytest.mark.parametrize("columns", [80, 120])
def test_list_table_fits_a_terminal_and_never_cuts_an_id(cli: Cli, columns: int) -> None:
    export_id = cli("voucher-transactions", "--no-wait").stdout.strip()
    argv = [sys.executable, "-m", "exportctl", *cli.credentials(), "list", "--limit", "100"]
    screen = run_on_terminal(argv, columns=columns)
    assert screen.code == 0, screen.output
    lines = _table_lines(screen.output)
    assert all(cell_len(line) <= columns for line in lines), "\n".join(lines)
    header = _cells(lines[1])
    mine = [dict(zip(header, _cells(line), strict=True)) for line in lines if export_id in line]
    assert len(mine) == 1, "\n".join(lines)
    assert mine[0]["id"] == export_id and mine[0]["object"] == "voucher_transactions"
    assert mine[0]["status"] in ("SCHEDULED", "IN_PROGRESS", "DONE")
    assert ("created" in header) == (columns == 120), header  # at 80 the timestamp is left out, never cut
    if columns == 120:
        assert mine[0]["created"].endswith("Z")


@pytest.mark.parametrize("columns", [80, 120])
def test_schema_tables_fit_a_terminal(columns: int) -> None:
    for args in (["schema"], ["schema", "voucher"]):
        screen = run_on_terminal([sys.executable, "-m", "exportctl", *args], columns=columns)
        assert screen.code == 0, screen.output
        lines = _table_lines(screen.output)
        assert len(lines) > 10 and all(cell_len(line) <= columns for line in lines), "\n".join(lines)
        assert any(
            _cells(line)[0] == ("voucher-transactions" if args == ["schema"] else "expiration_date") for line in lines
        )


def test_a_window_too_narrow_for_every_column_names_the_ones_left_out(cli: Cli, isolated: Path) -> None:
    (isolated / "run.yaml").write_text(RUN_WITH_AN_ERROR.replace("exports-of-a-rather-long-directory-name/", ""))
    argv = [sys.executable, "-m", "exportctl", *cli.credentials(), "run", "run.yaml", "--keep-going"]
    screen = run_on_terminal(argv, columns=60, cwd=isolated)
    text = " ".join(plain(screen.output).split())
    caption = text[text.index("Not shown for want of width:") :]
    assert "seconds" in caption and "--format tsv shows every column" in caption, text
