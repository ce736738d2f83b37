"""One export: submit, wait, download, told through events.

Nothing here prints or knows about terminals. Progress goes to an `EventHandler`; failures are the typed
errors of `exportctl.errors`, each with a hint naming the command that resumes (`exportctl wait ID`,
`exportctl download ID`). Polling is `jobs.poll`'s, the download `jobs.download`'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from exportctl.client.api import ApiClient
from exportctl.errors import ExportctlError, InterruptedByUser, NetworkError, UsageError
from exportctl.events import EventHandler, Submitted, ignore_event
from exportctl.files.csv_rows import RowFilter
from exportctl.files.poll_history import PollHistory
from exportctl.files.targets import Target, check_target
from exportctl.jobs.download import DownloadResult, download_export, resume_command
from exportctl.jobs.poll import poll_until_done
from exportctl.request.model import ExportRequest

# `exportctl download ID` saves an export as the API wrote it: for a kind's command, every kind.
KIND_NOTE = "Its file holds every kind of transaction; rerun this command to save only this kind."


@dataclass(frozen=True)
class ExportOutcome:
    """What `run_export` did: the export as last seen, the download (None without --wait), the cost."""

    export_id: str
    exported_object: str
    status: str
    export: dict[str, Any]
    download: DownloadResult | None
    calls: int
    seconds: float
    # Keys a caller adds to the summary (jobs.plan: time window, watermark, split windows); they win.
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The `--json` document: id, object, status, output, bytes, rows, sha256, seconds, API calls."""
        download = self.download
        return {
            "export_id": self.export_id,
            "object": self.exported_object,
            "status": self.status,
            "output": None if download is None else str(download.target),
            "bytes": None if download is None else download.bytes,
            "rows": None if download is None else download.rows,
            "sha256": None if download is None else download.sha256,
            "seconds": round(self.seconds, 3),
            "api_calls": self.calls,
        } | self.extra


def submit(client: ApiClient, request: ExportRequest, on_event: EventHandler = ignore_event) -> dict[str, Any]:
    """Create the export; the API's export object (status SCHEDULED)."""
    export = client.create_export(request.endpoint(), request.body())
    export_id = export.get("id")
    if not isinstance(export_id, str) or not export_id:
        raise NetworkError("The API accepted the export but its answer carries no export id.")
    on_event(Submitted(export_id, str(export.get("exported_object") or request.obj.exported_object)))
    return export


def run_export(
    client: ApiClient,
    request: ExportRequest,
    target: Target | Callable[[str], Target],
    *,
    wait: bool = True,
    timeout: float | None = None,
    on_event: EventHandler = ignore_event,
    force: bool = False,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    header: Callable[[bytes], bytes] | None = None,
    rows: RowFilter | None = None,
    history: PollHistory | None = None,
) -> ExportOutcome:
    """Submit, wait (unless `wait` is False) and download: the whole export.

    `target` is the path (or `"-"`), checked by the plan (`jobs/plan.py`) and not again, or a function of the
    export id for names that contain it, checked once the id gives it its name, before waiting, so an
    existing file is reported before any time is spent. The commit's no-clobber link (`files/atomic.py`)
    still refuses a file that appeared in the meantime.
    `history` aims the polls (default: the state directory's, `PollHistory.default()`); this run's timing
    is saved to it once the file is saved, so writing it never delays the download.
    """
    # The client's sleep by default: it ends on the session's stop event (engine/session.py).
    sleep = client.sleep if sleep is None else sleep
    started = clock()
    calls_before = client.calls
    try:
        export = submit(client, request, on_event)
    except KeyboardInterrupt:
        raise InterruptedByUser(
            "Interrupted while submitting the export; it may have been created.", hint="exportctl list"
        ) from None
    export_id = str(export["id"])
    exported_object = str(export.get("exported_object") or request.obj.exported_object)
    download: DownloadResult | None = None
    try:
        if wait:
            export, download = _wait_and_download(
                client, export, target, timeout, on_event, force, sleep, clock, header, rows, history
            )
    except ExportctlError as exc:
        if exc.export_id is None:
            exc.export_id = export_id  # every error after the export was created names it
        raise
    return ExportOutcome(
        export_id=export_id,
        exported_object=exported_object,
        status=str(export.get("status")),
        export=export,
        download=download,
        calls=client.calls - calls_before,
        seconds=clock() - started,
    )


def _wait_and_download(
    client: ApiClient,
    export: dict[str, Any],
    target: Target | Callable[[str], Target],
    timeout: float | None,
    on_event: EventHandler,
    force: bool,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    header: Callable[[bytes], bytes] | None,
    rows: RowFilter | None,
    history: PollHistory | None,
) -> tuple[dict[str, Any], DownloadResult]:
    """Wait for the created export, then download it to its target."""
    export_id = str(export["id"])
    resolved = target(export_id) if callable(target) else target
    if callable(target):  # named after the export id: its one check, now that it has its name
        try:
            check_target(resolved, force)
        except UsageError as exc:
            exc.hint = (
                f"The export {export_id} was created; save it elsewhere with: exportctl download {export_id} -o PATH"
                + (f" {KIND_NOTE}" if rows is not None else "")
            )
            raise
    history = PollHistory.default() if history is None else history
    try:
        export = poll_until_done(
            client,
            export_id,
            timeout=timeout,
            on_event=on_event,
            sleep=sleep,
            clock=clock,
            first=export,
            history=history,
            first_interval=client.settings.poll_interval,
        )
    except ExportctlError as exc:
        # The hint names the target too: waiting alone would leave the file to be fetched by hand.
        wait_hint = f"exportctl wait {export_id}"
        if exc.hint is not None and exc.hint.endswith(wait_hint):
            exc.hint += f" && {resume_command(export_id, resolved)}"
        if rows is not None and exc.hint is not None:
            exc.hint += f" {KIND_NOTE}"
        raise
    try:
        download = download_export(
            client,
            export,
            resolved,
            on_event=on_event,
            force=force,
            sleep=sleep,
            clock=clock,
            header=header,
            rows=rows,
        )
    finally:
        history.save()
    return export, download
