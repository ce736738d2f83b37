"""SIGTERM and SIGHUP, as systemd, cron wrappers and CI runners send them: the Ctrl-C treatment, exit 128 + N."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from exportctl.files.atomic import part_path
from exportctl.sandbox import Sandbox
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
