"""Seconds from DONE to the saved file, and the API calls it took, for exports held IN_PROGRESS for a set time.

The sandbox holds two exports IN_PROGRESS for the same time (its `hold_in_progress`): one waited for by
`exportctl voucher -o FILE --json` (its adaptive polling), the other by a loop that polls once a second.
A watcher polling every 20 ms (not counted) sees each turn DONE; "saved after DONE" runs from then to the
moment the CSV appears at its path. Calls include the POST and the download.

    python benchmarks/polling.py --seconds 5 --seconds 60     # one table row per job length
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Off the one-second grid: a hold of a whole number of seconds ends just before a fixed poll, which would
# flatter the baseline; real exports end anywhere between two polls.
OFF_GRID = 0.37


@dataclass(frozen=True)
class Polled:
    """One job length, both ways: API calls and seconds from DONE to the saved file."""

    seconds: float
    calls: int
    saved_after: float
    fixed_calls: int
    fixed_saved_after: float


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


class PollBench:
    """A sandbox whose exports are ready at once unless held, and a work directory for the saved files."""

    def __init__(self, sandbox: Any, work: Path) -> None:
        self.sandbox = sandbox
        self.work = work
        self.known: set[str] = set()
        self.runs = 0

    def env(self, state_dir: Path) -> dict[str, str]:
        return {
            **os.environ,
            "VOUCHERIFY_API_BASE_URL": self.sandbox.base_url,
            "VOUCHERIFY_APP_ID": self.sandbox.app_id,
            "VOUCHERIFY_APP_TOKEN": self.sandbox.secret_key,
            "XDG_STATE_HOME": str(state_dir),
        }

    def job(self, seconds: float, state_dir: Path) -> Polled:
        """Hold two exports IN_PROGRESS for `seconds` (plus OFF_GRID): exportctl's and the fixed loop's."""
        self.runs += 1
        held = seconds + OFF_GRID
        self.sandbox.faults.hold_in_progress(held, times=2)
        ours, theirs = self.work / f"exportctl-{self.runs}.csv", self.work / f"fixed-{self.runs}.csv"
        saved_ours, saved_theirs = SavedWatcher(ours), SavedWatcher(theirs)
        saved_ours.start()
        saved_theirs.start()
        baseline: dict[str, Any] = {}
        fixed = threading.Thread(target=fixed_polling, args=(self.sandbox, theirs, self.known, baseline))
        fixed.start()
        while "id" not in baseline:
            time.sleep(0.005)
        watch_fixed = DoneWatcher(self.sandbox, baseline["id"])
        watch_fixed.start()
        process = subprocess.Popen(
            [sys.executable, "-m", "exportctl", "--quiet", "voucher", "-o", str(ours), "--json"],
            env=self.env(state_dir), stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        watch_ours = DoneWatcher(self.sandbox, new_export_id(self.sandbox, self.known))
        watch_ours.start()
        stdout, _ = process.communicate()
        for thread in (fixed, saved_ours, saved_theirs, watch_ours, watch_fixed):
            thread.join()
        summary = json.loads(stdout)
        assert watch_ours.done_at is not None and watch_fixed.done_at is not None
        return Polled(
            seconds=seconds,
            calls=int(summary["api_calls"]),
            saved_after=saved_ours.saved_at - watch_ours.done_at,
            fixed_calls=int(baseline["calls"]),
            fixed_saved_after=saved_theirs.saved_at - watch_fixed.done_at,
        )


@contextmanager
def poll_bench() -> Iterator[PollBench]:
    from exportctl.sandbox import Sandbox, Timing

    with (
        tempfile.TemporaryDirectory(prefix="exportctl-bench-poll-") as tmp,
        Sandbox(scale=0.05, timing=Timing(scheduled=0.0, in_progress=0.0, per_thousand_rows=0.0)) as sb,
    ):
        yield PollBench(sb, Path(tmp))


def measure(seconds: float, state_dir: Path | None = None) -> Polled:
    """One job of `seconds`, waited for with the history in `state_dir` (a fresh, empty one by default)."""
    with poll_bench() as bench:
        return bench.job(seconds, state_dir or bench.work / "state")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, action="append", help="job length (repeatable; default 5)")
    args = parser.parse_args()
    print(f"{'job':>8} {'calls':>6} {'saved after DONE':>17} {'fixed 1 s: calls':>17} {'saved after':>12}")
    for seconds in args.seconds or [5.0]:
        row = measure(seconds)
        print(
            f"{seconds:>6g} s {row.calls:>6} {row.saved_after:>15.2f} s {row.fixed_calls:>17}"
            f" {row.fixed_saved_after:>10.2f} s"
        )


if __name__ == "__main__":
    main()
