"""What --dry-run shows of an `--into` load, offline: the table, the key it merges on, the typed columns.

The columns are those the schema tables give for the requested fields (the API's defaults when none are
asked for), with the engine's SQL type; metadata keys and fields under a prefix (`metadata.tier`) get a
column each whose type the values decide, shown as `inferred`. Then `_unparsed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from exportctl.formats.types import KIND_OF, UNPARSED, Kind
from exportctl.request.into import DUCKDB, Into
from exportctl.schema import ExportObject
from exportctl.warehouse.keys import merge_key

INFERRED = "inferred"


def table_preview(obj: ExportObject, fields: Sequence[str] | None, into: Into) -> dict[str, Any]:
    """`{"engine", "path", "table", "key", "columns": [{"name", "type"}]}` for --dry-run (--json too)."""
    if into.engine == DUCKDB:
        from exportctl.warehouse.duckdb_engine import sql_type
    else:
        from exportctl.warehouse.sqlite_engine import sql_type

    columns: list[dict[str, str]] = []
    for name in fields or obj.default_fields:
        found = obj.get_field(name)
        if name == "metadata":  # an export writes one column per metadata key, not the object
            columns.append({"name": "(one per metadata key)", "type": INFERRED})
        elif found is not None and name in obj.accepted_field_names:
            columns.append({"name": name, "type": sql_type(KIND_OF[found.type])})
        else:  # under a prefix (metadata.tier): the values decide
            columns.append({"name": name, "type": INFERRED})
    columns.append({"name": UNPARSED, "type": sql_type(Kind.JSON)})
    return {**into.to_json(), "key": list(merge_key(obj, fields)), "columns": columns}


def preview_lines(preview: dict[str, Any]) -> list[str]:
    """The preview as lines for a person."""
    target = f"{preview['engine']}:{preview['path']}#{preview['table']}"
    width = max(len(column["name"]) for column in preview["columns"])
    lines = [f"into {target}, rows merged on {'+'.join(preview['key'])}:"]
    lines += [f"  {column['name']:<{width}}  {column['type']}" for column in preview["columns"]]
    return lines
