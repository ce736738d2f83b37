"""--format, --into and --unparsed are read and checked offline, with the file's line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from exportctl.errors import UsageError
from exportctl.request.into import Into, default_table, parse_into
from exportctl.schema import BY_COMMAND

VOUCHER = BY_COMMAND["voucher"]
GIFT = BY_COMMAND["gift-card-transactions"]


def test_into_names_engine_path_and_table() -> None:
    assert parse_into("duckdb:w.duckdb#vouchers", "voucher") == Into("duckdb", Path("w.duckdb"), "vouchers")
    assert parse_into("sqlite:dir/w.db", "gift-card-transactions").table == "gift_card_transactions"
    assert parse_into("sqlite:~/w.db", "order").path == Path("~/w.db").expanduser()
    assert default_table("loyalty-card-transactions") == "loyalty_card_transactions"


def test_a_path_with_a_hash_needs_the_table_at_the_end() -> None:
    assert parse_into("sqlite:a#b.db#t", "voucher") == Into("sqlite", Path("a#b.db"), "t")
    with pytest.raises(UsageError, match=r"'b\.db' is not a table name"):
        parse_into("sqlite:a#b.db", "voucher")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("duckd:w.db", "'duckd' is not a database engine. Did you mean 'duckdb'?"),
        ("SQLite:w.db", "Did you mean 'sqlite'?"),
        ("postgres:w.db", "'postgres:w.db' is not a PostgreSQL URL"),
        ("mysql:w.db", "Valid values: duckdb, sqlite, postgres."),
        ("w.db", "'w.db' is not ENGINE:PATH"),
        ("duckdb:", "the database path is empty"),
        ("duckdb:#t", "the database path is empty"),
        ("duckdb:w.db#", "'' is not a table name"),
        ("duckdb:w.db#1abc", "not a table name"),
        ('duckdb:w.db#a"; DROP TABLE x; --', "not a table name"),
        ("duckdb:w.db#a]b", "not a table name"),
        ("duckdb:w.db#" + "a" * 64, "use up to 63 letters"),
        ("sqlite:w\0.db", "NUL byte"),
        ("sqlite:w.db#t\x1b[31m", "'t\\x1b[31m'"),
    ],
)
def test_bad_into_values_are_refused(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_into(text, "voucher")
    assert message in caught.value.message
    assert "\x1b" not in caught.value.message
