"""`--into postgres://USER@HOST:PORT/DB?schema=SCHEMA#TABLE`: a PostgreSQL target, read offline.

The text is a libpq connection URL (`postgres://` or `postgresql://`) with two additions of exportctl's:
the query parameter `schema` (default `public`) and, after the last `#`, the table (default: the object).
Everything else is libpq's: a part left out (`postgres:///db`, even `postgres://`) comes from libpq's
environment (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGSERVICE`...), a service file or `~/.pgpass`,
and other parameters (`sslmode=require`, `host=/run/postgresql`) pass to libpq as they are.

A password, in the user info (`user:secret@`) or as `password=`, is never shown: `shown_url` is the one
form of the URL any message, dry run or `--json` document prints.

Standard library only: --help and completion import request/into.py, which imports this on use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from exportctl.errors import UsageError
from exportctl.masking import MASK, printable

SCHEMES = ("postgres", "postgresql")
DEFAULT_SCHEMA = "public"
FORM = "postgres://USER@HOST:PORT/DB[?schema=SCHEMA][#TABLE]"
# `user:password@` up to the last `@` before the path, as libpq reads it.
_USERINFO_PASSWORD = re.compile(r"\A(?P<head>[A-Za-z]+://[^:@/?#]*):[^/?#]*@")
_PASSWORD_PARAMETER = re.compile(r"(?i)(?P<name>(?<=[?&])password=)[^&#]*")


class Target(NamedTuple):
    url: str  # libpq's URL: without `schema` and `#TABLE`
    schema: str
    table: str


def shown_url(url: str) -> str:
    """`url` with its password masked, wherever it is (`user:***@host`, `password=***`); printable."""
    shown = _USERINFO_PASSWORD.sub(lambda m: f"{m.group('head')}:{MASK}@", url)
    shown = _PASSWORD_PARAMETER.sub(lambda m: m.group("name") + MASK, shown)
    return printable(shown)


def password_of(url: str) -> str | None:
    """The password the URL carries (to mask it in a server's messages too), or None."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts = urlsplit(url)
    found = [value for name, value in parse_qsl(parts.query, keep_blank_values=True) if name == "password"]
    if found:
        return found[-1]
    match = _USERINFO_PASSWORD.match(url)
    if match is None:
        return None
    userinfo = url[len(match.group("head")) + 1 : match.end() - 1]
    return unquote(userinfo) or None


def parse_postgres(text: str, table: str, where: str, check_name: Callable[[str, str, str], None]) -> Target:
    """`postgres://...[?schema=S][#TABLE]` read and checked offline (names by `check_name(name, what, where)`);
    `table` when there is no `#TABLE`."""
    from urllib.parse import parse_qsl, quote, urlencode, urlsplit

    scheme, _, rest = text.partition(":")
    if scheme.lower() not in SCHEMES or not rest.startswith("//"):
        raise UsageError(f"{where}: '{shown_url(text)}' is not a PostgreSQL URL.", hint=f"Give {FORM}.")
    url, hash_, fragment = text.rpartition("#")
    if hash_:
        table = fragment
    else:
        url = text
    check_name(table, "table", where)
    if any(not char.isprintable() for char in url):
        raise UsageError(f"{where}: the PostgreSQL URL holds a control character.", hint=f"Give {FORM}.")
    try:
        parts = urlsplit(url)
        parameters = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise UsageError(
            f"{where}: '{shown_url(url)}' is not a PostgreSQL URL ({exc}).", hint=f"Give {FORM}."
        ) from None
    schemas = [value for name, value in parameters if name == "schema"]
    if len(schemas) > 1:
        raise UsageError(f"{where}: the URL names the schema {len(schemas)} times; give ?schema= once.")
    schema = schemas[0] if schemas else DEFAULT_SCHEMA
    check_name(schema, "schema", where)
    # %20 for a space: libpq decodes %XX only, never `+`.
    rest_query = urlencode([(name, value) for name, value in parameters if name != "schema"], quote_via=quote)
    libpq_url = f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{rest_query}" if rest_query else "")
    return Target(libpq_url, schema, table)


def shown_target(url: str, schema: str, table: str) -> str:
    return f"{shown_url(url)}#{printable(schema)}.{printable(table)}"
