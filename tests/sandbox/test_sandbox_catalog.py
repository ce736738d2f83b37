"""product, sku and api-log through every surface: the commands, typed output, --into, run files, the library,
completion and `schema`, against the sandbox's generated products, SKUs and API log entries."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import exportctl
from exportctl import schema
from exportctl.cli.completion_sources import complete_object
from exportctl.sandbox import Sandbox
from exportctl.warehouse.keys import merge_key
from tests.cli.conftest import Cli, isolated  # noqa: F401  (the fixture: no machine credentials, a clean cwd)

NEW = {"product": "products", "sku": "skus", "api-log": "api_logs"}


@pytest.fixture
def cli(sandbox: Sandbox) -> Cli:
    return Cli(sandbox)


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def store_rows(sandbox: Sandbox, sql: str, *params: Any) -> list[list[str]]:
    return [["" if value is None else str(value) for value in row] for row in sandbox.store.rows(sql, params)]


@pytest.mark.parametrize("command", list(NEW))
def test_the_default_export_has_the_documented_default_columns_and_every_record(
    cli: Cli, sandbox: Sandbox, command: str
) -> None:
    obj = schema.BY_COMMAND[command]
    result = cli(command, "-o", "out.csv")
    assert result.exit_code == 0, result.output
    header, *rows = read_csv(Path("out.csv"))
    assert header == [obj.title_of(name) for name in obj.default_fields]
    expected = store_rows(sandbox, f"SELECT {', '.join(obj.default_fields)} FROM {NEW[command]}")
    assert rows and sorted(rows) == sorted(expected)


def test_skus_carry_currencies_prices_and_attribute_values(cli: Cli, sandbox: Sandbox) -> None:
    result = cli(
        "sku", "--fields", "id,currency,price,attributes.color,metadata.warehouse", "--order", "-sku", "-o", "s.csv"
    )
    assert result.exit_code == 0, result.output
    header, *rows = read_csv(Path("s.csv"))
    assert header == ["ID", "Currency", "Price", "Attributes Color", "Metadata Warehouse"]
    assert {row[1] for row in rows} >= {"EUR", "USD", "GBP"}
    assert all(int(row[2]) > 0 for row in rows)
    assert len({row[3] for row in rows} - {""}) >= 3  # colours, where the product line has them
    expected = store_rows(
        sandbox,
        "SELECT id, currency, price, json_extract(attributes, '$.color'), json_extract(metadata, '$.warehouse') "
        "FROM skus ORDER BY sku DESC, rowid",
    )
    assert rows == expected


def test_products_as_typed_json_lines(cli: Cli, sandbox: Sandbox) -> None:
    result = cli("product", "--fields", "id,name,price,attributes,created_at", "--format", "jsonl", "-o", "p.jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in Path("p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == sandbox.store.counts()["product"]
    first = next(r for r in records if r["name"] == "Classic T-shirt")
    assert isinstance(first["price"], int) and first["attributes"] == ["color", "size"]


def test_api_log_filters_as_the_changelog_lists_them(cli: Cli, sandbox: Sandbox) -> None:
    since = store_rows(sandbox, "SELECT created_at FROM api_logs ORDER BY created_at")[30][0]
    result = cli(
        "api-log",
        "--filter", "status!=200",
        "--filter", "channel=API",  # channel takes $in/$not_in: one value is sent as $in
        "--filter", f"created_at>{since}",
        "--fields", "id,status,method,endpoint,request_body,response_body",
        "--format", "jsonl",
        "-o", "log.jsonl",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in Path("log.jsonl").read_text(encoding="utf-8").splitlines()]
    expected = {
        row[0]
        for row in store_rows(
            sandbox,
            "SELECT id FROM api_logs WHERE status != 200 AND channel = 'API' AND created_at > ?",
            since,
        )
    }
    assert expected and {r["id"] for r in records} == expected
    errors = [r for r in records if r["status"] >= 400]
    assert errors and all(r["response_body"]["code"] == r["status"] for r in errors)  # bodies parsed from JSON text
    assert any(isinstance(r["request_body"], dict) for r in records if r["method"] == "POST")


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("channel!=API", None),  # $not_in with one value: accepted
        ("status>399", "Valid values: $is, $is_not"),
        ("created_at=-3d", "Valid values: $after, $before"),
        ("user_email=a@example.com", "unknown filter field 'user_email'"),
    ],
)
def test_api_log_filters_take_only_their_documented_operators(cli: Cli, expression: str, says: str | None) -> None:
    result = cli("api-log", "--filter", expression, "--dry-run", credentials=False)
    if says is None:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 2 and says in result.output, result.output


def test_skus_merge_on_their_id_into_sqlite(cli: Cli, sandbox: Sandbox) -> None:
    assert merge_key(schema.SKU, None) == ("id",)
    for _ in range(2):
        result = cli("sku", "--fields", "id,sku,price", "--into", "sqlite:w.db#skus")
        assert result.exit_code == 0, result.output
    with sqlite3.connect("w.db") as conn:
        count = conn.execute("SELECT count(*), count(DISTINCT id) FROM skus").fetchone()
    assert count == (sandbox.store.counts()["sku"],) * 2


def test_a_run_file_exports_the_new_objects(cli: Cli, sandbox: Sandbox) -> None:
    Path("nightly.yaml").write_text(
        "exports:\n"
        "  - {name: catalog, object: product, output: products.csv}\n"
        "  - {name: variants, object: sku, output: skus.csv, parameters: {fields: [id, currency]}}\n"
        "  - name: errors\n"
        "    object: api-log\n"
        "    output: errors.csv\n"
        "    parameters:\n"
        "      fields: [id, status]\n"
        "      filters: {status: {conditions: {$is: [404]}}}\n",
        encoding="utf-8",
    )
    result = cli("run", "nightly.yaml")
    assert result.exit_code == 0, result.output
    assert len(read_csv(Path("products.csv"))) == sandbox.store.counts()["product"] + 1
    assert len(read_csv(Path("skus.csv"))) == sandbox.store.counts()["sku"] + 1
    statuses = {row[1] for row in read_csv(Path("errors.csv"))[1:]}
    assert statuses == {"404"}


def test_the_library_exports_a_product(sandbox: Sandbox, tmp_path: Path) -> None:
    settings = exportctl.Settings(base_url=sandbox.base_url, app_id=sandbox.app_id, app_token=sandbox.secret_key)
    result = exportctl.export("product", fields=["id", "name"], output=str(tmp_path / "p.csv"), settings=settings)
    assert result.rows == sandbox.store.counts()["product"]


def test_completion_and_schema_know_the_new_objects(cli: Cli) -> None:
    assert complete_object("p") == ["publication", "points-expiration", "product"]
    assert "api-log" in complete_object("api")
    shown = json.loads(cli("schema", "--json", credentials=False).stdout)
    sources = {entry["object"]: (entry["source"], entry["verified"]) for entry in shown}
    assert sources["voucher"] == ("documented", True)
    assert sources["product"] == sources["sku"] == ("sdk-enum", False)
    assert sources["api-log"] == ("changelog", False)
    operators = json.loads(cli("schema", "customer", "--json", credentials=False).stdout)["operators"]
    assert operators["calendar_md"][0] == "$today_md" and len(operators["calendar_md"]) == 9
    assert operators["refused"] == {
        "$includes": "$in",
        "$intersects": "$in",
        "$after_equal": "$after",
        "$before_equal": "$before",
    }
    table = cli("schema", credentials=False).stdout
    assert "changelog (unverified)" in table and "sdk-enum (unverified)" in table
