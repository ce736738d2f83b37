"""How long earlier exports took, kept in the state directory so polling can aim at the moment DONE is likely.

`$XDG_STATE_HOME/exportctl/poll-history.json` (`~/.local/state/exportctl/` by default) holds, for each kind
of export (a hash of the API's URL, without the port of a local sandbox, the exported object and the shape
of its parameters: the fields, the order and which filters, not their values, so a nightly export with a
moving date range is one kind), the last `MAX_RUNS` windows in which it turned DONE, as seconds after it
was created:

    {"version": 1, "exports": {"3f0c...": [[58.2, 60.6, 1764615000.0], ...]}}

Each entry is [after the last answer that was not DONE, at the first DONE, when it was recorded (epoch)].
At most `MAX_KINDS` kinds are kept, the most recently recorded ones.

The file is a hint, never a requirement: a missing, unreadable, oversized, corrupt or hostile file reads as
no history (it is read with a size cap, never through a symbolic link, only when it is a regular file, and
every entry is checked), and a failure to write it is ignored. It is a document of the state store
(state/store.py), replaced atomically after the export's file is saved, so it never delays a download.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from exportctl.state.store import ANY, LocalJsonStore

HISTORY_FILE = "poll-history.json"
VERSION = 1
MAX_RUNS = 8
MAX_KINDS = 200
# A window beyond a week is not an export's duration (a clock jump, a hand-edited file).
MAX_SECONDS = 7 * 24 * 3600.0
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# A full history (MAX_KINDS kinds of MAX_RUNS runs) is at most 135 KB as written (the 64 KiB read before the
# state store cut it off, so a full history read as none); a larger file is no history.
MAX_FILE_BYTES = 160 * 1024
_KEY = re.compile(r"[0-9a-f]{16,64}")
# Threads of one process (split windows, run entries) save in turn, so none overwrites another's runs.
_SAVING = threading.Lock()


@dataclass(frozen=True)
class Run:
    """One export's DONE window in seconds after its creation, and when it was recorded (epoch seconds)."""

    lo: float
    hi: float
    at: float


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_STATE_HOME/exportctl`, or `~/.local/state/exportctl` (a relative XDG value is ignored, per the spec)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / "exportctl"


def _shape(value: Any) -> Any:
    """The structure of a filters value: its keys and nesting, each value replaced by None."""
    if isinstance(value, dict):
        return {str(key): _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return None


def _api(base_url: str) -> str:
    """The API's URL, without the port of a local one: each `--sandbox` run listens on a port of its own."""
    parts = urlsplit(base_url.rstrip("/"))
    if parts.hostname in LOCAL_HOSTS:
        return urlunsplit((parts.scheme, parts.hostname, parts.path, "", ""))
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, "", ""))


def history_key(base_url: str, export: Mapping[str, Any]) -> str | None:
    """The kind of export `export` (the API's export object) is; None when it names no exported object."""
    exported_object = export.get("exported_object")
    if not isinstance(exported_object, str) or not exported_object:
        return None
    parameters = export.get("parameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    try:
        shape = _shape(parameters.get("filters"))
    except RecursionError:
        return None
    kind = {
        "api": _api(base_url),
        "object": exported_object,
        "fields": parameters.get("fields"),
        "order": parameters.get("order"),
        "filters": shape,
    }
    try:
        text = json.dumps(kind, sort_keys=True, default=str)
    except (RecursionError, ValueError):  # a server's parameters nested too deep to hash: no history
        return None
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _runs(value: Any) -> list[Run]:
    if not isinstance(value, list):
        return []
    runs = []
    for entry in value[-MAX_RUNS:]:
        if not isinstance(entry, list) or len(entry) != 3:
            continue
        lo, hi, at = (_number(item) for item in entry)
        if lo is None or hi is None or at is None or not 0 <= lo < hi <= MAX_SECONDS:
            continue
        runs.append(Run(lo, hi, at))
    return runs


def parse(data: Any) -> dict[str, list[Run]]:
    """The history in a decoded file, every entry checked; {} for anything but the documented format."""
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("exports"), dict):
        return {}
    history = {}
    for key, value in list(data["exports"].items())[: MAX_KINDS * 2]:
        if isinstance(key, str) and _KEY.fullmatch(key):
            runs = _runs(value)
            if runs:
                history[key] = runs
    return history


@dataclass
class PollHistory:
    """The history file at `path` (None: no history). Reading and saving never raise."""

    path: Path | None
    pending: dict[str, list[Run]] = field(default_factory=dict)

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None) -> PollHistory:
        return cls(state_dir(environ) / HISTORY_FILE)

    def _store(self) -> LocalJsonStore | None:
        return None if self.path is None else LocalJsonStore(self.path, version=VERSION, limit=MAX_FILE_BYTES)

    def _read(self) -> dict[str, list[Run]]:
        store = self._store()
        if store is None:
            return {}
        try:
            return parse(store.read().doc)
        except Exception:  # a link, a directory, a huge, corrupt or newer file, any hostile one: no history
            return {}

    def runs(self, key: str) -> list[Run]:
        """Earlier runs of this kind, oldest first (those noted but not yet saved last)."""
        return self._read().get(key, []) + self.pending.get(key, [])

    def note(self, key: str, lo: float, hi: float, at: float | None = None) -> None:
        """Remember one run's DONE window, to be written by `save`."""
        if 0 <= lo < hi <= MAX_SECONDS:
            self.pending.setdefault(key, []).append(Run(lo, hi, time.time() if at is None else at))

    def save(self) -> None:
        """Merge the noted runs into the file (atomically); a failure leaves the file as it was."""
        store = self._store()
        if store is None or self.path is None or not self.pending:
            return
        pending, self.pending = self.pending, {}
        with _SAVING:
            try:
                history = self._read()
                for key, runs in pending.items():
                    history[key] = (history.get(key, []) + runs)[-MAX_RUNS:]
                newest = sorted(history, key=lambda key: history[key][-1].at, reverse=True)[:MAX_KINDS]
                exports = {
                    key: [[round(r.lo, 3), round(r.hi, 3), round(r.at, 3)] for r in history[key]] for key in newest
                }
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                store.write_if_unchanged({"exports": exports}, ANY)  # the last writer's history wins
            except Exception:  # the history is a hint: an export never fails because it cannot be written
                return
