"""A shared table of edge-case cells through the four typed paths (JSON Lines, Parquet, SQLite, DuckDB):
they agree cell for cell, `_unparsed` included, and every value is typed only if its text round-trips.

`EDGE_CELLS` is the table. Each text goes (1) alone into a metadata column, whose kind is inferred (a
text that round-trips gives its kind, any other stays a string), and (2) into every schema-typed column
of the voucher, customer and voucher transaction exports (a text that does not fit goes to `_unparsed`).
`test_the_four_paths_agree_on_every_edge_cell` counts the cells compared: the README's figure.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from exportctl.errors import OutputError
from exportctl.formats.convert import convert_csv
from exportctl.formats.types import Kind
from exportctl.schema import get_object
from exportctl.warehouse.load import load_file
from tests.formats.four_paths import PATHS, Outputs, disagreements, run_four

pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

EDGE_CELLS: list[str] = [
    # integers: only the canonical text of an int64
    *("0", "7", "-7", "02139", "+4915112345678", "12345678901234567891", "9223372036854775807"),
    *("-9223372036854775808", "9223372036854775808", "-0", " 7", "7 ", "1_000", "\uff17", "0x10", "\t7"),
    # doubles: the shortest text of a double, digits on both sides of the point
    *("1.0", "1.5", "-1.5", "0.1", "1.50", "200.00", "0.10000000000000001", "0.30000000000000004", "1e5"),
    *("1E5", "1.5e-7", "-0.0", ".5", "5.", "1e+16", "123456789012345.6", "100000000000000000000.0", "nan"),
    *("inf", "-Infinity", "1e999", "0.0001", "0.00001", "4.9e-324"),
    # booleans
    *("true", "false", "TRUE", "False", "yes", "1"),
    # timestamps and dates
    *("2026-03-01T12:00:00.000Z", "2026-03-01T12:00:00Z", "2026-03-01T12:00:00.123456Z"),
    *("2026-03-01T12:00:00.123000Z", "2026-03-01T13:00:00.000+01:00", "2026-03-01 12:00"),
    *("0999-01-01T00:00:00.000Z", "2026-02-30T00:00:00.000Z", "2026-03-01T24:00:00.000Z"),
    *("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999-01:00", "2028-02-29", "2027-02-29", "0001-01-01"),
    # JSON
    *('{"a":1}', "[1,2]", '"\\ud800"', '{"a":"\\ud83d\\ude00"}', "NaN", '{"a":1e999}', "{"),
    *('{"a":12345678901234567891}', '{"a":1,}', "null", '"x"', '{"\\udc00":1}'),
    # text
    *(" ", "a\nb", "a\r\nb", "a\rb", 'q"uote', '"', ",", "\ufeffbom", "x\x00y", "\u00e9", "\U0001f600"),
    *("\u2028", "=1+1", "\\N", "NULL"),
]

# The brief's cases: what an inferred (metadata) column holds for them, in all four paths.
INFERRED: dict[str, tuple[Kind, str]] = {
    "02139": (Kind.STRING, "02139"),
    "+4915112345678": (Kind.STRING, "+4915112345678"),
    "12345678901234567891": (Kind.STRING, "12345678901234567891"),
    "7": (Kind.INTEGER, "7"),
    "1.5": (Kind.DOUBLE, "1.5"),
    "1.50": (Kind.STRING, "1.50"),
    "1e5": (Kind.STRING, "1e5"),
    "0.10000000000000001": (Kind.STRING, "0.10000000000000001"),
    "true": (Kind.BOOLEAN, "true"),
    "TRUE": (Kind.STRING, "TRUE"),
    "2026-03-01T12:00:00.000Z": (Kind.TIMESTAMP, "2026-03-01T12:00:00.000Z"),
    "2026-03-01T12:00:00Z": (Kind.STRING, "2026-03-01T12:00:00Z"),
}

# What a schema-typed field holds (None: the text goes to `_unparsed`).
TYPED: dict[tuple[str, str], str | None] = {
    ("value", "200.00"): "200.0",  # the voucher value, as the API writes it
    ("value", "0"): "0.0",
    ("value", "1.50"): "1.5",
    ("value", "0.10000000000000001"): None,
    ("value", "12345678901234567891"): None,
    ("value", "1e5"): None,
    ("redemption_quantity", "02139"): None,
    ("redemption_quantity", "+4915112345678"): None,
    ("redemption_quantity", "12345678901234567891"): None,
    ("redemption_quantity", "7"): "7",
    ("active", "TRUE"): "true",
    ("created_at", "2026-03-01T13:00:00.000+01:00"): "2026-03-01T12:00:00.000Z",
    ("created_at", "2026-03-01T12:00:00.123456Z"): None,
    ("created_at", "2026-03-01T12:00:00.123000Z"): "2026-03-01T12:00:00.123Z",
}


def _write(path: Path, header: list[str], rows: list[list[str]], *, ending: str = "\r\n") -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # quotes every cell with a \r or \n
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    path.write_bytes(text.encode("utf-8") if ending == "\r\n" else text.replace("\r\n", ending).encode("utf-8"))
    return path


# Each kind's type in each output (README's Typed output and Into a warehouse tables).
DECLARED: dict[str, dict[Kind, str]] = {
    "parquet": {
        Kind.INTEGER: "int64",
        Kind.DOUBLE: "double",
        Kind.BOOLEAN: "bool",
        Kind.TIMESTAMP: "timestamp[ms, tz=UTC]",
        Kind.DATE: "date32[day]",
        Kind.JSON: "string",
        Kind.STRING: "string",
    },
    "duckdb": {
        Kind.INTEGER: "BIGINT",
        Kind.DOUBLE: "DOUBLE",
        Kind.BOOLEAN: "BOOLEAN",
        Kind.TIMESTAMP: "TIMESTAMP WITH TIME ZONE",
        Kind.DATE: "DATE",
        Kind.JSON: "JSON",
        Kind.STRING: "VARCHAR",
    },
    "sqlite": {Kind.INTEGER: "INTEGER", Kind.BOOLEAN: "INTEGER", Kind.DOUBLE: "REAL"},
}


def _agree(outputs: Outputs) -> int:
    """Assert the four outputs agree, on the columns' types too; the number of data cells compared."""
    assert disagreements(outputs) == []
    kinds = [c.kind for c in outputs.columns if c.kind is not None]
    assert outputs.types["jsonl"] == [str(kind.value) for kind in kinds]
    for path, declared in DECLARED.items():
        assert outputs.types[path] == [declared.get(kind, "TEXT") for kind in kinds], path
    rows = outputs.rows["jsonl"]
    return len(rows) * len(outputs.columns)


def _scenarios(tmp_path: Path) -> list[tuple[str, Path, list[str]]]:
    """(object, CSV, header) of each scenario of the edge table."""
    scenarios = []
    # (1) each text alone in its own metadata column: its kind is inferred from it alone
    root = tmp_path / "inferred"
    root.mkdir()
    header = ["Code", *(f"m{i}" for i in range(len(EDGE_CELLS)))]
    rows = [["A", *EDGE_CELLS], ["B", *([""] * len(EDGE_CELLS))]]
    scenarios.append(("voucher", _write(root / "x.csv", header, rows), header))
    # (2) each text in every schema-typed column of three objects
    for command, typed in (
        ("voucher", ["Value", "Active", "Redemption Limit", "Creation Date"]),
        ("customer", ["Birthday", "Orders Total Amount", "Redemptions Total Redeemed"]),
        ("voucher-transactions", ["Details", "Amount"]),
    ):
        root = tmp_path / command
        root.mkdir()
        key = "Code" if command == "voucher" else "ID"
        header = [key, *typed]
        rows = [[f"k{n}", *([text] * len(typed))] for n, text in enumerate(EDGE_CELLS)]
        scenarios.append((command, _write(root / "x.csv", header, rows), header))
    # (3) header cells with any text (line breaks, quotes, a BOM, repeats), \r\n line ends
    root = tmp_path / "headers"
    root.mkdir()
    header = ["Code", "ship\nto", "ship\r\nto", 'a "q"', "a, b", "dup", "dup", "\u00e9t\u00e9", "\U0001f600"]
    rows = [[f"k{n}", *([text] * (len(header) - 1))] for n, text in enumerate(EDGE_CELLS)]
    path = _write(root / "x.csv", header, rows)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    scenarios.append(("voucher", path, header))
    # (4) the same with \n line ends and a header line break first in the file
    root = tmp_path / "lf"
    root.mkdir()
    header = ["ship\nto", "Code"]
    rows = [[text, f"k{n}"] for n, text in enumerate(EDGE_CELLS)]
    scenarios.append(("voucher", _write(root / "x.csv", header, rows, ending="\n"), header))
    return scenarios


def test_the_four_paths_agree_on_every_edge_cell(tmp_path: Path) -> None:
    cells = 0
    for command, path, header in _scenarios(tmp_path):
        outputs = run_four(get_object(command), path)
        for found in outputs.rows.values():
            assert len(found) == sum(1 for _ in csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline=""))) - 1
        assert len(outputs.columns) == len(header)
        cells += _agree(outputs)
    # The figure of the README's Reliability section.
    assert cells == EDGE_CELL_COUNT


EDGE_CELL_COUNT = (
    2 * (1 + len(EDGE_CELLS))  # (1)
    + len(EDGE_CELLS) * (5 + 4 + 3)  # (2)
    + len(EDGE_CELLS) * 9  # (3)
    + len(EDGE_CELLS) * 2  # (4)
)


def test_an_inferred_column_is_typed_only_if_its_text_round_trips(tmp_path: Path) -> None:
    header = ["Code", *(f"m{i}" for i in range(len(EDGE_CELLS)))]
    path = _write(tmp_path / "x.csv", header, [["A", *EDGE_CELLS]])
    outputs = run_four(get_object("voucher"), path)
    assert disagreements(outputs) == []
    for path_name in PATHS:
        (cells, unparsed) = outputs.rows[path_name][0]
        assert unparsed is None
        for column, text, cell in zip(outputs.columns[1:], EDGE_CELLS, cells[1:], strict=True):
            # Every value round-trips: the cell's canonical text is the text the API wrote.
            if column.kind is not Kind.JSON:
                assert cell == text, (path_name, text, column.kind)
            if text in INFERRED:
                assert (column.kind, cell) == INFERRED[text], (path_name, text)


def test_schema_typed_fields_keep_their_types_and_send_the_rest_to_unparsed(tmp_path: Path) -> None:
    header = ["Code", "Value", "Redemption Limit", "Active", "Creation Date"]
    fields = ["value", "redemption_quantity", "active", "created_at"]
    texts = sorted({text for _, text in TYPED})
    rows = [[f"k{n}", *([text] * 4)] for n, text in enumerate(texts)]
    outputs = run_four(get_object("voucher"), _write(tmp_path / "x.csv", header, rows))
    assert disagreements(outputs) == []
    by_code = {cells[0]: (cells, unparsed) for cells, unparsed in outputs.rows["duckdb"]}
    for (field, text), expected in TYPED.items():
        cells, unparsed = by_code[f"k{texts.index(text)}"]
        index = 1 + fields.index(field)
        assert cells[index] == expected, (field, text)
        assert ((unparsed or {}).get(field) == text) is (expected is None), (field, text, unparsed)


def test_a_cell_over_two_megabytes_loads_in_all_four_paths(tmp_path: Path) -> None:
    """DuckDB's reader refused a record over 2 MB (its max_line_size) that the others kept."""
    big = "x" * 3_000_000
    path = _write(tmp_path / "x.csv", ["Code", "note"], [["A", big], ["B", "y"]])
    outputs = run_four(get_object("voucher"), path)
    assert disagreements(outputs) == []
    assert outputs.rows["duckdb"][0][0] == ["A", big]


def _refusals(tmp_path: Path, data: bytes) -> dict[str, str]:
    """The error message of each path for the CSV `data`; nothing may be written or loaded."""
    source = tmp_path / "x.csv"
    source.write_bytes(data)
    voucher = get_object("voucher")
    messages = {}
    for path in PATHS:
        with pytest.raises(OutputError) as caught:
            if path in ("jsonl", "parquet"):
                target = tmp_path / f"out.{path}"
                convert_csv(
                    voucher, source, target, output_format=path, fields=None, header_style="api", unparsed="keep",
                    force=False,
                )  # fmt: skip
            else:
                load_file(path, voucher, source, tmp_path / f"db.{path}", "t")
        messages[path] = caught.value.message
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("db.")) == ["x.csv"]
    import duckdb

    for engine in ("sqlite", "duckdb"):
        database = tmp_path / f"db.{engine}"
        if database.exists():
            if engine == "sqlite":
                import sqlite3

                tables = sqlite3.connect(database).execute("SELECT name FROM sqlite_master").fetchall()
            else:
                tables = duckdb.connect(str(database)).execute("SELECT table_name FROM duckdb_tables()").fetchall()
            assert ("t",) not in tables
    return messages


@pytest.mark.parametrize(
    ("data", "line", "problem"),
    [
        (b'Code,b\r\nA,"x\r\nB,3\r\nC,4\r\n', 2, "not well-formed CSV"),  # a quote left open: JSON Lines swallowed B, C
        (b'Code,b\nA,1\nB,"x"y\n', 3, "not well-formed CSV"),
        (b"Code,b\nA,1\nB,caf\xe9\n", 3, "not UTF-8"),  # SQLite: UnicodeEncodeError
        (b"Code,b\nA,1\nB,2,3\n", 3, "has 3 cells where the header row has 2"),  # JSON Lines, SQLite kept it
        (b"Code,b\nA,1\nB\n", 3, "has 1 cells where the header row has 2"),
    ],
    ids=["open-quote", "after-quote", "latin-1", "longer-record", "shorter-record"],
)
def test_a_malformed_csv_is_refused_alike_by_all_four_naming_the_line(
    tmp_path: Path, data: bytes, line: int, problem: str
) -> None:
    messages = _refusals(tmp_path, data)
    assert len(set(messages.values())) == 1, messages
    message = messages["jsonl"]
    assert f"from line {line}," in message and problem in message and "nothing was written" in message


def test_a_lone_surrogate_in_a_json_cell_goes_to_unparsed_in_all_four(tmp_path: Path) -> None:
    """DuckDB refused `"\\ud800"` in a `details` cell that the others kept: no JSON text holds it."""
    rows = [["t1", '"\\ud800"', "1.0"], ["t2", '{"a":"\\ud83d\\ude00"}', "2.0"]]
    path = _write(tmp_path / "x.csv", ["ID", "Details", "Amount"], rows)
    outputs = run_four(get_object("voucher-transactions"), path)
    assert disagreements(outputs) == []
    for found in outputs.rows.values():
        assert found[0] == (["t1", None, "1.0"], {"details": '"\\ud800"'})
        assert found[1] == (["t2", json.dumps({"a": "\U0001f600"}, separators=(",", ":")), "2.0"], None)


def test_integers_beside_decimals_make_a_column_of_doubles_when_a_double_holds_them(tmp_path: Path) -> None:
    # A price in metadata: `10` and `12.5` are both exactly doubles, so the column is one of doubles; a
    # `9007199254740993` (no double holds it) or a `1.50` (not its double's text) keeps the column a string.
    header = ["Code", "price", "big", "padded"]
    rows = [["A", "10", "9007199254740993", "10"], ["B", "12.5", "0.5", "1.50"], ["C", "-3", "", ""]]
    outputs = run_four(get_object("voucher"), _write(tmp_path / "x.csv", header, rows))
    assert disagreements(outputs) == []
    assert [c.kind for c in outputs.columns[1:]] == [Kind.DOUBLE, Kind.STRING, Kind.STRING]
    for path_name in PATHS:
        cells = [row[0][1:] for row in outputs.rows[path_name]]
        assert cells == [["10.0", "9007199254740993", "10"], ["12.5", "0.5", "1.50"], ["-3.0", None, None]], path_name


def test_the_readme_states_the_edge_cell_figure() -> None:
    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").split())
    assert f"{len(EDGE_CELLS)} texts" in readme
    assert f"makes {EDGE_CELL_COUNT:,} cells on which all four outputs agree" in readme


def test_dashboard_labels_reach_the_same_typed_fields_through_all_four_paths_in_both_header_styles(
    tmp_path: Path,
) -> None:
    """Issue 20: a header in the dashboard's labels and odd spellings, and the same header rewritten by
    `--headers fields`, give the same columns, kinds and values in JSON Lines, Parquet, SQLite and DuckDB;
    the metadata key `code` beside the label `Voucher code` stays a column of its own."""
    from exportctl.files.csv_header import fields_header_line

    voucher = get_object("voucher")
    fields = ["code", "is_referral_code", "validity_day_of_week", "discount_amount_limit", "created_at", "metadata"]
    header = ["Voucher code", "IS REFERRAL CODE?", "Validity Day of Week", "Discount Aggregated Amount Limit"]
    header += ["creation-date", "code", "Value"]
    rows = [["A1", "true", "1,2", "500", "2026-03-01T12:00:00.000Z", "x", "7"], ["A2", "FALSE", "", "", "", "", "8"]]
    expected_names = ["code", "is_referral_code", "validity_day_of_week", "discount_amount_limit", "created_at"]
    expected_names += ["metadata.code", "Value"]
    expected_kinds = [Kind.STRING, Kind.BOOLEAN, Kind.STRING, Kind.INTEGER, Kind.TIMESTAMP, Kind.STRING, Kind.INTEGER]
    text = _csv_text([header, *rows])
    fields_style = fields_header_line(text.split("\r\n", 1)[0].encode() + b"\r\n", voucher, fields)
    assert fields_style.decode().rstrip("\r\n").split(",") == expected_names
    for style, body in (("api", text), ("fields", fields_style.decode() + text.split("\r\n", 1)[1])):
        directory = tmp_path / style
        directory.mkdir()
        source = directory / "v.csv"
        source.write_bytes(body.encode("utf-8"))
        outputs = run_four(voucher, source, fields=fields, style=style)
        assert [(c.name, c.kind) for c in outputs.columns] == list(zip(expected_names, expected_kinds, strict=True)), (
            style
        )
        assert disagreements(outputs) == [], style
        for path in PATHS:
            assert outputs.names[path] == expected_names, (style, path)
            assert [cells for cells, _ in outputs.rows[path]] == [
                ["A1", "true", "1,2", "500", "2026-03-01T12:00:00.000Z", "x", "7"],
                ["A2", "false", None, None, None, None, "8"],
            ], (style, path)


def _csv_text(records: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(records)
    return buffer.getvalue()
