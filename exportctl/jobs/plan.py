"""One export from a validated request to a saved file, in two steps: plan offline, then execute.

`plan` does every check that needs no network (target template, directory, existing file, split windows),
so that a command fails before credentials are read or an export is created for nothing. `execute` runs
the plan against the API. The export subcommands and `exportctl run` both go through here, so both get
the run options of `RunOptions`:

- `since`/`until`: one export of the records created in [since, until) (see `exportctl.request.windows`);
- `split_by`: one export per calendar window of [since, until or now), joined (see `exportctl.jobs.split`);
- `incremental`: [watermark, now) under the state file's lock, moving the watermark to `now` once the
  file is saved (see `exportctl.jobs.watermarks`); the first run starts at `since`, or has no lower bound;
- `headers`: `fields` rewrites the header row to the field names (see `exportctl.files.csv_header`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from exportctl.errors import UsageError
from exportctl.files.targets import (
    DEFAULT_TEMPLATE,
    Target,
    is_standard_output,
    missing_directory,
    needs_export_id,
    preflight_target,
    resolve_target,
    target_directory,
)
from exportctl.jobs import remote_output
from exportctl.request import rules
from exportctl.request.cursor import window_filter
from exportctl.request.into import CSV, EXTENSIONS
from exportctl.request.model import ExportRequest, RunOptions
from exportctl.request.values import iso_ms
from exportctl.request.windows import Window, require_created_filter, split_windows, truncate_ms, window_request
from exportctl.schema import FilterField

# A split export joins several exports, so its name cannot carry one export id.
SPLIT_TEMPLATE = "{object}-{date}.csv"


def default_template(output_format: str, *, split: bool = False) -> str:
    """The target name when -o is not given: `{object}-{id}.csv`, `.jsonl`, `.parquet`; `{date}` for a split."""
    stem = SPLIT_TEMPLATE if split else DEFAULT_TEMPLATE
    return stem[: -len(".csv")] + EXTENSIONS[output_format]


if TYPE_CHECKING:
    # job and client import requests; keep them out of start-up. A dry run needs no events and no csv either.
    from exportctl.client.api import ApiClient
    from exportctl.events import EventHandler
    from exportctl.jobs.single import ExportOutcome


class Plan(NamedTuple):
    """A request and how to run it, checked offline (a NamedTuple: every dry run creates the class)."""

    request: ExportRequest
    options: RunOptions
    now: datetime  # the run's instant, to the millisecond (`plan` takes it once)
    known_target: Target | None = None  # None when the name needs the export id
    windows: tuple[Window, ...] = ()  # a split export's windows, when known offline (not incremental)
    creates_directory: Path | None = None  # the output directory, when it does not exist yet (made before writing)

    def target_for(self, export_id: str) -> Target:
        """The target once the export id is known."""
        if self.known_target is not None:
            return self.known_target
        return resolve_target(
            self.options.output,
            command=self.request.obj.command,
            export_id=export_id,
            output_dir=self.options.output_dir,
            now=self.now,
        )


def plan(request: ExportRequest, options: RunOptions, *, now: datetime | None = None) -> Plan:
    """Check the target and the time range offline; UsageError for anything that would fail later."""
    moment = truncate_ms(now or datetime.now(timezone.utc))
    if options.split_by is not None or options.incremental is not None:
        what = "--since-last" if options.incremental is not None else "--split-by"
        window_filter(request.obj, options, what)
    rules.check(options)  # the rules between options (request.rules), for RunOptions made without build_request
    if options.incremental is not None and is_standard_output(options.output):
        raise UsageError(
            "--since-last needs a file target: the watermark moves only once the file is completely saved.",
            hint="Give --output PATH (a template with {date} or {id} names each run's file).",
        )
    _check_typed(request, options)
    output = options.output
    windows: tuple[Window, ...] = ()
    file_wanted = options.into is None or output is not None  # --into alone writes a table, no file
    if output is None and file_wanted and (options.format != CSV or options.split_by is not None):
        output = default_template(options.format, split=options.split_by is not None)  # the name follows the format
    if options.split_by is not None:
        if output is not None and needs_export_id(output):
            raise UsageError(
                f"The output template '{output}' names one export id, but a split export joins several.",
                hint="Use {object}, {date} or {time} instead, e.g. --output {object}-{date}.csv",
            )
        if options.incremental is None and options.since is not None:
            windows = tuple(split_windows(options.since, options.until or moment, options.split_by))
    remote_output.check_state(options.incremental)
    known = creates = None
    if file_wanted and remote_output.destination(options._replace(output=output)) is None:  # a bucket: see execute
        known = preflight_target(
            output, command=request.obj.command, output_dir=options.output_dir, now=moment, force=options.force
        )
        directory = target_directory(output, command=request.obj.command, output_dir=options.output_dir, now=moment)
        creates = directory if directory is not None and missing_directory(directory) is not None else None
    return Plan(
        request=request,
        options=options._replace(output=output),
        now=moment,
        known_target=known,
        windows=windows,
        creates_directory=creates,
    )


def _check_typed(request: ExportRequest, options: RunOptions) -> None:
    """A typed output's checks that need the disk: the extra is installed, the database's directory exists;
    for --into, that the fields hold the key rows are merged on."""
    if options.format == CSV and options.into is None:
        return
    from exportctl.formats.extra import check_extra

    into = options.into
    if into is not None and is_standard_output(options.output) and options.format == CSV:
        raise UsageError(
            "--into loads the CSV into a table; -o - would stream it too, which cannot be done at once.",
            hint="Write the CSV to a file (-o FILE.csv), or stream a typed copy with --format jsonl -o -.",
        )
    check_extra(options.format, into.engine if into is not None else None)
    if into is not None:
        from exportctl.warehouse.preflight import check_into

        check_into(request.obj, request.fields, into)  # the key, the file or server, the table: read only


class PlannedRequest(NamedTuple):
    """One POST a plan will send: its endpoint, its body, and the creation-time window it covers."""

    endpoint: str
    body: dict[str, Any]
    window: Window | None = None  # None: no time window (neither --since/--until nor incremental/split)

    def to_json(self) -> dict[str, Any]:
        """`{"method", "endpoint", "body"}`, with the window's `since`/`until` when there is one."""
        document: dict[str, Any] = {"method": "POST", "endpoint": self.endpoint, "body": self.body}
        if self.window is not None:
            document.update(self.window.to_json())
        return document


def planned_requests(planned: Plan) -> tuple[PlannedRequest, ...]:
    """Every POST `execute` would send, computed offline: what --dry-run prints and `exportctl.plan` returns.

    An incremental run's window is the one a run started now would ask for: from the state file's
    watermark (read, not locked or written) or `since`, to `now`. A split gives one request per window.
    """
    request, options = planned.request, planned.options
    window = Window(options.since, options.until)
    if options.incremental is not None:
        window = Window(_incremental_start(planned), planned.now)
    if options.split_by is not None:
        field = require_created_filter(request.obj, "--split-by")
        if window.start is None:
            raise rules.error("split_needs_since", options)
        windows = (
            list(planned.windows)
            if planned.windows and options.incremental is None
            else split_windows(window.start, window.end or planned.now, options.split_by)
        )
        return tuple(_windowed(request, field, w) for w in windows)
    if window.start is None and window.end is None:
        return (PlannedRequest(request.endpoint(), request.body()),)
    return (_windowed(request, window_filter(request.obj, options, "--since/--until"), window),)


def _windowed(request: ExportRequest, field: FilterField, window: Window) -> PlannedRequest:
    narrowed = window_request(request, field, window)
    return PlannedRequest(narrowed.endpoint(), narrowed.body(), window)


def _incremental_start(planned: Plan) -> datetime | None:
    """Where an incremental run started now would begin: the watermark (less the lookback), else `since`."""
    from exportctl.jobs.watermarks import WatermarkStore, run_key, state_place, window_start

    options = planned.options
    assert options.incremental is not None
    state = state_place(options.incremental)
    key = run_key(planned.request, options)
    return window_start(options, key, state, WatermarkStore(state), planned.now)[1]


def narrowed(planned: Plan) -> bool:
    """Whether the records exported are a selection: filters, a scope, a time range or a kind of transaction."""
    request, options = planned.request, planned.options
    window = options.since is not None or options.until is not None or options.incremental is not None
    return bool(request.filters) or request.scope is not None or window or bool(request.obj.kind)


def dry_run_document(planned: Plan) -> dict[str, Any]:
    """What --dry-run --json prints: the object, the target (when known offline) and every request."""
    target = planned.known_target
    typed: dict[str, Any] = {}
    if planned.options.format != CSV or planned.options.into is not None:  # a CSV's dry run imports no more
        from exportctl.jobs.typed_output import dry_run_facts

        typed = dry_run_facts(planned.request, planned.options)
    return {
        "object": planned.request.obj.command,
        "output": remote_output.planned_url(planned) or (None if target is None else str(target)),
        "creates_directory": None if planned.creates_directory is None else str(planned.creates_directory),
        **typed,
        "requests": [r.to_json() for r in planned_requests(planned)],
    } | _into_preview(planned)


def _into_preview(planned: Plan) -> dict[str, Any]:
    """`{"into": table, key, typed columns}` for a plan that loads into a database (see warehouse.describe)."""
    into = planned.options.into
    if into is None:
        return {}
    from exportctl.warehouse.describe import table_preview

    return {"into": table_preview(planned.request.obj, planned.request.fields, into, style=planned.options.headers)}


def execute(client: ApiClient, planned: Plan, *, on_event: EventHandler | None = None) -> ExportOutcome:
    """Submit, wait (unless the plan says not to) and download; incremental runs hold the state's lock.
    `on_event` gets every event; None ignores them."""
    from exportctl.events import ignore_event

    on_event = ignore_event if on_event is None else on_event
    options = planned.options
    if options.incremental is not None:
        return _execute_incremental(client, planned, on_event)
    return _run_window(client, planned, Window(options.since, options.until), on_event)


def _run_window(client: ApiClient, planned: Plan, window: Window, on_event: EventHandler) -> ExportOutcome:
    """The export of the records created in `window`: one export, or one per split window, joined.

    A typed output (`--format jsonl|parquet`, `--into`) downloads to a staging file and runs its one
    post-step on the complete CSV (`jobs.typed_output`).
    """
    if remote_output.destination(planned.options) is not None:  # into a bucket: the saved file is uploaded last
        return remote_output.run_remote(client, planned, lambda p: _run_window(client, p, window, on_event), on_event)
    from dataclasses import replace  # the outcome is a dataclass; a dry run needs neither

    from exportctl.errors import ExportctlError
    from exportctl.files.csv_header import header_rewriter
    from exportctl.files.csv_rows import keep_rows
    from exportctl.jobs import single, typed_output

    request, options = planned.request, planned.options
    header = header_rewriter(request.obj, request.fields, options.headers)
    # The endpoints that export every kind of transaction: keep the rows of the kind asked for.
    kept = request.kept_types()
    rows = None if kept is None else keep_rows((request.obj.title_of("type"), "type"), kept)
    bounds: dict[str, str | None] = window.to_json()
    typed = typed_output.is_typed(options)
    final: Target | Callable[[str], Target] | None = None
    if typed_output.keeps_file(options):
        final = planned.known_target if planned.known_target is not None else planned.target_for
    # A staging file is ours: one left by a killed run is overwritten; the target itself keeps --force's rule.
    force = options.force or typed_output.stages(options)
    if options.split_by is not None:
        from exportctl.jobs import split

        field = require_created_filter(request.obj, "--split-by")
        if window.start is None:
            raise rules.error("split_needs_since", options)
        end = window.end or planned.now
        windows = list(planned.windows) or split_windows(window.start, end, options.split_by)
        # The stable staging name: a rerun finds the windows it saved in its `.parts/` and manifest.
        joined = typed_output.download_target(
            options, request.obj.command, planned.target_for("") if final else None, unique=False
        )
        assert not callable(joined)  # a split target never names an export id
        outcome = split.run_split(
            client,
            request,
            field,
            windows,
            joined,
            parallel=options.parallel,
            force=force,
            timeout=options.timeout,
            header=header,
            rows=rows,
            on_event=on_event,
        )
        bounds["until"] = iso_ms(end)
        outcome = replace(outcome, extra={**outcome.extra, **bounds, "split_by": options.split_by})
        if typed:
            outcome = typed_output.finish(
                outcome, request, options, planned.target_for("") if final else None, on_event
            )
        return outcome

    if window.start is not None or window.end is not None:
        request = window_request(request, window_filter(request.obj, options, "--since/--until"), window)
    staging = typed_output.StagingFiles()
    try:
        outcome = single.run_export(
            client,
            request,
            typed_output.download_target(options, request.obj.command, final, made=staging),
            wait=options.wait,
            timeout=options.timeout,
            on_event=on_event,
            force=force,
            header=header,
            rows=rows,
        )
        if typed:
            outcome = typed_output.finish(outcome, request, options, final, on_event)
    except ExportctlError as exc:
        exc.hint = typed_output.unstaged_hint(exc.hint)
        raise
    finally:
        staging.remove()  # this run's own staging CSV and its .part, whatever happened
    if window.start is None and window.end is None:
        return outcome
    return replace(outcome, extra={**outcome.extra, **bounds})


def _execute_incremental(client: ApiClient, planned: Plan, on_event: EventHandler) -> ExportOutcome:
    """[watermark, now) under the state file's lock; the watermark moves to `now` once the file is saved."""
    from dataclasses import replace

    from exportctl.jobs.watermarks import StateLock, WatermarkStore, rerun_hint, run_key, state_place, window_start
    from exportctl.warehouse.watermark import pending_watermark as pending

    options = planned.options
    assert options.incremental is not None
    state = state_place(options.incremental)
    key = run_key(planned.request, options)
    with StateLock(state):
        store = WatermarkStore(state)
        previous, start = window_start(options, key, state, store, planned.now)
        # A load into a server writes the new watermark in its own transaction (warehouse/watermark.py).
        with rerun_hint(state, iso_ms(start) if start is not None else None), pending(options.into, key, planned.now):
            outcome = _run_window(client, planned, Window(start, planned.now), on_event)
        saved = outcome.download
        if saved is None:  # plan refuses --no-wait; a saved file is what moves the watermark
            raise UsageError("--since-last needs the export downloaded; nothing was saved.")
        store.advance(
            key,
            {
                "watermark": iso_ms(planned.now),
                **({"cursor": options.cursor} if options.cursor != "created_at" else {}),
                "object": planned.request.obj.command,
                "endpoint": planned.request.endpoint(),
                "body": planned.request.body(),
                "export_id": outcome.export_id or None,
                "output": outcome.summary()["output"],
                "rows": saved.rows,
                "sha256": saved.sha256,
                "saved_at": iso_ms(datetime.now(timezone.utc)),
            },
        )
    extra = {
        "state": str(state),
        "state_key": key,
        "previous_watermark": iso_ms(previous) if previous is not None else None,
        "watermark": iso_ms(planned.now),
    }
    return replace(outcome, extra={**outcome.extra, **extra})
