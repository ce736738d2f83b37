"""CSV -> Parquet: DuckDB or pyarrow? Time and peak RSS of each way of writing a sandbox voucher export.

    python benchmarks/parquet.py                 # a voucher CSV of about 200 MB, 3 rounds
    python benchmarks/parquet.py --size-mb 50 --runs 5

The CSV is a real sandbox voucher export with every field (metadata key columns included), repeated to
the size asked for. Each way runs in its own process (peak RSS from `os.wait4`, for that process alone);
the rounds interleave the ways so that machine noise hits them alike; the table shows medians.

- exportctl:      what `--format parquet` does: DuckDB's typed SELECT (formats/duckdb_sql.py) streamed as
                  Arrow batches into pyarrow's ParquetWriter (timestamp[ms, UTC]);
- duckdb-copy:    the same typed SELECT written by DuckDB's own COPY ... (FORMAT parquet) (no pyarrow;
                  instants become timestamp[us, UTC]: the issue's ms is out of reach);
- pyarrow-python: pyarrow alone, the cells typed by formats/types.py in Python (csv_source.typed_rows);
- duckdb-plain / pyarrow-plain: each library's own untyped CSV -> Parquet (its sniffed types), for scale;
- exportctl-jsonl: `--format jsonl` (standard library only), for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("exportctl", "duckdb-copy", "pyarrow-python", "duckdb-plain", "pyarrow-plain", "exportctl-jsonl")


def make_csv(size_mb: float, target: Path) -> int:
    """A voucher CSV of at least `size_mb` MB at `target`: one sandbox export, its records repeated."""
    sys.path.insert(0, str(ROOT))
    from exportctl import schema
    from tests.conftest import start_sandbox

    fields = [f.name for f in schema.VOUCHER.fields]
    with (
        tempfile.TemporaryDirectory() as scratch,
        start_sandbox(scale=0.3, db_path=Path(scratch) / "db.sqlite3", data_dir=Path(scratch) / "exports") as sandbox,
    ):
        import requests

        session = requests.Session()
        session.headers.update(sandbox.headers)
        export = session.post(
            sandbox.base_url + "/v1/exports",
            json={"exported_object": "voucher", "parameters": {"fields": fields}},
            timeout=60,
        ).json()
        while export["status"] not in ("DONE", "ERROR"):
            time.sleep(0.2)
            export = session.get(f"{sandbox.base_url}/v1/exports/{export['id']}", timeout=60).json()
        data = (sandbox.data_dir / f"{export['id']}.csv").read_bytes()
    header, _, body = data.partition(b"\n")
    copies = max(1, int(size_mb * 1e6 // max(1, len(body))) + 1)
    with target.open("wb") as handle:
        handle.write(header + b"\n")
        for _ in range(copies):
            handle.write(body if body.endswith(b"\n") else body + b"\n")
    return target.stat().st_size


def run_method(method: str, csv_path: Path, out: Path) -> None:
    """One way of writing `csv_path` as Parquet at `out` (in this process)."""
    sys.path.insert(0, str(ROOT))
    from exportctl.formats import duckdb_sql
    from exportctl.formats.csv_source import header_of, typed_columns, typed_rows
    from exportctl.formats.types import UNPARSED, columns_for
    from exportctl.schema import VOUCHER

    if method == "exportctl":
        from exportctl.formats.convert import convert_csv

        convert_csv(
            VOUCHER,
            csv_path,
            out,
            output_format="parquet",
            fields=None,
            header_style="api",
            unparsed="keep",
            force=True,
        )
    elif method == "exportctl-jsonl":
        from exportctl.formats.convert import convert_csv

        convert_csv(
            VOUCHER, csv_path, out, output_format="jsonl", fields=None, header_style="api", unparsed="keep", force=True
        )
    elif method == "duckdb-copy":
        import duckdb

        connection = duckdb.connect()
        columns = columns_for(VOUCHER, header_of(csv_path), None)
        source = duckdb_sql.read_csv(csv_path, len(columns))
        typed = duckdb_sql.prepare(connection, columns, source)
        query = duckdb_sql.typed_select(typed, source)
        connection.execute(f"COPY ({query}) TO {duckdb_sql.literal(str(out))} (FORMAT parquet, COMPRESSION zstd)")
    elif method == "pyarrow-python":
        import pyarrow.parquet as pq

        from exportctl.formats.parquet import arrow_schema

        columns = typed_columns(VOUCHER, csv_path, None, "api")
        schema = arrow_schema(columns)
        names = [*(c.name for c in columns), UNPARSED]
        with pq.ParquetWriter(str(out), schema, compression="zstd") as writer:
            batch: list[list[Any]] = [[] for _ in names]
            for row in typed_rows(csv_path, columns):
                for i, value in enumerate(row.values):
                    batch[i].append(value)
                batch[-1].append(json.dumps(row.unparsed) if row.unparsed else None)
                if len(batch[0]) >= 65536:
                    writer.write_batch(_batch(batch, schema))
                    batch = [[] for _ in names]
            if batch[0]:
                writer.write_batch(_batch(batch, schema))
    elif method == "duckdb-plain":
        import duckdb

        duckdb.connect().execute(
            f"COPY (SELECT * FROM read_csv({duckdb_sql.literal(str(csv_path))})) TO {duckdb_sql.literal(str(out))} "
            "(FORMAT parquet, COMPRESSION zstd)"
        )
    elif method == "pyarrow-plain":
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq

        reader = pcsv.open_csv(str(csv_path))
        with pq.ParquetWriter(str(out), reader.schema, compression="zstd") as writer:
            for chunk in reader:
                writer.write_batch(chunk)
    else:
        raise SystemExit(f"unknown method {method}")


def _batch(columns: list[list[Any]], schema: Any) -> Any:
    import pyarrow as pa

    arrays = [pa.array(values, type=field.type) for values, field in zip(columns, schema, strict=True)]
    return pa.record_batch(arrays, schema=schema)


def measure_once(method: str, csv_path: Path, out: Path) -> tuple[float, float]:
    """(seconds, peak RSS MB) of one run of `method` in its own process."""
    command = [sys.executable, __file__, "--method", method, "--csv", str(csv_path), "--out", str(out)]
    started = time.monotonic()
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{method} failed: {process.stderr.read().decode() if process.stderr else ''}")
    scale = 1 if sys.platform == "darwin" else 1024
    return seconds, usage.ru_maxrss * scale / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--method", help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:
        run_method(args.method, args.csv, args.out)
        return
    methods = args.methods.split(",")
    with tempfile.TemporaryDirectory(prefix="exportctl-parquet-bench-") as scratch:
        csv_path = Path(scratch) / "vouchers.csv"
        size = make_csv(args.size_mb, csv_path)
        print(f"CSV: {size / 1e6:.0f} MB; python {sys.version.split()[0]}", file=sys.stderr)
        results: dict[str, list[tuple[float, float, int]]] = {m: [] for m in methods}
        for _ in range(args.runs):
            for method in methods:
                out = Path(scratch) / f"{method}.{'jsonl' if method.endswith('jsonl') else 'parquet'}"
                seconds, peak = measure_once(method, csv_path, out)
                results[method].append((seconds, peak, out.stat().st_size))
                out.unlink()
    import duckdb
    import pyarrow

    print(f"duckdb {duckdb.__version__}, pyarrow {pyarrow.__version__}; medians of {args.runs} runs")
    print(f"{'method':<16} {'seconds':>8} {'MB/s':>7} {'peak RSS MB':>12} {'output MB':>10}")
    for method, runs in results.items():
        seconds = statistics.median(r[0] for r in runs)
        peak = statistics.median(r[1] for r in runs)
        print(f"{method:<16} {seconds:8.2f} {size / 1e6 / seconds:7.1f} {peak:12.0f} {runs[0][2] / 1e6:10.1f}")


if __name__ == "__main__":
    main()
