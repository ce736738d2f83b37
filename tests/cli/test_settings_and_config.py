"""Credentials precedence (flags > environment > profile) and the YAML path, end to end."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli


def _profile_file(isolated: Path, sandbox: Sandbox, token: str) -> Path:
    config = isolated.parent / "config" / "exportctl" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(
        "default_profile: demo\n"
        "profiles:\n"
        f"  demo:\n    app_id: {sandbox.app_id}\n    app_token: {token}\n    api_url: {sandbox.base_url}\n"
        f"  broken:\n    app_id: {sandbox.app_id}\n    app_token: wrong\n    api_url: {sandbox.base_url}\n"
    )
    config.chmod(0o600)
    return config


def test_a_profile_alone_is_enough(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    _profile_file(isolated, sandbox, sandbox.secret_key)
    result = cli("voucher", "-o", "v.csv", credentials=False)
    assert result.exit_code == 0, result.output


def test_environment_beats_the_profile(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    _profile_file(isolated, sandbox, "wrong")
    result = cli("voucher", "-o", "v.csv", credentials=False, env={"VOUCHERIFY_APP_TOKEN": sandbox.secret_key})
    assert result.exit_code == 0, result.output


def test_flags_beat_the_environment(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    env = {"VOUCHERIFY_API_BASE_URL": sandbox.base_url, "VOUCHERIFY_APP_ID": sandbox.app_id}
    wrong = cli(
        "--app-token", "wrong", "voucher", credentials=False, env={**env, "VOUCHERIFY_APP_TOKEN": sandbox.secret_key}
    )
    assert wrong.exit_code == 3
    right = cli(
        "--app-token", sandbox.secret_key, "voucher", credentials=False, env={**env, "VOUCHERIFY_APP_TOKEN": "x"}
    )
    assert right.exit_code == 0, right.output


def test_secret_key_alias_and_profile_selection(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    _profile_file(isolated, sandbox, sandbox.secret_key)
    broken = cli("--profile", "broken", "voucher", "-o", "a.csv", credentials=False)
    assert broken.exit_code == 3
    chosen = cli("voucher", "-o", "b.csv", credentials=False, env={"EXPORTCTL_PROFILE": "demo"})
    assert chosen.exit_code == 0, chosen.output
    unknown = cli("--profile", "dmeo", "voucher", credentials=False)
    assert unknown.exit_code == 2 and "demo" in unknown.stderr


def test_a_world_readable_profile_with_a_secret_gets_a_warning(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    _profile_file(isolated, sandbox, sandbox.secret_key).chmod(0o644)
    result = cli("voucher", "-o", "v.csv", credentials=False)
    assert result.exit_code == 0
    assert "warning:" in result.stderr and "chmod 600" in result.stderr


def test_yaml_config_drives_the_export_and_flags_override_it(cli: Cli, isolated: Path) -> None:
    (isolated / "orders.yaml").write_text(
        "exported_object: order\n"
        "parameters:\n"
        "  fields: [id, status, amount]\n"
        "  order: -created_at\n"
        "  filters:\n"
        "    junction: and\n"
        "    status:\n"
        "      conditions:\n"
        "        $in: [PAID, FULFILLED]\n"
        "output: from-file.csv\n"
    )
    from_file = cli("order", "--config", "orders.yaml", "--json")
    assert from_file.exit_code == 0, from_file.output
    rows = list(csv.reader((isolated / "from-file.csv").open()))
    assert rows[0] == ["ID", "Status", "Amount"]
    assert {row[1] for row in rows[1:]} <= {"PAID", "FULFILLED"}

    overridden = cli("order", "-c", "orders.yaml", "--fields", "status", "--filter", "amount<1000", "-o", "-")
    assert overridden.exit_code == 0, overridden.output
    lines = list(csv.reader(io.StringIO(overridden.stdout)))
    assert lines[0] == ["Status"]
    assert {row[0] for row in lines[1:]} <= {"PAID", "FULFILLED"}


def test_yaml_filters_as_a_list_of_expressions(cli: Cli, isolated: Path) -> None:
    (isolated / "c.yaml").write_text(
        "parameters:\n  fields: id,email\n  filters:\n    - email~@\n    - created_at>2020-01-01\n"
    )
    result = cli("customer", "-c", "c.yaml", "--dry-run")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["parameters"]["filters"]["email"] == {"conditions": {"$contains": ["@"]}}
    assert body["parameters"]["filters"]["created_at"] == {"conditions": {"$after": ["2020-01-01T00:00:00.000Z"]}}


def test_a_bad_poll_interval_is_refused_before_any_request(cli: Cli, isolated: Path) -> None:
    before = cli.export_count()
    for argv in (["voucher", "-o", "v.csv"], ["wait", "exp_x"], ["--sandbox", "voucher", "-o", "v.csv"]):
        result = cli(*argv, credentials=argv[0] != "--sandbox", env={"EXPORTCTL_POLL_INTERVAL": "0.01"})
        assert result.exit_code == 2, (argv, result.output)
        assert "EXPORTCTL_POLL_INTERVAL must be a number of seconds from 0.05 to 60, not '0.01'." in result.stderr
        assert result.stderr.count("EXPORTCTL_POLL_INTERVAL must") == 1 and "Traceback" not in result.stderr
        assert "embedded sandbox" not in result.stderr  # refused before --sandbox starts one
    assert cli.export_count() == before and list(isolated.iterdir()) == []
