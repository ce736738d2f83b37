"""Column names from data never become SQL: hostile metadata keys in both engines, stable names from run to
run, and one metadata rule after a merge."""

from __future__ import annotations

import json

from exportctl.formats.identifiers import MAX_BYTES
from tests.hostile_names import HOSTILE_NAMES, INJECTION, LINE_BREAK_NAMES
from tests.warehouse.conftest import Warehouse

FIELDS = ["id", "code", "metadata"]


def _names(warehouse: Warehouse) -> list[str]:
    return HOSTILE_NAMES + LINE_BREAK_NAMES


def test_hostile_keys_load_every_value_and_a_key_is_never_sql(warehouse: Warehouse) -> None:
    names = _names(warehouse)
    header = ["ID", "Code", *names]
    warehouse.load(["ID", "Code"], [["o_1", "KEEP"]], table="other", fields=["id", "code"])
    first = warehouse.load(header, [["v_1", "A-1", *[f"a{n}" for n in range(len(names))]]], fields=FIELDS)
    assert (first.inserted, first.unparsed_rows) == (1, 0)
    mapping = {column["header"]: column["name"] for column in first.columns}
    assert len(first.columns) == len(header)
    sql_names = [mapping[cell] for cell in names]
    assert len({n.casefold() for n in sql_names}) == len(sql_names)
    assert all(len(n.encode()) <= MAX_BYTES and "\x00" not in n and "\n" not in n for n in sql_names)
    # A merge (the path that once split a quoted list on ", "): new values for the same row, then a new row.
    second = warehouse.load(header, [["v_1", "A-1", *[f"b{n}" for n in range(len(names))]]], fields=FIELDS)
    assert (second.inserted, second.updated, second.unchanged, second.columns_added) == (0, 1, 0, [])
    third = warehouse.load(header, [["v_2", "A-2", *[f"c{n}" for n in range(len(names))]]], fields=FIELDS)
    assert (third.inserted, third.updated) == (1, 0)
    for n, cell in enumerate(names):
        quoted = '"' + mapping[cell].replace('"', '""') + '"'
        got = warehouse.query(f'SELECT {quoted} FROM "voucher" ORDER BY id')
        assert got == [(f"b{n}",), (f"c{n}",)], cell
    assert warehouse.query('SELECT code FROM "voucher" ORDER BY id') == [("A-1",), ("A-2",)]
    assert warehouse.query('SELECT id, code FROM "other"') == [("o_1", "KEEP")]  # not dropped, not rewritten
    assert mapping[INJECTION] == INJECTION  # a name, quoted, never executed


def test_the_same_header_cells_get_the_same_columns_in_later_runs(warehouse: Warehouse) -> None:
    warehouse.load(["ID", "Code", "tier"], [["v_1", "A", "1"]], fields=FIELDS)
    later = warehouse.load(["ID", "Code", "Tier", "tier", "TIER"], [["v_1", "A", "x", "2", "y"]], fields=FIELDS)
    mapping = {c["header"]: c["name"] for c in later.columns}
    assert mapping["tier"] == "tier"  # as stored, whatever new keys came before it
    assert {mapping["Tier"].casefold(), mapping["TIER"].casefold()} == {"tier_2", "tier_3"}
    assert warehouse.query('SELECT tier FROM "voucher"') == [(2,)]
    again = warehouse.load(["ID", "Code", "TIER", "Tier", "tier"], [["v_1", "A", "y", "x", "2"]], fields=FIELDS)
    assert {c["header"]: c["name"] for c in again.columns} == mapping
    assert (again.columns_added, again.updated, again.unchanged) == ([], 0, 1)


def test_a_key_spelled_like_an_unexported_fields_title_is_metadata(warehouse: Warehouse) -> None:
    result = warehouse.load(["ID", "Code", "Value"], [["v_1", "A", "gold"]], fields=FIELDS)
    assert result.unparsed_rows == 0
    assert warehouse.query('SELECT "Value", _unparsed FROM "voucher"') == [("gold", None)]


def test_after_a_merge_metadata_is_what_the_latest_export_said(warehouse: Warehouse) -> None:
    header = ["ID", "Code", "tier", "zone"]
    warehouse.load(header, [["v_1", "A", "gold", "eu"], ["v_2", "B", "silver", "us"]], fields=FIELDS)
    # v_1 re-exported by an export with no `tier` key at all (no record has it any more): NULL.
    warehouse.load(["ID", "Code", "zone"], [["v_1", "A", "eu"]], fields=FIELDS)
    # v_2 re-exported beside a record that still has `tier`: NULL as well, the same rule.
    warehouse.load(header, [["v_2", "B", "", "us"], ["v_3", "C", "bronze", ""]], fields=FIELDS)
    assert warehouse.query('SELECT id, tier, zone FROM "voucher" ORDER BY id') == [
        ("v_1", None, "eu"),
        ("v_2", None, "us"),
        ("v_3", "bronze", None),
    ]
    row = warehouse.query("SELECT * FROM _exportctl_columns WHERE name = 'tier'")
    assert row and json.dumps(row, default=str)  # the mapping is stored with the table


def test_a_key_named_like_a_row_id_never_decides_which_repeated_row_wins(warehouse: Warehouse) -> None:
    header = ["ID", "Code", "rowid", "_row"]
    warehouse.load(header, [["v_1", "A", "1", "1"]], fields=FIELDS)
    # v_1 twice in one export: the last row wins, whatever the `rowid` and `_row` keys hold.
    result = warehouse.load(header, [["v_1", "FIRST", "9", "9"], ["v_1", "LAST", "0", "0"]], fields=FIELDS)
    assert (result.rows, result.inserted, result.updated, result.unchanged) == (2, 0, 1, 1)
    mapping = {c["header"]: c["name"] for c in result.columns}
    assert (mapping["rowid"], mapping["_row"]) == ("rowid_2", "_row_2")
    assert warehouse.query('SELECT code, "rowid_2", "_row_2" FROM "voucher"') == [("LAST", 0, 0)]


def test_a_key_that_is_sql_is_never_run_by_a_merge(warehouse: Warehouse) -> None:
    header = ["ID", "Code", INJECTION, "region, zone"]
    warehouse.load(["ID", "Code"], [["o_1", "KEEP"]], table="other", fields=["id", "code"])
    for value in ("1", "2"):  # the second load is a merge, with its list of columns
        result = warehouse.load(header, [["v_1", "A", value, "eu, west"]], fields=FIELDS)
        assert result.rows == 1
    assert warehouse.query('SELECT code, "region, zone" FROM "voucher"') == [("A", "eu, west")]
    assert warehouse.query('SELECT id, code FROM "other"') == [("o_1", "KEEP")]
