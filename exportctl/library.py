"""The library door: `exportctl.export(...)` and `exportctl.plan(...)`, every CLI option as a keyword.

A pipeline task (Airflow, Dagster, Prefect, cron) calls `export` instead of hand-writing the
create/poll/download loop: it validates offline exactly as the CLI does (the same `ExportctlError`
subclasses, with `exit_code`, `message` and `hint`), streams the CSV to a file without holding it in
memory, and answers with an `ExportResult`. Nothing here prints; progress goes to `on_event`.

Values are typed: lists of fields and filter expressions (or the API's filter object), `datetime` for
`since`/`until` (naive means UTC), seconds or a `timedelta` for `timeout`. Strings such as `"15m"` or
`"2024-01-01"` are accepted too, read by the same rules as the flags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from exportctl.events import EventHandler, ignore_event
from exportctl.jobs.plan import Plan
from exportctl.request.model import ExportRequest, RequestFlags, RunOptions
from exportctl.settings import Settings

if TYPE_CHECKING:
    from typing_extensions import Unpack

Filters = Sequence[str] | Mapping[str, Any]


class PlanOptions(TypedDict, total=False):
    """The keywords of `plan`, for `export`'s type checking; tests/request/test_option_table.py keeps them equal."""

    fields: Sequence[str] | None
    order: str | None
    filters: Filters | None
    junction: str | None
    voucher: str | None
    campaign: str | None
    member: str | None
    config: str | Path | None
    output: str | Path | None
    output_dir: str | Path | None
    force: bool | None
    wait: bool | None
    timeout: float | timedelta | str | None
    headers: str | None
    format: str | None
    into: str | None
    unparsed: str | None
    since: date | str | None
    until: date | str | None
    split_by: str | None
    parallel: int | None
    since_last: str | Path | None
    state_key: str | None
    now: datetime | None


@dataclass(frozen=True)
class ExportResult:
    """What `export` did: the export id(s), the saved file and what is in it, the cost."""

    export_ids: tuple[str, ...]  # one, or one per window of a split export
    output: Path | Literal["-"] | str | None  # None when not waited for (wait=False); a str for a bucket URL
    rows: int | None
    bytes: int | None
    sha256: str | None  # of the saved file: the CSV (a kind's filtered rows, a rewritten header row) or typed file
    seconds: float
    api_calls: int
    summary: dict[str, Any] = field(repr=False)  # the CLI's `--json` document, key for key


@dataclass(frozen=True)
class PlannedExport:
    """What `export` would send and where it would write, checked offline (the CLI's `--dry-run`)."""

    object: str  # the subcommand name: voucher, gift-card-transactions, ...
    requests: tuple[tuple[str, dict[str, Any]], ...]  # (endpoint, body): one, or one per split window
    target: Path | Literal["-"] | None  # None when the name needs the export id
    options: RunOptions
    plan: Plan = field(repr=False)
    # The {"since", "until"} of each request's creation-time window (None: no window), as `requests`.
    windows: tuple[dict[str, str | None] | None, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The document `exportctl OBJECT --dry-run --json` prints for the same options."""
        from exportctl.jobs.plan import dry_run_document

        return dry_run_document(self.plan)


def plan(
    name: str,
    *,
    fields: Sequence[str] | None = None,
    order: str | None = None,
    filters: Filters | None = None,
    junction: str | None = None,
    voucher: str | None = None,
    campaign: str | None = None,
    member: str | None = None,
    config: str | Path | None = None,
    output: str | Path | None = None,
    output_dir: str | Path | None = None,
    force: bool | None = None,
    wait: bool | None = None,
    timeout: float | timedelta | str | None = None,
    headers: str | None = None,
    format: str | None = None,
    into: str | None = None,
    unparsed: str | None = None,
    since: date | str | None = None,
    until: date | str | None = None,
    split_by: str | None = None,
    parallel: int | None = None,
    since_last: str | Path | None = None,
    state_key: str | None = None,
    now: datetime | None = None,
) -> PlannedExport:
    """Validate a request and its target offline, like the CLI before it sends anything.

    The keywords are the CLI's options (`since_last` is `--since-last STATE`, `config` is `-c FILE`,
    `into` is `--into "duckdb:PATH[#TABLE]"`).
    Raises `exportctl.UsageError` (or another `ExportctlError`) with the CLI's message.
    """
    # Taken first, so that the keywords are all there is: each one's type and range is checked, named by the
    # keyword, before anything reads it.
    given = {keyword: value for keyword, value in locals().items() if keyword != "name"}
    from exportctl.jobs import plan as planning
    from exportctl.request.keywords import check_name, check_plan_keywords
    from exportctl.schema import lookup

    checked = check_plan_keywords(given)
    obj = lookup(check_name(name))
    fields, filters, now = checked["fields"], checked["filters"], checked["now"]
    seconds: float | None = checked["timeout"]
    flags = RequestFlags(
        fields=list(fields or []),
        order=order,
        filters=list(filters or []) if not isinstance(filters, Mapping) else [],
        junction=junction,
        voucher=voucher,
        campaign=campaign,
        member=member,
        output=_text(output),
        output_dir=_text(output_dir),
        force=force,
        wait=wait,
        timeout=seconds,
        headers=headers,
        format=format,
        into=into,
        unparsed=unparsed,
        since_last=_text(since_last),
        state_key=state_key,
        since=since,
        until=until,
        split_by=split_by,
        parallel=parallel,
    )
    request, options = _build(obj.command, flags, config, filters if isinstance(filters, Mapping) else None)
    planned = planning.plan(request, options, now=now)
    # The same requests --dry-run prints: with the window of --since/--until, of each split window, or of
    # an incremental run started now (from the state file's watermark).
    sent = planning.planned_requests(planned)
    return PlannedExport(
        object=obj.command,
        requests=tuple((r.endpoint, r.body) for r in sent),
        target=planned.known_target,
        options=planned.options,
        plan=planned,
        windows=tuple(None if r.window is None else r.window.to_json() for r in sent),
    )


def export(
    name: str,
    *,
    settings: Settings | None = None,
    on_event: EventHandler = ignore_event,
    **options: Unpack[PlanOptions],
) -> ExportResult:
    """Export the object `name` (voucher, order, ...) as CSV: validate, submit, wait, download.

    The keywords are `plan`'s.

    `settings` default to `Settings.from_environment()` (VOUCHERIFY_APP_ID, VOUCHERIFY_APP_TOKEN, the
    profile file). `on_event` receives every `exportctl.events` event (status changes, retries, progress).
    """
    from exportctl.engine.session import open_session
    from exportctl.jobs import plan as planning
    from exportctl.request.keywords import check_export_keywords

    check_export_keywords(settings, on_event, options)
    planned = plan(name, **options)
    # The session every door opens: the settings, EXPORTCTL_READ_TIMEOUT, one rate budget, one stop event.
    session = open_session(settings)
    with session.client(on_event) as client:
        try:
            outcome = planning.execute(client, planned.plan, on_event=on_event)
        except KeyboardInterrupt:
            session.interrupt()  # the other threads of a split export stop too
            raise
    summary = outcome.summary()
    windows = summary.get("windows") or []
    ids = tuple(w["export_id"] for w in windows if w.get("export_id")) if windows else (outcome.export_id,)
    download = outcome.download
    # The summary's, not the download's: a typed output names its file (or none, for --into alone).
    output = summary.get("output")
    return ExportResult(
        export_ids=ids,
        output=None if output is None else output if output == "-" or "://" in output else Path(output),
        rows=None if download is None else download.rows,
        bytes=summary.get("bytes"),
        sha256=summary.get("sha256"),
        seconds=outcome.seconds,
        api_calls=outcome.calls,
        summary=summary,
    )


def _text(value: str | Path | None) -> str | None:
    return None if value is None else str(value)


def _build(
    command: str, flags: RequestFlags, config: str | Path | None, api_filters: Mapping[str, Any] | None
) -> tuple[ExportRequest, RunOptions]:
    from exportctl.request.build import build_request
    from exportctl.request.configfile import LoadedConfig, load_config
    from exportctl.schema import BY_COMMAND

    loaded: dict[str, Any] | None = load_config(config) if config is not None else None
    if api_filters is not None:
        # The API's filter object has no flag form; it replaces the file's filters, as --fields replaces fields.
        base = loaded if loaded is not None else {}
        raw = base.get("parameters")
        if raw is not None and not isinstance(raw, Mapping):
            return build_request(
                BY_COMMAND[command], flags, loaded, config_path=str(config)
            )  # reports the file's error
        parameters = dict(raw or {})
        parameters["filters"] = dict(api_filters)
        loaded = LoadedConfig(
            {**base, "parameters": parameters}, getattr(base, "path", None), getattr(base, "lines", {})
        )
    return build_request(BY_COMMAND[command], flags, loaded, config_path=None if config is None else str(config))
