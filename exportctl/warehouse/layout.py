"""How a load maps the CSV's typed columns onto a table, and the record of it kept in the database.

The table's columns are the typed view's column names (formats/types.py, made safe and unique by
formats/identifiers.py), plus `_unparsed`. Two tables beside it remember what exportctl made, so every
run maps alike:

- `_exportctl_tables`: per table, the object exported into it and the key it merges on;
- `_exportctl_columns`: per table, each column's source (the field's name, or the header cell as the
  export wrote it: a metadata key), its SQL name and its kind.

A column's SQL name is chosen once, when the column is created (`identifiers.column_name`: no control
characters, at most 63 bytes, unique without regard to case among the table's columns), and found again
by its source in later runs: the header cell `tier` keeps the column it got (`tier_2` beside `Tier`),
whatever other keys a later export has, and a new key gets a name none of the stored ones has. The same
header cell repeated in one header is `CELL #2`, `CELL #3`... as a source. A column keeps the kind it was
created with: a later run whose values would infer another kind loads the values that fit, and keeps the
rest in `_unparsed`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from exportctl.errors import UsageError
from exportctl.formats.identifiers import column_name, fold, quote_sqlite
from exportctl.formats.types import UNPARSED, Column, Kind
from exportctl.masking import printable
from exportctl.schema import ExportObject
from exportctl.warehouse.keys import describe, key_for

TABLES = "_exportctl_tables"
COLUMNS = "_exportctl_columns"
RESERVED_PREFIXES = ("sqlite_", "_exportctl_")


class Db(Protocol):
    """What both sqlite3 and duckdb connections offer: execute with `?` parameters."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...


# Both engines read the registry and tables through the stricter of the two quoting functions (no NUL:
# formats/identifiers.column_name never makes one).
quote = quote_sqlite


@dataclass(frozen=True)
class TableColumn:
    name: str  # its source: the field's name or the header cell (`source_keys`), or UNPARSED
    sql: str  # its identifier in the database
    kind: Kind


@dataclass
class Registration:
    """What `_exportctl_tables`/`_exportctl_columns` say about one table (None: exportctl never made it)."""

    table: str
    obj: str
    key: tuple[str, ...]
    columns: dict[str, TableColumn] = field(default_factory=dict)  # by name


@dataclass
class Layout:
    """One load's mapping: which CSV column goes to which table column, what is added, the key."""

    table: str
    key: tuple[TableColumn, ...]
    columns: list[tuple[int, TableColumn]]  # (index in the CSV record, table column)
    new: list[TableColumn]  # columns to create (every one when `create`), in order
    create: bool
    headers: list[str] = field(default_factory=list)  # the CSV's header cells, by index
    # Metadata columns of the table this export has no cell for: NULL in the rows it writes (the latest
    # export of a row says what its metadata is).
    absent: list[TableColumn] = field(default_factory=list)

    def mapping(self) -> list[dict[str, str]]:
        """`[{"header", "name", "type"}]`: each header cell, the column it went to, the column's kind."""
        return [
            {"header": self.headers[i] if i < len(self.headers) else c.name, "name": c.sql, "type": c.kind.value}
            for i, c in self.columns
        ]

    @property
    def kinds(self) -> list[Kind]:
        return [column.kind for _, column in self.columns]


def ensure_registry(db: Db) -> None:
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLES} (table_name TEXT PRIMARY KEY, object TEXT NOT NULL, "
        "merge_key TEXT NOT NULL)"
    )
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {COLUMNS} (table_name TEXT NOT NULL, name TEXT NOT NULL, "
        "sql_name TEXT NOT NULL, kind TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (table_name, name))"
    )


def read_registration(db: Db, table: str) -> Registration | None:
    rows = db.execute(f"SELECT table_name, object, merge_key FROM {TABLES}").fetchall()
    found = next((row for row in rows if fold(row[0]) == fold(table)), None)
    if found is None:
        return None
    registration = Registration(found[0], found[1], tuple(found[2].split(",")))
    for name, sql, kind in db.execute(
        f"SELECT name, sql_name, kind FROM {COLUMNS} WHERE table_name = ? ORDER BY position", [found[0]]
    ).fetchall():
        registration.columns[name] = TableColumn(name, sql, Kind(kind))
    return registration


def check_table_name(table: str) -> None:
    if not table or "\x00" in table or table.casefold().startswith(RESERVED_PREFIXES):
        raise UsageError(f"The table name {printable(table)!r} is reserved or not allowed.")


def check_table(obj: ExportObject, table: str, registration: Registration | None, exists: bool) -> None:
    """Refuse a table exportctl did not make, or made for another object: at plan time (read-only,
    warehouse/preflight.py) and again under the load's lock."""
    if registration is None and exists:
        raise UsageError(
            f"The table {printable(table)} exists and was not made by exportctl; not loading into it.",
            hint="Name another table: --into ENGINE:PATH#TABLE",
        )
    if registration is not None and registration.obj != obj.command:
        raise UsageError(
            f"The table {printable(table)} holds {registration.obj} exports, not {obj.command}.",
            hint="Name another table: --into ENGINE:PATH#TABLE",
        )


def check_key(obj: ExportObject, table: str, registration: Registration | None, key: Sequence[str]) -> None:
    """Refuse to merge rows on another key than the table's."""
    if registration is not None and registration.key != tuple(key):
        raise UsageError(
            f"The table {printable(table)} merges {obj.command} rows on {'+'.join(registration.key)}; this "
            f"export's key would be {'+'.join(key)}.",
            hint=f"Export {'+'.join(registration.key)} too (--fields), or load into another table.",
        )


def plan_layout(
    obj: ExportObject, columns: Sequence[Column], table: str, registration: Registration | None, exists: bool
) -> Layout:
    """The mapping of `columns` (kinds of new inferred columns still None) onto `table`.

    Refuses a table exportctl did not make, one made for another object or merged on another key, and
    an export without its key columns. Columns whose kind is None must be given one (`with_kinds`).
    """
    check_table_name(table)
    check_table(obj, table, registration, exists)
    key = key_for(obj, [c.field or "" for c in columns if c.field == c.name])
    if key is None:
        raise UsageError(
            f"This {obj.command} export has none of the columns that identify a row ({describe(obj)}).",
            hint="Add them to --fields.",
        )
    check_key(obj, table, registration, key)
    known = registration.columns if registration is not None else {}
    taken = {fold(c.sql) for c in known.values()} | {fold(UNPARSED)}
    sources = source_keys(columns)
    mapped: dict[int, TableColumn] = {}
    added_at: dict[int, TableColumn] = {}
    # Fields first, so that they keep their plain names whatever order the header has.
    order = sorted(range(len(columns)), key=lambda i: columns[i].field is None)
    for i in order:
        column = columns[i]
        existing = known.get(sources[i])
        if existing is not None:
            mapped[i] = existing
            continue
        added = TableColumn(sources[i], column_name(column.name, taken), column.kind or Kind.STRING)
        mapped[i] = added
        added_at[i] = added
    new = [added_at[i] for i in sorted(added_at)]  # created in the CSV's order
    if registration is None:
        new.append(TableColumn(UNPARSED, UNPARSED, Kind.JSON))
    by_name = {mapped[i].name: mapped[i] for i in mapped}
    written = set(sources)
    absent = [
        c for c in known.values() if c.name not in written and c.name != UNPARSED and obj.get_field(c.name) is None
    ]
    return Layout(
        table=registration.table if registration is not None else table,
        key=tuple(by_name[name] for name in key),
        columns=[(i, mapped[i]) for i in range(len(columns))],
        new=new,
        create=registration is None,
        headers=[column.header for column in columns],
        absent=absent,
    )


def source_keys(columns: Sequence[Column]) -> list[str]:
    """Each column's source, unique in one header: a field's name, else its header cell; a repeated one
    `CELL #2`, `CELL #3`... (a metadata key spelled like a field's name first tries `metadata.KEY`)."""
    used: set[str] = {UNPARSED}  # the source of `_unparsed` itself
    keys: list[str] = []
    for column in columns:
        base = column.field if column.field is not None and column.field == column.name else column.header
        candidates = [base] if column.field is not None else [base, f"metadata.{base}"]
        key = next((c for c in candidates if c not in used), None)
        number = 2
        while key is None or key in used:
            key, number = f"{base} #{number}", number + 1
        used.add(key)
        keys.append(key)
    return keys


def with_kinds(layout: Layout, kinds: dict[int, Kind]) -> Layout:
    """`layout` with the kinds inferred for new columns (by CSV index)."""
    replaced = {c.name: TableColumn(c.name, c.sql, kinds[i]) for i, c in layout.columns if i in kinds}
    columns = [(index, replaced.get(column.name, column)) for index, column in layout.columns]
    new = [replaced.get(column.name, column) for column in layout.new]
    key = tuple(replaced.get(column.name, column) for column in layout.key)
    return Layout(layout.table, key, columns, new, layout.create, layout.headers, layout.absent)


def register(db: Db, layout: Layout, obj: ExportObject) -> None:
    """Record the table (when created) and its new columns."""
    if layout.create:
        db.execute(
            f"INSERT INTO {TABLES} (table_name, object, merge_key) VALUES (?, ?, ?)",
            [layout.table, obj.command, ",".join(column.name for column in layout.key)],
        )
    start = db.execute(f"SELECT count(*) FROM {COLUMNS} WHERE table_name = ?", [layout.table]).fetchall()[0][0]
    for position, column in enumerate(layout.new, start=int(start)):
        db.execute(
            f"INSERT INTO {COLUMNS} (table_name, name, sql_name, kind, position) VALUES (?, ?, ?, ?, ?)",
            [layout.table, column.name, column.sql, column.kind.value, position],
        )


def table_statements(layout: Layout, sql_type: Callable[[Kind], str], *, key: bool = True) -> list[str]:
    """The DDL a load runs first, in either engine: CREATE TABLE with the key (without it: `key_statement`
    adds it once the rows are in), or one ADD COLUMN per new column."""
    table = quote(layout.table)
    if layout.create:
        definitions = [f"{quote(c.sql)} {sql_type(c.kind)}" for c in layout.new]
        if not key:
            return [f"CREATE TABLE {table} ({', '.join(definitions)})"]
        return [f"CREATE TABLE {table} ({', '.join(definitions)}, {_primary_key(layout)})"]
    return [f"ALTER TABLE {table} ADD COLUMN {quote(c.sql)} {sql_type(c.kind)}" for c in layout.new]


def key_statement(layout: Layout) -> str:
    """The primary key added to a table created without it (`table_statements(..., key=False)`)."""
    return f"ALTER TABLE {quote(layout.table)} ADD {_primary_key(layout)}"


def _primary_key(layout: Layout) -> str:
    return f"PRIMARY KEY ({', '.join(quote(c.sql) for c in layout.key)})"
