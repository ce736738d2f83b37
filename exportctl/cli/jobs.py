"""Commands on existing exports: list, status, wait, download, delete."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any

import typer

from exportctl.cli import json_contract, options
from exportctl.cli.console import print_info
from exportctl.cli.state import app_state
from exportctl.cli.tables import OutputFormat, Rows, choose_format
from exportctl.errors import UsageError, ValidationError
from exportctl.jobs.listing import MAX_LIST_PAGES
from exportctl.schema import API_OBJECTS, EXPORT_STATUSES, LIST_ORDERS
from exportctl.suggest import closest

if TYPE_CHECKING:
    from exportctl.cli.session import Session


# The longest object name kept in a default file name; the API's own are under 25 characters.
MAX_OBJECT_IN_NAME = 40


def _command_for(export: dict[str, Any]) -> str:
    """The name of an export's object in file names: its subcommand (voucher_transactions -> voucher-transactions).

    Any other `exported_object` (one made in the dashboard that this version does not know, `api_log`, or a
    hostile `x../../evil`) keeps its ASCII letters and digits, each other run of characters becomes one `-`:
    a single safe file-name component, never `.` or `..`, at most MAX_OBJECT_IN_NAME characters; `export`
    when nothing is left.
    """
    import re

    obj = export.get("exported_object")
    if not isinstance(obj, str):
        return "export"
    known = API_OBJECTS.get(obj)
    if known is not None:
        return known.command
    safe = re.sub(r"[^A-Za-z0-9]+", "-", obj)[:MAX_OBJECT_IN_NAME].strip("-")
    return safe or "export"


def _export_fields(export: dict[str, Any]) -> dict[str, Any]:
    """The contract's keys that an API export object answers."""
    return {"exported_object": export.get("exported_object"), "status": export.get("status")}


def list_exports(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many exports per page (1-100).")] = 10,
    page: Annotated[
        int | None, typer.Option(min=1, max=MAX_LIST_PAGES, help="Which page, 1-100 (not with --all).")
    ] = None,
    order: Annotated[str | None, typer.Option(help=f"Sort order: {', '.join(LIST_ORDERS)}.", metavar="ORDER")] = None,
    status_filter: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            help=f"Only exports in these statuses, comma-separated or repeated: {', '.join(EXPORT_STATUSES)}.",
            metavar="STATUS,...",
            show_default=False,
        ),
    ] = None,
    object_filter: Annotated[
        list[str] | None,
        typer.Option(
            "--object",
            help="Only exports of these objects (voucher, order, voucher-transactions...), comma-separated.",
            metavar="OBJECT,...",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only exports created at or after this: 2024-06-01, 2024-06-01T10:00:00Z, -7d, today.", metavar="WHEN"
        ),
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--all",
            help=f"Read every page (100 exports each unless --limit says; at most {MAX_LIST_PAGES} pages).",
        ),
    ] = False,
    json_output: options.JsonOutput = False,
    output_format: OutputFormat = None,
) -> None:
    """List exports, newest first unless --order says otherwise. Off a terminal: tab-separated rows.

    The filters apply to the pages read: one page (--page, --limit), or every page with --all.
    Example: exportctl list --all --status ERROR --since -7d
    """
    from exportctl.jobs.listing import (
        PAGE_SIZE_FOLLOWING,
        ExportFilter,
        list_exports,
        parse_objects,
        parse_statuses,
    )
    from exportctl.request.windows import parse_instant

    fmt = choose_format(output_format, json_flag=json_output)
    document = json_contract.begin(ctx, "list") if fmt == "json" else None
    if order is not None and order not in LIST_ORDERS:
        raise ValidationError(f"Unknown order '{order}'.", valid=LIST_ORDERS, suggestion=closest(order, LIST_ORDERS))
    if follow and page is not None:
        raise UsageError(
            "--page picks one page of the list, and --all reads every page: give one of them.",
            hint="exportctl list --all (every page), or exportctl list --page 2",
        )
    matching = ExportFilter(
        statuses=parse_statuses(status_filter),
        objects=parse_objects(object_filter),
        since=parse_instant(since, "--since") if since is not None else None,
    )
    given = ctx.get_parameter_source("limit")
    if follow and (given is None or given.name == "DEFAULT"):
        limit = PAGE_SIZE_FOLLOWING
    from exportctl.cli.session import open_session

    with open_session(ctx, quiet=True) as session:
        listing = list_exports(
            session.client, limit=limit, page=page or 1, order=order, follow=follow, matching=matching
        )
        calls = session.client.calls
    if document is not None:
        document |= {
            "api_calls": calls,
            "rows": len(listing.exports),
            "total": listing.total,
            "exports": listing.exports,
            "pages": listing.pages,
            "truncated": listing.truncated,
            "filters": matching.to_json(),
        }
        json_contract.emit(ctx, document)
        return
    from rich.markup import escape

    from exportctl.masking import printable

    found = len(listing.exports)
    total = listing.total if listing.total is not None else listing.read
    if follow:
        heading = f"Exports: {found} of {total}" + (f" matching, {listing.pages} pages read" if matching.active else "")
    else:
        heading = f"Exports: page {page or 1}, {found} of {total}" + (" matching" if matching.active else "")
    # The title is read as markup by rich, and `total` is the server's.
    table = Rows(
        ("id", "object", "status", "created", "channel"),
        title=escape(printable(heading)),
        whole=("id", "created"),
        drop=("created", "status"),
        optional=("channel",),
    )
    for export in listing.exports:
        table.add(*(export.get(key) for key in ("id", "exported_object", "status", "created_at", "channel")))
    table.print(fmt)
    if app_state(ctx).quiet:
        return
    if listing.truncated:
        from exportctl.cli.console import print_warning

        bigger = "" if limit >= PAGE_SIZE_FOLLOWING else f", without --limit (pages of {PAGE_SIZE_FOLLOWING})"
        print_warning(
            f"Stopped after {listing.pages} pages ({listing.read} exports read of {total}): the API lists at most "
            f"{MAX_LIST_PAGES} pages. Narrow the list with --since or --status{bigger}."
        )
    elif matching.active and listing.more:
        print_info(f"The filters were applied to page {page or 1} only; add --all to search every page.")


def status(ctx: typer.Context, export_id: options.ExportId, json_output: options.JsonOutput = False) -> None:
    """Show one export: its object, status, parameters and (when DONE) that it can be downloaded."""
    from exportctl.cli.session import open_session
    from exportctl.masking import mask_url, printable

    document = json_contract.begin(ctx, "status", export_id=export_id) if json_output else None
    with open_session(ctx, quiet=True) as session:
        export = session.client.get_export(export_id)
        calls = session.client.calls
    if document is not None:
        json_contract.emit(ctx, document | _export_fields(export) | {"api_calls": calls, "export": export})
        return
    lines = [
        f"{export.get('id')}  {export.get('exported_object')}  {export.get('status')}",
        f"created: {export.get('created_at')}  channel: {export.get('channel')}",
        f"parameters: {json.dumps(export.get('parameters') or {})}",
    ]
    result = export.get("result")
    if isinstance(result, dict) and result.get("url"):
        lines.append(f"file: {mask_url(str(result['url']))}  (exportctl download {export_id})")
    if export.get("exported_object") not in API_OBJECTS:
        # Made in the dashboard, or an object newer than this version: its CSV downloads all the same.
        lines.append(
            f"note: this version of exportctl has no command for this object; `exportctl download {export_id}` "
            f"saves its CSV as it is ({_command_for(export)}-{export_id}.csv)."
        )
    for line in lines:
        typer.echo(printable(line))


def wait(
    ctx: typer.Context,
    export_id: options.ExportId,
    timeout: options.Timeout = None,
    json_output: options.JsonOutput = False,
) -> None:
    """Wait until an export is DONE (exit 0) or ERROR (exit 5), or --timeout passes (exit 6)."""
    from exportctl.cli.session import open_session
    from exportctl.files.poll_history import PollHistory
    from exportctl.jobs import poll
    from exportctl.request.durations import check_timeout, parse_duration

    document = json_contract.begin(ctx, "wait", export_id=export_id) if json_output else None
    seconds = check_timeout(parse_duration(timeout, "--timeout"), "--timeout") if timeout is not None else None
    with open_session(ctx) as session:
        on_event = session.reporter if document is None else json_contract.tracking(document, session.reporter)
        history = PollHistory.default()
        try:
            export = poll.poll_until_done(
                session.client,
                export_id,
                timeout=seconds,
                on_event=on_event,
                submitted=False,
                history=history,
                first_interval=session.client.settings.poll_interval,
            )
        finally:
            history.save()
            if document is not None:
                document["api_calls"] = session.client.calls
    if document is not None:
        json_contract.emit(ctx, document | _export_fields(export) | {"export": export})
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

    document = json_contract.begin(ctx, "download", export_id=export_id) if json_output else None
    if document is not None and output == "-":
        raise UsageError(
            "--json and -o - both write to standard output: the JSON would end up after the last CSV row.",
            hint=f"Write the CSV to a file (exportctl download {export_id} -o FILE.csv --json), or drop --json.",
        )
    with open_session(ctx) as session:
        try:
            _download(ctx, session, export_id, output, output_dir, force, document)
        finally:
            if document is not None:
                document["api_calls"] = session.client.calls
    if document is not None:
        json_contract.emit(ctx, document)


def _download(
    ctx: typer.Context,
    session: Session,
    export_id: str,
    output: str | None,
    output_dir: str | None,
    force: bool | None,
    document: dict[str, Any] | None,
) -> None:
    from exportctl.files.targets import resolve_target
    from exportctl.jobs import download

    export = session.client.get_export(export_id)
    if document is not None:
        document |= _export_fields(export)
    if export.get("status") != "DONE":
        raise UsageError(
            f"{export_id} is {export.get('status')}, not DONE: there is nothing to download yet.",
            hint=f"Wait for it with: exportctl wait {export_id}",
        )
    from exportctl.jobs.remote_output import destination_of, download_to_bucket

    bucket = destination_of(output, output_dir)
    if bucket is not None:  # into a bucket: saved in a private directory, then uploaded
        result, saved = download_to_bucket(
            session.client, export, bucket, _command_for(export), force=bool(force), on_event=session.reporter
        )
    else:
        target = resolve_target(
            output,
            command=_command_for(export),
            export_id=export_id,
            output_dir=output_dir,
            now=datetime.now(timezone.utc),
        )
        result = download.download_export(session.client, export, target, on_event=session.reporter, force=bool(force))
        saved = str(result.target)
    if not app_state(ctx).quiet:
        from exportctl.cli.session import say_if_empty

        say_if_empty(session, result.rows)
    if document is not None:
        document |= {"output": saved, "bytes": result.bytes, "rows": result.rows}
        document["sha256"] = result.sha256


def delete(
    ctx: typer.Context,
    export_ids: Annotated[
        list[str], typer.Argument(help="The export ids (exp_...).", metavar="EXPORT_ID...", show_default=False)
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking (for scripts).")] = False,
    json_output: options.JsonOutput = False,
) -> None:
    """Delete exports and their files on the server, after a yes at the terminal (or with --yes).

    Without a terminal and without --yes nothing is deleted (exit 2). An id the API refuses (not found)
    does not stop the others; the exit status is then that refusal's.
    Example: exportctl delete exp_1 exp_2 --yes
    """
    import sys

    from exportctl.cli.session import open_session
    from exportctl.errors import ApiError

    ids = list(dict.fromkeys(export_ids))
    document = json_contract.begin(ctx, "delete", export_id=ids[0] if len(ids) == 1 else None) if json_output else None
    if not yes:
        shown = ", ".join(ids) if len(ids) <= 5 else f"{', '.join(ids[:5])} and {len(ids) - 5} more"
        what = "1 export" if len(ids) == 1 else f"{len(ids)} exports"
        if sys.stdin is None or not sys.stdin.isatty():
            raise UsageError(
                f"exportctl delete asks before deleting, and standard input is not a terminal; "
                f"nothing was deleted ({what}: {shown}).",
                hint=f"In a script, confirm with --yes: exportctl delete {' '.join(ids)} --yes",
            )
        if not typer.confirm(f"Delete {what} and their files on the server ({shown})?", default=False, err=True):
            print_info("Nothing was deleted.")
            if document is not None:
                document |= {"exit_code": 1, "error": "Nothing was deleted: the answer was no.", "deleted": False}
                json_contract.emit(ctx, document)
            raise typer.Exit(1)
    results: list[dict[str, Any]] = []
    failures: list[tuple[str, ApiError]] = []
    with open_session(ctx, quiet=True) as session:
        try:
            for export_id in ids:
                try:
                    session.client.delete_export(export_id)
                except ApiError as refused:  # this id only (not found, ...): the others are still deleted
                    failures.append((export_id, refused))
                    results.append({"id": export_id, "deleted": False, "error": refused.message})
                    continue
                results.append({"id": export_id, "deleted": True, "error": None})
                if document is None and not app_state(ctx).quiet:
                    print_info(f"Deleted {export_id}.")
        finally:
            if document is not None:
                document |= {"api_calls": session.client.calls, "deleted": not failures, "exports": results}
    if failures:
        first_id, first = failures[0]
        if len(ids) > 1:
            done = len(ids) - len(failures)
            first.message = f"Deleted {done} of {len(ids)} exports; {first_id}: {first.message}"
            first.args = (first.message,)
        raise first
    if document is not None:
        json_contract.emit(ctx, document)
