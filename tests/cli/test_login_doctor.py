"""`exportctl login` through a real terminal (pty), and `exportctl doctor` against healthy and broken sandboxes."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import stat
import sys
import termios
import time
from pathlib import Path

import yaml

from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli
from tests.conftest import start_sandbox


class Terminal:
    """`python -m exportctl ARGS` on a pseudo-terminal, as a person at a keyboard runs it."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        # pty.fork makes the terminal the child's controlling one, so getpass reads it as it would a person's.
        self.pid, self.fd_parent = pty.fork()
        if self.pid == 0:
            os.execve(sys.executable, [sys.executable, "-m", "exportctl", *args], env)
        self.screen = ""

    def wait_for_hidden_input(self, seconds: float = 10.0) -> None:
        """Until the program has switched echo off (the master side reads the terminal's modes on Linux)."""
        deadline = time.monotonic() + seconds
        while termios.tcgetattr(self.fd_parent)[3] & termios.ECHO and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not termios.tcgetattr(self.fd_parent)[3] & termios.ECHO, "echo never went off for the secret"

    def read_until(self, text: str, seconds: float = 20.0) -> str:
        deadline = time.monotonic() + seconds
        while text not in self.screen and time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd_parent], [], [], 0.05)
            if ready:
                try:
                    self.screen += os.read(self.fd_parent, 65536).decode(errors="replace")
                except OSError:
                    break
        assert text in self.screen, f"never saw {text!r} on the screen:\n{self.screen}"
        return self.screen

    def type(self, line: str) -> None:
        os.write(self.fd_parent, line.encode() + b"\r")

    def finish(self) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd_parent)
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.05)
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        os.close(self.fd_parent)
        raise AssertionError(f"exportctl did not finish:\n{self.screen}")


def _terminal_env(config_home: Path) -> dict[str, str]:
    # PYTHONPATH and EXPORTCTL_TEST_CLOCK_OFFSET carry `pytest --clock` into the process (tests/clock/plugin.py).
    names = ("PATH", "HOME", "SYSTEMROOT", "PYTHONPATH", "EXPORTCTL_TEST_CLOCK_OFFSET")
    keep = {name: os.environ[name] for name in names if name in os.environ}
    return {**keep, "XDG_CONFIG_HOME": str(config_home), "TERM": "dumb", "COLUMNS": "200"}


def test_login_asks_on_a_terminal_hides_the_secret_and_saves_a_0600_profile(sandbox: Sandbox, tmp_path: Path) -> None:
    config_home = tmp_path / "config"
    terminal = Terminal(["--api-url", sandbox.base_url, "login", "--profile", "sandbox"], _terminal_env(config_home))
    terminal.read_until("Application ID")
    terminal.type(sandbox.app_id)
    terminal.read_until("Secret key")
    terminal.wait_for_hidden_input()
    terminal.type(sandbox.secret_key)
    screen = terminal.read_until("Saved profile 'sandbox'")
    assert terminal.finish() == 0
    assert sandbox.secret_key not in screen  # hidden input: not echoed
    path = config_home / "exportctl" / "config.yaml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = yaml.safe_load(path.read_text())
    assert saved["default_profile"] == "sandbox"
    assert saved["profiles"]["sandbox"] == {
        "app_id": sandbox.app_id,
        "app_token": sandbox.secret_key,
        "api_url": sandbox.base_url,
    }


def test_login_with_rejected_credentials_saves_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    config_home = tmp_path / "config"
    terminal = Terminal(["--api-url", sandbox.base_url, "login"], _terminal_env(config_home))
    terminal.read_until("Application ID")
    terminal.type(sandbox.app_id)
    terminal.read_until("Secret key")
    terminal.wait_for_hidden_input()
    terminal.type("not-the-secret")
    screen = terminal.read_until("nothing was saved")
    assert terminal.finish() == 3
    assert "refused these credentials (401)" in screen
    assert not (config_home / "exportctl" / "config.yaml").exists()


def test_ctrl_c_at_the_secret_prompt_is_an_interruption_and_saves_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    config_home = tmp_path / "config"
    terminal = Terminal(["--api-url", sandbox.base_url, "login"], _terminal_env(config_home))
    terminal.read_until("Application ID")
    terminal.type(sandbox.app_id)
    terminal.read_until("Secret key")
    terminal.wait_for_hidden_input()
    os.write(terminal.fd_parent, b"\x03")
    screen = terminal.read_until("Interrupted.")
    assert terminal.finish() == 130
    assert "Aborted" not in screen and "Traceback" not in screen
    assert not (config_home / "exportctl").exists()


def test_login_keeps_the_other_profiles_and_the_default(cli: Cli, isolated: Path) -> None:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "exportctl" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("default_profile: live\nprofiles:\n  live:\n    app_id: a\n    app_token: b\n    region: us1\n")
    result = cli("login", "--profile", "sandbox")  # --app-id/--app-token given: no prompt, works off a terminal
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load(path.read_text())
    assert saved["default_profile"] == "live"
    assert set(saved["profiles"]) == {"live", "sandbox"}
    assert "exportctl --profile sandbox" in result.output
    assert cli("--profile", "sandbox", "list", credentials=False).exit_code == 0


def test_login_off_a_terminal_without_credentials_says_how(cli: Cli) -> None:
    result = cli("login", credentials=False)
    assert result.exit_code == 2
    assert "standard input is not one" in result.output and "--app-id" in result.output
    assert "Traceback" not in result.output


def test_login_refuses_an_unknown_region_before_asking(cli: Cli) -> None:
    result = cli("login", "--region", "us2", credentials=False)
    assert result.exit_code == 2
    assert "Unknown region 'us2'" in result.output and "us1" in result.output


def _lines(output: str) -> dict[str, str]:
    """doctor's lines by check name: {'api': 'ok   api  the credentials work...'}."""
    found = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("ok", "warn", "fail", "skip"):
            name = "download host" if parts[1] == "download" else "rate limit" if parts[1] == "rate" else parts[1]
            name = "profile file" if parts[1] == "profile" else name
            found[name] = line
    return found


def test_doctor_on_a_healthy_sandbox_is_all_ok(cli: Cli) -> None:
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    assert set(lines) == {"credentials", "endpoint", "api", "rate limit", "clock", "profile file", "download host"}
    assert all(line.startswith("ok") for line in lines.values()), result.output
    assert "from --app-id, --app-token" in lines["credentials"]
    assert "calls left" in lines["rate limit"]
    assert cli.sandbox.secret_key not in result.output


def test_doctor_names_rejected_credentials_and_the_fix(cli: Cli) -> None:
    result = cli(
        "--api-url", cli.sandbox.base_url, "--app-id", "x", "--app-token", "wrong-key", "doctor", credentials=False
    )
    assert result.exit_code == 1
    lines = _lines(result.output)
    assert lines["api"].startswith("fail") and "refused the credentials (401)" in lines["api"]
    assert "fix: " in result.output and "exportctl login" in result.output


def test_doctor_reports_a_failing_api_at_once(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.faults.fail_next(1, status=503, path_prefix="/v1/exports")
    started = time.monotonic()
    result = cli("doctor")
    assert time.monotonic() - started < 10  # no retries waited out
    assert result.exit_code == 1
    assert _lines(result.output)["api"].startswith("fail") and "answered 503" in result.output


def test_doctor_reports_a_download_host_that_refuses(cli: Cli, refused_port: int) -> None:
    result = cli("doctor", "--download-url", f"http://127.0.0.1:{refused_port}")
    assert result.exit_code == 1
    line = _lines(result.output)["download host"]
    assert line.startswith("fail") and "connection refused" in line
    assert _lines(result.output)["api"].startswith("ok")


def test_doctor_without_credentials_fails_and_says_how(cli: Cli) -> None:
    result = cli("doctor", credentials=False)
    assert result.exit_code == 1
    assert _lines(result.output)["credentials"].startswith("fail")
    assert "exportctl login" in result.output


def test_doctor_warns_about_a_spent_rate_budget_and_a_readable_profile_file(isolated: Path) -> None:
    with start_sandbox(rate_limit="3/h") as limited:
        path = Path(os.environ["XDG_CONFIG_HOME"]) / "exportctl" / "config.yaml"
        path.parent.mkdir(parents=True)
        path.write_text(
            f"profiles:\n  sb:\n    app_id: {limited.app_id}\n    app_token: {limited.secret_key}\n"
            f"    api_url: {limited.base_url}\n"
        )
        path.chmod(0o644)
        runner = Cli(limited)
        for _ in range(2):
            runner("list")
        result = runner("--profile", "sb", "doctor", credentials=False)
    assert result.exit_code == 1
    lines = _lines(result.output)
    assert lines["rate limit"].startswith("fail") and "0 of 3 calls left" in lines["rate limit"]
    assert lines["profile file"].startswith("warn") and f"chmod 600 {path}" in result.output
    assert lines["credentials"].startswith("ok") and f"profile 'sb' in {path}" in lines["credentials"]


# --- concurrent logins, and passwords in URLs --------------------------------------------------------------


class _BarrierApi:
    """An API on 127.0.0.1 that answers GET /v1/exports 200 only once `parties` requests are waiting.

    Every login checks its credentials with that call, so the logins leave it together and write the
    profile file at the same moment: the overlap that used to lose all but one profile.
    """

    def __init__(self, parties: int) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        barrier = threading.Barrier(parties)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                # A broken barrier answers anyway: the test then checks the file, which must hold every profile.
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait(timeout=30)
                body = b'{"object": "list", "exports": [], "total": 0}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_concurrent_logins_all_land_in_the_profile_file(tmp_path: Path) -> None:
    import subprocess

    count = 5
    config_home = tmp_path / "config"
    path = config_home / "exportctl" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("default_profile: live\nprofiles:\n  live:\n    app_id: a\n    app_token: bbbb\n")
    api = _BarrierApi(count)
    try:
        runs = [
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "exportctl", "--api-url", api.base_url, "--app-id", f"id-{n}"),
                    *("--app-token", f"token-{n}-secret", "login", "--profile", f"p{n}"),
                ],
                env=_terminal_env(config_home),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(count)
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
    finally:
        api.close()
    for run, (_, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr
        assert "Saved profile" in stderr
    saved = yaml.safe_load(path.read_text())
    assert saved["default_profile"] == "live"
    assert saved["profiles"]["live"] == {"app_id": "a", "app_token": "bbbb"}
    for n in range(count):
        assert saved["profiles"][f"p{n}"]["app_token"] == f"token-{n}-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert {p.name for p in path.parent.iterdir()} == {"config.yaml", ".config.yaml.lock"}  # no temporaries left


def test_login_through_a_symlinked_profile_file_keeps_the_link(cli: Cli, isolated: Path) -> None:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "exportctl" / "config.yaml"
    path.parent.mkdir(parents=True)
    target = isolated.parent / "dotfiles" / "exportctl.yaml"
    target.parent.mkdir()
    target.write_text("default_profile: live\nprofiles:\n  live:\n    app_id: a\n    app_token: bbbb\n")
    path.symlink_to(target)
    result = cli("login", "--profile", "sandbox")
    assert result.exit_code == 0, result.output
    assert path.is_symlink() and path.resolve() == target.resolve()
    assert set(yaml.safe_load(target.read_text())["profiles"]) == {"live", "sandbox"}
    assert cli("--profile", "sandbox", "list", credentials=False).exit_code == 0


def test_doctor_never_prints_the_password_of_the_api_url(cli: Cli, sandbox: Sandbox, refused_port: int) -> None:
    url = sandbox.base_url.replace("http://", "http://bob:hunter2pass@")
    env = {"VOUCHERIFY_API_BASE_URL": url, "VOUCHERIFY_APP_ID": sandbox.app_id, "VOUCHERIFY_APP_TOKEN": "wrong"}
    result = cli("doctor", credentials=False, env=env)
    assert result.exit_code == 1
    assert "hunter2pass" not in result.output and "bob:" not in result.output
    assert "http://***@127.0.0.1" in _lines(result.output)["endpoint"]
    # Also with the download host's URL given with a password, and with the API unreachable.
    port = refused_port
    env["VOUCHERIFY_API_BASE_URL"] = f"http://bobuser:p@ss:word@127.0.0.1:{port}"
    result = cli("doctor", "--download-url", f"http://eveuser:s3cret@127.0.0.1:{port}/", credentials=False, env=env)
    assert result.exit_code == 1
    for secret in ("p@ss", "ss:word", "s3cret", "bobuser", "eveuser"):
        assert secret not in result.output, result.output
    assert _lines(result.output)["api"].startswith("fail")


def test_a_failing_login_never_prints_the_password_of_the_api_url(cli: Cli, refused_port: int) -> None:
    url = f"http://bob:hunter2pass@127.0.0.1:{refused_port}"
    result = cli("--api-url", url, "--app-id", "app-1", "--app-token", "token-1", "login", credentials=False)
    assert result.exit_code == 7
    assert "nothing was saved" in result.output
    assert "hunter2pass" not in result.output and "http://***@127.0.0.1" in result.output
    invalid = cli("--api-url", "ftp://bob:hunter2pass@host", "list", credentials=False)
    assert invalid.exit_code == 2 and "Invalid API URL 'ftp://***@host'" in invalid.output
    assert "hunter2pass" not in invalid.output


def test_a_secret_typed_with_a_non_ascii_character_is_refused_before_any_request(
    tmp_path: Path, refused_port: int
) -> None:
    config_home = tmp_path / "config"
    url = f"http://127.0.0.1:{refused_port}"  # nothing listens: a request would be exit 7
    terminal = Terminal(["--api-url", url, "login"], _terminal_env(config_home))
    terminal.read_until("Application ID")
    terminal.type("app-1")
    terminal.read_until("Secret key")
    terminal.wait_for_hidden_input()
    terminal.type("s3cr3t-kéy")
    screen = terminal.read_until("nothing was sent")
    assert terminal.finish() == 3
    assert "The secret key from the prompt has a non-ASCII character at character 9" in screen
    assert "s3cr3t" not in screen and "Traceback" not in screen
    assert not (config_home / "exportctl").exists()


# --- doctor --json, and the clock when the API cannot be reached -------------------------------------------


def test_doctor_json_prints_the_checks_on_stdout_and_the_lines_on_stderr(cli: Cli) -> None:
    import json

    result = cli("doctor", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["object"] == "doctor" and document["exit_code"] == 0 and document["ok"] is True
    names = [check["name"] for check in document["checks"]]
    assert names == ["credentials", "endpoint", "api", "rate limit", "clock", "profile file", "download host"]
    assert all(check["level"] == "ok" for check in document["checks"])
    assert set(_lines(result.stderr)) == set(names)  # the people's lines, on standard error
    assert cli.sandbox.secret_key not in result.output


def test_doctor_with_the_api_unreachable_says_nothing_of_the_clock(cli: Cli, refused_port: int) -> None:
    import json

    url = f"http://127.0.0.1:{refused_port}"
    result = cli("--api-url", url, "--app-id", "app-1", "--app-token", "token-1", "doctor", "--json", credentials=False)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["exit_code"] == 1 and document["ok"] is False
    levels = {check["name"]: check["level"] for check in document["checks"]}
    assert levels["api"] == "fail" and levels["clock"] == "skip" and levels["rate limit"] == "skip"
    assert "clock unknown" not in result.stderr and "unknown:" not in result.stderr
    assert _lines(result.stderr)["clock"].startswith("skip")
