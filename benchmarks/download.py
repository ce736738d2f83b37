"""Download throughput and peak memory of `exportctl download` beside `curl` fetching the same URL.

    python benchmarks/download.py                      # a voucher export of at least 500 MB, 3 runs each
    python benchmarks/download.py --size-mb 1000 --runs 2

A sandbox on 127.0.0.1 serves a voucher export with every field. Its database is generated once per size
and kept in `--cache-dir` (default `$XDG_CACHE_HOME/exportctl-bench`), because generating a gigabyte of
vouchers takes minutes while exporting it takes seconds. Then, round by round so that machine noise hits
both alike:

- curl:      `curl -o FILE -H X-App-Id -H X-App-Token URL`; its transfer time from `-w %{time_total}`;
- exportctl: `python -m exportctl download ID -o FILE --json` in its own process; its transfer time is the
             command's own `seconds` (from the command's start, so it includes the GET of the export but not
             the interpreter's start-up, just as curl's `time_total` excludes curl's). Its peak RSS comes
             from `os.wait4`, for that process alone.

Both files are checked to be byte-identical to the sandbox's file. Target (issue 3): at least 0.8x curl's
throughput and under 80 MB peak, whatever the file size.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exportctl import schema
from exportctl.sandbox.generator import BASE_COUNTS

FIELDS = [f.name for f in schema.VOUCHER.fields]
# Measured: a voucher with every field takes about 427 bytes of CSV. A margin makes the target size a floor.
BYTES_PER_VOUCHER = 400
SEED = 42


@dataclass(frozen=True)
class Measured:
    """One side of the comparison: transfer seconds of each run, and peak RSS in MB (exportctl only)."""

    seconds: list[float]
    peak_mb: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "exportctl-bench"


def scale_for(size_mb: float) -> float:
    """The sandbox scale whose full voucher export is at least `size_mb` megabytes."""
    vouchers = size_mb * 1e6 / BYTES_PER_VOUCHER
    # Rounded up to a tenth so that nearby sizes share one cached database.
    return math.ceil(vouchers / BASE_COUNTS["vouchers"] * 10) / 10


def export_file(sandbox: Any) -> tuple[str, str, Path]:
    """Export every voucher field; (export id, result URL, the sandbox's file)."""
    import requests

    session = requests.Session()
    session.headers.update(sandbox.headers)
    export = session.post(
        sandbox.base_url + "/v1/exports",
        json={"exported_object": "voucher", "parameters": {"fields": FIELDS}},
        timeout=60,
    ).json()
    while export["status"] not in ("DONE", "ERROR"):
        time.sleep(0.2)
        export = session.get(f"{sandbox.base_url}/v1/exports/{export['id']}", timeout=60).json()
    if export["status"] != "DONE":
        raise SystemExit(f"the export failed: {export}")
    return export["id"], export["result"]["url"], sandbox.data_dir / f"{export['id']}.csv"


def run_curl(url: str, headers: dict[str, str], target: Path) -> float:
    command = ["curl", "--silent", "--show-error", "--fail", "-o", str(target), "-w", "%{time_total}"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


def run_exportctl(sandbox: Any, export_id: str, target: Path) -> tuple[float, float]:
    """(transfer seconds as the command measured them, peak RSS in MB) of one `exportctl download`."""
    env = {
        **os.environ,
        "VOUCHERIFY_API_BASE_URL": sandbox.base_url,
        "VOUCHERIFY_APP_ID": sandbox.app_id,
        "VOUCHERIFY_APP_TOKEN": sandbox.secret_key,
    }
    command = [sys.executable, "-m", "exportctl", "--quiet", "download", export_id, "-o", str(target), "--json"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        # wait4 gives the rusage of this child alone; RUSAGE_CHILDREN would mix in every curl run.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"exportctl download failed ({process.returncode}): {err.read().decode()}")
        summary = json.loads(out.read())
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: kilobytes on Linux, bytes on macOS
    return float(summary["seconds"]), usage.ru_maxrss * scale / 1e6


def measure(size_mb: float, runs: int, cache_dir: Path) -> dict[str, Any]:
    """Export a file of at least `size_mb` MB and download it `runs` times with each tool."""
    from exportctl.sandbox import Sandbox, Timing

    if shutil.which("curl") is None:
        raise SystemExit("curl is not installed; it is the baseline of this benchmark.")
    scale = scale_for(size_mb)
    db = cache_dir / f"vouchers-seed{SEED}-scale{scale:g}.sqlite3"
    print(f"database: {db} (scale {scale:g}; generated on first use, which takes minutes)", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="exportctl-bench-dl-") as tmp:
        work = Path(tmp)
        with Sandbox(seed=SEED, scale=scale, db_path=db, data_dir=work / "exports", timing=Timing(0, 0, 0)) as sb:
            started = time.perf_counter()
            export_id, url, source = export_file(sb)
            size = source.stat().st_size
            print(f"exported {size / 1e6:,.0f} MB in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            curl = Measured([], [])
            exportctl = Measured([], [])
            for index in range(runs):
                curl_target, tool_target = work / "curl.csv", work / "exportctl.csv"
                curl.seconds.append(run_curl(url, sb.headers, curl_target))
                seconds, peak = run_exportctl(sb, export_id, tool_target)
                exportctl.seconds.append(seconds)
                exportctl.peak_mb.append(peak)
                if not (filecmp.cmp(source, curl_target, shallow=False) and filecmp.cmp(source, tool_target, False)):
                    raise SystemExit("a downloaded file differs from the sandbox's file")
                curl_target.unlink()
                tool_target.unlink()
                print(
                    f"run {index + 1}: curl {size / 1e6 / curl.seconds[-1]:,.0f} MB/s,"
                    f" exportctl {size / 1e6 / seconds:,.0f} MB/s, peak {peak:.0f} MB",
                    file=sys.stderr,
                )
    return {
        "bytes": size,
        "runs": runs,
        "curl_mb_s": size / 1e6 / curl.median,
        "exportctl_mb_s": size / 1e6 / exportctl.median,
        "ratio": curl.median / exportctl.median,
        "exportctl_peak_mb": max(exportctl.peak_mb),
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'file':>9} {'runs':>5} {'curl':>11} {'exportctl':>11} {'ratio':>7} {'peak RSS':>9}")
    for row in rows:
        print(
            f"{row['bytes'] / 1e6:>6,.0f} MB {row['runs']:>5} {row['curl_mb_s']:>6,.0f} MB/s"
            f" {row['exportctl_mb_s']:>6,.0f} MB/s {row['ratio']:>6.2f}x {row['exportctl_peak_mb']:>6.0f} MB"
        )
    print("median of the runs; ratio = exportctl throughput / curl's (target >= 0.8x); peak target < 80 MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, action="append", help="file size floor in MB (repeatable; 500)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, default=default_cache_dir())
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args()
    rows = [measure(size, args.runs, args.cache_dir) for size in args.size_mb or [500.0]]
    if args.json:
        print(json.dumps(rows))
    else:
        print_table(rows)


if __name__ == "__main__":
    main()
