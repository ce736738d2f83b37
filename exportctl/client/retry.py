"""Retry decisions for the API client: which failures may be retried, how long to wait, the shared rate budget.

See `exportctl.client.api` for the rules; this module holds the numbers and the pure decisions.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import requests
import urllib3.exceptions

# 5 attempts with bounds 0.5, 1, 2, 4 s ride out a restart or a burst of 5xx lasting several seconds,
# while a dead API still fails within about 10 s instead of leaving a script hanging.
MAX_ATTEMPTS = 5
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
# The total wait across one request's retries. It is also the longest Retry-After worth waiting out: a
# Business plan's per-minute limit resets within it; a Sandbox project's hourly one does not.
MAX_RETRY_DELAY = 60.0
# Spread over clients that were told the same Retry-After, so they do not come back in the same instant.
RETRY_AFTER_JITTER = 0.25

# A download (jobs/download.py) that breaks mid-way is continued (with a Range request) within the run; each
# attempt keeps what the previous ones received. A break after new bytes arrived costs nothing: the budget counts
# only attempts in a row that added no byte to what is kept, and ends the run at this many.
DOWNLOAD_ATTEMPTS = 3
# Every attempt of one run, progressing or not: a server that drips a few bytes per connection cannot keep a
# run going for ever.
DOWNLOAD_MAX_ATTEMPTS = 100

IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
# Answers after which the server surely did not act on the request, so even a POST may be sent again.
NOT_ACTED_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RateLimit:
    """The API's rate-limit headers as last seen; None where the API did not say."""

    limit: int | None = None
    remaining: int | None = None
    retry_at: float | None = None  # epoch seconds when the next call may be made (X-Rate-Limit-Retry)


class RateBudget:
    """One rate-limit state shared by several clients or threads, since the API counts per project.

    Every client records the headers it sees here; before sending, a client waits when the budget is
    spent and the API said when it refills. Checking and counting a call are one step (`take`), so that
    of several threads that see the last call left, one takes it and the others wait for the refill.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = RateLimit()

    @property
    def current(self) -> RateLimit:
        """The latest known state."""
        with self._lock:
            return self._state

    def observe(self, headers: Mapping[str, str]) -> None:
        """Record the rate-limit headers of one response (values absent from it are kept)."""
        limit = int_header(headers, "X-Rate-Limit-Limit")
        remaining = int_header(headers, "X-Rate-Limit-Remaining")
        retry_at = epoch_header(headers, "X-Rate-Limit-Retry")
        if limit is None and remaining is None and retry_at is None:
            return
        with self._lock:
            old = self._state
            # In a window assumed refilled (`take`, no known end yet) the count was kept here, and the
            # first answers are to calls sent before others: they may only lower it.
            if old.retry_at is None and remaining is not None and old.remaining is not None:
                remaining = min(remaining, old.remaining)
            self._state = RateLimit(
                limit=limit if limit is not None else old.limit,
                remaining=remaining if remaining is not None else old.remaining,
                retry_at=retry_at if retry_at is not None else old.retry_at,
            )

    def spend(self) -> None:
        """Count one call against the remaining budget until the next answer says otherwise."""
        with self._lock:
            state = self._state
            if state.remaining is not None and state.remaining > 0:
                self._state = RateLimit(state.limit, state.remaining - 1, state.retry_at)

    def take(self, now: float) -> float:
        """Count one call and answer 0, or, when nothing is left until a known refill, the seconds until it."""
        with self._lock:
            state = self._state
            spent = state.remaining is not None and state.remaining <= 0
            if spent and state.retry_at is not None:
                if state.retry_at > now:
                    return state.retry_at - now
                if state.limit is not None:
                    # The window has refilled: count down from a full budget until an answer says more,
                    # rather than let every waiting thread through at once.
                    state = RateLimit(state.limit, state.limit, None)
            if state.remaining is not None and state.remaining > 0:
                state = RateLimit(state.limit, state.remaining - 1, state.retry_at)
            self._state = state
            return 0.0


def full_jitter(rng: random.Random, attempt: int, *, base: float, cap: float) -> float:
    """The delay before retry `attempt` (from 1), with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
    return rng.uniform(0, min(cap, base * 2 ** (attempt - 1)))


def surely_not_sent(exc: BaseException) -> bool:
    """Whether the request failed before reaching the server: refused, unresolvable, or a connect timeout."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError)):
            return True
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return False


def describe_failure(exc: BaseException) -> str:
    """A short reason for a failed exchange, without the library's nested reprs."""
    if isinstance(exc, requests.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, requests.ReadTimeout):
        return "read timeout (no answer in time)"
    if surely_not_sent(exc):
        return "connection refused or host unreachable"
    if isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        return "connection reset or closed by the server"
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return "connection closed before the body was complete"
    return type(exc).__name__


def int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def epoch_header(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    # Tolerate milliseconds: no epoch in seconds reaches 10^11 for another three thousand years.
    return number / 1000 if number > 1e11 else number


def utc_clock(epoch: float) -> str:
    """When `epoch` is, for a person: `14:03:07 UTC`, with the date when it is not within a day from now."""
    from datetime import datetime, timezone

    try:
        moment = datetime.fromtimestamp(epoch, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return "a time too far ahead to show"
    if abs(epoch - datetime.now(timezone.utc).timestamp()) < 86_400:
        return moment.strftime("%H:%M:%S UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
