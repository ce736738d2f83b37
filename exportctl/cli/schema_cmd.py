"""`exportctl schema [OBJECT]`: the fields, orders and filters of an object, from the schema tables."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from exportctl.cli import options
from exportctl.cli.completion_sources import complete_object
from exportctl.cli.console import write_json
from exportctl.schema import (
    CALENDAR_OPERATORS,
    EXPORT_OBJECTS,
    OPERATORS,
    PASSED_THROUGH_OPERATORS,
    YEARS_OPERATORS,
    ExportObject,
    lookup,
)

# What --filter checks for each family of operators: shown by `exportctl schema` and in the README.
OPERATOR_CHECKS = {
    "checked": "FiltersCondition's operators: the field's type, the value count and each value's form",
    "calendar": "on date fields only, no value (or true); sent as true: " + " ".join(CALENDAR_OPERATORS),
    "years": "on date fields only, a whole number of years: " + " ".join(YEARS_OPERATORS),
    "passed_through": "sent as written (strings, one or more), their meaning left to the API: "
    + " ".join(PASSED_THROUGH_OPERATORS),
}


def _as_dict(obj: ExportObject) -> dict[str, Any]:
    return {
        "object": obj.command,
        "exported_object": obj.exported_object,
        "summary": obj.summary,
        "fields": [
            {
                "name": field.name,
                "title": field.title,
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
            {"name": flt.name, "type": flt.type.value, "description": flt.description, "values": list(flt.values)}
            for flt in obj.filters
        ],
        "filter_prefixes": list(obj.filter_prefixes),
        "scopes": [{"option": f"--{scope.option}", "endpoint": scope.path} for scope in obj.scopes],
        "operators": {
            "checked": list(OPERATORS),
            "calendar": list(CALENDAR_OPERATORS),
            "years": list(YEARS_OPERATORS),
            "passed_through": list(PASSED_THROUGH_OPERATORS),
        },
    }


def _render(obj: ExportObject) -> None:
    from rich.table import Table

    from exportctl.cli.console import out_console

    fields = Table(title=f"{obj.command}: {obj.summary}", title_justify="left", expand=False)
    for column in ("field", "type", "default", "description"):
        fields.add_column(column, overflow="fold")
    for field in obj.fields:
        values = f" Values: {', '.join(field.values)}." if field.values else ""
        fields.add_row(
            field.name, field.type.value, "yes" if field.name in obj.default_fields else "", field.description + values
        )
    out_console().print(fields)
    if obj.api_only_fields:
        names = ", ".join(f.name for f in obj.api_only_fields)
        out_console().print(f"Fields also accepted (the API's defaults, OpenAPI or real exports): {names}")
    if obj.field_prefixes:
        out_console().print(f"Also accepted: {', '.join(p + 'X' for p in obj.field_prefixes)}")
    out_console().print(f"Orders: {', '.join(obj.orders)}")
    filters = Table(title="filters", title_justify="left")
    for column in ("filter", "type", "description"):
        filters.add_column(column, overflow="fold")
    for flt in obj.filters:
        values = f" Values: {', '.join(flt.values)}." if flt.values else ""
        filters.add_row(flt.name, flt.type.value, flt.description + values)
    out_console().print(filters)
    if obj.filter_prefixes:
        out_console().print(f"Filters also accepted: {', '.join(p + 'X' for p in obj.filter_prefixes)}")
    for scope in obj.scopes:
        out_console().print(f"--{scope.option}: {scope.help} (POST {scope.path})")
    if obj.filters or obj.filter_prefixes:
        out_console().print("Operators (beyond FiltersCondition only in the explicit form FIELD:$operator[:VALUES]):")
        for family in ("checked", "calendar", "years", "passed_through"):
            out_console().print(f"  {family}: {OPERATOR_CHECKS[family]}")


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
) -> None:
    """Show the fields (with descriptions), orders and filters of an exported object."""
    selected = [lookup(name)] if name else list(EXPORT_OBJECTS)
    if json_output:
        document: Any = _as_dict(selected[0]) if name else [_as_dict(obj) for obj in selected]
        write_json(json.dumps(document, indent=2))
        return
    if name is None:
        from rich.table import Table

        from exportctl.cli.console import out_console

        table = Table(title="Exported objects (exportctl schema OBJECT for the details)", title_justify="left")
        for column in ("object", "exported_object", "fields", "default fields"):
            table.add_column(column, overflow="fold")
        for obj in selected:
            table.add_row(obj.command, obj.exported_object, str(len(obj.fields)), ",".join(obj.default_fields))
        out_console().print(table)
        return
    _render(selected[0])
