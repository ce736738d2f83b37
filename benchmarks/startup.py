"""Start-up cost of exportctl beside the cost of importing typer alone, measured in the same run.

    python benchmarks/startup.py [--runs 15]

Prints the median wall time of each command and its ratio to the `python -c "import typer"`
baseline. Targets (issue 13): --help within 1.25x, --dry-run within 1.35x, TAB completion within 1.3x.

exportctl's entry point freezes what start-up imported (`gc.freeze()`), so the collection at exit skips
Typer's objects too, which the baseline still collects; the last columns give the ratios against
`import typer` with the same freeze, the like-for-like comparison. CPU time (user + system of the child)
is printed beside wall time: on a shared machine it is the steadier of the two.

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


def sample(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """One run's wall time and CPU time (user + system, from os.wait4), in seconds."""
    started = time.perf_counter()
    child = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})}
    )
    _, _, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    # Interleave the commands round by round so that machine noise hits them all alike.
    compile_package()
    runs = {name: (argv, COMPLETION_ENV if name.startswith("TAB") else None) for name, argv in COMMANDS.items()}
    runs["import typer + gc.freeze() (like for like)"] = (FROZEN_BASELINE, None)
    walls: dict[str, list[float]] = {name: [] for name in runs}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    for argv, env in runs.values():  # warm-up: page cache and bytecode
        sample(argv, env)
    for _ in range(args.runs):
        for name, (argv, env) in runs.items():
            wall, cpu = sample(argv, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    # CPU time is the steadier figure on a shared machine: waiting for a CPU is not counted.
    wall_base, cpu_base = (statistics.median(values[next(iter(COMMANDS))]) for values in (walls, cpus))
    like_wall, like_cpu = (statistics.median(values[list(runs)[-1]]) for values in (walls, cpus))
    print(f"{'command':<52} {'wall':>8} {'ratio':>6} {'cpu':>8} {'ratio':>6}  like for like (wall, cpu)")
    for name in runs:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        like = f"  {wall / like_wall:.2f}x  {cpu / like_cpu:.2f}x" if name in list(COMMANDS)[1:] else ""
        ratios = f"{wall / wall_base:>5.2f}x {cpu * 1000:>6.1f}ms {cpu / cpu_base:>5.2f}x{like}"
        print(f"{name:<52} {wall * 1000:>6.1f}ms {ratios}")


if __name__ == "__main__":
    main()
