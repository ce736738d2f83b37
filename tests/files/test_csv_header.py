"""Header styles: titles back to field names, streamed through the first line only."""

from __future__ import annotations

from exportctl.files.csv import rewrite_first_line
from exportctl.files.csv_header import header_rewriter, rename_header_line
from exportctl.schema import BY_COMMAND


def test_requested_fields_map_back_including_prefixed_ones() -> None:
    rewrite = header_rewriter(BY_COMMAND["voucher"], ("code", "voucher_type", "metadata.region"), "fields")
    assert rewrite is not None
    assert rewrite(b"Code,Voucher Type,Metadata Region\r\n") == b"code,voucher_type,metadata.region\r\n"


def test_without_fields_the_defaults_and_api_only_fields_map_back_in_the_apis_order() -> None:
    rewrite = header_rewriter(BY_COMMAND["gift-card-transactions"], None, "fields")
    assert rewrite is not None
    assert rewrite(b"ID,Type,Source ID,Status,Created At\n") == b"id,type,source_id,status,created_at\n"


def test_api_style_keeps_the_header_and_unknown_titles_stay_as_written() -> None:
    assert header_rewriter(BY_COMMAND["order"], None, "api") is None
    assert header_rewriter(BY_COMMAND["order"], None, None) is None
    assert rename_header_line(b'ID,"Odd, Title"\r\n', {"ID": "id"}) == b'id,"Odd, Title"\r\n'


def test_the_first_line_is_rewritten_across_chunk_boundaries_and_the_rest_untouched() -> None:
    chunks = [b"Co", b"de,Val", b"ue\r\nA,1\r\n", b"B,2\r\n"]
    rewritten = b"".join(rewrite_first_line(chunks, lambda line: line.lower()))
    assert rewritten == b"code,value\r\nA,1\r\nB,2\r\n"
    assert b"".join(rewrite_first_line([b"Only,Header"], lambda line: line.lower())) == b"only,header"


def test_a_header_cell_with_a_line_break_is_rewritten_whole_and_adds_no_record() -> None:
    """A metadata key `ship\\nto` is a quoted header cell over two lines: the header row ends at the newline
    outside the quotes, wherever the chunks are cut."""
    voucher = BY_COMMAND["voucher"]
    rewrite = header_rewriter(voucher, ("code", "voucher_type"), "fields")
    assert rewrite is not None
    data = b'Code,"ship\r\nto","a ""q"", b",Voucher Type\r\nX,1,2,GIFT_VOUCHER\r\n'
    expected = b'code,"ship\r\nto","a ""q"", b",voucher_type\r\nX,1,2,GIFT_VOUCHER\r\n'
    for cut in range(1, len(data)):
        chunks = [data[:cut], data[cut:]]
        assert b"".join(rewrite_first_line(chunks, rewrite)) == expected, cut
    bom = b"\xef\xbb\xbf" + data
    assert b"".join(rewrite_first_line([bom], rewrite)) == expected
