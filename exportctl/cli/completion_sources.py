"""Completion answers computed from the schema tables alone: no network, no requests, no yaml."""

# No `from __future__ import annotations`: Typer inspects every completer's signature when it builds a
# command, and string annotations would be compiled and evaluated on each start-up.

import os
import re
from collections.abc import Callable
from pathlib import Path

from exportctl.schema import EXPORT_OBJECTS, ExportObject


def complete_comma_list(choices: tuple[str, ...], incomplete: str) -> list[str]:
    """Complete the last item of a comma list: `code,va` -> `code,value`, `code,valid...`."""
    head, _, last = incomplete.rpartition(",")
    taken = set(head.split(",")) if head else set()
    prefix = f"{head}," if head else ""
    return [prefix + choice for choice in choices if choice.startswith(last) and choice not in taken]


def fields_completer(obj: ExportObject) -> Callable[[str], list[str]]:
    """Field names and the documented prefixes (`address.`); after a prefix, the sub-fields the schema names
    (`address.` -> `address.city`, from `address_city`)."""

    def complete(incomplete: str) -> list[str]:
        last = incomplete.rpartition(",")[2]
        prefix = next((prefix for prefix in obj.field_prefixes if last.startswith(prefix)), None)
        if prefix is None:
            return complete_comma_list((*obj.field_names, *obj.field_prefixes), incomplete)
        stem = prefix.rstrip(".") + "_"
        nested = tuple(prefix + name[len(stem) :] for name in obj.field_names if name.startswith(stem))
        return complete_comma_list(nested, incomplete)

    return complete


def orders_completer(obj: ExportObject) -> Callable[[str], list[str]]:
    def complete(incomplete: str) -> list[str]:
        return [order for order in obj.orders if order.startswith(incomplete)]

    return complete


# Operators whose values are the field's own values (enums): shorthand tokens, longest first, then the
# explicit `field:$operator:` and `field:operator:` forms.
_VALUE_TOKENS = ("!=", "!~", "=", "~", "^", "$")
_EXPLICIT_OPERATOR = r":\$?[a-z_]+:"  # compiled by `re` when a filter is completed, not at start-up


def filters_completer(obj: ExportObject) -> Callable[[str], list[str]]:
    """Filter field names first; once a field and an operator are typed, the field's enum values."""

    def complete(incomplete: str) -> list[str]:
        for candidate in obj.filters:
            if not candidate.values or not incomplete.startswith(candidate.name):
                continue
            rest = incomplete[len(candidate.name) :]
            token = next((token for token in _VALUE_TOKENS if rest.startswith(token)), None)
            explicit = re.match(_EXPLICIT_OPERATOR, rest)
            operator = token or (explicit.group(0) if explicit else None)
            if operator is None:
                continue
            typed = candidate.name + operator
            return [typed + value for value in complete_comma_list(candidate.values, rest[len(operator) :])]
        return [name for name in obj.filter_names if name.startswith(incomplete)]

    return complete


def choices_completer(choices: tuple[str, ...]) -> Callable[[str], list[str]]:
    """A closed set of values (`--junction and|or`): those that start with what is typed."""

    def complete(incomplete: str) -> list[str]:
        return [choice for choice in choices if choice.startswith(incomplete)]

    return complete


def complete_directory(incomplete: str) -> list[str]:
    """Directories only (`--output-dir`), each with a trailing `/` so that TAB can go on into it."""
    head, _, partial = incomplete.rpartition("/")
    base = head + "/" if head else ""
    try:
        entries = sorted(os.scandir(Path(base).expanduser() if base else "."), key=lambda entry: entry.name)
    except OSError:
        return []
    hidden = partial.startswith(".")
    return [
        f"{base}{entry.name}/"
        for entry in entries
        if entry.name.startswith(partial) and (hidden or not entry.name.startswith(".")) and _is_dir(entry)
    ]


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def complete_region(incomplete: str) -> list[str]:
    from exportctl.settings import REGIONS

    return [region for region in REGIONS if region.startswith(incomplete)]


def complete_object(incomplete: str) -> list[str]:
    return [obj.command for obj in EXPORT_OBJECTS if obj.command.startswith(incomplete)]


def complete_profile(incomplete: str) -> list[str]:
    """Profile names from the profile file, read without yaml (see settings.profile_names)."""
    from exportctl.settings import profile_names

    return [name for name in profile_names() if name.startswith(incomplete)]
