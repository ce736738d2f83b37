"""--format, --into and --unparsed are read and checked offline, with the file's line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from exportctl.errors import UsageError, ValidationError
from exportctl.request.build import build_request
from exportctl.request.into import Into, default_table, parse_into
from exportctl.request.model import RequestFlags
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


def test_flags_win_over_the_file_and_name_where_they_came_from() -> None:
    config = {"format": "parquet", "into": "sqlite:f.db", "unparsed": "fail"}
    _, options = build_request(VOUCHER, RequestFlags(format="jsonl"), config)
    assert (options.format, options.into, options.unparsed) == (
        "jsonl",
        Into("sqlite", Path("f.db"), "voucher"),
        "fail",
    )
    _, default = build_request(VOUCHER, RequestFlags())
    assert (default.format, default.into, default.unparsed) == ("csv", None, "keep")
    with pytest.raises(ValidationError, match=r"^--format: 'json' is not an output format\. Did you mean 'jsonl'\?"):
        build_request(VOUCHER, RequestFlags(format="json"))
    with pytest.raises(ValidationError, match=r"^c\.yaml: unparsed: 'drop' is not keep or fail"):
        build_request(VOUCHER, RequestFlags(), {"unparsed": "drop"}, config_path="c.yaml")
    with pytest.raises(UsageError, match=r"^into: expected a string, got int 5"):
        build_request(VOUCHER, RequestFlags(), {"into": 5})


def test_combinations_a_typed_output_cannot_run_with() -> None:
    with pytest.raises(UsageError, match="--no-wait cannot be combined"):
        build_request(VOUCHER, RequestFlags(into="sqlite:w.db", wait=False))
    with pytest.raises(UsageError, match="--headers api shapes a CSV"):
        build_request(GIFT, RequestFlags(format="jsonl", headers="api"))
    with pytest.raises(UsageError, match="would be gzip-compressed first"):
        build_request(GIFT, RequestFlags(into="sqlite:w.db", output="t.csv.gz"))
    with pytest.raises(UsageError, match="compresses its own columns"):
        build_request(GIFT, RequestFlags(format="parquet", output="t.parquet.gz"))
    _, options = build_request(GIFT, RequestFlags(format="parquet", headers="fields"))
    assert options.headers == "fields"


def test_validate_reports_every_bad_typed_output_key_at_once() -> None:
    from exportctl.request.configfile import KeyPath, LoadedConfig
    from exportctl.request.lint import config_problems

    lines: dict[KeyPath, int] = {("format",): 1, ("into",): 2, ("unparsed",): 3}
    config = LoadedConfig({"format": "json", "into": "postgres:x", "unparsed": "drop"}, "c.yaml", lines)
    messages = [problem.message for problem in config_problems(VOUCHER, config)]
    assert [m.split(":")[:2] for m in messages] == [["c.yaml", "1"], ["c.yaml", "2"], ["c.yaml", "3"]]
