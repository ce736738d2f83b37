"""`--dry-run` prints the exact request body, which the OpenAPI request schema accepts; no network needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import exportctl
from exportctl.cli.app import app
from exportctl.schema import DOCUMENTED, EXPORT_OBJECTS
from tests.cli.conftest import Cli
from tests.request.request_schema import EXPORTS, errors

REQUEST_SCHEMA = EXPORTS["components"]["schemas"]["ExportsCreateRequestBody"]


@pytest.mark.parametrize("obj", EXPORT_OBJECTS, ids=lambda obj: obj.command)
def test_dry_run_body_matches_the_openapi_request_schema(obj) -> None:
    fields = ",".join(f.name for f in obj.fields if f.name != "metadata")
    date_filter = next((f.name for f in obj.filters if f.type.is_temporal), None)
    args = [obj.command, "--dry-run", "--fields", fields, "--order", obj.orders[-1]]
    if date_filter:
        args += ["--filter", f"{date_filter}>2024-01-01"]
    # No credentials and an unreachable API: a dry run must not need either.
    result = CliRunner().invoke(app, ["--api-url", "http://127.0.0.1:9", *args])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["exported_object"] == obj.exported_object
    assert body["parameters"]["fields"] == fields.split(",")
    if obj.source == DOCUMENTED:  # product, sku and api_log are in no document of tests/data
        assert errors(body, REQUEST_SCHEMA, EXPORTS) == []
    assert "POST /v1/exports" in result.stderr


def test_dry_run_of_a_scoped_export_names_its_endpoint() -> None:
    result = CliRunner().invoke(app, ["loyalty-card-transactions", "--voucher", "LOYAL 1", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "POST /v1/vouchers/LOYAL%201/transactions/export" in result.stderr
    assert json.loads(result.stdout) == {}


def _bodies(stdout: str) -> list[dict[str, object]]:
    """The JSON documents printed one after another (one body per request)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(stdout.rstrip()):
        document, end = decoder.raw_decode(stdout, at)
        found.append(document)
        at = end
        while at < len(stdout) and stdout[at].isspace():
            at += 1
    return found


def test_dry_run_prints_the_since_until_window_it_sends() -> None:
    result = CliRunner().invoke(app, ["order", "--since", "2024-01-01", "--until", "2024-02-01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert _bodies(result.stdout) == [
        {
            "exported_object": "order",
            "parameters": {
                "filters": {
                    "junction": "and",
                    "created_at": {
                        "conditions": {"$after": ["2023-12-31T23:59:59.999Z"], "$before": ["2024-02-01T00:00:00.000Z"]}
                    },
                }
            },
        }
    ]
    assert "POST /v1/exports  (2024-01-01T00:00:00.000Z..2024-02-01T00:00:00.000Z)" in result.stderr


def test_dry_run_of_a_split_prints_one_body_per_window_as_plan_returns(tmp_path: Path) -> None:
    args = ["order", "--since", "2024-01-15", "--until", "2024-03-10", "--split-by", "month", "--filter", "status=PAID"]
    output = str(tmp_path / "orders.csv")
    plain = CliRunner().invoke(app, [*args, "-o", output, "--dry-run"])
    document = CliRunner().invoke(app, [*args, "-o", output, "--dry-run", "--json"])
    assert plain.exit_code == document.exit_code == 0, plain.output + document.output

    planned = exportctl.plan(
        "order", since="2024-01-15", until="2024-03-10", split_by="month", filters=["status=PAID"], output=output
    )
    requests = json.loads(document.stdout)["requests"]
    assert [(r["since"], r["until"]) for r in requests] == [
        ("2024-01-15T00:00:00.000Z", "2024-02-01T00:00:00.000Z"),
        ("2024-02-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"),
        ("2024-03-01T00:00:00.000Z", "2024-03-10T00:00:00.000Z"),
    ]
    assert [r["body"] for r in requests] == _bodies(plain.stdout) == [body for _, body in planned.requests]
    assert json.loads(document.stdout) == planned.to_dict() == json.loads(planned.to_json())
    for body in _bodies(plain.stdout):
        conditions = body["parameters"]["filters"]  # type: ignore[index]
        assert conditions["status"] == {"conditions": {"$is": ["PAID"]}}
        assert set(conditions["created_at"]["conditions"]) == {"$after", "$before"}
    assert plain.stderr.count("POST /v1/exports") == 3


def test_dry_run_of_an_incremental_run_starts_at_the_saved_watermark(cli: Cli, isolated: Path) -> None:
    first = cli("order", "--since", "2024-01-01", "--since-last", "state.json", "-o", "{id}.csv", "--json")
    assert first.exit_code == 0, first.output
    watermark = json.loads(first.stdout)["watermark"]
    created = cli.export_count()

    dry = cli("order", "--since", "2024-01-01", "--since-last", "state.json", "-o", "{id}.csv", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    (request,) = json.loads(dry.stdout)["requests"]
    assert request["since"] == watermark
    assert request["until"] > watermark
    after = request["body"]["parameters"]["filters"]["created_at"]["conditions"]["$after"]
    assert after < [watermark]  # one millisecond before: the window includes its start
    assert cli.export_count() == created  # nothing was sent
    planned = exportctl.plan("order", since="2024-01-01", since_last="state.json", output="{id}.csv")
    assert planned.windows[0] is not None and planned.windows[0]["since"] == watermark


def test_run_file_dry_run_prints_every_exports_bodies_without_credentials(isolated: Path) -> None:
    (isolated / "two.yaml").write_text(
        "exports:\n"
        "  - name: paid\n    object: order\n    parameters: {filters: [status=PAID]}\n"
        "    split: {by: month, since: 2024-01-01, until: 2024-03-01}\n    output: paid.csv\n"
        "  - name: codes\n    object: voucher\n    parameters: {fields: [code]}\n    output: codes.csv\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["--api-url", "http://127.0.0.1:9", "run", "two.yaml", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    documents = {d["name"]: d for d in json.loads(result.stdout)}
    assert [r["since"] for r in documents["paid"]["requests"]] == [
        "2024-01-01T00:00:00.000Z",
        "2024-02-01T00:00:00.000Z",
    ]
    assert documents["codes"]["requests"] == [
        {
            "method": "POST",
            "endpoint": "/v1/exports",
            "body": {"exported_object": "voucher", "parameters": {"fields": ["code"]}},
        }
    ]
    assert list(isolated.iterdir()) == [isolated / "two.yaml"]


@pytest.mark.parametrize("place", ["before", "after"])
def test_quiet_dry_run_prints_the_bodies_and_nothing_for_a_person(place: str) -> None:
    args = ["voucher", "--dry-run", "--fields", "code", "--into", "sqlite:x.db"]
    argv = ["--quiet", *args] if place == "before" else [*args, "--quiet"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["parameters"]["fields"] == ["code"]
    assert result.stderr == ""
