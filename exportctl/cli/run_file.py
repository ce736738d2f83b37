"""`exportctl run FILE.yaml`: several exports from one file, one after another or several at once.

Progress is plain lines on standard error, each prefixed with the export's name: with several exports
running at once one spinner cannot show them all, and cron and CI logs want lines anyway. The summary
(a table, tab-separated off a terminal, or with --json one JSON object) goes to standard output.
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from exportctl.cli import json_contract, options
from exportctl.cli.app_state import app_state
from exportctl.cli.console import print_info
from exportctl.cli.tables import OutputFormat, Rows, choose_format
from exportctl.engine.run_result import RUN_TABLE_COLUMNS

if TYPE_CHECKING:
    from exportctl.engine.run_result import RunResult
    from exportctl.events import Event, EventHandler
    from exportctl.jobs.batch import EntryResult, PlannedEntry
    from exportctl.jobs.runs import RunPlan
    from exportctl.request.runfile import Entry, Problem


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
                from exportctl.cli.connect import empty_export_line

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
    from exportctl.errors import ExitCode
    from exportctl.jobs import batch
    from exportctl.jobs.runs import plan_run, run_result

    started = time.monotonic()
    fmt = choose_format(output_format, json_flag=json_output)
    document = json_contract.begin(ctx, "run") if fmt == "json" else None
    plan = plan_run(file, only=only or (), force=force, output_dir=output_dir)
    if plan.problems:
        _refuse(ctx, plan, document)
    if dry_run:
        app_state(ctx).json_document = None  # --dry-run prints the requests, not a run summary
        _print_dry_run(plan.planned, json_output=fmt == "json", quiet=app_state(ctx).quiet)
        return

    results = _run(ctx, plan, parallel=parallel, keep_going=keep_going)
    code = batch.worst_exit_code(results)
    if ctx.meta.get(RECEIVED_KEY) and any(r.status in (batch.INTERRUPTED, batch.SKIPPED) for r in results):
        # A stop signal that came before any export started leaves them all skipped: still an interruption.
        code = int(ExitCode.INTERRUPTED)
    result = run_result(results, code, time.monotonic() - started)
    if document is not None:
        json_contract.emit(ctx, result.to_dict())  # what exportctl.run() returns
    else:
        _print_table(result, fmt)
    if code:
        raise typer.Exit(code)


def _refuse(ctx: typer.Context, plan: RunPlan, document: dict[str, Any] | None) -> NoReturn:
    """Print every problem and exit 2. With --json, the document carries them (`problems`, and for the plan's
    refusals, each export's reason under `exports`), with the error `exportctl.run()` raises."""
    print_problems(plan.problems, plan.file)
    if document is not None:
        error = plan.error()
        document |= {"exit_code": 2, "error": error.message, "hint": error.hint}
        if plan.refusals:
            document["exports"] = [entry.to_dict() for entry in plan.refused_entries()]
        document["problems"] = [problem.to_json() for problem in plan.problems]
        json_contract.emit(ctx, document)
    raise typer.Exit(2)


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


def _run(ctx: typer.Context, plan: RunPlan, *, parallel: int, keep_going: bool) -> list[EntryResult]:
    from exportctl.cli.connect import open_session
    from exportctl.cli.signals import RECEIVED_KEY
    from exportctl.jobs.plan import narrowed
    from exportctl.jobs.runs import run_planned

    state = app_state(ctx)
    filtered = {item.entry.name: narrowed(item.plan) for item in plan.planned}
    lines = LabelledLines(quiet=state.quiet, verbose=state.verbose, filtered=filtered)
    with open_session(ctx, quiet=True) as session:
        return run_planned(
            plan,
            session.exports,
            parallel=parallel,
            keep_going=keep_going,
            on_event_for=lines.handler,
            on_result=lines.result,
            signals=ctx.meta.get(RECEIVED_KEY),
        )


def _print_table(result: RunResult, fmt: str) -> None:
    table = Rows(
        RUN_TABLE_COLUMNS,
        title="exportctl run",
        right=("rows", "seconds"),
        sizes=("bytes",),
        paths=("output",),
        drop=("bytes", "rows", "output"),
        optional=("seconds", "object"),
    )
    for row in result.rows():
        table.add(*row)
    table.print(fmt)
