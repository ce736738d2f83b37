"""Commands that resume resume: every hint names the target, `run` reruns, `--timeout 0` is refused."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from exportctl.files.atomic import part_path
from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli

RUN_FILE = """\
exports:
  - name: codes
    object: voucher
    parameters: {fields: [code]}
    output: "codes-{date}.csv"
"""


def _hint_command(stderr: str, start: str) -> list[str]:
    line = next(line for line in stderr.splitlines() if start in line)
    return shlex.split(line[line.index(start) :])


def test_a_broken_download_hints_the_command_that_continues_into_the_same_file(
    big: Sandbox, isolated: Path, quick_backoff: None
) -> None:
    cli = Cli(big)
    big.faults.drop_download_after(20_000, times=3)  # 3 breaks keep 60 of 114 KiB
    big.faults.drop_download_after(0, times=None)  # then 3 attempts in a row bring nothing new: exit 7
    result = cli("voucher", "-o", "drop.csv")
    assert result.exit_code == 7, result.output
    assert part_path(isolated / "drop.csv").exists()
    command = _hint_command(result.stderr, "exportctl download ")
    assert command[2:] == [command[2], "-o", "drop.csv"]
    big.faults.reset()
    resumed = cli(*command[1:])  # the hint as pasted, without "exportctl"
    assert resumed.exit_code == 0, resumed.output
    assert (isolated / "drop.csv").exists() and not part_path(isolated / "drop.csv").exists()
    assert sorted(p.name for p in isolated.iterdir()) == ["drop.csv"]  # no orphaned .part, no second file


@pytest.mark.default_polling  # polling itself is under test: the product's schedule
def test_a_timeout_hints_waiting_and_then_downloading_to_the_target(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.faults.hold_in_progress(30)
    result = cli("voucher", "-o", "out dir.csv", "--timeout", "1s")
    assert result.exit_code == 6, result.output
    export_id = next(word for word in result.stderr.split() if word.startswith("exp_"))
    assert f"exportctl wait {export_id} && exportctl download {export_id} -o 'out dir.csv'" in result.stderr


def test_a_second_run_on_the_same_day_says_how_to_rerun_and_force_does(cli: Cli, isolated: Path) -> None:
    (isolated / "nightly.yaml").write_text(RUN_FILE, encoding="utf-8")
    assert cli("run", "nightly.yaml").exit_code == 0
    again = cli("run", "nightly.yaml")
    assert again.exit_code == 2
    assert "already exists" in again.stderr and "exportctl run nightly.yaml --force" in again.stderr
    forced = cli("run", "nightly.yaml", "--force")
    assert forced.exit_code == 0, forced.output
    (isolated / "elsewhere").mkdir()
    moved = cli("run", "nightly.yaml", "--output-dir", "elsewhere")
    assert moved.exit_code == 0, moved.output
    assert [p.name.startswith("codes-") for p in (isolated / "elsewhere").iterdir()] == [True]


@pytest.mark.parametrize(
    "argv", [["voucher", "--timeout", "0"], ["voucher", "--timeout", "0s"], ["wait", "exp_x", "--timeout", "0"]]
)
def test_a_zero_timeout_is_refused_offline(cli: Cli, argv: list[str]) -> None:
    before = cli.export_count()
    result = cli(*argv, credentials=False)
    assert result.exit_code == 2, result.output
    assert "timeout of 0" in result.stderr and "leave --timeout out" in result.stderr
    assert cli.export_count() == before


def test_a_zero_timeout_in_a_config_file_names_its_line(cli: Cli, isolated: Path) -> None:
    (isolated / "v.yaml").write_text("exported_object: voucher\ntimeout: 0s\n", encoding="utf-8")
    result = cli("voucher", "-c", "v.yaml", credentials=False)
    assert result.exit_code == 2 and "v.yaml:2" in result.stderr
