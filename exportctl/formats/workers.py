"""How many CPUs `--format jsonl` may use, and from which size of CSV on: two knobs from the environment.

- `EXPORTCTL_WORKERS` (a whole number from 1 to 64): the processes a conversion uses at most, the calling
  one included; `1` turns the split off. Unset or empty: the CPUs this process may run on (its affinity), at
  most 8 (about 25 MB of memory each).
- `EXPORTCTL_PARALLEL_MIN_MB` (a number of MB, 0 to 1000000, `0.001` allowed): the smallest CSV that is
  split; below it, starting the workers would cost more than they save. Unset or empty: 32 MB. Tests set
  it tiny to split small files.

A bad value is a UsageError (exit 2) naming the variable and what would be valid; `jobs/plan.py` reads both
before an export with `--format jsonl` is created, so the run is refused before it starts.

Standard library only.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from exportctl.errors import UsageError
from exportctl.masking import printable

ENV_WORKERS = "EXPORTCTL_WORKERS"
ENV_MIN_MB = "EXPORTCTL_PARALLEL_MIN_MB"
MAX_WORKERS = 64
DEFAULT_MAX_WORKERS = 8
DEFAULT_MIN_MB = 32.0
MAX_MIN_MB = 1_000_000.0
MB = 1_000_000


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system tells it), at least 1."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        try:
            return max(1, len(affinity(0)))
        except OSError:
            pass
    return max(1, os.cpu_count() or 1)


def workers_wanted(environ: Mapping[str, str] | None = None) -> int:
    """EXPORTCTL_WORKERS, else the usable CPUs (at most 8); UsageError (exit 2) for a bad value."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_WORKERS, "").strip()
    if not raw:
        return min(DEFAULT_MAX_WORKERS, usable_cpus())
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_WORKERS):
        raise UsageError(
            f"{ENV_WORKERS}={printable(raw)!r} is not a whole number from 1 to {MAX_WORKERS}.",
            hint=f"For example {ENV_WORKERS}=1 converts on one CPU; unset, --format jsonl uses every usable CPU.",
        )
    return int(raw)


def parallel_min_bytes(environ: Mapping[str, str] | None = None) -> int:
    """EXPORTCTL_PARALLEL_MIN_MB in bytes, else 32 MB; UsageError (exit 2) for a bad value."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_MIN_MB, "").strip()
    if not raw:
        return int(DEFAULT_MIN_MB * MB)
    try:
        megabytes = float(raw) if raw.isascii() else math.nan
    except ValueError:
        megabytes = math.nan
    if not 0 <= megabytes <= MAX_MIN_MB:  # nan and inf included
        raise UsageError(
            f"{ENV_MIN_MB}={printable(raw)!r} is not a number of MB from 0 to {MAX_MIN_MB:.0f}.",
            hint=f"For example {ENV_MIN_MB}=64 splits only CSVs of 64 MB and more; unset, {DEFAULT_MIN_MB:g} MB.",
        )
    return int(megabytes * MB)


def check_knobs() -> None:
    """Both knobs read, for the plan: a bad value is refused before an export is created."""
    workers_wanted()
    parallel_min_bytes()
