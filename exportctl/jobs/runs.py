"""A run of a multi-export file, planned offline, then run: what `exportctl run` and `exportctl.run()` share.

`plan_run` reads and checks the file and plans every chosen export (its target, its load target), so
that nothing is submitted when any of them would fail; `run_planned` runs them on one session
(`jobs.batch`) and returns the typed `RunResult` (engine/run_result.py).
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from exportctl.errors import ConfigError, ConfigProblemsError, UsageError
from exportctl.events import Event, EventHandler

if TYPE_CHECKING:
    from exportctl.engine.run_result import RunEntry, RunResult
    from exportctl.engine.session import Session
    from exportctl.jobs.batch import EntryResult, PlannedEntry
    from exportctl.request.runfile import Entry, Problem


class Refusal(NamedTuple):
    """Why the plan of one export refused it (an existing target, a load target that cannot take it, ...)."""

    message: str
    hint: str | None


@dataclass
class RunPlan:
    """The file's chosen exports, each planned; or the problems that stop the run before it starts."""

    file: Path
    chosen: list[Entry] = field(default_factory=list)
    planned: list[PlannedEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # the file's, or the plan's refusals (with `refusals`)
    refusals: dict[int, Refusal] = field(default_factory=dict)  # by position in `chosen`

    def refused_entries(self) -> list[RunEntry]:
        """Each chosen export: `refused` with the plan's reason, or `skipped` when its own plan was good."""
        from exportctl.engine.run_result import RunEntry

        entries = []
        for index, entry in enumerate(self.chosen):
            refusal = self.refusals.get(index)
            obj = entry.obj
            if refusal is None:
                entries.append(RunEntry(entry.name, obj.command, "skipped", exported_object=obj.exported_object))
            else:
                entries.append(
                    RunEntry(
                        entry.name,
                        obj.command,
                        "refused",
                        int(UsageError.exit_code),
                        refusal.message,
                        refusal.hint,
                        exported_object=obj.exported_object,
                    )
                )
        return entries

    def error(self) -> ConfigProblemsError:
        """The problems as one error (`exportctl.run()` raises it; `run --json` prints its message and hint):
        how many, and for a plan's refusal the first refused export and why."""
        count = len(self.problems)
        message = f"{count} problem{'s' if count != 1 else ''} in {self.file}; nothing was run."
        hint: str | None = f"Check the file with: exportctl validate {self.file}"  # what validate reports too
        if self.refusals:  # found by the plan (targets, directories), which validate does not look at
            index, first = next(iter(self.refusals.items()))
            message = f"{message[: -len('.')]}: {self.chosen[index].name}: {first.message}"
            hint = first.hint
        error = ConfigProblemsError(str(self.file), [(p.line, p.message) for p in self.problems], hint=hint)
        error.message = message
        error.args = (message,)
        return error


def plan_run(file: Path, *, only: Sequence[str] = (), force: bool = False, output_dir: str | None = None) -> RunPlan:
    """Read the file, choose the exports (`only`), apply --force and --output-dir, and plan each one.

    ConfigError when the file is not a multi-export file; otherwise the plan, with `problems` when the
    file or a plan refuses the run.
    """
    from exportctl.jobs import batch
    from exportctl.jobs import plan as planning
    from exportctl.request import runfile
    from exportctl.request.configfile import load_config

    label = str(file)
    config = load_config(file)
    if not runfile.is_multi(config):
        raise ConfigError(
            "not a multi-export file: it has no 'exports:' list. Run a single-export file with: "
            f"exportctl OBJECT -c {label}",
            path=label,
        )
    entries, problems = runfile.read_multi(label, config)
    plan = RunPlan(file, problems=problems)
    if problems:
        return plan
    plan.chosen = [_overridden(entry, force=force, output_dir=output_dir) for entry in runfile.select(entries, only)]
    # Every target is checked before anything is submitted: a missing directory or an existing file of
    # the fifth export must not be found after the first four have run.
    watermarks: dict[tuple[Path, str], str] = {}  # an incremental export's (state file, key): its entry's name
    for index, entry in enumerate(plan.chosen):
        try:
            planned = planning.plan(entry.request, entry.options)
            _one_per_watermark(entry, watermarks)
            plan.planned.append(batch.PlannedEntry(entry, planned))
        except UsageError as error:
            where = f"{label}:{entry.line}" if entry.line is not None else label
            message = f"{where}: {entry.name}: {error.message}"
            hint = error.hint
            if "already exists" in error.message:
                hint = f"Rerun with: exportctl run {shlex.quote(label)} --force (or --output-dir DIR)"
                message += f" {hint}"
            plan.problems.append(runfile.Problem(label, entry.line, message))
            plan.refusals[index] = Refusal(error.message, hint)
    return plan


def _one_per_watermark(entry: Entry, seen: dict[tuple[Path, str], str]) -> None:
    """UsageError when an earlier export of the file moves the same watermark: each plan read it before either
    ran, so the second would find it moved under it."""
    if entry.options.incremental is None:
        return
    from exportctl.jobs.watermarks import state_key

    state = Path(entry.options.incremental).expanduser()
    key = state_key(entry.request, entry.options.incremental_key)
    other = seen.setdefault((state.resolve(), key), entry.name)
    if other != entry.name:
        raise UsageError(
            f"{other} and {entry.name} both move the watermark {key} in {state}; one export per watermark.",
            hint="Give one of them its own incremental key (incremental: {state: ..., key: NAME}).",
        )


def _overridden(entry: Entry, *, force: bool, output_dir: str | None) -> Entry:
    """The entry with the command line's --force and --output-dir over the file's own."""
    if not force and output_dir is None:
        return entry
    run_options = entry.options._replace(
        force=entry.options.force or force,
        output_dir=output_dir if output_dir is not None else entry.options.output_dir,
    )
    return replace(entry, options=run_options)


def run_result(results: Sequence[EntryResult], code: int, seconds: float) -> RunResult:
    """The run's typed result: one entry per export, the run's exit code."""
    from exportctl.engine.run_result import RunResult

    return RunResult(exports=tuple(result.to_entry() for result in results), exit_code=code, seconds=seconds)


def run_planned(
    plan: RunPlan,
    session: Session,
    *,
    parallel: int = 1,
    keep_going: bool = False,
    on_event: EventHandler | None = None,
    on_event_for: Callable[[Entry], EventHandler] | None = None,
    on_result: Callable[[EntryResult], None] | None = None,
    signals: Sequence[int] | None = None,
) -> list[EntryResult]:
    """Run the planned exports on `session` (`jobs.batch.run_entries`); one result per export, in order.

    `on_event` gets every export's events, one at a time (the exports run in threads); `on_event_for`
    gives each export a handler of its own instead.
    """
    from exportctl.jobs import batch

    if on_event_for is None:
        handler = _serialized(on_event)
        on_event_for = lambda entry: handler  # noqa: E731
    return batch.run_entries(
        plan.planned,
        session=session,
        parallel=parallel,
        keep_going=keep_going,
        on_event_for=on_event_for,
        on_result=on_result or (lambda result: None),
        signals=signals,
    )


def _serialized(on_event: EventHandler | None) -> EventHandler:
    lock = threading.Lock()

    def handle(event: Event) -> None:
        if on_event is not None:
            with lock:
                on_event(event)

    return handle
