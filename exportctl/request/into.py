"""The typed outputs' options, read offline: `--format`, `--unparsed` and the `--into ENGINE:PATH[#TABLE]` target.

`--into duckdb:warehouse.duckdb#vouchers` names an engine (`duckdb`, `sqlite`), the database file and,
after the last `#`, the table; `--into postgres://user@host:5432/db?schema=s#vouchers` (or `postgresql://`)
names a PostgreSQL server as a libpq URL (its other parameters, `sslmode=...`, pass to libpq; `schema`,
default `public`, is exportctl's), read by `request.pg_url`. Without `#TABLE` the table is the command's
name with `-` turned into `_` (`voucher`, `gift_card_transactions`). A table is one plain SQL identifier
(letters, digits, `_`, not starting with a digit, at most 63 characters), so it never needs quoting in
any engine; anything else is refused before a request is sent, like a NUL byte in the path or an engine
that is not known.

Standard library only: --help and completion import this module.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from exportctl.errors import UsageError, ValidationError

CSV, JSONL, PARQUET = "csv", "jsonl", "parquet"
FORMATS = (CSV, JSONL, PARQUET)
# The file name extension of each format: the default target name follows the format.
EXTENSIONS = {CSV: ".csv", JSONL: ".jsonl", PARQUET: ".parquet"}
DUCKDB, SQLITE, POSTGRES = "duckdb", "sqlite", "postgres"
ENGINES = (DUCKDB, SQLITE, POSTGRES)
KEEP, FAIL = "keep", "fail"
UNPARSED_MODES = (KEEP, FAIL)

TABLE_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}\Z")
INTO_FORM = (
    "ENGINE:PATH[#TABLE], e.g. duckdb:warehouse.duckdb or sqlite:exports.db#vouchers, "
    "or postgres://USER@HOST:PORT/DB[?schema=SCHEMA][#TABLE]"
)


class Into(NamedTuple):
    """Where `--into` loads an export: the engine, the database file, the table (a NamedTuple: completion
    and --help import this module and create no dataclass)."""

    engine: str  # "duckdb" | "sqlite" | "postgres"
    path: Path  # the database file (postgres: the current directory, where nothing is written)
    table: str
    url: str = ""  # postgres: the libpq URL without `schema` and `#TABLE`, password and all: never shown
    schema: str = ""  # postgres: the table's schema

    @property
    def server(self) -> bool:
        """Whether the target is a database server (postgres), not a file."""
        return self.engine == POSTGRES

    def __str__(self) -> str:
        if self.server:
            from exportctl.request.pg_url import shown_target

            return shown_target(self.url, self.schema, self.table)
        return f"{self.engine}:{self.path}#{self.table}"

    def to_json(self) -> dict[str, str]:
        if self.server:
            from exportctl.request.pg_url import shown_url

            return {"engine": self.engine, "url": shown_url(self.url), "schema": self.schema, "table": self.table}
        return {"engine": self.engine, "path": str(self.path), "table": self.table}


def default_table(command: str) -> str:
    """The table an object loads into without `#TABLE`: `gift-card-transactions` -> `gift_card_transactions`."""
    return command.replace("-", "_")


def parse_into(text: str, command: str, where: str = "--into") -> Into:
    """`ENGINE:PATH[#TABLE]` read and checked; UsageError (ValidationError for the engine) naming `where`."""
    if "\0" in text:
        raise UsageError(f"{where}: a path cannot contain a NUL byte (\\0).")
    from exportctl.suggest import closest  # difflib: only when a value is checked, not for --help

    if text.split(":", 1)[0].lower() in ("postgres", "postgresql"):
        from exportctl.request.pg_url import parse_postgres

        url, schema, table = parse_postgres(text, default_table(command), where, check_name)
        return Into(POSTGRES, Path(), table, url=url, schema=schema)
    engine, colon, rest = text.partition(":")
    if not colon:
        guess = f" Did you mean 'duckdb:{text}'?" if text and closest(text, ENGINES) is None else ""
        raise UsageError(f"{where}: '{text}' is not ENGINE:PATH.{guess}", hint=f"Give {INTO_FORM}.")
    if engine not in ENGINES:
        raise ValidationError(
            f"{where}: '{engine}' is not a database engine.", valid=ENGINES, suggestion=closest(engine, ENGINES)
        )
    path_text, hash_, table = rest.rpartition("#")
    if not hash_:
        path_text, table = rest, default_table(command)
    if not path_text.strip():
        raise UsageError(f"{where}: the database path is empty.", hint=f"Give {INTO_FORM}.")
    check_name(table, "table", where)
    return Into(engine, Path(path_text).expanduser(), table)


def check_name(name: str, what: str, where: str) -> None:
    """Refuse a table or schema name that is not one plain SQL identifier."""
    if not TABLE_PATTERN.match(name):
        shown = name if name.isprintable() else repr(name)
        raise UsageError(
            f"{where}: '{shown[:80]}' is not a {what} name: "
            "use up to 63 letters, digits and _, not starting with a digit.",
            hint=f"Give {INTO_FORM}; a path with # in it needs #TABLE at the end.",
        )


def check_choice(value: str, choices: tuple[str, ...], what: str, where: str) -> str:
    """`value` if it is one of `choices`; ValidationError with a did-you-mean otherwise."""
    if value in choices:
        return value
    from exportctl.suggest import closest

    raise ValidationError(f"{where}: '{value}' is not {what}.", valid=choices, suggestion=closest(value, choices))
