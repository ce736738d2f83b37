"""What --dry-run shows of an `--into` load, offline: the table, the key it merges on, the typed columns.

The columns are those the schema tables give for the requested fields (the API's defaults when none are
asked for), with the engine's SQL type; metadata keys and fields under a prefix (`metadata.tier`) get a
column each whose type the values decide, shown as `inferred`. Then `_unparsed`. Each column shows the
header cell the export will have for it (`header`: the field's title, or its name with `--headers fields`).
When the database already holds the table, `stored` lists the mapping kept with it (header cell or field
-> column name -> kind), which a run keeps: the same header cells get the same columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from exportctl.formats.types import KIND_OF, UNPARSED, Kind
from exportctl.masking import printable
from exportctl.request.into import DUCKDB, Into
from exportctl.schema import ExportObject
from exportctl.warehouse.keys import merge_key

INFERRED = "inferred"


def table_preview(
    obj: ExportObject, fields: Sequence[str] | None, into: Into, *, style: str | None = "api"
) -> dict[str, Any]:
    """`{"engine", "path", "table", "key", "columns": [{"name", "type", "header"}]}` for --dry-run (--json
    too), and `stored` (the mapping kept with an existing table) when there is one."""
    if into.engine == DUCKDB:
        from exportctl.warehouse.duckdb_engine import sql_type
    elif into.server:
        from exportctl.warehouse.postgres_engine import sql_type
    else:
        from exportctl.warehouse.sqlite_engine import sql_type

    columns: list[dict[str, str]] = []
    for name in fields or obj.default_fields:
        found = obj.get_field(name)
        header = name if style == "fields" else obj.title_of(name)
        if name == "metadata":  # an export writes one column per metadata key, not the object
            columns.append({"name": "(one per metadata key)", "type": INFERRED, "header": "(each key)"})
        elif found is not None and name in obj.accepted_field_names:
            columns.append({"name": name, "type": sql_type(KIND_OF[found.type]), "header": header})
        else:  # under a prefix (metadata.tier): the values decide
            columns.append({"name": name, "type": INFERRED, "header": header})
    columns.append({"name": UNPARSED, "type": sql_type(Kind.JSON), "header": "(none)"})
    preview = {**into.to_json(), "key": list(merge_key(obj, fields)), "columns": columns}
    stored = stored_mapping(into)
    if stored:
        preview["stored"] = stored
    return preview


def stored_mapping(into: Into) -> list[dict[str, str]]:
    """The table's mapping as the database keeps it (`_exportctl_columns`), read only; [] when there is none
    or the database cannot be read now (a dry run changes nothing and fails on nothing here)."""
    if into.server:
        from exportctl.warehouse.pg_preflight import stored_registration

        found = stored_registration(into)
        return (
            []
            if found is None
            else [{"header": c.name, "name": c.sql, "type": c.kind.value} for c in found.columns.values()]
        )
    if not into.path.is_file():
        return []
    try:
        if into.engine == DUCKDB:
            import duckdb

            conn: Any = duckdb.connect(str(into.path), read_only=True)
        else:
            import sqlite3

            conn = sqlite3.connect(f"{into.path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            from exportctl.warehouse.layout import read_registration

            registration = read_registration(conn, into.table)
        finally:
            conn.close()
    except Exception:  # not a database of ours, locked, or the extra missing: nothing is known
        return []
    if registration is None:
        return []
    return [{"header": c.name, "name": c.sql, "type": c.kind.value} for c in registration.columns.values()]


def preview_lines(preview: dict[str, Any]) -> list[str]:
    """The preview as lines for a person."""
    if "url" in preview:
        target = f"{preview['url']}#{preview['schema']}.{preview['table']}"
    else:
        target = f"{preview['engine']}:{preview['path']}#{preview['table']}"
    width = max(len(column["name"]) for column in preview["columns"])
    lines = [f"into {target}, rows merged on {'+'.join(preview['key'])}:"]
    lines += [f"  {column['name']:<{width}}  {column['type']}" for column in preview["columns"]]
    if preview.get("stored"):
        lines.append("columns the table keeps (header cell -> column, kind):")
        lines += [f"  '{printable(c['header'])}' -> '{printable(c['name'])}', {c['type']}" for c in preview["stored"]]
    return lines
