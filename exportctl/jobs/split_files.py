"""Where a split export keeps its windows next to its target: `TARGET.parts/` and `TARGET.manifest.json`.

Standard library only, and nothing but a `stat`: `jobs/plan.py` checks the place when the export is planned
(the dry run too, which must not import the manifest's hashing), `jobs/split.py` and `jobs/split_manifest.py`
use the names.
"""

from __future__ import annotations

from pathlib import Path

from exportctl.errors import UsageError

MANIFEST_SUFFIX = ".manifest.json"
PARTS_SUFFIX = ".parts"


def manifest_path(target: Path) -> Path:
    """`TARGET.manifest.json`."""
    return target.with_name(target.name + MANIFEST_SUFFIX)


def parts_dir(target: Path) -> Path:
    """`TARGET.parts/`, where the windows' CSVs wait for the join."""
    return target.with_name(target.name + PARTS_SUFFIX)


def check_parts_place(target: Path) -> None:
    """UsageError when `TARGET.parts` is there and is not a directory (a file, or a symbolic link to anything)."""
    parts = parts_dir(target)
    if parts.is_symlink() or (parts.exists() and not parts.is_dir()):
        raise UsageError(
            f"{parts} exists and is not a directory; a split export keeps its windows' files there.",
            hint=f"Remove or rename it, or choose another --output than {target}.",
        )
