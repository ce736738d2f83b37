"""Every documented exit code, produced by the real CLI against the sandbox and its fault injection."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exportctl.errors import ExitCode
from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli


def test_0_done(cli: Cli) -> None:
    assert cli("voucher", "-o", "v.csv").exit_code == ExitCode.OK


def test_2_usage(cli: Cli) -> None:
    assert cli("voucher", "--fields", "nope").exit_code == ExitCode.USAGE


def test_3_rejected_credentials(cli: Cli, sandbox: Sandbox) -> None:
    result = cli("--api-url", sandbox.base_url, "--app-id", sandbox.app_id, "--app-token", "wrong", "voucher",
                 credentials=False)  # fmt: skip
    assert result.exit_code == ExitCode.AUTH
    assert "unauthorized" in result.stderr.lower()
    assert "wrong" not in result.stderr


def test_3_missing_credentials_names_the_three_ways(cli: Cli, sandbox: Sandbox) -> None:
    result = cli("--api-url", sandbox.base_url, "voucher", credentials=False)
    assert result.exit_code == ExitCode.AUTH
    for way in ("--app-id", "VOUCHERIFY_APP_ID", "config.yaml"):
        assert way in result.stderr


def test_4_api_rejected(cli: Cli) -> None:
    result = cli("status", "exp_doesnotexist")
    assert result.exit_code == ExitCode.API_REJECTED
    assert "not_found" in result.stderr and "[v-" in result.stderr


def test_4_forbidden_is_the_apis_refusal_not_a_credentials_problem(cli: Cli, sandbox: Sandbox) -> None:
    discount = sandbox.store.rows("SELECT id FROM campaigns WHERE voucher_type = 'DISCOUNT_VOUCHER' LIMIT 1")[0][0]
    result = cli("gift-card-transactions", "--campaign", str(discount), "-o", "t.csv")
    assert result.exit_code == ExitCode.API_REJECTED
    message = " ".join(result.stderr.split())
    assert "forbidden: Forbidden (Transactions are allowed only for loyalty or gift campaigns)" in message
    assert "credentials" not in message and "secret key" not in message


def test_5_export_ended_in_error(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    sandbox.faults.fail_next_job("Generation failed: disk quota")
    result = cli("voucher", "-o", "v.csv")
    assert result.exit_code == ExitCode.EXPORT_FAILED
    assert "ERROR" in result.stderr
    assert not (isolated / "v.csv").exists()


@pytest.mark.default_polling  # polling itself is under test: the product's schedule
def test_6_timed_out_waiting_prints_the_resume_command(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    sandbox.faults.hold_in_progress(30)
    result = cli("voucher", "-o", "v.csv", "--timeout", "1s")
    assert result.exit_code == ExitCode.TIMEOUT
    assert "exportctl wait exp_" in result.stderr
    assert not (isolated / "v.csv").exists()


def test_7_network_failure_after_retries(cli: Cli, isolated: Path, quick_backoff: None) -> None:
    result = cli("--api-url", "http://127.0.0.1:9", "--app-id", "a", "--app-token", "b", "voucher", credentials=False)
    assert result.exit_code == ExitCode.NETWORK
    assert "127.0.0.1:9" in result.stderr
    assert list(isolated.iterdir()) == []


def test_retries_recover_from_a_burst_of_503s(cli: Cli, sandbox: Sandbox, quick_backoff: None) -> None:
    sandbox.faults.fail_next(2, status=503)
    result = cli("voucher", "-o", "v.csv", "--json")
    assert result.exit_code == ExitCode.OK, result.output
    assert json.loads(result.stdout)["status"] == "DONE"
    assert "retrying" in result.stderr


def test_130_interrupted_names_the_command_that_resumes(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.faults.hold_in_progress(30)
    env = {
        **os.environ,
        "VOUCHERIFY_API_BASE_URL": sandbox.base_url,
        "VOUCHERIFY_APP_ID": sandbox.app_id,
        "VOUCHERIFY_APP_TOKEN": sandbox.secret_key,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "exportctl", "voucher", "-o", "v.csv"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    seen = ""
    while "IN_PROGRESS" not in seen and time.monotonic() < deadline:
        seen += process.stderr.readline()
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=30)
    assert process.returncode == ExitCode.INTERRUPTED, seen + rest
    assert "exportctl wait exp_" in seen + rest
    assert "Traceback" not in rest
    assert not (tmp_path / "v.csv").exists()
