"""The rules between options: one table, checked in one place, with the same message at every door."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

import exportctl
from exportctl.errors import UsageError
from exportctl.request import rules
from exportctl.request.build import build_request
from exportctl.request.configfile import load_config
from exportctl.request.into import Into
from exportctl.request.model import RequestFlags, RunOptions
from exportctl.request.runfile import read_multi
from exportctl.schema import get_object

PACKAGE = Path(exportctl.__file__).parent
ORDER = get_object("order")
SINCE = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_each_message_is_written_in_the_table_only() -> None:
    texts = ("needs --since: the start of the range", "--no-wait cannot be combined", "runs the windows of a split")
    for text in texts:
        found = {path.name for path in PACKAGE.rglob("*.py") if text in path.read_text(encoding="utf-8")}
        assert found == {"rules.py"}, text


# (RunOptions, the start of the message): every rule of the table, broken once.
BROKEN = [
    (RunOptions(incremental_key="k"), "--state-key names an export in a state file"),
    (RunOptions(cursor="updated_at"), "--cursor shapes the windows of an incremental export"),
    (RunOptions(lookback=60.0), "--lookback shapes the windows of an incremental export"),
    (
        RunOptions(incremental="s.json", cursor="updated_at", split_by="day", since=SINCE),
        "--split-by cuts created_at windows; --cursor updated_at cannot be combined with it.",
    ),
    (RunOptions(parallel=3), "--parallel runs the windows of a split export; give --split-by day|week|month too."),
    (RunOptions(split_by="day"), "--split-by needs --since"),
    (RunOptions(incremental="s.json", until=SINCE), "--since-last ends every run at its start time"),
    (RunOptions(split_by="day", since=SINCE, wait=False), "--split-by downloads what it exports; --no-wait"),
    (RunOptions(incremental="s.json", wait=False), "--since-last downloads what it exports; --no-wait"),
    (RunOptions(into=Into("sqlite", Path("w.db"), "t"), wait=False), "--into loads what it exports; --no-wait"),
    (RunOptions(format="jsonl", headers="api"), "--headers api shapes a CSV's header row; --format jsonl"),
    (RunOptions(format="parquet", output="v.parquet.gz"), "--format parquet compresses its own columns"),
    (RunOptions(into=Into("sqlite", Path("w.db"), "t"), output="v.csv.gz"), "--into loads the CSV it keeps at -o"),
]


@pytest.mark.parametrize(("options", "message"), BROKEN, ids=[m for _, m in BROKEN])
def test_every_rule_of_the_table_is_checked(options: RunOptions, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        rules.check(options)
    assert caught.value.message.startswith(message)
    assert {rule.name for rule in rules.RULES} >= {r.name for r in rules.RULES if r.broken(options)}


def test_a_rule_holds_for_flags_a_file_a_run_entry_and_the_library(tmp_path: Path) -> None:
    message = "--split-by needs --since: the start of the range to cut into windows."
    hint = "For example: --split-by week --since 2024-01-01 [--until 2024-07-01]"
    with pytest.raises(UsageError) as flags:
        build_request(ORDER, RequestFlags(split_by="week"))
    path = tmp_path / "o.yaml"
    path.write_text("split: week\n", encoding="utf-8")
    with pytest.raises(UsageError) as file:
        build_request(ORDER, RequestFlags(), load_config(path))
    run = tmp_path / "run.yaml"
    run.write_text("exports:\n  - {name: o, object: order, split: week}\n", encoding="utf-8")
    _, problems = read_multi(str(run), load_config(run))
    with pytest.raises(UsageError) as library:
        exportctl.plan("order", split_by="week")
    for caught in (flags, file, library):
        assert (caught.value.message, caught.value.hint) == (message, hint)
    assert [problem.message for problem in problems] == [f"{run}:2: o: {message}"]


def test_a_rule_names_the_file_key_that_broke_it(tmp_path: Path) -> None:
    path = tmp_path / "o.yaml"
    path.write_text("wait: true\nparallel: 4\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        build_request(ORDER, RequestFlags(), load_config(path))
    assert (
        caught.value.message == f"{path}:2: parallel runs the windows of a split export; add 'split: day|week|month'."
    )
