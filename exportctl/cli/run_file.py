"""`exportctl run FILE.yaml`: several exports from one file, one after another or several at once.

Progress is plain lines on standard error, each prefixed with the export's name: with several exports
running at once one spinner cannot show them all, and cron and CI logs want lines anyway. The summary
(a table, or with --json a JSON array with one object per export) goes to standard output.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from exportctl.cli import options
from exportctl.cli.console import print_info, write_json
from exportctl.cli.state import app_state
from exportctl.request.model import MAX_PARALLEL

if TYPE_CHECKING:
    from exportctl.events import Event, EventHandler
    from exportctl.jobs.batch import EntryResult, PlannedEntry
    from exportctl.request.runfile import Entry, Problem

SUMMARY_COLUMNS = ("name", "object", "status", "rows", "bytes", "output", "seconds", "error")


class LabelledLines:
    """Plain progress lines on standard error, `TIME [name] what happened`, one writer at a time."""

    def __init__(self, *, quiet: bool, verbose: bool) -> None:
        self._quiet = quiet
        self._verbose = verbose
        self._lock = threading.Lock()

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


def run_file(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help="Multi-export YAML file (see sample-configs/nightly.yaml).", metavar="FILE.yaml"),
    ],
    parallel: Annotated[
        int,
        typer.Option(
            "--parallel",
            "-p",
            min=1,
            max=MAX_PARALLEL,
            help="How many exports run at once; together they keep within the API's rate limit.",
            rich_help_panel=options.RUN,
        ),
    ] = 1,
    keep_going: Annotated[
        bool,
        typer.Option(
            "--keep-going",
            "-k",
            help="Run the remaining exports after one fails (default: start no more after the first failure).",
            rich_help_panel=options.RUN,
        ),
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Run only the export with this name; repeatable. The whole file is still validated.",
            metavar="NAME",
            rich_help_panel=options.RUN,
            show_default=False,
        ),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print a JSON array with one object per export to standard output instead of the table.",
            rich_help_panel=options.RUN,
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Print every export's API requests (endpoint and body) and exit; no network, no credentials.",
            rich_help_panel=options.RUN,
        ),
    ] = False,
) -> None:
    """Run every export of a multi-export file; exit with the worst of their exit codes.

    The whole file is validated offline first (exit 2 with every problem, nothing run). Exit codes,
    worst first: 130, 3, 2, 1, 7, 4, 5, 6, 8; 0 when every export succeeded. Example:
    exportctl run sample-configs/nightly.yaml --parallel 3 --keep-going
    """
    from exportctl.errors import ConfigError, UsageError
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
    if problems:
        print_problems(problems, file)
        raise typer.Exit(2)
    chosen = runfile.select(entries, only or [])
    # Every target is checked before anything is submitted: a missing directory or an existing file of
    # the fifth export must not be found after the first four have run.
    planned: list[batch.PlannedEntry] = []
    for entry in chosen:
        try:
            planned.append(batch.PlannedEntry(entry, planning.plan(entry.request, entry.options)))
        except UsageError as error:
            where = f"{label}:{entry.line}" if entry.line is not None else label
            problems.append(runfile.Problem(label, entry.line, f"{where}: {entry.name}: {error.message}"))
    if problems:
        print_problems(problems, file)
        raise typer.Exit(2)
    if dry_run:
        _print_dry_run(planned, json_output=json_output)
        return

    results = _run(ctx, planned, parallel=parallel, keep_going=keep_going)
    if json_output:
        write_json(json.dumps([result.summary() for result in results]))
    else:
        _print_table(results)
    code = batch.worst_exit_code(results)
    if code:
        raise typer.Exit(code)


def _print_dry_run(planned: list[PlannedEntry], *, json_output: bool) -> None:
    """Each export's requests, as `exportctl OBJECT --dry-run` prints them; with --json one array, by name."""
    from exportctl.cli.export_command import print_dry_run
    from exportctl.jobs.plan import dry_run_document

    if json_output:
        write_json(json.dumps([{"name": p.entry.name, **dry_run_document(p.plan)} for p in planned]))
        return
    for item in planned:
        print_dry_run(item.plan, json_output=False, label=f"[{item.entry.name}] ")


def _run(ctx: typer.Context, planned: list[PlannedEntry], *, parallel: int, keep_going: bool) -> list[EntryResult]:
    from exportctl.cli.session import open_session
    from exportctl.jobs import batch

    state = app_state(ctx)
    lines = LabelledLines(quiet=state.quiet, verbose=state.verbose)
    with open_session(ctx, quiet=True) as session:
        return batch.run_entries(
            planned,
            settings=session.client.settings,
            parallel=parallel,
            keep_going=keep_going,
            on_event_for=lines.handler,
            on_result=lines.result,
        )


def _print_table(results: list[EntryResult]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="exportctl run", title_justify="left")
    for column in SUMMARY_COLUMNS:
        # Folded, never cut with an ellipsis: a log without a terminal is 80 columns wide.
        table.add_column(column, justify="right" if column in ("rows", "bytes", "seconds") else "left", overflow="fold")
    for result in results:
        summary = result.summary()
        table.add_row(*("" if summary.get(column) is None else str(summary[column]) for column in SUMMARY_COLUMNS))
    Console(highlight=False).print(table)
