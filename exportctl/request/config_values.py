"""A YAML value read as the type its key wants, with the message that names the key and what was found."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exportctl.errors import UsageError, ValidationError


def text(value: Any, where: str) -> str:
    """A scalar as text; UsageError naming `where` for a mapping, a list, a boolean or nothing."""
    # YAML reads `voucher: 12345` as a number; a scalar is meant as its text.
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UsageError(f"{where}: expected a string, got {describe(value)}.")
    return str(value)


def path_text(value: str | None, where: str) -> str | None:
    """`value` as a file path; UsageError for the NUL byte, which no file system takes."""
    if value is not None and "\0" in value:
        raise UsageError(f"{where}: a path cannot contain a NUL byte (\\0).")
    return value


def boolean(value: Any, where: str) -> bool:
    """A YAML boolean; ValidationError naming `where` for anything else (`"yes"` is text, not true)."""
    if not isinstance(value, bool):
        raise ValidationError(f"{where}: expected true or false, got {describe(value)}.", valid=("true", "false"))
    return value


def describe(value: Any) -> str:
    """What a message says was found instead: `nothing`, `a mapping`, `a list`, or the type and value."""
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
