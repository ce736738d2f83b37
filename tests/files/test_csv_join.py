"""The join of split windows' parts: same headers byte for byte, different headers by column name."""

from __future__ import annotations

from pathlib import Path

import pytest

from exportctl.errors import DownloadError
from exportctl.jobs.split import join_parts


def _parts(tmp_path: Path, *texts: str) -> list[Path]:
    paths = []
    for index, text in enumerate(texts):
        path = tmp_path / f"{index}.csv"
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def test_parts_with_one_header_row_are_joined_byte_for_byte(tmp_path: Path) -> None:
    parts = _parts(tmp_path, 'Code,a\r\nX,"1, ""q"""\r\n', "", "Code,a\r\nY,2")
    joined = join_parts(parts, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == b'Code,a\r\nX,"1, ""q"""\r\nY,2\r\n'
    assert joined.rows == 2


def test_parts_with_other_columns_are_joined_into_the_union_by_name(tmp_path: Path) -> None:
    parts = _parts(
        tmp_path,
        "Code,batch,Creation Date\r\nA,b1,2024\r\n",
        "Code,region,batch,Creation Date\r\nB,eu,b2,2025\r\n",
        'Code,x,x\r\nC,"line\nbreak",second\r\n',
    )
    joined = join_parts(parts, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes().decode("utf-8") == (
        'Code,batch,Creation Date,region,x,x\r\nA,b1,2024,,,\r\nB,b2,2025,eu,,\r\nC,,,,"line\nbreak",second\r\n'
    )
    assert joined.rows == 3


def test_a_record_longer_than_its_header_row_fails_the_join_and_writes_nothing(tmp_path: Path) -> None:
    parts = _parts(tmp_path, "Code,a\r\nA,1\r\n", "Code,b\r\nB,2,extra\r\n")
    with pytest.raises(DownloadError, match="3 cells but the header row names 2 columns"):
        join_parts(parts, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_the_first_window_with_records_leads_the_column_order(tmp_path: Path) -> None:
    parts = _parts(tmp_path, "Code,Creation Date\r\n", "Code,batch,Creation Date\r\nA,b1,2024\r\n", "Code,x\r\nB,1\r\n")
    join_parts(parts, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == b"Code,batch,Creation Date,x\r\nA,b1,2024,\r\nB,,,1\r\n"


def test_a_header_cell_with_a_line_break_is_one_header_row_in_both_joins(tmp_path: Path) -> None:
    same = _parts(tmp_path, 'Code,"ship\r\nto"\r\nX,1\r\n', 'Code,"ship\r\nto"\r\nY,2\r\n')
    join_parts(same, tmp_path / "same.csv")
    assert (tmp_path / "same.csv").read_bytes() == b'Code,"ship\r\nto"\r\nX,1\r\nY,2\r\n'
    other = tmp_path / "other"
    other.mkdir()
    union = _parts(other, 'Code,"ship\r\nto"\r\nX,1\r\n', 'Code,"ship\nto"\r\nY,2\r\n')
    joined = join_parts(union, tmp_path / "union.csv")
    assert (tmp_path / "union.csv").read_bytes() == b'Code,"ship\r\nto","ship\nto"\r\nX,1,\r\nY,,2\r\n'
    assert joined.rows == 2
