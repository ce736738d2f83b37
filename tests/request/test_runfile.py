"""request/runfile.py: a multi-export file read and checked as a whole, offline.

Every problem of the file at once, each at its line (tests/e2e/test_run_file.py runs such files through
`exportctl run`); here the reader itself: what an entry inherits, `{name}` in templates, names that could
climb out of a directory, two exports writing one file, and garbage where a list or mapping belongs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exportctl.errors import UsageError, ValidationError
from exportctl.request.configfile import load_config
from exportctl.request.runfile import Problem, check_template, is_multi, read_multi, select, single_problems
from exportctl.schema import BY_COMMAND

GOOD = """\
defaults:
  output_dir: out
  parameters: {fields: [code]}
  timeout: 30m
exports:
  - name: vouchers
    object: voucher
    output: "{name}-{{name}}-{id}.csv"
  - name: paid.orders_1
    object: order
    parameters: {fields: [id, amount], filters: ["status=PAID"]}
    output: "{name}.csv"
"""

BAD = """\
defaults:
  output_dir: out
  name: nope
  bogus: 1
exports:
  - name: paid
    object: order
    output: "{name}.csv"
  - name: paid
    object: order
  - name: "../x"
    object: voucher
  - object: vouchr
    name: v2
  - name: v3
    object: voucher
    output: "-"
  - name: v4
    object: voucher
    output: "{nope}.csv"
  - name: v5
    object: voucher
    output: "out2/../paid.csv"
  - 7
output: x
"""


def _read(tmp_path: Path, text: str) -> tuple[str, Any]:
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path), load_config(path)


def test_entries_inherit_the_defaults_and_replace_a_key_as_a_whole(tmp_path: Path) -> None:
    file, config = _read(tmp_path, GOOD)
    entries, problems = read_multi(file, config)
    assert problems == []
    vouchers, orders = entries
    assert (vouchers.name, vouchers.obj.command, vouchers.line) == ("vouchers", "voucher", 6)
    assert vouchers.request.body() == {"exported_object": "voucher", "parameters": {"fields": ["code"]}}
    assert (vouchers.options.output_dir, vouchers.options.timeout) == ("out", 1800.0)
    # {name} is the entry's name; the escaped {{name}} stays for the template's own reading.
    assert vouchers.options.output == "vouchers-{{name}}-{id}.csv"
    assert orders.options.output == "paid.orders_1.csv"
    assert orders.request.fields == ("id", "amount")  # its own parameters replace the default's, nothing merged
    assert orders.request.filters == {"junction": "and", "status": {"conditions": {"$is": ["PAID"]}}}


def test_every_problem_of_the_file_at_its_line_and_no_entries(tmp_path: Path) -> None:
    file, config = _read(tmp_path, BAD)
    entries, problems = read_multi(file, config)
    assert entries == []
    assert [problem.line for problem in problems] == [3, 4, 9, 11, 13, 17, 20, 23, 24, 25]
    messages = [problem.message.removeprefix(f"{file}:") for problem in problems]
    assert messages[0] == "3: defaults.name: 'name' belongs in each export, not in defaults."
    assert messages[1].startswith("4: defaults.bogus: unknown key 'bogus'.")
    assert messages[2] == "9: exports[1].name: the name 'paid' is used twice (first on line 6)."
    assert messages[3].startswith("11: exports[2].name: '../x' is not a valid name: use letters, digits")
    assert messages[4].startswith("13: exports[3].object: unknown object 'vouchr'. Did you mean 'voucher'?")
    assert messages[5] == (
        "17: output: '-' (standard output) cannot be a target in a multi-export file: the summary uses it."
    )
    assert messages[6].startswith("20: v4: output: Unknown placeholder {nope} in output template '{nope}.csv'.")
    assert messages[7] == (
        "23: output: 'out/paid.csv' is also the target of export 'paid' (line 8); give each export its own file, "
        "e.g. with {name}."
    )
    assert messages[8] == "24: exports[7]: expected a mapping with name, object and the keys of a single export."
    assert messages[9].startswith("25: output: unknown key 'output' in a multi-export file. It belongs in 'defaults'")


@pytest.mark.parametrize("name", ["../x", "/etc", ".hidden", "a b", "\x1b[2J", "", "a/b", "a\n", 123, True])
def test_a_name_that_is_not_a_plain_file_name_part_is_refused(tmp_path: Path, name: object) -> None:
    config = {"exports": [{"name": name, "object": "voucher", "output": "{name}.csv"}]}
    entries, problems = read_multi("f.yaml", config)
    assert entries == []
    (problem,) = problems
    assert problem.message.startswith(f"f.yaml: exports[0].name: '{name}' is not a valid name: use letters, digits")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "got nothing."),
        ({"exports": {}}, "got no list."),
        ({"exports": "x"}, "got no list."),
        ({"exports": []}, "got an empty list."),
    ],
)
def test_exports_must_be_a_list_of_entries(config: dict[str, Any], message: str) -> None:
    entries, problems = read_multi("f.yaml", config)
    assert entries == []
    assert problems[-1].message == (
        f"f.yaml: exports: expected a list of exports (each with name, object and the keys of a single export), "
        f"{message}"
    )


def test_defaults_must_be_a_mapping() -> None:
    _, problems = read_multi("f.yaml", {"defaults": ["x"], "exports": [{"name": "a", "object": "voucher"}]})
    assert [problem.message for problem in problems] == ["f.yaml: defaults: expected a mapping of single-export keys."]


def test_a_missing_object_lists_the_objects() -> None:
    _, problems = read_multi("f.yaml", {"exports": [{"name": "a"}]})
    (problem,) = problems
    assert problem.message.startswith("f.yaml: exports[0]: 'object' is missing: what to export. Valid values: order,")


def test_an_entrys_single_export_problems_carry_its_name(tmp_path: Path) -> None:
    file, config = _read(tmp_path, "exports:\n  - name: nightly\n    object: voucher\n    format: json\n")
    _, problems = read_multi(file, config)
    (problem,) = problems
    assert problem.line == 4
    assert problem.message.startswith(f"{file}:4: nightly: format: 'json' is not an output format.")


def test_is_multi_by_its_keys() -> None:
    assert is_multi({"exports": []}) and is_multi({"defaults": {}})
    assert not is_multi({"exported_object": "voucher"}) and not is_multi({})


def test_select_keeps_file_order_and_names_an_unknown_export(tmp_path: Path) -> None:
    file, config = _read(tmp_path, GOOD)
    entries, _ = read_multi(file, config)
    assert [entry.name for entry in select(entries, ["paid.orders_1", "vouchers"])] == ["vouchers", "paid.orders_1"]
    assert select(entries, []) == entries
    with pytest.raises(ValidationError) as caught:
        select(entries, ["vouchrs"])
    assert caught.value.message.startswith("--only: no export is named 'vouchrs'. Did you mean 'vouchers'?")
    assert caught.value.valid == ("vouchers", "paid.orders_1")


def test_single_problems_adds_the_template_check_to_the_lint() -> None:
    problems = single_problems("f.yaml", BY_COMMAND["voucher"], {"format": "json", "output": "{bad}"})
    assert [problem.message.split(": ")[1] for problem in problems] == ["format", "output"]
    assert "Unknown placeholder {bad}" in problems[1].message


def test_templates_are_checked_and_stdout_is_not_a_template() -> None:
    check_template("-", "f.yaml:3: output")
    check_template("{object}-{date}-{{literal}}.csv", "f.yaml:3: output")
    with pytest.raises(UsageError, match=r"^f\.yaml:3: output: Unknown placeholder \{bad\}"):
        check_template("{bad}", "f.yaml:3: output")


def test_a_problem_in_json_is_file_line_and_message() -> None:
    assert Problem("f.yaml", 3, "f.yaml:3: m").to_json() == {"file": "f.yaml", "line": 3, "message": "f.yaml:3: m"}
    assert Problem("f.yaml", None, "m").to_json()["line"] is None
