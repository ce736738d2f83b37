"""The row filter a kind's transactions command streams its CSV through."""

from __future__ import annotations

import pytest

from exportctl.errors import DownloadError, ExportFailedError
from exportctl.files.csv_rows import keep_rows

CSV = (
    b"ID,Type,Details\r\n"
    b'1,CREDITS_ADDITION,"{""a"": ""x\r\ny""}"\r\n'
    b"2,POINTS_ACCRUAL,\r\n"
    b'3,"CREDITS_REFUND",plain\r\n'
    b'4,POINTS_REFUND,"POINTS\nCREDITS_ADDITION"\r\n'
    b"5,CREDITS_REDEMPTION,last"
)
KEPT = (
    b"ID,Type,Details\r\n"
    b'1,CREDITS_ADDITION,"{""a"": ""x\r\ny""}"\r\n'
    b'3,"CREDITS_REFUND",plain\r\n'
    b"5,CREDITS_REDEMPTION,last"
)


@pytest.mark.parametrize("size", [1, 2, 7, 64, len(CSV)])
def test_only_the_kinds_records_pass_byte_for_byte_whatever_the_chunks(size: int) -> None:
    kept = keep_rows(("Type", "type"), ["CREDITS_ADDITION", "CREDITS_REFUND", "CREDITS_REDEMPTION"])
    chunks = [CSV[i : i + size] for i in range(0, len(CSV), size)]
    assert b"".join(kept(chunks)) == KEPT


def test_a_csv_without_the_column_or_ending_inside_quotes_is_an_error() -> None:
    kept = keep_rows(("Type", "type"), ["CREDITS_ADDITION"])
    with pytest.raises(ExportFailedError, match="no Type column"):
        b"".join(kept([b"ID,Amount\r\n1,2\r\n"]))
    with pytest.raises(DownloadError, match="ends inside a quoted value"):
        b"".join(kept([b'ID,Type\r\n1,"CREDITS_ADDITION\r\n']))


def test_the_type_column_is_found_by_its_title_in_another_case_or_punctuation_if_only_one_cell_has_it() -> None:
    kept = keep_rows(("Type", "type"), ["CREDITS_ADDITION"])
    assert b"".join(kept([b"ID,TYPE:\r\n1,CREDITS_ADDITION\r\n2,POINTS_ACCRUAL\r\n"])) == (
        b"ID,TYPE:\r\n1,CREDITS_ADDITION\r\n"
    )
    with pytest.raises(ExportFailedError, match="no Type column"):  # two near misses: neither is taken
        b"".join(kept([b"ID,TYPE,type \r\n1,CREDITS_ADDITION,x\r\n"]))
