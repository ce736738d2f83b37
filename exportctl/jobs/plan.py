"""One export from a validated request to a saved file, in two steps: plan offline, then execute.

`plan` does every check that needs no network (target template, directory, existing file, load target) and
computes every request the run will send: the windows of `--since`/`--until`, of a split and of an
incremental run (from the watermark it reads in the state file). The dry run prints those requests and
`jobs/execute.py` sends them, so the two cannot disagree, and whatever can fail before submitting fails here,
before credentials are read, in the run and the dry run alike. The export subcommands, `exportctl run` and the
library all go through here, so all get the run options of `RunOptions`:

- `since`/`until`: one export of the records created in [since, until) (see `exportctl.request.windows`);
- `split_by`: one export per calendar window of [since, until or now), joined (see `exportctl.jobs.split`);
- `incremental`: [watermark, now) under the state file's lock, moving the watermark to `now` once the
  file is saved (see `exportctl.jobs.watermarks`); the first run starts at `since`, or has no lower bound;
- `headers`: `fields` rewrites the header row to the field names (see `exportctl.files.csv_header`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

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
from exportctl.request.cursor import looked_back, window_filter
from exportctl.request.into import CSV, EXTENSIONS, JSONL
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


class PlannedRequest(NamedTuple):
    """One POST a plan will send: its endpoint, its body, and the creation-time window it covers."""

    endpoint: str
    body: dict[str, Any]
    window: Window | None = None  # None: no time window (neither --since/--until nor incremental/split)
    request: ExportRequest | None = None  # what the run submits (narrowed to `window`); None: the plan's own

    def to_json(self) -> dict[str, Any]:
        """`{"method", "endpoint", "body"}`, with the window's `since`/`until` when there is one."""
        document: dict[str, Any] = {"method": "POST", "endpoint": self.endpoint, "body": self.body}
        if self.window is not None:
            document.update(self.window.to_json())
        return document


class Plan(NamedTuple):
    """A request and how to run it, checked offline (a NamedTuple: every dry run creates the class)."""

    request: ExportRequest
    options: RunOptions
    now: datetime  # the run's instant, to the millisecond (`plan` takes it once)
    known_target: Target | None = None  # None when the name needs the export id
    windows: tuple[Window, ...] = ()  # a split export's windows (incremental too: from the watermark read)
    creates_directory: Path | None = None  # the output directory, when it does not exist yet (made before writing)
    span: Window = Window(None, None)  # the creation times exported: since/until, or [watermark or since, now)
    watermark: datetime | None = None  # an incremental run's watermark as read at plan time (None: first run)
    requests: tuple[PlannedRequest, ...] = ()  # every POST the run sends, in order: what --dry-run prints

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
    if options.split_by is not None and output is not None and needs_export_id(output):
        raise UsageError(
            f"The output template '{output}' names one export id, but a split export joins several.",
            hint="Use {object}, {date} or {time} instead, e.g. --output {object}-{date}.csv",
        )
    remote_output.check_state(options.incremental)
    known = creates = None
    if file_wanted and remote_output.destination(options._replace(output=output)) is None:  # a bucket: see execute
        known = preflight_target(
            output, command=request.obj.command, output_dir=options.output_dir, now=moment, force=options.force
        )
        directory = target_directory(output, command=request.obj.command, output_dir=options.output_dir, now=moment)
        creates = directory if directory is not None and missing_directory(directory) is not None else None
    if options.split_by is not None and isinstance(known, Path) and options.format == CSV and options.into is None:
        from exportctl.jobs.split_files import check_parts_place

        check_parts_place(known)  # where the windows wait for the join (a typed split's: checked by its run)
    if creates is None and options.into is not None and missing_directory(options.into.path.parent) is not None:
        creates = options.into.path.parent  # the database's: made when its staged CSV is downloaded beside it
    watermark = _read_watermark(request, options) if options.incremental is not None else None
    span = Window(options.since, options.until)
    if options.incremental is not None:
        _check_watermark(watermark if watermark is not None else options.since, moment, request, options)
        span = Window(options.since if watermark is None else looked_back(watermark, options), moment)
    if options.split_by is not None:
        if span.start is None:
            raise rules.error("split_needs_since", options)
        windows = tuple(split_windows(span.start, span.end or moment, options.split_by))
    planned = Plan(
        request=request,
        options=options._replace(output=output),
        now=moment,
        known_target=known,
        windows=windows,
        creates_directory=creates,
        span=span,
        watermark=watermark,
    )
    return planned._replace(requests=_requests(planned))


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
    if options.format == JSONL:
        from exportctl.formats.workers import check_knobs

        check_knobs()  # a bad EXPORTCTL_WORKERS or EXPORTCTL_PARALLEL_MIN_MB is refused before the export
    if into is not None:
        from exportctl.warehouse.preflight import check_into

        check_into(request.obj, request.fields, into)  # the key, the file or server, the table: read only


def planned_requests(planned: Plan) -> tuple[PlannedRequest, ...]:
    """Every POST the run sends, computed by `plan`: what --dry-run prints and `exportctl.plan` returns."""
    return planned.requests


def _requests(planned: Plan) -> tuple[PlannedRequest, ...]:
    """The POSTs of `planned`: one per split window, one for a time window, or the request as it is.

    An incremental run's window is [watermark read by `plan` (or `since`), now); `execute` refuses to run
    it if another run moved the watermark since.
    """
    request, options = planned.request, planned.options
    if options.split_by is not None:
        field = require_created_filter(request.obj, "--split-by")
        return tuple(_windowed(request, field, w) for w in planned.windows)
    if planned.span.start is None and planned.span.end is None:
        return (PlannedRequest(request.endpoint(), request.body()),)
    return (_windowed(request, window_filter(request.obj, options, "--since/--until"), planned.span),)


def _windowed(request: ExportRequest, field: FilterField, window: Window) -> PlannedRequest:
    narrowed = window_request(request, field, window)
    return PlannedRequest(narrowed.endpoint(), narrowed.body(), window, narrowed)


def _read_watermark(request: ExportRequest, options: RunOptions) -> datetime | None:
    """The watermark of this export (read, not locked or written): its state file's, or a server's own when the
    load target keeps one (warehouse/watermark.py); None: the first run."""
    from exportctl.jobs.watermarks import WatermarkStore, run_key, state_place
    from exportctl.warehouse.watermark import stored

    assert options.incremental is not None
    key = run_key(request, options)  # KEY@updated_at for --cursor updated_at (request/cursor.py)
    return stored(options.into, key, WatermarkStore(state_place(options.incremental)).read(key, options.cursor).at)


def _check_watermark(start: datetime | None, now: datetime, request: ExportRequest, options: RunOptions) -> None:
    if start is not None and start >= now:
        from exportctl.jobs.watermarks import run_key, state_place

        key = run_key(request, options)
        raise UsageError(
            f"The watermark of {key} in {state_place(str(options.incremental))} ({iso_ms(start)}) is not before "
            f"now ({iso_ms(now)}); is the clock right?"
        )


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
