"""The typed view of a CSV: kinds from the schema tables, strict cells, inferred metadata columns."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from exportctl.formats.types import UNPARSED, Column, Kind, columns_for, infer, parse, typed_row
from exportctl.schema import get_object

VOUCHER = get_object("voucher")


def test_titles_and_field_names_map_to_the_fields_kinds() -> None:
    columns = columns_for(VOUCHER, ["Code", "Redemption Limit", "Active", "Creation Date", "Value", "Metadata"])
    assert [(c.name, c.kind) for c in columns] == [
        ("code", Kind.STRING),
        ("redemption_quantity", Kind.INTEGER),
        ("active", Kind.BOOLEAN),
        ("created_at", Kind.TIMESTAMP),
        ("value", Kind.DOUBLE),
        ("metadata", Kind.JSON),
    ]
    names = ["code", "redemption_quantity"]
    assert [c.name for c in columns_for(VOUCHER, names, style="fields")] == names


def test_metadata_keys_and_unknown_titles_are_inferred_and_names_stay_unique() -> None:
    columns = columns_for(VOUCHER, ["Code", "locale", "code", "Code", UNPARSED])
    assert [(c.name, c.kind, c.field) for c in columns] == [
        ("code", Kind.STRING, "code"),
        ("locale", None, None),
        ("metadata.code", None, None),
        ("code_2", Kind.STRING, "code"),
        (f"{UNPARSED}_2", None, None),
    ]
    # With --headers fields, the same cells are names: `code` is the field, `Code` a metadata key (whose
    # name differs from `code` without regard to case, as SQL compares names).
    columns = columns_for(VOUCHER, ["code", "Code", "metadata.locale"], ["code", "metadata.locale"], style="fields")
    assert [(c.name, c.kind, c.field) for c in columns] == [
        ("code", Kind.STRING, "code"),
        ("metadata.Code", None, None),
        ("metadata.locale", None, "metadata.locale"),
    ]


def test_inference_takes_the_first_kind_every_value_fits() -> None:
    columns = [Column(n, n, None) for n in ("a", "b", "c", "d", "e", "f")]
    rows = [
        ["1", "1.0", "true", "2026-01-01T00:00:00.000Z", "x", ""],
        ["-2", "2.5", "false", "2026-01-02T10:00:00.123Z", "1", ""],
        ["", "", "", "", "", ""],
    ]
    kinds = [c.kind for c in infer(columns, rows)]
    assert kinds == [Kind.INTEGER, Kind.DOUBLE, Kind.BOOLEAN, Kind.TIMESTAMP, Kind.STRING, Kind.STRING]


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        (Kind.INTEGER, "42", 42),
        (Kind.INTEGER, "-9223372036854775808", -(2**63)),
        (Kind.DOUBLE, "200.00", 200.0),  # a schema number as the API writes it
        (Kind.DOUBLE, "0", 0.0),
        (Kind.BOOLEAN, "True", True),
        (Kind.TIMESTAMP, "2026-03-01T12:00:00.123000Z", datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=timezone.utc)),
        (Kind.TIMESTAMP, "2026-03-01T01:00:00+02:00", datetime(2026, 2, 28, 23, 0, tzinfo=timezone.utc)),
        (Kind.TIMESTAMP, "2026-03-01 12:00", datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)),
        (Kind.DATE, "2028-02-29", date(2028, 2, 29)),
        (Kind.JSON, '{"a": [1, true]}', {"a": [1, True]}),
    ],
)
def test_cells_that_fit(kind: Kind, text: str, value: object) -> None:
    assert parse(kind, text) == value


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (Kind.INTEGER, "1.0"),
        (Kind.INTEGER, "+42"),
        (Kind.INTEGER, "02139"),
        (Kind.INTEGER, "-0"),
        (Kind.INTEGER, "12345678901234567891"),
        (Kind.DOUBLE, "1e3"),
        (Kind.DOUBLE, "+1.5"),
        (Kind.DOUBLE, "01.5"),
        (Kind.DOUBLE, " 1.5"),
        (Kind.DOUBLE, "0.10000000000000001"),  # more digits than the double keeps
        (Kind.DOUBLE, "12345678901234567891"),
        (Kind.DOUBLE, "-0.0"),
        (Kind.TIMESTAMP, "2026-03-01T12:00:00.123456Z"),  # microseconds a millisecond value cannot keep
        (Kind.TIMESTAMP, "2026-03-01T12:00:00.0001Z"),  # one digit past the millisecond is lost just the same
        (Kind.JSON, '"\\ud800"'),  # a lone surrogate: no Unicode text
        (Kind.INTEGER, "9223372036854775808"),
        (Kind.INTEGER, "１２"),  # full-width digits: int() reads them, an export never writes them
        (Kind.INTEGER, "0x10"),
        (Kind.DOUBLE, "nan"),
        (Kind.DOUBLE, "1e999"),
        (Kind.DOUBLE, "1_000"),
        (Kind.BOOLEAN, "yes"),
        (Kind.BOOLEAN, "1"),
        (Kind.TIMESTAMP, "2026-02-30T00:00:00Z"),
        (Kind.TIMESTAMP, "2026-03-01T25:00:00Z"),
        (Kind.TIMESTAMP, "2026-03-01T00:00:00+24:00"),
        (Kind.TIMESTAMP, "yesterday"),
        (Kind.DATE, "2027-02-29"),
        (Kind.DATE, "2026-03-01T00:00:00Z"),
        (Kind.JSON, "{"),
        (Kind.JSON, "NaN"),
        (Kind.JSON, '{"a": 1e999}'),
        (Kind.JSON, "[" * 100_000),
    ],
)
def test_cells_that_do_not_fit(kind: Kind, text: str) -> None:
    with pytest.raises((ValueError, RecursionError)):
        parse(kind, text)
    row = typed_row([Column("c", "c", kind)], [text])
    assert row.values == [None]
    assert row.unparsed == {"c": text}


def test_a_row_keeps_everything_the_api_sent() -> None:
    columns = [Column("n", "N", Kind.INTEGER), Column("s", "S", Kind.STRING)]
    assert typed_row(columns, ["7"]).values == [7, None]
    row = typed_row(columns, ["x", "", "extra", ""])
    assert row.values == [None, None]
    assert row.unparsed == {"n": "x", "_column3": "extra"}


def test_dashboard_labels_and_odd_spellings_are_the_fields_and_near_misses_of_a_named_field_stay_columns() -> None:
    requested = ["code", "is_referral_code", "validity_day_of_week", "discount_amount_limit", "created_at", "metadata"]
    header = ["Is referral code?", "code", "Voucher code", "validity day-of-week", "DISCOUNT AGGREGATED AMOUNT LIMIT"]
    header += ["Creation_Date", "Value", "is referral code"]
    columns = columns_for(VOUCHER, header, requested)
    assert [(c.name, c.kind, c.field) for c in columns] == [
        ("is_referral_code", Kind.BOOLEAN, "is_referral_code"),
        ("metadata.code", None, None),  # a metadata key beside the field's label: neither swallows the other
        ("code", Kind.STRING, "code"),
        ("validity_day_of_week", Kind.STRING, "validity_day_of_week"),
        ("discount_amount_limit", Kind.INTEGER, "discount_amount_limit"),
        ("created_at", Kind.TIMESTAMP, "created_at"),
        ("Value", None, None),  # `value` was not requested: a metadata key
        ("is referral code", None, None),  # the field is named already: a column of its own
    ]


def test_a_hostile_title_names_no_field_and_gets_a_safe_column_of_its_own() -> None:
    requested = ["code", "is_referral_code", "metadata.a_b", "metadata.a-b"]
    header = ["Code", "Is\x1breferral code?", "METADATA a b", "Is referral\u2028code?"]
    columns = columns_for(VOUCHER, header, requested)
    assert [(c.name, c.kind, c.field) for c in columns] == [
        ("code", Kind.STRING, "code"),
        ("Is_referral code?", None, None),
        ("METADATA a b", None, None),  # two requested fields share its key: it names neither
        ("Is referral_code?", None, None),
    ]
