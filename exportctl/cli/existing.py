"""Commands on existing exports: list, status, wait, download, delete."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from exportctl.cli import json_contract, options
from exportctl.cli.app_state import app_state
from exportctl.cli.console import print_info
from exportctl.cli.tables import OutputFormat, Rows, choose_format
from exportctl.errors import UsageError
from exportctl.jobs.listing import MAX_LIST_PAGES
from exportctl.schema import API_OBJECTS, EXPORT_STATUSES, LIST_ORDERS

if TYPE_CHECKING:
    from exportctl.cli.connect import Session
    from exportctl.jobs.download import DownloadResult


def _command_for(export: dict[str, Any]) -> str:
    from exportctl.jobs.existing import command_for

    return command_for(export)


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
    from exportctl.jobs.existing import list_matching, list_query
    from exportctl.jobs.listing import PAGE_SIZE_FOLLOWING

    started = time.monotonic()
    fmt = choose_format(output_format, json_flag=json_output)
    document = json_contract.begin(ctx, "list") if fmt == "json" else None
    given = ctx.get_parameter_source("limit")
    query = list_query(
        limit=None if given is None or given.name == "DEFAULT" else limit,
        page=page,
        order=order,
        statuses=status_filter,
        objects=object_filter,
        since=since,
        follow=follow,
    )
    limit, matching = query.limit, query.matching
    from exportctl.cli.connect import open_session

    with open_session(ctx, quiet=True) as session:
        listing = list_matching(session.client, query)
        calls = session.client.calls
    if document is not None:
        from exportctl.engine.existing_result import listed

        # What exportctl.list_exports() returns.
        json_contract.emit(ctx, listed(listing, matching.to_json(), calls, time.monotonic() - started).to_dict())
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
    from exportctl.cli.connect import open_session
    from exportctl.masking import mask_url, printable

    started = time.monotonic()
    document = json_contract.begin(ctx, "status", export_id=export_id) if json_output else None
    with open_session(ctx, quiet=True) as session:
        export = session.client.get_export(export_id)
        calls = session.client.calls
    if document is not None:
        from exportctl.engine.existing_result import WaitResult

        fields = _export_fields(export)
        seconds = time.monotonic() - started
        seen = WaitResult(export_id, **fields, export=export, api_calls=calls, seconds=seconds, command="status")
        json_contract.emit(ctx, seen.to_dict())
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
    from exportctl.cli.connect import open_session
    from exportctl.engine.existing_result import WaitResult
    from exportctl.jobs.existing import wait_for
    from exportctl.request.durations import check_timeout, parse_duration

    started = time.monotonic()
    document = json_contract.begin(ctx, "wait", export_id=export_id) if json_output else None
    seconds = check_timeout(parse_duration(timeout, "--timeout"), "--timeout") if timeout is not None else None
    with open_session(ctx) as session:
        on_event = session.reporter if document is None else json_contract.tracking(document, session.reporter)
        try:
            export = wait_for(session.client, export_id, timeout=seconds, on_event=on_event)
        finally:
            if document is not None:
                document["api_calls"] = session.client.calls
        calls = session.client.calls
    if document is not None:
        done = WaitResult(
            export_id,
            export.get("exported_object"),
            export.get("status"),
            export,
            api_calls=calls,
            seconds=time.monotonic() - started,
        )
        json_contract.emit(ctx, done.to_dict())  # what exportctl.wait() returns
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
    from exportctl.cli.connect import open_session

    document = json_contract.begin(ctx, "download", export_id=export_id) if json_output else None
    if document is not None and output == "-":
        raise UsageError(
            "--json and -o - both write to standard output: the JSON would end up after the last CSV row.",
            hint=f"Write the CSV to a file (exportctl download {export_id} -o FILE.csv --json), or drop --json.",
        )
    started = time.monotonic()
    with open_session(ctx) as session:
        try:
            export, saved = _download(ctx, session, export_id, output, output_dir, force, document)
        finally:
            if document is not None:
                document["api_calls"] = session.client.calls
        calls = session.client.calls
    if document is not None:
        from exportctl.engine.result import downloaded

        result = downloaded(export, saved, export_id=export_id, api_calls=calls, seconds=time.monotonic() - started)
        json_contract.emit(ctx, result.to_dict())  # what exportctl.download() returns


def _download(
    ctx: typer.Context,
    session: Session,
    export_id: str,
    output: str | None,
    output_dir: str | None,
    force: bool | None,
    document: dict[str, Any] | None,
) -> tuple[dict[str, Any], DownloadResult]:
    from exportctl.jobs.existing import download_done, get_export, require_done

    export = get_export(session.client, export_id)
    if document is not None:
        document |= _export_fields(export)
    require_done(export, export_id)
    result = download_done(
        session.client,
        export,
        export_id,
        output=output,
        output_dir=output_dir,
        force=bool(force),
        on_event=session.reporter,
    )
    if not app_state(ctx).quiet:
        from exportctl.cli.connect import say_if_empty

        say_if_empty(session, result.rows)
    return export, result


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

    from exportctl.cli.connect import open_session
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
