"""`exportctl voucher --campaign ID` sends `parameters.campaign_id` (issue 20): one record of the option table.

The record alone gives it to every door: the flag, a YAML file's `parameters.campaign_id`, a run file's entries
and the library's `campaign_id` keyword. The sandbox narrows the export to the campaign's vouchers, as the API does.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import exportctl
from exportctl.request.configfile import load_config
from exportctl.request.runfile import read_multi
from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli


def _campaigns(sandbox: Sandbox) -> list[str]:
    rows = sandbox.store.rows("SELECT campaign_id, COUNT(*) FROM vouchers WHERE campaign_id IS NOT NULL GROUP BY 1")
    return [str(row[0]) for row in sorted(rows, key=lambda row: -int(row[1]))]


def test_voucher_campaign_exports_only_that_campaigns_vouchers(cli: Cli, sandbox: Sandbox) -> None:
    campaign, other = _campaigns(sandbox)[:2]
    expected = {str(r[0]) for r in sandbox.store.rows("SELECT code FROM vouchers WHERE campaign_id = ?", (campaign,))}
    result = cli("voucher", "--campaign", campaign, "--fields", "code,campaign_id", "--headers", "fields", "-o", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {row["campaign_id"] for row in rows} == {campaign}
    assert {row["code"] for row in rows} == expected
    assert other not in result.stdout


def test_voucher_campaign_is_sent_with_the_date_window(cli: Cli) -> None:
    result = cli("voucher", "--campaign", "camp_1", "--since", "2026-01-01", "--dry-run")
    assert result.exit_code == 0, result.output
    parameters = json.loads(result.stdout)["parameters"]
    assert parameters["campaign_id"] == "camp_1"
    assert "created_at" in parameters["filters"]


def test_the_yaml_key_the_run_entries_and_the_library_take_it_too(tmp_path: Path, cli: Cli) -> None:
    single = tmp_path / "v.yaml"
    single.write_text("parameters:\n  campaign_id: camp_2\n", encoding="utf-8")
    result = cli("voucher", "-c", str(single), "--dry-run")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["parameters"] == {"campaign_id": "camp_2"}
    # The flag replaces the file's value, as every flag does.
    flagged = cli("voucher", "-c", str(single), "--campaign", "camp_3", "--dry-run")
    assert json.loads(flagged.stdout)["parameters"] == {"campaign_id": "camp_3"}
    run = tmp_path / "run.yaml"
    run.write_text("exports:\n  - {name: v, object: voucher, parameters: {campaign_id: camp_4}}\n", encoding="utf-8")
    entries, problems = read_multi(str(run), load_config(run))
    assert problems == [] and entries[0].request.body()["parameters"] == {"campaign_id": "camp_4"}
    planned = exportctl.plan("voucher", campaign_id="camp_5", now=None)
    assert planned.requests == (
        ("/v1/exports", {"exported_object": "voucher", "parameters": {"campaign_id": "camp_5"}}),
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["order", "--campaign", "camp_1"], "No such option: --campaign"),
        (["voucher", "--campaign", " "], "--campaign: the campaign_id is empty."),
    ],
)
def test_refused_before_anything_is_sent(cli: Cli, args: list[str], message: str) -> None:
    before = cli.export_count()
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert cli.export_count() == before


def test_other_objects_refuse_it_from_a_file_and_the_library(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "o.yaml"
    path.write_text("parameters:\n  campaign_id: camp_1\n", encoding="utf-8")
    result = cli("order", "-c", str(path), "--dry-run")
    assert result.exit_code == 2
    assert f"{path}:2: parameters.campaign_id: order exports take no campaign_id; only voucher exports do." in (
        result.output
    )
    with pytest.raises(exportctl.UsageError, match="order exports take no campaign_id; only voucher exports do"):
        exportctl.plan("order", campaign_id="camp_1")


def test_schema_names_the_parameter_it_sends(cli: Cli) -> None:
    shown = cli("schema", "voucher", credentials=False)
    assert "--campaign ID: sent as parameters.campaign_id" in shown.stdout
    assert "parameters.campaign_id" not in cli("schema", "order", credentials=False).stdout


def test_the_scope_key_on_voucher_points_to_the_parameter(tmp_path: Path) -> None:
    with pytest.raises(exportctl.UsageError) as caught:
        exportctl.plan("voucher", campaign="camp_1")
    assert caught.value.message.startswith("--campaign: voucher exports cannot be narrowed to one campaign.")
    assert caught.value.hint == (
        "voucher --campaign is the API's parameters.campaign_id: give that key in a file, or campaign_id= in Python."
    )
