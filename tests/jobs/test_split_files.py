"""jobs/split_files.py: the names beside a split's target, and the check that its parts' place is free."""

from __future__ import annotations

from pathlib import Path

import pytest

from exportctl.errors import UsageError
from exportctl.jobs.split_files import check_parts_place, manifest_path, parts_dir


def test_the_names_sit_beside_the_target() -> None:
    target = Path("out") / "orders.csv"
    assert parts_dir(target) == Path("out") / "orders.csv.parts"
    assert manifest_path(target) == Path("out") / "orders.csv.manifest.json"


def test_a_missing_or_existing_directory_is_the_place(tmp_path: Path) -> None:
    check_parts_place(tmp_path / "a.csv")
    (tmp_path / "b.csv.parts").mkdir()
    check_parts_place(tmp_path / "b.csv")


@pytest.mark.parametrize("taken", ["file", "link to a directory", "dangling link"])
def test_anything_else_is_refused_naming_it(tmp_path: Path, taken: str) -> None:
    parts = tmp_path / "c.csv.parts"
    if taken == "file":
        parts.write_text("x", encoding="utf-8")
    elif taken == "link to a directory":
        (tmp_path / "d").mkdir()
        parts.symlink_to(tmp_path / "d")
    else:
        parts.symlink_to(tmp_path / "nowhere")
    with pytest.raises(UsageError, match="exists and is not a directory") as raised:
        check_parts_place(tmp_path / "c.csv")
    assert str(parts) in raised.value.message and raised.value.hint is not None
