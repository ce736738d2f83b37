"""EXPORTCTL_WORKERS and EXPORTCTL_PARALLEL_MIN_MB (formats/workers.py) are hostile input: a bad value is one
clear message and exit 2, before any export is created."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from exportctl.cli.app import app
from exportctl.errors import UsageError
from exportctl.formats.workers import parallel_min_bytes, usable_cpus, workers_wanted

BAD_WORKERS = ["0", "65", "-1", "2.5", "two", "\u0663", "1e1", "2\x1b[31m"]
BAD_MIN_MB = ["-1", "nan", "inf", "1e9", "ten", "\u0663", "1\x1b[31m"]


def test_the_defaults_and_good_values() -> None:
    assert workers_wanted({}) == min(8, usable_cpus()) >= 1
    assert workers_wanted({"EXPORTCTL_WORKERS": " 3 "}) == 3
    assert workers_wanted({"EXPORTCTL_WORKERS": ""}) == workers_wanted({})
    assert parallel_min_bytes({}) == 32_000_000
    assert parallel_min_bytes({"EXPORTCTL_PARALLEL_MIN_MB": "0.5"}) == 500_000
    assert parallel_min_bytes({"EXPORTCTL_PARALLEL_MIN_MB": "0"}) == 0


@pytest.mark.parametrize("text", BAD_WORKERS)
def test_a_bad_worker_count_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match=r"EXPORTCTL_WORKERS=.* is not a whole number from 1 to 64") as caught:
        workers_wanted({"EXPORTCTL_WORKERS": text})
    assert "\x1b" not in str(caught.value)


@pytest.mark.parametrize("text", BAD_MIN_MB)
def test_a_bad_threshold_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match=r"EXPORTCTL_PARALLEL_MIN_MB=.* is not a number of MB") as caught:
        parallel_min_bytes({"EXPORTCTL_PARALLEL_MIN_MB": text})
    assert "\x1b" not in str(caught.value)


@pytest.mark.parametrize(("name", "text"), [("EXPORTCTL_WORKERS", "0"), ("EXPORTCTL_PARALLEL_MIN_MB", "lots")])
def test_the_cli_refuses_a_bad_knob_before_the_export(name: str, text: str, tmp_path: object) -> None:
    argv = ["--app-id", "a", "--app-token", "t", "voucher", "--format", "jsonl", "-o", "v.jsonl", "--dry-run"]
    result = CliRunner().invoke(app, argv, env={name: text})
    assert result.exit_code == 2, result.output
    assert f"{name}='{text}' is not a" in result.output
    assert "Traceback" not in result.output
    csv_run = CliRunner().invoke(app, [*argv[:5], "-o", "v.csv", "--dry-run"], env={name: text})
    assert csv_run.exit_code == 0, csv_run.output  # only --format jsonl reads it


def test_ranges_are_at_least_half_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    from exportctl.formats.jsonl_parallel import ranges_wanted

    monkeypatch.setenv("EXPORTCTL_WORKERS", "8")
    monkeypatch.delenv("EXPORTCTL_PARALLEL_MIN_MB", raising=False)
    assert [ranges_wanted(mb * 1_000_000) for mb in (1, 31, 32, 40, 100, 800)] == [1, 1, 2, 2, 6, 8]
    monkeypatch.setenv("EXPORTCTL_WORKERS", "1")
    assert ranges_wanted(800_000_000) == 1
