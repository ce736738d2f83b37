"""request/filter_help.py: the grammar in brief that every export command's --help shows below its options."""

from __future__ import annotations

import re

from exportctl.request.filter_help import GRAMMAR_HELP
from exportctl.request.filters import parse_expression
from exportctl.schema import OPERATORS, get_object

ORDER = get_object("order")
VOUCHER = get_object("voucher")
CUSTOMER = get_object("customer")


def test_every_operator_has_a_shorthand_or_explicit_example_in_the_help() -> None:
    for operator in OPERATORS:
        assert operator in GRAMMAR_HELP


def test_every_example_in_the_help_parses_to_the_operator_it_names() -> None:
    pairs = re.findall(r"(\S+)\s+(\$[a-z_]+)(?=\s|$)", GRAMMAR_HELP.split("On dates")[0])
    assert {operator for _, operator in pairs} == set(OPERATORS)
    for expression, operator in pairs:
        field = re.split(r"[=!<>~^$?#]", expression, maxsplit=1)[0]
        obj = next(o for o in (ORDER, CUSTOMER, VOUCHER) if o.get_filter(field) is not None)
        assert parse_expression(expression, obj).operator == operator, expression


def test_the_help_is_plain_text_that_fits_a_terminal() -> None:
    """Typer shows it as it is: no rich markup (a `[` would be read as a style), no control characters."""
    assert all(line.isprintable() for line in GRAMMAR_HELP.splitlines())
    assert max(len(line) for line in GRAMMAR_HELP.splitlines()) <= 100
    assert "[" not in GRAMMAR_HELP


def test_the_help_loads_without_the_parser() -> None:
    """Building --help or a completion must not import the filter parser and its value readers."""
    import subprocess
    import sys

    code = (
        "import sys; import exportctl.request.filter_help\n"
        "print(sorted(m for m in sys.modules if m.startswith('exportctl.request.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "['exportctl.request.filter_help']"
