"""request/config_problems.py: `exportctl OBJECT -c FILE` refused by its file names every problem at once.

The same problems `exportctl validate` lists, in line order, minus the keys a given flag replaces; a problem
of the command line itself is raised as it is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from exportctl.errors import ConfigError, ConfigProblemsError, UsageError
from exportctl.request.build import build_request
from exportctl.request.config_problems import every_problem
from exportctl.request.configfile import LoadedConfig, load_config
from exportctl.request.model import RequestFlags
from exportctl.schema import get_object

VOUCHER = get_object("voucher")
BAD = """\
exported_object: voucher
parameters:
  fields: [code, nope]
  order: -bogus
format: json
timeout: forever
bogus_key: 1
"""


def _refusal(config: LoadedConfig | dict[str, object], flags: RequestFlags = RequestFlags()) -> UsageError:
    with pytest.raises(UsageError) as caught:
        build_request(VOUCHER, flags, config)
    return every_problem(VOUCHER, flags, config, caught.value)


def _file(tmp_path: Path, text: str) -> LoadedConfig:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    assert isinstance(config, LoadedConfig)
    return config


def test_every_problem_of_the_file_in_line_order_and_the_command_to_check_it(tmp_path: Path) -> None:
    config = _file(tmp_path, BAD)
    refused = _refusal(config)
    assert isinstance(refused, ConfigProblemsError)
    assert str(refused) == f"5 problems in {config.path}; nothing was submitted."
    assert refused.hint == f"Fix them and run again; check the file with: exportctl validate {config.path}"
    assert [line for line, _ in refused.problems] == [3, 4, 5, 6, 7]
    messages = [message for _, message in refused.problems]
    assert messages[0].startswith(f"{config.path}:3: parameters.fields[1]: unknown field 'nope' for voucher.")
    assert messages[4].startswith(f"{config.path}:7: bogus_key: unknown key 'bogus_key'.")


def test_keys_a_flag_replaces_are_not_problems_of_this_run(tmp_path: Path) -> None:
    config = _file(tmp_path, BAD)
    refused = _refusal(config, RequestFlags(format="csv", timeout="1m", order="code"))
    assert isinstance(refused, ConfigProblemsError)
    assert [line for line, _ in refused.problems] == [3, 7]  # fields and the unknown key remain


def test_one_problem_keeps_its_own_hint_not_the_one_for_many(tmp_path: Path) -> None:
    config = _file(tmp_path, "exported_object: voucher\nformat: json\n")
    with pytest.raises(UsageError) as caught:
        build_request(VOUCHER, RequestFlags(), config)
    refused = every_problem(VOUCHER, RequestFlags(), config, caught.value)
    assert isinstance(refused, ConfigProblemsError)
    assert [line for line, _ in refused.problems] == [2]
    assert refused.problems[0][1] == caught.value.message
    assert refused.hint == caught.value.hint


def test_a_problem_of_the_command_line_is_raised_as_it_is(tmp_path: Path) -> None:
    config = _file(tmp_path, "exported_object: voucher\n")
    refused = _refusal(config, RequestFlags(order="-nope"))
    assert not isinstance(refused, ConfigProblemsError)
    assert refused.message.startswith("--order: unknown order '-nope' for voucher.")


def test_a_mapping_without_a_file_or_a_multi_export_file_gets_the_first_problem_alone(tmp_path: Path) -> None:
    plain = _refusal({"format": "json", "timeout": "forever"})
    assert not isinstance(plain, ConfigProblemsError)
    multi = LoadedConfig({"exports": [], "format": "json", "timeout": "x"}, str(tmp_path / "m.yaml"), {})
    assert not isinstance(_refusal(multi), ConfigProblemsError)


def test_a_config_error_is_never_rewritten(tmp_path: Path) -> None:
    config = _file(tmp_path, BAD)
    error = ConfigError("c.yaml:1:1: not YAML")
    assert every_problem(VOUCHER, RequestFlags(), config, error) is error
