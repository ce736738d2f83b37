"""request/lint.py: every problem `build_request` would find in a config mapping, not only the first.

The messages are exactly those the export commands print (each part is checked by the same code), a
message found twice is reported once, and garbage from YAML (a list where a mapping belongs, numbers,
nulls) is a problem, never a crash.
"""

from __future__ import annotations

from typing import Any

import pytest

from exportctl.errors import UsageError
from exportctl.request.build import build_request
from exportctl.request.configfile import KeyPath, LoadedConfig
from exportctl.request.lint import config_problems
from exportctl.request.model import RequestFlags
from exportctl.schema import BY_COMMAND

VOUCHER = BY_COMMAND["voucher"]


def _messages(config: dict[str, Any]) -> list[str]:
    return [problem.message for problem in config_problems(VOUCHER, config)]


def test_validate_reports_every_bad_typed_output_key_at_once() -> None:
    lines: dict[KeyPath, int] = {("format",): 1, ("into",): 2, ("unparsed",): 3}
    config = LoadedConfig({"format": "json", "into": "postgres:x", "unparsed": "drop"}, "c.yaml", lines)
    messages = [problem.message for problem in config_problems(VOUCHER, config)]
    assert [m.split(":")[:2] for m in messages] == [["c.yaml", "1"], ["c.yaml", "2"], ["c.yaml", "3"]]


def test_a_clean_config_has_no_problem() -> None:
    assert config_problems(VOUCHER, {}) == []
    assert config_problems(VOUCHER, {"exported_object": "voucher", "parameters": {"fields": ["code"]}}) == []


def test_every_bad_key_is_reported_with_the_message_the_export_command_prints() -> None:
    config = {
        "format": "json",
        "timeout": "forever",
        "bogus_key": 1,
        "parameters": {"fields": ["code", "nope"], "order": "-bogus"},
    }
    messages = _messages(config)
    assert len(messages) == 5
    # The first problem is the one `build_request` stops at, word for word.
    with pytest.raises(UsageError) as first:
        build_request(VOUCHER, RequestFlags(), config)
    assert first.value.message in messages
    assert any(m.startswith("bogus_key: unknown key 'bogus_key'.") for m in messages)
    assert any(m.startswith("parameters.order: unknown order '-bogus' for voucher.") for m in messages)


def test_each_filter_is_checked_on_its_own_in_both_forms() -> None:
    listed = _messages({"parameters": {"filters": ["status=X", "code~", 7]}})
    assert [m.split(":")[0] for m in listed] == [
        "parameters.filters[0]",
        "parameters.filters[1]",
        "parameters.filters[2]",
    ]
    assert "Filter '7': no operator" in listed[2]
    mapped = _messages({"parameters": {"filters": {"nope": {"conditions": {"$is": ["x"]}}, "code": {"bad": 1}}}})
    assert len(mapped) == 2
    assert mapped[0].startswith("parameters.filters.nope: unknown filter field 'nope' for voucher.")
    assert mapped[1].startswith("parameters.filters.code.bad: unknown key 'bad'.")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"parameters": [1, 2]}, "parameters: expected a mapping with fields, order, filters, campaign_id."),
        ({"parameters": {"filters": 5}}, "parameters.filters: expected the API's filters object or a list of filter"),
        ({"exported_object": 5}, "exported_object: '5' does not match the voucher command"),
        ({"parameters": None, "junction": ["and"]}, "junction: '['and']' is not a junction. Did you mean 'and'?"),
    ],
)
def test_garbage_from_yaml_is_a_problem_not_a_crash(config: dict[str, Any], message: str) -> None:
    messages = _messages(config)
    assert any(m.startswith(message) for m in messages), messages


def test_a_message_found_twice_is_reported_once() -> None:
    # The key is checked on its own and again in the whole mapping: one problem, one message.
    messages = _messages({"format": "json"})
    assert len(messages) == 1 and messages[0].startswith("format: 'json' is not an output format.")


def test_problems_between_parts_are_found_by_the_whole() -> None:
    config = {"junction": "or", "parameters": {"filters": {"junction": "and", "code": {"conditions": {"$is": ["A"]}}}}}
    assert _messages(config) == [
        "parameters.filters: junction 'and' contradicts the top-level junction 'or'; give only one."
    ]


def test_lines_of_a_loaded_file_prefix_each_message() -> None:
    lines: dict[KeyPath, int] = {("format",): 9, ("parameters",): 2, ("parameters", "order"): 3}
    config = LoadedConfig({"format": "json", "parameters": {"order": "-x"}}, "nightly.yaml", lines)
    assert sorted(m.split(": ")[0] for m in _messages(config)) == ["nightly.yaml:3", "nightly.yaml:9"]


def test_a_refused_scope_does_not_hide_the_filters_problems() -> None:
    """Each filter is checked with the scope (a per-resource endpoint has its own filters); a scope that is itself
    refused is reported once, and the filters are then checked as the object's, not hidden behind it."""
    loyalty = BY_COMMAND["loyalty-card-transactions"]
    config = {"voucher": "", "parameters": {"filters": {"nope": {"conditions": {"$is": ["x"]}}}}}
    messages = [problem.message for problem in config_problems(loyalty, config)]
    assert messages[0] == "voucher: the voucher is empty."
    assert len(messages) == 2
    assert messages[1].startswith("parameters.filters.nope: unknown filter field 'nope' for loyalty-card-transactions.")
