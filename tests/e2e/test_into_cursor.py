"""--since-last --cursor updated_at end to end: the sandbox changes records in place, and a nightly run keeps the
table true in SQLite, DuckDB and PostgreSQL (one changed record updates exactly one row, nothing changed loads
nothing new), with the state of a created_at run kept apart from it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exportctl.errors import ExitCode
from tests.cli.conftest import Cli
from tests.conftest import start_sandbox
from tests.warehouse.conftest import ALL_ENGINES, Warehouse

FIELDS = "id,code,active,created_at,updated_at"


@pytest.fixture
def own(tmp_path: Path) -> Iterator[Cli]:
    """A CLI against a sandbox of its own, whose records the test changes."""
    with start_sandbox(db_path=tmp_path / "own.sqlite3", data_dir=tmp_path / "own-exports") as running:
        yield Cli(running)


def _warehouse(request: pytest.FixtureRequest, engine: str, root: Path) -> tuple[Warehouse, str]:
    """The warehouse a test reads, and the --into target its runs load."""
    if engine != "postgres":
        warehouse = Warehouse(engine, root, "voucher", "vouchers")
        return warehouse, f"{engine}:{warehouse.database}#vouchers"
    server, schema = request.getfixturevalue("postgres_server"), request.getfixturevalue("pg_schema")
    return Warehouse(engine, root, "voucher", "vouchers", server=(server, schema)), server.into(schema, "vouchers")


def _run(own: Cli, *args: str) -> dict[str, Any]:
    result = own(*args, "--json")
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_a_changed_record_updates_exactly_one_row_through_the_updated_at_cursor(
    own: Cli, isolated: Path, request: pytest.FixtureRequest, engine: str
) -> None:
    warehouse, into = _warehouse(request, engine, isolated)
    state = isolated / "nightly.json"
    args = ("voucher", "--fields", FIELDS, "--since-last", str(state), "--cursor", "updated_at", "--into", into)
    first = _run(own, *args)
    total = own.sandbox.store.counts()["voucher"]
    assert first["into"]["inserted"] == total
    assert first["state_key"].endswith("@updated_at") and first["previous_watermark"] is None

    again = _run(own, *args)  # nothing changed: the lookback may re-read a few rows, none of them changes
    assert (again["into"]["inserted"], again["into"]["updated"]) == (0, 0)
    assert again["previous_watermark"] == first["watermark"]

    [touched] = own.sandbox.store.touch_records("voucher", 1)
    changed = _run(own, *args)
    assert (changed["into"]["inserted"], changed["into"]["updated"]) == (0, 1)
    truth = own.sandbox.store.rows("SELECT active, updated_at FROM vouchers WHERE id = ?", (touched,))[0]
    [(active, updated_at)] = warehouse.query('SELECT active, updated_at FROM "vouchers" WHERE id = ?', [touched])
    assert bool(active) is bool(truth[0])
    assert str(updated_at).replace(" ", "T")[:19] == truth[1][:19]  # the engines' clients show it their way
    count, distinct = warehouse.query('SELECT count(*), count(DISTINCT id) FROM "vouchers"')[0]
    assert count == distinct == total  # merged on the key: no second row

    quiet = _run(own, *args)
    assert (quiet["into"]["inserted"], quiet["into"]["updated"]) == (0, 0)


def test_the_state_of_a_created_at_run_is_not_read_by_the_updated_at_run(own: Cli, isolated: Path) -> None:
    state = isolated / "nightly.json"
    into = f"sqlite:{isolated / 'w.db'}#vouchers"
    common = ("voucher", "--fields", FIELDS, "--since-last", str(state), "--state-key", "vouchers", "--into", into)
    created = _run(own, *common)
    [touched] = own.sandbox.store.touch_records("voucher", 1)
    # The created_at run sees no new record: the touched one was created long ago.
    assert _run(own, *common)["into"]["updated"] == 0
    updated = _run(own, *common, "--cursor", "updated_at")
    assert updated["previous_watermark"] is None  # a first run of its own, not the created_at watermark
    assert updated["state_key"] == "vouchers@updated_at" and created["state_key"] == "vouchers"
    assert updated["into"]["updated"] == 1 and updated["into"]["inserted"] == 0
    entries = json.loads(state.read_text(encoding="utf-8"))["exports"]
    assert set(entries) == {"vouchers", "vouchers@updated_at"}
    assert "cursor" not in entries["vouchers"] and entries["vouchers@updated_at"]["cursor"] == "updated_at"
    assert touched


def test_an_object_without_updated_at_is_refused_before_anything_is_submitted(own: Cli, isolated: Path) -> None:
    before = own.export_count()
    result = own("publication", "--since-last", str(isolated / "s.json"), "--cursor", "updated_at")
    assert result.exit_code == ExitCode.USAGE
    assert "publication exports have no documented updated_at filter" in result.output
    for name in ("order", "voucher", "redemption", "customer"):
        assert name in result.output
    assert "Traceback" not in result.output
    assert own.export_count() == before
    assert not (isolated / "s.json").exists()


@pytest.mark.parametrize("value", ["-10m", "99999d", "garbage", "1e400"])
def test_a_hostile_lookback_is_refused_with_one_message(own: Cli, isolated: Path, value: str) -> None:
    before = own.export_count()
    result = own("voucher", "--since-last", str(isolated / "s.json"), "--cursor", "updated_at", "--lookback", value)
    assert result.exit_code == ExitCode.USAGE
    assert result.output.count("--lookback: expected a duration from 0 to 7d") == 1
    assert own.export_count() == before


FOLLOWED = {
    "order": ("orders", "id,status,created_at,updated_at", "status"),
    "customer": ("customers", "id,source_id,description,updated_at", "description"),
}


@pytest.mark.parametrize("command", sorted(FOLLOWED))
def test_orders_and_customers_follow_their_changes_too(own: Cli, isolated: Path, command: str) -> None:
    table, fields, column = FOLLOWED[command]
    into = f"sqlite:{isolated / 'w.db'}#{table}"
    args = (command, "--fields", fields, "--since-last", str(isolated / "s.json"), "--cursor", "updated_at")
    assert _run(own, *args, "--into", into)["into"]["inserted"] > 0
    [touched] = own.sandbox.store.touch_records(command, 1)
    changed = _run(own, *args, "--into", into)["into"]
    assert (changed["inserted"], changed["updated"]) == (0, 1)
    truth = own.sandbox.store.rows(f"SELECT {column} FROM {table} WHERE id = ?", (touched,))
    warehouse = Warehouse("sqlite", isolated, command, table)
    warehouse.database = isolated / "w.db"
    assert warehouse.query(f'SELECT "{column}" FROM "{table}" WHERE id = ?', [touched]) == truth


def test_a_changed_redemption_comes_again_through_its_updated_at_filter(own: Cli, isolated: Path) -> None:
    """Redemptions can be filtered on updated_at but do not export it (nor their status): the record comes again."""
    args = ("redemption", "--fields", "id,result", "--since-last", str(isolated / "s.json"), "--cursor", "updated_at")
    first = _run(own, *args, "-o", "r1.csv")
    [touched] = own.sandbox.store.touch_records("redemption", 1)
    second = _run(own, *args, "-o", "r2.csv")
    assert first["rows"] > 0
    assert touched in (isolated / "r2.csv").read_text(encoding="utf-8")
    assert second["rows"] >= 1
