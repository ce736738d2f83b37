"""list, status, wait, download and delete, end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli
from tests.cli.hostile import Answer, Hostile, Request, export, hostile_server
from tests.cli.test_hostile_servers import run


def _submit(cli: Cli, *args: str, command: str = "voucher") -> str:
    result = cli(command, "--no-wait", *args)
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

    deleted = cli("delete", export_id, "--yes")
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


# Objects the server may report that exportctl has no command for: newer than this version (`gift_card_log`,
# `api_log_v2`) or hostile. Each is listed, shown, waited on, downloaded and deleted.
STRANGE_OBJECTS: dict[str, tuple[object, str]] = {
    "newer": ("gift_card_log", "gift-card-log"),
    "newer_with_digits": ("api_log_v2", "api-log-v2"),
    "climbing": ("x../../evil", "x-evil"),
    "dots": ("..", "export"),
    "controls": ("x\x1b]0;pwned\x07\x1b[31m[bold]\nforged", "x-0-pwned-31m-bold-forged"),
    "number": (42, "export"),
    "null": (None, "export"),
    "long": ("a" * 300, "a" * 40),
}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@pytest.mark.parametrize("case", list(STRANGE_OBJECTS))
def test_any_exported_object_the_server_reports_is_handled(case: str, isolated: Path) -> None:
    reported, stem = STRANGE_OBJECTS[case]
    csv = b"ID,Name\nprod_1,Mug\n"

    def script(request: Request, state: Hostile) -> Answer:
        one = export("exp_1", "DONE", exported_object=reported, created_at="2026-01-01T00:00:00Z", channel="WEBAPP")
        if request.path.startswith("/v1/exports?"):
            return Answer(200, {"object": "list", "data_ref": "exports", "exports": [one], "total": 1})
        if request.path.startswith("/dl"):
            return Answer(200, csv, {"Content-Type": "text/csv"})
        if request.method == "DELETE":
            return Answer(204, b"")
        return Answer(200, one | {"result": {"url": f"{state.base_url}/dl?token=tok"}})

    with hostile_server(script) as hostile:
        results = {
            command: run(hostile, *command.split())
            for command in ("list", "status exp_1", "wait exp_1", "download exp_1", "delete exp_1 --yes")
        }
    for command, result in results.items():
        assert result.exit_code == 0, f"{command}: {result.output}"
        assert not CONTROL.search(result.stdout + result.stderr), f"{command}: {result.output!r}"
        assert "Traceback" not in result.output
    if isinstance(reported, str) and reported.isprintable():
        assert reported[:40] in results["list"].stdout and reported[:40] in results["status exp_1"].stdout
    assert "has no command for this object" in results["status exp_1"].stdout
    assert [path.name for path in isolated.iterdir()] == [f"{stem}-exp_1.csv"]
    assert (isolated / f"{stem}-exp_1.csv").read_bytes() == csv
    assert not list(isolated.parent.glob("*.csv")), "nothing lands outside the working directory"


@pytest.mark.parametrize(("command", "fields"), [("voucher", "code"), ("api-log", "id"), ("product", "id")])
def test_a_known_object_keeps_its_command_name_in_the_file_name(
    cli: Cli, isolated: Path, command: str, fields: str
) -> None:
    export_id = _submit(cli, "--fields", fields, command=command)
    cli("wait", export_id)
    result = cli("status", export_id)
    assert "has no command for this object" not in result.stdout
    assert cli("download", export_id).exit_code == 0
    assert (isolated / f"{command}-{export_id}.csv").exists()
