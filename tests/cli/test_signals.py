"""SIGTERM and SIGHUP, as systemd, cron wrappers and CI runners send them: the Ctrl-C treatment, exit 128 + N."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exportctl.files.atomic import part_path
from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli
from tests.cli.test_fault_matrix import ALL_FIELDS, OLD, collapsed, done_export, existing_target, start_cli, wait_for


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_stop_signal_while_waiting(signum: int, code: int, sandbox: Sandbox, isolated: Path) -> None:
    existing_target(isolated)
    sandbox.faults.hold_in_progress(30)
    process = start_cli(sandbox, isolated, "voucher", "-o", "v.csv", "--force")
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + 30
    while "IN_PROGRESS" not in seen and time.monotonic() < deadline:
        seen += process.stderr.readline()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr
    assert "keeps running on the server" in collapsed(stderr)
    assert "exportctl wait exp_" in stderr
    assert (isolated / "v.csv").read_bytes() == OLD


def test_sigterm_while_downloading_keeps_the_part(big: Sandbox, isolated: Path) -> None:
    existing_target(isolated)
    export_id = done_export(big, ALL_FIELDS.split(","))
    big.faults.stall_download_after(300_000, 30)
    process = start_cli(big, isolated, "download", export_id, "-o", "v.csv", "--force")
    part = part_path(isolated / "v.csv")
    wait_for(lambda: part.exists() and part.stat().st_size > 0, process=process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143, stderr
    assert f"exportctl download {export_id}" in stderr
    kept = part.read_bytes()
    assert kept and kept == (big.data_dir / f"{export_id}.csv").read_bytes()[: len(kept)]
    assert (isolated / "v.csv").read_bytes() == OLD


def _start_run(sandbox: Sandbox, isolated: Path) -> tuple[subprocess.Popen[str], Path]:
    path = isolated / "exports.yaml"
    path.write_text(
        "exports:\n"
        "  - name: one\n    object: voucher\n    output: one.csv\n"
        "  - name: two\n    object: customer\n    output: two.csv\n"
    )
    errors = isolated / "stderr.log"
    argv = [*Cli(sandbox).credentials(), "run", str(path), "--parallel", "2", "--json"]
    process = subprocess.Popen(
        [sys.executable, "-m", "exportctl", *argv],
        cwd=isolated,
        stdout=subprocess.PIPE,
        stderr=errors.open("w"),
        text=True,
    )
    deadline = time.monotonic() + 20
    while errors.read_text().count(" submitted ") < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    return process, errors


def test_second_ctrl_c_in_the_grace_period_keeps_the_json_summary(sandbox: Sandbox, isolated: Path) -> None:
    # Every poll hangs for 30 s, so both exports are inside an HTTP call when Ctrl-C comes and the run
    # waits out its grace period; the second Ctrl-C lands in it.
    sandbox.faults.slow(30, path_prefix="/v1/exports/")
    process, errors = _start_run(sandbox, isolated)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=30)
    assert process.returncode == 130, errors.read_text()
    summary = {item["name"]: item for item in json.loads(stdout)["exports"]}
    assert set(summary) == {"one", "two"}
    assert {item["result"] for item in summary.values()} == {"interrupted"}


def test_sigterm_stops_a_run_with_143_and_its_summary(sandbox: Sandbox, isolated: Path) -> None:
    sandbox.faults.hold_in_progress(30)
    process, errors = _start_run(sandbox, isolated)
    process.send_signal(signal.SIGTERM)
    stdout, _ = process.communicate(timeout=30)
    assert process.returncode == 143, errors.read_text()
    assert len(json.loads(stdout)["exports"]) == 2
