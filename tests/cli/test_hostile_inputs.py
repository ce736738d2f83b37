"""Hostile files and arguments, refused offline with one clear message: alias bombs, NUL bytes, bad UTF-8,
secrets YAML reads as numbers, and credentials in URLs."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli

# 9 levels of 9 aliases: about 300 bytes that stand for 9^9 (387 million) values.
ALIAS_BOMB = "exported_object: voucher\n" + "".join(
    f"l{level}: &l{level} [{', '.join([f'*l{level - 1}' if level else 'x'] * 9)}]\n" for level in range(9)
)


def _one_gigabyte() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_validate_refuses_an_alias_bomb_quickly(isolated: Path) -> None:
    (isolated / "bomb.yaml").write_text(ALIAS_BOMB)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "exportctl", "validate", "bomb.yaml"],
        cwd=isolated,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_one_gigabyte,
        check=False,
    )
    assert time.monotonic() - started < 20
    assert result.returncode == 2, result.stderr
    assert "aliases expand to more than 100,000 values" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    # Aliases of honest size still work.
    (isolated / "v.yaml").write_text(
        "exported_object: voucher\nparameters:\n  fields: &f [code, value]\noutput: &o v.csv\n"
    )
    honest = subprocess.run(
        [sys.executable, "-m", "exportctl", "validate", "v.yaml"], cwd=isolated, capture_output=True, timeout=60
    )
    assert honest.returncode == 0, honest.stderr


@pytest.mark.parametrize("key", ['output: "a\\0b.csv"', 'incremental: "state\\0.json"'])
def test_nul_byte_in_a_path_is_refused_by_validate_and_the_export(key: str, cli: Cli, isolated: Path) -> None:
    (isolated / "v.yaml").write_text(f"exported_object: voucher\n{key}\n")
    checked = cli("validate", "v.yaml", credentials=False)
    assert checked.exit_code == 2, checked.output
    assert "cannot contain a NUL byte" in checked.output
    before = cli.export_count()
    result = cli("voucher", "--config", "v.yaml")
    assert result.exit_code == 2, result.stderr
    assert "cannot contain a NUL byte" in result.stderr
    assert cli.export_count() == before


def test_invalid_utf8_in_a_filter_is_refused_offline(cli: Cli, isolated: Path) -> None:
    before = cli.export_count()
    result = subprocess.run(
        [sys.executable, "-m", "exportctl", *cli.credentials(), "voucher", "--filter", b"code=\xff", "-o", "v.csv"],
        cwd=isolated,
        capture_output=True,
        timeout=60,
        check=False,
    )
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, stderr
    assert "is not valid UTF-8" in stderr
    assert "Traceback" not in stderr
    assert cli.export_count() == before


def test_a_secret_yaml_reads_as_a_number_is_refused(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    config = isolated.parent / "config" / "exportctl" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(f"profiles:\n  default:\n    app_id: x\n    app_token: 0777\n    api_url: {sandbox.base_url}\n")
    config.chmod(0o600)
    result = cli("list", credentials=False)
    assert result.exit_code == 2, result.output
    assert "'app_token' must be a string" in result.stderr
    assert "511" in result.stderr and "quotes" in result.stderr


def test_user_and_password_in_the_api_url_are_masked(cli: Cli, sandbox: Sandbox) -> None:
    url = sandbox.base_url.replace("http://", "http://bob:hunter2pass@")
    argv = ["--api-url", url, "--app-id", sandbox.app_id, "--app-token", sandbox.secret_key, "-v"]
    result = cli(*argv, "voucher", "-o", "v.csv", credentials=False)
    assert result.exit_code == 0, result.stderr
    assert "hunter2pass" not in result.stdout + result.stderr
    assert "http://***@127.0.0.1" in result.stderr
