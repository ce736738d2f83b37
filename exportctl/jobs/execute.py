"""Run a plan (`jobs/plan.py`) against the API: submit what it planned, wait, download, post-step.

The requests are the plan's: the windows of a split, of `--since`/`--until` and of an incremental run were
computed by `plan` and printed by the dry run; nothing here computes another one. An incremental run takes
the state file's lock and checks that the watermark is still the one the plan read (another run may have
moved it in between): it then runs the planned window and moves the watermark to the plan's `now`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from exportctl.errors import LockedError, UsageError
from exportctl.files.targets import Target
from exportctl.jobs.plan import Plan
from exportctl.request.values import iso_ms

if TYPE_CHECKING:
    # job and client import requests: keep them out of the modules a dry run imports.
    from exportctl.client.api import ApiClient
    from exportctl.events import EventHandler
    from exportctl.jobs.single import ExportOutcome


def execute(client: ApiClient, planned: Plan, *, on_event: EventHandler | None = None) -> ExportOutcome:
    """Submit, wait (unless the plan says not to) and download; incremental runs hold the state's lock.

    `on_event` gets every event; None ignores them.
    """
    if on_event is None:
        from exportctl.events import ignore_event

        on_event = ignore_event
    if planned.options.incremental is not None:
        return _execute_incremental(client, planned, on_event)
    return _run_planned(client, planned, on_event)


def _run_planned(client: ApiClient, planned: Plan, on_event: EventHandler) -> ExportOutcome:
    """The plan's requests: one export, or one per split window, joined; `planned.span` is what they cover.

    A typed output (`--format jsonl|parquet`, `--into`) downloads to a staging file and runs its one
    post-step on the complete CSV (`jobs.typed_output`).
    """
    from exportctl.jobs import remote_output

    if remote_output.destination(planned.options) is not None:  # into a bucket: the saved file is uploaded last
        return remote_output.run_remote(client, planned, lambda p: _run_planned(client, p, on_event), on_event)
    from dataclasses import replace  # the outcome is a dataclass; a dry run needs neither

    from exportctl.errors import ExportctlError
    from exportctl.files.csv_header import header_rewriter
    from exportctl.files.csv_rows import keep_rows
    from exportctl.jobs import single, typed_output
    from exportctl.request.windows import require_created_filter

    request, options = planned.request, planned.options
    header = header_rewriter(request.obj, request.fields, options.headers)
    # The endpoints that export every kind of transaction: keep the rows of the kind asked for.
    kept = request.kept_types()
    rows = None if kept is None else keep_rows((request.obj.title_of("type"), "type"), kept)
    window = planned.span
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
        end = window.end or planned.now
        windows = list(planned.windows)  # the plan's, as the dry run printed them
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

    (sent,) = planned.requests  # one export: the request the plan made (narrowed to its window, if any)
    request = sent.request or request
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

    from exportctl.jobs.watermarks import StateLock, WatermarkStore, rerun_hint, run_key, state_place
    from exportctl.warehouse.watermark import pending_watermark as pending
    from exportctl.warehouse.watermark import stored

    options = planned.options
    assert options.incremental is not None
    state = state_place(options.incremental)
    key = run_key(planned.request, options)  # KEY@updated_at for --cursor updated_at
    with StateLock(state):
        store = WatermarkStore(state)
        previous = stored(options.into, key, store.read(key, options.cursor).at)
        if previous != planned.watermark:
            raise LockedError(
                f"Another run moved the watermark of {key} in {state} to "
                f"{iso_ms(previous) if previous is not None else 'none'} after this run was planned (from "
                f"{iso_ms(planned.watermark) if planned.watermark is not None else 'none'}); nothing was submitted.",
                hint="Run the same command again: it exports from the new watermark.",
            )
        start = planned.span.start
        # A load into a server writes the new watermark in its own transaction (warehouse/watermark.py).
        with rerun_hint(state, iso_ms(start) if start is not None else None), pending(options.into, key, planned.now):
            outcome = _run_planned(client, planned, on_event)
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
