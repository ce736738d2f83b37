"""Commands on existing exports: list, status, wait, download, delete."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Annotated, Any

import typer

from exportctl.cli import options
from exportctl.cli.console import print_info, write_json
from exportctl.cli.state import app_state
from exportctl.errors import UsageError, ValidationError
from exportctl.schema import LIST_ORDERS
from exportctl.suggest import closest


def _command_for(export: dict[str, Any]) -> str:
    """The subcommand name of an export, for file names: voucher_transactions -> voucher-transactions."""
    return str(export.get("exported_object", "export")).replace("_", "-")


def list_exports(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many exports per page (1-100).")] = 10,
    page: Annotated[int, typer.Option(min=1, help="Which page, from 1.")] = 1,
    order: Annotated[str | None, typer.Option(help=f"Sort order: {', '.join(LIST_ORDERS)}.", metavar="ORDER")] = None,
    json_output: options.JsonOutput = False,
) -> None:
    """List exports, newest first unless --order says otherwise."""
    if order is not None and order not in LIST_ORDERS:
        raise ValidationError(f"Unknown order '{order}'.", valid=LIST_ORDERS, suggestion=closest(order, LIST_ORDERS))
    from exportctl.cli.session import open_session

    with open_session(ctx, quiet=True) as session:
        answer = session.client.list_exports(limit=limit, page=page, order=order)
    if json_output:
        write_json(json.dumps(answer))
        return
    from rich.table import Table

    from exportctl.cli.console import out_console

    exports = answer.get("exports", [])
    table = Table(
        title=f"Exports: page {page}, {len(exports)} of {answer.get('total', len(exports))}", title_justify="left"
    )
    for column in ("id", "object", "status", "created", "channel"):
        table.add_column(column, no_wrap=column == "id")
    for export in exports:
        table.add_row(
            str(export.get("id")),
            str(export.get("exported_object")),
            str(export.get("status")),
            str(export.get("created_at")),
            str(export.get("channel")),
        )
    out_console().print(table)


def status(ctx: typer.Context, export_id: options.ExportId, json_output: options.JsonOutput = False) -> None:
    """Show one export: its object, status, parameters and (when DONE) that it can be downloaded."""
    from exportctl.cli.session import open_session
    from exportctl.masking import mask_url

    with open_session(ctx, quiet=True) as session:
        export = session.client.get_export(export_id)
    if json_output:
        write_json(json.dumps(export))
        return
    typer.echo(f"{export.get('id')}  {export.get('exported_object')}  {export.get('status')}")
    typer.echo(f"created: {export.get('created_at')}  channel: {export.get('channel')}")
    typer.echo(f"parameters: {json.dumps(export.get('parameters') or {})}")
    result = export.get("result") or {}
    if result.get("url"):
        typer.echo(f"file: {mask_url(str(result['url']))}  (exportctl download {export_id})")


def wait(
    ctx: typer.Context,
    export_id: options.ExportId,
    timeout: options.Timeout = None,
    json_output: options.JsonOutput = False,
) -> None:
    """Wait until an export is DONE (exit 0) or ERROR (exit 5), or --timeout passes (exit 6)."""
    from exportctl.cli.session import open_session
    from exportctl.jobs import poll
    from exportctl.request.durations import parse_duration

    seconds = parse_duration(timeout, "--timeout") if timeout is not None else None
    with open_session(ctx) as session:
        export = poll.poll_until_done(
            session.client, export_id, timeout=seconds, on_event=session.reporter, submitted=False
        )
    if json_output:
        write_json(json.dumps(export))
    elif not app_state(ctx).quiet:
        print_info(f"{export_id} is DONE. Download it with: exportctl download {export_id}")


def download(
    ctx: typer.Context,
    export_id: options.ExportId,
    output: options.Output = None,
    output_dir: options.OutputDir = None,
    force: options.Force = None,
    json_output: options.JsonOutput = False,
) -> None:
    """Download the CSV of a DONE export (resuming an interrupted download where the server allows)."""
    from exportctl.cli.session import open_session
    from exportctl.files.targets import resolve_target
    from exportctl.jobs import download

    started = time.monotonic()
    with open_session(ctx) as session:
        export = session.client.get_export(export_id)
        if export.get("status") != "DONE":
            raise UsageError(
                f"{export_id} is {export.get('status')}, not DONE: there is nothing to download yet.",
                hint=f"Wait for it with: exportctl wait {export_id}",
            )
        target = resolve_target(
            output,
            command=_command_for(export),
            export_id=export_id,
            output_dir=output_dir,
            now=datetime.now(timezone.utc),
        )
        result = download.download_export(session.client, export, target, on_event=session.reporter, force=bool(force))
        summary = {
            "id": export_id,
            "exported_object": export.get("exported_object"),
            "status": export.get("status"),
            "output": str(result.target),
            "bytes": result.bytes,
            "rows": result.rows,
            "sha256": result.sha256,
            "seconds": round(time.monotonic() - started, 3),
            "api_calls": session.client.calls,
        }
    if json_output:
        write_json(json.dumps(summary))


def delete(ctx: typer.Context, export_id: options.ExportId, json_output: options.JsonOutput = False) -> None:
    """Delete an export and its file on the server."""
    from exportctl.cli.session import open_session

    with open_session(ctx, quiet=True) as session:
        session.client.delete_export(export_id)
    if json_output:
        write_json(json.dumps({"id": export_id, "deleted": True}))
    elif not app_state(ctx).quiet:
        print_info(f"Deleted {export_id}.")
