"""Multi-export files: several exports in one YAML file, checked as a whole, then run together.

The format::

    defaults:                    # optional: any key of a single-export file, for every export
      output_dir: exports
      timeout: 30m
    exports:
      - name: paid-orders        # required, unique: letters, digits, - _ . ; {name} in output templates
        object: order            # required: the subcommand (voucher, gift-card-transactions, ...)
        parameters: {fields: [id, amount], order: -created_at, filters: ["status=PAID"]}
        output: "{name}-{date}.csv"

Each entry is a single-export config (`request.CONFIG_KEYS`, validated by `request.build_request`, with
the file's own line numbers) plus `name` and `object`. An entry's key replaces the same key of `defaults`
as a whole (a `parameters` of its own replaces the default `parameters`; nothing is merged deeper).

`run_entries` runs planned exports one after another or several at once in threads, every client
sharing one `RateBudget`; see its docstring for stopping, Ctrl-C and the results.

No typer or rich here; requests comes in only through `pipeline.execute`, inside the worker threads.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exportctl.errors import ExitCode, ExportctlError, UsageError, ValidationError
from exportctl.events import Event, EventHandler, Submitted
from exportctl.files.targets import STDOUT, needs_export_id, template_placeholders
from exportctl.request.build import (
    CONFIG_KEYS,
    ExportRequest,
    KeyLocator,
    KeyPath,
    LoadedConfig,
    RequestFlags,
    RunOptions,
    build_request,
    config_problems,
)
from exportctl.schema import BY_COMMAND, ExportObject, lookup
from exportctl.suggest import closest

if TYPE_CHECKING:
    from exportctl.client.api import ApiClient
    from exportctl.export.plan import Plan
    from exportctl.export.single import ExportOutcome

# The top level of a multi-export file; a file with either key is read as one.
MULTI_KEYS: dict[str, str] = {
    "defaults": "Keys of a single-export file applied to every export (an export's own key wins).",
    "exports": "The list of exports; each is a single-export file plus name and object.",
}
ENTRY_KEYS: dict[str, str] = {
    "name": "Unique name of the export: letters, digits, - _ . ({name} in output templates).",
    "object": "What to export: a subcommand name (order, voucher, gift-card-transactions, ...).",
}
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
# `{name}` but not the escaped `{{name}}`.
_NAME_PLACEHOLDER = re.compile(r"(?<!\{)\{name\}(?!\})")
_LOCATION = re.compile(r":(\d+)(?::\d+)?: ")

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
    ExitCode.LOCKED,
)
# After Ctrl-C, how long to let running exports notice and unwind before reporting them interrupted.
STOP_GRACE = 3.0
_JOIN_TICK = 0.1


@dataclass(frozen=True)
class Problem:
    """One problem of a config file: where, and the message the export commands print for it."""

    file: str
    line: int | None
    message: str  # starts with `file:line: ` like every located message

    def to_json(self) -> dict[str, Any]:
        """The `--json` form."""
        return {"file": self.file, "line": self.line, "message": self.message}


def _problem(file: str, error: UsageError, *, fallback_line: int | None = None, label: str = "") -> Problem:
    """A Problem from an error; a message that names no place gets the fallback line (and a label)."""
    text = error.message
    if text.startswith(f"{file}:"):
        found = _LOCATION.match(text, len(file))
        if found is None:
            return Problem(file, None, text)
        # The export's name tells which export a message is about (a key from `defaults` names no entry).
        named = f"{text[: found.end()]}{label}: {text[found.end() :]}" if label else text
        return Problem(file, int(found.group(1)), named)
    where = file if fallback_line is None else f"{file}:{fallback_line}"
    return Problem(file, fallback_line, f"{where}: {label + ': ' if label else ''}{text}")


class ConfigProblems(UsageError):
    """A config file with problems; each is one line of the message, and all are in `problems`."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(
            "\n".join(p.message for p in self.problems) + f"\n{count} problem{'s' if count != 1 else ''} found.",
            hint="Nothing was run. Check files offline with: exportctl validate FILE",
        )


@dataclass(frozen=True)
class Entry:
    """One export of a multi-export file, validated and built."""

    name: str
    obj: ExportObject
    request: ExportRequest
    options: RunOptions
    line: int | None  # where the entry starts in the file


def is_multi(config: Mapping[str, Any]) -> bool:
    """Whether a loaded YAML mapping is a multi-export file (it has `exports:` or `defaults:`)."""
    return any(key in config for key in MULTI_KEYS)


def _where(file: str, lines: Mapping[KeyPath, int], keys: KeyPath) -> str:
    """`file:line: dotted.path`, by the locator the single-export messages use."""
    return KeyLocator(file, lines)(keys)


def _subtree(lines: Mapping[KeyPath, int], prefix: KeyPath) -> dict[KeyPath, int]:
    """The lines under `prefix`, with their keys made relative to it."""
    size = len(prefix)
    return {keys[size:]: line for keys, line in lines.items() if keys[:size] == prefix and len(keys) > size}


def check_template(template: str, where: str) -> None:
    """UsageError, located at `where`, for an output template with an unknown placeholder."""
    if template == STDOUT:
        return
    try:
        template_placeholders(template)
    except UsageError as error:
        raise type(error)(f"{where}: {error.message}") from None


def single_problems(file: str, obj: ExportObject, config: Mapping[str, Any]) -> list[Problem]:
    """Every problem of a single-export file (from `load_config`) for `obj`: what `exportctl OBJECT -c FILE` refuses."""
    lines: Mapping[KeyPath, int] = getattr(config, "lines", {})
    problems = [_problem(file, error) for error in config_problems(obj, config)]
    output = config.get("output")
    if isinstance(output, str):
        try:
            check_template(output, _where(file, lines, ("output",)))
        except UsageError as error:
            problems.append(_problem(file, error))
    return _sorted(problems)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.line if p.line is not None else 0)


def read_multi(file: str, config: Mapping[str, Any]) -> tuple[list[Entry], list[Problem]]:
    """The exports of a multi-export file (from `load_config`), and every problem in it (then no entries)."""
    lines: Mapping[KeyPath, int] = getattr(config, "lines", {})
    problems: list[Problem] = []

    def report(error: UsageError, **kwargs: Any) -> None:
        problem = _problem(file, error, **kwargs)
        if problem not in problems:
            problems.append(problem)

    for key in config:
        if key not in MULTI_KEYS:
            placed = " It belongs in 'defaults' or in each export." if key in CONFIG_KEYS or key in ENTRY_KEYS else ""
            report(
                ValidationError(
                    f"{_where(file, lines, (key,))}: unknown key '{key}' in a multi-export file.{placed}",
                    valid=tuple(MULTI_KEYS),
                    suggestion=None if placed else closest(str(key), MULTI_KEYS),
                )
            )

    defaults: Mapping[str, Any] = {}
    raw_defaults = config.get("defaults")
    if isinstance(raw_defaults, Mapping):
        defaults = {}
        for key, value in raw_defaults.items():
            if key in CONFIG_KEYS:
                defaults[key] = value
                continue
            where = _where(file, lines, ("defaults", key))
            if key in ENTRY_KEYS:
                report(UsageError(f"{where}: '{key}' belongs in each export, not in defaults."))
            else:
                report(
                    ValidationError(
                        f"{where}: unknown key '{key}'.", valid=tuple(CONFIG_KEYS), suggestion=closest(key, CONFIG_KEYS)
                    )
                )
    elif raw_defaults is not None:
        report(UsageError(f"{_where(file, lines, ('defaults',))}: expected a mapping of single-export keys."))

    raw_entries = config.get("exports")
    if not isinstance(raw_entries, list) or not raw_entries:
        got = "nothing" if raw_entries is None else "an empty list" if raw_entries == [] else "no list"
        report(
            UsageError(
                f"{_where(file, lines, ('exports',))}: expected a list of exports "
                f"(each with name, object and the keys of a single export), got {got}."
            ),
            fallback_line=None,
        )
        return [], _sorted(problems)

    entries: list[Entry] = []
    names: dict[str, int | None] = {}
    targets: dict[str, tuple[str, int | None]] = {}
    for index, raw in enumerate(raw_entries):
        keys: KeyPath = ("exports", index)
        entry_line = lines.get(keys)
        if not isinstance(raw, Mapping):
            report(
                UsageError(
                    f"{_where(file, lines, keys)}: expected a mapping with name, object "
                    "and the keys of a single export."
                )
            )
            continue
        name = _entry_name(file, lines, keys, raw, names, report)
        obj = _entry_object(file, lines, keys, raw, report)
        if obj is None:
            continue
        # A name refused above still stands for {name}, so that the template is checked for the rest.
        written = raw.get("name")
        entry_config = _entry_config(file, lines, keys, raw, defaults, str(written) if written is not None else name)
        label = name or f"exports[{index}]"
        found = config_problems(obj, entry_config)
        output = entry_config.get("output")
        if isinstance(output, str):
            try:
                check_template(output, _where(file, entry_config.lines, ("output",)))
            except UsageError as bad_template:
                found.append(bad_template)
        for problem in found:
            report(problem, fallback_line=entry_line, label=label)
        if found or name is None:
            continue
        request, options = build_request(obj, RequestFlags(), entry_config)
        if _entry_target_problems(file, entry_config, name, options, targets, report):
            continue
        entries.append(Entry(name, obj, request, options, entry_line))
    problems = _sorted(problems)
    return ([] if problems else entries), problems


def _entry_name(
    file: str,
    lines: Mapping[KeyPath, int],
    keys: KeyPath,
    raw: Mapping[str, Any],
    names: dict[str, int | None],
    report: Callable[..., None],
) -> str | None:
    value = raw.get("name")
    where = _where(file, lines, (*keys, "name"))
    if value is None:
        report(UsageError(f"{_where(file, lines, keys)}: 'name' is missing: each export needs a unique name."))
        return None
    if not isinstance(value, str) or not NAME_PATTERN.match(value):
        report(
            UsageError(
                f"{where}: '{value}' is not a valid name: use letters, digits, '-', '_' and '.', "
                "starting with a letter or digit."
            )
        )
        return None
    if value in names:
        first = names[value]
        report(UsageError(f"{where}: the name '{value}' is used twice{f' (first on line {first})' if first else ''}."))
        return None
    names[value] = lines.get((*keys, "name"))
    return value


def _entry_object(
    file: str, lines: Mapping[KeyPath, int], keys: KeyPath, raw: Mapping[str, Any], report: Callable[..., None]
) -> ExportObject | None:
    value = raw.get("object")
    commands = tuple(BY_COMMAND)
    if value is None:
        report(
            ValidationError(f"{_where(file, lines, keys)}: 'object' is missing: what to export.", valid=commands),
        )
        return None
    try:
        return lookup(str(value), where=_where(file, lines, (*keys, "object")))
    except ValidationError as problem:
        report(problem)
        return None


def _entry_config(
    file: str,
    lines: Mapping[KeyPath, int],
    keys: KeyPath,
    raw: Mapping[str, Any],
    defaults: Mapping[str, Any],
    name: str | None,
) -> LoadedConfig:
    """The entry's single-export config: defaults, then its own keys; lines point where each key was written."""
    own = _subtree(lines, keys)
    inherited = _subtree(lines, ("defaults",))
    merged: dict[str, Any] = {}
    merged_lines: dict[KeyPath, int] = {}
    for key, value in defaults.items():
        if key not in raw:
            merged[key] = value
            merged_lines.update({k: v for k, v in inherited.items() if k[0] == key})
    for key, value in raw.items():
        if key not in ENTRY_KEYS:
            merged[key] = value
            merged_lines.update({k: v for k, v in own.items() if k[0] == key})
    output = merged.get("output")
    if isinstance(output, str) and name is not None:
        merged["output"] = _NAME_PLACEHOLDER.sub(name, output)
    return LoadedConfig(merged, file, merged_lines)


def _entry_target_problems(
    file: str,
    config: LoadedConfig,
    name: str,
    options: RunOptions,
    targets: dict[str, tuple[str, int | None]],
    report: Callable[..., None],
) -> bool:
    """Refuse standard output, bad templates and a fixed target that another export also writes."""
    where = _where(file, config.lines, ("output",))
    template = options.output
    if template == STDOUT:
        report(
            UsageError(
                f"{where}: '-' (standard output) cannot be a target in a multi-export file: the summary uses it."
            )
        )
        return True
    if needs_export_id(template):
        return False  # the export id makes the name unique
    assert template is not None  # the default template has {id}
    path = os.path.normpath(Path(options.output_dir or "") / template)
    if path in targets:
        other, line = targets[path]
        report(
            UsageError(
                f"{where}: '{path}' is also the target of export '{other}'"
                f"{f' (line {line})' if line else ''}; give each export its own file, e.g. with {{name}}."
            )
        )
        return True
    targets[path] = (name, config.lines.get(("output",)))
    return False


def select(entries: Sequence[Entry], only: Sequence[str]) -> list[Entry]:
    """The entries named in `only` (all when empty), in file order; ValidationError for an unknown name."""
    if not only:
        return list(entries)
    names = [entry.name for entry in entries]
    for wanted in only:
        if wanted not in names:
            raise ValidationError(
                f"--only: no export is named '{wanted}'.", valid=names, suggestion=closest(wanted, names)
            )
    return [entry for entry in entries if entry.name in only]


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

    def summary(self) -> dict[str, Any]:
        """One `--json` object: the run's view of the export, then the single export's summary keys."""
        details: dict[str, Any] = dict.fromkeys(
            ("export_id", "exported_object", "export_status", "output", "bytes", "rows", "sha256", "api_calls")
        )
        details["export_id"] = self.export_id
        if self.outcome is not None:
            single = self.outcome.summary()
            single["exported_object"] = single.pop("object")
            single["export_status"] = single.pop("status")
            single.pop("seconds", None)
            details |= single
        return {
            "name": self.name,
            "object": self.command,
            "status": self.status,
            "exit_code": self.exit_code,
            "error": self.error,
            "hint": self.hint,
            "seconds": round(self.seconds, 3),
        } | details


@dataclass(frozen=True)
class PlannedEntry:
    """An entry whose target was checked offline (`pipeline.plan`)."""

    entry: Entry
    plan: Plan


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
    pending: deque[int] = field(default_factory=deque)
    started: dict[int, float] = field(default_factory=dict)
    export_ids: dict[int, str] = field(default_factory=dict)
    results: dict[int, EntryResult] = field(default_factory=dict)


def run_entries(
    planned: Sequence[PlannedEntry],
    *,
    client_for: Callable[[Entry, Callable[[float], None]], ApiClient],
    parallel: int = 1,
    keep_going: bool = False,
    on_event_for: Callable[[Entry], EventHandler] = lambda entry: lambda event: None,
    on_result: Callable[[EntryResult], None] = lambda result: None,
    stop: threading.Event | None = None,
) -> list[EntryResult]:
    """Run the exports, `parallel` at a time, and return one result per export in the given order.

    `client_for(entry, sleep)` makes each export's client; give every client the same `RateBudget` so
    that together they keep within the API's rate limit, and `sleep` so their waits end on Ctrl-C.
    Without `keep_going` no export starts after one has failed (those are `skipped`); the ones already
    running finish. Ctrl-C (or `stop` set) stops everything: running exports are asked to stop and
    given `STOP_GRACE` seconds, then reported `interrupted` with their export id, to resume them.
    """
    from exportctl.export import plan as pipeline  # requests comes with it: only once something runs

    stop = stop or threading.Event()
    halted = threading.Event()
    tracker = _Tracker(pending=deque(range(len(planned))))

    def stoppable_sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise KeyboardInterrupt

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
        client = client_for(entry, stoppable_sleep)
        try:
            outcome = pipeline.execute(client, item.plan, on_event=on_event)
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
                result.hint = f"exportctl wait {result.export_id}"
        return result

    def worker() -> None:
        while True:
            with tracker.lock:
                if stop.is_set() or halted.is_set() or not tracker.pending:
                    return
                index = tracker.pending.popleft()
                tracker.started[index] = time.monotonic()
            result = run_one(index)
            with tracker.lock:
                tracker.results[index] = result
            if result.status == FAILED and not keep_going:
                halted.set()
            on_result(result)

    # Daemon threads: after Ctrl-C and the grace period the process may end while one still sleeps.
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, min(parallel, len(planned))))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(_JOIN_TICK)  # a timed join lets the main thread receive Ctrl-C
    except KeyboardInterrupt:
        stop.set()
    if stop.is_set():
        deadline = time.monotonic() + STOP_GRACE
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
    return _results(planned, tracker, stopped=stop.is_set())


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
                        hint=f"exportctl wait {export_id}" if export_id else "exportctl list",
                        export_id=export_id,
                        seconds=now - tracker.started[index],
                    )
                )
            else:
                why = "interrupted before it started" if stopped else "not started: an earlier export failed"
                results.append(EntryResult(entry.name, entry.obj.command, SKIPPED, error=why))
    return results
