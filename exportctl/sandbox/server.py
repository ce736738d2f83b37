"""The HTTP face of the sandbox: routing, authentication, errors, rate limits, downloads with Range.

Every response carries the rate-limit headers and every error the Voucherify error shape
(`code`, `key`, `message`, `details`, `request_id`), except a refused API key, which the real API
answers with `code`, `message` and `key` alone. Faults are applied before authentication, the way a
failing gateway in front of the API would behave.
"""

from __future__ import annotations

import gzip
import hmac
import json
import math
import os
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from exportctl import schema
from exportctl.sandbox import query, scopes, validation
from exportctl.sandbox.faults import Faults
from exportctl.sandbox.store import Store
from exportctl.sandbox.tokens import new_export_key
from exportctl.sandbox.worker import ExportJob, Worker

# What the headers announce when no limit is configured: a budget no test or person will spend.
UNLIMITED = (1_000_000, 3600.0)
MAX_BODY_BYTES = 1_000_000
# How long a connection may take to send a request line, its headers or a read of its body; without a
# limit every half-open connection holds a thread forever.
REQUEST_TIMEOUT = 10.0
# No export parameter nests deeper than a few levels; deeper bodies would only reach recursion limits later.
MAX_JSON_DEPTH = 32
DOWNLOAD_CHUNK = 64 * 1024
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_rate_limit(value: str | tuple[int, float] | None) -> tuple[int, float] | None:
    """`"100/h"`, `"10/30s"` or `(100, 3600.0)` as (requests, window seconds)."""
    if value is None or isinstance(value, tuple):
        return value
    match = _RATE.match(value)
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"rate limit {value!r} is not like 100/h, 100/min or 10/30s")
    multiplier = int(match.group(2) or 1)
    return int(match.group(1)), float(multiplier * _UNIT_SECONDS[match.group(3).lower()])


class RateLimiter:
    """A fixed window: `limit` calls per `window` seconds, counted from the first call of the window."""

    def __init__(self, limit: tuple[int, float] | None) -> None:
        self.enforced = limit is not None
        self.limit, self.window = limit or UNLIMITED
        self._lock = threading.Lock()
        self._window_start = 0.0
        self._used = 0

    def take(self) -> tuple[bool, int, int, float]:
        """Count one call: (allowed, limit, remaining, epoch time the window resets)."""
        with self._lock:
            now = time.time()
            if now >= self._window_start + self.window:
                self._window_start, self._used = now, 0
            reset = self._window_start + self.window
            if self._used >= self.limit and self.enforced:
                return False, self.limit, 0, reset
            self._used += 1
            return True, self.limit, max(0, self.limit - self._used), reset


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


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver listens with a backlog of 5; a burst of parallel clients would wait on SYN retries.
    request_queue_size = 128

    app: SandboxApp

    def __init__(
        self, address: tuple[str, int], app: SandboxApp | None = None, *, request_timeout: float = REQUEST_TIMEOUT
    ) -> None:
        # The app may come after the port is bound, so that a taken port is known before data is generated.
        if app is not None:
            self.app = app
        self.request_timeout = request_timeout
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, SandboxHandler)


class ApiError(Exception):
    """An error answer, raised anywhere below the dispatcher."""

    def __init__(
        self, status: int, key: str, message: str, details: str | None = None, *, bare: bool = False, **extra: Any
    ) -> None:
        super().__init__(details or message)
        self.status = status
        self.key = key
        self.message = message
        self.details = details
        self.bare = bare  # only code, message and key in the body
        self.extra = extra
        self.headers: dict[str, str] = {}


def _not_found(kind: str, resource_id: str) -> ApiError:
    return ApiError(
        404,
        "not_found",
        "Resource not found",
        f"Cannot find {kind} with id {resource_id}",
        resource_id=resource_id,
        resource_type=kind,
    )


Route = Callable[["SandboxHandler", dict[str, str]], None]
_EXPORT_ID = r"(?P<export_id>[^/]+)"


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "exportctl-sandbox"
    # Headers and body leave in separate writes; with Nagle on, each response waits for a delayed ACK.
    disable_nagle_algorithm = True
    server: SandboxHTTPServer

    # plumbing ---------------------------------------------------------------------------------------
    def setup(self) -> None:
        super().setup()
        # A client that stalls mid-request now ends in TimeoutError, which closes the connection.
        self.connection.settimeout(self.server.request_timeout)

    def log_message(self, format: str, *args: Any) -> None:
        log = self.server.app.access_log
        if log is not None:
            log(f"{self.address_string()} {format % args}")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        app = self.server.app
        self.request_id = "v-" + secrets.token_hex(9)
        self.rate_headers: dict[str, str] = {}
        try:
            self.body = self._read_body()
            allowed, limit, remaining, reset = app.limiter.take()
            self.rate_headers = {
                "X-Rate-Limit-Limit": str(limit),
                "X-Rate-Limit-Remaining": str(remaining),
                "X-Rate-Limit-Retry": str(math.ceil(reset)),
            }
            split = urlsplit(self.path)
            path = split.path.rstrip("/") or "/"
            self.query = {key: values[-1] for key, values in parse_qs(split.query, keep_blank_values=True).items()}
            fault = app.faults.on_request(path)
            if fault.delay:
                time.sleep(fault.delay)
            if fault.reset:
                self.close_connection = True
                return
            if fault.status is not None:
                raise self._injected(fault.status, fault.retry_after, fault.rate_limited)
            if not allowed:
                error = ApiError(429, "too_many_requests", "Too Many Requests", "API calls limit reached")
                error.headers = {
                    "Retry-After": str(max(1, math.ceil(reset - time.time()))),
                    "X-Rate-Limit-Type": "api_calls",
                }
                raise error
            self._authenticate()
            self._route(method, path)
        except ApiError as error:
            self._send_error(error)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as error:  # a bug must answer 500, not kill the connection silently
            self._send_error(ApiError(500, "internal_server_error", "Internal Server Error", str(error)))

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
        if _depth(body) > MAX_JSON_DEPTH:
            raise ApiError(
                400, "invalid_payload", "Invalid payload", f"Malformed JSON: nested deeper than {MAX_JSON_DEPTH} levels"
            )
        return body

    # routing ----------------------------------------------------------------------------------------
    def _route(self, method: str, path: str) -> None:
        for pattern, handlers in ROUTES:
            match = pattern.match(path)
            if match is None:
                continue
            handler = handlers.get(method)
            if handler is None:
                allowed = ", ".join(sorted(handlers))
                error = ApiError(
                    405, "method_not_allowed", "Method Not Allowed", f"{method} is not allowed on {path}; use {allowed}"
                )
                error.headers = {"Allow": allowed}
                raise error
            handler(self, {k: unquote(v) for k, v in match.groupdict().items()})
            return
        raise ApiError(404, "not_found", "Resource not found", f"No endpoint {method} {path}")

    def _create(
        self,
        exported_object: Any,
        parameters: Any,
        scope: tuple[query.Condition, ...] = (),
        *,
        scope_echo: tuple[query.Condition, ...] = (),
        order: Any = None,
    ) -> None:
        try:
            spec = validation.validate(exported_object, parameters, scope, scope_echo=scope_echo, order=order)
        except query.InvalidExport as invalid:
            raise ApiError(400, invalid.key, invalid.message, invalid.details) from None
        job = self.server.app.worker.submit(spec)
        self._send_json(200, job.to_json(self.server.app.base_url))

    def create_export(self, _: dict[str, str]) -> None:
        body = validation.without_nulls(self._json_body(required=True))
        unknown = sorted(set(body) - {"exported_object", "parameters"})
        if unknown:
            raise ApiError(400, "invalid_payload", "Invalid payload", f"Property .{unknown[0]} is not allowed")
        if "exported_object" not in body:
            raise ApiError(400, "invalid_payload", "Invalid payload", "Property .exported_object is required")
        self._create(body["exported_object"], body.get("parameters"))

    def resource_export(self, resolve: scopes.Resolver, path: dict[str, str]) -> None:
        """A per-resource endpoint: its path names the scope; an empty body means all defaults."""
        try:
            resource = resolve(self.server.app.store, path)
        except scopes.ResourceError as error:
            raise ApiError(error.status, error.key, error.message, error.details, **error.extra) from None
        # Real examples send `order` beside `parameters` on these endpoints.
        body = validation.without_nulls(self._json_body(required=False))
        self._create(
            resource.exported_object,
            body.get("parameters"),
            resource.scope,
            scope_echo=resource.scope_echo,
            order=body.get("order"),
        )

    def list_exports(self, _: dict[str, str]) -> None:
        limit = self._int_query("limit", 10, 1, 100)
        page = self._int_query("page", 1, 1, None)
        order = self.query.get("order") or "-created_at"
        if order not in schema.LIST_ORDERS:
            raise ApiError(
                400,
                "invalid_payload",
                "Invalid payload",
                f"Query parameter order should be one of {', '.join(schema.LIST_ORDERS)}",
            )
        jobs = self.server.app.worker.jobs()
        key = order.lstrip("-")
        jobs.sort(
            key=lambda job: (job.created_at if key == "created_at" else job.status, job.sequence),
            reverse=order.startswith("-"),
        )
        selected = jobs[(page - 1) * limit : page * limit]
        base_url = self.server.app.base_url
        self._send_json(
            200,
            {
                "object": "list",
                "data_ref": "exports",
                "exports": [job.to_json(base_url) for job in selected],
                "total": len(jobs),
            },
        )

    def _int_query(self, name: str, default: int, low: int, high: int | None) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            value = low - 1
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ApiError(
                400, "invalid_payload", "Invalid payload", f"Query parameter {name} should be an integer {bounds}"
            )
        return value

    def _job(self, export_id: str) -> ExportJob:
        job = self.server.app.worker.get(export_id)
        if job is None:
            raise _not_found("export", export_id)
        return job

    def get_export(self, args: dict[str, str]) -> None:
        job = self._job(args["export_id"])
        if "token" in self.query:
            self._download(job, self.query["token"])
            return
        self._send_json(200, job.to_json(self.server.app.base_url))

    def delete_export(self, args: dict[str, str]) -> None:
        if not self.server.app.worker.delete(args["export_id"]):
            raise _not_found("export", args["export_id"])
        self._send_empty(204)

    # downloads --------------------------------------------------------------------------------------
    def _download(self, job: ExportJob, token: str) -> None:
        injected = self.server.app.faults.on_download_start()
        if injected.status is not None:
            raise self._injected(injected.status, None, False)
        if injected.refuse_token:
            job.token_key = new_export_key()
        problem = self.server.app.worker.tokens.problem(token, job.id, job.token_key)
        if problem is not None:
            raise ApiError(401, "unauthorized", "Unauthorized", problem)
        path = job.path
        if path is None or not path.exists():
            raise _not_found("export", job.id)
        size = path.stat().st_size
        start, end = 0, size - 1
        status = 200
        headers = {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{job.spec.exported_object}-{job.id}.csv"',
            "Accept-Ranges": "bytes",
        }
        wanted = None if injected.ignore_range else self.headers.get("Range")
        if wanted:
            parsed = _parse_range(wanted, size)
            if parsed is None:
                error = ApiError(416, "range_not_satisfiable", "Range Not Satisfiable", f"File has {size} bytes")
                error.headers = {"Content-Range": f"bytes */{size}"}
                raise error
            start, end = parsed
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        length = max(0, end - start + 1)
        if injected.gzip_cut:
            # A complete HTTP body (its Content-Length is right) that is a torn gzip stream.
            packed = gzip.compress(path.read_bytes()[start : end + 1])
            body = packed[: len(packed) // 2]
            self.send_response(status)
            headers |= {"Content-Encoding": "gzip", "Content-Length": str(len(body))}
            self._common_headers(headers)
            self.wfile.write(body)
            return
        cut = self.server.app.faults.on_download()
        to_send = length if cut is None else cut.bytes_to_send(length)
        if cut is not None:
            self.close_connection = True
        self.send_response(status)
        headers["Content-Length"] = str(length)
        self._common_headers(headers)
        stall = None if injected.stall_after is None else (injected.stall_after, injected.stall_seconds)
        self._stream(path, start, to_send, stall)
        if cut is not None and cut.kind == "reset":
            self.wfile.flush()
            # Linger on, with a zero timeout: closing then sends RST instead of FIN. Closed here, at once, since
            # the server's own shutdown(SHUT_WR) would send a FIN first.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            os.close(self.connection.detach())

    def _stream(self, path: Path, start: int, count: int, stall: tuple[int, float] | None = None) -> None:
        with path.open("rb") as source:
            source.seek(start)
            sent = 0
            while sent < count:
                size = min(DOWNLOAD_CHUNK, count - sent)
                if stall is not None and sent < stall[0]:
                    size = min(size, stall[0] - sent)
                chunk = source.read(size)
                if not chunk:
                    break
                self.wfile.write(chunk)
                sent += len(chunk)
                if stall is not None and sent == stall[0]:
                    self.wfile.flush()
                    time.sleep(stall[1])
                    stall = None
        self.wfile.flush()


def _depth(value: Any) -> int:
    """How deeply a decoded JSON value nests, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """A single `bytes=` range as (first, last) byte, or None when it cannot be satisfied."""
    match = _RANGE.match(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:
        suffix = int(last)
        return None if suffix == 0 or size == 0 else (max(0, size - suffix), size - 1)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end


def _resource_route(resolve: scopes.Resolver) -> Route:
    return lambda handler, path: handler.resource_export(resolve, path)


ROUTES: tuple[tuple[re.Pattern[str], dict[str, Route]], ...] = (
    (re.compile(r"^/v1/exports$"), {"POST": SandboxHandler.create_export, "GET": SandboxHandler.list_exports}),
    (
        re.compile(rf"^/v1/exports/{_EXPORT_ID}$"),
        {"GET": SandboxHandler.get_export, "DELETE": SandboxHandler.delete_export},
    ),
    *((pattern, {"POST": _resource_route(resolve)}) for pattern, resolve in scopes.ENDPOINTS),
)
