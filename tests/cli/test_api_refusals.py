"""The real CLI against the sandbox's refusals that waiting does not change: credentials of another cluster
(403 `wrong_api_endpoint`, exit 3, on every command, `login` and `doctor` included) and spent quotas (402 and
429 `api_calls_cycle`, exit 4 at once). The fault matrix (test_fault_matrix.py) runs the export path."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from exportctl.client.retry import utc_clock
from exportctl.errors import ExitCode
from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli

US1 = "https://us1.api.voucherify.io"
RETRY_LINE = re.compile(r"retrying (GET|POST|DELETE) ")  # the reporter's line for each retry or wait


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _done_export(cli: Cli) -> str:
    submitted = cli("voucher", "--no-wait", "--fields", "code")
    assert submitted.exit_code == 0, submitted.output
    export_id = submitted.stdout.strip()
    assert cli("wait", export_id).exit_code == 0
    return export_id


COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "export": lambda export_id: ["voucher", "-o", "v.csv"],
    "list": lambda export_id: ["list"],
    "status": lambda export_id: ["status", export_id],
    "wait": lambda export_id: ["wait", export_id],
    "download": lambda export_id: ["download", export_id],
    "delete": lambda export_id: ["delete", export_id, "--yes"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_wrong_cluster_on_every_command_says_the_url_and_the_fix(
    cli: Cli, sandbox: Sandbox, isolated: Path, command: str
) -> None:
    export_id = _done_export(cli)
    sandbox.faults.wrong_cluster(US1)
    result = cli(*COMMANDS[command](export_id))
    text = _one_line(result.stderr)
    assert result.exit_code == ExitCode.AUTH, result.output
    assert f"another cluster: {sandbox.base_url} answered 403 wrong_api_endpoint" in text
    assert f"the project is bound to {US1}" in text
    assert "Add --region us1 to the command (e.g. exportctl --region us1 list)" in text
    assert "exportctl login --region us1" in text
    assert "refused these credentials" not in text and "Traceback" not in result.output
    assert not (isolated / "v.csv").exists()


def test_wrong_cluster_json_summary_carries_the_fix(cli: Cli, sandbox: Sandbox) -> None:
    import json

    sandbox.faults.wrong_cluster("https://as1.api.voucherify.io")
    result = cli("list", "--json")
    assert result.exit_code == ExitCode.AUTH
    document = json.loads(result.stdout)
    assert "bound to https://as1.api.voucherify.io" in document["error"]
    assert "--region as1" in document["hint"]


def test_a_hostile_wrong_cluster_url_is_never_shown(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.faults.wrong_cluster("https://api.voucherify.io.evil.example/\x1b]0;pwned\x07[bold]x")
    result = cli("list")
    assert result.exit_code == ExitCode.AUTH
    assert "evil" not in result.output and "\x1b" not in result.output and "\x07" not in result.output
    assert "--region eu|us1|as1" in _one_line(result.stderr)


def test_login_names_the_cluster_and_saves_nothing(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.faults.wrong_cluster(US1)
    result = cli("login", "--profile", "live")
    text = _one_line(result.stderr)
    assert result.exit_code == ExitCode.AUTH, result.output
    assert "refused these credentials" not in text
    assert f"the project is bound to {US1}" in text and "Nothing was saved." in text
    assert "Run login again on the project's cluster: exportctl login --profile live --region us1" in text
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "exportctl" / "config.yaml").exists()


def test_doctor_names_the_cluster_and_the_fix(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.faults.wrong_cluster("https://acme.voucherify-dedicated.example.com")
    result = cli("doctor")
    text = _one_line(result.stderr)
    assert result.exit_code == 1
    assert "fail api These credentials belong to a Voucherify project on another cluster" in text
    assert "bound to https://acme.voucherify-dedicated.example.com" in text
    assert "fix: Add --api-url https://acme.voucherify-dedicated.example.com to the command" in text


def test_doctor_names_a_spent_cycle_limit(cli: Cli, sandbox: Sandbox) -> None:
    resets_at = float(int(time.time()) + 5 * 86_400)
    sandbox.faults.cycle_limit(resets_at=resets_at)
    result = cli("doctor")
    text = _one_line(result.stderr)
    assert result.exit_code == 1
    assert "API-calls limit for this billing cycle is spent" in text
    assert f"It resets at {utc_clock(resets_at)}" in text


def test_doctor_names_an_exceeded_plan(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.faults.quota_exceeded()
    result = cli("doctor")
    assert result.exit_code == 1
    assert "pricing plan's limit is exceeded (402 Payment Required)" in _one_line(result.stderr)


@pytest.mark.parametrize("command", ["list", "status", "wait", "download", "delete"])
def test_quotas_fail_at_once_on_every_command(cli: Cli, sandbox: Sandbox, command: str) -> None:
    export_id = _done_export(cli)
    sandbox.faults.cycle_limit()
    result = cli(*COMMANDS[command](export_id))
    assert result.exit_code == ExitCode.API_REJECTED, result.output
    assert "billing cycle is spent" in _one_line(result.stderr)
    assert not RETRY_LINE.search(result.stderr)
    sandbox.faults.reset()
    sandbox.faults.quota_exceeded()
    result = cli(*COMMANDS[command](export_id))
    assert result.exit_code == ExitCode.API_REJECTED, result.output
    assert "pricing plan's limit is exceeded" in _one_line(result.stderr)


def test_sandbox_flags_inject_each_refusal(tmp_path: Path) -> None:
    """`exportctl sandbox --wrong-cluster URL | --quota-exceeded | --cycle-limit`, as a user would run it."""
    for flags, code, words in (
        (["--wrong-cluster", US1], ExitCode.AUTH, "bound to https://us1.api.voucherify.io"),
        (["--quota-exceeded"], ExitCode.API_REJECTED, "pricing plan's limit is exceeded"),
        (["--cycle-limit"], ExitCode.API_REJECTED, "billing cycle is spent"),
    ):
        sandbox = ["sandbox", "--port", "0", "--scale", "0.01", "--app-id", "id", "--secret-key", "sk_test"]
        server = subprocess.Popen(
            [sys.executable, "-m", "exportctl", *sandbox, *flags],
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        try:
            assert server.stderr is not None
            base = ""
            for line in server.stderr:
                if "Sandbox API at " in line:
                    base = line.split("Sandbox API at ")[1].split()[0]
                    break
            assert base, "the sandbox never said where it listens"
            env = {**os.environ, "VOUCHERIFY_API_BASE_URL": base, "VOUCHERIFY_APP_ID": "id"}
            env["VOUCHERIFY_APP_TOKEN"] = "sk_test"
            result = subprocess.run(
                [sys.executable, "-m", "exportctl", "voucher", "-o", "v.csv"],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == code, result.stderr
            assert words in _one_line(result.stderr)
            assert not RETRY_LINE.search(result.stderr), "refusals are neither retried nor waited out"
        finally:
            server.terminate()
            server.wait(timeout=30)
