"""A split export's bookkeeping on disk: `TARGET.manifest.json`, the parts in `TARGET.parts/`, and which are ours.

The manifest records the request's fingerprint and, per window, its range, export id, status (`submitted`,
`saved`, `failed`), part file and sha256. A part is the split's own when a manifest lists it: its entry is
written, with the part's name, before the window's download starts. Only such files are ever removed or
overwritten; anything else in `TARGET.parts/` is the user's and is left alone.

The manifest is a document of the state store (state/store.py): read without following a link, replaced
atomically. One that is not JSON reads as none (nothing in it is ours); a symbolic link, a directory, or
a manifest of a newer exportctl is refused before anything is submitted.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from exportctl.errors import OutputError, UsageError
from exportctl.files.csv import JOIN_CHUNK
from exportctl.jobs.manifest_check import manifest_problem
from exportctl.jobs.split_files import MANIFEST_SUFFIX, PARTS_SUFFIX
from exportctl.request.windows import Window
from exportctl.state.store import ANY, LocalJsonStore, StateProblem

MANIFEST_VERSION = 1
SAVED, SUBMITTED, FAILED = "saved", "submitted", "failed"
# What `_part_name` makes: a manifest's `part` of another shape (`../x`, `/etc/passwd`) names nothing of ours.
_PART_NAME = r"(?a)[0-9A-Za-z]+-[0-9A-Za-z]+\.csv"
# A part's companions while its download is under way (files.atomic's PART_SUFFIX, PART_INFO_SUFFIX).
_PART_COMPANIONS = ("", ".part", ".part.json")


def part_name(window: Window) -> str:
    """`20240101T000000000Z-20240102T000000000Z.csv`: the window's range, safe in any file system."""
    ends = window.to_json()
    since, until = (
        (ends[name] or "open").replace("-", "").replace(":", "").replace(".", "") for name in ("since", "until")
    )
    return f"{since}-{until}.csv"


class Manifest:
    """The JSON record of a split run, rewritten atomically after every change (from any thread)."""

    def __init__(self, path: Path | None, print_: str, request: dict[str, Any], windows: list[Window]) -> None:
        self.path = path
        self.fingerprint = print_
        self.request = request
        self.windows = windows
        self.entries: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._frozen = False

    def load(self, parts: Path) -> None:
        """Take over a manifest of the same request; discard one of another request, with its parts."""
        if self.path is None:
            return
        try:
            data = self._store().read().doc
        except StateProblem as unusable:
            if unusable.kind in ("link", "not-regular", "version"):
                # Refused before anything is submitted: the write at the first window would fail (or, for a
                # newer exportctl's manifest, throw away what that version saved).
                raise UsageError(
                    f"The split manifest {self.path} {unusable.reason}.",
                    hint=f"Move it away (or remove it and {self._target()}{PARTS_SUFFIX}/) to start the split over.",
                ) from None
            data = None
        if data is None:
            return  # missing or unreadable: nothing in it can be called ours, so nothing is removed
        windows = data.get("windows", [])
        if data.get("fingerprint") != self.fingerprint:
            # Parts of another request must not be joined into this one: remove them, and only them.
            remove_parts(parts, windows if isinstance(windows, list) else [])
            return
        problem = manifest_problem(windows, saved=SAVED)
        if problem is not None:
            raise self._damaged(problem)
        current = {window_key(window.to_json()) for window in self.windows}
        # Windows of an earlier run that this one does not ask for (its `until` was earlier): their parts go.
        remove_parts(parts, [entry for entry in windows if window_key(entry) not in current])
        for entry in windows:
            self.entries[window_key(entry)] = entry

    def owns(self, part: Path) -> bool:
        """Whether a manifest entry lists `part`, i.e. this split (or the run it resumes) created it."""
        return any(entry.get("part") == part.name for entry in self.entries.values())

    def _target(self) -> str:
        return self.path.name[: -len(MANIFEST_SUFFIX)] if self.path is not None else "TARGET"

    def _store(self) -> LocalJsonStore:
        assert self.path is not None
        return LocalJsonStore(self.path, version=MANIFEST_VERSION)

    def _damaged(self, problem: str) -> UsageError:
        return UsageError(
            f"The split manifest {self.path} is damaged: {problem}.",
            hint=f"Remove it and {self._target()}{PARTS_SUFFIX}/ to start the split over, or fix the entry.",
        )

    def reusable(self, window: Window, part: Path) -> dict[str, Any] | None:
        """The entry of a window saved earlier, if its part is still there with the recorded sha256."""
        entry = self.entries.get(window_key(window.to_json()))
        if entry is None or entry.get("status") != SAVED or not part.is_file():
            return None
        if file_sha256(part) != entry.get("sha256"):
            return None
        return entry

    def saved(self) -> int:
        """How many of this run's windows the manifest records as saved."""
        with self._lock:
            return self._saved()

    def _saved(self) -> int:
        keys = {window_key(window.to_json()) for window in self.windows}
        return sum(1 for key, entry in self.entries.items() if key in keys and entry.get("status") == SAVED)

    def freeze(self) -> int:
        """Stop recording (after an interrupt, once the threads had their grace) and say how many are saved.

        A thread still finishing later changes nothing on disk: its window stays `submitted`, so a rerun
        fetches it again rather than trusting a count this run already reported.
        """
        with self._lock:
            self._frozen = True
            return self._saved()

    def record(self, window: Window, **values: Any) -> None:
        """Update one window's entry and write the manifest."""
        with self._lock:
            if self._frozen:
                return
            entry = self.entries.setdefault(window_key(window.to_json()), window.to_json())
            entry.update(values)
            self._write()

    def _write(self) -> None:
        if self.path is None:
            return
        order = {window_key(w.to_json()): i for i, w in enumerate(self.windows)}
        data = {
            "fingerprint": self.fingerprint,
            "request": self.request,
            "windows": sorted((e for k, e in self.entries.items() if k in order), key=lambda e: order[window_key(e)]),
        }
        try:
            # One split writes its manifest from one lock-guarded place (self._lock): the last write wins.
            self._store().write_if_unchanged(data, ANY)
        except OSError as exc:
            raise OutputError(f"Cannot write {self.path}: {exc.strerror or exc}.") from None


def remove_parts(parts: Path, entries: list[Any]) -> None:
    """Remove the part files (and their download companions) that manifest `entries` list; nothing else."""
    for entry in entries:
        name = entry.get("part") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not re.fullmatch(_PART_NAME, name):
            continue
        for suffix in _PART_COMPANIONS:
            with contextlib.suppress(OSError):
                (parts / (name + suffix)).unlink()


def window_key(bounds: Mapping[str, Any]) -> str:
    """A window's key in the manifest, from its `since`/`until` (a window's `to_json()` or a manifest entry)."""
    return f"{bounds.get('since')}..{bounds.get('until')}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(JOIN_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def refuse_foreign_parts(parts: Path, planned: list[Path], manifest: Manifest) -> None:
    """UsageError, before anything is submitted, when a part to be written is a file no manifest lists."""
    for part in planned:
        if (part.exists() or part.is_symlink()) and not manifest.owns(part):
            raise UsageError(
                f"{part} is in the way: a split export writes a window's part there, and this file was not "
                "written by it (its manifest does not list it). exportctl never overwrites or removes files "
                f"it did not create in {parts}/.",
                hint="Move or remove that file, or choose another --output.",
            )
