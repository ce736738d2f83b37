"""How the schema tables become SQLite tables: one table per exported object, columns derived from schema.py.

A record's columns are every field the API accepts for its object, every attribute a filter or an
order tests, and one JSON column per documented prefix (`metadata`, `address`, `summary`, ...), so
`metadata.region` or `summary.orders.total_amount` are paths into a JSON column. Nothing here names a
field: adding a field to schema.py adds a column.
"""

from __future__ import annotations

from functools import cache

from exportctl import schema

# The SQLite table holding each exported object's records.
TABLE_NAMES: dict[str, str] = {
    "order": "orders",
    "voucher": "vouchers",
    "publication": "publications",
    "redemption": "redemptions",
    "customer": "customers",
    "points_expiration": "points_buckets",
    "voucher_transactions": "voucher_transactions",
    "product": "products",
    "sku": "skus",
    "api_log": "api_logs",
}

# Attributes stored as comma-separated lists ("1,2,3,4,5", as the export writes them); the `$count*`
# operators count their elements and `$in`/`$contains` test membership.
LIST_ATTRIBUTES: frozenset[str] = frozenset({"validity_day_of_week"})

# Tables the exports join against but never export themselves.
INTERNAL_TABLES: dict[str, tuple[str, ...]] = {
    "campaigns": (
        "id",
        "name",
        "campaign_type",
        "voucher_type",
        "category",
        "category_id",
        "created_at",
        "discount_type",
        "prefix",
    ),
    "categories": ("id", "name"),
    "meta": ("key", "value"),
}


def json_column(name: str) -> str | None:
    """The JSON column a dotted attribute lives in (`address.city` -> `address`), or None if flat."""
    head, dot, _ = name.partition(".")
    return head if dot else None


@cache
def columns(exported_object: str) -> tuple[str, ...]:
    """The columns of an object's table, in a stable order: id, fields, filter attributes, orders, prefixes."""
    obj = schema.API_OBJECTS[exported_object]
    names: dict[str, None] = {"id": None}
    for field in schema.accepted_fields(exported_object):
        names[field.name] = None
    for flt in obj.filters:
        names[json_column(flt.attribute) or flt.attribute] = None
    for order in obj.orders:
        names[order.lstrip("-")] = None
    for prefix in (*obj.field_prefixes, *obj.filter_prefixes):
        # The JSON column a filter under the prefix reads (`system.metadata.X` lives in `system`).
        names[json_column(prefix + "X") or prefix] = None
    return tuple(names)


def create_statements() -> list[str]:
    """The DDL of every table; columns are untyped because SQLite stores each value with its own type."""
    statements = []
    for exported_object, table in TABLE_NAMES.items():
        cols = ", ".join(f'"{name}"' for name in columns(exported_object))
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
    for table, cols_tuple in INTERNAL_TABLES.items():
        cols = ", ".join(f'"{name}"' for name in cols_tuple)
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
    return statements


# Built after the bulk load: an index per lookup the endpoints make, not per order (SQLite sorts
# an export in its own temporary store, which keeps generation fast).
INDEX_STATEMENTS: tuple[str, ...] = (
    "CREATE INDEX IF NOT EXISTS vouchers_id ON vouchers (id)",
    "CREATE INDEX IF NOT EXISTS vouchers_code ON vouchers (code)",
    "CREATE INDEX IF NOT EXISTS campaigns_id ON campaigns (id)",
    "CREATE INDEX IF NOT EXISTS campaigns_name ON campaigns (name)",
)
