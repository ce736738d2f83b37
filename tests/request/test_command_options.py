"""request/command_options.py: the records of the commands themselves (`--dry-run`, `--json`, `run`'s own).

Each record is what the command does: run's `--parallel` bounds, `--keep-going` and `--only` on `exportctl run`
only, `--dry-run` and `--json` on both with their own help on `run`, none of them a YAML key or a keyword.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import exportctl
from exportctl.cli.app import app
from exportctl.request import options
from exportctl.request.command_options import COMMAND_OPTIONS
from exportctl.request.option_keys import config_keys
from exportctl.request.option_record import EXPORT, MAX_PARALLEL, RUN_FILE

RUN_FILE_TEXT = """\
exports:
  - name: codes
    object: voucher
    parameters: {fields: [code]}
    output: codes.csv
  - name: orders
    object: order
    output: orders.csv
"""


@pytest.fixture
def run_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "run.yaml"
    path.write_text(RUN_FILE_TEXT, encoding="utf-8")
    yield path


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def _words(text: str) -> str:
    return re.sub(r"[\s│|]+", " ", text)


def test_the_table_ends_with_them_and_none_is_a_yaml_key_or_a_keyword() -> None:
    assert options.OPTIONS[-len(COMMAND_OPTIONS) :] == COMMAND_OPTIONS
    for option in COMMAND_OPTIONS:
        assert option.key is None and option.valid is None, option.name
    assert not {option.name for option in COMMAND_OPTIONS} & set(config_keys())


@pytest.mark.parametrize("parallel", ["0", "-1", str(MAX_PARALLEL + 1), "abc"])
def test_runs_parallel_out_of_its_bounds_is_refused_with_the_range(run_file: Path, parallel: str) -> None:
    code, _stdout, stderr = _invoke("run", str(run_file), "--dry-run", "--parallel", parallel)
    assert code == 2
    assert "--parallel" in stderr and ("1<=x<=16" in stderr or "not a valid int" in stderr)


def test_runs_parallel_at_its_bounds_and_keep_going_are_taken(run_file: Path) -> None:
    for parallel in ("1", str(MAX_PARALLEL)):
        code, stdout, stderr = _invoke("run", str(run_file), "--dry-run", "--json", "-p", parallel, "-k")
        assert code == 0, stderr
        assert [document["name"] for document in json.loads(stdout)] == ["codes", "orders"]


def test_only_chooses_exports_by_name_and_refuses_a_name_the_file_lacks(run_file: Path) -> None:
    code, stdout, stderr = _invoke("run", str(run_file), "--dry-run", "--json", "--only", "orders")
    assert code == 0 and [document["name"] for document in json.loads(stdout)] == ["orders"]
    code, stdout, stderr = _invoke("run", str(run_file), "--dry-run", "--only", "\x1b[2Jnosuch")
    assert code == 2 and "no export is named" in stderr and "codes, orders" in stderr
    assert "\x1b[2J" not in stderr  # a name from the command line is shown, never obeyed


@pytest.mark.parametrize("flag", ["--parallel", "--keep-going", "--only"])
def test_runs_own_options_are_not_flags_of_an_export_command(flag: str) -> None:
    # --parallel is a flag of both, as two records: on an export command it counts windows.
    code, stdout, stderr = _invoke("voucher", "--help")
    if flag == "--parallel":
        assert "--split-by windows" in _words(stdout)
    else:
        assert flag not in stdout
        code, stdout, stderr = _invoke("voucher", flag, "--dry-run")
        assert code == 2 and flag in stderr


def test_dry_run_and_json_have_runs_own_help_on_run_and_their_help_elsewhere() -> None:
    by_name = {option.name: option for option in COMMAND_OPTIONS}
    run_help = _words(_invoke("run", "--help")[1])
    export_help = _words(_invoke("voucher", "--help")[1])
    for name in ("dry_run", "json_output"):
        option = by_name[name]
        assert set(option.doors) == {EXPORT, RUN_FILE}
        assert option.run_help is not None and _words(option.run_help) in run_help
        assert _words(option.help) in export_help and _words(option.run_help) not in export_help


def test_the_libraries_doors_do_not_take_them() -> None:
    with pytest.raises(exportctl.UsageError, match="dry_run"):
        exportctl.plan("voucher", dry_run=True)  # type: ignore[call-arg]
    with pytest.raises(exportctl.UsageError, match="keep_going"):
        exportctl.plan("voucher", keep_going=True)  # type: ignore[call-arg]
