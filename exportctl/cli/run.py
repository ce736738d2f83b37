"""The body shared by every export subcommand: flags -> ExportRequest -> job -> summary."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import typer

from exportctl.cli.console import print_info, write_json
from exportctl.cli.state import app_state
from exportctl.schema import ExportObject


def _flags(values: dict[str, Any]) -> Any:
    from exportctl.request import RequestFlags

    return RequestFlags(
        fields=list(values.get("fields") or []),
        order=values.get("order"),
        filters=list(values.get("filters") or []),
        junction=values.get("junction"),
        voucher=values.get("voucher"),
        campaign=values.get("campaign"),
        output=values.get("output"),
        output_dir=values.get("output_dir"),
        force=values.get("force"),
        wait=values.get("wait"),
        timeout=values.get("timeout"),
    )


def run_export_command(ctx: typer.Context, obj: ExportObject, values: dict[str, Any]) -> None:
    """Validate everything offline, then submit, wait, download and report."""
    from exportctl.request import build_request, load_config

    config_path: Path | None = values.get("config")
    config = load_config(config_path) if config_path is not None else None
    request, options = build_request(obj, _flags(values), config, config_path=str(config_path) if config_path else None)
    if values.get("dry_run"):
        print_info(f"POST {request.endpoint()}")
        write_json(json.dumps(request.body(), indent=2))
        return

    from exportctl import job
    from exportctl.cli.session import open_session
    from exportctl.output import preflight_target, resolve_target

    started = time.monotonic()
    now = datetime.now(timezone.utc)
    target = preflight_target(
        options.output, command=obj.command, output_dir=options.output_dir, now=now, force=options.force
    )
    json_output: bool = values.get("json_output", False)
    state = app_state(ctx)
    with open_session(ctx) as session:
        export = job.submit(session.client, request, session.reporter)
        export_id = export["id"]
        summary: dict[str, Any] = {"id": export_id, "object": obj.command, "exported_object": obj.exported_object}
        if not options.wait:
            summary.update(status=export.get("status"), api_calls=session.client.calls)
            _finish(summary, json_output, plain=export_id)
            if not state.quiet and not json_output:
                print_info(f"Follow it with: exportctl wait {export_id}")
            return
        export = job.poll_until_done(session.client, export_id, timeout=options.timeout, on_event=session.reporter)
        if target is None:
            target = resolve_target(
                options.output, command=obj.command, export_id=export_id, output_dir=options.output_dir, now=now
            )
        result = job.download_export(session.client, export, target, on_event=session.reporter, force=options.force)
        summary.update(
            status=export["status"],
            output=str(result.target),
            bytes=result.bytes,
            rows=result.rows,
            sha256=result.sha256,
            seconds=round(time.monotonic() - started, 3),
            api_calls=session.client.calls,
        )
    _finish(summary, json_output, plain=None)


def _finish(summary: dict[str, Any], json_output: bool, *, plain: str | None) -> None:
    if json_output:
        write_json(json.dumps(summary))
    elif plain is not None:
        typer.echo(plain)
