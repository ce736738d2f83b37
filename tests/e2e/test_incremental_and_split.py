"""Header styles, incremental and split exports, end to end: the real CLI against a sandbox over HTTP.

Tests that change the data (added records, a created_at moved onto a boundary) start their own sandbox.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from exportctl.errors import ExitCode
from exportctl.jobs.watermarks import StateLock
from exportctl.request.values import iso_ms
from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli
from tests.conftest import start_sandbox


@pytest.fixture
def own(tmp_path: Path) -> Iterator[Cli]:
    """A CLI against a sandbox of its own, whose data the test may change."""
    with start_sandbox(db_path=tmp_path / "own.sqlite3", data_dir=tmp_path / "own-exports") as running:
        yield Cli(running)


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def _set_created(sandbox: Sandbox, table: str, record_id: str, created: str) -> None:
    conn = sandbox.store.connect()
    try:
        conn.execute(f"UPDATE {table} SET created_at = ? WHERE id = ?", (created, record_id))
        conn.commit()
    finally:
        conn.close()


def _month_start(moment: dt.datetime, back: int) -> dt.datetime:
    month = moment.year * 12 + moment.month - 1 - back
    return dt.datetime(month // 12, month % 12 + 1, 1, tzinfo=dt.timezone.utc)


# --- headers -------------------------------------------------------------------------------------


def test_headers_fields_writes_the_field_names_and_the_summary_describes_the_saved_file(
    cli: Cli, isolated: Path
) -> None:
    result = cli("voucher", "--fields", "code,voucher_type", "--headers", "fields", "-o", "v.csv", "--json")
    assert result.exit_code == 0, result.output
    saved = (isolated / "v.csv").read_bytes()
    assert saved.splitlines()[0] == b"code,voucher_type"
    summary = json.loads(result.stdout)
    assert summary["sha256"] == hashlib.sha256(saved).hexdigest()
    assert summary["bytes"] == len(saved)
    api = cli("voucher", "--fields", "code,voucher_type", "-o", "-")
    assert api.stdout.encode().splitlines()[1:] == saved.splitlines()[1:]


def test_headers_fields_without_fields_names_the_defaults_and_config_key_works(cli: Cli, isolated: Path) -> None:
    (isolated / "o.yaml").write_text("headers: fields\noutput: '-'\n")
    result = cli("order", "--config", "o.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "id,source_id,status"


# --- validation: offline, before credentials -------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["points-expiration", "--since-last", "s.json"], "points-expiration exports have none"),
        (["order", "--split-by", "hour", "--since", "2024-01-01"], "Valid values: day, week, month"),
        (["order", "--split-by", "day"], "--split-by needs --since"),
        (["order", "--since", "2024-02-01", "--until", "2024-01-01"], "must be before --until"),
        (["order", "--since-last", "s.json", "--filter", "created_at>2024-01-01"], "remove your created_at filter"),
        (["order", "--since-last", "s.json", "-o", "-"], "needs a file target"),
        (["order", "--since-last", "s.json", "-o", "/dev/stdout"], "needs a file target"),
        (["order", "--since-last", "s.json", "-o", "/dev/fd/1"], "needs a file target"),
        (["order", "--since-last", "s.json", "--until", "2024-01-01"], "--until cannot be combined"),
        (["order", "--split-by", "day", "--since", "2024-01-01", "-o", "x-{id}.csv"], "joins several"),
        (["order", "--parallel", "3"], "give --split-by"),
        (["order", "--since", "tomorrow"], "'tomorrow' is not a date"),
    ],
)
def test_bad_combinations_exit_2_before_credentials(cli: Cli, args: list[str], message: str) -> None:
    result = cli(*args, credentials=False)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert message in " ".join(result.stderr.split())


# --- incremental ---------------------------------------------------------------------------------


def test_incremental_runs_export_exactly_the_new_records_and_a_failed_run_moves_nothing(
    own: Cli, isolated: Path
) -> None:
    state = isolated / "state.json"
    args = ("customer", "--fields", "id,created_at", "--since-last", str(state), "--json")
    first = own(*args, "-o", "first.csv")
    assert first.exit_code == 0, first.output
    everyone = {row[0] for row in _rows(isolated / "first.csv")[1:]}
    assert len(everyone) == own.sandbox.store.counts()["customer"]
    watermark = json.loads(first.stdout)["watermark"]
    assert json.loads(first.stdout)["previous_watermark"] is None

    added = set(own.sandbox.store.add_records("customer", 3))
    own.sandbox.faults.fail_next_job()
    failed = own(*args, "-o", "failed.csv")
    assert failed.exit_code == ExitCode.EXPORT_FAILED, failed.output
    assert not (isolated / "failed.csv").exists()
    assert next(iter(json.loads(state.read_text())["exports"].values()))["watermark"] == watermark

    second = own(*args, "-o", "second.csv")
    assert second.exit_code == 0, second.output
    assert {row[0] for row in _rows(isolated / "second.csv")[1:]} == added
    summary = json.loads(second.stdout)
    assert summary["previous_watermark"] == watermark == summary["since"]
    assert summary["until"] == summary["watermark"] > watermark


def test_a_record_created_exactly_at_the_watermark_is_exported_once(own: Cli, isolated: Path) -> None:
    state = isolated / "state.json"
    args = ("customer", "--fields", "id", "--since-last", str(state), "--state-key", "crm", "--json")
    first = own(*args, "-o", "first.csv")
    assert first.exit_code == 0, first.output
    watermark = json.loads(first.stdout)["watermark"]
    assert list(json.loads(state.read_text())["exports"]) == ["crm"]
    at_boundary, just_before = (row[0] for row in _rows(isolated / "first.csv")[1:3])
    _set_created(own.sandbox, "customers", at_boundary, watermark)
    before = dt.datetime.fromisoformat(watermark.replace("Z", "+00:00")) - dt.timedelta(milliseconds=1)
    _set_created(own.sandbox, "customers", just_before, iso_ms(before))

    second = own(*args, "-o", "second.csv")
    assert second.exit_code == 0, second.output
    assert [row[0] for row in _rows(isolated / "second.csv")[1:]] == [at_boundary]


def test_an_overlapping_run_exits_8_naming_the_lock_and_creates_no_export(cli: Cli, isolated: Path) -> None:
    state = isolated / "state.json"
    before = cli.export_count()
    with StateLock(state):
        result = cli("order", "--since-last", str(state))
    assert result.exit_code == 8 == ExitCode.LOCKED.value, result.output
    assert "state.json.lock" in result.stderr
    assert cli.export_count() == before
    assert not state.exists()


# --- split ---------------------------------------------------------------------------------------


def test_split_joins_windows_into_the_same_csv_as_one_export_with_boundary_records_once(
    own: Cli, isolated: Path
) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    since, middle, until = _month_start(now, 3), _month_start(now, 2), _month_start(now, 0)
    order_ids = [row[0] for row in own.sandbox.store.rows("SELECT id FROM orders ORDER BY rowid LIMIT 2")]
    _set_created(own.sandbox, "orders", order_ids[0], iso_ms(middle))
    _set_created(own.sandbox, "orders", order_ids[1], iso_ms(middle - dt.timedelta(milliseconds=1)))
    common: tuple[str, ...] = (
        "order",
        "--fields",
        "id,created_at,amount",
        "--order",
        "created_at",
        "--since",
        iso_ms(since),
    )
    common += ("--until", iso_ms(until), "--headers", "fields", "--json")

    split = own(*common, "--split-by", "month", "--parallel", "3", "-o", "split.csv")
    assert split.exit_code == 0, split.output
    single = own(*common, "-o", "single.csv")
    assert single.exit_code == 0, single.output

    joined, whole = _rows(isolated / "split.csv"), _rows(isolated / "single.csv")
    assert joined == whole
    assert joined[0] == ["id", "created_at", "amount"]
    ids = [row[0] for row in joined[1:]]
    assert ids.count(order_ids[0]) == 1 and ids.count(order_ids[1]) == 1
    summary = json.loads(split.stdout)
    assert [w["since"] for w in summary["windows"]] == [iso_ms(_month_start(now, n)) for n in (3, 2, 1)]
    assert sum(w["rows"] for w in summary["windows"]) == summary["rows"] == len(joined) - 1
    assert summary["sha256"] == hashlib.sha256((isolated / "split.csv").read_bytes()).hexdigest()
    assert summary["export_id"] is None and summary["split_by"] == "month"
    # Parts and manifest are gone after the join.
    assert sorted(p.name for p in isolated.iterdir()) == ["single.csv", "split.csv"]


def test_an_interrupted_split_resumes_with_only_the_missing_window(cli: Cli, isolated: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    args: tuple[str, ...] = ("voucher", "--fields", "code,created_at", "--order", "created_at", "-o", "v.csv", "--json")
    args += ("--split-by", "month", "--since", iso_ms(_month_start(now, 6)), "--until", iso_ms(_month_start(now, 3)))
    before = cli.export_count()
    cli.sandbox.faults.fail_next_job()
    failed = cli(*args, "--parallel", "3")
    assert failed.exit_code == ExitCode.EXPORT_FAILED, failed.output
    assert "2 of 3 windows are saved" in " ".join(failed.stderr.split())
    assert not (isolated / "v.csv").exists()
    manifest = json.loads((isolated / "v.csv.manifest.json").read_text())
    assert sorted(w["status"] for w in manifest["windows"]) == ["failed", "saved", "saved"]
    assert all(w["export_id"] for w in manifest["windows"])
    assert len(list((isolated / "v.csv.parts").glob("*.csv"))) == 2
    assert cli.export_count() == before + 3

    resumed = cli(*args)
    assert resumed.exit_code == 0, resumed.output
    assert cli.export_count() == before + 4  # only the failed window was exported again
    assert [w["reused"] for w in json.loads(resumed.stdout)["windows"]].count(False) == 1
    assert not (isolated / "v.csv.manifest.json").exists() and not (isolated / "v.csv.parts").exists()

    single = cli(
        *args[:-7], "-o", "-", "--since", iso_ms(_month_start(now, 6)), "--until", iso_ms(_month_start(now, 3))
    )
    assert single.exit_code == 0, single.output
    assert _rows(isolated / "v.csv") == list(csv.reader(io.StringIO(single.stdout)))


def test_a_changed_request_discards_the_manifest_and_its_parts(cli: Cli, isolated: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    window = ("--split-by", "month", "--since", iso_ms(_month_start(now, 5)), "--until", iso_ms(_month_start(now, 3)))
    cli.sandbox.faults.fail_next_job()
    failed = cli("voucher", "--fields", "code", *window, "--parallel", "2", "-o", "v.csv")
    assert failed.exit_code == ExitCode.EXPORT_FAILED
    assert len(list((isolated / "v.csv.parts").glob("*.csv"))) == 1  # one window of the first request saved
    before = cli.export_count()

    result = cli("voucher", "--fields", "code,value", *window, "-o", "v.csv", "--json")
    assert result.exit_code == 0, result.output
    assert cli.export_count() == before + 2
    assert not any(w["reused"] for w in json.loads(result.stdout)["windows"])
    assert {len(row) for row in _rows(isolated / "v.csv")} == {2}


def test_split_to_stdout_streams_the_joined_csv_once_every_window_is_saved(cli: Cli) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    args: tuple[str, ...] = (
        "order",
        "--fields",
        "id",
        "--order",
        "created_at",
        "--since",
        iso_ms(_month_start(now, 4)),
    )
    args += ("--until", iso_ms(_month_start(now, 2)), "-o", "-")
    split = cli(*args, "--split-by", "month")
    assert split.exit_code == 0, split.output
    single = cli(*args)
    assert split.stdout == single.stdout
    assert split.stdout.splitlines().count("ID") == 1


def _split_args(now: dt.datetime, *extra: str) -> tuple[str, ...]:
    window = ("--split-by", "month", "--since", iso_ms(_month_start(now, 5)), "--until", iso_ms(_month_start(now, 3)))
    return ("voucher", "--fields", "code", *window, "-o", "v.csv", *extra)


def test_a_split_leaves_the_users_files_in_its_parts_directory(cli: Cli, isolated: Path) -> None:
    """Before: the join removed TARGET.parts/ with everything in it, the user's notes included."""
    now = dt.datetime.now(dt.timezone.utc)
    parts = isolated / "v.csv.parts"
    parts.mkdir()
    (parts / "notes.txt").write_text("mine")
    (parts / "20200101T000000000Z-20200201T000000000Z.csv").write_text("also mine, named like a part\n")
    result = cli(*_split_args(now))
    assert result.exit_code == 0, result.output
    assert _rows(isolated / "v.csv")[0] == ["Code"]
    # Only the user's files are left; the windows' parts and the manifest are gone.
    assert sorted(p.name for p in parts.iterdir()) == ["20200101T000000000Z-20200201T000000000Z.csv", "notes.txt"]
    assert (parts / "notes.txt").read_text() == "mine"
    assert not (isolated / "v.csv.manifest.json").exists()


def test_a_changed_request_removes_only_the_parts_its_manifest_lists(cli: Cli, isolated: Path) -> None:
    """Before: a manifest of another request made the split remove the whole TARGET.parts/ directory."""
    now = dt.datetime.now(dt.timezone.utc)
    cli.sandbox.faults.fail_next_job()
    failed = cli(*_split_args(now, "--parallel", "2"))
    assert failed.exit_code == ExitCode.EXPORT_FAILED, failed.output
    parts = isolated / "v.csv.parts"
    (parts / "notes.txt").write_text("mine")
    changed = ("--fields", "code,value", *_split_args(now)[3:])
    result = cli("voucher", *changed)
    assert result.exit_code == 0, result.output
    assert [p.name for p in parts.iterdir()] == ["notes.txt"]


def test_a_file_of_the_users_named_like_a_part_is_refused_not_overwritten(cli: Cli, isolated: Path) -> None:
    """Before: the window's download replaced it (force), then the join removed it."""
    now = dt.datetime.now(dt.timezone.utc)
    parts = isolated / "v.csv.parts"
    parts.mkdir()
    first = _month_start(now, 5).strftime("%Y%m%dT%H%M%S000Z")
    second = _month_start(now, 4).strftime("%Y%m%dT%H%M%S000Z")
    mine = parts / f"{first}-{second}.csv"
    mine.write_text("my,own\n1,2\n")
    before = cli.export_count()
    result = cli(*_split_args(now))
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "was not written by it" in " ".join(result.stderr.split())
    assert mine.read_text() == "my,own\n1,2\n"
    assert cli.export_count() == before  # refused before anything was submitted
    assert not (isolated / "v.csv").exists()
