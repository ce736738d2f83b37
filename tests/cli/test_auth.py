"""Login for automation (the secret on standard input or in the environment), replacing a profile only when
asked to, `auth status` and `auth logout`: real processes against the sandbox, real terminals for prompts."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli
from tests.cli.test_login_doctor import Terminal, _terminal_env


def _exportctl(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exportctl", *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _profile_file(config_home: Path) -> Path:
    return config_home / "exportctl" / "config.yaml"


def test_login_reads_the_secret_from_standard_input(sandbox: Sandbox, tmp_path: Path) -> None:
    env = _terminal_env(tmp_path / "config")
    args = ["--api-url", sandbox.base_url, "login", "--app-id", sandbox.app_id, "--with-token"]
    done = _exportctl(args, env, stdin=sandbox.secret_key + "\n")
    assert done.returncode == 0, done.stderr
    assert "Saved profile 'default'" in done.stderr and sandbox.secret_key not in done.stderr + done.stdout
    saved = yaml.safe_load(_profile_file(tmp_path / "config").read_text())
    assert saved["profiles"]["default"] == {
        "app_id": sandbox.app_id,
        "app_token": sandbox.secret_key,
        "api_url": sandbox.base_url,
    }
    listed = _exportctl(["list", "--json"], env)  # the saved profile is what a later command uses
    assert listed.returncode == 0, listed.stderr


def test_login_takes_the_secret_and_the_id_from_the_environment(sandbox: Sandbox, tmp_path: Path) -> None:
    env = _terminal_env(tmp_path / "config") | {
        "VOUCHERIFY_APP_ID": sandbox.app_id,
        "VOUCHERIFY_APP_TOKEN": sandbox.secret_key,
        "VOUCHERIFY_API_BASE_URL": sandbox.base_url,
    }
    done = _exportctl(["login", "--profile", "ci"], env)
    assert done.returncode == 0, done.stderr
    saved = yaml.safe_load(_profile_file(tmp_path / "config").read_text())
    assert saved["profiles"]["ci"]["app_token"] == sandbox.secret_key
    assert saved["profiles"]["ci"]["api_url"] == sandbox.base_url


def test_a_second_login_replaces_the_profile_only_with_force(sandbox: Sandbox, tmp_path: Path) -> None:
    env = _terminal_env(tmp_path / "config")
    path = _profile_file(tmp_path / "config")
    path.parent.mkdir(parents=True)
    path.write_text("default_profile: live\nprofiles:\n  live:\n    app_id: old-id\n    app_token: old-token\n")
    before = path.read_bytes()
    args = ["--api-url", sandbox.base_url, "login", "--profile", "live", "--app-id", sandbox.app_id, "--with-token"]
    refused = _exportctl(args, env, stdin=sandbox.secret_key)
    assert refused.returncode == 2, refused.stderr
    assert "Profile 'live' already exists" in refused.stderr and "nothing was saved" in refused.stderr
    assert "exportctl login --profile live --force" in refused.stderr
    assert path.read_bytes() == before
    forced = _exportctl([*args, "--force"], env, stdin=sandbox.secret_key)
    assert forced.returncode == 0, forced.stderr
    assert "replacing the one there was" in forced.stderr
    assert yaml.safe_load(path.read_text())["profiles"]["live"]["app_id"] == sandbox.app_id


def test_replacing_a_profile_at_a_terminal_asks_first(sandbox: Sandbox, tmp_path: Path) -> None:
    config_home = tmp_path / "config"
    path = _profile_file(config_home)
    path.parent.mkdir(parents=True)
    path.write_text("profiles:\n  default:\n    app_id: old-id\n    app_token: old-token\n")
    before = path.read_bytes()
    env = _terminal_env(config_home) | {"VOUCHERIFY_APP_ID": sandbox.app_id, "VOUCHERIFY_APP_TOKEN": sandbox.secret_key}
    for answer, code in (("n", 1), ("y", 0)):
        terminal = Terminal(["--api-url", sandbox.base_url, "login"], env)
        terminal.read_until("Profile 'default' already exists")
        terminal.type(answer)
        screen = terminal.read_until("nothing was saved" if answer == "n" else "Saved profile 'default'")
        assert terminal.finish() == code, screen
        if answer == "n":
            assert path.read_bytes() == before
    assert yaml.safe_load(path.read_text())["profiles"]["default"]["app_token"] == sandbox.secret_key


def test_with_token_refuses_what_it_cannot_use(cli: Cli) -> None:
    url, key = cli.sandbox.base_url, cli.sandbox.secret_key
    base = ["--api-url", url, "login", "--with-token"]
    empty = cli(*base, "--app-id", "app-1", credentials=False)
    assert empty.exit_code == 2 and "Standard input was empty" in empty.stderr
    no_id = cli(*base, credentials=False)
    assert no_id.exit_code == 2 and "--app-id" in no_id.stderr
    twice = cli(*base, "--app-id", "app-1", "--app-token", key, credentials=False)
    assert twice.exit_code == 2 and "one way" in twice.stderr
    from typer.testing import CliRunner

    from exportctl.cli.app import app

    two_lines = CliRunner().invoke(app, [*base, "--app-id", "app-1"], input="first\nsecond\n")
    assert two_lines.exit_code == 3 and "The secret key from standard input has a line feed" in two_lines.stderr
    assert "second" not in two_lines.stderr
    assert not Path(os.environ["XDG_CONFIG_HOME"], "exportctl", "config.yaml").exists()


def _write_profiles(text: str) -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "exportctl" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


PROFILES = (
    "default_profile: live\nprofiles:\n"
    "  live:\n    app_id: live-id\n    app_token: live-secret-0123456789abcd\n    region: us1\n"
    "  production:\n    app_id: prod-id\n    app_token: prod-secret-0123456789wxyz\n"
)


def test_auth_status_says_where_each_value_comes_from(cli: Cli) -> None:
    path = _write_profiles(PROFILES)
    env = {"VOUCHERIFY_APP_TOKEN": "env-secret-0123456789efgh"}
    result = cli("auth", "status", "--json", credentials=False, env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    in_use = report["in_use"]
    assert in_use["profile"] == {"value": "live", "source": f"default_profile in {path}"}
    assert in_use["app_id"] == {"value": "live-id", "source": f"profile 'live' in {path}"}
    assert in_use["app_token"] == {"value": "***efgh", "source": "VOUCHERIFY_APP_TOKEN"}
    assert in_use["api_url"]["value"] == "https://us1.api.voucherify.io"
    assert [(p["name"], p["default"], p["in_use"]) for p in report["profiles"]] == [
        ("live", True, True),
        ("production", False, False),
    ]
    for secret in ("live-secret", "prod-secret", "env-secret"):
        assert secret not in result.output
    flags = cli("--profile", "production", "--app-id", "flag-id", "auth", "status", credentials=False)
    assert flags.exit_code == 0, flags.output
    assert "profile         production  from --profile" in flags.stderr
    assert "application ID  flag-id  from --app-id" in flags.stderr
    assert f"secret key      ***wxyz  from profile 'production' in {path}" in flags.stderr


def test_auth_status_without_credentials_exits_3(cli: Cli) -> None:
    result = cli("auth", "status", "--json", credentials=False)
    assert result.exit_code == 3
    assert json.loads(result.stdout)["usable"] is False
    assert "No usable credentials" in result.stderr and "exportctl login" in result.stderr


def test_auth_logout_removes_one_profile_and_keeps_the_rest(cli: Cli) -> None:
    path = _write_profiles(PROFILES)
    result = cli("auth", "logout", "--profile", "production", credentials=False)
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load(path.read_text())
    assert saved["default_profile"] == "live" and set(saved["profiles"]) == {"live"}
    assert (path.stat().st_mode & 0o777) == 0o600
    assert {p.name for p in path.parent.iterdir()} == {"config.yaml", ".config.yaml.lock"}  # written under the lock
    default = cli("auth", "logout", credentials=False)  # no --profile: the default one
    assert default.exit_code == 0 and "Removed profile 'live'" in default.stderr
    assert yaml.safe_load(path.read_text()) == {"profiles": {}}


def test_auth_logout_of_a_missing_profile_suggests_the_name(cli: Cli) -> None:
    path = _write_profiles(PROFILES)
    before = path.read_bytes()
    result = cli("auth", "logout", "--profile", "prod", credentials=False)
    assert result.exit_code == 2
    assert "No profile 'prod'" in result.stderr and "Did you mean 'production'?" in result.stderr
    assert path.read_bytes() == before
    path.unlink()
    nothing = cli("auth", "logout", "--profile", "prod", credentials=False)
    assert nothing.exit_code == 2 and "There is no profile file" in nothing.stderr


def test_auth_logout_waits_for_the_profile_files_lock(tmp_path: Path) -> None:
    import fcntl

    config_home = tmp_path / "config"
    path = _profile_file(config_home)
    path.parent.mkdir(parents=True)
    path.write_text(PROFILES)
    before = path.read_bytes()
    with open(path.with_name(".config.yaml.lock"), "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # as a login in progress holds it
        run = subprocess.Popen(
            [sys.executable, "-m", "exportctl", "auth", "logout", "--profile", "production"],
            env=_terminal_env(config_home),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        finished: int | None = None
        with contextlib.suppress(subprocess.TimeoutExpired):
            finished = run.wait(timeout=3)
        assert finished is None, "logout did not wait for the lock"
        assert path.read_bytes() == before
    _, stderr = run.communicate(timeout=60)
    assert run.wait() == 0, stderr
    assert set(yaml.safe_load(path.read_text())["profiles"]) == {"live"}
