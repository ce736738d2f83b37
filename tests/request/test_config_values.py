"""A YAML value read as its key wants it, with a message naming the key and what was found."""

from __future__ import annotations

import pytest

from exportctl.errors import UsageError, ValidationError
from exportctl.request.config_values import boolean, describe, path_text, text


def test_a_scalar_is_its_text() -> None:
    assert text(12345, "f.yaml:1: voucher") == "12345"
    assert text(1.5, "w") == "1.5"
    for value, found in (([1], "a list"), ({"a": 1}, "a mapping"), (None, "nothing"), (True, "bool True")):
        with pytest.raises(UsageError, match=f"^f.yaml:1: voucher: expected a string, got {found}.$"):
            text(value, "f.yaml:1: voucher")


def test_a_path_refuses_the_nul_byte() -> None:
    assert path_text("a/b.csv", "--output") == "a/b.csv"
    assert path_text(None, "--output") is None
    with pytest.raises(UsageError, match=r"--output: a path cannot contain a NUL byte"):
        path_text("a\0b", "--output")


def test_a_boolean_is_only_true_or_false() -> None:
    assert boolean(False, "force") is False
    with pytest.raises(ValidationError) as caught:
        boolean("yes", "c.yaml:2: force")
    assert caught.value.message == "c.yaml:2: force: expected true or false, got str 'yes'. Valid values: true, false."
    assert describe(3) == "int 3"
