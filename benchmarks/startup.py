"""Start-up cost of exportctl beside the cost of importing typer alone, measured in the same run.

    python benchmarks/startup.py [--runs 15]

Prints the median wall time of each command and its ratio to the `python -c "import typer"`
baseline. Targets (issue 13): --help within 1.25x, --dry-run within 1.35x, TAB completion within 1.3x.

exportctl's entry point freezes what start-up imported (`gc.freeze()`), so the collection at exit skips
Typer's objects too, which the baseline still collects; the last line repeats the ratios against
`import typer` with the same freeze, the like-for-like comparison.

Both sides run from bytecode: typer's was written when pip installed it, and `measure` compiles
exportctl's once, so that PYTHONDONTWRITEBYTECODE (or a fresh checkout) does not charge exportctl for
compiling its sources on every run.
"""

from __future__ import annotations

import argparse
import functools
import os
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
# The baseline with exportctl's own exit-time saving applied to it (see the module docstring).
FROZEN_BASELINE = [sys.executable, "-c", "import typer, gc; gc.freeze()"]
COMPLETION_ENV = {
    "_EXPORTCTL_COMPLETE": "complete_bash",
    "COMP_WORDS": "exportctl voucher --fields co",
    "COMP_CWORD": "3",
}


@functools.cache
def compile_package() -> None:
    """Write exportctl's bytecode, as `pip install` does for typer's: once per process."""
    import compileall

    import exportctl

    compileall.compile_dir(os.path.dirname(exportctl.__file__), quiet=1)


def measure(argv: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    """Median wall time in seconds of `runs` runs, after one warm-up run."""
    compile_package()
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
    frozen: list[float] = []
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            env = COMPLETION_ENV if name.startswith("TAB") else None
            samples[name].append(measure(argv, 1, env))
        frozen.append(measure(FROZEN_BASELINE, 1))
    baseline = statistics.median(samples[next(iter(COMMANDS))])
    print(f"{'command':<52} {'median':>9} {'ratio':>7}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<52} {median * 1000:>7.1f}ms {median / baseline:>6.2f}x")
    like = statistics.median(frozen)
    ratios = "  ".join(f"{statistics.median(values) / like:.2f}x" for values in list(samples.values())[1:])
    print(f"{'against import typer + gc.freeze()':<52} {like * 1000:>7.1f}ms   {ratios}")


if __name__ == "__main__":
    main()
