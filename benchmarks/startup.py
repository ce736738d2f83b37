"""Start-up cost of exportctl beside the cost of importing typer alone, measured in the same run.

    python benchmarks/startup.py [--runs 15]

Prints the median wall time of each command and its ratio to the `python -c "import typer"`
baseline. Targets (issue 3): --help within 1.3x, --dry-run within 1.5x of the baseline.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS: dict[str, list[str]] = {
    'python -c "import typer" (baseline)': [sys.executable, "-c", "import typer"],
    "exportctl --help": [sys.executable, "-m", "exportctl", "--help"],
    "exportctl voucher --dry-run --fields code,value": [
        sys.executable,
        "-m",
        "exportctl",
        "voucher",
        "--dry-run",
        "--fields",
        "code,value",
    ],
    "TAB completion of --fields co": [sys.executable, "-m", "exportctl"],
}
COMPLETION_ENV = {
    "_EXPORTCTL_COMPLETE": "complete_bash",
    "COMP_WORDS": "exportctl voucher --fields co",
    "COMP_CWORD": "3",
}


def measure(argv: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    """Median wall time in seconds of `runs` runs, after one warm-up run."""
    import os

    full_env = {**os.environ, **(env or {})}
    timings = []
    for index in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env, check=False)
        if index:
            timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    # Interleave the commands round by round so that machine noise hits them all alike.
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            env = COMPLETION_ENV if name.startswith("TAB") else None
            samples[name].append(measure(argv, 1, env))
    baseline = statistics.median(samples[next(iter(COMMANDS))])
    print(f"{'command':<52} {'median':>9} {'ratio':>7}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<52} {median * 1000:>7.1f}ms {median / baseline:>6.2f}x")


if __name__ == "__main__":
    main()
