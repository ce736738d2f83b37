"""Header styles: titles back to field names, streamed through the first line only."""

from __future__ import annotations

import re
from pathlib import Path

from exportctl.files.csv import rewrite_first_line
from exportctl.files.csv_header import header_rewriter, match_header, rename_header_line, title_key
from exportctl.schema import BY_COMMAND, EXPORT_OBJECTS


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


# Issue 20, "Titles to fields, tolerantly": the dashboard's labels and titles in another case or punctuation.
VOUCHER_REQUESTED = ("code", "is_referral_code", "validity_day_of_week", "discount_amount_limit", "created_at")


def test_every_objects_titles_names_and_aliases_are_one_field_each_without_case_and_punctuation() -> None:
    for obj in BY_COMMAND.values():
        owner: dict[str | None, str] = {}
        for found in (*obj.fields, *obj.api_only_fields):
            for text in (found.name, found.title, *found.aliases):
                key = title_key(text)
                assert key is not None, (obj.command, text)
                assert owner.setdefault(key, found.name) == found.name, (obj.command, text, owner[key])


def test_dashboard_labels_and_odd_case_and_punctuation_map_to_the_fields() -> None:
    rewrite = header_rewriter(BY_COMMAND["voucher"], (*VOUCHER_REQUESTED, "metadata"), "fields")
    assert rewrite is not None
    header = b"Voucher code,Is referral code?,VALIDITY-DAY-OF-WEEK,Discount Aggregated Amount Limit,creation  date\r\n"
    assert rewrite(header) == b"code,is_referral_code,validity_day_of_week,discount_amount_limit,created_at\r\n"
    cases = {
        "order": (None, b"ID,Order Source ID,status\n", b"id,source_id,status\n"),
        "redemption": (("id", "promotion_tier_id"), b"ID,Promotion Tier\n", b"id,promotion_tier_id\n"),
        "publication": (None, b"Voucher code,Customer_ID,date,CHANNEL\n", b"voucher_code,customer_id,date,channel\n"),
        "gift-card-transactions": (None, b"id,Type,Creation date\n", b"id,type,created_at\n"),
        "loyalty-card-transactions": (None, b"Creation date\n", b"created_at\n"),
    }
    for command, (fields, titles, names) in cases.items():
        rewrite = header_rewriter(BY_COMMAND[command], fields, "fields")
        assert rewrite is not None
        assert rewrite(titles) == names, command


def test_a_metadata_key_like_a_fields_title_neither_swallows_nor_is_swallowed() -> None:
    voucher = BY_COMMAND["voucher"]
    rewrite = header_rewriter(voucher, ("code", "metadata"), "fields")
    assert rewrite is not None
    # The field's own title names it wherever it stands; the key `code` stays a column, named as the typed
    # outputs name it, so the file read back has the same columns.
    assert rewrite(b"code,Code,CODE\r\n") == b"metadata.code,code,CODE\r\n"
    assert match_header(voucher, ["code", "Code", "CODE"], ("code", "metadata"), "api") == [None, "code", None]
    # Without the field's title, the first near miss is the field; the next is a column of its own.
    assert match_header(voucher, ["CODE", "code"], ("code", "metadata"), "api") == ["code", None]
    # A key spelled like a field that was not requested stays metadata, in any spelling.
    assert rewrite(b"Code,Value,value,is referral code\r\n") == b"code,Value,value,is referral code\r\n"


def test_hostile_titles_name_no_field_and_stay_as_written() -> None:
    voucher = BY_COMMAND["voucher"]
    fields = ("code", "is_referral_code", "metadata.a_b", "metadata.a-b")
    header = ["Is\x07referral code?", "Is referral\u200bcode?", "\uff29s referral code", "metadata A B", "?!", ""]
    # Control characters, a zero-width space and look-alike letters never match tolerantly; a title whose key
    # is two requested fields' (`metadata.a_b`, `metadata.a-b`) names neither; punctuation alone names nothing.
    assert match_header(voucher, header, fields, "api") == [None] * len(header)
    rewrite = header_rewriter(voucher, fields, "fields")
    assert rewrite is not None
    line = b'"Is\x07referral code?",metadata A B,Code,Metadata A B\r\n'
    assert rewrite(line) == b"Is\x07referral code?,metadata A B,code,metadata.a_b\r\n"


def test_the_docs_alias_table_is_every_alias_of_the_schema() -> None:
    text = (Path(__file__).parents[2] / "docs" / "sandbox.md").read_text(encoding="utf-8")
    table = text.split("<!-- aliases:start -->", 1)[1].split("<!-- aliases:end -->", 1)[0]
    documented = set(re.findall(r"^\| (\S+) \| `([^`]+)` \| (.+?) \|$", table, re.MULTILINE))
    given = {
        (obj.command, found.name, ", ".join(f"`{alias}`" for alias in found.aliases))
        for obj in EXPORT_OBJECTS
        for found in (*obj.fields, *obj.api_only_fields)
        if found.aliases
    }
    assert documented == given
