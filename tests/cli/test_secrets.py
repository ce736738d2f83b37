"""No command leaks the secret key or a download token: every command runs with --verbose against the sandbox,
also through retries, a dropped download and a refused token, and its stdout, stderr and log records are
searched for both.

By design `status --json`, `wait --json` and `list --json` print export objects as the API returned them,
`result.url` with its token included (see docs/reliability.md#secrets); for them only the secret key is checked.
Only `voucher` runs a whole export; the other export commands run with --no-wait (submit only), which keeps
this test to seconds while every command is still covered.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import requests
import typer
from typer.testing import CliRunner

from exportctl.cli.app import app
from exportctl.sandbox import Sandbox
from exportctl.schema import EXPORT_OBJECTS
from tests.cli.conftest import Cli
from tests.cli.test_fault_matrix import done_export

# `sandbox` is not run: it serves until stopped, and printing the key it accepts (its own) is its job.
PRINTS_THE_EXPORT_OBJECT = {"status", "wait", "list"}  # with --json, the API's objects verbatim


def command_names() -> set[str]:
    group = typer.main.get_command(app)
    return set(group.commands)  # type: ignore[attr-defined]


def recipes(export_id: str, work: Path) -> dict[str, list[list[str]]]:
    """For every command, the argument lists that exercise it (with and without --json)."""
    config = work / "exports.yaml"
    config.write_text(
        "exports:\n  - name: v\n    object: voucher\n    output: run-v.csv\n"
        "  - name: o\n    object: order\n    output: run-o.csv\n",
        encoding="utf-8",
    )
    single = work / "one.yaml"
    single.write_text("exported_object: voucher\nparameters:\n  fields: [code]\n", encoding="utf-8")
    found: dict[str, list[list[str]]] = {obj.command: [[obj.command, "--no-wait"]] for obj in EXPORT_OBJECTS}
    found["voucher"] = [["voucher", "-o", "v.csv"], ["voucher", "--json", "-o", "v2.csv"], ["voucher", "-o", "-"]]
    found.update(
        {
            "list": [["list"], ["list", "--json"]],
            "status": [["status", export_id], ["status", export_id, "--json"]],
            "wait": [["wait", export_id], ["wait", export_id, "--json"]],
            "download": [["download", export_id, "-o", "d.csv"], ["download", export_id, "-o", "d2.csv", "--json"]],
            "delete": [["delete", export_id, "--yes"]],
            "run": [["run", str(config)]],  # two exports, in one process
            "validate": [["validate", str(config), str(single)]],
            "schema": [["schema", "voucher"], ["schema", "--json"]],
            "completion": [["completion", "bash"]],
        }
    )
    return found


def tokens(sandbox: Sandbox) -> set[str]:
    """Every download token the sandbox has handed out so far."""
    answer = requests.get(
        f"{sandbox.base_url}/v1/exports", params={"limit": 100}, headers=sandbox.headers, timeout=10
    ).json()
    found = set()
    for export in answer["exports"]:
        url = (export.get("result") or {}).get("url") or ""
        if "token=" in url:
            found.add(url.split("token=", 1)[1])
    return found


def test_every_command_has_a_recipe(isolated: Path) -> None:
    """A new command must be added here, so that it is searched for leaks too."""
    known = set(recipes("exp_x", isolated)) | {"sandbox"}
    assert command_names() <= known, f"add to recipes(): {sorted(command_names() - known)}"


# With trouble, only the commands that fetch an export or its file run: retries and error messages show URLs.
TROUBLED = {"voucher", "status", "wait", "download", "list"}


@pytest.mark.parametrize("trouble", ["none", "retries", "dropped-download", "refused-token"])
def test_no_command_shows_the_secret_key_or_a_download_token(
    trouble: str, cli: Cli, sandbox: Sandbox, isolated: Path, caplog: pytest.LogCaptureFixture, quick_backoff: None
) -> None:
    caplog.set_level(logging.DEBUG)
    export_id = done_export(sandbox)
    outputs: list[tuple[str, str]] = []
    for name, argv_list in sorted(recipes(export_id, isolated).items()):
        if trouble != "none" and name not in TROUBLED:
            continue
        for argv in argv_list:
            if trouble == "retries":
                sandbox.faults.fail_next(1, status=503)
            elif trouble == "dropped-download":
                sandbox.faults.drop_download_after(100)
            elif trouble == "refused-token":
                sandbox.faults.refuse_download_token()
            result = cli("--verbose", *argv)
            sandbox.faults.reset()
            assert "Traceback" not in result.stderr, (argv, result.stderr)
            outputs.append((" ".join(argv), result.stdout + "\n" + result.stderr))
        if name == "delete":
            export_id = done_export(sandbox)  # the next commands need an export that exists
    secret = sandbox.secret_key
    handed_out = tokens(sandbox)
    assert handed_out, "the commands should have produced download URLs"
    # urllib3 logs request lines at DEBUG (off unless a program configures logging); exportctl's own are checked.
    own_records = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("urllib3"))
    all_records = "\n".join(r.getMessage() for r in caplog.records)
    assert secret not in all_records
    for token in handed_out:
        assert token not in own_records
    for shown_argv, text in outputs:
        assert secret not in text, f"secret key shown by: exportctl --verbose {shown_argv}"
        if shown_argv.split()[0] in PRINTS_THE_EXPORT_OBJECT and "--json" in shown_argv:
            continue
        for token in handed_out:
            assert token not in text, f"download token shown by: exportctl --verbose {shown_argv}"
    shown_urls = [text for _, text in outputs if "token=" in text]
    assert any("token=***" in text for text in shown_urls), "a URL with its token masked should have been shown"


# --- ids and keys that cannot be sent in a header: refused offline, by name and source, never echoed ---------

CORE = "s3cr3tVALUE"
# (the value, what the message says about it)
BAD_VALUES = [
    (f"{CORE}é", "has a non-ASCII character at its end"),
    (f"{CORE}\r\n", "has a carriage return (\\r) at character 12"),
    (f" {CORE}", "has a space at its start"),
    (f"{CORE}\x1bx", "has a control character (U+001B) at character 12"),
]


def _closed_url() -> str:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize(("value", "problem"), BAD_VALUES, ids=["non-ascii", "crlf", "leading-space", "escape"])
@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("--app-id", "application ID"),
        ("--app-token", "secret key"),
        ("VOUCHERIFY_APP_ID", "application ID"),
        ("VOUCHERIFY_APP_TOKEN", "secret key"),
        ("VOUCHERIFY_SECRET_KEY", "secret key"),
        ("profile", "secret key"),
    ],
)
def test_an_id_or_key_that_cannot_be_sent_is_refused_offline_by_name(
    source: str, what: str, value: str, problem: str, isolated: Path
) -> None:
    good = {"--app-id": "app-1", "--app-token": "token-1"}
    env = {"VOUCHERIFY_API_BASE_URL": _closed_url()}  # nothing listens: a request would be exit 7
    argv: list[str] = []
    shown = source
    if source.startswith("--"):
        good[source] = value
    elif source == "profile":
        path = isolated.parent / "config" / "exportctl" / "config.yaml"
        path.parent.mkdir(parents=True)
        path.write_text(
            f"profiles:\n  live:\n    app_id: app-1\n    app_token: {json.dumps(value)}\n", encoding="utf-8"
        )
        argv, good, shown = ["--profile", "live"], {}, f"{path}: profile 'live'"
    else:
        env[source] = value
        good.pop("--app-id" if source == "VOUCHERIFY_APP_ID" else "--app-token")
    for flag, flag_value in good.items():
        argv += [flag, flag_value]
    for command in (["list"], ["login"]) if source.startswith("--") else (["list"],):
        result = CliRunner().invoke(app, [*argv, *command], env=env, catch_exceptions=False)
        assert result.exit_code == 3, result.output
        assert f"error: The {what} from {shown} {problem}; nothing was sent." in result.output
        assert CORE not in result.output and "Traceback" not in result.output


def test_settings_built_by_hand_refuse_such_a_key_too() -> None:
    from exportctl.errors import AuthError
    from exportctl.settings import Settings

    with pytest.raises(AuthError) as raised:
        Settings("https://api.voucherify.io", "app-1", f"{CORE}\n")
    assert raised.value.exit_code == 3
    assert raised.value.message == "The secret key from Settings(app_token=...) has a line feed (\\n) at its end; " + (
        "nothing was sent."
    )
    with pytest.raises(AuthError, match=r"application ID from Settings\(app_id=\.\.\.\) has a non-ASCII"):
        Settings("https://api.voucherify.io", "äpp", "token-1")
