"""A load target that cannot take the export is refused at plan time, before anything is submitted, by the
run and the dry run alike: the same message, the same exit code, no POST /v1/exports, nothing written."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from exportctl.errors import ExitCode
from exportctl.sandbox import Sandbox
from tests.cli import conftest as e2e
from tests.cli.conftest import Cli
from tests.conftest import start_sandbox

isolated = e2e.isolated


@pytest.fixture(scope="module")
def own_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox of this module's own: its count of exports moves only with this module's commands."""
    root = tmp_path_factory.mktemp("plan-checks-sandbox")
    with start_sandbox(db_path=root / "db.sqlite3", data_dir=root / "exports") as running:
        yield running


@pytest.fixture
def cli(own_sandbox: Sandbox) -> Cli:
    return Cli(own_sandbox)


def _duckdb_file(path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.close()


def _sqlite_file(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for statement in statements or ("CREATE TABLE t (x INTEGER)",):
        conn.execute(statement)
    conn.commit()
    conn.close()


def _loaded(cli: Cli, engine: str, database: Path, command: str, table: str, *fields: str) -> None:
    """A table exportctl made: `command`'s export loaded into `table`."""
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    result = cli(command, *(["--fields", ",".join(fields)] if fields else []), "--into", f"{engine}:{database}#{table}")
    assert result.exit_code == 0, result.output


def _snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under `root`: a file's bytes, a link's target."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            found[str(path)] = f"-> {path.readlink()}"
        elif path.is_file():
            found[str(path)] = path.read_bytes()
    return found


Case = Callable[[Cli, Path], list[str]]


def duckdb_file_as_sqlite(cli: Cli, root: Path) -> list[str]:
    _duckdb_file(root / "warehouse.duckdb")
    return ["voucher", "--into", "sqlite:warehouse.duckdb"]


def sqlite_file_as_duckdb(cli: Cli, root: Path) -> list[str]:
    pytest.importorskip("duckdb")
    _sqlite_file(root / "exports.db")
    return ["voucher", "--into", "duckdb:exports.db"]


def table_of_another_object_sqlite(cli: Cli, root: Path) -> list[str]:
    _loaded(cli, "sqlite", root / "w.db", "customer", "things")
    return ["voucher", "--into", "sqlite:w.db#things"]


def table_of_another_object_duckdb(cli: Cli, root: Path) -> list[str]:
    _loaded(cli, "duckdb", root / "w.duckdb", "customer", "things")
    return ["voucher", "--into", "duckdb:w.duckdb#things"]


def users_table_sqlite(cli: Cli, root: Path) -> list[str]:
    _sqlite_file(root / "w.db", "CREATE TABLE voucher (code TEXT)")
    return ["voucher", "--into", "sqlite:w.db"]


def users_table_duckdb(cli: Cli, root: Path) -> list[str]:
    duckdb = pytest.importorskip("duckdb")
    conn = duckdb.connect(str(root / "w.duckdb"))
    conn.execute("CREATE TABLE Voucher (code VARCHAR)")
    conn.close()
    return ["voucher", "--into", "duckdb:w.duckdb"]


def another_key(cli: Cli, root: Path) -> list[str]:
    _loaded(cli, "sqlite", root / "w.db", "voucher", "voucher", "id", "code")  # merged on id
    return ["voucher", "--into", "sqlite:w.db"]  # the default fields: code, no id


def reserved_table(cli: Cli, root: Path) -> list[str]:
    return ["voucher", "--into", "sqlite:w.db#_exportctl_tables"]


def reserved_table_duckdb(cli: Cli, root: Path) -> list[str]:
    pytest.importorskip("duckdb")
    return ["voucher", "--into", "duckdb:w.duckdb#sqlite_master"]


def dangling_link(cli: Cli, root: Path) -> list[str]:
    (root / "w.db").symlink_to(root / "gone" / "w.db")
    return ["voucher", "--into", "sqlite:w.db"]


def dangling_link_duckdb(cli: Cli, root: Path) -> list[str]:
    pytest.importorskip("duckdb")
    (root / "w.duckdb").symlink_to(root / "nowhere.duckdb")
    return ["voucher", "--into", "duckdb:w.duckdb"]


CASES: dict[str, tuple[Case, str]] = {
    "duckdb file as sqlite": (duckdb_file_as_sqlite, "is not an SQLite database"),
    "sqlite file as duckdb": (sqlite_file_as_duckdb, "is not a DuckDB database"),
    "table of another object (sqlite)": (table_of_another_object_sqlite, "holds customer exports, not voucher"),
    "table of another object (duckdb)": (table_of_another_object_duckdb, "holds customer exports, not voucher"),
    "the user's table (sqlite)": (users_table_sqlite, "exists and was not made by exportctl"),
    "the user's table (duckdb)": (users_table_duckdb, "exists and was not made by exportctl"),
    "merged on another key": (another_key, "merges voucher rows on id"),
    "reserved table name": (reserved_table, "is reserved"),
    "reserved table name (duckdb)": (reserved_table_duckdb, "is reserved"),
    "dangling symbolic link": (dangling_link, "symbolic link"),
    "dangling symbolic link (duckdb)": (dangling_link_duckdb, "symbolic link"),
}


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
@pytest.mark.parametrize("name", list(CASES))
def test_a_target_that_cannot_take_the_load_is_refused_before_submitting(
    cli: Cli, isolated: Path, name: str, dry_run: bool
) -> None:
    make, message = CASES[name]
    argv = make(cli, isolated)
    before_exports, before_files = cli.export_count(), _snapshot(isolated)

    result = cli(*argv, *(["--dry-run"] if dry_run else []))

    assert result.exit_code == ExitCode.USAGE, result.output
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert cli.export_count() == before_exports  # no POST /v1/exports
    assert _snapshot(isolated) == before_files  # nothing written, no lock file


@pytest.mark.parametrize("name", ["duckdb file as sqlite", "the user's table (sqlite)", "dangling symbolic link"])
def test_the_run_and_the_dry_run_refuse_with_the_same_json_document(cli: Cli, isolated: Path, name: str) -> None:
    make, message = CASES[name]
    argv = make(cli, isolated)

    run = cli(*argv, "--json")
    dry = cli(*argv, "--json", "--dry-run")

    assert run.exit_code == dry.exit_code == ExitCode.USAGE
    documents = [json.loads(run.stdout), json.loads(dry.stdout)]
    assert (documents[0]["error"], documents[0]["hint"]) == (documents[1]["error"], documents[1]["hint"])
    assert message in documents[0]["error"]
    assert documents[0]["exit_code"] == ExitCode.USAGE


@pytest.mark.parametrize("name", ["duckdb file as sqlite", "table of another object (sqlite)", "reserved table name"])
def test_the_library_refuses_before_submitting_too(
    cli: Cli, isolated: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    import exportctl

    make, message = CASES[name]
    argv = make(cli, isolated)
    into = argv[argv.index("--into") + 1]
    monkeypatch.setenv("VOUCHERIFY_APP_ID", cli.sandbox.app_id)
    monkeypatch.setenv("VOUCHERIFY_APP_TOKEN", cli.sandbox.secret_key)
    monkeypatch.setenv("VOUCHERIFY_API_BASE_URL", cli.sandbox.base_url)
    before = cli.export_count()

    with pytest.raises(exportctl.UsageError, match=message):
        exportctl.plan("voucher", into=into)
    with pytest.raises(exportctl.UsageError, match=message):
        exportctl.export("voucher", into=into)
    assert cli.export_count() == before


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
def test_a_run_file_entry_into_a_file_of_the_other_engine_is_refused_before_any_export(
    cli: Cli, isolated: Path, dry_run: bool
) -> None:
    _duckdb_file(isolated / "warehouse.duckdb")
    (isolated / "nightly.yaml").write_text(
        "exports:\n"
        "  - name: vouchers\n    object: voucher\n    into: duckdb:warehouse.duckdb\n"
        "  - name: orders\n    object: order\n    into: sqlite:warehouse.duckdb\n",
        encoding="utf-8",
    )
    before_exports, before_files = cli.export_count(), _snapshot(isolated)

    result = cli("run", "nightly.yaml", *(["--dry-run"] if dry_run else []))

    assert result.exit_code == ExitCode.USAGE, (result.stdout, result.stderr)
    assert "nightly.yaml:5: orders: " in result.stderr and "is not an SQLite database" in result.stderr, result.stderr
    assert cli.export_count() == before_exports  # not even the good first entry was submitted
    assert sorted(_snapshot(isolated)) == sorted(before_files)
    assert _snapshot(isolated) == before_files
