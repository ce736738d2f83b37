"""request/option_record.py: the record of one option and the table's vocabulary."""

from __future__ import annotations

import pytest

from exportctl.request import options
from exportctl.request.option_record import (
    EXPORT,
    HEADER_STYLES,
    KINDS,
    MAX_PARALLEL,
    PARAMETERS,
    RUN_FILE,
    SPLIT_UNITS,
    Option,
)


def test_a_record_given_only_what_it_needs_is_an_export_parameter_not_given_by_default() -> None:
    option = Option("dummy", ("--dummy",), "text", "A dummy.")
    assert option.doors == (EXPORT,) and option.panel == PARAMETERS
    assert option.key is None and option.valid is None and option.initial is None
    assert option.choices == () and option.objects == () and option.bounds is None and option.adds is False


@pytest.mark.parametrize(
    ("flags", "long"),
    [(("--output", "-o"), "--output"), (("--wait/--no-wait",), "--wait"), (("--dry-run",), "--dry-run")],
)
def test_long_is_the_first_flag_without_its_negative_form(flags: tuple[str, ...], long: str) -> None:
    assert Option("x", flags, "switch", "h").long == long


def test_a_record_is_a_value_that_cannot_be_changed() -> None:
    option = Option("dummy", ("--dummy",), "text", "A dummy.")
    with pytest.raises(AttributeError):
        option.help = "changed"  # type: ignore[misc]
    assert option._replace(help="other").help == "other" and option.help == "A dummy."
    assert option == Option("dummy", ("--dummy",), "text", "A dummy.")


def test_every_record_of_the_table_uses_the_vocabulary() -> None:
    for option in options.OPTIONS:
        assert option.kind in KINDS, option.name
        assert set(option.doors) <= {EXPORT, RUN_FILE} and option.doors, option.name
        assert option.long.startswith("--") and "/" not in option.long, option.name
        if option.bounds is not None:
            low, high = option.bounds
            assert option.kind == "count" and 1 <= low <= high <= MAX_PARALLEL, option.name


def test_the_closed_choices_of_the_table_are_the_vocabularys() -> None:
    by_name = {option.name: option for option in options.OPTIONS}
    assert by_name["headers"].choices == HEADER_STYLES
    assert by_name["split_by"].choices == SPLIT_UNITS
