"""Issue 22's table: each step of the data path beside its anchor, in one run, rounds interleaved.

    python benchmarks/data_path.py --quick          # a 100 MB voucher export, 3 rounds (CI-sized)
    python benchmarks/data_path.py                  # an 800 MB export (the issue's), 3 rounds
    python benchmarks/data_path.py --skip download --skip fixed --runs 5

The sandbox serves a voucher export with every field (its database cached in `--cache-dir`, as
benchmarks/download.py does; the first run generates it). Each row runs exportctl and its anchor as
separate processes, one after the other inside each round, so machine noise hits both alike; the figures
are medians of the rounds (wall seconds around the step inside its process, and the process's CPU seconds,
user + system, all threads, the steadier figure on a shared machine), and the peak RSS is the kernel's for
each process alone (download.run_measured: `wait4` in a small launcher, since a child of this process would
inherit this process's own peak). Both
sides run from bytecode (exportctl is compiled first, as pip compiles an installed package).

| row | exportctl | anchor |
|---|---|---|
| jsonl | `convert_csv(..., "jsonl")` | DuckDB `COPY (FROM read_csv(...)) TO 'x.json'`; a stdlib csv -> json loop |
| sqlite | `load_file("sqlite", ...)` into a new file | `sqlite3` + `csv` + `executemany` (no types, no key, no merge) |
| parquet | `convert_csv(..., "parquet")` | DuckDB `COPY (FROM read_csv(...)) TO 'x.parquet'` |
| duckdb | `load_file("duckdb", ...)` into a new file | DuckDB `CREATE TABLE t AS FROM read_csv(...)` |
| download | `exportctl download ID -o FILE --json` (its own `seconds`) | curl on the same URL (`time_total`) |
| fixed | `exportctl download` of a 0.5 MB export, the whole process | `python -c "import typer, requests"` |
| polling | `polling_sweep.py`: `simulate`, no history, DONE over 25-35 s and 300-315 s | a fixed 1 s poller |

The JSON Lines files of exportctl and DuckDB are compared byte for byte and the answer printed: exportctl
would use DuckDB's writer only where it wrote the same bytes (it does not: see docs/performance.md).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import download

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"jsonl": 1.5, "jsonl-stdlib": 2.0, "sqlite": 2.0, "parquet": 1.2, "duckdb": 1.15, "fixed": 1.2}

# One step in a process of its own; prints {"seconds": ...} measured around the step alone.
STEP = """
import json, os, sys, time
from pathlib import Path
kind, source, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
started = time.perf_counter()
if kind == "jsonl-one":  # the one-pass path on one CPU: the code before the split
    os.environ["EXPORTCTL_WORKERS"] = "1"
    kind = "jsonl"
if kind in ("jsonl", "parquet"):
    from exportctl.formats.convert import convert_csv
    from exportctl.schema import VOUCHER
    convert_csv(VOUCHER, source, out, output_format=kind, fields=None, header_style="api", unparsed="keep", force=True)
elif kind in ("sqlite", "duckdb"):
    from exportctl.schema import VOUCHER
    from exportctl.warehouse.load import load_file
    load_file(kind, VOUCHER, source, out, "voucher")
elif kind == "duckdb-json":
    import duckdb
    db = duckdb.connect()
    db.execute("SET enable_progress_bar = false")
    db.execute(f"COPY (FROM read_csv('{source}')) TO '{out}' (FORMAT json)")
elif kind == "duckdb-parquet":
    import duckdb
    db = duckdb.connect()
    db.execute("SET enable_progress_bar = false")
    db.execute(f"COPY (FROM read_csv('{source}')) TO '{out}' (FORMAT parquet)")
elif kind == "duckdb-table":
    import duckdb
    db = duckdb.connect(str(out))
    db.execute("SET enable_progress_bar = false")
    db.execute(f"CREATE TABLE t AS FROM read_csv('{source}')")
    db.close()
elif kind == "stdlib-json":
    import csv
    csv.field_size_limit(2**31 - 1)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with source.open(newline="", encoding="utf-8") as handle, out.open("w", encoding="utf-8") as output:
        rows = csv.reader(handle)
        header = next(rows)
        write = output.write
        for row in rows:
            write(encode(dict(zip(header, row))))
            write("\\n")
elif kind == "stdlib-sqlite":
    import csv, itertools, sqlite3
    csv.field_size_limit(2**31 - 1)
    conn = sqlite3.connect(out)
    with source.open(newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        names = ", ".join('"' + name.replace('"', '""') + '"' for name in header)
        conn.execute(f"CREATE TABLE t ({names})")
        insert = f"INSERT INTO t VALUES ({', '.join('?' * len(header))})"
        while batch := list(itertools.islice(rows, 5000)):
            conn.executemany(insert, batch)
    conn.commit()
    conn.close()
seconds = time.perf_counter() - started
import resource
# The workers of a split `--format jsonl` run beside this process: the tree's peak is at most this process's
# peak plus each worker's (the largest of them, RUSAGE_CHILDREN, times their number).
workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
if kind == "jsonl" and os.environ.get("EXPORTCTL_WORKERS"):
    workers = int(os.environ["EXPORTCTL_WORKERS"])
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
tree = (own + children * (workers - 1)) * (1 if sys.platform == "darwin" else 1024) / 1e6 if children else 0.0
print(json.dumps({"seconds": seconds, "tree_mb": tree}))
"""

PAIRS: dict[str, tuple[str, ...]] = {
    "jsonl": ("jsonl", "duckdb-json", "stdlib-json", "jsonl-one"),
    "sqlite": ("sqlite", "stdlib-sqlite"),
    "parquet": ("parquet", "duckdb-parquet"),
    "duckdb": ("duckdb", "duckdb-table"),
}
SUFFIX = {"jsonl": ".jsonl", "duckdb-json": ".json", "stdlib-json": ".json", "parquet": ".parquet"}
SUFFIX |= {"jsonl-one": ".jsonl"}
SUFFIX |= {"duckdb-parquet": ".parquet", "sqlite": ".sqlite", "stdlib-sqlite": ".sqlite"}
SUFFIX |= {"duckdb": ".duckdb", "duckdb-table": ".duckdb"}


def _environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def run_step(kind: str, source: Path, out: Path) -> tuple[float, float, float]:
    """(seconds of the step alone, peak RSS in MB, CPU seconds of its process) of one step in its own process."""
    for stale in (out, out.with_name(out.name + ".wal")):
        stale.unlink(missing_ok=True)
    answer, usage = download.run_measured([sys.executable, "-c", STEP, kind, str(source), str(out)], _environment())
    figures = json.loads(answer)
    # wait4's peak is the largest process's; a split conversion's workers run beside it: their sum, at most
    return float(figures["seconds"]), max(usage.peak_mb, float(figures.get("tree_mb", 0.0))), usage.cpu_seconds


def measure_steps(names: list[str], source: Path, work: Path, runs: int) -> dict[str, dict[str, list[float]]]:
    """Each row's steps, `runs` rounds, the order within a round alternating."""
    found: dict[str, dict[str, list[float]]] = {}
    for index in range(runs):
        for name in names:
            steps = list(PAIRS[name]) if index % 2 == 0 else list(reversed(PAIRS[name]))
            for step in steps:
                download.settle()
                seconds, peak, cpu = run_step(step, source, work / f"{step}{SUFFIX[step]}")
                entry = found.setdefault(step, {"seconds": [], "peak": [], "cpu": []})
                entry["seconds"].append(seconds)
                entry["peak"].append(peak)
                entry["cpu"].append(cpu)
                print(f"round {index + 1}: {step} {seconds:.2f} s, CPU {cpu:.2f} s, {peak:.0f} MB", file=sys.stderr)
    return found


def fixed_cost(runs: int, work: Path) -> dict[str, float]:
    """Wall seconds of a whole `exportctl download` of a 0.5 MB export beside `import typer, requests`."""
    from exportctl.sandbox import Sandbox, Timing

    scale = download.scale_for(0.5)
    with Sandbox(
        seed=download.SEED, scale=scale, db_path=work / "small.db", data_dir=work / "s", timing=Timing(0, 0, 0)
    ) as sb:
        return _fixed_cost(sb, runs, work)


def _fixed_cost(sandbox: Any, runs: int, work: Path) -> dict[str, float]:
    export_id, _, small = download.export_file(sandbox)
    env = {
        **_environment(),
        "VOUCHERIFY_API_BASE_URL": sandbox.base_url,
        "VOUCHERIFY_APP_ID": sandbox.app_id,
        "VOUCHERIFY_APP_TOKEN": sandbox.secret_key,
    }
    command = [sys.executable, "-m", "exportctl", "--quiet", "download", export_id, "-o", str(work / "small.csv")]
    baseline = [sys.executable, "-c", "import typer, requests"]
    ours: list[float] = []
    theirs: list[float] = []
    peaks: list[float] = []
    for index in range(runs * 3):
        for which in (0, 1) if index % 2 == 0 else (1, 0):
            (work / "small.csv").unlink(missing_ok=True)
            started = time.perf_counter()
            _, usage = download.run_measured([*command, "--force"] if which == 0 else baseline, env)
            (ours if which == 0 else theirs).append(time.perf_counter() - started)
            if which == 0:
                peaks.append(usage.peak_mb)
    return {"bytes": small.stat().st_size, "exportctl": statistics.median(ours), "anchor": statistics.median(theirs),
            "peak": max(peaks)}  # fmt: skip


def polling_figures() -> list[tuple[str, str, str, str]]:
    """No-history polling in virtual time (benchmarks/polling_sweep.py's figures): (job, exportctl, fixed 1 s
    poller, target), DONE spread over a range."""
    import polling_sweep

    rows = []
    for label, lo, hi in (("30 s", 25.0, 35.0), ("5 min", 300.0, 315.0)):
        found = polling_sweep.figures(polling_sweep.shipped, lo, hi)
        low, high = found.calls
        moments = polling_sweep.spread(lo, hi)
        fixed_late = sorted(math_ceil(moment) - moment for moment in moments)
        ours = f"late median {found.median:.2f} s, worst {found.worst:.2f} s; {low}-{high} calls"
        theirs = f"late median {statistics.median(fixed_late):.2f} s, worst {fixed_late[-1]:.2f} s; {int(hi) + 2} calls"
        calls, median_target, worst = polling_sweep.TARGETS[label]
        missed = polling_sweep.misses(label, found)
        target = f"<= {median_target:g} s median, {worst:g} s worst, {calls} calls: " + (
            "met" if not missed else "missed"
        )
        rows.append((f"first run, {label} job (DONE over {lo:g}-{hi:g} s)", ours, theirs, target))
    return rows


def math_ceil(value: float) -> float:
    whole = float(int(value))
    return whole if whole == value else whole + 1


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a 100 MB export instead of 800 MB")
    parser.add_argument("--size-mb", type=float, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip", action="append", default=[], choices=[*PAIRS, "download", "fixed", "polling"])
    parser.add_argument("--cache-dir", type=Path, default=download.default_cache_dir())
    args = parser.parse_args()
    size = args.size_mb or (100.0 if args.quick else 800.0)
    compileall.compile_dir(str(ROOT / "exportctl"), quiet=1)
    from exportctl.sandbox import Sandbox, Timing

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    scale = download.scale_for(size)
    db = args.cache_dir / f"vouchers-seed{download.SEED}-scale{scale:g}.sqlite3"
    print(f"database: {db} (generated on first use, which takes minutes)", file=sys.stderr)
    lines: list[tuple[str, ...]] = []
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="exportctl-bench-data-") as tmp:
        work = Path(tmp)
        with Sandbox(seed=download.SEED, scale=scale, db_path=db, data_dir=work / "e", timing=Timing(0, 0, 0)) as sb:
            export_id, url, source = download.export_file(sb)
            mb = source.stat().st_size / 1e6
            print(f"export: {mb:,.0f} MB", file=sys.stderr)
            names = [name for name in PAIRS if name not in args.skip]
            steps = measure_steps(names, source, work, args.runs)
            lines += step_lines(names, steps, work)
            if "download" not in args.skip:
                lines.append(download_line(sb, export_id, url, source, work, args.runs, mb))
            if "fixed" not in args.skip:
                fixed = fixed_cost(args.runs, work)
                ratio = fixed["exportctl"] / fixed["anchor"]
                lines.append((
                    f"fixed cost, {fixed['bytes'] / 1e6:.1f} MB export", f"{fixed['exportctl']:.3f} s",
                    f'`python -c "import typer, requests"` {fixed["anchor"]:.3f} s', f"{ratio:.2f}x (<= 1.2x)",
                    f"{fixed['peak']:.0f} MB",
                ))  # fmt: skip
    if "polling" not in args.skip:
        lines += [(job, ours, theirs, target, "") for job, ours, theirs, target in polling_figures()]
    print(
        f"\nexportctl data path, {time.strftime('%Y-%m-%d')}: {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {platform.system()} {platform.machine()}, {mb:,.0f} MB export, "
        f"median of {args.runs} rounds; load average at the start {load[0]:.1f}, at the end {os.getloadavg()[0]:.1f}\n"
    )
    print("| step | exportctl: wall (CPU) | anchor: wall (CPU, peak RSS) | ratio (target) | peak RSS |")
    print("|---|---|---|---|---|")
    for line in lines:
        print("| " + " | ".join(line) + " |")


def step_lines(names: list[str], steps: dict[str, dict[str, list[float]]], work: Path) -> list[tuple[str, ...]]:
    label = {"jsonl": "`--format jsonl`", "sqlite": "`--into sqlite:`", "parquet": "`--format parquet`"}
    label["duckdb"] = "`--into duckdb:`"
    anchor_text = {"duckdb-json": "DuckDB COPY TO json", "stdlib-json": "stdlib csv -> json loop"}
    anchor_text |= {"stdlib-sqlite": "sqlite3 + csv + executemany", "duckdb-parquet": "DuckDB COPY TO parquet"}
    anchor_text |= {"duckdb-table": "DuckDB CREATE TABLE AS FROM read_csv"}
    anchor_text |= {"jsonl-one": "exportctl on one CPU (EXPORTCTL_WORKERS=1)"}
    found: list[tuple[str, ...]] = []
    for name in names:
        ours, *anchors = PAIRS[name]
        seconds, cpu = median(steps[ours]["seconds"]), median(steps[ours]["cpu"])
        for anchor in anchors:
            theirs, their_cpu = median(steps[anchor]["seconds"]), median(steps[anchor]["cpu"])
            target = TARGETS.get("jsonl-stdlib" if anchor == "stdlib-json" else name if anchor != "jsonl-one" else "")
            anchor_peak = max(steps[anchor]["peak"])
            found.append((
                label[name], f"{seconds:.2f} s (CPU {cpu:.2f} s)",
                f"{anchor_text[anchor]} {theirs:.2f} s (CPU {their_cpu:.2f} s, {anchor_peak:.0f} MB)",
                f"{seconds / theirs:.2f}x, CPU {cpu / their_cpu:.2f}x" + (f" (<= {target:g}x)" if target else ""),
                f"{max(steps[ours]['peak']):.0f} MB",
            ))  # fmt: skip
    if "jsonl" in names:
        same = (work / "jsonl.jsonl").read_bytes() == (work / "duckdb-json.json").read_bytes()
        print(f"DuckDB's JSON is byte for byte exportctl's: {same}", file=sys.stderr)
        if (work / "jsonl.jsonl").read_bytes() != (work / "jsonl-one.jsonl").read_bytes():
            raise SystemExit("the JSON Lines written on several CPUs differ from the one-CPU file")
    return found


def download_line(sb: Any, export_id: str, url: str, source: Path, work: Path, runs: int, mb: float) -> tuple[str, ...]:
    ours, theirs, peaks = [], [], []
    for index in range(runs):
        for which in (0, 1) if index % 2 == 0 else (1, 0):
            download.settle()
            if which == 0:
                seconds, usage = download.run_exportctl(sb, export_id, work / "dl.csv")
                ours.append(seconds)
                peaks.append(usage.peak_mb)
            else:
                seconds, _ = download.run_curl(url, sb.headers, work / "curl.csv")
                theirs.append(seconds)
        for name in ("dl.csv", "curl.csv"):
            if (work / name).read_bytes() != source.read_bytes():
                raise SystemExit(f"{name} differs from the sandbox's file")
            (work / name).unlink()
    a, b = median(ours), median(theirs)
    target = 0.9 if mb >= 500 else 0.7
    return (
        f"download, {mb:,.0f} MB", f"{a:.2f} s ({mb / a:,.0f} MB/s)", f"curl {b:.2f} s ({mb / b:,.0f} MB/s)",
        f"{b / a:.2f}x of curl's throughput (>= {target:g}x)", f"{max(peaks):.0f} MB",
    )  # fmt: skip


if __name__ == "__main__":
    main()
