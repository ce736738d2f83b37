"""The HTTP client of the Voucherify export API: one `requests.Session`, retries, rate limits, typed errors.

The client never prints. It reports each HTTP exchange and each retry as an event, with URLs masked, and
raises the errors of `exportctl.errors`, which the CLI renders once.

Retries. GET and DELETE are retried on connection errors, timeouts, 429 and 5xx. A POST creates an export,
so it is retried only when the server surely did not act on it: 429 (rate limited before processing), 503
(not accepting work), and failures to connect (refused, DNS, connect timeout: the request never left). A
POST that met a 500/502/504, a read timeout or a reset connection may have created the export, and sending
it again could create a second one, so the error says to check `exportctl list` instead.

Delays follow exponential backoff with full jitter (a uniform draw between 0 and the exponential bound:
clients that failed together do not retry together), unless the server says how long to wait with
`Retry-After` or `X-Rate-Limit-Retry`, which wins. A request gives up after `MAX_ATTEMPTS` attempts or
when its waits would exceed `MAX_RETRY_DELAY` seconds in total, whichever comes first; a server that asks
for a longer wait than that is not waited out silently: the error says when the limit resets.

This module imports `requests` at the top; the CLI imports it only inside the commands that talk to the API.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

import requests
import urllib3.exceptions

from exportctl import __version__
from exportctl.errors import (
    ApiError,
    AuthError,
    DownloadError,
    DownloadTokenError,
    NetworkError,
    NotFoundError,
)
from exportctl.events import EventHandler, HttpExchange, Retrying, ignore_event
from exportctl.masking import mask
from exportctl.settings import Settings, download_base_for

USER_AGENT = f"exportctl/{__version__}"

# A connect timeout of 5 s is far above any healthy round trip yet short enough that an unreachable host
# fails fast; 60 s of read silence covers a slow API answer (the export itself runs asynchronously).
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0
DEFAULT_TIMEOUT = (CONNECT_TIMEOUT, READ_TIMEOUT)

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

# Each chunk is a new buffer. glibc serves a request this size from its heap and reuses it; at 1 MB every
# chunk became a fresh mmap whose pages fault in one by one, which halved the download speed (measured).
DOWNLOAD_CHUNK = 256 * 1024

# What reading a body can raise when the connection breaks, through urllib3 or straight from http.client.
_BODY_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)

_IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
# Answers after which the server surely did not act on the request, so even a POST may be sent again.
_NOT_ACTED_STATUSES = frozenset({429, 503})


class ExportRequestLike(Protocol):
    """What the client needs of `exportctl.request.ExportRequest`."""

    def body(self) -> dict[str, Any]: ...

    def endpoint(self) -> str: ...


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
        limit = _int_header(headers, "X-Rate-Limit-Limit")
        remaining = _int_header(headers, "X-Rate-Limit-Remaining")
        retry_at = _epoch_header(headers, "X-Rate-Limit-Retry")
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


class _Session(requests.Session):
    """A session that drops the credentials when a redirect leaves the trusted hosts.

    requests strips `Authorization` on a cross-host redirect but knows nothing of `X-App-Token`.
    """

    trusted_hosts: frozenset[str] = frozenset()

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
        if urlsplit(prepared_request.url or "").netloc.lower() not in self.trusted_hosts:
            prepared_request.headers.pop("X-App-Id", None)
            prepared_request.headers.pop("X-App-Token", None)


class DownloadResponse:
    """An open streaming download: where its body starts in the file, the file's size, and the bytes."""

    def __init__(self, response: requests.Response, *, requested_offset: int, display_url: str) -> None:
        self._response = response
        self.status = response.status_code
        self.display_url = display_url
        self.encoding = response.headers.get("Content-Encoding", "identity").strip().lower() or "identity"
        # With a content encoding, Content-Length counts encoded bytes, which cannot be checked against the CSV.
        self.content_length = _int_header(response.headers, "Content-Length") if self.encoding == "identity" else None
        self.offset = 0
        self.total_size = self.content_length
        if self.status == 206:
            start, total = _parse_content_range(response.headers.get("Content-Range"))
            if start is None:
                response.close()
                raise DownloadError(f"The download server answered 206 without a usable Content-Range ({display_url}).")
            self.offset = start
            self.total_size = total
        self.resumed = self.status == 206 and requested_offset > 0

    def iter_bytes(self, chunk_size: int = DOWNLOAD_CHUNK) -> Iterator[bytes | bytearray]:
        """The body in chunks of `chunk_size` (the last one shorter); DownloadError if the connection ends early.

        Each chunk is a fresh buffer that the socket reads into directly, so a byte is copied once on its
        way from the kernel to the caller. When the server closes the connection early, the bytes that did
        arrive are yielded before the error is raised, so a resume continues from the last byte received.
        A reset, a read timeout or Ctrl-C in the middle of a chunk loses that chunk's bytes (at most
        `chunk_size`): they are fetched again by the resume.
        """
        read_into = self._body_reader()
        received = 0
        while True:
            buffer = bytearray(chunk_size)
            filled = 0
            failure: BaseException | None = None
            with memoryview(buffer) as view:
                try:
                    while filled < chunk_size:
                        count = read_into(view[filled:])
                        if not count:
                            break
                        filled += count
                except _BODY_ERRORS as exc:
                    failure = exc
            received += filled
            if filled < chunk_size:
                del buffer[filled:]
            if buffer:
                yield buffer
            if failure is not None:
                raise DownloadError(
                    f"The download connection ended after {received} bytes of this response: {_describe(failure)}."
                )
            if filled < chunk_size:
                return

    def _body_reader(self) -> Callable[[memoryview], int]:
        """A function that reads the next body bytes into a buffer and says how many (0 at the end).

        An unencoded body is read straight from the standard library's response object underneath urllib3,
        whose own `read` would allocate and copy each chunk twice more. Anything else (a content encoding
        to undo) goes through urllib3.
        """
        raw = self._response.raw
        direct = getattr(raw, "_fp", None)
        if self.encoding == "identity" and isinstance(direct, http.client.HTTPResponse):
            return direct.readinto

        def through_urllib3(view: memoryview) -> int:
            data = raw.read1(len(view), decode_content=True)
            view[: len(data)] = data
            return len(data)

        return through_urllib3

    def close(self) -> None:
        """Release the connection."""
        self._response.close()

    def __enter__(self) -> DownloadResponse:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class ApiClient:
    """The Voucherify export API over one `requests.Session`; see the module docstring for the retry rules."""

    def __init__(
        self,
        settings: Settings,
        *,
        on_event: EventHandler = ignore_event,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        max_retry_delay: float = MAX_RETRY_DELAY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        budget: RateBudget | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        self.on_event = on_event
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.max_retry_delay = max_retry_delay
        self.sleep = sleep
        self.clock = clock
        self.wallclock = wallclock
        self.rng = rng or random.Random()
        self.budget = budget or RateBudget()
        self.calls = 0
        self._secrets = (settings.app_token,)
        self._session = _Session()
        self._session.trusted_hosts = _trusted_hosts(self.base_url)
        self._session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})

    @property
    def rate_limit(self) -> RateLimit:
        """The API's rate-limit state as last seen (shared when a RateBudget was passed in)."""
        return self.budget.current

    # The API ----------------------------------------------------------------------------------------

    def create_export(self, request: ExportRequestLike) -> dict[str, Any]:
        """POST the export request; the export object the API created (status SCHEDULED)."""
        return self._json("POST", self._url(request.endpoint()), json_body=request.body())

    def get_export(self, export_id: str) -> dict[str, Any]:
        """The export object as it is now."""
        return self._json("GET", self._export_url(export_id))

    def list_exports(self, limit: int = 10, page: int = 1, order: str | None = None) -> dict[str, Any]:
        """One page of the project's exports: `{"object": "list", "exports": [...], "total": N}`."""
        params: dict[str, str] = {"limit": str(limit), "page": str(page)}
        if order:
            params["order"] = order
        return self._json("GET", self._url("/v1/exports"), params=params)

    def delete_export(self, export_id: str) -> None:
        """Delete the export and its file."""
        self._send("DELETE", self._export_url(export_id), gone_after_retry_ok=True).close()

    def open_download(self, url: str, offset: int = 0) -> DownloadResponse:
        """Start streaming `url` (an export's `result.url`), from byte `offset` when the server allows ranges.

        Use as a context manager. Its `offset` is where the body starts in the file: the requested offset
        when the server answered 206, 0 when it sent the whole file. A refused token raises DownloadTokenError.
        """
        headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
        if offset > 0:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = self._send("GET", url, headers=headers, stream=True, auth=self._is_trusted(url), download=True)
        except ApiError as exc:
            if exc.status == 416 and offset > 0:
                # The .part is already as long as the file (or longer): start over rather than guess.
                return self.open_download(url, 0)
            raise
        return DownloadResponse(response, requested_offset=offset, display_url=self._display(url))

    def close(self) -> None:
        """Close the session's connections."""
        self._session.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # Sending ----------------------------------------------------------------------------------------

    def _json(
        self,
        method: str,
        url: str,
        *,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        response = self._send(method, url, json_body=json_body, params=params)
        try:
            data = response.json()
        except ValueError:
            raise NetworkError(
                f"The API answered {method} {self._display(url, params)} with {response.status_code} "
                f"but not with JSON ({response.headers.get('Content-Type', 'no content type')}): "
                f"{self._snippet(response)}",
                hint="Check the API base URL (--api-url or --region).",
            ) from None
        if not isinstance(data, dict):
            raise NetworkError(
                f"The API answered {method} {self._display(url, params)} with JSON that is not an object: "
                f"{self._snippet(response)}"
            )
        return data

    def _send(
        self,
        method: str,
        url: str,
        *,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        auth: bool = True,
        download: bool = False,
        gone_after_retry_ok: bool = False,
    ) -> requests.Response:
        """One request with the retry rules of the module docstring; the response when its status is < 400."""
        shown = self._display(url, params)
        all_headers = dict(headers or {})
        if auth:
            all_headers["X-App-Id"] = self.settings.app_id
            all_headers["X-App-Token"] = self.settings.app_token
        idempotent = method.upper() in _IDEMPOTENT
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            now = self.wallclock()
            pause = self.budget.take(now)
            while 0 < pause <= self.max_retry_delay - waited:
                self.on_event(Retrying(method, shown, "rate limit spent, waiting for it to refill", attempt, pause))
                self.sleep(pause)
                waited += pause
                # The refill time has come, at least by the API's word: count this call in the new window.
                now = max(self.wallclock(), now + pause)
                pause = self.budget.take(now)
            if pause > 0:
                # The refill is too far off to wait for: send anyway and let the API's answer say when.
                self.budget.spend()
            started = self.clock()
            try:
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    headers=all_headers,
                    timeout=self.timeout,
                    stream=stream,
                )
            except requests.RequestException as exc:
                self.calls += 1
                self.on_event(HttpExchange(method, shown, None, self.clock() - started))
                reason = _describe(exc)
                retryable = isinstance(exc, (requests.ConnectionError, requests.Timeout)) and (
                    idempotent or _surely_not_sent(exc)
                )
                delay = self._backoff(attempt)
                if retryable and self._may_retry(attempt, waited, delay):
                    self.on_event(Retrying(method, shown, reason, attempt, delay))
                    self.sleep(delay)
                    waited += delay
                    continue
                raise self._network_error(method, shown, reason, attempt, idempotent, exc) from None

            self.calls += 1
            self.budget.observe(response.headers)
            self.on_event(
                HttpExchange(
                    method,
                    shown,
                    response.status_code,
                    self.clock() - started,
                    _int_header(response.headers, "X-Rate-Limit-Remaining"),
                )
            )
            status = response.status_code
            if status < 400:
                return response
            if status == 429 or status >= 500:
                reason = f"{status} {response.reason or ''}".strip()
                if status == 429:
                    reason = f"429 rate limited ({response.headers.get('X-Rate-Limit-Type', 'api_calls')})"
                if idempotent or status in _NOT_ACTED_STATUSES:
                    server_delay = self._server_delay(response)
                    delay = (
                        server_delay + self.rng.uniform(0, RETRY_AFTER_JITTER)
                        if server_delay is not None
                        else self._backoff(attempt)
                    )
                    if self._may_retry(attempt, waited, delay):
                        response.close()
                        self.on_event(Retrying(method, shown, reason, attempt, delay))
                        self.sleep(delay)
                        waited += delay
                        continue
                    raise self._gave_up(method, shown, response, attempt, server_delay)
                raise NetworkError(
                    f"{method} {shown} failed with {reason}: {self._error_text(response)}",
                    hint="The API may have created the export anyway: check `exportctl list` before running again.",
                )
            if status == 404 and gone_after_retry_ok and attempt > 1:
                # An earlier attempt did delete it; only its answer was lost.
                return response
            raise self._error_for(response, shown, download=download)

    def _may_retry(self, attempt: int, waited: float, delay: float) -> bool:
        return attempt < self.max_attempts and waited + delay <= self.max_retry_delay

    def _backoff(self, attempt: int) -> float:
        return full_jitter(self.rng, attempt, base=BACKOFF_BASE, cap=BACKOFF_CAP)

    def _server_delay(self, response: requests.Response) -> float | None:
        """The wait the server asked for, from Retry-After (seconds or a date), else X-Rate-Limit-Retry."""
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            text = retry_after.strip()
            try:
                return max(0.0, float(text))
            except ValueError:
                with contextlib.suppress(TypeError, ValueError, IndexError):
                    return max(0.0, parsedate_to_datetime(text).timestamp() - self.wallclock())
        retry_at = _epoch_header(response.headers, "X-Rate-Limit-Retry")
        if retry_at is not None and response.status_code == 429:
            return max(0.0, retry_at - self.wallclock())
        return None

    # Errors -----------------------------------------------------------------------------------------

    def _gave_up(
        self, method: str, shown: str, response: requests.Response, attempt: int, server_delay: float | None
    ) -> NetworkError:
        status = response.status_code
        text = self._error_text(response)
        if status == 429:
            when = ""
            if server_delay is not None:
                resume = time.strftime("%H:%M:%S", time.localtime(self.wallclock() + server_delay))
                when = f" The API allows the next call in {server_delay:.0f} s (at {resume})."
            return NetworkError(
                f"{method} {shown}: the API's rate limit was reached ({text}).{when}",
                hint="Wait for the limit to reset, then run the command again.",
            )
        return NetworkError(f"{method} {shown} failed with {status} after {attempt} attempt(s): {text}")

    def _network_error(
        self, method: str, shown: str, reason: str, attempt: int, idempotent: bool, exc: BaseException
    ) -> NetworkError:
        if not isinstance(exc, (requests.ConnectionError, requests.Timeout)):
            return NetworkError(f"{method} {shown} could not be sent: {reason}.")
        if not idempotent and not _surely_not_sent(exc):
            return NetworkError(
                f"{method} {shown} failed: {reason}.",
                hint="The API may have created the export anyway: check `exportctl list` before running again.",
            )
        return NetworkError(f"{method} {shown} failed after {attempt} attempt(s): {reason}.")

    def _error_for(self, response: requests.Response, shown: str, *, download: bool) -> ApiError | AuthError:
        status = response.status_code
        key, message, details, request_id = self._error_fields(response)
        if status in (401, 403):
            text = ApiError(status, key, message, details, request_id).message
            if download and status == 401:
                return DownloadTokenError(f"The download URL's token was refused: {text}")
            return AuthError(
                f"The API refused the credentials ({status}): {text}",
                hint=f"Check the application ID and secret key (from {self.settings.source}).",
            )
        if status == 404:
            if key is None:
                message = f"{message} from {shown}; this does not look like the Voucherify API"
            return NotFoundError(status, key, message, details, request_id)
        return ApiError(status, key, message, details, request_id)

    def _error_fields(self, response: requests.Response) -> tuple[str | None, str, str | None, str | None]:
        """key, message, details, request_id of an error answer; a plain status line when it is not JSON."""
        try:
            data = response.json()
        except ValueError:
            data = None
        fallback = f"HTTP {response.status_code} {response.reason or ''}".strip()
        if not isinstance(data, dict):
            snippet = self._snippet(response)
            return None, fallback, snippet or None, response.headers.get("X-Request-Id")
        key = _text(data.get("key"))
        message = _text(data.get("message")) or fallback
        details = _text(data.get("details"))
        request_id = _text(data.get("request_id")) or response.headers.get("X-Request-Id")
        return (
            key,
            mask(message, self._secrets),
            mask(details, self._secrets) if details else None,
            request_id,
        )

    def _error_text(self, response: requests.Response) -> str:
        key, message, details, request_id = self._error_fields(response)
        return ApiError(response.status_code, key, message, details, request_id).message

    def _snippet(self, response: requests.Response, limit: int = 200) -> str:
        try:
            text = response.text
        except (requests.RequestException, OSError, UnicodeError):
            return ""
        text = " ".join(text.split())
        text = text if len(text) <= limit else text[:limit] + "…"
        return mask(text, self._secrets)

    # URLs -------------------------------------------------------------------------------------------

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return self.base_url + "/" + path_or_url.lstrip("/")

    def _export_url(self, export_id: str) -> str:
        return self._url(f"/v1/exports/{quote(export_id, safe='')}")

    def _display(self, url: str, params: Mapping[str, str] | None = None) -> str:
        full = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}" if params else url
        return mask(full, self._secrets)

    def _is_trusted(self, url: str) -> bool:
        return urlsplit(url).netloc.lower() in self._session.trusted_hosts


def full_jitter(rng: random.Random, attempt: int, *, base: float, cap: float) -> float:
    """The delay before retry `attempt` (from 1), with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
    return rng.uniform(0, min(cap, base * 2 ** (attempt - 1)))


def _trusted_hosts(base_url: str) -> frozenset[str]:
    """The hosts that may see the credentials: the API's, and its cluster's download host."""
    api_host = urlsplit(base_url).netloc.lower()
    hosts = {api_host}
    download = download_base_for(base_url)
    if download is not None:
        hosts.add(urlsplit(download).netloc.lower())
    labels = api_host.split(".")
    # Dedicated clusters follow the same naming: <name>.api.voucherify.io -> <name>.download.voucherify.io.
    if "api" in labels[:-2]:
        index = labels.index("api")
        hosts.add(".".join([*labels[:index], "download", *labels[index + 1 :]]))
    return frozenset(hosts)


def _surely_not_sent(exc: BaseException) -> bool:
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


def _describe(exc: BaseException) -> str:
    """A short reason for a failed exchange, without the library's nested reprs."""
    if isinstance(exc, requests.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, requests.ReadTimeout):
        return "read timeout (no answer in time)"
    if _surely_not_sent(exc):
        return "connection refused or host unreachable"
    if isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        return "connection reset or closed by the server"
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return "connection closed before the body was complete"
    return type(exc).__name__


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _epoch_header(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    # Tolerate milliseconds: no epoch in seconds reaches 10^11 for another three thousand years.
    return number / 1000 if number > 1e11 else number


def _parse_content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, total size) of `bytes first-last/total`; total None when `*`."""
    if not value or not value.startswith("bytes "):
        return None, None
    try:
        span, _, total = value[len("bytes ") :].partition("/")
        first = int(span.split("-", 1)[0])
        return first, None if total.strip() == "*" else int(total)
    except ValueError:
        return None, None
