"""files/csv.py: the digest of streamed CSV bytes, the header-row rewrite and the join of split windows' parts.

The join: parts with the same header row are copied byte for byte, parts with other columns are joined by
column name into the union. Hostile cells (quotes, line breaks, control characters, a header cell with a
line break) never shift a record or a row count.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exportctl.errors import DownloadError
from exportctl.files.csv import CsvDigest, digested, first_record_end, joined_rows, rewrite_first_line
from exportctl.jobs.split import join_parts


def _parts(tmp_path: Path, *texts: str) -> list[Path]:
    paths = []
    for index, text in enumerate(texts):
        path = tmp_path / f"{index}.csv"
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def _joined(paths: list[Path]) -> tuple[bytes, int]:
    """The joined bytes and the rows the digest counts in them."""
    digest = CsvDigest()
    data = b"".join(digested(joined_rows(paths, None), digest))
    assert digest.sha256 == hashlib.sha256(data).hexdigest()
    return data, digest.rows


def csv_rows(data: bytes) -> int:
    return len(list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))) - 1


# Row counting ---------------------------------------------------------------------------------------------

TRICKY = (
    b'ID,Note,Meta\r\n1,"two\r\nlines","{""a"":""x,y""}"\r\n'
    b'2,plain,""\r\n3,"quote "" and\nnewline",\r\n4,last,no-newline'
)


@pytest.mark.parametrize("data", [TRICKY, TRICKY + b"\r\n", b"Header\n", b"", b"H\nrow"])
def test_row_count_matches_the_csv_module_at_every_chunk_boundary(data: bytes) -> None:
    expected_rows = max(0, csv_rows(data))
    for cut in range(len(data) + 1):
        digest = CsvDigest()
        digest.update(data[:cut])
        digest.update(data[cut:])
        assert (digest.rows, digest.bytes) == (expected_rows, len(data)), cut
        assert digest.sha256 == hashlib.sha256(data).hexdigest()


def test_row_count_survives_one_byte_chunks_and_control_characters() -> None:
    data = b'ID,Note\r\n1,"\x1b[31m\r\n\x00""\r\n"\r\n2,"\x07"\r\n'
    digest = CsvDigest()
    for byte in data:
        digest.update(bytes([byte]))
    assert (digest.rows, digest.bytes) == (2, len(data))


def test_count_and_hash_fed_apart_describe_the_same_bytes() -> None:
    digest = CsvDigest()
    digest.count(b"H\nA\n")
    digest.hash(b"H\nA\n")
    digest.update(b"")  # an empty chunk changes nothing
    assert (digest.rows, digest.bytes, digest.sha256) == (1, 4, hashlib.sha256(b"H\nA\n").hexdigest())


def _rows_byte_by_byte(data: bytes) -> int:
    """The row count by definition: newlines outside double quotes, each quote toggling; a last record
    without a final newline counts too; the header row does not."""
    inside, newlines = False, 0
    for byte in data:
        if byte == ord('"'):
            inside = not inside
        elif byte == ord("\n") and not inside:
            newlines += 1
    return max(0, newlines + (1 if data[-1:] not in (b"", b"\n") else 0) - 1)


# Mostly letters (sparse quotes: the walk from quote to quote) or mostly quotes (dense: the reduction takes over
# after a chunk's budget of quoted values), with line breaks inside and outside quoted values.
_CSV_BYTES = st.one_of(
    st.lists(st.sampled_from([b"a", b"bc", b",", b"\r\n", b"\n", b'"', b'""']), max_size=3000).map(b"".join),
    st.lists(st.sampled_from([b"abcdefgh" * 40, b",", b"\n", b'"', b'x"\n"y', b'""']), max_size=400).map(b"".join),
    st.lists(st.sampled_from([b'"a",', b'"b\n",', b'"x""y",', b"\r\n", b'"']), min_size=100, max_size=2000).map(
        b"".join
    ),
)


@settings(max_examples=300, deadline=None)
@given(data=_CSV_BYTES, cuts=st.lists(st.integers(0, 40_000), max_size=6), as_bytearray=st.booleans())
def test_row_count_is_newlines_outside_quotes_however_dense_the_quotes_and_chunks(
    data: bytes, cuts: list[int], as_bytearray: bool
) -> None:
    points = sorted({0, len(data), *(cut for cut in cuts if cut < len(data))})
    digest = CsvDigest()
    for start, end in itertools.pairwise(points):
        digest.count(bytearray(data[start:end]) if as_bytearray else data[start:end])
    assert (digest.rows, digest.bytes) == (_rows_byte_by_byte(data), len(data))


# The header row ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "end"),
    [
        (b"a,b\nc", 3),
        (b'"a\nb",c\nd', 7),
        (b'"a""\nb"\n', 7),
        (b'"a\nb', -1),
        (b"no newline", -1),
        (b"", -1),
    ],
)
def test_first_record_end_is_the_first_newline_outside_quotes(data: bytes, end: int) -> None:
    assert first_record_end(data) == end


def test_the_first_line_is_rewritten_across_chunk_boundaries_and_the_rest_untouched() -> None:
    chunks = [b"Co", b"de,Val", b"ue\r\nA,1\r\n", b"B,2\r\n"]
    rewritten = b"".join(rewrite_first_line(chunks, lambda line: line.lower()))
    assert rewritten == b"code,value\r\nA,1\r\nB,2\r\n"
    assert b"".join(rewrite_first_line([b"Only,Header"], lambda line: line.lower())) == b"only,header"


def test_rewrite_sees_only_the_header_row_even_when_a_record_looks_like_one() -> None:
    seen: list[bytes] = []

    def header(line: bytes) -> bytes:
        seen.append(line)
        return b"X\n"

    data = [b'"Co\nde"\nCo\nde\n', b"Code\n"]
    assert b"".join(rewrite_first_line(data, header)) == b"X\nCo\nde\nCode\n"
    assert seen == [b'"Co\nde"\n']
    assert list(rewrite_first_line([], header)) == []  # nothing in, nothing out: no header invented


# The join ---------------------------------------------------------------------------------------------------


def test_parts_with_one_header_row_are_joined_byte_for_byte(tmp_path: Path) -> None:
    parts = _parts(tmp_path, 'Code,a\r\nX,"1, ""q"""\r\n', "", "Code,a\r\nY,2")
    assert _joined(parts) == (b'Code,a\r\nX,"1, ""q"""\r\nY,2\r\n', 2)


def test_a_part_without_a_final_newline_does_not_run_into_the_next(tmp_path: Path) -> None:
    parts = _parts(tmp_path, "Code\nA", "Code\nB\n")
    assert _joined(parts) == (b"Code\nA\nB\n", 2)


def test_the_header_callback_rewrites_the_joined_header_once(tmp_path: Path) -> None:
    same = _parts(tmp_path, "Code\nA\n", "Code\nB\n")
    assert b"".join(joined_rows(same, lambda line: line.lower())) == b"code\nA\nB\n"
    other = tmp_path / "other"
    other.mkdir()
    union = _parts(other, "Code\nA\n", "Code,X\nB,1\n")
    assert b"".join(joined_rows(union, lambda line: line.lower())) == b"code,x\nA,\nB,1\n"


def test_only_empty_parts_join_to_nothing(tmp_path: Path) -> None:
    assert _joined(_parts(tmp_path, "", "")) == (b"", 0)


def test_parts_with_other_columns_are_joined_into_the_union_by_name(tmp_path: Path) -> None:
    parts = _parts(
        tmp_path,
        "Code,batch,Creation Date\r\nA,b1,2024\r\n",
        "Code,region,batch,Creation Date\r\nB,eu,b2,2025\r\n",
        'Code,x,x\r\nC,"line\nbreak",second\r\n',
    )
    assert _joined(parts) == (
        b'Code,batch,Creation Date,region,x,x\r\nA,b1,2024,,,\r\nB,b2,2025,eu,,\r\nC,,,,"line\nbreak",second\r\n',
        3,
    )


def test_a_record_longer_than_its_header_row_is_refused_by_name_and_record(tmp_path: Path) -> None:
    parts = _parts(tmp_path, "Code,a\r\nA,1\r\n", "Code,b\r\nB,2,extra\r\n")
    with pytest.raises(DownloadError, match=r"^1\.csv: record 2 has 3 cells but the header row names 2 columns"):
        _joined(parts)


def test_a_failed_join_writes_nothing(tmp_path: Path) -> None:
    parts = _parts(tmp_path, "Code,a\r\nA,1\r\n", "Code,b\r\nB,2,extra\r\n")
    with pytest.raises(DownloadError, match="3 cells but the header row names 2 columns"):
        join_parts(parts, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_the_first_window_with_records_leads_the_column_order(tmp_path: Path) -> None:
    parts = _parts(tmp_path, "Code,Creation Date\r\n", "Code,batch,Creation Date\r\nA,b1,2024\r\n", "Code,x\r\nB,1\r\n")
    assert _joined(parts)[0] == b"Code,batch,Creation Date,x\r\nA,b1,2024,\r\nB,,,1\r\n"


def test_a_header_cell_with_a_line_break_is_one_header_row_in_both_joins(tmp_path: Path) -> None:
    same = _parts(tmp_path, 'Code,"ship\r\nto"\r\nX,1\r\n', 'Code,"ship\r\nto"\r\nY,2\r\n')
    assert _joined(same) == (b'Code,"ship\r\nto"\r\nX,1\r\nY,2\r\n', 2)
    other = tmp_path / "other"
    other.mkdir()
    union = _parts(other, 'Code,"ship\r\nto"\r\nX,1\r\n', 'Code,"ship\nto"\r\nY,2\r\n')
    assert _joined(union) == (b'Code,"ship\r\nto","ship\nto"\r\nX,1,\r\nY,,2\r\n', 2)


def test_the_union_keeps_the_first_parts_line_ending_and_quotes_a_lone_carriage_return(tmp_path: Path) -> None:
    parts = _parts(tmp_path, "Code\nA\n", 'Code,note\nB,"a\rb"\n')
    assert _joined(parts) == (b'Code,note\nA,\nB,"a\rb"\n', 2)


def test_a_bom_and_control_characters_in_header_names_are_joined_as_data(tmp_path: Path) -> None:
    parts = _parts(tmp_path, "\ufeffCode\nA\n", "Code,\x1b[2J\nB,\x07\n")
    data, rows = _joined(parts)
    assert data == b"Code,\x1b[2J\nA,\nB,\x07\n"
    assert rows == 2


def test_a_large_union_is_yielded_in_blocks_and_stays_whole(tmp_path: Path) -> None:
    many = "".join(f"B{i},{'x' * 100}\n" for i in range(12_000))  # > 1 MB: more than one block
    parts = _parts(tmp_path, "Code\nA\n", "Code,pad\n" + many)
    blocks = list(joined_rows(parts, None))
    assert len(blocks) > 2
    data = b"".join(blocks)
    assert data.startswith(b"Code,pad\nA,\nB0,") and data.endswith(b"B11999," + b"x" * 100 + b"\n")
    assert csv_rows(data) == 12_001
