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
             the interpreter's start-up, just as curl's `time_total` excludes curl's). Its peak RSS is that
             process's own: see `run_measured`;
- engine:    `download_export` alone in a process of its own (`_ENGINE`), timed by its own `seconds`: the
             download without the command's start, to tell the two costs apart.

All three files are checked to be byte-identical to the sandbox's file. The CPU time each tool used comes from
`os.wait4` too, and the server's (this process serves the file from its threads, on the same CPUs) from this
process's own CPU time during each download. Targets (issue 13): at least 0.8x curl's throughput and a peak
RSS of at most 60 MB, whatever the file size.
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

# Started by `run_measured` in place of the measured command: a small interpreter forks it, waits for it with
# wait4 and writes what the kernel says about that child alone (peak RSS in kB or bytes, CPU seconds) to a file.
_LAUNCHER = """
import json, os, sys
report, command = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    try:
        os.execv(command[0], command)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as out:
    json.dump({"maxrss": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime}, out)
sys.exit(os.waitstatus_to_exitcode(status))
"""


@dataclass(frozen=True)
class Usage:
    """What the kernel counted for one measured process alone: peak RSS in MB and CPU seconds."""

    peak_mb: float
    cpu_seconds: float


@dataclass(frozen=True)
class Measured:
    """One side of the comparison, run by run: transfer seconds, peak RSS in MB, client and server CPU seconds."""

    seconds: list[float]
    peak_mb: list[float]
    cpu: list[float]
    server_cpu: list[float]

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


def run_measured(command: list[str], env: dict[str, str] | None = None) -> tuple[bytes, Usage]:
    """Run `command`; its standard output and what the kernel counted for that process alone.

    `os.wait4` on a child of this process would not do: Linux carries the peak RSS of a process over fork and
    exec, so a child of this process, which holds the sandbox and its database pages (80-110 MB), reports at
    least this process's size whatever it uses itself. The command is therefore forked by a small interpreter
    (about 10 MB, below anything measured here) that waits for it with wait4 and reports its figures.
    """
    executable = shutil.which(command[0]) or command[0]
    with tempfile.TemporaryDirectory(prefix="exportctl-bench-run-") as tmp:
        report = Path(tmp) / "usage.json"
        launcher = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(report), executable, *command[1:]]
        result = subprocess.run(launcher, capture_output=True, env=env)
        if result.returncode != 0:
            raise SystemExit(f"{command[0]} failed ({result.returncode}): {result.stderr.decode(errors='replace')}")
        figures = json.loads(report.read_text())
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: kilobytes on Linux, bytes on macOS
    return result.stdout, Usage(figures["maxrss"] * scale / 1e6, figures["cpu"])


def run_curl(url: str, headers: dict[str, str], target: Path) -> tuple[float, Usage]:
    """(transfer seconds as curl measured them, its usage) of one `curl -o FILE`."""
    command = ["curl", "--silent", "--show-error", "--fail", "-o", str(target), "-w", "%{time_total}"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out, usage = run_measured([*command, url])
    return float(out.decode().strip()), usage


def _tree_env(env: dict[str, str], tree: Path | None) -> dict[str, str]:
    """`env` importing exportctl from `tree` (a directory holding an `exportctl` package) when one is given."""
    return env if tree is None else {**env, "PYTHONPATH": str(tree)}


def run_exportctl(sandbox: Any, export_id: str, target: Path, tree: Path | None = None) -> tuple[float, Usage]:
    """(transfer seconds as the command measured them, its usage) of one `exportctl download` (from `tree`)."""
    # With PYTHONDONTWRITEBYTECODE set (as in some CI images and sandboxes) exportctl's own modules, installed
    # editable, have no bytecode cache and are compiled again inside every measured run (30-100 ms of `seconds`);
    # an installed exportctl has its cache, so the benchmark lets the first run write it.
    env = {
        **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
        "VOUCHERIFY_API_BASE_URL": sandbox.base_url,
        "VOUCHERIFY_APP_ID": sandbox.app_id,
        "VOUCHERIFY_APP_TOKEN": sandbox.secret_key,
    }
    command = [sys.executable, "-m", "exportctl", "--quiet", "download", export_id, "-o", str(target), "--json"]
    out, usage = run_measured(command, _tree_env(env, tree))
    return float(json.loads(out)["seconds"]), usage


# The download engine alone, in a process of its own: `download_export` as the command calls it, timed by its
# own `seconds` (from the download request to the fsynced rename), without the command's start (the HTTP
# session and its imports, reading the credentials) and without the GET of the export before it.
# Its CPU is that of the download alone (every thread, from the request to the rename): the interpreter's start-up,
# 0.1-0.2 s of CPU that moves with the machine's load, would hide a change of the download's own cost at 100 MB.
_ENGINE = """
import json, resource, sys
from pathlib import Path
from exportctl.client.api import ApiClient
from exportctl.jobs.download import download_export
from exportctl.settings import Settings
base_url, app_id, token, export_id, target = sys.argv[1:]
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
with ApiClient(Settings(base_url, app_id, token)) as client:
    export = client.get_export(export_id)
    before = cpu()
    result = download_export(client, export, Path(target))
    spent = cpu() - before
print(json.dumps({"seconds": result.seconds, "rows": result.rows, "cpu": spent}))
"""


def run_engine(sandbox: Any, export_id: str, target: Path, tree: Path | None = None) -> tuple[float, Usage]:
    """(seconds as `download_export` measured them, the process's peak RSS and the download's own CPU) of the
    download engine alone."""
    command = [sys.executable, "-c", _ENGINE, sandbox.base_url, sandbox.app_id, sandbox.secret_key, export_id]
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    out, usage = run_measured([*command, str(target)], _tree_env(env, tree))
    answer = json.loads(out)
    return float(answer["seconds"]), Usage(usage.peak_mb, float(answer["cpu"]))


def settle() -> None:
    """Start every measured run from the same state, so that no run pays or profits from the one before.

    Dirty pages are written to disk: curl does not fsync, so without this the kernel writes its file back while
    the next tool runs, on the same disk (a gigabyte for the 1 GB export), and that next tool's own fsync waits
    behind it. And the kernel's TCP metrics for 127.0.0.1 are flushed where this process may (root; elsewhere
    nothing happens): Linux keeps the congestion window and round-trip time a connection ended with and starts
    the next connection to the same address from them, so each side began where the side before it left off
    (`ip tcp_metrics show`). Whether that moved any figure is not settled: see docs/performance.md.
    """
    os.sync()
    if shutil.which("ip") is not None:
        subprocess.run(["ip", "tcp_metrics", "flush", "127.0.0.1"], capture_output=True, check=False)


def server_seconds() -> float:
    """CPU seconds this process has used so far: the sandbox's serving threads, while a download runs."""
    return time.process_time()


def measure(size_mb: float, runs: int, cache_dir: Path, before: Path | None = None) -> dict[str, Any]:
    """Export a file of at least `size_mb` MB and download it `runs` times with each tool.

    With `before` (a directory holding another version's `exportctl` package), that version's command and
    engine run in every round too, in turns with this one's, so that both meet the same machine.
    """
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
            sides: dict[str, Any] = {
                "curl": lambda target: run_curl(url, sb.headers, target),
                "exportctl": lambda target: run_exportctl(sb, export_id, target),
                "engine": lambda target: run_engine(sb, export_id, target),
            }
            if before is not None:
                sides["before"] = lambda target: run_exportctl(sb, export_id, target, before)
                sides["before_engine"] = lambda target: run_engine(sb, export_id, target, before)
            measured = {name: Measured([], [], [], []) for name in sides}
            for index in range(runs):
                # curl first, then the others in turns: a version is not always the one after curl.
                others = list(sides)[1:]
                shift = index % len(others)
                for name in ["curl", *others[shift:], *others[:shift]]:
                    target = work / f"{name}.csv"
                    settle()
                    served = server_seconds()
                    seconds, usage = sides[name](target)
                    side = measured[name]
                    side.server_cpu.append(server_seconds() - served)
                    side.seconds.append(seconds)
                    side.peak_mb.append(usage.peak_mb)
                    side.cpu.append(usage.cpu_seconds)
                    if not filecmp.cmp(source, target, shallow=False):
                        raise SystemExit(f"{target.name} differs from the sandbox's file")
                    target.unlink()
                print(
                    f"run {index + 1}: "
                    + ", ".join(
                        f"{name} {size / 1e6 / side.seconds[-1]:,.0f} MB/s (CPU {side.cpu[-1] * 1e3:,.0f} ms)"
                        for name, side in measured.items()
                    )
                    + f"; exportctl's peak {measured['exportctl'].peak_mb[-1]:.0f} MB",
                    file=sys.stderr,
                )
    mb = size / 1e6
    curl, exportctl, engine = measured["curl"], measured["exportctl"], measured["engine"]
    row: dict[str, Any] = {
        "bytes": size,
        "runs": runs,
        "curl_mb_s": mb / curl.median,
        "exportctl_mb_s": mb / exportctl.median,
        "ratio": curl.median / exportctl.median,
        "exportctl_peak_mb": max(exportctl.peak_mb),
        "curl_peak_mb": max(curl.peak_mb),
        # CPU milliseconds per MB, medians: each tool's process (exportctl's includes its start-up), and the
        # sandbox serving it from this process.
        "curl_cpu_ms_per_mb": statistics.median(curl.cpu) * 1e3 / mb,
        "exportctl_cpu_ms_per_mb": statistics.median(exportctl.cpu) * 1e3 / mb,
        "server_cpu_ms_per_mb_curl": statistics.median(curl.server_cpu) * 1e3 / mb,
        "server_cpu_ms_per_mb_exportctl": statistics.median(exportctl.server_cpu) * 1e3 / mb,
        # The download engine alone (see `_ENGINE`): what the command's start costs, set apart.
        "engine_mb_s": mb / engine.median,
        "engine_ratio": curl.median / engine.median,
        "engine_cpu_ms_per_mb": statistics.median(engine.cpu) * 1e3 / mb,
        # Medians of each round's ratio (curl's seconds / the tool's, the two in the same round): the steadier
        # comparison on a shared machine, where curl's own speed moves from round to round.
        "round_ratio": _round_ratio(curl, exportctl),
        "engine_round_ratio": _round_ratio(curl, engine),
    }
    if before is not None:
        old, old_engine = measured["before"], measured["before_engine"]
        row["before"] = {
            "tree": str(before),
            "exportctl_mb_s": mb / old.median,
            "ratio": curl.median / old.median,
            "round_ratio": _round_ratio(curl, old),
            "exportctl_peak_mb": max(old.peak_mb),
            "exportctl_cpu_ms_per_mb": statistics.median(old.cpu) * 1e3 / mb,
            "engine_mb_s": mb / old_engine.median,
            "engine_ratio": curl.median / old_engine.median,
            "engine_round_ratio": _round_ratio(curl, old_engine),
            "engine_cpu_ms_per_mb": statistics.median(old_engine.cpu) * 1e3 / mb,
        }
    return row


def _round_ratio(curl: Measured, tool: Measured) -> float:
    return statistics.median(c / t for c, t in zip(curl.seconds, tool.seconds, strict=True))


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'file':>9} {'runs':>5} {'curl':>11} {'exportctl':>11} {'ratio':>13} {'peak RSS':>9}"
        f" {'engine alone':>26} {'CPU ms/MB: curl':>16} {'exportctl':>10} {'engine':>7} {'server':>10}"
    )
    for row in rows:
        print(
            f"{row['bytes'] / 1e6:>6,.0f} MB {row['runs']:>5} {row['curl_mb_s']:>6,.0f} MB/s"
            f" {row['exportctl_mb_s']:>6,.0f} MB/s {row['ratio']:>5.2f}x ({row['round_ratio']:.2f}x)"
            f" {row['exportctl_peak_mb']:>6.0f} MB"
            f" {row['engine_mb_s']:>6,.0f} MB/s {row['engine_ratio']:>5.2f}x ({row['engine_round_ratio']:.2f}x)"
            f" {row['curl_cpu_ms_per_mb']:>16.2f} {row['exportctl_cpu_ms_per_mb']:>10.2f}"
            f" {row['engine_cpu_ms_per_mb']:>7.2f}"
            f" {row['server_cpu_ms_per_mb_curl']:>5.2f}/{row['server_cpu_ms_per_mb_exportctl']:.2f}"
        )
        old = row.get("before")
        if old is not None:
            print(
                f"{'before:':>9} {'':>5} {'':>11} {old['exportctl_mb_s']:>6,.0f} MB/s {old['ratio']:>5.2f}x"
                f" ({old['round_ratio']:.2f}x) {old['exportctl_peak_mb']:>6.0f} MB"
                f" {old['engine_mb_s']:>6,.0f} MB/s {old['engine_ratio']:>5.2f}x ({old['engine_round_ratio']:.2f}x)"
                f" {'':>16} {old['exportctl_cpu_ms_per_mb']:>10.2f} {old['engine_cpu_ms_per_mb']:>7.2f}"
                f"   ({old['tree']})"
            )
    print(
        "median of the runs; ratio = exportctl throughput / curl's (target >= 0.8x), in brackets the median of "
        "each round's ratio; peak RSS of the exportctl "
        "process alone (target <= 60 MB); engine alone = download_export in its own process, timed by itself; "
        "CPU includes each process's start-up, except the engine's (the download alone); server = the sandbox's "
        "CPU while serving curl/exportctl"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, action="append", help="file size floor in MB (repeatable; 500)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, default=default_cache_dir())
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument(
        "--before",
        type=Path,
        help="also run the exportctl package in this directory, in turns with this one "
        "(e.g. after `git archive main exportctl | tar -x -C DIR`)",
    )
    args = parser.parse_args()
    if args.before is not None and not (args.before / "exportctl" / "__init__.py").is_file():
        raise SystemExit(f"--before: {args.before} holds no exportctl package")
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=sys.stderr)
    rows = [measure(size, args.runs, args.cache_dir, args.before) for size in args.size_mb or [500.0]]
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=sys.stderr)
    if args.json:
        print(json.dumps(rows))
    else:
        print_table(rows)


if __name__ == "__main__":
    main()
