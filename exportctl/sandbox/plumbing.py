"""The sandbox's HTTP plumbing: the app a handler serves, JSON bodies in and out, the common headers.

Every error (`apierrors.ApiError`) is answered in the Voucherify shape (`code`, `key`, `message`,
`details`, `request_id`), except a refused API key, which the real API answers with `code`, `message`
and `key` alone.
"""

from __future__ import annotations

import hmac
import io
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from exportctl.sandbox.apierrors import ApiError
from exportctl.sandbox.faults import Faults
from exportctl.sandbox.ratelimit import RateLimiter
from exportctl.sandbox.store import Store
from exportctl.sandbox.worker import Worker

MAX_BODY_BYTES = 1_000_000
# How long a connection may take, in all, to send its request line and headers, and then its body; also the
# limit of one write. A deadline for the whole, not for each read: one byte every few seconds would
# otherwise hold a connection (and its thread) forever.
REQUEST_TIMEOUT = 10.0
# Connections served at once, each on its own thread; more wait in the listen backlog until one ends
# (a finished request, or the deadline of an idle or stalled one).
MAX_CONNECTIONS = 64
# How long the accept loop waits for a free slot before it looks at shutdown() again.
_SLOT_WAIT = 0.1
# No export parameter nests deeper than a few levels; deeper bodies would only reach recursion limits later.
MAX_JSON_DEPTH = 32


@dataclass
class SandboxApp:
    """Everything a request handler needs."""

    store: Store
    worker: Worker
    faults: Faults
    app_id: str
    secret_key: str
    limiter: RateLimiter
    base_url: str = ""
    access_log: Callable[[str], None] | None = None


class AppServer(ThreadingHTTPServer):
    """A thread per connection, at most `max_connections` at once; what a handler reads: the app, the deadline.

    A connection is accepted only when a slot is free (the slot is given back when the connection is shut
    down, on every path), so connections beyond the bound wait in the listen backlog, unanswered but
    not refused, and are served as others end.
    """

    app: SandboxApp
    request_timeout: float

    def __init__(self, address: tuple[str, int], handler: Any, *, max_connections: int = MAX_CONNECTIONS) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        if not self._slots.acquire(timeout=_SLOT_WAIT):
            # socketserver's loop takes an OSError here as "nothing accepted", and selects again.
            raise OSError("every connection slot is taken")
        try:
            return super().get_request()
        except BaseException:
            self._slots.release()
            raise

    def shutdown_request(self, request: Any) -> None:
        try:
            super().shutdown_request(request)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line in the access log (none without one), never a traceback on standard error.

        What reaches here is a connection's trouble (a reset, a broken pipe), not an API error: those are
        answered in `_dispatch`.
        """
        error = sys.exc_info()[1]
        app = getattr(self, "app", None)
        log = app.access_log if app is not None else None
        if log is not None:
            host = client_address[0] if isinstance(client_address, tuple) else client_address
            log(f"{host} connection ended: {type(error).__name__}: {error}")


class DeadlineReader(io.RawIOBase):
    """A socket's reads under one deadline for several of them (set `deadline`; None: each read's limit only)."""

    def __init__(self, connection: socket.socket, per_read: float) -> None:
        super().__init__()
        self._connection = connection
        self._per_read = per_read
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.deadline is None:
            return self._connection.recv_into(buffer)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request was not received within its deadline")
        self._connection.settimeout(min(remaining, self._per_read))
        try:
            return self._connection.recv_into(buffer)
        finally:
            self._connection.settimeout(self._per_read)


def json_depth(value: Any) -> int:
    """How deeply a decoded JSON value nests, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class PlumbingHandler(BaseHTTPRequestHandler):
    """Reading requests and writing answers; `server.SandboxHandler` routes them."""

    server: AppServer
    request_id: str
    rate_headers: dict[str, str]
    body: bytes
    query: dict[str, str]

    def setup(self) -> None:
        super().setup()
        # A client that stalls mid-request now ends in TimeoutError, which closes the connection.
        self.connection.settimeout(self.server.request_timeout)
        self.reader = DeadlineReader(self.connection, self.server.request_timeout)
        self.rfile.close()
        self.rfile = io.BufferedReader(self.reader)

    def handle_one_request(self) -> None:
        # The request line and every header within one deadline, counted from when the wait begins (an
        # idle keep-alive connection is closed after it too); BaseHTTPRequestHandler closes on TimeoutError.
        self.reader.deadline = time.monotonic() + self.server.request_timeout
        super().handle_one_request()

    def log_message(self, format: str, *args: Any) -> None:
        log = self.server.app.access_log
        if log is not None:
            log(f"{self.address_string()} {format % args}")

    def _read_body(self) -> bytes:
        length_header = self.headers.get("Content-Length")
        if not length_header:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            self.close_connection = True
            raise ApiError(400, "invalid_payload", "Invalid payload", "Bad Content-Length") from None
        if length < 0:
            # read(-1) would wait for the client to close the connection.
            self.close_connection = True
            raise ApiError(400, "invalid_payload", "Invalid payload", "Bad Content-Length: negative")
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise ApiError(
                413, "payload_too_large", "Payload Too Large", f"Request bodies are limited to {MAX_BODY_BYTES} bytes"
            )
        # The body within its own deadline: a client dripping it must not hold the connection either.
        self.reader.deadline = time.monotonic() + self.server.request_timeout
        try:
            return self.rfile.read(length)
        finally:
            self.reader.deadline = None

    def _injected(self, status: int, retry_after: int | None, rate_limited: bool) -> ApiError:
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        error = ApiError(status, phrase.lower().replace(" ", "_").replace("-", "_"), phrase, "Injected by the sandbox")
        if rate_limited:
            error.headers = {"Retry-After": str(retry_after or 1), "X-Rate-Limit-Type": "api_calls"}
            self.rate_headers["X-Rate-Limit-Remaining"] = "0"
        return error

    def _authenticate(self) -> None:
        app = self.server.app
        given_id = (self.headers.get("X-App-Id") or "").encode()
        given_token = (self.headers.get("X-App-Token") or "").encode()
        # Both comparisons always run, so the time taken says nothing about which one failed.
        id_ok = hmac.compare_digest(given_id, app.app_id.encode())
        token_ok = hmac.compare_digest(given_token, app.secret_key.encode())
        if not (id_ok and token_ok):
            raise ApiError(401, "unauthorized", "Unauthorized", bare=True)

    def _send_error(self, error: ApiError) -> None:
        if error.bare:
            self._send_json(error.status, {"code": error.status, "message": error.message, "key": error.key})
            return
        body: dict[str, Any] = {
            "code": error.status,
            "key": error.key,
            "message": error.message,
            "details": error.details if error.details is not None else error.message,
            "request_id": self.request_id,
            **error.extra,
        }
        self._send_json(error.status, body, error.headers)

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self._common_headers(headers)
        self.wfile.write(payload)

    def _send_empty(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self._common_headers(None)

    def _common_headers(self, headers: dict[str, str] | None) -> None:
        for name, value in {**self.rate_headers, **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("X-Request-Id", self.request_id)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def _json_body(self, *, required: bool) -> dict[str, Any]:
        if not self.body.strip():
            if required:
                raise ApiError(400, "invalid_payload", "Invalid payload", "Request body is required")
            return {}
        try:
            body = json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise ApiError(400, "invalid_payload", "Invalid payload", f"Malformed JSON: {error}") from None
        except RecursionError:
            # json's decoder recurses once per nesting level; a body of 100k '[' must not be a 500.
            raise ApiError(400, "invalid_payload", "Invalid payload", "Malformed JSON: nested too deeply") from None
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_payload", "Invalid payload", "Request body should be an object")
        if json_depth(body) > MAX_JSON_DEPTH:
            raise ApiError(
                400, "invalid_payload", "Invalid payload", f"Malformed JSON: nested deeper than {MAX_JSON_DEPTH} levels"
            )
        return body
