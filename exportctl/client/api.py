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
A quota that waiting minutes does not clear (402, the plan's limit; 429 with `X-Rate-Limit-Type:
api_calls_cycle`) is never retried: it fails at once with a `QuotaError`. Every wait ends on `stop`.
This module imports `requests` at the top; the CLI imports it only inside the commands that talk to the API.
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode

import requests

from exportctl.client.answers import body_snippet, error_for, error_text, quota_error_for
from exportctl.client.download import DownloadResponse
from exportctl.client.refusals import quota_limit
from exportctl.client.retry import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    IDEMPOTENT,
    MAX_ATTEMPTS,
    MAX_RETRY_DELAY,
    NOT_ACTED_STATUSES,
    RETRY_AFTER_JITTER,
    RateBudget,
    RateLimit,
    describe_failure,
    epoch_header,
    full_jitter,
    int_header,
    surely_not_sent,
    utc_clock,
)
from exportctl.client.stop import StopEvent
from exportctl.client.trust import origin, trusted_origins
from exportctl.errors import ApiError, NetworkError
from exportctl.events import EventHandler, HttpExchange, Retrying, ignore_event
from exportctl.masking import mask
from exportctl.settings import Settings
from exportctl.version import USER_AGENT

# A connect timeout of 5 s is far above any healthy round trip yet short enough that an unreachable host
# fails fast; 60 s of read silence covers a slow API answer (the export itself runs asynchronously).
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0
DEFAULT_TIMEOUT = (CONNECT_TIMEOUT, READ_TIMEOUT)


class UnreadableAnswer(NetworkError):
    """A success status whose body is not the JSON object the API sends: a proxy's page, a cut-off body."""


class _Session(requests.Session):
    """A session that drops the credentials when a redirect leaves the trusted hosts.

    requests strips `Authorization` on a cross-host redirect but knows nothing of `X-App-Token`.
    """

    trusted_hosts: frozenset[str] = frozenset()

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
        if origin(prepared_request.url or "") not in self.trusted_hosts:
            prepared_request.headers.pop("X-App-Id", None)
            prepared_request.headers.pop("X-App-Token", None)


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
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        budget: RateBudget | None = None,
        stop: StopEvent | None = None,  # the session's: its waits and requests end once it is set
    ) -> None:
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        self.on_event = on_event
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.max_retry_delay = max_retry_delay
        self.stop = stop if stop is not None else StopEvent()
        self.sleep: Callable[[float], None] = sleep if sleep is not None else self.stop.sleep
        self.clock = clock
        self.wallclock = wallclock
        self.rng = rng or random.Random()
        self.budget = budget or RateBudget()
        self.calls = 0
        self._secrets = (settings.app_token,)
        self._session = _Session()
        self._session.trusted_hosts = trusted_origins(self.base_url)
        self._session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})

    @property
    def rate_limit(self) -> RateLimit:
        """The API's rate-limit state as last seen (shared when a RateBudget was passed in)."""
        return self.budget.current

    # The API ----------------------------------------------------------------------------------------

    def create_export(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a request body to `path` (`/v1/exports` or a scope's); the export the API created (SCHEDULED)."""
        return self._json("POST", self._url(path), json_body=dict(body))

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
            raise UnreadableAnswer(
                f"The API answered {method} {self._display(url, params)} with {response.status_code} "
                f"but not with JSON ({response.headers.get('Content-Type', 'no content type')}): "
                f"{body_snippet(response, self._secrets)}",
                hint="Check the API base URL (--api-url or --region).",
            ) from None
        if not isinstance(data, dict):
            raise UnreadableAnswer(
                f"The API answered {method} {self._display(url, params)} with JSON that is not an object: "
                f"{body_snippet(response, self._secrets)}"
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
        idempotent = method.upper() in IDEMPOTENT
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            self.stop.check()
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
                reason = describe_failure(exc)
                retryable = isinstance(exc, (requests.ConnectionError, requests.Timeout)) and (
                    idempotent or surely_not_sent(exc)
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
                    int_header(response.headers, "X-Rate-Limit-Remaining"),
                )
            )
            status = response.status_code
            if status < 400:
                return response
            limit = quota_limit(status, response.headers)
            if limit is not None:
                # A plan's limit or a billing cycle's does not clear in minutes: say so now, without waiting.
                error = quota_error_for(response, limit, f"{method} {shown}", self._secrets, self.wallclock())
                response.close()
                raise error
            if status == 429 or status >= 500:
                reason = f"{status} {response.reason or ''}".strip()
                if status == 429:
                    reason = f"429 rate limited ({response.headers.get('X-Rate-Limit-Type', 'api_calls')})"
                if idempotent or status in NOT_ACTED_STATUSES:
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
                    f"{method} {shown} failed with {reason}: {error_text(response, self._secrets)}",
                    hint="The API may have created the export anyway: check `exportctl list` before running again.",
                )
            if status == 404 and gone_after_retry_ok and attempt > 1:
                # An earlier attempt did delete it; only its answer was lost.
                return response
            raise error_for(
                response,
                shown,
                download=download,
                secrets=self._secrets,
                source=self.settings.source,
                base_url=self.base_url,
                profile=self.settings.profile,
            )

    def _may_retry(self, attempt: int, waited: float, delay: float) -> bool:
        return attempt < self.max_attempts and waited + delay <= self.max_retry_delay

    def _backoff(self, attempt: int) -> float:
        return full_jitter(self.rng, attempt, base=BACKOFF_BASE, cap=BACKOFF_CAP)

    def _server_delay(self, response: requests.Response) -> float | None:
        """The wait the server asked for, from Retry-After (seconds or a date), else X-Rate-Limit-Retry."""
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            text = retry_after.strip()
            seconds: float | None
            try:
                seconds = float(text)
            except ValueError:
                seconds = None
                with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
                    seconds = parsedate_to_datetime(text).timestamp() - self.wallclock()
            # `inf`, `nan` or `1e400` say nothing a wait can be based on; a huge finite one is refused below.
            if seconds is not None and math.isfinite(seconds):
                return max(0.0, seconds)
        retry_at = epoch_header(response.headers, "X-Rate-Limit-Retry")
        if retry_at is not None and response.status_code == 429:
            return max(0.0, retry_at - self.wallclock())
        return None

    # Errors -----------------------------------------------------------------------------------------

    def _gave_up(
        self, method: str, shown: str, response: requests.Response, attempt: int, server_delay: float | None
    ) -> NetworkError:
        status = response.status_code
        text = error_text(response, self._secrets)
        if status == 429:
            when = ""
            if server_delay is not None:
                at = utc_clock(self.wallclock() + server_delay)
                when = f" The API allows the next call in {server_delay:.0f} s (at {at})."
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
        if not idempotent and not surely_not_sent(exc):
            return NetworkError(
                f"{method} {shown} failed: {reason}.",
                hint="The API may have created the export anyway: check `exportctl list` before running again.",
            )
        return NetworkError(f"{method} {shown} failed after {attempt} attempt(s): {reason}.")

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
        return origin(url) in self._session.trusted_hosts
