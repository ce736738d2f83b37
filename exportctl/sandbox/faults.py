"""Fault injection: failures the client must survive, switched on from Python or from CLI flags.

Request faults are decided when a request arrives (before authentication), download faults when a
download starts, job faults when an export is created. Refusals that depend on whose project is calling
(another cluster's credentials, a spent quota) are decided after authentication
(`after_authentication`). Counters are consumed under one lock, so
"the next n requests" holds with concurrent clients too.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TypeVar

from exportctl.sandbox.apierrors import ApiError

WRONG_CLUSTER = "wrong_cluster"
QUOTA_EXCEEDED = "quota_exceeded"
CYCLE_LIMIT = "cycle_limit"


@dataclass
class RequestFault:
    """What to do to one request: wait, then answer with an error status (or proceed when None)."""

    delay: float = 0.0
    status: int | None = None
    retry_after: int | None = None  # set for injected 429s
    rate_limited: bool = False
    reset: bool = False  # close the connection without answering


@dataclass
class DownloadFault:
    """Cut a download short: send `body_bytes` of the body, then close the connection."""

    kind: str  # "drop", "reset" (then a TCP reset instead of a clean close) or "short"
    amount: int

    def bytes_to_send(self, length: int) -> int:
        if self.kind in ("drop", "reset"):
            return min(self.amount, length)
        return max(0, length - self.amount)


@dataclass
class DownloadStartFault:
    """What to do to one download before its body: fail it, refuse (and rotate) its token, ignore Range,
    or pause `stall_seconds` once `stall_after` bytes of the body are sent."""

    status: int | None = None
    refuse_token: bool = False
    ignore_range: bool = False
    stall_after: int | None = None
    stall_seconds: float = 0.0
    gzip_cut: bool = False  # send it `Content-Encoding: gzip`, unasked, and only the first half of that stream


@dataclass
class JobFault:
    """Taken by an export when it is created."""

    fail_message: str | None = None
    hold_seconds: float = 0.0


@dataclass
class _Counted:
    remaining: int | None  # None: until reset
    path_prefix: str | None = None

    def matches(self, path: str) -> bool:
        return self.path_prefix is None or path.startswith(self.path_prefix)

    def take(self) -> bool:
        if self.remaining is None:
            return True
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True


@dataclass
class _Failing(_Counted):
    status: int = 503


@dataclass
class _Slow(_Counted):
    seconds: float = 0.0


@dataclass
class _Refusal(_Counted):
    kind: str = WRONG_CLUSTER
    url: str = ""  # the base URL a wrong-cluster answer names
    resets_at: float | None = None  # epoch seconds a quota answer announces


@dataclass
class _Cut:
    kind: str
    amount: int
    remaining: int | None


@dataclass
class _Fraction:
    fraction: float
    status: int
    rng: random.Random
    path_prefix: str | None


class Faults:
    """The fault switches of one sandbox. Every method is safe to call while requests are served."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Switch every fault off."""
        with self._lock:
            self._failing: list[_Failing] = []
            self._fraction: _Fraction | None = None
            self._burst = 0
            self._burst_retry_after = 1
            self._slow: list[_Slow] = []
            self._cuts: list[_Cut] = []
            self._job_failures: list[tuple[str, int | None]] = []
            self._holds: list[tuple[float, int | None]] = []
            self._resets: list[_Counted] = []
            self._download_failures: list[tuple[int, int | None]] = []
            self._token_refusals: list[tuple[bool, int | None]] = []
            self._range_ignored: list[tuple[bool, int | None]] = []
            self._stalls: list[tuple[tuple[int, float], int | None]] = []
            self._gzip_cuts: list[tuple[bool, int | None]] = []
            self._refusals: list[_Refusal] = []

    # switches ---------------------------------------------------------------------------------------
    def fail_next(self, n: int, status: int = 503, path_prefix: str | None = None) -> None:
        """Answer the next n requests (whose path starts with path_prefix) with `status`."""
        with self._lock:
            self._failing.append(_Failing(remaining=n, path_prefix=path_prefix, status=status))

    def fail_fraction(
        self, fraction: float, status: int = 500, seed: int | None = None, path_prefix: str | None = None
    ) -> None:
        """Answer about `fraction` of the requests with `status`, until reset (seeded for repeatable runs)."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be between 0 and 1")
        with self._lock:
            self._fraction = _Fraction(fraction, status, random.Random(seed), path_prefix)

    def rate_limit_burst(self, n: int, retry_after: int = 1) -> None:
        """Answer the next n requests with 429, `Retry-After` and `X-Rate-Limit-Type: api_calls`."""
        with self._lock:
            self._burst = n
            self._burst_retry_after = retry_after

    def slow(self, seconds: float, n: int | None = None, path_prefix: str | None = None) -> None:
        """Delay the next n responses (every response until reset when n is None) by `seconds`."""
        with self._lock:
            self._slow.append(_Slow(remaining=n, path_prefix=path_prefix, seconds=seconds))

    def drop_download_after(self, nbytes: int, times: int | None = 1) -> None:
        """Close the connection after `nbytes` of the body of the next download(s)."""
        with self._lock:
            self._cuts.append(_Cut("drop", nbytes, times))

    def reset_download_after(self, nbytes: int, times: int | None = 1) -> None:
        """Reset the connection (TCP RST, as a crashed proxy does) after `nbytes` of the next download(s)' body."""
        with self._lock:
            self._cuts.append(_Cut("reset", nbytes, times))

    def short_body(self, missing_bytes: int, times: int | None = 1) -> None:
        """Announce the full Content-Length but send `missing_bytes` fewer bytes, then close."""
        with self._lock:
            self._cuts.append(_Cut("short", missing_bytes, times))

    def fail_next_job(self, message: str = "Export generation failed", times: int | None = 1) -> None:
        """End the next export(s) in ERROR with `message`."""
        with self._lock:
            self._job_failures.append((message, times))

    def hold_in_progress(self, seconds: float, times: int | None = 1) -> None:
        """Keep the next export(s) IN_PROGRESS for at least `seconds`."""
        with self._lock:
            self._holds.append((seconds, times))

    def reset_next(self, n: int, path_prefix: str | None = None) -> None:
        """Close the connection of the next n requests (whose path starts with path_prefix) without answering."""
        with self._lock:
            self._resets.append(_Counted(remaining=n, path_prefix=path_prefix))

    def fail_next_download(self, n: int, status: int = 503) -> None:
        """Answer the next n downloads (GET of `result.url`, not of the export object) with `status`."""
        with self._lock:
            self._download_failures.append((status, n))

    def refuse_download_token(self, times: int | None = 1) -> None:
        """Answer the next download(s) 401 and give the export a new token, as if the URL had expired."""
        with self._lock:
            self._token_refusals.append((True, times))

    def ignore_range(self, times: int | None = 1) -> None:
        """Answer the next download(s) 200 with the whole file even when they ask for a Range."""
        with self._lock:
            self._range_ignored.append((True, times))

    def gzip_download_cut_short(self, times: int | None = 1) -> None:
        """Send the next download(s) gzip-encoded although identity was asked for, and only half of the stream."""
        with self._lock:
            self._gzip_cuts.append((True, times))

    def stall_download_after(self, nbytes: int, seconds: float, times: int | None = 1) -> None:
        """Pause the next download(s) for `seconds` after `nbytes` of the body, then send the rest."""
        with self._lock:
            self._stalls.append(((nbytes, seconds), times))

    def wrong_cluster(self, url: str, n: int | None = None, path_prefix: str | None = None) -> None:
        """Answer the next n authenticated requests (all until reset when n is None) 403 `wrong_api_endpoint`,
        as the API does for credentials of a project bound to another cluster; `url` is the one it names."""
        with self._lock:
            self._refusals.append(_Refusal(remaining=n, path_prefix=path_prefix, kind=WRONG_CLUSTER, url=url))

    def quota_exceeded(
        self, n: int | None = None, resets_at: float | None = None, path_prefix: str | None = None
    ) -> None:
        """Answer the next n authenticated requests 402 (the pricing plan's limit exceeded); with `resets_at`
        (epoch seconds) they carry `X-Rate-Limit-Retry` and `Retry-After` saying when it resets."""
        with self._lock:
            self._refusals.append(
                _Refusal(remaining=n, path_prefix=path_prefix, kind=QUOTA_EXCEEDED, resets_at=resets_at)
            )

    def cycle_limit(self, n: int | None = None, resets_at: float | None = None, path_prefix: str | None = None) -> None:
        """Answer the next n authenticated requests 429 with `X-Rate-Limit-Type: api_calls_cycle`: the billing
        cycle's API calls are spent until `resets_at` (default: the start of the next month, UTC)."""
        with self._lock:
            self._refusals.append(_Refusal(remaining=n, path_prefix=path_prefix, kind=CYCLE_LIMIT, resets_at=resets_at))

    # consumers --------------------------------------------------------------------------------------
    def after_authentication(self, path: str) -> ApiError | None:
        """The refusal an authenticated request meets (another cluster, a spent quota), or None; consumes counters."""
        with self._lock:
            refusal = next((r for r in self._refusals if r.matches(path) and r.take()), None)
            self._refusals = [r for r in self._refusals if r.remaining != 0]
        if refusal is None:
            return None
        return _refusal_answer(refusal, time.time())

    def on_request(self, path: str) -> RequestFault:
        """The faults one request meets; consumes counters."""
        fault = RequestFault()
        with self._lock:
            for reset in self._resets:
                if reset.matches(path) and reset.take():
                    fault.reset = True
                    break
            self._resets = [r for r in self._resets if r.remaining != 0]
            if fault.reset:
                return fault
            for slow in self._slow:
                if slow.matches(path) and slow.take():
                    fault.delay = max(fault.delay, slow.seconds)
            self._slow = [s for s in self._slow if s.remaining != 0]
            if self._burst > 0:
                self._burst -= 1
                fault.status, fault.retry_after, fault.rate_limited = 429, self._burst_retry_after, True
                return fault
            for failing in self._failing:
                if failing.matches(path) and failing.take():
                    fault.status = failing.status
                    break
            self._failing = [f for f in self._failing if f.remaining != 0]
            fraction = self._fraction
            if (
                fault.status is None
                and fraction is not None
                and (fraction.path_prefix is None or path.startswith(fraction.path_prefix))
                and fraction.rng.random() < fraction.fraction
            ):
                fault.status = fraction.status
        if fault.status == 429:
            fault.retry_after, fault.rate_limited = fault.retry_after or 1, True
        return fault

    def on_download(self) -> DownloadFault | None:
        with self._lock:
            if not self._cuts:
                return None
            cut = self._cuts[0]
            if cut.remaining is not None:
                cut.remaining -= 1
                if cut.remaining <= 0:
                    self._cuts.pop(0)
            return DownloadFault(cut.kind, cut.amount)

    def on_download_start(self) -> DownloadStartFault:
        """The faults one download meets before its body; consumes counters."""
        with self._lock:
            fault = DownloadStartFault(status=_take_first(self._download_failures))
            if fault.status is None:
                fault.refuse_token = _take_first(self._token_refusals) is not None
            if fault.status is None and not fault.refuse_token:
                fault.ignore_range = _take_first(self._range_ignored) is not None
                fault.gzip_cut = _take_first(self._gzip_cuts) is not None
                stall = _take_first(self._stalls)
                if stall is not None:
                    fault.stall_after, fault.stall_seconds = stall
            return fault

    def on_job(self) -> JobFault:
        with self._lock:
            return JobFault(_take_first(self._job_failures), _take_first(self._holds) or 0.0)


T = TypeVar("T")


def _refusal_answer(refusal: _Refusal, now: float) -> ApiError:
    """The API's answer for a refusal: its status, key, message, details and headers."""
    if refusal.kind == WRONG_CLUSTER:
        return ApiError(
            403,
            "wrong_api_endpoint",
            "Wrong API endpoint",
            f"Given project is bound to different API endpoint, you should use: {refusal.url}",
        )
    resets_at = refusal.resets_at
    if refusal.kind == CYCLE_LIMIT:
        if resets_at is None:
            resets_at = next_month(now)
        error = ApiError(429, "too_many_requests", "Too Many Requests", "API calls limit for the billing cycle reached")
        error.headers = {"X-Rate-Limit-Type": "api_calls_cycle", "X-Rate-Limit-Remaining": "0"}
    else:
        error = ApiError(402, "payment_required", "Payment Required", "Your pricing plan's limit has been exceeded")
    if resets_at is not None:
        error.headers["X-Rate-Limit-Retry"] = str(int(resets_at))
        error.headers["Retry-After"] = str(max(1, int(resets_at - now)))
    return error


def next_month(now: float) -> float:
    """The start of the month after `now` (epoch seconds, UTC): when a monthly billing cycle's limit resets."""
    moment = datetime.fromtimestamp(now, timezone.utc)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=timezone.utc).timestamp()


def _take_first(queue: list[tuple[T, int | None]]) -> T | None:
    """The value at the head of a queue of (value, times left), counting one use."""
    if not queue:
        return None
    value, times = queue[0]
    if times is not None:
        if times <= 1:
            queue.pop(0)
        else:
            queue[0] = (value, times - 1)
    return value
