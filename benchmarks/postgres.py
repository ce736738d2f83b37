"""Loading N vouchers into PostgreSQL with exportctl, beside `psql \\copy` of the same CSV into an untyped table.

    python benchmarks/postgres.py --quick              # 100,000 vouchers, 1 round
    python benchmarks/postgres.py                      # 1,000,000 vouchers, 3 rounds
    python benchmarks/postgres.py --url postgres://me@db/bench   # a server of yours instead of a temporary one

A temporary PostgreSQL server (tests/postgres.py's: a free port of 127.0.0.1, fsync off) unless `--url` names
one. The sandbox database is generated once per size and cached as benchmarks/download.py does. One export
with every voucher field gives the CSV; then, round by round, in alternating order so that machine noise hits
both alike:

- exportctl: `exportctl.warehouse.load.load_into` (what `--into postgres://` runs once the CSV is downloaded)
  into a new schema, in a process of its own, timed inside it around the load: typed table, COPY into a
  staging table, upsert, one transaction;
- psql \\copy: `psql -c "\\copy t FROM FILE (FORMAT csv, HEADER)"` into a table of as many TEXT columns,
  no types, no key, no merge: the floor of getting those bytes into PostgreSQL; timed around the process.

Target (issue 24): exportctl within 1.5x of psql \\copy.

With `--dlt`, the same export end to end (submit, wait, download, load), round by round: `exportctl.export(...,
into="postgres://...")` beside dlt's pipeline with `exportctl.dlt.voucherify_source` into dlt's postgres
destination (dlt installed: `pip install 'exportctl[dlt]' 'dlt[postgres]'`), each into a new schema.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import download

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.5
FULL, QUICK = 1_000_000, 100_000

LOAD = """
import json, sys, time
from pathlib import Path
from exportctl.request.into import parse_into
from exportctl.schema import get_object
from exportctl.warehouse.load import load_into
source, url = Path(sys.argv[1]), sys.argv[2]
started = time.perf_counter()
result = load_into(parse_into(url, "voucher"), get_object("voucher"), source, style="api")
print(json.dumps({"seconds": time.perf_counter() - started, "rows": result.rows}))
"""


END_TO_END = """
import json, sys, time
from exportctl.schema import get_object
from exportctl.settings import Settings
how, base, app, token, url, pipes = sys.argv[1:7]
settings = Settings(base_url=base, app_id=app, app_token=token, poll_interval=0.05)
fields = [f.name for f in get_object("voucher").fields]
started = time.perf_counter()
if how == "into":
    from exportctl import export
    rows = export("voucher", settings=settings, fields=fields, into=url + "?schema=bench_into#voucher").rows
else:
    import dlt
    from exportctl.dlt import voucherify_source
    destination = dlt.destinations.postgres(url)
    pipeline = dlt.pipeline(
        pipeline_name="bench", destination=destination, dataset_name="bench_dlt", pipelines_dir=pipes
    )
    pipeline.run(voucherify_source(["voucher"], settings=settings, fields={"voucher": fields}))
    rows = pipeline.last_trace.last_normalize_info.row_counts["voucher"]
print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows}))
"""


def measure_dlt(vouchers: int, runs: int, url: str, cache_dir: Path) -> dict[str, float]:
    """Median seconds of the export end to end, --into beside the dlt source (each into a new schema)."""
    from exportctl.sandbox import Sandbox, Timing
    from exportctl.sandbox.generator import BASE_COUNTS

    scale = round(vouchers / BASE_COUNTS["vouchers"], 1)
    db = cache_dir / f"vouchers-seed{download.SEED}-scale{scale:g}.sqlite3"
    samples: dict[str, list[float]] = {"into": [], "dlt": []}
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false"}
    with (
        tempfile.TemporaryDirectory(prefix="exportctl-bench-dlt-") as tmp,
        Sandbox(
            seed=download.SEED, scale=scale, db_path=db, data_dir=Path(tmp) / "exports", timing=Timing(0, 0, 0)
        ) as sb,
    ):
        for index in range(runs):
            for how in ("into", "dlt") if index % 2 == 0 else ("dlt", "into"):
                drop(url, f"bench_{how}")
                drop(url, "bench_dlt_staging")
                pipes = Path(tmp) / f"pipes-{index}-{how}"
                args = [how, sb.base_url, sb.app_id, sb.secret_key, url, str(pipes)]
                done = subprocess.run(
                    [sys.executable, "-c", END_TO_END, *args], capture_output=True, text=True, env=env, cwd=tmp
                )
                if done.returncode != 0:
                    raise SystemExit(f"the {how} run failed: {done.stderr[-2000:]}")
                samples[how].append(float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"]))
            print(
                f"end to end {index + 1}: into {samples['into'][-1]:.2f} s, dlt {samples['dlt'][-1]:.2f} s",
                file=sys.stderr,
            )
        for how in ("into", "dlt"):
            drop(url, f"bench_{how}")
        drop(url, "bench_dlt_staging")
    return {how: statistics.median(values) for how, values in samples.items()}


def psql() -> str:
    found = shutil.which("psql")
    if found is None:
        raise SystemExit("psql is not installed (Debian: apt-get install postgresql-client)")
    return found


def run_load(source: Path, url: str) -> tuple[float, int]:
    process = subprocess.run([sys.executable, "-c", LOAD, str(source), url], capture_output=True, text=True)
    if process.returncode != 0:
        raise SystemExit(f"the load failed: {process.stderr}")
    summary = json.loads(process.stdout)
    return float(summary["seconds"]), int(summary["rows"])


def run_copy(source: Path, url: str, schema: str, columns: int) -> tuple[float, int]:
    names = ", ".join(f"c{i} text" for i in range(columns))
    setup = f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; CREATE TABLE {schema}.t ({names});"
    subprocess.run([psql(), url, "-q", "-v", "ON_ERROR_STOP=1", "-c", setup], check=True, capture_output=True)
    started = time.perf_counter()
    copy = f"\\copy {schema}.t FROM '{source}' WITH (FORMAT csv, HEADER true)"
    subprocess.run([psql(), url, "-q", "-v", "ON_ERROR_STOP=1", "-c", copy], check=True, capture_output=True)
    seconds = time.perf_counter() - started
    count = subprocess.run(
        [psql(), url, "-At", "-c", f"SELECT count(*) FROM {schema}.t"], check=True, capture_output=True, text=True
    )
    return seconds, int(count.stdout.strip())


def drop(url: str, schema: str) -> None:
    subprocess.run(
        [psql(), url, "-q", "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE"], check=True, capture_output=True
    )


def measure(vouchers: int, runs: int, url: str, cache_dir: Path) -> dict[str, Any]:
    from exportctl.sandbox import Sandbox, Timing
    from exportctl.sandbox.generator import BASE_COUNTS

    scale = round(vouchers / BASE_COUNTS["vouchers"], 1)
    db = cache_dir / f"vouchers-seed{download.SEED}-scale{scale:g}.sqlite3"
    print(f"database: {db} (scale {scale:g}; generated on first use, which takes minutes)", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="exportctl-bench-pg-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)  # psql reads the file as the user it runs as
        source = work / "vouchers.csv"
        with Sandbox(
            seed=download.SEED, scale=scale, db_path=db, data_dir=work / "exports", timing=Timing(0, 0, 0)
        ) as sb:
            _, _, exported = download.export_file(sb)
            shutil.move(str(exported), source)
        source.chmod(0o644)
        with source.open(newline="", encoding="utf-8") as handle:
            columns = len(next(csv.reader(handle)))
        size = source.stat().st_size
        print(f"exported {size / 1e6:,.0f} MB, {columns} columns", file=sys.stderr)
        samples: dict[str, list[float]] = {"exportctl --into postgres://": [], "psql \\copy (untyped)": []}
        rows = 0

        def ours() -> None:
            nonlocal rows
            drop(url, "bench_exportctl")
            seconds, rows = run_load(source, f"{url}?schema=bench_exportctl#voucher")
            samples["exportctl --into postgres://"].append(seconds)

        def theirs() -> None:
            seconds, copied = run_copy(source, url, "bench_copy", columns)
            if rows and copied != rows:
                raise SystemExit(f"psql copied {copied} rows, exportctl loaded {rows}")
            samples["psql \\copy (untyped)"].append(seconds)

        for index in range(runs):
            for step in (ours, theirs) if index % 2 == 0 else (theirs, ours):
                step()
            print(f"run {index + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in samples.items()), file=sys.stderr)
        drop(url, "bench_exportctl")
        drop(url, "bench_copy")
    pairs = zip(samples["exportctl --into postgres://"], samples["psql \\copy (untyped)"], strict=True)
    return {
        "bytes": size,
        "rows": rows,
        "runs": runs,
        "seconds": {name: statistics.median(values) for name, values in samples.items()},
        "ratio": statistics.median(a / b for a, b in pairs),
    }


def print_table(row: dict[str, Any]) -> None:
    print(f"{'file':>9} {'rows':>10} {'load':<30} {'seconds':>8} {'rows/s':>9}")
    for name, seconds in row["seconds"].items():
        rate = row["rows"] / seconds
        print(f"{row['bytes'] / 1e6:>6,.0f} MB {row['rows']:>10,} {name:<30} {seconds:>8.2f} {rate:>9,.0f}")
    verdict = "pass" if row["ratio"] <= TARGET else "FAIL"
    print(
        f"exportctl / psql \\copy: {row['ratio']:.2f}x (median of the rounds' ratios); target <= {TARGET}x: {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vouchers", type=int, help=f"vouchers to load (default {FULL:,}; --quick {QUICK:,})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} vouchers, one round")
    parser.add_argument("--runs", type=int, help="rounds (default 3; --quick 1)")
    parser.add_argument("--url", help="a PostgreSQL URL to load into (default: a temporary server)")
    parser.add_argument("--cache-dir", type=Path, default=download.default_cache_dir())
    parser.add_argument("--dlt", action="store_true", help="also: the export end to end, --into beside the dlt source")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    vouchers = args.vouchers or (QUICK if args.quick else FULL)
    runs = args.runs or (1 if args.quick else 3)
    sys.path.insert(0, str(ROOT))
    from tests.postgres import find_bindir, start_server, stop_server

    root = bindir = None
    url = args.url
    if url is None:
        bindir = find_bindir()
        if bindir is None:
            raise SystemExit("PostgreSQL's server binaries are not installed; give --url")
        root = Path(tempfile.mkdtemp(prefix="exportctl-bench-pg-server-"))
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        url = start_server(root, bindir).url
    try:
        figures = measure(vouchers, runs, url, args.cache_dir)
        if args.dlt:
            figures["end_to_end"] = measure_dlt(vouchers, runs, url, args.cache_dir)
    finally:
        if root is not None and bindir is not None:
            stop_server(root, bindir)
    if args.json:
        print(json.dumps(figures))
    else:
        print_table(figures)
        if "end_to_end" in figures:
            into, dlt = figures["end_to_end"]["into"], figures["end_to_end"]["dlt"]
            print(
                f"end to end (export, download, load): --into {into:.2f} s, dlt source {dlt:.2f} s ({dlt / into:.2f}x)"
            )


if __name__ == "__main__":
    main()
