"""`exportctl schema [OBJECT]`: the fields, orders and filters of an object, from the schema tables."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from exportctl.cli import options
from exportctl.cli.completion_sources import complete_object
from exportctl.cli.console import write_json
from exportctl.cli.tables import OutputFormat, Rows, choose_format
from exportctl.schema import (
    CALENDAR_MD_OPERATORS,
    CALENDAR_OPERATORS,
    DOCUMENTED,
    EXPORT_OBJECTS,
    OPERATORS,
    PASSED_THROUGH_OPERATORS,
    SOURCES,
    UNKNOWN_OPERATORS,
    YEARS_OPERATORS,
    ExportObject,
    Scope,
    lookup,
)

# What --filter checks for each family of operators: shown by `exportctl schema` and in the README.
OPERATOR_CHECKS = {
    "checked": "FiltersCondition's operators: the field's type, the value count and each value's form",
    "calendar": "on date fields only, no value (or true); sent as true: " + " ".join(CALENDAR_OPERATORS),
    "calendar_md": "on date fields only, by month and day (the year ignored); value form undocumented: none "
    "(sent as true) or values sent as written: " + " ".join(CALENDAR_MD_OPERATORS),
    "years": "on date fields only, a whole number of years: " + " ".join(YEARS_OPERATORS),
    "passed_through": "sent as written (strings, one or more), their meaning left to the API: "
    + " ".join(PASSED_THROUGH_OPERATORS),
    "refused": "not in the API's list (400 invalid_payload), refused offline: "
    + " ".join(f"{op} (write {instead})" for op, instead in UNKNOWN_OPERATORS.items()),
}


def _as_dict(obj: ExportObject) -> dict[str, Any]:
    return {
        "object": obj.command,
        "exported_object": obj.exported_object,
        "summary": obj.summary,
        # Where the tables come from: "documented" (verified against the documented export object), "sdk-enum"
        # or "changelog" (unverified: no real CSV seen).
        "source": obj.source,
        "verified": obj.source == DOCUMENTED,
        "source_note": SOURCES[obj.source],
        "fields": [
            {
                "name": field.name,
                "title": field.title,
                # Other titles that name the field in a CSV header (the dashboard's labels).
                "aliases": list(field.aliases),
                "type": field.type.value,
                "description": field.description,
                "values": list(field.values),
                "default": field.name in obj.default_fields,
            }
            for field in obj.fields
        ],
        "field_prefixes": list(obj.field_prefixes),
        # Accepted by --fields beyond the tables: named by the defaults, the OpenAPI document or real exports.
        "api_only_fields": [f.name for f in obj.api_only_fields],
        "default_fields": list(obj.default_fields),
        "orders": list(obj.orders),
        "filters": [
            {
                "name": flt.name,
                "type": flt.type.value,
                "description": flt.description,
                "values": list(flt.values),
                # Empty: every operator of the type; else only those the reference documents.
                "operators": list(flt.operators),
                "ignored_operators": list(flt.ignored),
            }
            for flt in obj.filters
        ],
        "filter_prefixes": list(obj.filter_prefixes),
        "scopes": [{"option": _scope_label(scope), "endpoint": scope.path} for scope in obj.scopes],
        # A kind's command keeps its records by `type`, except behind the endpoints that give only its kind.
        "kept_types": list(_kept_types(obj)),
        "kind_endpoints": [_scope_label(scope) for scope in obj.scopes if scope.one_kind],
        "operators": {
            "checked": list(OPERATORS),
            "calendar": list(CALENDAR_OPERATORS),
            "calendar_md": list(CALENDAR_MD_OPERATORS),
            "years": list(YEARS_OPERATORS),
            "passed_through": list(PASSED_THROUGH_OPERATORS),
            "refused": dict(UNKNOWN_OPERATORS),
        },
    }


def _kept_types(obj: ExportObject) -> tuple[str, ...]:
    found = obj.get_field("type") if obj.kind else None
    return found.values if found is not None else ()


def _scope_label(scope: Scope) -> str:
    """`--member`, or `--campaign --member` for an endpoint that takes both."""
    return f"--{scope.along} --{scope.option}" if scope.along else f"--{scope.option}"


def _render(obj: ExportObject, fmt: str) -> None:
    fields = Rows(
        ("field", "type", "default", "description"),
        title=f"{obj.command}: {obj.summary}",
        whole=("field",),
        prose=("description",),
        drop=("default", "type", "description"),
    )
    for field in obj.fields:
        values = f" Values: {', '.join(field.values)}." if field.values else ""
        fields.add(
            field.name, field.type.value, "yes" if field.name in obj.default_fields else "", field.description + values
        )
    fields.print(fmt)
    notes = [f"Orders: {', '.join(obj.orders)}", f"Source: {obj.source}: {SOURCES[obj.source]}."]
    if obj.field_prefixes:
        notes.insert(0, f"Also accepted: {', '.join(p + 'X' for p in obj.field_prefixes)}")
    if obj.api_only_fields:
        names = ", ".join(f.name for f in obj.api_only_fields)
        notes.insert(0, f"Fields also accepted (the API's defaults, OpenAPI or real exports): {names}")
    filters = Rows(
        ("filter", "type", "description"),
        title="filters",
        whole=("filter",),
        prose=("description",),
        drop=("type", "description"),
    )
    for flt in obj.filters:
        values = f" Values: {', '.join(flt.values)}." if flt.values else ""
        documented = f" Operators: {', '.join(flt.operators)}." if flt.operators else ""
        ignored = f" The API ignores {', '.join(flt.ignored)} (warned)." if flt.ignored else ""
        filters.add(flt.name, flt.type.value, flt.description + values + documented + ignored)
    after = []
    if obj.filter_prefixes:
        after.append(f"Filters also accepted: {', '.join(p + 'X' for p in obj.filter_prefixes)}")
    after += [f"{_scope_label(scope)}: {scope.help} (POST {scope.path})" for scope in obj.scopes]
    # The option table's API parameters sent as given (voucher --campaign: parameters.campaign_id).
    from exportctl.request.option_keys import applies, body_parameters

    after += [f"{o.long} {o.metavar or 'VALUE'}: sent as {o.key}" for o in body_parameters() if applies(o, obj)]
    if obj.kind:
        by_endpoint = [_scope_label(scope) for scope in obj.scopes if scope.one_kind]
        unless = f" (with {' or '.join(by_endpoint)} the endpoint gives only them)" if by_endpoint else ""
        after.append(f"Rows kept: type {', '.join(_kept_types(obj))}; needs the type field{unless}.")
    if obj.filters or obj.filter_prefixes:
        after.append("Operators (beyond FiltersCondition only in the explicit form FIELD:$operator[:VALUES]):")
        after += [f"  {family}: {text}" for family, text in OPERATOR_CHECKS.items()]
    # Off a terminal the sections are separated by an empty line, each table with its own header row.
    _lines(notes, fmt)
    filters.print(fmt)
    _lines(after, fmt)


def _lines(lines: list[str], fmt: str) -> None:
    if not lines:
        return
    text = "\n".join(lines)
    sys.stdout.write(("\n" + text + "\n\n") if fmt == "tsv" else (text + "\n"))
    sys.stdout.flush()


def schema(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="[OBJECT]",
            help="An object, e.g. voucher. Without it: every object.",
            autocompletion=complete_object,
        ),
    ] = None,
    json_output: options.JsonOutput = False,
    output_format: OutputFormat = None,
) -> None:
    """Show the fields (with descriptions), orders and filters of an exported object."""
    fmt = choose_format(output_format, json_flag=json_output)
    selected = [lookup(name)] if name else list(EXPORT_OBJECTS)
    if fmt == "json":
        document: Any = _as_dict(selected[0]) if name else [_as_dict(obj) for obj in selected]
        write_json(json.dumps(document, indent=2))
        return
    if name is None:
        table = Rows(
            ("object", "exported_object", "fields", "default fields", "source"),
            title="Exported objects (exportctl schema OBJECT for the details)",
            whole=("object",),
            right=("fields",),
            prose=("default fields",),
            drop=("default fields", "fields", "exported_object"),
        )
        for obj in selected:
            source = obj.source if obj.source == DOCUMENTED else f"{obj.source} (unverified)"
            table.add(obj.command, obj.exported_object, len(obj.fields), ",".join(obj.default_fields), source)
        table.print(fmt)
        return
    _render(selected[0], fmt)
