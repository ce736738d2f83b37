"""request/typed_options.py: `format`, `into` and `unparsed` from flags or a file, and the combinations refused.

A YAML file can give any type (a number, a list, true): each is one UsageError at the file's line. The
flags win over the file and are named as flags (`--unparsed`), the file's keys by file and line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from exportctl.errors import UsageError, ValidationError
from exportctl.request.build import build_request
from exportctl.request.configfile import KeyLocator
from exportctl.request.into import Into
from exportctl.request.model import RequestFlags, RunOptions
from exportctl.request.rules import check
from exportctl.request.typed_options import typed_options
from exportctl.schema import BY_COMMAND

VOUCHER = BY_COMMAND["voucher"]
GIFT = BY_COMMAND["gift-card-transactions"]
AT = KeyLocator("c.yaml", {("format",): 3, ("into",): 4, ("unparsed",): 5})


def test_nothing_given_chooses_nothing_and_flags_win_over_the_file() -> None:
    assert typed_options("voucher", RequestFlags(), {}, AT) == {}
    chosen = typed_options(
        "voucher",
        RequestFlags(format="jsonl", unparsed="fail"),
        {"format": 5, "into": "sqlite:w.db", "unparsed": ["x"]},  # the file's bad values are replaced by flags
        AT,
    )
    assert chosen == {"format": "jsonl", "into": Into("sqlite", Path("w.db"), "voucher"), "unparsed": "fail"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"format": 5}, "c.yaml:3: format: expected a string, got int 5."),
        ({"format": ["csv"]}, "c.yaml:3: format: expected a string, got list ['csv']."),
        ({"into": True}, "c.yaml:4: into: expected a string, got bool True."),
        ({"unparsed": {"keep": 1}}, "c.yaml:5: unparsed: expected a string, got dict {'keep': 1}."),
    ],
)
def test_a_file_value_of_the_wrong_type_is_refused_at_its_line(config: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        typed_options("voucher", RequestFlags(), config, AT)
    assert caught.value.message == message


def test_choices_suggest_the_spelling_and_name_where_the_value_came_from() -> None:
    with pytest.raises(ValidationError) as from_file:
        typed_options("voucher", RequestFlags(), {"format": "PARQUET"}, AT)
    assert from_file.value.message.startswith("c.yaml:3: format: 'PARQUET' is not an output format. Did you mean")
    assert (from_file.value.suggestion, from_file.value.valid) == ("parquet", ("csv", "jsonl", "parquet"))
    with pytest.raises(ValidationError) as from_flag:
        typed_options("voucher", RequestFlags(unparsed="drop"), {}, AT)
    assert from_flag.value.message == "--unparsed: 'drop' is not keep or fail. Valid values: keep, fail."


def test_a_table_name_with_control_characters_is_shown_escaped() -> None:
    with pytest.raises(UsageError) as caught:
        typed_options("voucher", RequestFlags(), {"into": "sqlite:w.db#\x1b[2J"}, AT)
    assert caught.value.message.startswith("c.yaml:4: into: ''\\x1b[2J'' is not a table name")
    assert "\x1b" not in caught.value.message


def test_the_default_table_is_the_objects_name() -> None:
    chosen = typed_options("gift-card-transactions", RequestFlags(into="duckdb:w.duckdb"), {}, AT)
    assert chosen["into"].table == "gift_card_transactions"


@pytest.mark.parametrize(
    ("options", "message", "hint"),
    [
        (
            RunOptions(into=Into("sqlite", Path("w.db"), "voucher"), wait=False),
            "--into loads what it exports; --no-wait cannot be combined with it.",
            "Drop --no-wait, or load a saved export later.",
        ),
        (
            RunOptions(format="jsonl", headers="api"),
            "--headers api shapes a CSV's header row; --format jsonl always names the columns by their field names.",
            "Drop --headers, or use --format csv.",
        ),
        (
            RunOptions(format="parquet", output="V.PARQUET.GZ"),
            "--format parquet compresses its own columns (zstd); 'V.PARQUET.GZ' would gzip the file again.",
            "Give a .parquet name, e.g. -o vouchers.parquet.",
        ),
        (
            RunOptions(into=Into("duckdb", Path("w.duckdb"), "voucher"), output="v.csv.gz"),
            "--into loads the CSV it keeps at -o; 'v.csv.gz' would be gzip-compressed first.",
            "Give an uncompressed -o FILE.csv, or leave -o out to keep no CSV.",
        ),
    ],
)
def test_combinations_a_typed_output_cannot_run_with(options: RunOptions, message: str, hint: str) -> None:
    with pytest.raises(UsageError) as caught:
        check(options)
    assert (caught.value.message, caught.value.hint) == (message, hint)


def test_the_combinations_that_work_pass() -> None:
    into = Into("sqlite", Path("w.db"), "voucher")
    for options in (
        RunOptions(),
        RunOptions(format="parquet", headers="fields", output="v.parquet"),
        RunOptions(into=into, output="v.csv"),
        RunOptions(format="jsonl", into=into, output="v.jsonl.gz"),
        RunOptions(headers="api", output="v.csv.gz"),
    ):
        check(options)


# Through build_request, as every door reads them ----------------------------------------------------------


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


def test_build_request_refuses_the_combinations_offline() -> None:
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
