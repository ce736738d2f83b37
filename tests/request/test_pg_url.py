"""`--into postgres://...` read offline: exportctl's schema and table taken out, libpq's parameters kept,
and the password masked in every form the target is shown in."""

from __future__ import annotations

import pytest

from exportctl.errors import UsageError
from exportctl.request.into import parse_into
from exportctl.request.pg_url import password_of, shown_url


@pytest.mark.parametrize(
    ("text", "url", "schema", "table"),
    [
        ("postgres://u@h:5432/db?schema=s#t", "postgres://u@h:5432/db", "s", "t"),
        ("postgresql://u@h/db", "postgresql://u@h/db", "public", "voucher"),
        (
            "postgres:///db?host=/run/x y&sslmode=disable",
            "postgres:///db?host=%2Frun%2Fx%20y&sslmode=disable",
            "public",
            "voucher",
        ),
        ("postgres://", "postgres://", "public", "voucher"),
        ("POSTGRES://h/db#T_1", "postgres://h/db", "public", "T_1"),
    ],
)
def test_the_url_schema_and_table(text: str, url: str, schema: str, table: str) -> None:
    into = parse_into(text, "voucher")
    assert (into.engine, into.url, into.schema, into.table) == ("postgres", url, schema, table)


@pytest.mark.parametrize(
    "text",
    [
        "postgres://loader:s3cret-word@h:5432/db?schema=s#t",
        "postgres://loader:s3cret%40word@h/db",
        "postgres://loader@h/db?password=s3cret-word&sslmode=require",
        "postgres://loader@h/db?sslmode=require&PASSWORD=s3cret-word#t",
    ],
)
def test_a_password_is_never_shown(text: str) -> None:
    into = parse_into(text, "voucher")
    for shown in (str(into), repr(into.to_json()), shown_url(into.url)):
        assert "s3cret" not in shown
        assert "***" in shown
    assert password_of(into.url) in ("s3cret-word", "s3cret@word") or "PASSWORD" in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("postgres:db", "is not a PostgreSQL URL"),
        ("postgres://h/db?schema=", "'' is not a schema name"),
        ("postgres://h/db?schema=x;drop", "is not a schema name"),
        ("postgres://h/db?schema=a&schema=b", "names the schema 2 times"),
        ("postgres://h/db#a b", "not a table name"),
        ("postgres://h/d\x1bb", "control character"),
        ("postgres://u:pw-secret@h/db?x=1&&=#t", "is not a PostgreSQL URL"),
    ],
)
def test_bad_urls_are_refused_without_their_password(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_into(text, "voucher")
    assert message in caught.value.message
    assert "pw-secret" not in caught.value.message and "\x1b" not in caught.value.message
