"""Split exports: one export per created_at window, run at most N at once, joined into one CSV.

On disk, next to the target `TARGET`:

- `TARGET.parts/` holds one CSV per window, named after the window (`20240101T000000000Z-...csv`), each
  saved atomically by the ordinary download (so a window's part is complete or absent);
- `TARGET.manifest.json` records the request's fingerprint and, per window, its range, export id, status
  (`submitted`, `saved`, `failed`), part file and sha256.

A rerun of the same command reads the manifest and fetches only the windows without a saved part whose
sha256 still matches; a manifest written for another request (other fields, filters, order or scope) is
discarded together with its parts. Windows are matched by their exact range, so a rerun whose last window
ends later (the default `--until` is the run's start) still reuses every earlier window.

The join writes one header row (the first part's, rewritten for `--headers fields`), then every part's
records in window order, through `TARGET.part` and one rename (or to standard output once every window is
saved); parts whose header rows differ (metadata key columns depend on the data) are joined by column name
into the union of their columns (`files.csv.joined_rows`). `sha256`, `bytes` and `rows` describe the joined
CSV. After the join, the parts and the manifest are removed. With `-o -` the parts live in a temporary
directory and there is no resume.

Only files this split created are ever removed or overwritten: a part is ours when a manifest lists it
(its entry is written, with the part's name, before the window's download starts). A file of the user's in
`TARGET.parts/` is left alone: the directory is then kept after the join, and a file named like one of
this run's parts that no manifest lists is refused (exit 2) before any export is submitted.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from exportctl.client.api import ApiClient
from exportctl.errors import DownloadError, ExportctlError, InterruptedByUser
from exportctl.events import Event, EventHandler, Saved, Submitted, ignore_event
from exportctl.files.atomic import compressed_size, write_atomically
from exportctl.files.csv import CsvDigest, digested, joined_rows
from exportctl.files.csv_rows import RowFilter
from exportctl.files.opening import write_fully
from exportctl.files.targets import STDOUT, Target
from exportctl.jobs.download import DownloadResult
from exportctl.jobs.single import ExportOutcome, run_export
from exportctl.jobs.split_files import check_parts_place, manifest_path, parts_dir
from exportctl.jobs.split_manifest import (
    FAILED,
    SAVED,
    SUBMITTED,
    Manifest,
    part_name,
    refuse_foreign_parts,
    remove_parts,
)
from exportctl.request.model import ExportRequest
from exportctl.request.windows import Window, window_request
from exportctl.schema import FilterField


@dataclass(frozen=True)
class WindowResult:
    """One window's export: its part file and what is in it; `reused` when an earlier run saved it."""

    window: Window
    export_id: str | None
    part: Path
    bytes: int
    rows: int
    sha256: str
    reused: bool
    calls: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            **self.window.to_json(),
            "export_id": self.export_id,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "reused": self.reused,
        }


def _serialized(handler: EventHandler) -> EventHandler:
    """`handler` behind a lock: the reporters are not written for several threads at once."""
    lock = threading.Lock()

    def locked(event: Event) -> None:
        with lock:
            handler(event)

    return locked


def run_split(
    client: ApiClient,
    request: ExportRequest,
    field: FilterField,
    windows: list[Window],
    target: Target,
    *,
    parallel: int = 1,
    force: bool = False,
    timeout: float | None = None,
    header: Callable[[bytes], bytes] | None = None,
    rows: RowFilter | None = None,
    on_event: EventHandler = ignore_event,
    stdout: BinaryIO | None = None,
) -> ExportOutcome:
    """Export every window (reusing those an interrupted run saved), then join them at `target`."""
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        if target == STDOUT:
            parts = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="exportctl-split-")))
            manifest = Manifest(None, "", {}, windows)
        else:
            parts = parts_dir(target)
            body = {"endpoint": request.endpoint(), "body": request.body(), "field": field.name}
            # Parts kept by a kind's row filter are other bytes than the API's: never mix the two on a resume.
            kept = {"kept_types": ",".join(request.kept_types() or ())} if rows is not None else {}
            print_ = request.fingerprint(field=field.name, **kept)
            manifest = Manifest(manifest_path(target), print_, body, windows)
            check_parts_place(target)  # checked by the plan too; this guards what appeared since
            manifest.load(parts)
        parts.mkdir(exist_ok=True)
        results = _fetch_all(client, request, field, windows, parts, manifest, parallel, timeout, rows, on_event)
        joined = join_parts([r.part for r in results], target, force=force, header=header, stdout=stdout)
        on_disk = compressed_size(target)
        on_event(Saved(f"{len(windows)} windows", str(target), joined.bytes, joined.rows, joined.sha256, 0.0, on_disk))
        if target != STDOUT:
            # The target is complete and renamed into place: what helped build it can go, and only that.
            remove_parts(parts, list(manifest.entries.values()))
            with contextlib.suppress(FileNotFoundError):
                manifest_path(target).unlink()
            with contextlib.suppress(OSError):
                parts.rmdir()  # kept when it holds files of the user's
    return ExportOutcome(
        export_id="",
        exported_object=request.obj.exported_object,
        status="DONE",
        export={},
        download=replace(joined, seconds=time.monotonic() - started),
        calls=sum(r.calls for r in results),
        seconds=time.monotonic() - started,
        extra={"export_id": None, "windows": [r.to_json() for r in results]},
    )


def _fetch_all(
    client: ApiClient,
    request: ExportRequest,
    field: FilterField,
    windows: list[Window],
    parts: Path,
    manifest: Manifest,
    parallel: int,
    timeout: float | None,
    rows: RowFilter | None,
    on_event: EventHandler,
) -> list[WindowResult]:
    """Every window's part, in window order; the first failure is raised once the running windows end."""
    results: dict[int, WindowResult] = {}
    todo: list[int] = []
    for index, window in enumerate(windows):
        part = parts / part_name(window)
        entry = manifest.reusable(window, part)
        if entry is not None:
            results[index] = WindowResult(
                window, entry.get("export_id"), part, int(entry["bytes"]), int(entry["rows"]), entry["sha256"], True
            )
            manifest.record(window, **entry)
        else:
            todo.append(index)
    if manifest.path is not None:
        refuse_foreign_parts(parts, [parts / part_name(windows[i]) for i in todo], manifest)
    events = _serialized(on_event) if parallel > 1 else on_event

    def fetch(index: int, window_client: ApiClient) -> WindowResult:
        window = windows[index]
        part = parts / part_name(window)
        manifest.record(window, status=SUBMITTED, export_id=None, part=part.name)

        def handler(event: Event) -> None:
            if isinstance(event, Submitted):
                manifest.record(window, export_id=event.export_id)
            events(event)

        try:
            outcome = run_export(
                window_client,
                window_request(request, field, window),
                part,
                timeout=timeout,
                on_event=handler,
                force=True,
                rows=rows,
            )
        except BaseException:
            manifest.record(window, status=FAILED)
            raise
        saved = outcome.download
        if saved is None:  # run_export always downloads when waiting; kept for the type checker
            raise DownloadError(f"Window {window.label()} was not downloaded.")
        manifest.record(window, status=SAVED, bytes=saved.bytes, rows=saved.rows, sha256=saved.sha256)
        return WindowResult(
            window, outcome.export_id, part, saved.bytes, saved.rows, saved.sha256, False, outcome.calls
        )

    try:
        _fetch_pooled(client, todo, fetch, results, parallel, events)
    except ExportctlError as exc:
        if manifest.path is not None:
            # Counted from the manifest, frozen first: the count said is the count a rerun will find.
            done = manifest.freeze()
            exc.hint = (
                f"{done} of {len(windows)} windows are saved in {parts}; run the same command again to fetch "
                "only the others."
            )
        raise
    return [results[i] for i in range(len(windows))]


def _fetch_pooled(
    client: ApiClient,
    todo: list[int],
    fetch: Callable[[int, ApiClient], WindowResult],
    results: dict[int, WindowResult],
    parallel: int,
    events: EventHandler,
) -> None:
    """Run `fetch` for `todo` in the one worker pool (engine/pool.py), first failure stops.

    With `--parallel` above 1 each window thread has its own client of `client`'s session (a
    `requests.Session` per thread; the budget and stop event are the session's); Ctrl-C sets the session's
    stop event, the windows get the pool's grace to unwind, and the interrupt is raised here. Without it
    the windows run one after another in this thread, on `client`, and Ctrl-C reaches the window's own
    job, which says what it was doing.
    """
    from exportctl.engine.pool import run_pool
    from exportctl.engine.session import sibling

    def work(index: int) -> WindowResult:
        if parallel <= 1:
            return fetch(index, client)
        with sibling(client, events) as window_client:
            return fetch(index, window_client)

    run = run_pool(todo, work, workers=parallel, stop=client.stop, inline=True, name="exportctl-window")
    results.update(run.results)
    error = run.first_error()
    if (run.stopped and not isinstance(error, ExportctlError)) or isinstance(error, KeyboardInterrupt):
        raise InterruptedByUser(
            "Interrupted during a split export; the windows saved so far are kept.", hint="Run the same command again."
        ) from None
    if error is not None:
        raise error


def join_parts(
    paths: list[Path],
    target: Target,
    *,
    force: bool = False,
    header: Callable[[bytes], bytes] | None = None,
    stdout: BinaryIO | None = None,
) -> DownloadResult:
    """Write the parts as one CSV at `target` (atomically) or to standard output; its digest."""
    started = time.monotonic()
    digest = CsvDigest()
    blocks = digested(joined_rows(paths, header), digest)
    if target == STDOUT:
        stream = stdout if stdout is not None else sys.stdout.buffer
        for block in blocks:
            write_fully(stream, block)
    else:
        write_atomically(target, blocks, force=force)
    return DownloadResult(
        target=target,
        bytes=digest.bytes,
        rows=digest.rows,
        sha256=digest.sha256,
        seconds=time.monotonic() - started,
    )
