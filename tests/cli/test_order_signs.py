"""Order signs at every door: `field` (ascending), `-field` (descending) and `+field`.

The API documents only `field` and `-field` ("the dash - preceding a sorting option means sorting in a
descending order"; the OpenAPI enums of every exported object and of `GET /v1/exports` list no `+`), and the
sandbox answers 400 to `+created_at` as it does to any value outside the enum. So exportctl never sends a `+`:
`--order +created_at`, `order: +created_at` in a config or a run file, and `order="+created_at"` in Python are
refused before anything is sent (exit 2), naming the ascending spelling `created_at`, never the descending one.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import exportctl
from exportctl.schema import BY_COMMAND
from tests.cli.conftest import Cli

FIELDS = "code,created_at"
CREATED = BY_COMMAND["voucher"].title_of("created_at")


def _created(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row[CREATED] for row in csv.DictReader(handle)]


@pytest.mark.parametrize(("order", "descending"), [("created_at", False), ("-created_at", True)])
def test_an_unsigned_order_sorts_ascending_and_a_dash_descending(
    cli: Cli, isolated: Path, order: str, descending: bool
) -> None:
    result = cli("voucher", "--fields", FIELDS, f"--order={order}", "-o", "v.csv", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["exit_code"] == 0
    created = _created(isolated / "v.csv")
    assert len(set(created)) > 10
    assert created == sorted(created, reverse=descending)


def test_a_plus_sign_is_refused_offline_naming_the_ascending_order(cli: Cli, isolated: Path) -> None:
    before = cli.export_count()
    result = cli("voucher", "--fields", FIELDS, "--order=+created_at", "-o", "v.csv")
    assert result.exit_code == 2
    assert "unknown order '+created_at'" in result.stderr
    assert "Did you mean 'created_at'?" in result.stderr
    assert "Traceback" not in result.output
    assert cli.export_count() == before
    assert not (isolated / "v.csv").exists()


def test_a_plus_sign_in_a_config_file_is_refused_at_its_line(cli: Cli, isolated: Path) -> None:
    (isolated / "c.yaml").write_text("parameters:\n  order: +code\n")
    result = cli("voucher", "--config", "c.yaml", "--dry-run", credentials=False)
    assert result.exit_code == 2
    assert "c.yaml:2: parameters.order: unknown order '+code'" in result.stderr
    assert "Did you mean 'code'?" in result.stderr


def test_a_plus_sign_in_a_run_file_is_refused_and_nothing_runs(cli: Cli, isolated: Path) -> None:
    (isolated / "r.yaml").write_text(
        "exports:\n"
        "  - {name: up, object: voucher, parameters: {order: created_at}}\n"
        "  - {name: plus, object: voucher, parameters: {order: +updated_at}}\n"
    )
    before = cli.export_count()
    result = cli("run", "r.yaml")
    assert result.exit_code == 2
    assert "plus: parameters.order: unknown order '+updated_at'" in result.stderr
    assert "Did you mean 'updated_at'?" in result.stderr
    assert "nothing was run" in result.stderr
    assert cli.export_count() == before


def test_the_library_refuses_a_plus_sign_and_sends_an_unsigned_order_as_is(tmp_path: Path) -> None:
    with pytest.raises(exportctl.ValidationError) as caught:
        exportctl.plan("voucher", order="+created_at", output=tmp_path / "v.csv")
    assert caught.value.exit_code == exportctl.ExitCode.USAGE
    assert "Did you mean 'created_at'?" in caught.value.message
    for order in ("created_at", "-created_at"):
        ((_, body),) = exportctl.plan("voucher", order=order, output=tmp_path / "v.csv").requests
        assert body["parameters"]["order"] == order


@pytest.mark.parametrize(("order", "descending"), [("created_at", False), ("-created_at", True)])
def test_list_sorts_by_the_sign(cli: Cli, order: str, descending: bool) -> None:
    for _ in range(2):
        assert cli("voucher", "--fields", "code", "-o", "-", "--no-wait").exit_code == 0
    listed = json.loads(cli("list", "--limit", "100", f"--order={order}", "--json").stdout)
    created = [export["created_at"] for export in listed["exports"]]
    assert len(created) >= 2
    assert created == sorted(created, reverse=descending)


def test_list_refuses_a_plus_sign_offline(cli: Cli) -> None:
    result = cli("list", "--order=+created_at", "--json", credentials=False)
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert "Unknown order '+created_at'. Did you mean 'created_at'?" in document["error"]
