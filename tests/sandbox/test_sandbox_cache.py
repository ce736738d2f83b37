"""The embedded sandbox's database cache: one entry per generator version, seed, scale and day, made safely."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox
from exportctl.sandbox.cache import cache_dir, cached_database, embedded_database, entry_name
from exportctl.sandbox.store import GENERATOR_VERSION

SCALE = 0.02
DAY = date(2026, 11, 1)


def _voucher_codes(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT code FROM vouchers ORDER BY code")]
    finally:
        conn.close()


@pytest.fixture
def cache_env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "cache")}


def test_an_entry_is_made_once_and_named_by_what_made_it(cache_env: dict[str, str]) -> None:
    first = cached_database(42, SCALE, DAY, cache_env)
    assert first is not None and first.parent == cache_dir(cache_env)
    assert first.name == entry_name(42, SCALE, DAY)
    assert f"v{GENERATOR_VERSION}-seed42-scale{SCALE!r}-2026-11-01" in first.name
    made = first.stat().st_mtime_ns
    again = cached_database(42, SCALE, DAY, cache_env)
    assert again == first and first.stat().st_mtime_ns == made  # reused, not generated again
    # Nothing but the entry is left in the directory: no temporary file, no journal.
    assert [p.name for p in first.parent.iterdir()] == [first.name]


def test_a_damaged_entry_is_made_again_and_a_new_day_replaces_the_old(cache_env: dict[str, str]) -> None:
    entry = cached_database(42, SCALE, DAY, cache_env)
    assert entry is not None
    codes = _voucher_codes(entry)
    entry.write_bytes(b"not a database")
    again = cached_database(42, SCALE, DAY, cache_env)
    assert again == entry and _voucher_codes(entry) == codes
    later = cached_database(42, SCALE, date(2026, 11, 2), cache_env)
    assert later is not None
    assert [p.name for p in entry.parent.iterdir()] == [later.name]


def test_a_relative_cache_home_is_ignored(tmp_path: Path) -> None:
    assert cache_dir({"XDG_CACHE_HOME": "relative/dir"}) == Path.home() / ".cache" / "exportctl" / "sandbox"


def test_without_a_usable_cache_the_run_generates_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert cached_database(42, SCALE, DAY) is None
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    db = embedded_database(run_dir, 42, SCALE, DAY)
    with Sandbox(seed=42, scale=SCALE, as_of=DAY, db_path=db, data_dir=run_dir / "exports") as running:
        assert running.store.counts()["voucher"] > 0


def test_a_copy_of_the_entry_holds_the_same_data_as_a_fresh_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    db = embedded_database(run_dir, 42, SCALE, DAY)
    with Sandbox(seed=42, scale=SCALE, as_of=DAY, db_path=db, data_dir=run_dir / "exports") as copied:
        assert copied.store.reused  # served from the copy, not generated
    fresh = tmp_path / "fresh.sqlite3"
    with Sandbox(seed=42, scale=SCALE, as_of=DAY, db_path=fresh, data_dir=tmp_path / "exports"):
        pass
    assert _voucher_codes(db) == _voucher_codes(fresh)
