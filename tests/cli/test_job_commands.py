"""list, status, wait, download and delete, end to end."""

from __future__ import annotations

import json
from pathlib import Path

from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli


def _submit(cli: Cli, *args: str) -> str:
    result = cli("voucher", "--no-wait", *args)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_wait_then_download_then_delete(cli: Cli, isolated: Path) -> None:
    export_id = _submit(cli, "--fields", "code,value")
    waited = cli("wait", export_id, "--json")
    assert waited.exit_code == 0, waited.output
    assert json.loads(waited.stdout)["status"] == "DONE"

    downloaded = cli("download", export_id, "--json")
    assert downloaded.exit_code == 0, downloaded.output
    summary = json.loads(downloaded.stdout)
    target = isolated / f"voucher-{export_id}.csv"
    assert Path(summary["output"]).resolve() == target.resolve()
    assert target.read_text().splitlines()[0] == "Code,Value"

    again = cli("download", export_id)
    assert again.exit_code == 2 and "already exists" in again.stderr

    deleted = cli("delete", export_id)
    assert deleted.exit_code == 0 and f"Deleted {export_id}" in deleted.stderr
    gone = cli("status", export_id)
    assert gone.exit_code == 4 and "not_found" in gone.stderr


def test_download_to_stdout(cli: Cli) -> None:
    export_id = _submit(cli, "--fields", "code")
    cli("wait", export_id)
    result = cli("download", export_id, "-o", "-")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "Code"


def test_download_of_an_unfinished_export_says_how_to_wait(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.faults.hold_in_progress(30)
    export_id = _submit(cli)
    result = cli("download", export_id)
    assert result.exit_code == 2
    assert f"exportctl wait {export_id}" in result.stderr


def test_status_shows_the_parameters_and_masks_the_download_token(cli: Cli) -> None:
    export_id = _submit(cli, "--fields", "code", "--filter", "type=GIFT_VOUCHER")
    cli("wait", export_id)
    result = cli("status", export_id)
    assert result.exit_code == 0
    assert export_id in result.stdout and "DONE" in result.stdout
    assert "GIFT_VOUCHER" in result.stdout
    assert "token=***" in result.stdout
    raw = json.loads(cli("status", export_id, "--json").stdout)
    assert raw["status"] == "DONE" and raw["export_id"] == export_id
    assert raw["export"]["result"]["url"].startswith("http") and "token=" in raw["export"]["result"]["url"]


def test_list_as_table_and_json(cli: Cli) -> None:
    export_id = _submit(cli)
    table = cli("list", "--limit", "100")
    assert table.exit_code == 0
    assert export_id in table.stdout
    listed = json.loads(cli("list", "--limit", "5", "--order", "-created_at", "--json").stdout)
    assert listed["object"] == "list" and len(listed["exports"]) <= 5 and listed["rows"] == len(listed["exports"])
    assert listed["exports"][0]["id"] == export_id


def test_list_rejects_an_unknown_order_offline(cli: Cli) -> None:
    result = cli("list", "--order", "-craeted_at", credentials=False)
    assert result.exit_code == 2 and "-created_at" in result.stderr


def test_wait_on_an_export_that_fails(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.faults.fail_next_job()
    export_id = _submit(cli)
    result = cli("wait", export_id)
    assert result.exit_code == 5
    assert export_id in result.stderr
