"""Settings: flags > environment > profile file, and the messages when something is missing or wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from exportctl.errors import AuthError, ConfigError, UsageError, ValidationError
from exportctl.settings import (
    REGIONS,
    Settings,
    default_config_path,
    profile_names,
    resolve_settings,
)

ENV_NAMES = (
    "VOUCHERIFY_APP_ID",
    "VOUCHERIFY_APP_TOKEN",
    "VOUCHERIFY_SECRET_KEY",
    "VOUCHERIFY_API_BASE_URL",
    "EXPORTCTL_PROFILE",
    "EXPORTCTL_POLL_INTERVAL",  # the suite sets it (tests/conftest.py); here the defaults are under test
)

PROFILES = """\
default_profile: live
profiles:
  live:
    app_id: live-id
    app_token: live-secret
    region: us1
  staging:
    app_id: staging-id
    app_token: staging-secret
    api_url: https://staging.example.com/
"""


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No real credentials or profile file of the machine running the tests can leak in."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    config_home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return config_home


def write_config(config_home: Path, text: str = PROFILES, mode: int = 0o600) -> Path:
    path = config_home / "exportctl" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_config_path_follows_xdg_config_home(isolated: Path) -> None:
    assert default_config_path() == isolated / "exportctl" / "config.yaml"
    assert default_config_path({}) == Path.home() / ".config" / "exportctl" / "config.yaml"
    # A relative XDG_CONFIG_HOME is invalid per the spec and ignored.
    assert default_config_path({"XDG_CONFIG_HOME": "rel"}) == Path.home() / ".config" / "exportctl" / "config.yaml"


def test_flags_alone(isolated: Path) -> None:
    settings = resolve_settings(app_id="flag-id", app_token="flag-secret")
    assert settings == Settings(
        base_url="https://api.voucherify.io",
        app_id="flag-id",
        app_token="flag-secret",
        profile=None,
        source="--app-id, --app-token",
    )


def test_flags_beat_environment_which_beats_profile(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(isolated)
    monkeypatch.setenv("VOUCHERIFY_APP_ID", "env-id")
    monkeypatch.setenv("VOUCHERIFY_APP_TOKEN", "env-secret")
    monkeypatch.setenv("VOUCHERIFY_API_BASE_URL", "https://env.example.com")

    from_env = resolve_settings()
    assert (from_env.app_id, from_env.app_token, from_env.base_url) == (
        "env-id",
        "env-secret",
        "https://env.example.com",
    )
    assert from_env.profile is None  # complete credentials from the environment: the file is not consulted

    from_flags = resolve_settings(app_id="flag-id", app_token="flag-secret", region="as1")
    assert (from_flags.app_id, from_flags.app_token, from_flags.base_url) == (
        "flag-id",
        "flag-secret",
        REGIONS["as1"][0],
    )


def test_default_profile_fills_what_flags_and_environment_leave_out(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(isolated)
    settings = resolve_settings()
    assert (settings.app_id, settings.app_token, settings.base_url, settings.profile) == (
        "live-id",
        "live-secret",
        "https://us1.api.voucherify.io",
        "live",
    )
    monkeypatch.setenv("VOUCHERIFY_APP_ID", "env-id")
    mixed = resolve_settings()
    assert (mixed.app_id, mixed.app_token) == ("env-id", "live-secret")
    assert mixed.source == "VOUCHERIFY_APP_ID, profile 'live'"


def test_named_profile_from_flag_and_environment(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(isolated)
    monkeypatch.setenv("EXPORTCTL_PROFILE", "staging")
    from_env = resolve_settings()
    assert (from_env.profile, from_env.app_id, from_env.base_url) == (
        "staging",
        "staging-id",
        "https://staging.example.com",
    )
    from_flag = resolve_settings(profile="live")
    assert from_flag.profile == "live"
    # A flag still overrides one value of the named profile.
    overridden = resolve_settings(profile="staging", api_url="https://flag.example.com")
    assert (overridden.app_id, overridden.base_url) == ("staging-id", "https://flag.example.com")


def test_secret_key_alias(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOUCHERIFY_APP_ID", "env-id")
    monkeypatch.setenv("VOUCHERIFY_SECRET_KEY", "alias-secret")
    assert resolve_settings().app_token == "alias-secret"
    monkeypatch.setenv("VOUCHERIFY_APP_TOKEN", "main-secret")
    assert resolve_settings().app_token == "main-secret"


def test_explicit_environ_mapping_replaces_os_environ(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOUCHERIFY_APP_ID", "ignored")
    settings = resolve_settings(
        environ={"VOUCHERIFY_APP_ID": "given", "VOUCHERIFY_APP_TOKEN": "t0ken"},
        config_path=isolated / "nothing.yaml",
    )
    assert settings.app_id == "given"


def test_missing_credentials_name_the_three_ways(isolated: Path) -> None:
    with pytest.raises(AuthError) as caught:
        resolve_settings()
    message = str(caught.value)
    assert "--app-id" in message and "--app-token" in message
    assert "VOUCHERIFY_APP_ID" in message and "VOUCHERIFY_APP_TOKEN" in message
    assert str(isolated / "exportctl" / "config.yaml") in message
    assert "application ID and secret key" in message


def test_missing_secret_only(isolated: Path) -> None:
    with pytest.raises(AuthError, match="No Voucherify secret key given"):
        resolve_settings(app_id="x-id")


def test_empty_environment_variable_counts_as_unset(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOUCHERIFY_APP_ID", "")
    monkeypatch.setenv("VOUCHERIFY_APP_TOKEN", "secret")
    with pytest.raises(AuthError, match="application ID"):
        resolve_settings()


@pytest.mark.skipif(os.name != "posix", reason="mode bits are POSIX")
def test_profile_file_readable_by_others_warns(isolated: Path) -> None:
    path = write_config(isolated, mode=0o644)
    warnings: list[str] = []
    resolve_settings(warn=warnings.append)
    assert len(warnings) == 1
    assert str(path) in warnings[0] and "chmod 600" in warnings[0]
    assert "live-secret" not in warnings[0]

    path.chmod(0o600)
    warnings.clear()
    resolve_settings(warn=warnings.append)
    assert warnings == []


@pytest.mark.skipif(os.name != "posix", reason="mode bits are POSIX")
def test_profile_file_without_secret_does_not_warn(isolated: Path) -> None:
    write_config(isolated, "profiles:\n  p:\n    app_id: only-id\n", mode=0o644)
    warnings: list[str] = []
    resolve_settings(app_token="flag-secret", profile="p", warn=warnings.append)
    assert warnings == []


def test_unknown_region_suggests(isolated: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        resolve_settings(app_id="i", app_token="tttt", region="us")
    assert isinstance(caught.value, UsageError)
    assert "Unknown region 'us'" in str(caught.value)
    assert "Did you mean 'us1'?" in str(caught.value)
    assert "eu, us1, as1" in str(caught.value)


def test_region_and_api_url_together_is_a_usage_error(isolated: Path) -> None:
    with pytest.raises(UsageError, match="either --region or --api-url"):
        resolve_settings(app_id="i", app_token="tttt", region="eu", api_url="https://x.example.com")


def test_invalid_api_url(isolated: Path) -> None:
    with pytest.raises(UsageError, match="absolute URL"):
        resolve_settings(app_id="i", app_token="tttt", api_url="api.voucherify.io")


def test_unknown_profile_lists_profiles(isolated: Path) -> None:
    write_config(isolated)
    with pytest.raises(UsageError) as caught:
        resolve_settings(profile="stagin")
    message = str(caught.value)
    assert "Unknown profile 'stagin'" in message
    assert "Did you mean 'staging'?" in message
    assert "live, staging" in message


def test_named_profile_without_file(isolated: Path) -> None:
    with pytest.raises(UsageError, match="no profile file"):
        resolve_settings(profile="live")


def test_broken_profile_file_is_ignored_when_flags_suffice(isolated: Path) -> None:
    write_config(isolated, "profiles: [unclosed\n")
    assert resolve_settings(app_id="i", app_token="tttt").app_id == "i"


def test_yaml_syntax_error_names_file_line_and_column(isolated: Path) -> None:
    path = write_config(isolated, "profiles:\n  live:\n    app_id: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        resolve_settings()
    assert caught.value.path == str(path)
    assert caught.value.line is not None and caught.value.line >= 3
    assert str(caught.value).startswith(f"{path}:")


def test_unknown_profile_key_is_an_error(isolated: Path) -> None:
    write_config(isolated, "profiles:\n  live:\n    app_id: a\n    secret_key: b\n")
    with pytest.raises(ConfigError, match="unknown key 'secret_key'"):
        resolve_settings()


def test_default_profile_must_exist(isolated: Path) -> None:
    write_config(isolated, "default_profile: prod\nprofiles:\n  live:\n    app_id: a\n")
    with pytest.raises(ConfigError, match="default_profile 'prod'"):
        resolve_settings()


def test_settings_repr_hides_the_secret(isolated: Path) -> None:
    settings = resolve_settings(app_id="flag-id", app_token="very-secret-value")
    assert "very-secret-value" not in repr(settings)


def test_profile_names(isolated: Path) -> None:
    assert profile_names() == []
    path = write_config(isolated)
    assert profile_names() == ["live", "staging"]
    assert profile_names(path) == ["live", "staging"]


def test_profile_names_flow_style_and_comments(isolated: Path) -> None:
    path = isolated / "flow.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("profiles: {b: {app_id: x}, a: {app_id: y}}\n")
    assert profile_names(path) == ["a", "b"]
    path.write_text("# mine\nprofiles:\n  # the live one\n  'live': {app_id: x}\n\n  dev:\n    app_id: y\n")
    assert profile_names(path) == ["dev", "live"]
    path.write_text("profiles: [oops\n")
    assert profile_names(path) == []


# EXPORTCTL_POLL_INTERVAL ------------------------------------------------------------------------------


def test_the_poll_interval_defaults_to_one_second_and_follows_the_environment(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOUCHERIFY_APP_ID", "env-id")
    monkeypatch.setenv("VOUCHERIFY_APP_TOKEN", "env-secret")
    assert resolve_settings(app_id="a", app_token="b").poll_interval == 1.0
    assert Settings.from_environment().poll_interval == 1.0
    assert Settings("https://x.example", "a", "b").poll_interval == 1.0
    for raw, seconds in (("0.25", 0.25), (" 2 ", 2.0), ("0.05", 0.05), ("60", 60.0), ("", 1.0)):
        monkeypatch.setenv("EXPORTCTL_POLL_INTERVAL", raw)
        assert resolve_settings(app_id="a", app_token="b").poll_interval == seconds, raw
        assert Settings.from_environment().poll_interval == seconds, raw  # the library's default settings
    assert resolve_settings(app_id="a", app_token="b", environ={"EXPORTCTL_POLL_INTERVAL": "3"}).poll_interval == 3.0


@pytest.mark.parametrize("raw", ["abc", "1s", "0", "0.04", "-1", "61", "nan", "inf", "1e400", "0x1"])
def test_a_poll_interval_outside_the_range_is_a_usage_error_naming_it(
    raw: str, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPORTCTL_POLL_INTERVAL", raw)
    with pytest.raises(UsageError) as caught:
        resolve_settings(app_id="a", app_token="b")
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(
        f"EXPORTCTL_POLL_INTERVAL must be a number of seconds from 0.05 to 60, not {raw!r}."
    )
    assert caught.value.hint is not None and "EXPORTCTL_POLL_INTERVAL=0.5" in caught.value.hint


@pytest.mark.parametrize("value", [0, 0.01, 61, float("nan"), True, "1"])
def test_settings_refuse_a_poll_interval_outside_the_range(value: object) -> None:
    with pytest.raises(UsageError, match=r"poll_interval must be a number of seconds from 0\.05 to 60"):
        Settings("https://x.example", "a", "b", poll_interval=value)  # type: ignore[arg-type]


# --- profile files of hostile shape: one clear ConfigError (exit 2) naming the file, never a hang or a crash ---


def test_a_profile_file_nested_100k_deep_is_refused_by_name(isolated: Path) -> None:
    path = write_config(isolated, "profiles: " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ConfigError) as raised:
        resolve_settings()
    assert raised.value.exit_code == 2
    assert raised.value.message.startswith(f"{path}:1: ") and "nested more than 32 deep" in raised.value.message


def test_a_profile_file_nested_deep_in_block_style_is_refused_too(isolated: Path) -> None:
    write_config(isolated, "profiles:\n  live:\n    " + "- " * 200_000 + "x\n")
    with pytest.raises(ConfigError, match="nested more than 32 deep"):
        resolve_settings()


def test_a_profile_file_over_a_megabyte_is_refused_before_parsing(isolated: Path) -> None:
    padding = "# " + "x" * 1000 + "\n"
    path = write_config(isolated, PROFILES + padding * 1100)
    with pytest.raises(ConfigError) as raised:
        resolve_settings()
    assert raised.value.message == f"{path}: the profile file is larger than 1024 KiB; a profile file holds a few " + (
        "lines per profile"
    )
    assert profile_names(path) == []  # TAB completion: nothing, quietly


def test_a_profile_file_that_is_a_device_is_refused_by_name(isolated: Path) -> None:
    path = isolated / "exportctl" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.symlink_to(os.devnull)
    with pytest.raises(ConfigError) as raised:
        resolve_settings()
    assert raised.value.exit_code == 2
    assert str(path) in raised.value.message and "found a character device" in raised.value.message


def test_a_profile_file_linked_to_nothing_says_so(isolated: Path) -> None:
    path = isolated / "exportctl" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.symlink_to(isolated / "dotfiles" / "exportctl.yaml")
    with pytest.raises(ConfigError, match=r"a symbolic link to .*dotfiles/exportctl\.yaml, which does not exist"):
        resolve_settings()
    # Credentials given explicitly never read the file.
    assert resolve_settings(app_id="a", app_token="token").app_id == "a"


def test_yaml_aliases_that_refer_to_themselves_are_refused(isolated: Path) -> None:
    write_config(isolated, "default_profile: live\nprofiles: &p\n  live: *p\n")
    with pytest.raises(ConfigError, match="aliases expand"):
        resolve_settings()


def _run_exportctl(args: list[str], config_home: Path) -> subprocess.CompletedProcess[str]:
    names = ("PATH", "HOME", "PYTHONPATH", "EXPORTCTL_TEST_CLOCK_OFFSET")
    env = {name: os.environ[name] for name in names if name in os.environ}
    env |= {"XDG_CONFIG_HOME": str(config_home), "COLUMNS": "200"}
    # A FIFO used to hang every command: the timeout turns that into a failure of this test, not a hang.
    return subprocess.run(
        [sys.executable, "-m", "exportctl", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_profile_file_that_is_a_fifo_hangs_nothing(isolated: Path) -> None:
    path = isolated / "exportctl" / "config.yaml"
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    listed = _run_exportctl(["list"], isolated)
    assert listed.returncode == 2, listed.stderr
    assert f"{path}: expected a YAML file, found a FIFO (named pipe)" in listed.stderr
    assert "Traceback" not in listed.stderr
    doctor = _run_exportctl(["doctor"], isolated)
    assert doctor.returncode == 1
    assert "is a FIFO (named pipe), not a regular file" in doctor.stderr
    named = _run_exportctl(["--profile", "x", "list"], isolated)
    assert named.returncode == 2 and "FIFO" in named.stderr
    names = subprocess.run(  # what TAB completion asks for the profile names: none, at once
        [sys.executable, "-c", "from exportctl.settings import profile_names; print(profile_names())"],
        env={**os.environ, "XDG_CONFIG_HOME": str(isolated)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert names.stdout == "[]\n"


def test_an_abbreviated_profile_suggests_the_one_it_begins(isolated: Path) -> None:
    write_config(isolated, PROFILES.replace("live", "production"))
    with pytest.raises(UsageError) as caught:
        resolve_settings(profile="prod")
    assert "Did you mean 'production'?" in str(caught.value)
