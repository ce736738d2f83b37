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

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from exportctl.engine.result import ExportResult
from exportctl.events import EventHandler, ignore_event
from exportctl.jobs.plan import Plan
from exportctl.request.export_options import ExportOptions
from exportctl.request.model import ExportRequest, RunOptions
from exportctl.request.option_keys import RequestFlags, flag_options
from exportctl.settings import Settings

if TYPE_CHECKING:
    from typing_extensions import Unpack


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

    def to_dict(self) -> dict[str, Any]:
        """The document `exportctl OBJECT --dry-run --json` prints for the same options."""
        from exportctl.jobs.plan import dry_run_document

        return dry_run_document(self.plan)

    def to_json(self) -> str:
        """That document as JSON text, as `--dry-run --json` prints it."""
        import json

        return json.dumps(self.to_dict())


def plan(name: str, **options: Unpack[ExportOptions]) -> PlannedExport:
    """Validate a request and its target offline, like the CLI before it sends anything.

    The keywords are the CLI's options (`since_last` is `--since-last STATE`, `config` is `-c FILE`,
    `into` is `--into "duckdb:PATH[#TABLE]"`).
    Raises `exportctl.UsageError` (or another `ExportctlError`) with the CLI's message.
    """
    from exportctl.jobs import plan as planning
    from exportctl.request.keywords import check_name, check_plan_keywords
    from exportctl.schema import lookup

    # Each keyword's type and range is checked, named by the keyword, before anything reads it.
    checked = check_plan_keywords(options)
    obj = lookup(check_name(name))
    filters = checked.get("filters")
    api_filters = filters if isinstance(filters, Mapping) else None
    request, run_options = _build(obj.command, _flags(checked), checked.get("config"), api_filters)
    planned = planning.plan(request, run_options, now=checked.get("now"))
    # The requests the run sends and --dry-run prints: with the window of --since/--until, of each split
    # window, or of an incremental run started now (from the state file's watermark), computed by plan().
    sent = planned.requests
    return PlannedExport(
        object=obj.command,
        requests=tuple((r.endpoint, r.body) for r in sent),
        target=planned.known_target,
        options=planned.options,
        plan=planned,
        windows=tuple(None if r.window is None else r.window.to_json() for r in sent),
    )


def _plan_signature() -> inspect.Signature:
    from exportctl.request.option_docs import keyword_signature

    name = inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation="str")
    return keyword_signature(name).replace(return_annotation="PlannedExport")


# What `help(exportctl.plan)` and an editor show: every keyword of the option table, by name.
plan.__signature__ = _plan_signature()  # type: ignore[attr-defined]


def export(
    name: str,
    *,
    settings: Settings | None = None,
    on_event: EventHandler = ignore_event,
    **options: Unpack[ExportOptions],
) -> ExportResult:
    """Export the object `name` (voucher, order, ...) as CSV: validate, submit, wait, download.

    The keywords are `plan`'s.

    `settings` default to `Settings.from_environment()` (VOUCHERIFY_APP_ID, VOUCHERIFY_APP_TOKEN, the
    profile file). `on_event` receives every `exportctl.events` event (status changes, retries, progress).
    """
    from exportctl.engine.result import from_outcome
    from exportctl.engine.session import open_session
    from exportctl.jobs.execute import execute
    from exportctl.request.keywords import check_export_keywords

    check_export_keywords(settings, on_event, options)
    planned = plan(name, **options)
    # The session every door opens: the settings, EXPORTCTL_READ_TIMEOUT, one rate budget, one stop event.
    session = open_session(settings)
    with session.client(on_event) as client:
        try:
            outcome = execute(client, planned.plan, on_event=on_event)
        except KeyboardInterrupt:
            session.interrupt()  # the other threads of a split export stop too
            raise
    return from_outcome(outcome, planned.object)


def _flags(checked: Mapping[str, Any]) -> RequestFlags:
    """The checked keywords as RequestFlags, by each option's kind: paths as text, lists as lists."""
    given: dict[str, Any] = {}
    for option in flag_options():
        value = checked.get(option.name)
        if value is None or (option.kind == "filters" and isinstance(value, Mapping)):
            continue  # the API's filter object has no flag form: `_build` puts it in the file's place
        if option.kind == "path":
            value = str(value)
        elif option.kind in ("texts", "filters"):
            value = list(value)
        given[option.name] = value
    return RequestFlags(**given)


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
