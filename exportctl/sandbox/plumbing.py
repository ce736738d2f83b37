"""The sandbox's HTTP plumbing: the app a handler serves, JSON bodies in and out, the common headers.

Every error (`apierrors.ApiError`) is answered in the Voucherify shape (`code`, `key`, `message`,
`details`, `request_id`), except a refused API key, which the real API answers with `code`, `message`
and `key` alone.
"""

from __future__ import annotations

import hmac
import json
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
# How long a connection may take to send a request line, its headers or a read of its body; without a
# limit every half-open connection holds a thread forever.
REQUEST_TIMEOUT = 10.0
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
    """What a handler reads from its server: the app and how long a request may take."""

    app: SandboxApp
    request_timeout: float


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
        return self.rfile.read(length)

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
