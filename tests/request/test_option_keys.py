"""request/option_keys.py: the YAML keys, the run entries' keys and RequestFlags, each a function of the table.

That a record added to the table reaches all of them is tests/request/test_options.py; here, what each function
answers for the table as it is, and RequestFlags given what it should refuse.
"""

from __future__ import annotations

import pytest

from exportctl.request import options
from exportctl.request.option_keys import (
    API_KEYS,
    RequestFlags,
    applies,
    body_parameters,
    config_keys,
    export_options,
    flag_options,
    keyword_options,
    parameter_keys,
    scope_options,
)
from exportctl.request.option_record import EXPORT
from exportctl.schema import get_object


def test_the_export_options_are_the_tables_in_its_order() -> None:
    names = [option.name for option in options.OPTIONS if EXPORT in option.doors]
    assert [option.name for option in export_options()] == names
    assert "run_parallel" not in names and "keep_going" not in names and "dry_run" in names


def test_the_flags_a_file_can_give_have_a_key_and_the_keywords_a_type_check() -> None:
    assert {option.name for option in flag_options()} >= {"fields", "since", "split_by", "since_last", "output"}
    assert all(option.key for option in flag_options())
    assert "dry_run" not in {option.name for option in flag_options()}
    assert all(option.valid for option in keyword_options())
    assert "json_output" not in {option.name for option in keyword_options()}


def test_the_parameters_are_the_built_ones_then_those_sent_as_given() -> None:
    assert parameter_keys()[:3] == ("fields", "order", "filters")
    assert [option.name for option in body_parameters()] == ["campaign_id"]


def test_config_keys_start_with_the_apis_fill_in_the_parameters_and_have_each_top_key_once() -> None:
    keys = config_keys()
    assert list(keys)[:2] == list(API_KEYS)
    assert "{keys}" not in keys["parameters"] and "campaign_id" in keys["parameters"]
    assert {"split", "incremental", "output", "into"} <= set(keys)
    assert "since" in keys and "by" not in keys  # split's parts are not top-level keys
    assert all(text.strip() for text in keys.values())


def test_a_scope_applies_only_where_the_schema_has_it() -> None:
    assert scope_options() == ("voucher", "campaign", "member")
    member = options.find("member")
    assert member is not None
    assert applies(member, get_object("loyalty-card-transactions"))
    assert not applies(member, get_object("voucher-transactions"))
    assert not applies(member, get_object("order"))


def test_an_option_for_some_commands_applies_only_to_them() -> None:
    campaign_id = options.find("campaign_id")
    fields = options.find("fields")
    assert campaign_id is not None and fields is not None
    assert applies(campaign_id, get_object("voucher")) and not applies(campaign_id, get_object("order"))
    assert applies(fields, get_object("order")) and applies(fields, get_object("api-log"))


def test_request_flags_answer_not_given_by_the_kind() -> None:
    flags = RequestFlags(fields=["code"], since=None)
    assert flags.fields == ["code"] and flags.since is None
    assert flags.filters == () and flags.output is None
    assert flags.given() == {"fields": ["code"]}


@pytest.mark.parametrize("name", ["bogus", "dry_run", "run_parallel", "__class__x"])
def test_request_flags_refuse_what_is_not_a_flag_of_a_file(name: str) -> None:
    with pytest.raises(TypeError, match=name):
        RequestFlags(**{name: 1})


def test_reading_an_option_request_flags_lack_is_an_attribute_error() -> None:
    flags = RequestFlags()
    with pytest.raises(AttributeError):
        _ = flags.json_output
    with pytest.raises(AttributeError):
        _ = flags._secret
    assert not hasattr(flags, "nosuch")


def test_given_drops_none_and_empty_and_repr_shows_only_what_was_given() -> None:
    flags = RequestFlags(fields=(), voucher="V1", output=None, force=False)
    assert flags.given() == {"voucher": "V1", "force": False}
    assert repr(flags) == "RequestFlags(voucher='V1', force=False)"
