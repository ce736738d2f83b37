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
