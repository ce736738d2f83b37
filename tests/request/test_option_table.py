"""The one option table drives the flags, the YAML keys, RequestFlags and the library's keywords."""

from __future__ import annotations

import inspect
import typing

import pytest
from typer.testing import CliRunner

from exportctl import library
from exportctl.cli.app import app
from exportctl.cli.exports import make_export_command
from exportctl.request.model import API_KEYS, CONFIG_KEYS, OPTIONS, SCOPE_OPTIONS, RequestFlags
from exportctl.schema import EXPORT_OBJECTS

RUN_ONLY = ("dry_run", "json_output")  # what a command does with the request, not part of it


def test_request_flags_are_the_options_a_file_can_also_give() -> None:
    assert list(RequestFlags._fields) == [o.name for o in OPTIONS if o.key is not None]


def test_yaml_top_level_keys_are_the_tables() -> None:
    tops = {o.key.split(".")[0] for o in OPTIONS if o.key is not None} - {"parameters"}
    assert list(CONFIG_KEYS)[: len(API_KEYS)] == list(API_KEYS)
    assert set(CONFIG_KEYS) == set(API_KEYS) | tops


def test_library_keywords_are_the_options() -> None:
    keywords = [p for p in inspect.signature(library.plan).parameters if p not in ("name", "now")]
    assert keywords == [o.name for o in OPTIONS]
    # export() takes plan()'s keywords, typed by PlanOptions.
    assert list(library.PlanOptions.__annotations__) == [*keywords, "now"]


@pytest.mark.parametrize("obj", EXPORT_OBJECTS, ids=lambda obj: obj.command)
def test_every_command_takes_the_table_in_its_order_with_its_flags(obj: typing.Any) -> None:
    params = list(inspect.signature(make_export_command(obj)).parameters.values())[1:]
    scopes = {scope.option for scope in obj.scopes}
    expected = [o for o in OPTIONS if o.name not in SCOPE_OPTIONS or o.name in scopes]
    assert [p.name for p in params] == [o.name for o in expected] + list(RUN_ONLY)
    for param, option in zip(params, expected, strict=False):
        info = typing.get_args(param.annotation)[1]
        # In an Annotated alias Typer takes the first declaration as `default`.
        decls = [info.default, *info.param_decls] if isinstance(info.default, str) else list(info.param_decls)
        longest = max(decls, key=len).split("/")[0]
        assert longest == option.flag


def test_help_lists_every_option_of_the_table() -> None:
    # loyalty-card-transactions has every scope option (--member is for loyalty cards only).
    shown = CliRunner().invoke(app, ["loyalty-card-transactions", "--help"], env={"COLUMNS": "200"}).output
    for option in OPTIONS:
        assert option.flag in shown
    assert "--voucher" not in CliRunner().invoke(app, ["order", "--help"], env={"COLUMNS": "200"}).output
    assert {s.option for obj in EXPORT_OBJECTS for s in obj.scopes} == set(SCOPE_OPTIONS)
