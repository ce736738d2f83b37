"""`exportctl run FILE.yaml`: several exports from one file, one after another or several at once.

Progress is plain lines on standard error, each prefixed with the export's name: with several exports
running at once one spinner cannot show them all, and cron and CI logs want lines anyway. The summary
(a table, tab-separated off a terminal, or with --json one JSON object) goes to standard output.
"""

from __future__ import annotations

import inspect
import shlex
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, NoReturn

import typer

from exportctl.cli import json_contract, options
from exportctl.cli.console import print_info
from exportctl.cli.state import app_state
from exportctl.cli.tables import OutputFormat, Rows, choose_format

if TYPE_CHECKING:
    from exportctl.events import Event, EventHandler
    from exportctl.jobs.batch import EntryResult, PlannedEntry
    from exportctl.request.runfile import Entry, Problem

SUMMARY_COLUMNS = ("name", "object", "status", "rows", "bytes", "output", "seconds", "error")


class LabelledLines:
    """Plain progress lines on standard error, `TIME [name] what happened`, one writer at a time."""

    def __init__(self, *, quiet: bool, verbose: bool, filtered: dict[str, bool] | None = None) -> None:
        self._quiet = quiet
        self._verbose = verbose
        self._lock = threading.Lock()
        self._filtered = filtered or {}  # by name: whether the export selects records (filters, a range...)

    def line(self, name: str, text: str) -> None:
        """Write one line for the export `name`."""
        if self._quiet:
            return
        from exportctl.cli.reporters import log_timestamp

        stamp = log_timestamp()
        with self._lock:
            # Looked up on every write, so that a test runner that swaps the stream still captures it.
            sys.stderr.write(f"{stamp} [{name}] {text}\n")
            sys.stderr.flush()

    def handler(self, entry: Entry) -> EventHandler:
        """The event handler of one export."""
        from exportctl.cli.reporters import log_line

        def on_event(event: Event) -> None:
            text = log_line(event, verbose=self._verbose)
            if text is not None:
                self.line(entry.name, text)

        return on_event

    def result(self, result: EntryResult) -> None:
        """The line that says how an export ended, and what to do about a failure."""
        if result.status in ("done", "submitted"):
            what = result.status if result.export_id is None else f"{result.status} ({result.export_id})"
            self.line(result.name, f"{what} in {result.seconds:.1f}s")
            download = result.outcome.download if result.outcome is not None else None
            if download is not None and download.rows == 0:
                from exportctl.cli.session import empty_export_line

                text = empty_export_line(self._filtered.get(result.name))
                self.line(result.name, text.replace("The export has no rows", "no rows", 1))
            return
        self.line(result.name, f"{result.status} (exit {result.exit_code}): {result.error}")
        if result.hint:
            self.line(result.name, result.hint)


def print_problems(problems: list[Problem], file: Path) -> None:
    """Every problem of a file on standard error, one line each, then how many."""
    for problem in problems:
        print_info(problem.message)
    count = len(problems)
    print_info(f"{count} problem{'s' if count != 1 else ''} in {file}; nothing was run.")


def run_file(ctx: typer.Context, file: Path, **values: Any) -> None:
    """Run every export of a multi-export file; exit with the worst of their exit codes.

    The whole file is validated offline first (exit 2 with every problem, nothing run). Exit codes,
    worst first: 130, 3, 2, 1, 7, 4, 5, 6, 9, 8; 0 when every export succeeded. Example:
    exportctl run sample-configs/nightly.yaml --parallel 3 --keep-going
    """
    from exportctl.cli.signals import RECEIVED_KEY, recording_signals

    # From here to the summary's last byte a stop signal is recorded, never raised (cli/signals.py).
    received: list[int] = ctx.meta.setdefault(RECEIVED_KEY, [])
    with recording_signals(received):
        _run_file(
            ctx,
            file,
            parallel=values["run_parallel"],
            keep_going=values["keep_going"],
            only=values["only"],
            json_output=values["json_output"],
            force=bool(values["force"]),
            output_dir=values["output_dir"],
            output_format=values["output_format"],
            dry_run=values["dry_run"],
        )


def _signature() -> inspect.Signature:
    """`run`'s parameters: the file, the option table's records of `run` in its order, then --format."""
    from exportctl.request.option_record import RUN_FILE
    from exportctl.request.options import OPTIONS

    def keyword(name: str, annotation: Any, default: Any) -> inspect.Parameter:
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)

    params = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        inspect.Parameter("file", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=FileArgument),
    ]
    params += [
        keyword(o.name, options.parameter(o, help_text=o.run_help), o.initial) for o in OPTIONS if RUN_FILE in o.doors
    ]
    return inspect.Signature([*params, keyword("output_format", OutputFormat, None)])


FileArgument = Annotated[
    Path, typer.Argument(help="Multi-export YAML file (see sample-configs/nightly.yaml).", metavar="FILE.yaml")
]
run_file.__signature__ = _signature()  # type: ignore[attr-defined]


def _run_file(
    ctx: typer.Context,
    file: Path,
    *,
    parallel: int,
    keep_going: bool,
    only: list[str] | None,
    json_output: bool,
    force: bool,
    output_dir: str | None,
    output_format: str | None,
    dry_run: bool,
) -> None:
    from exportctl.cli.signals import RECEIVED_KEY
    from exportctl.errors import ConfigError, ExitCode, UsageError
    from exportctl.jobs import batch
    from exportctl.jobs import plan as planning
    from exportctl.request import runfile
    from exportctl.request.configfile import load_config

    label = str(file)
    fmt = choose_format(output_format, json_flag=json_output)
    document = json_contract.begin(ctx, "run") if fmt == "json" else None
    config = load_config(file)
    if not runfile.is_multi(config):
        raise ConfigError(
            "not a multi-export file: it has no 'exports:' list. Run a single-export file with: "
            f"exportctl OBJECT -c {label}",
            path=label,
        )
    entries, problems = runfile.read_multi(label, config)
    if problems:
        _refuse(ctx, problems, file, document)
    chosen = [_overridden(entry, force=force, output_dir=output_dir) for entry in runfile.select(entries, only or [])]
    # Every target is checked before anything is submitted: a missing directory or an existing file of
    # the fifth export must not be found after the first four have run.
    planned: list[batch.PlannedEntry] = []
    refusals: dict[int, Refusal] = {}  # by position in `chosen`
    for index, entry in enumerate(chosen):
        try:
            planned.append(batch.PlannedEntry(entry, planning.plan(entry.request, entry.options)))
        except UsageError as error:
            where = f"{label}:{entry.line}" if entry.line is not None else label
            message = f"{where}: {entry.name}: {error.message}"
            hint = error.hint
            if "already exists" in error.message:
                hint = f"Rerun with: exportctl run {shlex.quote(label)} --force (or --output-dir DIR)"
                message += f" {hint}"
            problems.append(runfile.Problem(label, entry.line, message))
            refusals[index] = Refusal(error.message, hint)
    if problems:
        _refuse(ctx, problems, file, document, _refused_entries(chosen, refusals) if refusals else None)
    if dry_run:
        app_state(ctx).json_document = None  # --dry-run prints the requests, not a run summary
        _print_dry_run(planned, json_output=fmt == "json", quiet=app_state(ctx).quiet)
        return

    results = _run(ctx, planned, parallel=parallel, keep_going=keep_going)
    code = batch.worst_exit_code(results)
    if ctx.meta.get(RECEIVED_KEY) and any(r.status in (batch.INTERRUPTED, batch.SKIPPED) for r in results):
        # A stop signal that came before any export started leaves them all skipped: still an interruption.
        code = int(ExitCode.INTERRUPTED)
    if document is not None:
        json_contract.emit(ctx, document | _run_fields(results, code))
    else:
        _print_table(results, fmt)
    if code:
        raise typer.Exit(code)


def _overridden(entry: Entry, *, force: bool, output_dir: str | None) -> Entry:
    """The entry with the command line's --force and --output-dir over the file's own."""
    if not force and output_dir is None:
        return entry
    run_options = entry.options._replace(
        force=entry.options.force or force,
        output_dir=output_dir if output_dir is not None else entry.options.output_dir,
    )
    return replace(entry, options=run_options)


class Refusal(NamedTuple):
    """Why the plan of one export refused it (an existing target, a load target that cannot take it, ...)."""

    message: str
    hint: str | None


def _refused_entries(chosen: list[Entry], refusals: dict[int, Refusal]) -> list[dict[str, Any]]:
    """The `exports` of a run refused at plan time: each export with its own reason (`result` `refused`),
    or `skipped` when its plan was good but another's was not."""
    documents = []
    for index, entry in enumerate(chosen):
        refusal = refusals.get(index)
        fields: dict[str, Any] = {"exported_object": entry.obj.exported_object}
        if refusal is not None:
            fields |= {"exit_code": 2, "error": refusal.message, "hint": refusal.hint}
        else:
            fields["exit_code"] = None
        result = "refused" if refusal is not None else "skipped"
        documents.append(json_contract.blank(entry.obj.command, **fields) | {"name": entry.name, "result": result})
    return documents


def _refuse(
    ctx: typer.Context,
    problems: list[Problem],
    file: Path,
    document: dict[str, Any] | None,
    refused: list[dict[str, Any]] | None = None,
) -> NoReturn:
    """Print every problem and exit 2. With --json, the document carries them (`problems`, and with
    `refused`, the plan's refusals per export under `exports`)."""
    print_problems(problems, file)
    if document is not None:
        count = len(problems)
        document |= {"exit_code": 2, "error": f"{count} problem{'s' if count != 1 else ''} in {file}; nothing was run."}
        if refused is None:  # the file's own problems: what validate reports too
            document["hint"] = f"Check the file with: exportctl validate {file}"
        else:  # found by the plan (targets, directories), which validate does not look at: the first one's hint
            first = next(entry for entry in refused if entry["result"] == "refused")
            document["error"] = f"{document['error'][: -len('.')]}: {first['name']}: {first['error']}"
            document["hint"] = first["hint"]
            document["exports"] = refused
        document["problems"] = [problem.to_json() for problem in problems]
        json_contract.emit(ctx, document)
    raise typer.Exit(2)


def entry_document(result: EntryResult) -> dict[str, Any]:
    """One export of a run in the contract's keys; `result` says how the run treated it, `name` which it is."""
    summary = result.summary()
    fields = {key: summary.get(key) for key in json_contract.CONTRACT_KEYS if key not in ("object", "status")}
    fields["status"] = summary.get("export_status")
    document = json_contract.blank(result.command, **fields) | {"name": result.name, "result": result.status}
    if "into" in summary:  # --into: the table's facts (rows loaded, inserted, updated), as a single export's
        document["into"] = summary["into"]
    return document


def _run_fields(results: list[EntryResult], code: int) -> dict[str, Any]:
    exports = [entry_document(result) for result in results]
    failed = [entry["name"] for entry in exports if entry["exit_code"]]
    fields: dict[str, Any] = {"exit_code": code, "exports": exports}
    if failed:
        fields["error"] = f"{len(failed)} of {len(exports)} exports failed: {', '.join(failed)}."
    for key in ("bytes", "rows", "api_calls"):
        fields[key] = sum(entry[key] or 0 for entry in exports)
    return fields


def _print_dry_run(planned: list[PlannedEntry], *, json_output: bool, quiet: bool) -> None:
    """Each export's requests, as `exportctl OBJECT --dry-run` prints them; with --json one array, by name."""
    import json

    from exportctl.cli.console import write_json
    from exportctl.cli.export_command import print_dry_run
    from exportctl.jobs.plan import dry_run_document

    if json_output:
        write_json(json.dumps([{"name": p.entry.name, **dry_run_document(p.plan)} for p in planned]))
        return
    for item in planned:
        print_dry_run(item.plan, json_output=False, label=f"[{item.entry.name}] ", quiet=quiet)


def _run(ctx: typer.Context, planned: list[PlannedEntry], *, parallel: int, keep_going: bool) -> list[EntryResult]:
    from exportctl.cli.session import open_session
    from exportctl.cli.signals import RECEIVED_KEY
    from exportctl.jobs import batch

    state = app_state(ctx)
    from exportctl.jobs.plan import narrowed

    filtered = {item.entry.name: narrowed(item.plan) for item in planned}
    lines = LabelledLines(quiet=state.quiet, verbose=state.verbose, filtered=filtered)
    with open_session(ctx, quiet=True) as session:
        return batch.run_entries(
            planned,
            session=session.exports,
            parallel=parallel,
            keep_going=keep_going,
            on_event_for=lines.handler,
            on_result=lines.result,
            signals=ctx.meta.get(RECEIVED_KEY),
        )


def _print_table(results: list[EntryResult], fmt: str) -> None:
    table = Rows(
        SUMMARY_COLUMNS,
        title="exportctl run",
        right=("rows", "seconds"),
        sizes=("bytes",),
        paths=("output",),
        drop=("bytes", "rows", "output"),
        optional=("seconds", "object"),
    )
    for result in results:
        summary = result.summary()
        table.add(*(summary.get(column) for column in SUMMARY_COLUMNS))
    table.print(fmt)
