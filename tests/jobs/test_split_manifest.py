"""The split manifest's count after an interrupt: frozen, so the count said is the count on disk."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from exportctl.jobs.split_manifest import FAILED, SAVED, SUBMITTED, Manifest
from exportctl.request.windows import Window

UTC = dt.timezone.utc
WINDOWS = [Window(dt.datetime(2024, m, 1, tzinfo=UTC), dt.datetime(2024, m + 1, 1, tzinfo=UTC)) for m in (9, 10, 11)]


def statuses(path: Path) -> list[str]:
    return [entry["status"] for entry in json.loads(path.read_text())["windows"]]


def test_freeze_counts_the_saved_windows_and_ignores_later_records(tmp_path: Path) -> None:
    path = tmp_path / "t.csv.manifest.json"
    manifest = Manifest(path, "print", {}, WINDOWS)
    manifest.record(WINDOWS[0], status=SAVED, part="a.csv")
    manifest.record(WINDOWS[1], status=SUBMITTED, part="b.csv")
    manifest.record(WINDOWS[2], status=FAILED, part="c.csv")
    assert manifest.saved() == 1
    assert manifest.freeze() == 1
    # A window thread that finishes after the count was said changes nothing: a rerun fetches it again.
    manifest.record(WINDOWS[1], status=SAVED, sha256="x")
    assert statuses(path) == [SAVED, SUBMITTED, FAILED]
    assert manifest.saved() == 1


FIXTURES = Path(__file__).resolve().parent.parent / "data" / "state"


def test_a_manifest_written_before_the_store_is_taken_over(tmp_path: Path) -> None:
    import shutil

    from exportctl.jobs.split_manifest import part_name

    windows = [Window(dt.datetime(2024, m, 1, tzinfo=UTC), dt.datetime(2024, m + 1, 1, tzinfo=UTC)) for m in (1, 2)]
    path = tmp_path / "v.csv.manifest.json"
    shutil.copy(FIXTURES / "v.csv.manifest.json", path)
    manifest = Manifest(path, "f" * 64, {}, windows)
    manifest.load(tmp_path / "v.csv.parts")
    assert manifest.saved() == 1
    assert manifest.owns(tmp_path / "v.csv.parts" / part_name(windows[1]))


def _refused(path: Path) -> str:
    import pytest

    from exportctl.errors import UsageError

    with pytest.raises(UsageError) as caught:
        Manifest(path, "print", {}, WINDOWS).load(path.parent / "t.csv.parts")
    return caught.value.message


def test_a_link_a_directory_or_a_newer_manifest_is_refused_before_anything_is_submitted(tmp_path: Path) -> None:
    victim = tmp_path / "victim.json"
    victim.write_text('{"version": 1, "fingerprint": "print", "windows": []}')
    link = tmp_path / "t.csv.manifest.json"
    link.symlink_to(victim)
    assert "is a symbolic link" in _refused(link)
    link.unlink()
    link.mkdir()
    assert "is a directory, not a file" in _refused(link)
    link.rmdir()
    link.write_text('{"version": 9, "fingerprint": "print", "windows": []}')
    assert "written by a newer exportctl (format version 9" in _refused(link)
    assert victim.read_text() == '{"version": 1, "fingerprint": "print", "windows": []}'


def test_a_garbage_manifest_owns_nothing_and_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "t.csv.manifest.json"
    parts = tmp_path / "t.csv.parts"
    parts.mkdir()
    (parts / "20240901T000000000Z-20241001T000000000Z.csv").write_text("the user's\n")
    path.write_bytes(b"\x00 garbage [[[")
    manifest = Manifest(path, "print", {}, WINDOWS)
    manifest.load(parts)
    assert not manifest.owns(parts / "20240901T000000000Z-20241001T000000000Z.csv")
    manifest.record(WINDOWS[0], status=SUBMITTED, part="x.csv")
    assert statuses(path) == [SUBMITTED]
