"""Changing records in place, as the real API's do after their first export: a field and `updated_at`.

A voucher is (de)activated, an order moves on in its life (CREATED -> PAID -> FULFILLED), a customer becomes a
VIP (or stops being one), a succeeded redemption is rolled back; every other object with an `updated_at`
column gets a new `updated_at` only. The records changed are the n least recently updated (by `updated_at`,
then id), so that repeated touches walk through the table and never pick a record changed a moment ago.
`updated_at` becomes the sandbox's now (the clock the tests move with --clock).
"""

from __future__ import annotations

import sqlite3

from exportctl.sandbox import records, tables

# The table's change, as an SQL assignment list without updated_at.
CHANGES: dict[str, str] = {
    "voucher": "active = 1 - coalesce(active, 0)",
    "order": (
        "status = CASE status WHEN 'CREATED' THEN 'PAID' WHEN 'PAID' THEN 'FULFILLED' "
        "WHEN 'FULFILLED' THEN 'CANCELED' ELSE 'CREATED' END"
    ),
    "customer": "description = CASE WHEN description = 'VIP customer' THEN NULL ELSE 'VIP customer' END",
    "redemption": "status = CASE WHEN status = 'SUCCEEDED' THEN 'ROLLED_BACK' ELSE 'SUCCEEDED' END",
}


class NotTouchable(KeyError):
    """The object has no table with an `updated_at` column."""


def touchable() -> tuple[str, ...]:
    """The exported objects whose records can be touched."""
    return tuple(name for name in tables.TABLE_NAMES if "updated_at" in tables.columns(name))


def touch(conn: sqlite3.Connection, exported_object: str, n: int) -> list[str]:
    """Change n records of `exported_object` (in the caller's transaction); returns their ids, in order."""
    if exported_object not in touchable():
        raise NotTouchable(exported_object)
    table = tables.TABLE_NAMES[exported_object]  # a name of our own table, never a caller's text
    ids = [
        str(row[0])
        for row in conn.execute(f"SELECT id FROM {table} ORDER BY updated_at, id LIMIT ?", (max(0, int(n)),))
    ]
    change = CHANGES.get(exported_object)
    assignments = f"{change}, updated_at = ?" if change else "updated_at = ?"
    now = records.iso_ms(records.now_ms())
    conn.executemany(f"UPDATE {table} SET {assignments} WHERE id = ?", [(now, record) for record in ids])
    return ids
