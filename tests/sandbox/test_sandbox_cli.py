"""`exportctl sandbox` as a user runs it: a real process, stopped with Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from typer.testing import CliRunner

from exportctl.cli.app import app


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "exportctl", "sandbox", "--port", "0", "--scale", "0.01", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_banner(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "Serving until Ctrl-C" in line:
            break
    return "".join(lines)


def stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    return process.returncode, out, err


def test_serves_with_the_given_credentials_until_ctrl_c() -> None:
    process = start("--app-id", "my-app", "--secret-key", "my-key", "--fail-next", "1", "--fail-status", "502")
    try:
        banner = read_banner(process)
        url = re.search(r"VOUCHERIFY_API_BASE_URL=(\S+)", banner)
        assert url is not None, banner
        assert "VOUCHERIFY_APP_ID=my-app VOUCHERIFY_APP_TOKEN=my-key" in banner
        assert "warning" not in banner
        headers = {"X-App-Id": "my-app", "X-App-Token": "my-key"}
        assert requests.get(url.group(1) + "/v1/exports", headers=headers, timeout=10).status_code == 502
        assert requests.get(url.group(1) + "/v1/exports", headers=headers, timeout=10).status_code == 200
        assert requests.get(url.group(1) + "/v1/exports", timeout=10).status_code == 401
    finally:
        code, out, err = stop(process)
    assert code == 0
    assert out == ""  # standard output is for data; the banner goes to standard error
    assert err.strip().endswith("stopped")


def test_generates_credentials_and_warns_off_loopback() -> None:
    process = start("--host", "0.0.0.0")
    try:
        banner = read_banner(process)
    finally:
        code, _, _ = stop(process)
    assert code == 0
    assert "warning" in banner and "0.0.0.0" in banner
    app_id = re.search(r"Application ID: (\S+)", banner)
    secret = re.search(r"Secret key:\s+(\S+)", banner)
    assert app_id and secret and app_id.group(1) != secret.group(1)


def test_bad_options_are_usage_errors() -> None:
    runner = CliRunner()
    for args in (["--rate-limit", "lots"], ["--scale", "0"], ["--fail-rate", "2"], ["--slow", "soon"]):
        result = runner.invoke(app, ["sandbox", "--port", "0", *args])
        assert result.exit_code == 2, (args, result.output)


def test_help_does_not_import_the_sandbox() -> None:
    code = "import sys; from exportctl.cli.app import app; print('exportctl.sandbox' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_db_made_earlier_is_reused_without_generating(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    banners = []
    for _ in range(2):
        process = start("--db", str(db))
        try:
            banners.append(read_banner(process))
        finally:
            stop(process)
    first, second = banners
    assert "Generating data (seed 42, scale 0.01" in first and "Reusing" not in first
    assert "Generating data" not in second, second
    assert f"Reusing the data in {db}: made with the same seed, scale and as-of." in second
