"""The one option table makes the flags, the YAML keys, the run entries' keys, RequestFlags and the library's keywords.

The last tests add a dummy record to the table and find it everywhere, with no other edit.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exportctl import library
from exportctl.cli.app import app
from exportctl.cli.completion import closed_flags
from exportctl.cli.exports import make_export_command
from exportctl.errors import ValidationError
from exportctl.request import options
from exportctl.request.build import build_request
from exportctl.request.configfile import load_config
from exportctl.request.export_options import ExportOptions
from exportctl.request.keywords import check_plan_keywords
from exportctl.request.option_docs import markdown_table, typed_dict_source
from exportctl.request.option_keys import API_KEYS, RequestFlags, applies, config_keys, export_options, scope_options
from exportctl.request.option_record import EXPORT, KINDS, RUN_FILE, Option
from exportctl.request.runfile import read_multi
from exportctl.schema import EXPORT_OBJECTS, get_object

RUN_ONLY = ("dry_run", "json_output")  # what a command does with the request, not part of it


def test_every_record_is_well_formed() -> None:
    names = [option.name for option in options.OPTIONS]
    assert len(names) == len(set(names))
    for option in options.OPTIONS:
        assert option.kind in KINDS, option.name
        assert option.flags[0].startswith("--"), option.name
        assert set(option.doors) <= {EXPORT, RUN_FILE}, option.name
        # A YAML key or a library keyword only for the export commands; a top-level key has its documentation.
        if option.key is not None or option.valid is not None:
            assert EXPORT in option.doors, option.name
        if option.key is not None and "." not in option.key:
            assert option.yaml_help, option.name


def test_yaml_top_level_keys_are_the_tables() -> None:
    tops = {o.key.split(".")[0] for o in export_options() if o.key is not None} - {"parameters"}
    keys = config_keys()
    assert list(keys)[: len(API_KEYS)] == list(API_KEYS)
    assert set(keys) == set(API_KEYS) | tops
    assert "fields, order, filters, campaign_id" in keys["parameters"]


def test_library_keywords_are_the_options() -> None:
    keywords = [p for p in inspect.signature(library.plan).parameters if p not in ("name", "now")]
    assert keywords == [o.name for o in export_options() if o.valid is not None]
    # export() takes plan()'s keywords, typed by ExportOptions (generated: test_option_docs keeps it equal).
    assert list(ExportOptions.__annotations__) == [*keywords, "now"]


@pytest.mark.parametrize("obj", EXPORT_OBJECTS, ids=lambda obj: obj.command)
def test_every_command_takes_the_table_in_its_order_with_its_flags(obj: typing.Any) -> None:
    params = list(inspect.signature(make_export_command(obj)).parameters.values())[1:]
    expected = [o for o in export_options() if applies(o, obj)]
    assert [p.name for p in params] == [o.name for o in expected]
    assert [p.name for p in params][-2:] == list(RUN_ONLY)
    for param, option in zip(params, expected, strict=True):
        info = typing.get_args(param.annotation)[1]
        decls = [info.default, *info.param_decls] if isinstance(info.default, str) else list(info.param_decls)
        assert max(decls, key=len).split("/")[0] == option.long


def test_help_lists_every_option_of_the_table() -> None:
    # loyalty-card-transactions has every scope option (--member is for loyalty cards only).
    shown = CliRunner().invoke(app, ["loyalty-card-transactions", "--help"], env={"COLUMNS": "200"}).output
    for option in export_options():
        if option.objects and "loyalty-card-transactions" not in option.objects:
            continue
        assert option.long in shown
    assert "--voucher" not in CliRunner().invoke(app, ["order", "--help"], env={"COLUMNS": "200"}).output
    assert {s.option for obj in EXPORT_OBJECTS for s in obj.scopes} == set(scope_options())


def test_parallel_is_two_records_whose_help_says_which() -> None:
    windows = CliRunner().invoke(app, ["order", "--help"], env={"COLUMNS": "200"}).output
    entries = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).output
    assert "--split-by windows of this export" in windows
    assert "How many of the file's exports run at once" in entries
    assert "-p, --parallel" in entries and "-p, --parallel" not in windows


def test_request_flags_refuse_a_name_the_table_lacks() -> None:
    with pytest.raises(TypeError, match="RequestFlags has no option bogus"):
        RequestFlags(bogus=1)
    assert RequestFlags().fields == ()
    assert RequestFlags(order="code").order == "code"


# A record no one wrote code for: a `parameters.X` key is sent to the API as given.
DUMMY = Option(
    "dummy_knob",
    ("--dummy-knob",),
    "text",
    "A dummy option that only this test adds.",
    key="parameters.dummy_knob",
    doc="the dummy option's README row",
    valid="a string",
    choices=("K1", "K2", "K3", "K4"),
    metavar="KNOB",
)


@pytest.fixture
def dummy_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(options, "OPTIONS", (*options.OPTIONS[:3], DUMMY, *options.OPTIONS[3:]))
    yield


@pytest.mark.usefixtures("dummy_table")
def test_a_record_added_to_the_table_reaches_yaml_run_entries_library_and_readme(tmp_path: Path) -> None:
    voucher = get_object("voucher")
    # The YAML keys and their messages.
    assert "dummy_knob" in config_keys()["parameters"]
    path = tmp_path / "v.yaml"
    path.write_text("parameters:\n  dummy_knob: K1\n", encoding="utf-8")
    request, _ = build_request(voucher, RequestFlags(), load_config(path))
    assert request.body()["parameters"] == {"dummy_knob": "K1"}
    # A run file's entries.
    run = tmp_path / "run.yaml"
    run.write_text("exports:\n  - {name: a, object: voucher, parameters: {dummy_knob: K2}}\n", encoding="utf-8")
    entries, problems = read_multi(str(run), load_config(run))
    assert problems == []
    assert entries[0].request.body()["parameters"] == {"dummy_knob": "K2"}
    # The library's keywords: checked, typed, sent.
    assert check_plan_keywords({"dummy_knob": "K3"}) == {"dummy_knob": "K3"}
    plan: typing.Any = library.plan  # the keyword is not in the ExportOptions that mypy reads
    assert plan("voucher", dummy_knob="K3").requests[0][1]["parameters"] == {"dummy_knob": "K3"}
    generated: dict[str, typing.Any] = {}
    exec(compile(typed_dict_source(), "export_options.py", "exec"), generated)
    assert "dummy_knob" in generated["ExportOptions"].__annotations__
    # The README's table.
    assert "| `--dummy-knob KNOB` | `parameters.dummy_knob` | `dummy_knob` | the dummy option's README row |" in (
        markdown_table()
    )
    # The command's parameters, and the completion script's closed sets.
    params = inspect.signature(make_export_command(voucher)).parameters
    assert list(params)[4] == "dummy_knob"
    assert "--dummy-knob" in closed_flags()
    with pytest.raises(ValidationError, match="'K9' is not a dummy_knob"):
        build_request(voucher, RequestFlags(dummy_knob="K9"))


def test_a_record_added_to_the_table_is_a_flag_of_every_export_command(tmp_path: Path) -> None:
    # A fresh process whose table has the dummy record before anything reads it: --help, then a dry run.
    script = textwrap.dedent(
        f"""
        import sys
        from exportctl.request import options
        from exportctl.request.option_record import Option
        options.OPTIONS = (*options.OPTIONS[:3], Option(*{tuple(DUMMY)!r}), *options.OPTIONS[3:])
        from exportctl.cli.app import main
        sys.argv = ["exportctl", *sys.argv[1:]]
        main()
        """
    )
    run = [sys.executable, "-c", script]
    shown = subprocess.run(
        [*run, "order", "--help"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    assert shown.returncode == 0, shown.stderr
    assert "--dummy-knob" in shown.stdout and "A dummy option that only this test adds." in shown.stdout
    dry = subprocess.run([*run, "order", "--dummy-knob", "K4", "--dry-run"], capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["parameters"] == {"dummy_knob": "K4"}
