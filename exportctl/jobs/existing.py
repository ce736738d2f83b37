"""Exports that already exist on the server: wait for one, download one, list them.

What `exportctl wait`, `exportctl download` and `exportctl list` do, and `exportctl.wait()`,
`exportctl.download()` and `exportctl.list_exports()` too: the CLI and the library both call these, on a
client of the one session (engine/session.py). Nothing prints; progress goes to `on_event`. Every error
after the export id is known carries it (`ExportctlError.export_id`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from exportctl.errors import ExportctlError, UsageError, ValidationError
from exportctl.events import EventHandler, ignore_event
from exportctl.schema import API_OBJECTS

if TYPE_CHECKING:
    from exportctl.client.api import ApiClient
    from exportctl.jobs.download import DownloadResult
    from exportctl.jobs.listing import ExportFilter, Listing

# The longest object name kept in a default file name; the API's own are under 25 characters.
MAX_OBJECT_IN_NAME = 40
DEFAULT_PAGE_SIZE = 10  # exports a page of `list` shows unless told


def command_for(export: dict[str, Any]) -> str:
    """The name of an export's object in file names: its subcommand (voucher_transactions -> voucher-transactions).

    Any other `exported_object` (one made in the dashboard that this version does not know, `api_log`, or a
    hostile `x../../evil`) keeps its ASCII letters and digits, each other run of characters becomes one `-`:
    a single safe file-name component, never `.` or `..`, at most MAX_OBJECT_IN_NAME characters; `export`
    when nothing is left.
    """
    obj = export.get("exported_object")
    if not isinstance(obj, str):
        return "export"
    known = API_OBJECTS.get(obj)
    if known is not None:
        return known.command
    safe = re.sub(r"[^A-Za-z0-9]+", "-", obj)[:MAX_OBJECT_IN_NAME].strip("-")
    return safe or "export"


def _naming(export_id: str) -> Callable[[ExportctlError], None]:
    def name(exc: ExportctlError) -> None:
        if exc.export_id is None:
            exc.export_id = export_id

    return name


def wait_for(
    client: ApiClient, export_id: str, *, timeout: float | None = None, on_event: EventHandler = ignore_event
) -> dict[str, Any]:
    """Poll the export until DONE (its API object) or ERROR (ExportFailedError), or `timeout` seconds pass
    (WaitTimeoutError); the polls learn from, and teach, the state directory's poll history."""
    from exportctl.files.poll_history import PollHistory
    from exportctl.jobs import poll

    history = PollHistory.default()
    try:
        return poll.poll_until_done(
            client,
            export_id,
            timeout=timeout,
            on_event=on_event,
            submitted=False,
            history=history,
            first_interval=client.settings.poll_interval,
        )
    except ExportctlError as exc:
        _naming(export_id)(exc)
        raise
    finally:
        history.save()


def require_done(export: dict[str, Any], export_id: str) -> None:
    """UsageError unless the export is DONE: before that there is no file to download."""
    if export.get("status") != "DONE":
        raise UsageError(
            f"{export_id} is {export.get('status')}, not DONE: there is nothing to download yet.",
            hint=f"Wait for it with: exportctl wait {export_id}",
            export_id=export_id,
        )


def download_done(
    client: ApiClient,
    export: dict[str, Any],
    export_id: str,
    *,
    output: str | None = None,
    output_dir: str | None = None,
    force: bool = False,
    on_event: EventHandler = ignore_event,
) -> DownloadResult:
    """Save the CSV of a DONE export (`require_done`) at `output` (a path, a template, `-`), by default
    `{object}-{id}.csv` in `output_dir` or the working directory; resumes a download left unfinished."""
    from exportctl.files.targets import check_target, resolve_target
    from exportctl.jobs import download
    from exportctl.jobs.remote_output import destination_of, download_to_bucket

    try:
        bucket = destination_of(output, output_dir)
        if bucket is not None:  # saved in a private directory, then uploaded
            return download_to_bucket(client, export, bucket, command_for(export), force=force, on_event=on_event)
        target = resolve_target(
            output,
            command=command_for(export),
            export_id=export_id,
            output_dir=output_dir,
            now=datetime.now(timezone.utc),
        )
        check_target(target, force)  # its one check, before a byte is fetched (the download only makes its directory)
        return download.download_export(client, export, target, on_event=on_event, force=force)
    except ExportctlError as exc:
        _naming(export_id)(exc)
        raise


def get_export(client: ApiClient, export_id: str) -> dict[str, Any]:
    """The API's export object; a refusal (not found, ...) names the export id."""
    try:
        return client.get_export(export_id)
    except ExportctlError as exc:
        _naming(export_id)(exc)
        raise


class ListQuery(NamedTuple):
    """What to list, checked offline: the page size, the page (or every page), the order and the filter."""

    limit: int
    page: int
    order: str | None
    follow: bool
    matching: ExportFilter


def list_query(
    *,
    limit: int | None = None,
    page: int | None = None,
    order: str | None = None,
    statuses: Sequence[str] | None = None,
    objects: Sequence[str] | None = None,
    since: str | date | None = None,
    follow: bool = False,
    names: Mapping[str, str] | None = None,
) -> ListQuery:
    """The query of `list`, checked with the CLI's errors before anything is sent (the values named as `names`
    spells them: `--page` for the CLI, `page` for the library). `limit` None is 10 a page, or 100 following."""
    from exportctl.jobs.listing import (
        MAX_LIST_PAGES,
        PAGE_SIZE_FOLLOWING,
        ExportFilter,
        parse_objects,
        parse_statuses,
    )
    from exportctl.request.windows import parse_instant
    from exportctl.schema import LIST_ORDERS
    from exportctl.suggest import closest

    spelled = {"limit": "--limit", "page": "--page", "since": "--since", "all": "--all", **(names or {})}
    if order is not None and order not in LIST_ORDERS:
        raise ValidationError(f"Unknown order '{order}'.", valid=LIST_ORDERS, suggestion=closest(order, LIST_ORDERS))
    if follow and page is not None:
        raise UsageError(
            f"{spelled['page']} picks one page of the list, and {spelled['all']} reads every page: give one of them.",
            hint="exportctl list --all (every page), or exportctl list --page 2",
        )
    for name, value, most in (("limit", limit, PAGE_SIZE_FOLLOWING), ("page", page, MAX_LIST_PAGES)):
        if value is not None and not 1 <= value <= most:
            raise UsageError(f"{spelled[name]} must be from 1 to {most}, not {value}.")
    matching = ExportFilter(
        statuses=parse_statuses(list(statuses) if statuses is not None else None),
        objects=parse_objects(list(objects) if objects is not None else None),
        since=parse_instant(since, spelled["since"]) if since is not None else None,
    )
    size = limit if limit is not None else PAGE_SIZE_FOLLOWING if follow else DEFAULT_PAGE_SIZE
    return ListQuery(size, page or 1, order, follow, matching)


def list_matching(client: ApiClient, query: ListQuery) -> Listing:
    """One page of the list, or every page (`follow`), filtered by status, object and creation time."""
    from exportctl.jobs.listing import list_exports

    return list_exports(
        client, limit=query.limit, page=query.page, order=query.order, follow=query.follow, matching=query.matching
    )
