"""End to end through the CLI (issue 20): a server whose CSV header uses the dashboard's labels and odd case and
punctuation. `--headers fields` writes the field names, the typed outputs and loads type those columns as their
fields, and a metadata key beside a field's label or a hostile title stays a column of its own everywhere.
The server is a small local one (tests/cli/hostile.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from exportctl.cli.app import app
from tests.cli.hostile import Answer, Hostile, Request, export, hostile_server

pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

FIELDS = "code,is_referral_code,validity_day_of_week,discount_amount_limit,created_at,metadata"
# `code` and `Is referral code` are metadata keys; the BEL in the last title is a hostile server's.
CSV = (
    b"Voucher code,Is referral code?,VALIDITY DAY OF WEEK,Discount Aggregated Amount Limit,Creation-Date,"
    b'code,is referral code,Value,"Is\x07referral code?"\r\n'
    b'A1,TRUE,"1,2",500,2026-03-01T12:00:00.000Z,x,y,7,bell\r\n'
    b"A2,false,,,,,,8,\r\n"
)
NAMES = [
    "code",
    "is_referral_code",
    "validity_day_of_week",
    "discount_amount_limit",
    "created_at",
    "metadata.code",
    "is referral code",
    "Value",
    "Is_referral code?",
]
TYPED = [
    ["A1", True, "1,2", 500, "2026-03-01T12:00:00.000Z", "x", "y", 7, "bell"],
    ["A2", False, None, None, None, None, None, 8, None],
]


def _script(request: Request, state: Hostile) -> Answer:
    if request.method == "POST":
        return Answer(200, export("exp_1"))
    if request.path.startswith("/dl"):
        return Answer(200, CSV, {"Content-Type": "text/csv"})
    return Answer(200, export("exp_1", "DONE", result={"url": f"{state.base_url}/dl?token=tok"}))


def _run(hostile: Hostile, *args: str) -> Result:
    argv = ["--api-url", hostile.base_url, "--app-id", "id", "--app-token", "sk_token", "voucher"]
    return CliRunner().invoke(app, [*argv, "--fields", FIELDS, *args], catch_exceptions=False)


def test_headers_fields_names_the_dashboards_labels_and_keeps_the_other_columns(isolated: Path) -> None:
    with hostile_server(_script) as hostile:
        result = _run(hostile, "--headers", "fields", "-o", "v.csv")
    assert result.exit_code == 0, result.output
    header, *rows = (isolated / "v.csv").read_bytes().split(b"\r\n")
    assert header == (
        b"code,is_referral_code,validity_day_of_week,discount_amount_limit,created_at,metadata.code,"
        b"is referral code,Value,Is\x07referral code?"
    )
    assert b"\r\n".join(rows) == CSV.split(b"\r\n", 1)[1]  # the records as the server wrote them


@pytest.mark.parametrize("headers", [(), ("--headers", "fields")])
def test_the_typed_outputs_and_loads_type_the_labelled_columns_as_their_fields(
    isolated: Path, headers: tuple[str, ...]
) -> None:
    with hostile_server(_script) as hostile:
        for args in (
            ("--format", "jsonl", "-o", "v.jsonl"),
            ("--format", "parquet", "-o", "v.parquet"),
            ("--into", "sqlite:w.sqlite#v"),
            ("--into", "duckdb:w.duckdb#v"),
        ):
            result = _run(hostile, *headers, *args)
            assert result.exit_code == 0, (args, result.output)
    documents = [json.loads(line) for line in (isolated / "v.jsonl").read_bytes().split(b"\n") if line]
    assert [list(document)[: len(NAMES)] for document in documents] == [NAMES, NAMES]
    assert [[document[name] for name in NAMES] for document in documents] == TYPED
    import pyarrow.parquet as pq

    table = pq.read_table(isolated / "v.parquet")
    assert table.column_names[: len(NAMES)] == NAMES
    assert str(table.schema.field("is_referral_code").type) == "bool"
    assert table.column("discount_amount_limit").to_pylist() == [500, None]
    connection = sqlite3.connect(isolated / "w.sqlite")
    try:
        found = connection.execute('SELECT * FROM "v" ORDER BY "code"')
        names = [d[0] for d in found.description]
        assert [name for name in NAMES if name not in names] == []
        records = [dict(zip(names, record, strict=True)) for record in found.fetchall()]
    finally:
        connection.close()
    assert [[record["is_referral_code"], record["discount_amount_limit"], record["Value"]] for record in records] == [
        [1, 500, 7],
        [0, None, 8],
    ]
    import duckdb

    db = duckdb.connect(str(isolated / "w.duckdb"), read_only=True)
    try:
        selected = db.execute('SELECT * FROM "v" ORDER BY "code"')
        names = [d[0] for d in selected.description]
        rows = [dict(zip(names, record, strict=True)) for record in selected.fetchall()]
    finally:
        db.close()
    assert [name for name in NAMES if name not in names] == []
    assert [[row["is_referral_code"], row["metadata.code"], row["Is_referral code?"]] for row in rows] == [
        [True, "x", "bell"],
        [False, None, None],
    ]


def test_schema_json_lists_each_fields_aliases_beside_its_title() -> None:
    result = CliRunner().invoke(app, ["schema", "voucher", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    fields = {field["name"]: field for field in shown["fields"]}
    assert fields["is_referral_code"]["title"] == "Is Referral Code"
    assert fields["is_referral_code"]["aliases"] == ["Is referral code?"]
    assert fields["value"]["aliases"] == []
