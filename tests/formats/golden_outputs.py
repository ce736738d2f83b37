"""The four typed outputs of the edge-case table, as exact as they can be written down: the golden of
`test_golden_outputs.py`, which guards every speed-up of the data path (issue 22: no value may change).

Each scenario of `test_four_paths_agree._scenarios` (the edge cells inferred in metadata columns, in every
schema-typed column of three objects, under hostile header cells, with `\\n` line ends), plus a merge: the
voucher table loaded again with rows changed, repeated, reordered and new. Recorded per scenario:

- `--format jsonl`: the file's bytes (as text, line by line) and what the writer reported;
- `--format parquet`: the schema (names and Arrow types) and every cell as `repr` of pyarrow's Python value;
- `--into sqlite:` / `--into duckdb:`: the declared column types, every row as `repr` of the driver's values
  (sorted: a table has no order), and the load's summary (rows, inserted, updated, unchanged, unparsed).

`python -m tests.formats.golden_outputs` rewrites the golden file from the code as it is.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from exportctl.formats.convert import convert_csv
from exportctl.schema import get_object
from exportctl.warehouse.load import load_file

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden" / "typed_outputs.json"


def _cell(value: Any) -> str:
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        from datetime import timezone

        return "tz:" + str(value.astimezone(timezone.utc).isoformat())
    return repr(value)


def _jsonl(obj: str, source: Path, out: Path) -> dict[str, Any]:
    written = convert_csv(
        get_object(obj), source, out, output_format="jsonl", fields=None, header_style="api", unparsed="keep",
        force=False,
    )  # fmt: skip
    text = out.read_bytes().decode("utf-8")
    return {
        "lines": text.split("\n"),
        "rows": written.rows,
        "unparsed_rows": written.unparsed_rows,
        "bytes": written.bytes,
        "sha256": written.sha256,
    }


def _parquet(obj: str, source: Path, out: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    written = convert_csv(
        get_object(obj), source, out, output_format="parquet", fields=None, header_style="api", unparsed="keep",
        force=False,
    )  # fmt: skip
    table = pq.read_table(out)
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return {
        "schema": [[f.name, str(f.type)] for f in table.schema],
        "rows": [[_cell(column[n]) for column in columns] for n in range(table.num_rows)],
        "written": [written.rows, written.unparsed_rows],
    }


def _table(engine: str, database: Path, table: str) -> dict[str, Any]:
    if engine == "sqlite":
        conn = sqlite3.connect(database)
        try:
            declared = [[r[1], r[2]] for r in conn.execute(f'PRAGMA table_info("{table}")').fetchall()]
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
        finally:
            conn.close()
    else:
        import duckdb

        db = duckdb.connect(str(database), read_only=True)
        try:
            db.execute("SET TimeZone = 'UTC'")
            declared = [
                [r[0], r[1]]
                for r in db.execute(
                    "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                    [table],
                ).fetchall()
            ]
            rows = db.execute(f'SELECT * FROM "{table}"').fetchall()
        finally:
            db.close()
    return {"declared": declared, "rows": sorted([_cell(v) for v in row] for row in rows)}


def _load(engine: str, obj: str, source: Path, database: Path) -> dict[str, Any]:
    result = load_file(engine, get_object(obj), source, database, "t")
    summary = result.summary()
    return {"summary": {k: summary[k] for k in ("rows_loaded", "inserted", "updated", "unchanged", "unparsed_rows")}}


def _merge_source(first: Path, out: Path) -> Path:
    """The voucher CSV again, reordered, a third of the rows changed, one repeated key, and new rows."""
    import csv

    with first.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    changed = []
    for n, row in enumerate(reversed(rows)):
        row = list(row)
        if n % 3 == 0:
            row[1] = "3.25"  # a new value; the row's _unparsed changes with it where Value was unfit
        elif n % 3 == 1:
            row[3] = ""  # a value removed
        changed.append(row)
    changed.append([changed[0][0], "1.5", "true", "3", "2026-03-01T12:00:00.000Z"])  # a repeated key: the last wins
    changed += [[f"new{n}", "2.0", "false", str(n), ""] for n in range(3)]
    with out.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows([header, *changed])
    return out


def snapshot(tmp_path: Path) -> dict[str, Any]:
    from tests.formats.test_four_paths_agree import _scenarios

    found: dict[str, Any] = {}
    for number, (obj_name, source, _header) in enumerate(_scenarios(tmp_path)):
        obj = {"voucher": "voucher"}.get(obj_name, obj_name)
        root = source.parent
        entry: dict[str, Any] = {"object": obj, "csv": source.parent.name}
        entry["jsonl"] = _jsonl(obj, source, root / "out.jsonl")
        entry["parquet"] = _parquet(obj, source, root / "out.parquet")
        for engine in ("sqlite", "duckdb"):
            database = root / f"db.{engine}"
            entry[engine] = _load(engine, obj, source, database)
            entry[engine].update(_table(engine, database, "t"))
            if number == 1:  # the voucher table of schema-typed edge cells: merged into again
                again = _merge_source(source, root / "again.csv")
                entry[f"{engine}_merge"] = _load(engine, obj, again, database)
                entry[f"{engine}_merge"].update(_table(engine, database, "t"))
        found[f"{number}-{root.name}"] = entry
    return found


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        data = snapshot(Path(directory))
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(data, indent=0, ensure_ascii=True, sort_keys=True) + "\n", encoding="ascii")
    sys.stdout.write(f"wrote {GOLDEN} ({GOLDEN.stat().st_size:,} bytes)\n")


if __name__ == "__main__":
    main()
