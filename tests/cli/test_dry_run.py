"""`--dry-run` prints the exact request body, which the OpenAPI request schema accepts; no network needed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from exportctl.cli.app import app
from exportctl.schema import EXPORT_OBJECTS
from tests.request.test_request_schema import EXPORTS, errors

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
    assert errors(body, REQUEST_SCHEMA, EXPORTS) == []
    assert "POST /v1/exports" in result.stderr


def test_dry_run_of_a_scoped_export_names_its_endpoint() -> None:
    result = CliRunner().invoke(app, ["loyalty-card-transactions", "--voucher", "LOYAL 1", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "POST /v1/vouchers/LOYAL%201/transactions/export" in result.stderr
    assert json.loads(result.stdout) == {}
