"""Run several planned exports at once on one rate budget, in the one worker pool, and collect one result each.

Used for the entries of a run file (`exportctl run`). No typer or rich here; requests comes in only
through `jobs.execute.execute`, inside the worker threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from exportctl.errors import ExitCode, ExportctlError
from exportctl.events import Event, EventHandler, Submitted
from exportctl.request.runfile import Entry

if TYPE_CHECKING:
    from exportctl.client.stop import StopEvent
    from exportctl.engine.run_result import RunEntry
    from exportctl.engine.session import Session
    from exportctl.jobs.plan import Plan
    from exportctl.jobs.single import ExportOutcome
    from exportctl.settings import Settings

# Statuses of one export in a run.
DONE, SUBMITTED, FAILED, SKIPPED, INTERRUPTED = "done", "submitted", "failed", "skipped", "interrupted"

# How the exit code of a run is chosen from its exports' codes: the first of these that occurs wins.
# What stops every export (Ctrl-C, refused credentials, a bad file, a bug, an unreachable API) outranks
# what concerns one export (rejected by the API, ended in ERROR, timed out), and an export that another
# run holds locked is the mildest failure: that export is being done, just not by this run.
EXIT_CODE_RANKING: tuple[ExitCode, ...] = (
    ExitCode.INTERRUPTED,
    ExitCode.AUTH,
    ExitCode.USAGE,
    ExitCode.UNEXPECTED,
    ExitCode.NETWORK,
    ExitCode.API_REJECTED,
    ExitCode.EXPORT_FAILED,
    ExitCode.TIMEOUT,
    ExitCode.UNPARSED,
    ExitCode.LOCKED,
)

# Running -------------------------------------------------------------------------------------------


@dataclass
class EntryResult:
    """What became of one export of a run."""

    name: str
    command: str
    status: str  # done | submitted | failed | skipped | interrupted
    exit_code: int | None = None  # None for skipped
    error: str | None = None
    hint: str | None = None
    export_id: str | None = None
    outcome: ExportOutcome | None = None
    seconds: float = 0.0

    def to_entry(self) -> RunEntry:
        """The typed value of this export in a run's result (`engine.run_result.RunEntry`)."""
        from exportctl.engine.result import from_outcome
        from exportctl.engine.run_result import RunEntry

        export = None if self.outcome is None else from_outcome(self.outcome, self.command)
        return RunEntry(
            name=self.name,
            command=self.command,
            result=self.status,
            exit_code=self.exit_code,
            error=self.error,
            hint=self.hint,
            export_id=self.export_id if export is None else export.export_id,
            exported_object=None if export is None else export.exported_object,
            seconds=self.seconds,
            export=export,
        )


@dataclass(frozen=True)
class PlannedEntry:
    """An entry whose target was checked offline (`jobs.plan.plan`)."""

    entry: Entry
    plan: Plan


def resume_hint(item: PlannedEntry, export_id: str) -> str:
    """What finishes an export the run left: wait for it, then download it into its own target."""
    hint = f"exportctl wait {export_id}"
    options = item.plan.options
    if not options.wait or options.split_by or options.incremental:
        return hint  # no single file to fetch: a split or incremental export is resumed by running it again
    from exportctl.jobs.download import resume_command

    return f"{hint} && {resume_command(export_id, item.plan.target_for(export_id))}"


def worst_exit_code(results: Sequence[EntryResult]) -> int:
    """The run's exit code: 0 when nothing failed, else the highest-ranked code (EXIT_CODE_RANKING)."""
    codes = {result.exit_code for result in results if result.exit_code}
    if not codes:
        return int(ExitCode.OK)
    for code in EXIT_CODE_RANKING:
        if int(code) in codes:
            return int(code)
    return min(codes)  # pragma: no cover - every ExitCode is ranked; a new one still fails the run


@dataclass
class _Tracker:
    """Shared state of a run, guarded by its lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    started: dict[int, float] = field(default_factory=dict)
    export_ids: dict[int, str] = field(default_factory=dict)
    results: dict[int, EntryResult] = field(default_factory=dict)


def run_entries(
    planned: Sequence[PlannedEntry],
    *,
    session: Session | None = None,
    settings: Settings | None = None,
    parallel: int = 1,
    keep_going: bool = False,
    on_event_for: Callable[[Entry], EventHandler] = lambda entry: lambda event: None,
    on_result: Callable[[EntryResult], None] = lambda result: None,
    stop: StopEvent | None = None,
    signals: Sequence[int] | None = None,
) -> list[EntryResult]:
    """Run the exports, `parallel` at a time, and return one result per export in the given order.

    Each export gets its own client of `session` (`engine.session`: the settings, the timeouts of the
    environment, one `RateBudget` since the API counts calls per project, one stop event; opened for
    `settings` when no session is given), a `requests.Session` per thread, reporting to
    `on_event_for(entry)`. Every wait of theirs (polls, retries, download retries) ends on the stop event.
    Without `keep_going` no export starts after one has failed (those are `skipped`); the ones already
    running finish. Ctrl-C (or `stop` set) stops everything: running exports are asked to stop and
    given the pool's grace (engine/pool.py), then reported `interrupted` with their export id, to resume them.

    `signals`, a list a signal handler appends to (cli/signals.py), replaces KeyboardInterrupt: the first
    entry stops the run like Ctrl-C, a second cuts the grace short, and nothing is ever raised in between,
    so that the results always come back whatever burst of signals arrives.
    """
    from exportctl.engine.pool import run_pool
    from exportctl.engine.session import open_session
    from exportctl.jobs.execute import execute

    if session is None:
        session = open_session(settings, stop=stop)
    stop = session.stop
    tracker = _Tracker()

    def run_one(index: int) -> EntryResult:
        item = planned[index]
        entry = item.entry
        show = on_event_for(entry)

        def on_event(event: Event) -> None:
            if isinstance(event, Submitted):
                with tracker.lock:
                    tracker.export_ids[index] = event.export_id
            show(event)
            # The job turns a KeyboardInterrupt raised here into InterruptedByUser with a resume hint.
            if stop.is_set():
                raise KeyboardInterrupt

        started = time.monotonic()
        result = EntryResult(entry.name, entry.obj.command, FAILED)
        client = session.client(on_event_for(entry))
        try:
            outcome = execute(client, item.plan, on_event=on_event)
            result.status = DONE if item.plan.options.wait else SUBMITTED
            result.exit_code = int(ExitCode.OK)
            result.outcome = outcome
        except ExportctlError as error:
            interrupted = error.exit_code == ExitCode.INTERRUPTED
            result.status = INTERRUPTED if interrupted else FAILED
            result.exit_code = int(error.exit_code)
            result.error, result.hint = error.message, error.hint
        except KeyboardInterrupt:
            result.status, result.exit_code = INTERRUPTED, int(ExitCode.INTERRUPTED)
            result.error = "Interrupted."
        except Exception as error:  # a bug in one export must not hide the others' results
            result.exit_code = int(ExitCode.UNEXPECTED)
            result.error = f"unexpected error: {type(error).__name__}: {error}"
        finally:
            client.close()
        result.seconds = time.monotonic() - started
        with tracker.lock:
            result.export_id = tracker.export_ids.get(index)
            if result.status == INTERRUPTED and result.export_id and not result.hint:
                result.hint = resume_hint(item, result.export_id)
        return result

    def finished(index: int, result: EntryResult) -> None:
        with tracker.lock:
            tracker.results[index] = result
        on_result(result)

    # The one worker pool (engine/pool.py): first failure or keep going, the grace after a stop.
    run = run_pool(
        range(len(planned)),
        run_one,
        workers=parallel,
        stop=stop,
        keep_going=keep_going,
        failed=lambda result: result.status == FAILED,
        on_done=finished,
        signals=signals,
        name="exportctl-entry",
    )
    with tracker.lock:
        tracker.started = run.started
    return _results(planned, tracker, stopped=run.stopped)


def _results(planned: Sequence[PlannedEntry], tracker: _Tracker, *, stopped: bool) -> list[EntryResult]:
    results: list[EntryResult] = []
    now = time.monotonic()
    with tracker.lock:
        for index, item in enumerate(planned):
            entry = item.entry
            if index in tracker.results:
                results.append(tracker.results[index])
            elif index in tracker.started:
                export_id = tracker.export_ids.get(index)
                results.append(
                    EntryResult(
                        entry.name,
                        entry.obj.command,
                        INTERRUPTED,
                        exit_code=int(ExitCode.INTERRUPTED),
                        error="Interrupted while running.",
                        hint=resume_hint(item, export_id) if export_id else "exportctl list",
                        export_id=export_id,
                        seconds=now - tracker.started[index],
                    )
                )
            else:
                why = "interrupted before it started" if stopped else "not started: an earlier export failed"
                results.append(EntryResult(entry.name, entry.obj.command, SKIPPED, error=why))
    return results
