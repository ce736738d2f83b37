"""Every benchmark in one run, printed as one Markdown table (docs/performance.md shows its output).

    python benchmarks/run_all.py            # full: 5 s / 60 s / 5 min jobs, 100 MB and 1 GB downloads x 3
    python benchmarks/run_all.py --quick    # jobs scaled to a tenth (0.5 s / 6 s / 30 s), 100 MB download x 1

1. start-up: median wall time of `exportctl --help`, `exportctl voucher --dry-run` and a TAB completion beside
   `python -c "import typer"` (benchmarks/startup.py);
2. polling: exports that stay IN_PROGRESS for 5 s, 60 s and 5 min (the sandbox's `hold_in_progress`), each
   run twice at the same time: by `exportctl voucher -o FILE --json` (adaptive polling) and by a loop that
   polls once a second. For each: the API calls it made, and the delay between the moment the export turned
   DONE (seen by a watcher polling every 20 ms, not counted) and the moment the CSV was saved;
3. download: exportctl against curl on the same URL, and exportctl's peak RSS (benchmarks/download.py);
4. sandbox: rows per second of a voucher export with every field over HTTP, against sqlite3 + csv.writer on
   the same query (benchmarks/sandbox_export.py).

Databases are cached in `--cache-dir` (default `$XDG_CACHE_HOME/exportctl-bench`); generating the 1 GB one
takes about 5 minutes the first time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import download
import sandbox_export
import startup

from exportctl.sandbox.generator import BASE_COUNTS

JOB_SECONDS = (5.0, 60.0, 300.0)
QUICK_FACTOR = 0.1
OFF_GRID = 0.37


def human_seconds(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 120 else f"{seconds:g} s"


def startup_rows(runs: int) -> list[tuple[str, str, str]]:
    samples: dict[str, list[float]] = {name: [] for name in startup.COMMANDS}
    for _ in range(runs):
        for name, argv in startup.COMMANDS.items():
            env = startup.COMPLETION_ENV if name.startswith("TAB") else None
            samples[name].append(startup.measure(argv, 1, env))
    baseline = statistics.median(samples[next(iter(startup.COMMANDS))])
    rows = []
    for name, values in samples.items():
        median = statistics.median(values)
        rows.append((f"start-up: {name}", f"{median * 1000:.0f} ms", f"{median / baseline:.2f}x the baseline"))
    return rows


class DoneWatcher(threading.Thread):
    """Polls one export every 20 ms (its calls are not counted) and records when it turned DONE."""

    def __init__(self, sandbox: Any, export_id: str) -> None:
        super().__init__(daemon=True)
        import requests

        self.session = requests.Session()
        self.session.headers.update(sandbox.headers)
        self.url = f"{sandbox.base_url}/v1/exports/{export_id}"
        self.done_at: float | None = None

    def run(self) -> None:
        while self.done_at is None:
            if self.session.get(self.url, timeout=30).json().get("status") == "DONE":
                self.done_at = time.monotonic()
            else:
                time.sleep(0.02)


def new_export_id(sandbox: Any, known: set[str]) -> str:
    """The id of the export that appears in the list and is not in `known` (waits for it)."""
    import requests

    while True:
        answer = requests.get(
            f"{sandbox.base_url}/v1/exports", params={"limit": 100}, headers=sandbox.headers, timeout=30
        ).json()
        fresh = [export["id"] for export in answer["exports"] if export["id"] not in known]
        if fresh:
            known.add(fresh[0])
            return str(fresh[0])
        time.sleep(0.01)


class SavedWatcher(threading.Thread):
    """Records when `path` appears (the CSV is renamed into place only once complete)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.saved_at = 0.0

    def run(self) -> None:
        while not self.path.exists():
            time.sleep(0.005)
        self.saved_at = time.monotonic()


def fixed_polling(sandbox: Any, target: Path, known: set[str], result: dict[str, Any]) -> None:
    """The baseline: create, poll once a second until DONE, download, save; counts its API calls."""
    import requests

    session = requests.Session()
    session.headers.update(sandbox.headers)
    export = session.post(f"{sandbox.base_url}/v1/exports", json={"exported_object": "voucher"}, timeout=30).json()
    known.add(export["id"])
    result["id"] = export["id"]
    calls = 1
    while export["status"] not in ("DONE", "ERROR"):
        time.sleep(1.0)
        export = session.get(f"{sandbox.base_url}/v1/exports/{export['id']}", timeout=30).json()
        calls += 1
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(session.get(export["result"]["url"], timeout=30).content)
    partial.replace(target)
    result["calls"] = calls + 1


def polling_rows(job_seconds: tuple[float, ...], factor: float) -> list[tuple[str, str, str]]:
    """Each job is held IN_PROGRESS for `seconds * factor`; rows are labelled with both when scaled."""
    from exportctl.sandbox import Sandbox, Timing

    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="exportctl-bench-poll-") as tmp,
        Sandbox(scale=0.05, timing=Timing(scheduled=0.0, in_progress=0.0, per_thousand_rows=0.0)) as sb,
    ):
        work = Path(tmp)
        env = {**os.environ, "VOUCHERIFY_API_BASE_URL": sb.base_url, "VOUCHERIFY_APP_ID": sb.app_id,
               "VOUCHERIFY_APP_TOKEN": sb.secret_key}  # fmt: skip
        known: set[str] = set()
        for nominal in job_seconds:
            # Off the one-second grid: a hold of a whole number of seconds ends just before a fixed poll, which
            # would flatter the baseline; real exports end anywhere between two polls.
            seconds = nominal * factor + OFF_GRID
            sb.faults.hold_in_progress(seconds, times=2)
            ours, theirs = work / f"exportctl-{seconds}.csv", work / f"fixed-{seconds}.csv"
            saved_ours, saved_theirs = SavedWatcher(ours), SavedWatcher(theirs)
            saved_ours.start()
            saved_theirs.start()
            baseline: dict[str, Any] = {}
            fixed = threading.Thread(target=fixed_polling, args=(sb, theirs, known, baseline))
            fixed.start()
            while "id" not in baseline:
                time.sleep(0.005)
            watch_fixed = DoneWatcher(sb, baseline["id"])
            watch_fixed.start()
            process = subprocess.Popen(
                [sys.executable, "-m", "exportctl", "--quiet", "voucher", "-o", str(ours), "--json"],
                env=env, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            watch_ours = DoneWatcher(sb, new_export_id(sb, known))
            watch_ours.start()
            stdout, _ = process.communicate()
            fixed.join()
            saved_ours.join()
            saved_theirs.join()
            watch_ours.join()
            watch_fixed.join()
            summary = json.loads(stdout)
            assert watch_ours.done_at is not None and watch_fixed.done_at is not None
            label = f"job of {human_seconds(nominal * factor)}"
            if factor != 1.0:
                label += f" (--quick: the {human_seconds(nominal)} job scaled down)"
            rows.append(
                (
                    f"polling: {label}",
                    f"{summary['api_calls']} calls, saved {saved_ours.saved_at - watch_ours.done_at:.2f} s after DONE",
                    f"fixed 1 s polling: {baseline['calls']} calls, "
                    f"saved {saved_theirs.saved_at - watch_fixed.done_at:.2f} s after DONE",
                )
            )
    return rows


def download_rows(sizes: list[float], runs: int, cache_dir: Path) -> list[tuple[str, str, str]]:
    rows = []
    for size in sizes:
        figures = download.measure(size, runs, cache_dir)
        rows.append(
            (
                f"download: {figures['bytes'] / 1e6:,.0f} MB CSV (median of {runs})",
                f"{figures['exportctl_mb_s']:,.0f} MB/s, peak RSS {figures['exportctl_peak_mb']:.0f} MB",
                f"curl {figures['curl_mb_s']:,.0f} MB/s: ratio {figures['ratio']:.2f}x (target >= 0.8x, < 80 MB)",
            )
        )
    return rows


def sandbox_rows(scale: float, cache_dir: Path) -> list[tuple[str, str, str]]:
    db = cache_dir / f"vouchers-seed{download.SEED}-scale{scale:g}.sqlite3"
    sandbox_export.run_phase("generate", db, scale)  # reuses the cached database when it matches
    sandbox_export.warm_page_cache(db)
    baseline = sandbox_export.run_phase("baseline", db, scale)
    served = sandbox_export.run_phase("sandbox", db, scale)
    vouchers = round(scale * BASE_COUNTS["vouchers"])
    fields = len(sandbox_export.FIELDS)
    return [
        (
            f"sandbox: export of {vouchers:,} vouchers x {fields} fields",
            f"{vouchers / served['seconds']:,.0f} rows/s (POST -> DONE over HTTP)",
            f"sqlite3 + csv.writer: {vouchers / baseline['seconds']:,.0f} rows/s "
            f"({served['seconds'] / baseline['seconds']:.2f}x its time)",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="jobs scaled to a tenth, one 100 MB download")
    parser.add_argument("--runs", type=int, help="runs per measurement (default: 15 start-up / 3 download; quick 5/1)")
    parser.add_argument("--cache-dir", type=Path, default=download.default_cache_dir())
    parser.add_argument("--skip", action="append", default=[], choices=("startup", "polling", "download", "sandbox"))
    args = parser.parse_args()
    factor = QUICK_FACTOR if args.quick else 1.0
    rows: list[tuple[str, str, str]] = []
    steps: dict[str, Callable[[], list[tuple[str, str, str]]]] = {
        "startup": lambda: startup_rows(args.runs or (5 if args.quick else 15)),
        "polling": lambda: polling_rows(JOB_SECONDS, factor),
        "download": lambda: download_rows(
            [100.0] if args.quick else [100.0, 1000.0], args.runs or (1 if args.quick else 3), args.cache_dir
        ),
        "sandbox": lambda: sandbox_rows(25.0 if args.quick else 125.0, args.cache_dir),
    }
    for name, step in steps.items():
        if name in args.skip:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.extend(step())
    mode = "--quick: jobs scaled to a tenth, one download run" if args.quick else "full run"
    print(f"exportctl benchmarks, {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {mode}")  # fmt: skip
    print()
    print("| measurement | exportctl | baseline |")
    print("|---|---|---|")
    for measurement, ours, baseline in rows:
        print(f"| {measurement} | {ours} | {baseline} |")


if __name__ == "__main__":
    main()
