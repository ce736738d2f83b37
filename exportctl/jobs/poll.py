"""Wait for an export to finish: adaptive polling that bends to the API's rate-limit budget.

The first poll after a submit or a status change comes after `POLL_INITIAL` seconds, each unchanged
answer stretches the interval by `POLL_GROWTH` up to `POLL_CAP`. A 60-second export then costs about
10 calls instead of 60 with fixed 1-second polling, and a status change is still seen within about a
second while things are moving. When the API's rate-limit budget runs low the interval is stretched
further (see `rate_limited_delay`), because a Voucherify Sandbox project allows only 100 calls per hour
and an export that cannot be polled cannot be downloaded either.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from exportctl.client.api import ApiClient, UnreadableAnswer
from exportctl.client.retry import RateLimit, utc_clock
from exportctl.errors import (
    ExportctlError,
    ExportFailedError,
    InterruptedByUser,
    NetworkError,
    NotFoundError,
    WaitTimeoutError,
)
from exportctl.events import EventHandler, Polled, Retrying, StatusChanged, ignore_event
from exportctl.schema import EXPORT_STATUSES

SCHEDULED, IN_PROGRESS, DONE, ERROR = EXPORT_STATUSES

POLL_INITIAL = 1.0
POLL_GROWTH = 1.5
POLL_CAP = 15.0
# Below this many remaining calls (or this share of the limit, if larger) polling slows down in proportion.
RATE_LOW_CALLS = 10
RATE_LOW_FRACTION = 0.1
# The longest a poll waits because of the rate limit alone. When the API announces a refill further off
# (X-Rate-Limit-Retry on a 200), waiting silently for it could mean a day: the poll stops and says when.
POLL_SLOW_CAP = 120.0
# An undocumented status (`FAILED`, `done`, none at all) is given this many answers in a row to turn into
# a documented one, then it ends the wait: polling it forever would hang a script.
UNKNOWN_STATUS_ANSWERS = 3
# Answers in a row that are not JSON (a proxy's error page on a 200) retried before giving up.
UNREADABLE_ANSWERS = 3


def rate_limited_delay(delay: float, rate: RateLimit, now: float) -> float:
    """`delay` stretched to fit the API's remaining budget (`now` in epoch seconds).

    With nothing left, wait until the API's announced refill (`X-Rate-Limit-Retry`) or `POLL_SLOW_CAP`.
    Below the low-water mark, the poll interval grows as `POLL_CAP * low / remaining`, so the last few
    calls are spread out instead of spent in a burst, up to `POLL_SLOW_CAP`.
    """
    if rate.remaining is None:
        return delay
    if rate.remaining <= 0:
        if rate.retry_at is not None and rate.retry_at > now:
            return max(delay, rate.retry_at - now)
        return max(delay, POLL_SLOW_CAP)
    low = max(RATE_LOW_CALLS, (rate.limit or 0) * RATE_LOW_FRACTION)
    if rate.remaining < low:
        return max(delay, min(POLL_SLOW_CAP, POLL_CAP * low / rate.remaining))
    return delay


def poll_until_done(
    client: ApiClient,
    export_id: str,
    *,
    timeout: float | None,
    on_event: EventHandler = ignore_event,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    wallclock: Callable[[], float] = time.time,
    submitted: bool = True,
    first_interval: float = POLL_INITIAL,
) -> dict[str, Any]:
    """Poll the export until DONE and return it; ExportFailedError on ERROR, WaitTimeoutError after `timeout` s.

    `submitted` says the export surely existed (it was just created), so a 404 means it was deleted since;
    `exportctl wait ID` passes False, and a 404 on its first poll says the id does not exist.
    """
    hint = f"exportctl wait {export_id}"
    started = clock()
    deadline = None if timeout is None else started + timeout
    interval = first_interval
    previous: str | None = None
    unknown = 0
    unreadable = 0
    try:
        while True:
            try:
                export = client.get_export(export_id)
                unreadable = 0
            except UnreadableAnswer as exc:
                unreadable += 1
                if unreadable >= UNREADABLE_ANSWERS:
                    raise
                on_event(Retrying("GET", f"/v1/exports/{export_id}", exc.message[:200], unreadable, interval))
                sleep(interval)
                interval = min(interval * POLL_GROWTH, POLL_CAP)
                continue
            except NotFoundError as exc:
                # exc.message already carries the key and request id; say what happened, once.
                existed = submitted or previous is not None
                gone = "no longer exists (deleted while waiting?)" if existed else "does not exist"
                raise NotFoundError(exc.status, exc.key, f"Export {export_id} {gone}", None, exc.request_id) from None
            raw_status = export.get("status")
            status = str(raw_status)
            now = clock()
            elapsed = now - started
            changed = status != previous
            if changed:
                on_event(StatusChanged(export_id, status, previous, elapsed))
                interval = first_interval
                previous = status
            if status == DONE:
                return export
            if status == ERROR:
                raise ExportFailedError(
                    f"Export {export_id} ended in ERROR: {_error_text(export)}",
                    hint="Check the export's parameters, then run the export again.",
                )
            unknown = unknown + 1 if raw_status not in EXPORT_STATUSES else 0
            if unknown >= UNKNOWN_STATUS_ANSWERS:
                raise ExportFailedError(
                    f"Export {export_id} has the status {raw_status!r}, which the API does not document "
                    f"(expected {', '.join(EXPORT_STATUSES)}); stopped waiting after {elapsed:.0f}s.",
                    hint=f"Check it with: exportctl status {export_id}",
                )
            rate = client.rate_limit
            delay = rate_limited_delay(interval, rate, wallclock())
            _check_rate_wait(export_id, rate, wallclock(), deadline, now)
            if delay > max(interval, POLL_CAP) and rate.remaining is not None and rate.remaining <= 0:
                at = utc_clock(wallclock() + delay)
                reason = f"the API's rate limit is spent; it allows the next call at {at}"
                on_event(Retrying("GET", f"/v1/exports/{export_id}", reason, 1, delay))
            if deadline is not None:
                left = deadline - now
                if left <= 0:
                    raise WaitTimeoutError(
                        f"Export {export_id} is still {status} after {elapsed:.0f}s.",
                        hint=f"The export keeps running on the server. Resume waiting with: {hint}",
                    )
                # One last poll right at the deadline, rather than giving up early or overshooting it.
                delay = min(delay, left)
            if not changed:
                on_event(Polled(export_id, status, elapsed, delay))
            sleep(delay)
            interval = min(interval * POLL_GROWTH, POLL_CAP)
    except KeyboardInterrupt:
        raise InterruptedByUser(
            f"Interrupted while waiting for export {export_id}; it keeps running on the server.", hint=hint
        ) from None
    except ExportctlError as exc:
        if isinstance(exc, UnreadableAnswer) or (isinstance(exc, NetworkError) and exc.hint is None):
            exc.hint = f"The export keeps running on the server. Resume waiting with: {hint}"
        raise


def _check_rate_wait(export_id: str, rate: RateLimit, wall_now: float, deadline: float | None, now: float) -> None:
    """NetworkError when the API's announced refill is beyond the rate-limit cap or the deadline."""
    if rate.remaining is None or rate.remaining > 0 or rate.retry_at is None:
        return
    wait = rate.retry_at - wall_now
    if wait <= POLL_SLOW_CAP and (deadline is None or now + wait <= deadline):
        return
    limit = "the --timeout" if wait <= POLL_SLOW_CAP else f"the {POLL_SLOW_CAP:.0f} s a poll waits for the rate limit"
    raise NetworkError(
        f"The API's rate limit is spent: it allows the next call in {wait:.0f} s (at {utc_clock(rate.retry_at)}), "
        f"beyond {limit}.",
        hint=f"The export keeps running on the server. Resume waiting after that with: exportctl wait {export_id}",
    )


def _error_text(export: dict[str, Any]) -> str:
    """The reason an export failed, wherever the API put it."""
    result = export.get("result")
    for candidate in (export.get("error"), result.get("error") if isinstance(result, dict) else None):
        if isinstance(candidate, dict):
            key, message = candidate.get("key"), candidate.get("message")
            if message:
                return f"{key}: {message}" if key else str(message)
        elif isinstance(candidate, str) and candidate:
            return candidate
    return "the API gave no reason"
