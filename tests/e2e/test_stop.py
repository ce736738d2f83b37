"""One stop for every door: SIGINT or SIGTERM ends a split with --parallel 3 and a `run --parallel` promptly.

Real processes, real signals, against the sandbox holding exports IN_PROGRESS. The bound asserted is
generous (the process ends well before the held exports would finish), never a tight timing: before the
stop was one event that every wait listens to, the split kept polling and downloading every running
window until the hold ran out, then said "0 of 3 windows are saved" while its manifest held all three;
`run`'s workers slept in their polls past the grace period and were reported "Interrupted while running."
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox
from tests.cli import conftest as e2e
from tests.cli.test_fault_matrix import collapsed, subprocess_env, wait_for
from tests.conftest import start_sandbox

# The end-to-end fixtures of tests/cli: an isolated environment (no machine credentials, a clean cwd).
isolated = e2e.isolated


@pytest.fixture(scope="module")
def own_server() -> Iterator[Sandbox]:
    """A sandbox of this module's own: the held exports must be this test's, not a late POST of another's."""
    with start_sandbox() as running:
        yield running


@pytest.fixture
def sandbox(own_server: Sandbox) -> Iterator[Sandbox]:
    own_server.faults.reset()
    yield own_server
    own_server.faults.reset()


HOLD = 40.0  # how long the sandbox keeps the held exports IN_PROGRESS
BOUND = 20.0  # the process must have ended well before the hold does (generous on a loaded machine)
SPLIT = ("order", "--split-by", "month", "--since", "2024-09-01", "--until", "2024-12-01", "--parallel", "3")
STOPS = [(signal.SIGINT, 130), (signal.SIGTERM, 143)]


# The CLI, with the one worker pool (engine/pool.py) watched: each pool says on stderr how it ended, so the
# tests see that the split's windows and the run's entries were stopped by the pool, not around it.
POOL_SPY = """
import sys
from exportctl.engine import pool

real = pool.run_pool


def spy(*args, **kwargs):
    run = real(*args, **kwargs)
    print(f"[pool {kwargs.get('name')} workers={kwargs.get('workers')} stopped={run.stopped}]", file=sys.stderr)
    return run


pool.run_pool = spy
"""


def start(
    sandbox: Sandbox, work: Path, *args: str, env: dict[str, str] | None = None, stderr: Path | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", POOL_SPY + "from exportctl.cli.app import main\nmain()\n", *args],
        cwd=work,
        env={**subprocess_env(sandbox), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if stderr is None else stderr.open("w"),
        text=True,
    )


def stop_and_wait(process: subprocess.Popen[str], signum: int) -> tuple[str, str, float]:
    """Send `signum`; stdout, stderr and the seconds until the process ended (killed after BOUND)."""
    sent = time.monotonic()
    process.send_signal(signum)
    try:
        stdout, stderr = process.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    return stdout, stderr, time.monotonic() - sent


def manifest_windows(path: Path) -> list[dict[str, object]]:
    try:
        windows = json.loads(path.read_text())["windows"]
    except (OSError, ValueError, KeyError):
        return []
    return list(windows)


@pytest.mark.parametrize(("signum", "code"), STOPS)
def test_a_stop_ends_a_parallel_split_with_the_count_of_its_manifest(
    signum: int, code: int, sandbox: Sandbox, isolated: Path
) -> None:
    # Two of the three windows are held IN_PROGRESS; the third is saved before the stop comes.
    sandbox.faults.hold_in_progress(HOLD, times=2)
    manifest = isolated / "orders.csv.manifest.json"
    process = start(sandbox, isolated, *SPLIT, "-o", "orders.csv")

    def one_saved_two_running() -> bool:
        windows = manifest_windows(manifest)
        statuses = sorted(str(w.get("status")) for w in windows)
        return statuses == ["saved", "submitted", "submitted"] and all(w.get("export_id") for w in windows)

    wait_for(one_saved_two_running, seconds=30, process=process)
    _, stderr, seconds = stop_and_wait(process, signum)
    assert process.returncode == code, stderr
    assert seconds < BOUND, f"the split went on for {seconds:.0f}s after the signal"
    assert "Traceback" not in stderr
    assert "[pool exportctl-window workers=3 stopped=True]" in stderr
    windows = manifest_windows(manifest)
    saved = [w for w in windows if w.get("status") == "saved"]
    assert len(saved) == 1, windows
    assert f"{len(saved)} of 3 windows are saved" in collapsed(stderr)
    assert "run the same command again" in collapsed(stderr)
    assert not (isolated / "orders.csv").exists()
    parts = isolated / "orders.csv.parts"
    assert sorted(p.name for p in parts.iterdir() if p.suffix == ".csv") == [str(saved[0]["part"])]


@pytest.mark.parametrize(("signum", "code"), STOPS)
def test_a_stop_ends_a_parallel_run_while_its_workers_poll(
    signum: int, code: int, sandbox: Sandbox, isolated: Path
) -> None:
    # Both exports held, and a poll interval of a minute: each worker sleeps in its poll when the stop comes.
    sandbox.faults.hold_in_progress(HOLD, times=None)
    path = isolated / "exports.yaml"
    path.write_text(
        "exports:\n"
        "  - name: one\n    object: voucher\n    output: one.csv\n"
        "  - name: two\n    object: customer\n    output: two.csv\n"
    )
    errors = isolated.parent / "stderr.log"
    argv = ("run", str(path), "--parallel", "2", "--json")
    process = start(sandbox, isolated, *argv, env={"EXPORTCTL_POLL_INTERVAL": "60"}, stderr=errors)
    wait_for(lambda: errors.read_text().count(" submitted ") >= 2, seconds=30, process=process)
    stdout, _, seconds = stop_and_wait(process, signum)
    assert process.returncode == code, errors.read_text()
    assert seconds < BOUND, f"the run went on for {seconds:.0f}s after the signal"
    assert "[pool exportctl-entry workers=2 stopped=True]" in errors.read_text()
    exports = {item["name"]: item for item in json.loads(stdout)["exports"]}
    assert set(exports) == {"one", "two"}
    for item in exports.values():
        assert item["result"] == "interrupted"
        # The worker itself saw the stop in its poll (not the run giving up on it after the grace).
        assert f"Interrupted while waiting for export {item['export_id']}" in item["error"], item
        assert f"exportctl wait {item['export_id']}" in item["hint"]
    assert not (isolated / "one.csv").exists() and not (isolated / "two.csv").exists()


LIBRARY_SCRIPT = (
    POOL_SPY
    + """
import exportctl
try:
    exportctl.export(
        "order", split_by="month", since="2024-09-01", until="2024-12-01", parallel=3, output="orders.csv"
    )
except exportctl.ExportctlError as error:
    print(error.message, error.hint, file=sys.stderr)
    sys.exit(int(error.exit_code))
"""
)


def test_ctrl_c_ends_a_parallel_split_of_the_library(sandbox: Sandbox, isolated: Path) -> None:
    """The library door: Ctrl-C in `exportctl.export(...)` with parallel windows, the same stop and count."""
    sandbox.faults.hold_in_progress(HOLD, times=2)
    manifest = isolated / "orders.csv.manifest.json"
    process = subprocess.Popen(
        [sys.executable, "-c", LIBRARY_SCRIPT],
        cwd=isolated,
        env=subprocess_env(sandbox),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def one_saved_two_running() -> bool:
        statuses = sorted(str(w.get("status")) for w in manifest_windows(manifest))
        return statuses == ["saved", "submitted", "submitted"]

    wait_for(one_saved_two_running, seconds=30, process=process)
    _, stderr, seconds = stop_and_wait(process, signal.SIGINT)
    assert process.returncode == 130, stderr
    assert seconds < BOUND, f"the split went on for {seconds:.0f}s after Ctrl-C"
    saved = [w for w in manifest_windows(manifest) if w.get("status") == "saved"]
    assert len(saved) == 1
    assert "1 of 3 windows are saved" in collapsed(stderr)
    assert "[pool exportctl-window workers=3 stopped=True]" in stderr
    assert not (isolated / "orders.csv").exists()
