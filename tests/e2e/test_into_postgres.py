"""--into postgres:// end to end against the sandbox and a real PostgreSQL: every object loads typed, a rerun
loads nothing new, no password is ever shown, and a target the load would refuse is refused before submitting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exportctl.errors import ExitCode
from exportctl.formats.types import Kind, columns_for, infer
from exportctl.schema import EXPORT_OBJECTS, get_object
from exportctl.warehouse import postgres_engine
from tests.cli.conftest import Cli
from tests.e2e.test_into import held, read_csv
from tests.postgres import PASSWORD, PgServer

SHOWN = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}  # how information_schema names the types


def _declared(kind: Kind) -> str:
    name = postgres_engine.sql_type(kind)
    return SHOWN.get(name, name)


def _values(row: list[object], json_at: list[int]) -> list[object]:
    return [json.loads(v) if i in json_at and isinstance(v, str) else v for i, v in enumerate(row)]


def _types(server: PgServer, schema: str, table: str) -> dict[str, str]:
    rows = server.query(
        schema,
        "SELECT column_name, upper(data_type) FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    )
    return dict(rows)


@pytest.mark.parametrize("command", [obj.command for obj in EXPORT_OBJECTS])
def test_every_object_loads_into_typed_columns_holding_the_csvs_values(
    cli: Cli, isolated: Path, postgres_server: PgServer, pg_schema: str, command: str
) -> None:
    obj = get_object(command)
    fields = [f.name for f in obj.fields]
    table = command.replace("-", "_")
    into = postgres_server.into(pg_schema, table)
    result = cli(command, "--fields", ",".join(fields), "--into", into, "-o", "copy.csv", "--json")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    summary = json.loads(result.stdout)
    records = read_csv(isolated / "copy.csv")
    assert summary["into"]["rows_loaded"] == summary["rows"] == summary["into"]["inserted"] == len(records) - 1 > 0
    assert summary["into"]["url"] == f"postgres://loader:***@127.0.0.1:{postgres_server.port}/exportctl"
    columns = infer(columns_for(obj, records[0], fields), records[1:])
    types = _types(postgres_server, pg_schema, table)
    assert list(types) == [*(c.name for c in columns), "_unparsed"]
    for column in columns:
        assert column.kind is not None
        if column.field is not None:
            assert types[column.name] == _declared(column.kind), column.name
    key = "id" if "id" in fields else "voucher_code, customer_id, date"
    names = ", ".join(f'"{c.name}"' for c in columns)
    got = postgres_server.query(pg_schema, f'SELECT {names}, _unparsed FROM "{table}" ORDER BY {key}')
    kinds = [c.kind or Kind.STRING for c in columns]
    expected = [
        [*(held("duckdb", k, cell) for k, cell in zip(kinds, record, strict=True)), None] for record in records[1:]
    ]
    key_positions = [[c.name for c in columns].index(k.strip()) for k in key.split(",")]
    expected.sort(key=lambda row: tuple(str(row[p]) for p in key_positions))
    # JSONB keeps a JSON value, not its text (keys ordered, spaces its own): compared as values.
    json_at = [i for i, kind in enumerate(kinds) if kind is Kind.JSON]
    assert [_values(list(row), json_at) for row in got] == [_values(row, json_at) for row in expected]
    # The same export again: nothing new, nothing rewritten.
    again = cli(command, "--fields", ",".join(fields), "--into", into, "--json")
    assert again.exit_code == 0, again.output
    facts = json.loads(again.stdout)["into"]
    assert (facts["inserted"], facts["updated"], facts["unchanged"]) == (0, 0, len(records) - 1)


def test_no_password_is_shown_by_a_dry_run_the_log_or_json(cli: Cli, postgres_server: PgServer, pg_schema: str) -> None:
    into = postgres_server.into(pg_schema, "vouchers")
    for args in (["--dry-run"], ["--dry-run", "--json"], [], ["--json"], ["--verbose"]):
        result = cli("voucher", "--into", into, *args)
        assert result.exit_code == 0, result.output
        assert PASSWORD not in result.output
        assert "127.0.0.1" in result.output or args == []
    # The password as a parameter of the URL: masked too.
    url = f"postgres://loader@127.0.0.1:{postgres_server.port}/exportctl?password={PASSWORD}&schema={pg_schema}"
    result = cli("voucher", "--into", url, "--json")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "password=***" in json.loads(result.stdout)["into"]["url"]


def test_libpq_environment_gives_what_the_url_leaves_out(
    cli: Cli, postgres_server: PgServer, pg_schema: str, tmp_path: Path
) -> None:
    env = {"PGHOST": "127.0.0.1", "PGPORT": str(postgres_server.port), "PGUSER": "loader", "PGPASSWORD": PASSWORD}
    result = cli("voucher", "--into", f"postgres:///exportctl?schema={pg_schema}", "--json", env=env)
    assert result.exit_code == 0, result.output
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{postgres_server.port}:exportctl:loader:{PASSWORD}\n")
    passfile.chmod(0o600)
    env = {"PGPASSFILE": str(passfile), "PGPASSWORD": ""}
    url = f"postgres://loader@127.0.0.1:{postgres_server.port}/exportctl?schema={pg_schema}"
    again = cli("voucher", "--into", url, "--json", env=env)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["into"]["unchanged"] == json.loads(result.stdout)["into"]["rows_loaded"]


def test_a_wrong_password_or_no_server_is_refused_before_submitting(
    cli: Cli, postgres_server: PgServer, pg_schema: str
) -> None:
    before = cli.export_count()
    wrong = f"postgres://loader:not-{PASSWORD}@127.0.0.1:{postgres_server.port}/exportctl?schema={pg_schema}"
    result = cli("voucher", "--into", wrong)
    assert result.exit_code == ExitCode.AUTH, result.output
    assert "refused the credentials" in result.stderr and PASSWORD not in result.output
    closed = f"postgres://loader:{PASSWORD}@127.0.0.1:1/exportctl"
    result = cli("voucher", "--into", closed, "--dry-run")
    assert result.exit_code == ExitCode.NETWORK, result.output
    assert "Cannot connect to PostgreSQL at postgres://***@127.0.0.1:1/exportctl#public.voucher" in result.stderr
    assert PASSWORD not in result.output and "\\n" not in result.stderr
    assert cli.export_count() == before


def test_a_table_of_another_object_is_refused_before_submitting(
    cli: Cli, postgres_server: PgServer, pg_schema: str
) -> None:
    into = postgres_server.into(pg_schema, "things")
    assert cli("voucher", "--into", into).exit_code == 0
    before = cli.export_count()
    result = cli("order", "--into", into)
    assert result.exit_code == ExitCode.USAGE
    assert "holds voucher exports, not order" in result.stderr
    assert cli.export_count() == before


def test_a_malformed_url_is_refused_offline(cli: Cli) -> None:
    for url, message in (
        ("postgres:db", "is not a PostgreSQL URL"),
        ("postgres://h/db?schema=a-b", "'a-b' is not a schema name"),
        ("postgres://h/db?schema=a&schema=b", "names the schema 2 times"),
        ("postgresql://u:secret-pass@h/db#1x", "'1x' is not a table name"),
    ):
        result = cli("voucher", "--into", url, "--dry-run")
        assert result.exit_code == ExitCode.USAGE, url
        assert message in result.stderr
        assert "secret-pass" not in result.output
