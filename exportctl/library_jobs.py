"""The rest of the CLI as a library: `exportctl.wait`, `exportctl.download`, `exportctl.list_exports`, `exportctl.run`.

Each is the command of the same name on the same session as `exportctl.export()` (engine/session.py:
`settings` default to `Settings.from_environment()`, EXPORTCTL_READ_TIMEOUT, one rate budget, one stop
event), with the same errors (`ExportctlError` subclasses with `exit_code`, `message`, `hint`, and the
export's id in `export_id` once there is one). Nothing here prints; progress goes to `on_event`. Each
returns the typed result whose `to_dict()` is the command's `--json` document (engine/result.py,
engine/existing_result.py, engine/run_result.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from exportctl.events import EventHandler, ignore_event

if TYPE_CHECKING:
    from exportctl.engine.existing_result import ListResult, WaitResult
    from exportctl.engine.result import ExportResult
    from exportctl.engine.run_result import RunResult
    from exportctl.engine.session import Session
    from exportctl.jobs.download import DownloadResult
    from exportctl.settings import Settings

T = TypeVar("T")


def wait(
    export_id: str,
    *,
    timeout: float | timedelta | str | None = None,
    settings: Settings | None = None,
    on_event: EventHandler = ignore_event,
) -> WaitResult:
    """Wait until the export is DONE (`exportctl wait ID`): its API object, status and the cost.

    Raises `ExportFailedError` (it ended in ERROR), `WaitTimeoutError` (`timeout` passed: seconds, a
    `timedelta` or `"15m"`), `NotFoundError`, ... each with `export_id`.
    """
    from exportctl.engine.existing_result import WaitResult
    from exportctl.jobs.existing import wait_for

    _check_id(export_id)
    seconds = _checked({"timeout": timeout})["timeout"]
    session = _session(settings, on_event)
    started = time.monotonic()
    with session.client(on_event) as client:
        export = _interruptible(session, lambda: wait_for(client, export_id, timeout=seconds, on_event=on_event))
        calls = client.calls
    return WaitResult(
        export_id,
        _text(export.get("exported_object")),
        _text(export.get("status")),
        export,
        api_calls=calls,
        seconds=time.monotonic() - started,
    )


def download(
    export_id: str,
    output: str | Path | None = None,
    *,
    output_dir: str | Path | None = None,
    force: bool = False,
    settings: Settings | None = None,
    on_event: EventHandler = ignore_event,
) -> ExportResult:
    """Save the CSV of a DONE export (`exportctl download ID -o OUTPUT`), resuming an unfinished download.

    `output` is a path, a template (`{object}-{id}.csv`, the default) or `"-"` for standard output.
    Raises `UsageError` when the export is not DONE or the file exists (without `force`), `DownloadError`
    when the download breaks, ... each with `export_id`.
    """
    from exportctl.engine.result import downloaded
    from exportctl.jobs.existing import download_done, get_export, require_done

    _check_id(export_id)
    checked = _checked({"output": output, "output_dir": output_dir, "force": force})
    session = _session(settings, on_event)
    started = time.monotonic()

    with session.client(on_event) as client:

        def fetch() -> tuple[dict[str, Any], DownloadResult]:
            export = get_export(client, export_id)
            require_done(export, export_id)
            saved = download_done(
                client,
                export,
                export_id,
                output=None if output is None else str(output),
                output_dir=None if output_dir is None else str(output_dir),
                force=bool(checked["force"]),
                on_event=on_event,
            )
            return export, saved

        export, saved = _interruptible(session, fetch)
        calls = client.calls
    return downloaded(export, saved, export_id=export_id, api_calls=calls, seconds=time.monotonic() - started)


def list_exports(
    *,
    limit: int | None = None,
    page: int | None = None,
    order: str | None = None,
    statuses: str | Sequence[str] | None = None,
    objects: str | Sequence[str] | None = None,
    since: date | str | None = None,
    all_pages: bool = False,
    settings: Settings | None = None,
    on_event: EventHandler = ignore_event,
) -> ListResult:
    """The project's exports, newest first unless `order` says (`exportctl list`); `result.exports` are the
    API's objects.

    `statuses` and `objects` keep only those (`"DONE"`, `["voucher", "order"]`, comma-separated works too);
    `since` only those created at or after it. One page (`page`, `limit` 1-100, default 10), or every page
    with `all_pages=True` (100 a page unless `limit` says, at most 100 pages).
    """
    from exportctl.engine.existing_result import listed
    from exportctl.jobs.existing import list_matching, list_query
    from exportctl.request.keywords import refuse

    for name, value in (("limit", limit), ("page", page)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise refuse(name, value, "an int")
    for name, given in (("statuses", statuses), ("objects", objects)):
        if given is not None and not _texts(given):
            raise refuse(name, given, "a str, or a list of str")
    if since is not None and not isinstance(since, str | date):
        raise refuse("since", since, "a datetime.date, a datetime.datetime, or a str such as '2024-06-01' or '-7d'")
    if order is not None and not isinstance(order, str):
        raise refuse("order", order, "a str")
    if not isinstance(all_pages, bool):
        raise refuse("all_pages", all_pages, "True or False")
    query = list_query(
        limit=limit,
        page=page,
        order=order,
        statuses=[statuses] if isinstance(statuses, str) else statuses,
        objects=[objects] if isinstance(objects, str) else objects,
        since=since,
        follow=all_pages,
        names={"limit": "limit", "page": "page", "since": "since", "all": "all_pages"},
    )
    session = _session(settings, on_event)
    started = time.monotonic()
    with session.client(on_event) as client:
        listing = _interruptible(session, lambda: list_matching(client, query))
        calls = client.calls
    return listed(listing, query.matching.to_json(), calls, time.monotonic() - started)


def run(
    path: str | Path,
    *,
    parallel: int = 1,
    keep_going: bool = False,
    only: str | Sequence[str] | None = None,
    force: bool = False,
    output_dir: str | Path | None = None,
    settings: Settings | None = None,
    on_event: EventHandler = ignore_event,
) -> RunResult:
    """Run every export of a multi-export YAML file (`exportctl run FILE`), `parallel` at a time.

    The whole file is checked and every export planned first: a problem raises `ConfigProblemsError`
    (a `UsageError`, exit 2; each problem in `problems`) and nothing is submitted. Then an export that
    fails does not raise: the result has one entry per export (`result.exports`, each `result` done,
    failed, skipped, interrupted...) and the run's `exit_code`, the worst of theirs (`result.ok`).
    Without `keep_going` no export starts after one has failed. `on_event` gets every export's events.
    """
    from exportctl.jobs import batch
    from exportctl.jobs.runs import plan_run, run_planned, run_result
    from exportctl.request.keywords import refuse

    started = time.monotonic()
    checked = _checked({"config": path, "parallel": parallel, "force": force, "output_dir": output_dir})
    if not isinstance(keep_going, bool):
        raise refuse("keep_going", keep_going, "True or False")
    if only is not None and not _texts(only):
        raise refuse("only", only, "an export's name (str), or a list of names")
    names = [only] if isinstance(only, str) else list(only or ())
    plan = plan_run(
        Path(path),
        only=names,
        force=bool(checked["force"]),
        output_dir=None if output_dir is None else str(output_dir),
    )
    if plan.problems:
        raise plan.error()
    session = _session(settings, on_event)
    results = run_planned(plan, session, parallel=parallel, keep_going=keep_going, on_event=on_event)
    return run_result(results, batch.worst_exit_code(results), time.monotonic() - started)


def _check_id(export_id: object) -> None:
    from exportctl.request.keywords import refuse

    if not isinstance(export_id, str) or not export_id.strip():
        raise refuse("export_id", export_id, "an export id (str), such as 'exp_...'")


def _texts(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, list | tuple) and all(isinstance(v, str) for v in value))


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    """Keywords shared with `exportctl.export()`, checked by its rules (type, range; a duration read)."""
    from exportctl.request.keywords import check_plan_keywords

    return check_plan_keywords(values)


def _session(settings: Settings | None, on_event: object) -> Session:
    """The session every door opens (engine/session.py), once `settings` and `on_event` are checked."""
    from exportctl.engine.session import open_session
    from exportctl.request.keywords import check_export_keywords

    check_export_keywords(settings, on_event, {})
    return open_session(settings)


def _interruptible(session: Session, work: Callable[[], T]) -> T:
    """`work()`; Ctrl-C stops every client of the session too, as `export()` does."""
    try:
        return work()
    except KeyboardInterrupt:
        session.interrupt()
        raise
