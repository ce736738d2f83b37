"""The export jobs: their lifecycle SCHEDULED -> IN_PROGRESS -> DONE | ERROR, run in background threads.

A job thread never lets an exception escape: whatever goes wrong while the file is produced marks
the export ERROR with the reason, so one broken export cannot take the server down.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from exportctl.sandbox import query
from exportctl.sandbox.faults import Faults, JobFault
from exportctl.sandbox.store import Store
from exportctl.sandbox.tokens import DownloadTokens, new_export_key

_Answer = TypeVar("_Answer")

# How many exports produce their files at the same time; the others wait IN_PROGRESS.
CONCURRENT_GENERATIONS = 2


@dataclass(frozen=True)
class Timing:
    """How long exports take: `scheduled` seconds queued, then at least `in_progress` seconds plus
    `per_thousand_rows` seconds per 1,000 rows (or however long the file really takes)."""

    scheduled: float = 1.5
    in_progress: float = 1.0
    per_thousand_rows: float = 0.05


def _now_iso() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def new_export_id() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "exp_" + "".join(secrets.choice(alphabet) for _ in range(24))


@dataclass
class ExportJob:
    """One export as the API shows it, plus where its file is."""

    id: str
    spec: query.ExportSpec
    created_at: str
    sequence: int
    tokens: DownloadTokens = field(repr=False)
    status: str = "SCHEDULED"
    token_key: bytes = field(default_factory=new_export_key, repr=False)  # rotated to void its URLs
    path: Path | None = None
    rows: int | None = None
    error: str | None = None
    deleted: bool = False
    fault: JobFault = field(default_factory=JobFault)

    def to_json(self, base_url: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "export",
            "created_at": self.created_at,
            "status": self.status,
            "channel": "API",
            "exported_object": self.spec.exported_object,
            "parameters": self.spec.parameters,
            "result": None,
            "user_id": None,
        }
        if self.status == "DONE":
            # A fresh token on every read, as the real API mints one per GET: an expired URL is cured by a GET.
            token = self.tokens.mint(self.id, self.token_key)
            body["result"] = {"url": f"{base_url}/v1/exports/{self.id}?token={token}"}
        if self.status == "ERROR":
            body["error"] = {"key": "export_failed", "message": self.error or "Export failed"}
        return body


class Worker:
    """Owns the export jobs and the threads that run them."""

    def __init__(
        self, store: Store, data_dir: Path, timing: Timing, faults: Faults, tokens: DownloadTokens | None = None
    ) -> None:
        self.store = store
        self.tokens = tokens or DownloadTokens("sandbox")
        self.data_dir = Path(data_dir)
        self.timing = timing
        self.faults = faults
        self._jobs: dict[str, ExportJob] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._job_threads: dict[str, threading.Thread] = {}
        self._generations = threading.Semaphore(CONCURRENT_GENERATIONS)
        self._sequence = 0

    def submit(self, spec: query.ExportSpec, answer: Callable[[ExportJob], _Answer]) -> _Answer:
        """Schedule an export and return `answer(job)`, built while the job is still SCHEDULED.

        The API answers a create with SCHEDULED (the official SDK rejects any other status), so the job's
        thread starts only once the answer is built: with no scheduled delay, or on a loaded machine, it
        would otherwise be IN_PROGRESS or even DONE by then.
        """
        with self._lock:
            self._sequence += 1
            job = ExportJob(new_export_id(), spec, _now_iso(), self._sequence, self.tokens, fault=self.faults.on_job())
            self._jobs[job.id] = job
            thread = threading.Thread(target=self._run, args=(job,), name=f"export-{job.id}", daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
            self._job_threads = {key: t for key, t in self._job_threads.items() if t.is_alive()}
            self._job_threads[job.id] = thread
        try:
            return answer(job)
        finally:
            thread.start()

    def wait(self, export_id: str, timeout: float | None = None) -> ExportJob | None:
        """Block until the export's job is over (DONE, ERROR, or stopped), without polling; then `get`."""
        with self._lock:
            thread = self._job_threads.get(export_id)
        if thread is not None:
            thread.join(timeout)
        return self.get(export_id)

    def get(self, export_id: str) -> ExportJob | None:
        with self._lock:
            job = self._jobs.get(export_id)
            return None if job is None or job.deleted else job

    def jobs(self) -> list[ExportJob]:
        with self._lock:
            return [job for job in self._jobs.values() if not job.deleted]

    def delete(self, export_id: str) -> bool:
        """Forget an export and remove its file; False if there is no such export."""
        with self._lock:
            job = self._jobs.get(export_id)
            if job is None or job.deleted:
                return False
            job.deleted = True
            path = job.path
        if path is not None:
            path.unlink(missing_ok=True)
        return True

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self, job: ExportJob) -> None:
        try:
            if self._stop.wait(self.timing.scheduled) or job.deleted:
                return
            job.status = "IN_PROGRESS"
            started = time.monotonic()
            if job.fault.fail_message is not None:
                self._stop.wait(self.timing.in_progress + job.fault.hold_seconds)
                raise RuntimeError(job.fault.fail_message)
            rows = self._produce(job)
            minimum = self.timing.in_progress + rows / 1000 * self.timing.per_thousand_rows + job.fault.hold_seconds
            if self._stop.wait(max(0.0, minimum - (time.monotonic() - started))):
                return
            job.rows = rows
            job.status = "DONE"
            if self.get(job.id) is None and job.path is not None:
                # Deleted while its file was being written.
                job.path.unlink(missing_ok=True)
        except Exception as error:  # the worker must outlive any one export
            job.error = str(error) or type(error).__name__
            job.status = "ERROR"
            if job.path is not None:
                job.path.unlink(missing_ok=True)

    def _produce(self, job: ExportJob) -> int:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        final = self.data_dir / f"{job.id}.csv"
        partial = final.with_suffix(".csv.part")
        with self._generations:
            conn = self.store.connect()
            try:
                rows = query.write_csv(conn, job.spec, partial)
            except BaseException:
                with contextlib.suppress(OSError):
                    partial.unlink()
                raise
            finally:
                conn.close()
        partial.replace(final)
        job.path = final
        return rows
