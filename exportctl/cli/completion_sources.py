"""Completion answers computed from the schema tables alone: no network, no requests, no yaml."""

from __future__ import annotations

from collections.abc import Callable

from exportctl.schema import EXPORT_OBJECTS, ExportObject


def complete_comma_list(choices: tuple[str, ...], incomplete: str) -> list[str]:
    """Complete the last item of a comma list: `code,va` -> `code,value`, `code,valid...`."""
    head, _, last = incomplete.rpartition(",")
    taken = set(head.split(",")) if head else set()
    prefix = f"{head}," if head else ""
    return [prefix + choice for choice in choices if choice.startswith(last) and choice not in taken]


def fields_completer(obj: ExportObject) -> Callable[[str], list[str]]:
    def complete(incomplete: str) -> list[str]:
        return complete_comma_list(obj.field_names, incomplete)

    return complete


def orders_completer(obj: ExportObject) -> Callable[[str], list[str]]:
    def complete(incomplete: str) -> list[str]:
        return [order for order in obj.orders if order.startswith(incomplete)]

    return complete


def filters_completer(obj: ExportObject) -> Callable[[str], list[str]]:
    """Filter field names first; once a field is typed, its enum values after `=`."""

    def complete(incomplete: str) -> list[str]:
        for candidate in obj.filters:
            typed = f"{candidate.name}="
            if incomplete.startswith(typed) and candidate.values:
                values = complete_comma_list(candidate.values, incomplete[len(typed) :])
                return [typed + value for value in values]
        return [name for name in obj.filter_names if name.startswith(incomplete)]

    return complete


def complete_object(incomplete: str) -> list[str]:
    return [obj.command for obj in EXPORT_OBJECTS if obj.command.startswith(incomplete)]


def complete_profile(incomplete: str) -> list[str]:
    """Profile names from the profile file, read without yaml (see settings.profile_names)."""
    from exportctl.settings import profile_names

    return [name for name in profile_names() if name.startswith(incomplete)]
