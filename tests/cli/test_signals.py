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


def _stream(process: subprocess.Popen[str], signals: tuple[int, ...], gap: float, seconds: float) -> int:
    """Send `signals` in turn, `gap` seconds apart, until the process ends or `seconds` pass; how many were sent.

    A gap of 0 is a burst the kernel partly merges (a signal already pending is not queued twice); a gap of
    a millisecond lands each one on its own, in whatever the process is doing at that moment.
    """
    import os

    if not gap:
        for signum in signals:
            os.kill(process.pid, signum)
        return len(signals)
    sent, deadline = 0, time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        try:
            os.kill(process.pid, signals[sent % len(signals)])
        except ProcessLookupError:
            break
        sent += 1
        time.sleep(gap)
    return sent


INT, TERM = signal.SIGINT, signal.SIGTERM
STREAMS = {
    "SIGINT every 1 ms": ((INT,), 0.001),
    "SIGINT every 0.2 ms": ((INT,), 0.0002),
    "SIGINT, SIGTERM every 0.5 ms": ((INT, TERM), 0.0005),
    "SIGTERM, SIGINT every 2 ms": ((TERM, INT), 0.002),
    "back to back, mixed": ((INT, TERM, INT, INT), 0.0),
}


@pytest.mark.parametrize("stream", list(STREAMS), ids=list(STREAMS))
def test_signals_in_a_stream_while_exports_run_keep_the_json_summary(
    stream: str, sandbox: Sandbox, isolated: Path
) -> None:
    """Before: a SIGINT after the one that cut the grace short escaped while the summary was made: no array."""
    sandbox.faults.slow(30, path_prefix="/v1/exports/")
    process, errors = _start_run(sandbox, isolated)
    signals, gap = STREAMS[stream]
    _stream(process, signals, gap, seconds=3)
    stdout, _ = process.communicate(timeout=60)
    # 128 + the first signal Python ran a handler for: of several pending at once, the kernel delivers the
    # lowest number first, so a SIGTERM sent before a SIGINT may still come second.
    assert process.returncode in {128 + signum for signum in signals}, errors.read_text()
    summary = {item["name"]: item for item in json.loads(stdout)["exports"]}
    assert set(summary) == {"one", "two"}
    assert {item["result"] for item in summary.values()} == {"interrupted"}
    assert "Traceback" not in errors.read_text()


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2, 0.5, 1.0, 2.0])
def test_signals_at_any_moment_of_a_run_keep_its_summary_table(delay: float, sandbox: Sandbox, isolated: Path) -> None:
    """Submitting, waiting, downloading, printing the table or after it: the summary table always comes out."""
    path = isolated / "exports.yaml"
    path.write_text(
        "exports:\n"
        "  - name: one\n    object: voucher\n    output: one.csv\n"
        "  - name: two\n    object: customer\n    output: two.csv\n"
    )
    argv = [*Cli(sandbox).credentials(), "run", str(path), "--parallel", "2"]
    process = subprocess.Popen(
        [sys.executable, "-m", "exportctl", *argv],
        cwd=isolated,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    first_line = process.stderr.readline()  # the run has begun: its first progress line
    time.sleep(delay)
    _stream(process, (INT, TERM), 0.001, seconds=3)
    stdout, stderr = process.communicate(timeout=60)
    stderr = first_line + stderr
    assert "Traceback" not in stderr
    assert process.returncode in (0, 130, 143), stderr
    names = {line.split("\t")[0] for line in stdout.splitlines()}
    assert {"one", "two"} <= names, stdout + stderr


def test_ctrl_c_in_an_incremental_export_says_run_it_again(sandbox: Sandbox, isolated: Path) -> None:
    """wait && download would save a file the watermark does not cover: the hint is the same command again."""
    sandbox.faults.hold_in_progress(30)
    args = ("order", "--fields", "id", "--since-last", "state.json", "-o", "o.csv")
    process = start_cli(sandbox, isolated, *args)
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + 30
    while "IN_PROGRESS" not in seen and time.monotonic() < deadline:
        seen += process.stderr.readline()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    said = collapsed(stderr)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "did not move: run the same command again" in said
    assert "exportctl wait" not in said and "exportctl download" not in said
    assert not (isolated / "o.csv").exists()
    assert not (isolated / "state.json").exists() or "watermark" not in (isolated / "state.json").read_text()
