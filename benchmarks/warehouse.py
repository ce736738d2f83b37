"""Loading a big voucher export into DuckDB with exportctl, beside DuckDB's own `read_csv` into the same table.

    python benchmarks/warehouse.py                    # a voucher export of about 200 MB, 3 runs each
    python benchmarks/warehouse.py --size-mb 1000 --runs 2

The sandbox database is generated once per size and cached as benchmarks/download.py does (the same
files, in `--cache-dir`). One export with every voucher field gives the CSV; then, round by round so
that machine noise hits all alike, each in its own process (peak RSS from `os.wait4`, for that process
alone; seconds measured inside it, around the load, so interpreter start-up is left out):

- exportctl duckdb: `exportctl.warehouse.load` into a new DuckDB file: typed table, staging, checks,
  upsert, one transaction;
- duckdb read_csv:  the same table (the DDL exportctl created, primary key included) in a new DuckDB file,
  filled by `INSERT INTO t SELECT * FROM read_csv(FILE, columns = {typed})`, DuckDB's own casts;
- exportctl sqlite: `exportctl.warehouse.load` into a new SQLite file (Python reads the cells).

Target (issue 14): exportctl's DuckDB load within 1.5x of DuckDB's read_csv.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import download

TARGET = 1.5

LOAD = """
import json, sys, time
from pathlib import Path
from exportctl.schema import get_object
from exportctl.warehouse.load import load_file
source, database, engine, fields = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], tuple(sys.argv[4].split(","))
started = time.perf_counter()
result = load_file(engine, get_object("voucher"), source, database, "voucher", fields=fields, style="api")
print(json.dumps({"seconds": time.perf_counter() - started, "rows": result.rows}))
"""

BASELINE = """
import json, sys, time
import duckdb
source, database, ddl, columns = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
started = time.perf_counter()
conn = duckdb.connect(database)
conn.execute("SET enable_progress_bar = false")
conn.execute("SET TimeZone = 'UTC'")
conn.execute(ddl)
spec = "{" + ", ".join(f"'c{i}': '{kind}'" for i, (_, kind) in enumerate(columns)) + "}"
names = ", ".join('"' + name.replace('"', '""') + '"' for name, _ in columns)
conn.execute(
    f"INSERT INTO voucher ({names}) SELECT * FROM read_csv('{source}', header = true, columns = {spec}, "
    "auto_detect = false, delim = ',', quote = '\\"', escape = '\\"')"
)
rows = conn.execute("SELECT count(*) FROM voucher").fetchone()[0]
conn.close()
print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows}))
"""


def run(code: str, *args: str) -> tuple[float, float, int, float]:
    """(seconds the process measured, its peak RSS in MB, rows, its CPU seconds) of one `python -c code args`.

    CPU seconds (user + system, every thread, interpreter start-up included) are less disturbed by other
    processes on a busy machine than wall-clock seconds."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen([sys.executable, "-c", code, *args], stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"a load failed: {err.read().decode()}")
        summary = json.loads(out.read())
    scale = 1 if sys.platform == "darwin" else 1024
    cpu = usage.ru_utime + usage.ru_stime
    return float(summary["seconds"]), usage.ru_maxrss * scale / 1e6, int(summary["rows"]), cpu


def table_shape(database: Path) -> tuple[str, list[tuple[str, str]]]:
    """The DDL of the table exportctl made, and the (SQL name, type) of each CSV column in CSV order."""
    import duckdb

    conn = duckdb.connect(str(database), read_only=True)
    try:
        (ddl,) = conn.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'voucher'").fetchall()[0]
        types = dict(
            conn.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'voucher'").fetchall()
        )
        order = conn.execute(
            "SELECT sql_name FROM _exportctl_columns WHERE table_name = 'voucher' AND name <> '_unparsed' "
            "ORDER BY position"
        ).fetchall()
    finally:
        conn.close()
    return ddl, [(name, types[name]) for (name,) in order]


def measure(size_mb: float, runs: int, cache_dir: Path) -> dict[str, Any]:
    from exportctl.sandbox import Sandbox, Timing

    scale = download.scale_for(size_mb)
    db = cache_dir / f"vouchers-seed{download.SEED}-scale{scale:g}.sqlite3"
    print(f"database: {db} (scale {scale:g}; generated on first use, which takes minutes)", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="exportctl-bench-wh-") as tmp:
        work = Path(tmp)
        source = work / "vouchers.csv"
        with Sandbox(
            seed=download.SEED, scale=scale, db_path=db, data_dir=work / "exports", timing=Timing(0, 0, 0)
        ) as sb:
            _, _, exported = download.export_file(sb)
            shutil.move(str(exported), source)
        size = source.stat().st_size
        print(f"exported {size / 1e6:,.0f} MB", file=sys.stderr)
        fields = ",".join(download.FIELDS)
        names = ("exportctl duckdb", "duckdb read_csv", "exportctl sqlite")
        samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
        rows = 0
        shape: tuple[str, list[tuple[str, str]]] | None = None

        def exportctl_duckdb() -> None:
            nonlocal rows, shape
            target = work / "exportctl.duckdb"
            seconds, peak, rows, cpu = run(LOAD, str(source), str(target), "duckdb", fields)
            samples["exportctl duckdb"].append((seconds, peak, cpu))
            if shape is None:
                shape = table_shape(target)
            target.unlink()

        def baseline() -> None:
            assert shape is not None
            target = work / "baseline.duckdb"
            seconds, peak, baseline_rows, cpu = run(BASELINE, str(source), str(target), shape[0], json.dumps(shape[1]))
            if baseline_rows != rows:
                raise SystemExit(f"read_csv loaded {baseline_rows} rows, exportctl {rows}")
            samples["duckdb read_csv"].append((seconds, peak, cpu))
            target.unlink()

        exportctl_duckdb()  # once first: the baseline's table is the one it creates
        samples["exportctl duckdb"].clear()
        for index in range(runs):
            # Each round runs the pair back to back, in alternating order, so noise hits both alike.
            for step in (exportctl_duckdb, baseline) if index % 2 == 0 else (baseline, exportctl_duckdb):
                step()
            lite = work / "exportctl.sqlite3"
            seconds, peak, _, cpu = run(LOAD, str(source), str(lite), "sqlite", fields)
            samples["exportctl sqlite"].append((seconds, peak, cpu))
            lite.unlink()
            print(
                f"run {index + 1}: " + ", ".join(f"{name} {values[-1][0]:.2f} s" for name, values in samples.items()),
                file=sys.stderr,
            )
    medians = {name: statistics.median(s for s, _, _ in values) for name, values in samples.items()}
    pairs = zip(samples["exportctl duckdb"], samples["duckdb read_csv"], strict=True)
    return {
        "bytes": size,
        "rows": rows,
        "runs": runs,
        "seconds": medians,
        "cpu_seconds": {name: statistics.median(c for _, _, c in values) for name, values in samples.items()},
        "peak_mb": {name: max(p for _, p, _ in values) for name, values in samples.items()},
        # The verdict: the median of each round's own ratio (the two loads of a round ran back to back).
        "ratio": statistics.median(ours[0] / theirs[0] for ours, theirs in pairs),
    }


def print_table(figures: list[dict[str, Any]]) -> None:
    print(f"{'file':>9} {'rows':>9} {'load':<17} {'seconds':>8} {'MB/s':>5} {'CPU s':>6} {'peak RSS':>9}")
    for row in figures:
        for name, seconds in row["seconds"].items():
            cpu, peak = row["cpu_seconds"][name], row["peak_mb"][name]
            print(
                f"{row['bytes'] / 1e6:>6,.0f} MB {row['rows']:>9,} {name:<17} {seconds:>8.2f}"
                f" {row['bytes'] / 1e6 / seconds:>5,.0f} {cpu:>6.1f} {peak:>6.0f} MB"
            )
        verdict = "pass" if row["ratio"] <= TARGET else "FAIL"
        cpu = row["cpu_seconds"]["exportctl duckdb"] / row["cpu_seconds"]["duckdb read_csv"]
        print(
            f"exportctl duckdb / duckdb read_csv: {row['ratio']:.2f}x wall (median of the rounds' ratios), "
            f"{cpu:.2f}x CPU; target <= {TARGET}x: {verdict}"
        )
    print("seconds: median of the runs, inside each process around the load; CPU s: user+system of the process")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, action="append", help="file size floor in MB (repeatable; 200)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, default=download.default_cache_dir())
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args()
    figures = [measure(size, args.runs, args.cache_dir) for size in args.size_mb or [200.0]]
    if args.json:
        print(json.dumps(figures))
    else:
        print_table(figures)
        if any(row["ratio"] > TARGET for row in figures):
            raise SystemExit(1)


if __name__ == "__main__":
    main()
