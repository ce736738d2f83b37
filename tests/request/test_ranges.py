"""Durations and instants out of range: one UsageError (exit 2) naming the valid range, never an OverflowError.

Every door is tried: flags, filter values, a config file, a run file's split window and the library.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import exportctl
from exportctl.cli.app import app
from exportctl.request.durations import MAX_DAYS, parse_duration
from exportctl.request.windows import parse_instant, split_windows

INSTANTS = "from 1000-01-01T00:00:00Z up to, not including, 9000-01-01T00:00:00Z"
DURATIONS = "from 0 to 36500d (100 years)"


def _cli(tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {"VOUCHERIFY_APP_ID": "id", "VOUCHERIFY_APP_TOKEN": "t", "XDG_CONFIG_HOME": str(tmp_path)}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


@pytest.mark.parametrize(
    "args",
    [
        ("--since", "-800000d"),
        ("--until", "+3000000d"),
        ("--since", "0001-01-01", "--split-by", "day"),
        ("--since", "9999-12-31", "--until", "9999-12-31T23:59:59.999Z"),
        ("--since", "0001-01-01T00:00:00+05:00"),
        ("--filter", "created_at=0001-01-01"),
        ("--filter", "created_at=9999-12-31"),
        ("--filter", "created_at>0999-12-31T23:59:59Z"),
        ("--split-by", "month", "--since", "8999-12-31", "--until", "+3000000d"),
    ],
)
def test_instants_out_of_range_on_the_command_line(args: tuple[str, ...], tmp_path: Path) -> None:
    code, output = _cli(tmp_path, "voucher", *args, "--dry-run")
    assert code == 2, output
    assert "is out of range" in output and INSTANTS in output
    assert "Traceback" not in output and "OverflowError" not in output


@pytest.mark.parametrize("value", ["36501d", "99999999999999999d", "9" * 30])
def test_durations_out_of_range_on_the_command_line(value: str, tmp_path: Path) -> None:
    code, output = _cli(tmp_path, "voucher", "--timeout", value, "--dry-run")
    assert code == 2, output
    assert "out of range" in output and DURATIONS in output


def test_the_edges_of_the_ranges_still_work(tmp_path: Path) -> None:
    assert parse_duration(f"{MAX_DAYS}d") == MAX_DAYS * 86400
    first = parse_instant("1000-01-01", "t")
    last = parse_instant("8999-12-31T23:59:59.999Z", "t")
    # The first and last windows' boundaries exist: a millisecond before, the next month.
    assert len(split_windows(first, parse_instant("1000-03-01", "t"), "month")) == 2
    assert len(split_windows(parse_instant("8999-11-15", "t"), last, "month")) == 2
    code, output = _cli(tmp_path, "voucher", "--since", "1000-01-01", "--until", "1000-01-02", "--dry-run")
    assert code == 0, output


def test_a_config_file_out_of_range(tmp_path: Path) -> None:
    (tmp_path / "v.yaml").write_text("exported_object: voucher\nsince: 0001-01-01\ntimeout: 40000d\n")
    code, output = _cli(tmp_path, "validate", str(tmp_path / "v.yaml"))
    assert code == 2, output
    assert "v.yaml:2: since: '0001-01-01' is out of range" in output
    assert "v.yaml:3: timeout: Invalid duration '40000d': it is out of range" in output


def test_a_run_files_split_window_out_of_range(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "exports:\n  - name: v\n    object: voucher\n    output: v.csv\n"
        "    split: {by: day, since: '-800000d', until: 2024-01-01}\n"
    )
    code, output = _cli(tmp_path, "run", str(tmp_path / "r.yaml"), "--dry-run")
    assert code == 2, output
    assert "r.yaml:5: v: split.since: '-800000d' is out of range" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("keyword", "value"),
    [
        ("since", dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5)))),
        ("since", dt.date(1, 1, 1)),
        ("until", dt.datetime(9999, 12, 31, 23, 59)),
        ("until", "+3000000d"),
        ("since", "-800000d"),
        ("timeout", math.inf),
        ("timeout", 1e300),
        ("timeout", dt.timedelta(days=99_999)),
        ("timeout", "99999999999999999d"),
    ],
)
def test_the_library_out_of_range(keyword: str, value: object, tmp_path: Path) -> None:
    with pytest.raises(exportctl.UsageError, match=r"out of range|expected a duration") as caught:
        exportctl.plan("voucher", output=str(tmp_path / "v.csv"), **{keyword: value})  # type: ignore[arg-type]
    assert caught.value.exit_code == 2
    assert INSTANTS in str(caught.value) or DURATIONS in str(caught.value)
    assert str(caught.value).startswith(f"{keyword}:")


@pytest.mark.parametrize("watermark", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z"])
def test_a_state_files_watermark_out_of_range(watermark: str, tmp_path: Path) -> None:
    """Before: OverflowError when the window's start was moved a millisecond back."""
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"version": 1, "exports": {"k": {"watermark": watermark}}}))
    code, output = _cli(tmp_path, "order", "--since-last", str(state), "--state-key", "k", "--dry-run")
    assert code == 2, output
    assert "watermark of k" in output and "is out of range" in output and INSTANTS in output
    assert "Traceback" not in output
