"""Several exports at once: a split export of 12 monthly windows, and `exportctl run` of the nightly sample.

    python benchmarks/batch.py

Both run against a sandbox with its default timing (each export queued 1.5 s, then at least 1 s plus 0.05 s
per 1,000 rows), as the exportctl CLI in its own process, each figure its `--json` summary's API calls and
the wall time of the process:

- split: `exportctl redemption --since A --until B --split-by month --parallel 4` against one export of the
  same 12 months (the 12 whole months before the current one);
- run:   `exportctl run sample-configs/nightly.yaml --parallel 3` against the same file run sequentially.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

NIGHTLY = Path(__file__).resolve().parent.parent / "sample-configs" / "nightly.yaml"
SPLIT_PARALLEL = 4
RUN_PARALLEL = 3
SCALE = 1.0


@dataclass(frozen=True)
class Timed:
    """One command: wall seconds of its process and the API calls its --json summary reports."""

    seconds: float
    calls: int


def _calls(summary: dict[str, Any]) -> int:
    if "api_calls" in summary:
        return int(summary["api_calls"])
    return sum(int(export.get("api_calls") or 0) for export in summary.get("exports", []))


def run_cli(sandbox: Any, args: list[str], cwd: Path) -> Timed:
    env = {
        **os.environ,
        "VOUCHERIFY_API_BASE_URL": sandbox.base_url,
        "VOUCHERIFY_APP_ID": sandbox.app_id,
        "VOUCHERIFY_APP_TOKEN": sandbox.secret_key,
        "XDG_STATE_HOME": str(cwd / "state"),
    }
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "exportctl", "--quiet", *args], env=env, cwd=cwd, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"exportctl {' '.join(args)} failed ({result.returncode}): {result.stderr or result.stdout}")
    return Timed(seconds, _calls(json.loads(result.stdout)))


def twelve_months(today: date) -> tuple[str, str]:
    """The 12 whole months before the current one, as --since/--until dates."""
    return date(today.year - 1, today.month, 1).isoformat(), date(today.year, today.month, 1).isoformat()


@contextmanager
def batch_sandbox() -> Iterator[tuple[Any, Path]]:
    from exportctl.sandbox import Sandbox

    with tempfile.TemporaryDirectory(prefix="exportctl-bench-batch-") as tmp, Sandbox(scale=SCALE) as sb:
        yield sb, Path(tmp)


def measure_split() -> tuple[Timed, Timed]:
    """(one export of the 12 months, the same months split by month with --parallel 4)."""
    since, until = twelve_months(datetime.now(timezone.utc).date())
    common = ["redemption", "--since", since, "--until", until, "--json"]
    with batch_sandbox() as (sb, work):
        one = run_cli(sb, [*common, "-o", str(work / "one.csv")], work)
        split = run_cli(
            sb, [*common, "--split-by", "month", "--parallel", str(SPLIT_PARALLEL), "-o", str(work / "split.csv")], work
        )
    return one, split


def measure_run() -> tuple[Timed, Timed]:
    """(the nightly sample run sequentially, the same with --parallel 3)."""
    with batch_sandbox() as (sb, work):
        common = ["run", str(NIGHTLY), "--json", "--force"]
        (work / "one").mkdir()
        (work / "par").mkdir()
        sequential = run_cli(sb, [*common, "--output-dir", str(work / "one")], work)
        parallel = run_cli(sb, [*common, "--parallel", str(RUN_PARALLEL), "--output-dir", str(work / "par")], work)
    return sequential, parallel


def main() -> None:
    one, split = measure_split()
    print(f"12 monthly windows, --parallel {SPLIT_PARALLEL}: {split.seconds:.1f} s, {split.calls} calls")
    print(f"one export of the same range:        {one.seconds:.1f} s, {one.calls} calls")
    sequential, parallel = measure_run()
    print(f"run nightly.yaml --parallel {RUN_PARALLEL}: {parallel.seconds:.1f} s, {parallel.calls} calls")
    print(f"run nightly.yaml sequentially:  {sequential.seconds:.1f} s, {sequential.calls} calls")


if __name__ == "__main__":
    main()
