"""How fast the sandbox generates data and produces a voucher export, beside sqlite3 + csv directly.

    python benchmarks/sandbox_export.py              # 1,000,000 vouchers (scale 100)
    python benchmarks/sandbox_export.py --rows 100000

Each phase runs in its own process so that its peak memory (ru_maxrss) is its own:
1. generate: fill a SQLite file with `--rows` vouchers and everything proportional to them;
2. sandbox:  a running Sandbox on 127.0.0.1; POST /v1/exports for every voucher field, wait until DONE,
             download the file over HTTP;
3. baseline: the same two passes (the metadata keys, then the rows of the same SQL query) written with
             `csv.writer(...).writerows(cursor)` and nothing else.

The sandbox's time runs from the POST to a GET that answers DONE. The phase does not poll over HTTP in
the meantime: its client runs in the sandbox's own process, where every poll (the client's request and
the server's handler thread) takes the GIL from the thread writing the CSV, which no real client, in a
process of its own, does. It waits for the job's thread to end instead (`Worker.wait`, no wake-ups: even a
10 ms in-process check cost 5% on a loaded machine), then asks over HTTP.
Both phases report the sha256 of what they wrote, so that a run shows the two files are the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from exportctl import schema
from exportctl.sandbox.generator import BASE_COUNTS

FIELDS = [f.name for f in schema.VOUCHER.fields]


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def phase_generate(db: Path, scale: float) -> dict[str, Any]:
    from exportctl.sandbox.store import Store

    store = Store(db, seed=42, scale=scale)
    started = time.perf_counter()
    store.open()
    seconds = time.perf_counter() - started
    counts = store.counts()
    return {"seconds": seconds, "counts": counts, "rows": sum(counts.values()), "peak_mb": peak_rss_mb()}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def phase_sandbox(db: Path, scale: float) -> dict[str, Any]:
    import requests

    from exportctl.sandbox import Sandbox, Timing

    with Sandbox(seed=42, scale=scale, db_path=db, timing=Timing(0.0, 0.0, 0.0)) as sb:
        session = requests.Session()
        session.headers.update(sb.headers)
        started = time.perf_counter()
        export = session.post(
            sb.base_url + "/v1/exports",
            json={"exported_object": "voucher", "parameters": {"fields": FIELDS}},
            timeout=60,
        ).json()
        sb.worker.wait(export["id"])  # see the module docstring: nothing competes with the export for the GIL
        export = session.get(f"{sb.base_url}/v1/exports/{export['id']}", timeout=60).json()
        produced = time.perf_counter() - started
        assert export["status"] == "DONE", export
        target = Path(tempfile.mkdtemp()) / "download.csv"
        started = time.perf_counter()
        with session.get(export["result"]["url"], stream=True, timeout=60) as response, target.open("wb") as out:
            for chunk in response.iter_content(1 << 20):
                out.write(chunk)
        downloaded = time.perf_counter() - started
        size = target.stat().st_size
        digest = sha256_of(target)
        target.unlink()
    return {
        "seconds": produced,
        "download_seconds": downloaded,
        "bytes": size,
        "sha256": digest,
        "peak_mb": peak_rss_mb(),
    }


def phase_baseline(db: Path) -> dict[str, Any]:
    import sqlite3

    from exportctl.sandbox import query, validation

    spec = validation.validate("voucher", {"fields": FIELDS})
    target = Path(tempfile.mkdtemp()) / "baseline.csv"
    conn = sqlite3.connect(db)
    started = time.perf_counter()
    # The same two passes as the sandbox: the metadata keys, then the rows.
    keys = query.metadata_keys(conn, spec)
    sql, params = query.build_sql(spec, keys)
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(query.header(spec, keys))
        writer.writerows(conn.execute(sql, params))
    seconds = time.perf_counter() - started
    conn.close()
    size = target.stat().st_size
    digest = sha256_of(target)
    target.unlink()
    return {"seconds": seconds, "bytes": size, "sha256": digest, "peak_mb": peak_rss_mb()}


def warm_page_cache(db: Path) -> None:
    with db.open("rb") as source:
        while source.read(1 << 24):
            pass


def median_round(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The result with the median time (the lower middle one of an even count)."""
    return sorted(results, key=lambda result: float(result["seconds"]))[(len(results) - 1) // 2]


def run_phase(name: str, db: Path, scale: float) -> dict[str, Any]:
    command = [sys.executable, __file__, "--phase", name, "--db", str(db), "--scale", repr(scale)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(result.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="vouchers to generate and export")
    parser.add_argument("--runs", type=int, default=1, help="rounds of baseline and sandbox, medians reported")
    parser.add_argument("--phase", choices=("generate", "sandbox", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phases = {
            "generate": lambda: phase_generate(args.db, args.scale),
            "sandbox": lambda: phase_sandbox(args.db, args.scale),
            "baseline": lambda: phase_baseline(args.db),
        }
        print(json.dumps(phases[args.phase]()))
        return

    scale = args.rows / BASE_COUNTS["vouchers"]
    with tempfile.TemporaryDirectory(prefix="exportctl-bench-") as tmp:
        db = Path(tmp) / "bench.sqlite3"
        print(f"vouchers: {args.rows:,} (scale {scale:g})", flush=True)
        generated = run_phase("generate", db, scale)
        vouchers = generated["counts"]["voucher"]
        print(
            f"generate   {generated['rows']:>11,} rows in {generated['seconds']:7.2f} s"
            f" = {generated['rows'] / generated['seconds']:>10,.0f} rows/s"
            f"  ({vouchers / generated['seconds']:,.0f} vouchers/s)  peak {generated['peak_mb']:.0f} MB",
            flush=True,
        )
        # Both export phases read the database from the page cache, so neither pays for the disk alone.
        warm_page_cache(db)
        # Round by round, so that machine noise hits both alike; the median round of each is reported.
        rounds = [(run_phase("baseline", db, scale), run_phase("sandbox", db, scale)) for _ in range(args.runs)]
        baseline = median_round([b for b, _ in rounds])
        sandbox = median_round([s for _, s in rounds])
        print(
            f"export     {vouchers:>11,} rows in {sandbox['seconds']:7.2f} s"
            f" = {vouchers / sandbox['seconds']:>10,.0f} rows/s  (POST -> DONE over HTTP, {len(FIELDS)} fields)"
            f"  peak {sandbox['peak_mb']:.0f} MB  {sandbox['seconds'] / baseline['seconds']:.2f}x the baseline's time"
        )
        print(
            f"baseline   {vouchers:>11,} rows in {baseline['seconds']:7.2f} s"
            f" = {vouchers / baseline['seconds']:>10,.0f} rows/s  (sqlite3 + csv.writer, same query)"
            f"  peak {baseline['peak_mb']:.0f} MB"
        )
        print(
            f"download   {sandbox['bytes'] / 1e6:>10,.1f} MB in {sandbox['download_seconds']:7.2f} s"
            f" = {sandbox['bytes'] / 1e6 / sandbox['download_seconds']:,.0f} MB/s"
            f"  (same bytes as baseline: {sandbox['sha256'] == baseline['sha256']})"
        )


if __name__ == "__main__":
    main()
