"""The export subcommands, end to end: the real CLI against the sandbox over HTTP."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from pathlib import Path

import pytest

from exportctl.schema import EXPORT_OBJECTS, title_for
from tests.cli.conftest import Cli


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("obj", EXPORT_OBJECTS, ids=lambda obj: obj.command)
def test_every_object_exports_its_fields_to_a_csv(cli: Cli, isolated: Path, obj) -> None:
    fields = [field.name for field in obj.fields if field.name != "metadata"][:4]
    result = cli(obj.command, "--fields", ",".join(fields), "--output", "out.csv")
    assert result.exit_code == 0, result.output
    rows = _rows(isolated / "out.csv")
    assert rows[0] == [title_for(name) for name in fields]
    assert len(rows) > 1
    assert all(len(row) == len(fields) for row in rows)


def test_default_target_is_named_after_the_object_and_the_export_id(cli: Cli, isolated: Path) -> None:
    result = cli("order", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert Path(summary["output"]).name == f"order-{summary['export_id']}.csv"
    saved = (isolated / Path(summary["output"]).name).read_bytes()
    assert summary["bytes"] == len(saved)
    assert summary["sha256"] == hashlib.sha256(saved).hexdigest()
    assert summary["rows"] == saved.count(b"\n") - 1
    assert summary["status"] == "DONE"
    assert summary["api_calls"] >= 3
    # Without --fields the API applies the documented defaults.
    assert saved.splitlines()[0] == b"ID,Source ID,Status"


def test_output_dash_streams_the_csv_to_stdout_and_nothing_else(cli: Cli) -> None:
    result = cli("voucher", "--fields", "code,voucher_type", "--filter", "type=GIFT_VOUCHER", "-o", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["Code", "Voucher Type"]
    assert {row[1] for row in rows[1:]} == {"GIFT_VOUCHER"}
    assert "submitted" in result.stderr


def test_filters_and_order_reach_the_export(cli: Cli) -> None:
    result = cli(
        "order",
        "--fields",
        "id,status,amount,created_at",
        "--filter",
        "status=PAID,FULFILLED",
        "--filter",
        "amount>=5000",
        "--order",
        "-created_at",
        "-o",
        "-",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
    assert rows
    assert {row[1] for row in rows} <= {"PAID", "FULFILLED"}
    assert all(int(row[2]) >= 5000 for row in rows)
    created = [row[3] for row in rows]
    assert created == sorted(created, reverse=True)


def test_junction_or_widens_the_result(cli: Cli) -> None:
    both = ["--fields", "status,amount", "--filter", "status=CANCELED", "--filter", "amount>=5000", "-o", "-"]
    strict = cli("order", *both)
    loose = cli("order", *both, "--junction", "or")
    assert strict.exit_code == loose.exit_code == 0, strict.output + loose.output
    strict_rows = list(csv.reader(io.StringIO(strict.stdout)))[1:]
    loose_rows = list(csv.reader(io.StringIO(loose.stdout)))[1:]
    assert all(status == "CANCELED" and int(amount) >= 5000 for status, amount in strict_rows)
    assert all(status == "CANCELED" or int(amount) >= 5000 for status, amount in loose_rows)
    assert len(loose_rows) > len(strict_rows)


def test_the_same_operator_twice_on_a_field_is_refused(cli: Cli) -> None:
    result = cli("order", "--filter", "status=PAID", "--filter", "status=CANCELED", "--dry-run")
    assert result.exit_code == 2
    assert "status" in result.stderr


def test_metadata_fields_are_exported(cli: Cli) -> None:
    result = cli("customer", "--fields", "id,metadata.tier", "-o", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["ID", "Metadata Tier"]
    assert any(row[1] for row in rows[1:])


def test_gz_target_is_compressed(cli: Cli, isolated: Path) -> None:
    result = cli("voucher", "--fields", "code", "-o", "codes.csv.gz", "--json")
    assert result.exit_code == 0, result.output
    text = gzip.decompress((isolated / "codes.csv.gz").read_bytes()).decode()
    assert text.splitlines()[0] == "Code"
    assert json.loads(result.stdout)["rows"] == len(text.splitlines()) - 1


def test_output_template_and_directory(cli: Cli, isolated: Path) -> None:
    (isolated / "exports").mkdir()
    result = cli("redemption", "--output-dir", "exports", "-o", "{object}-{date}.csv", "--json")
    assert result.exit_code == 0, result.output
    saved = Path(json.loads(result.stdout)["output"])
    assert saved.parent.name == "exports"
    assert saved.name.startswith("redemption-20") and saved.exists()


def test_an_existing_target_is_an_error_before_anything_is_submitted(cli: Cli, isolated: Path) -> None:
    (isolated / "out.csv").write_text("keep me")
    before = cli.export_count()
    result = cli("voucher", "-o", "out.csv")
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert (isolated / "out.csv").read_text() == "keep me"
    assert cli.export_count() == before
    forced = cli("voucher", "-o", "out.csv", "--force")
    assert forced.exit_code == 0
    assert (isolated / "out.csv").read_text().startswith("Code,Voucher Type,Value,Discount Type")


def test_no_wait_prints_the_export_id_for_scripts(cli: Cli) -> None:
    result = cli("customer", "--no-wait")
    assert result.exit_code == 0, result.output
    export_id = result.stdout.strip()
    assert export_id.startswith("exp_")
    assert f"exportctl wait {export_id}" in result.stderr


def test_scoped_transactions_use_the_per_resource_endpoint(cli: Cli, sandbox) -> None:
    all_rows = cli("gift-card-transactions", "--fields", "voucher_id,type", "-o", "-")
    assert all_rows.exit_code == 0, all_rows.output
    voucher_id = next(csv.reader(io.StringIO(all_rows.stdout.splitlines()[1])))[0]
    scoped = cli(
        "gift-card-transactions", "--voucher", voucher_id, "--fields", "voucher_id,type", "--json", "-o", "t.csv"
    )
    assert scoped.exit_code == 0, scoped.output
    rows = _rows(Path("t.csv"))[1:]
    assert rows and {row[0] for row in rows} == {voucher_id}
    listed = cli("status", json.loads(scoped.stdout)["export_id"], "--json")
    assert json.loads(listed.stdout)["exported_object"] == "voucher_transactions"


def test_points_expiration_scoped_by_campaign(cli: Cli) -> None:
    everything = cli("points-expiration", "--fields", "campaign_id", "-o", "-")
    campaign = everything.stdout.splitlines()[1]
    scoped = cli("points-expiration", "--campaign", campaign, "--fields", "campaign_id", "-o", "-")
    assert scoped.exit_code == 0, scoped.output
    assert set(scoped.stdout.splitlines()[1:]) == {campaign}


def test_plain_progress_lines_without_a_terminal(cli: Cli) -> None:
    result = cli("publication", "-o", "p.csv")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert any(line.endswith("(publication)") and "submitted" in line for line in lines)
    assert any(" DONE after " in line for line in lines)
    assert any(" saved " in line and " rows " in line for line in lines)
    # No spinner frames or carriage returns in a log.
    assert "\r" not in result.stderr and "\x1b[" not in result.stderr


def test_quiet_prints_nothing_on_success(cli: Cli) -> None:
    result = cli("--quiet", "voucher", "-o", "q.csv")
    assert result.exit_code == 0
    assert result.stderr == "" and result.stdout == ""


def test_verbose_logs_http_calls_without_secrets(cli: Cli, sandbox) -> None:
    result = cli("--verbose", "voucher", "-o", "v.csv")
    assert result.exit_code == 0, result.output
    assert "http POST" in result.stderr and "http GET" in result.stderr
    assert sandbox.secret_key not in result.output
    assert "token=" not in result.stderr or "token=***" in result.stderr
