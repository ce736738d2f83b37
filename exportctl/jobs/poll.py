"""Wait for an export to finish: polls aimed by the export's age and history, bent to the API's rate limit.

When to poll is `jobs.schedule`'s pure function of the export's age (seconds since it was created), the time
since its status last changed and, once it is IN_PROGRESS, the window in which earlier runs of the same kind
of export turned DONE (`files.poll_history`, in the state directory). The submit's answer is the first look,
so no call is spent on an export that was created a moment ago. When the API's rate-limit budget runs low
the interval is stretched further (see `rate_limited_delay`), because a Voucherify Sandbox project allows
only 100 calls per hour and an export that cannot be polled cannot be downloaded either.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from exportctl.client.api import ApiClient, UnreadableAnswer
from exportctl.client.retry import RateLimit, utc_clock
from exportctl.errors import (
    ExportctlError,
    ExportFailedError,
    InterruptedByUser,
    NetworkError,
    NotFoundError,
    QuotaError,
    WaitTimeoutError,
)
from exportctl.events import EventHandler, Polled, Retrying, StatusChanged, ignore_event
from exportctl.files.poll_history import MAX_SECONDS, PollHistory, history_key
from exportctl.jobs.schedule import POLL_CAP, POLL_INITIAL, Window, base_delay, expected_window, next_delay
from exportctl.schema import EXPORT_STATUSES

SCHEDULED, IN_PROGRESS, DONE, ERROR = EXPORT_STATUSES

__all__ = [
    "POLL_CAP",
    "POLL_INITIAL",
    "POLL_SLOW_CAP",
    "RATE_STRETCH_UNIT",
    "poll_until_done",
    "rate_limited_delay",
    "wait_reason",
]
# Below this many remaining calls (or this share of the limit, if larger) polling slows down in proportion.
RATE_LOW_CALLS = 10
RATE_LOW_FRACTION = 0.1
# The unit of the rate limit's stretch (`rate_limited_delay`): the schedule's cap before issue 22 changed it
# (15 s, then 14.5 s, now 18 s), kept so that the rate budget rules spend calls exactly as before.
RATE_STRETCH_UNIT = 15.0
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
    Below the low-water mark, the poll interval grows as `RATE_STRETCH_UNIT * low / remaining`, so the last few
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
        return max(delay, min(POLL_SLOW_CAP, RATE_STRETCH_UNIT * low / rate.remaining))
    return delay


def wait_reason(interval: float, delay: float, rate: RateLimit, now: float, expected: Window | None) -> str:
    """Why the poller waits `delay` seconds, in words: the schedule, or the API's rate limit (when it stretched it)."""
    if delay > interval and rate.remaining is not None:
        if rate.remaining <= 0:
            if rate.retry_at is not None and rate.retry_at > now:
                return f"the API's rate limit is spent; it allows the next call at {utc_clock(rate.retry_at)}"
            return "the API's rate limit is spent and it did not say when it refills"
        of = f" of {rate.limit}" if rate.limit is not None else ""
        refill = (
            f", refilled at {utc_clock(rate.retry_at)}" if rate.retry_at is not None and rate.retry_at > now else ""
        )
        return f"the API's rate limit: {rate.remaining}{of} calls left{refill}; checks are spaced out to keep some"
    if expected is not None:
        return f"the schedule: earlier runs like this one were done after {expected.lo:.0f}-{expected.hi:.0f}s"
    return "the schedule: checks slow down as the export takes longer"


def poll_until_done(
    client: ApiClient,
    export_id: str,
    *,
    timeout: float | None,
    on_event: EventHandler = ignore_event,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    wallclock: Callable[[], float] = time.time,
    submitted: bool = True,
    first: Mapping[str, Any] | None = None,
    history: PollHistory | None = None,
    first_interval: float = POLL_INITIAL,
) -> dict[str, Any]:
    """Poll the export until DONE and return it; ExportFailedError on ERROR, WaitTimeoutError after `timeout` s.

    `submitted` says the export surely existed (it was just created), so a 404 means it was deleted since;
    `exportctl wait ID` passes False, and a 404 on its first poll says the id does not exist. `first` is the
    submit's answer: it counts as the first look, so the first GET comes a second later. With `history`,
    polls aim at the window in which earlier runs of this kind of export turned DONE, and this run's window
    is noted in it (to be saved by the caller once the file is saved). `first_interval` (`Settings.poll_interval`,
    EXPORTCTL_POLL_INTERVAL) replaces POLL_INITIAL: the first wait, and the shortest one (see `jobs.schedule`).
    """
    hint = f"exportctl wait {export_id}"
    sleep = client.sleep if sleep is None else sleep  # ends on the session's stop event
    started = clock()
    deadline = None if timeout is None else started + timeout
    # The export's age when we started: 0 for one just submitted, else from its created_at (None: unknown).
    born: float | None = 0.0 if submitted else None
    aim = _Aim(client.base_url, history)
    previous: str | None = None
    changed_at = 0.0
    last_not_done: float | None = None
    unknown = 0
    unreadable = 0
    try:
        while True:
            if first is not None:
                export, first = dict(first), None
            else:
                try:
                    export = client.get_export(export_id)
                    unreadable = 0
                except UnreadableAnswer as exc:
                    unreadable += 1
                    if unreadable >= UNREADABLE_ANSWERS:
                        raise
                    age = (born or 0.0) + clock() - started
                    retry = base_delay(age, age - changed_at, first_interval)
                    on_event(Retrying("GET", f"/v1/exports/{export_id}", exc.message[:200], unreadable, retry))
                    sleep(retry)
                    continue
                except NotFoundError as exc:
                    # exc.message already carries the key and request id; say what happened, once.
                    existed = submitted or previous is not None
                    gone = "no longer exists (deleted while waiting?)" if existed else "does not exist"
                    raise NotFoundError(
                        exc.status, exc.key, f"Export {export_id} {gone}", None, exc.request_id
                    ) from None
            raw_status = export.get("status")
            status = str(raw_status)
            now = clock()
            elapsed = now - started
            if previous is None and born is None:
                created = _age_when_created(export, wallclock())
                born = None if created is None else created - elapsed
            age = (born or 0.0) + elapsed
            if aim.key is None and born is not None:
                aim.start(export)
            changed = status != previous
            if changed:
                on_event(StatusChanged(export_id, status, previous, elapsed))
                changed_at = age
                previous = status
            if status == DONE:
                if last_not_done is not None:
                    aim.note(last_not_done, age)
                return export
            last_not_done = age
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
            interval = next_delay(age, age - changed_at, status, aim.expected, first_interval)
            rate = client.rate_limit
            delay = rate_limited_delay(interval, rate, wallclock())
            _check_rate_wait(export_id, rate, wallclock(), deadline, now)
            why = wait_reason(interval, delay, rate, wallclock(), aim.expected)
            if deadline is not None:
                left = deadline - now
                if left <= 0:
                    raise WaitTimeoutError(
                        f"Export {export_id} is still {status} after {elapsed:.0f}s.",
                        hint=f"The export keeps running on the server. Resume waiting with: {hint}",
                    )
                # One last poll right at the deadline, rather than giving up early or overshooting it.
                if left < delay:
                    delay, why = left, "the last check before --timeout"
            on_event(Polled(export_id, status, elapsed, delay, why))
            sleep(delay)
    except KeyboardInterrupt:
        raise InterruptedByUser(
            f"Interrupted while waiting for export {export_id}; it keeps running on the server.",
            hint=hint,
            export_id=export_id,
        ) from None
    except ExportctlError as exc:
        if exc.export_id is None:
            exc.export_id = export_id  # the export that keeps running on the server, or that failed
        if isinstance(exc, UnreadableAnswer) or (isinstance(exc, NetworkError) and exc.hint is None):
            exc.hint = f"The export keeps running on the server. Resume waiting with: {hint}"
        elif isinstance(exc, QuotaError) and hint not in (exc.hint or ""):
            exc.hint = f"{exc.hint or ''} The export keeps running on the server; once the quota resets: {hint}".strip()
        raise


class _Aim:
    """The history of this kind of export: the window to aim at, and where this run's window is noted."""

    def __init__(self, base_url: str, history: PollHistory | None) -> None:
        self.base_url = base_url
        self.history = history
        self.key: str | None = None
        self.expected: Window | None = None

    def start(self, export: Mapping[str, Any]) -> None:
        """Find this export's kind and its window (from the first answer that names its object)."""
        if self.history is None:
            return
        self.key = history_key(self.base_url, export)
        if self.key is not None:
            self.expected = expected_window([Window(run.lo, run.hi) for run in self.history.runs(self.key)])

    def note(self, lo: float, hi: float) -> None:
        if self.history is not None and self.key is not None:
            self.history.note(self.key, lo, hi)


def _age_when_created(export: Mapping[str, Any], wall_now: float) -> float | None:
    """Seconds since the API created the export, from its created_at; None when missing or implausible."""
    created = export.get("created_at")
    if not isinstance(created, str) or len(created) > 40:
        return None
    try:
        moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    age = wall_now - moment.timestamp()
    # A clock a little behind the API's reads as a brand-new export; beyond a week, it is not this export's age.
    return max(0.0, age) if age <= MAX_SECONDS else None


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
