"""--format jsonl|parquet end to end: the real CLI against the sandbox, the files read back and checked."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from exportctl.formats.csv_source import typed_columns, typed_rows
from exportctl.formats.types import UNPARSED, Kind
from exportctl.schema import EXPORT_OBJECTS, ExportObject
from tests.cli.conftest import Cli

pq = pytest.importorskip("pyarrow.parquet")
pa = pytest.importorskip("pyarrow")

ARROW = {
    Kind.STRING: "string",
    Kind.INTEGER: "int64",
    Kind.DOUBLE: "double",
    Kind.BOOLEAN: "bool",
    Kind.TIMESTAMP: "timestamp[ms, tz=UTC]",
    Kind.DATE: "date32[day]",
    Kind.JSON: "string",
}


def _fields(obj: ExportObject) -> str:
    return ",".join(obj.field_names)


def _expected(obj: ExportObject, csv_path: Path) -> tuple[list[Any], list[dict[str, Any]]]:
    """The typed columns and rows types.py reads from the CSV: what every typed output must hold."""
    columns = typed_columns(obj, csv_path, obj.field_names, "api")
    rows = []
    for row in typed_rows(csv_path, columns):
        document = dict(zip([c.name for c in columns], row.values, strict=True))
        document[UNPARSED] = row.unparsed or None
        rows.append(document)
    return columns, rows


def _jsonl_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _same(a: Any, b: Any) -> bool:
    return bool(a == b and type(a) is type(b))


@pytest.mark.parametrize("obj", EXPORT_OBJECTS, ids=lambda obj: obj.command)
def test_every_object_to_jsonl_and_parquet_holds_the_typed_csv(cli: Cli, isolated: Path, obj: ExportObject) -> None:
    for output in ("out.csv", "out.jsonl", "out.parquet"):
        fmt = Path(output).suffix[1:]
        result = cli(obj.command, "--fields", _fields(obj), "--format", fmt, "-o", output, "--json")
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert summary.get("format", "csv") == fmt and summary["output"] == output
    assert [p.name for p in isolated.iterdir() if p.name.startswith(".")] == []  # no staging file left
    columns, expected = _expected(obj, isolated / "out.csv")
    assert expected, "the sandbox has records of every object"
    kinds = {c.name: c.kind for c in columns}
    assert {Kind.INTEGER, Kind.TIMESTAMP} & set(kinds.values())

    lines = (isolated / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(expected) == summary["rows_written"] == summary["csv"]["rows"]
    for line, want in zip(lines, expected, strict=True):
        got = json.loads(line)
        assert list(got) == [k for k in want if k != UNPARSED or want[k] is not None]
        for name, value in got.items():
            wanted = want[name] if name == UNPARSED else _jsonl_value(want[name])
            assert _same(value, wanted), (name, value, wanted)

    table = pq.read_table(isolated / "out.parquet")
    assert table.schema.names == [*kinds, UNPARSED]
    for name, kind in kinds.items():
        assert str(table.schema.field(name).type) == ARROW[kind], name
    for got, want in zip(table.to_pylist(), expected, strict=True):
        for name, kind in kinds.items():
            value, wanted = got[name], want[name]
            if kind is Kind.JSON and wanted is not None:
                assert json.loads(value) == wanted, name
            elif isinstance(wanted, datetime):
                assert value == wanted and value.utcoffset().total_seconds() == 0, name
            else:
                assert _same(value, wanted), (name, value, wanted)
        assert got[UNPARSED] is None


def test_jsonl_streams_to_stdout_and_types_metadata_keys(cli: Cli) -> None:
    result = cli("voucher", "--fields", "code,active,created_at,metadata", "--format", "jsonl", "-o", "-")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all(isinstance(r["active"], bool) and r["created_at"].endswith("Z") for r in rows)
    # The sandbox's vouchers carry metadata keys; a key holding numbers only is an integer column.
    keys = set(rows[0]) - {"code", "active", "created_at"}
    assert keys and any(all(isinstance(r[k], int) or r[k] is None for r in rows) for k in keys)


def _poison(cli: Cli) -> None:
    """Values the tables type, which do not fit their type: the sandbox writes them as stored."""
    with cli.sandbox.store.connect() as connection:
        first, second = (row[0] for row in connection.execute("SELECT rowid FROM vouchers ORDER BY rowid LIMIT 2"))
        connection.execute("UPDATE vouchers SET redemption_quantity = 'lots' WHERE rowid = ?", (first,))
        connection.execute("UPDATE vouchers SET created_at = '2026-02-30T00:00:00.000Z' WHERE rowid = ?", (second,))


@pytest.fixture
def poisoned(tmp_path: Path) -> Any:
    from tests.conftest import start_sandbox

    with start_sandbox(db_path=tmp_path / "db.sqlite3", data_dir=tmp_path / "exports") as sandbox:
        own = Cli(sandbox)
        _poison(own)
        yield own


FIELDS = "code,redemption_quantity,active,created_at"


def test_hostile_cells_land_in_unparsed(poisoned: Cli, isolated: Path) -> None:
    for fmt in ("jsonl", "parquet"):
        result = poisoned("voucher", "--fields", FIELDS, "--format", fmt, "-o", f"v.{fmt}", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["unparsed_rows"] >= 2
    rows = [json.loads(line) for line in (isolated / "v.jsonl").read_text().splitlines()]
    kept = [r for r in rows if UNPARSED in r]
    table = pq.read_table(isolated / "v.parquet").to_pylist()
    from_parquet = [r for r in table if r[UNPARSED] is not None]
    assert [r[UNPARSED] for r in kept] == [json.loads(r[UNPARSED]) for r in from_parquet]
    assert {"redemption_quantity": "lots"} in [r[UNPARSED] for r in kept]
    assert {"created_at": "2026-02-30T00:00:00.000Z"} in [r[UNPARSED] for r in kept]
    for row in kept:
        assert all(row[name] is None for name in row[UNPARSED])  # the typed column holds null, nothing guessed


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_the_fail_switch_names_the_record_and_column_and_writes_nothing(
    poisoned: Cli, isolated: Path, fmt: str
) -> None:
    with poisoned.sandbox.store.connect() as connection:
        codes = [row[0] for row in connection.execute("SELECT code FROM vouchers ORDER BY rowid LIMIT 1")]
    assert codes
    result = poisoned("voucher", "--fields", FIELDS, "--format", fmt, "--unparsed", "fail", "-o", f"v.{fmt}")
    assert result.exit_code == 9, result.output
    assert "record " in result.stderr and "column " in result.stderr and "nothing was written" in result.stderr
    assert list(isolated.iterdir()) == []  # no file, no staging file
    streamed = poisoned("voucher", "--fields", FIELDS, "--format", fmt, "--unparsed", "fail", "-o", "-")
    assert streamed.exit_code == 9 and streamed.stdout == ""


def test_split_exports_join_the_windows_then_convert(cli: Cli, isolated: Path) -> None:
    whole = cli("order", "--format", "jsonl", "-o", "all.jsonl", "--json")
    split = cli(
        "order", "--format", "parquet", "--split-by", "month", "--since", "2020-01-01", "-o", "s.parquet", "--json"
    )
    assert whole.exit_code == 0 and split.exit_code == 0, split.output
    summary = json.loads(split.stdout)
    assert summary["format"] == "parquet" and summary["windows"]
    table = pq.read_table(isolated / "s.parquet")
    whole_rows = [json.loads(line) for line in (isolated / "all.jsonl").read_text().splitlines()]
    assert sorted(table.column("id").to_pylist()) == sorted(r["id"] for r in whole_rows)
    assert sorted(p.name for p in isolated.iterdir()) == ["all.jsonl", "s.parquet"]  # parts, manifest, staging gone


def test_incremental_runs_move_the_watermark_only_after_the_typed_file(cli: Cli, isolated: Path) -> None:
    args = ("customer", "--format", "jsonl", "--since-last", "state.json", "--json")
    first = cli(*args, "-o", "c1.jsonl")
    assert first.exit_code == 0, first.output
    state = json.loads((isolated / "state.json").read_text())
    entry = next(iter(state["exports"].values()))
    assert entry["output"] == "c1.jsonl" and (isolated / "c1.jsonl").is_file()
    second = cli(*args, "-o", "c2.jsonl")
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["previous_watermark"] == entry["watermark"]


def test_a_failed_post_step_leaves_the_watermark_unmoved(poisoned: Cli, isolated: Path) -> None:
    args = ("voucher", "--fields", FIELDS, "--format", "jsonl", "--since-last", "state.json", "-o", "v.jsonl")
    failed = poisoned(*args, "--unparsed", "fail")
    assert failed.exit_code == 9, failed.output
    state = isolated / "state.json"
    assert not state.exists() or json.loads(state.read_text()).get("exports", {}) == {}
    assert not (isolated / "v.jsonl").exists()
    kept = poisoned(*args)
    assert kept.exit_code == 0, kept.output
    assert next(iter(json.loads(state.read_text())["exports"].values()))["output"] == "v.jsonl"


def test_run_files_take_format_per_entry(cli: Cli, isolated: Path) -> None:
    (isolated / "exports.yaml").write_text(
        "exports:\n"
        "  - {name: plain, object: order, output: plain.csv}\n"
        "  - {name: typed, object: order, output: typed.parquet, format: parquet, unparsed: fail}\n"
        "  - {name: lines, object: voucher, output: lines.jsonl, format: jsonl}\n"
    )
    result = cli("run", "exports.yaml")
    assert result.exit_code == 0, result.output
    assert (isolated / "plain.csv").read_bytes().startswith(b"ID,")
    assert pq.read_table(isolated / "typed.parquet").num_rows > 0
    assert json.loads((isolated / "lines.jsonl").read_text().splitlines()[0])


def test_dry_run_prints_the_target_format_and_column_types(cli: Cli) -> None:
    args = ("voucher", "--fields", "code,value,active,created_at,metadata", "--format", "parquet", "--dry-run")
    text = cli(*args, credentials=False)
    assert text.exit_code == 0, text.output
    assert "Target: parquet to {object}-{id}.parquet" in text.stderr
    assert "code string, value double, active boolean, created_at timestamp, metadata.* inferred" in text.stderr
    document = json.loads(cli(*args, "--json", credentials=False).stdout)
    assert document["format"] == "parquet"
    assert document["columns"][-1] == {"name": UNPARSED, "type": "json"}
    assert "format" not in json.loads(cli("voucher", "--dry-run", "--json", credentials=False).stdout)


def test_without_the_extra_parquet_is_refused_offline(isolated: Path) -> None:
    import subprocess
    import sys

    blocked = "import sys; sys.modules['duckdb'] = None; sys.modules['pyarrow'] = None; "
    code = blocked + "from exportctl.cli.app import main; sys.argv[0] = 'exportctl'; main()"
    for args in (["voucher", "--format", "parquet"], ["voucher", "--format", "parquet", "--dry-run"]):
        run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=isolated)
        assert run.returncode == 2, run.stderr
        assert "pip install 'exportctl[warehouse]'" in run.stderr and "Traceback" not in run.stderr
    jsonl = subprocess.run(
        [sys.executable, "-c", code, "voucher", "--format", "jsonl", "--dry-run"], capture_output=True, text=True
    )
    assert jsonl.returncode == 0, jsonl.stderr
    assert list(isolated.iterdir()) == []


def test_csv_stays_the_apis_bytes(cli: Cli, isolated: Path) -> None:
    plain = cli("order", "-o", "a.csv", "--json")
    explicit = cli("order", "--format", "csv", "-o", "b.csv", "--json")
    assert plain.exit_code == explicit.exit_code == 0
    assert json.loads(plain.stdout)["sha256"] == json.loads(explicit.stdout)["sha256"]
    rows = list(csv.reader(io.StringIO((isolated / "b.csv").read_text())))
    assert rows[0] == ["ID", "Source ID", "Status"]
