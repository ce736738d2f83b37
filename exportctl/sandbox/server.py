"""The HTTP face of the sandbox: the server, the routes and the export endpoints.

Every response carries the rate-limit headers and every error the Voucherify error shape
(`code`, `key`, `message`, `details`, `request_id`), except a refused API key, which the real API
answers with `code`, `message` and `key` alone. Faults are applied before authentication, the way a
failing gateway in front of the API would behave. The plumbing (errors, JSON, headers) is in `plumbing`,
rate limits in `ratelimit`, downloads with Range in `downloads`.
"""

from __future__ import annotations

import contextlib
import math
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from exportctl import schema
from exportctl.sandbox import query, scopes, validation
from exportctl.sandbox.apierrors import ApiError, not_found
from exportctl.sandbox.downloads import DownloadHandler
from exportctl.sandbox.plumbing import MAX_CONNECTIONS, REQUEST_TIMEOUT, AppServer, SandboxApp
from exportctl.sandbox.ratelimit import RateLimiter, parse_rate_limit
from exportctl.sandbox.worker import ExportJob

# GET /v1/exports: the OpenAPI's ParameterPage goes from 1 to 100 (ParameterLimit too).
MAX_PAGE = 100

__all__ = [
    "MAX_CONNECTIONS",
    "REQUEST_TIMEOUT",
    "ROUTES",
    "RateLimiter",
    "SandboxApp",
    "SandboxHTTPServer",
    "parse_rate_limit",
]


class SandboxHTTPServer(AppServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver listens with a backlog of 5; a burst of parallel clients would wait on SYN retries.
    request_queue_size = 128

    app: SandboxApp

    def __init__(
        self,
        address: tuple[str, int],
        app: SandboxApp | None = None,
        *,
        request_timeout: float = REQUEST_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        # The app may come after the port is bound, so that a taken port is known before data is generated.
        if app is not None:
            self.app = app
        self.request_timeout = request_timeout
        self._busy = 0  # requests being answered (`wait_idle`)
        self._idle = threading.Condition()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, SandboxHandler, max_connections=max_connections)

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """One request being answered, from its request line to the end of its answer."""
        with self._idle:
            self._busy += 1
        try:
            yield
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is being answered (a client that gave up on a slow one may have left it
        running); False if one still is after `timeout` seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)


Route = Callable[["SandboxHandler", dict[str, str]], None]
_EXPORT_ID = r"(?P<export_id>[^/]+)"


class SandboxHandler(DownloadHandler):
    protocol_version = "HTTP/1.1"
    server_version = "exportctl-sandbox"
    # Headers and body leave in separate writes; with Nagle on, each response waits for a delayed ACK.
    disable_nagle_algorithm = True
    server: SandboxHTTPServer

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
        with self.server.answering():
            self._answer(method)

    def _answer(self, method: str) -> None:
        self.reader.deadline = None  # the request line and headers are in; the body has its own deadline
        app = self.server.app
        self.request_id = "v-" + secrets.token_hex(9)
        self.rate_headers = {}
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
            refusal = app.faults.after_authentication(path)
            if refusal is not None:
                raise refusal
            self._route(method, path)
        except ApiError as error:
            self._send_error(error)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as error:  # a bug must answer 500, not kill the connection silently
            self._send_error(ApiError(500, "internal_server_error", "Internal Server Error", str(error)))

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
        # The answer is built before the job may leave SCHEDULED, as the API answers a create.
        self._send_json(200, self.server.app.worker.submit(spec, lambda job: job.to_json(self.server.app.base_url)))

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
        resource = resolve(self.server.app.store, path)
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
        """`limit` 1-100 (default 10), `page` 1-100 (default 1) and `order`, as the OpenAPI's ParameterLimit,
        ParameterPage and ParameterOrderListExports say; anything else is the API's 400 invalid_payload."""
        limit = self._int_query("limit", 10, 1, 100)
        page = self._int_query("page", 1, 1, MAX_PAGE)
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
            raise not_found("export", export_id)
        return job

    def get_export(self, args: dict[str, str]) -> None:
        job = self._job(args["export_id"])
        if "token" in self.query:
            self._download(job, self.query["token"])
            return
        self._send_json(200, job.to_json(self.server.app.base_url))

    def delete_export(self, args: dict[str, str]) -> None:
        if not self.server.app.worker.delete(args["export_id"]):
            raise not_found("export", args["export_id"])
        self._send_empty(204)

    def touch_records(self, _: dict[str, str]) -> None:
        """The sandbox's own `POST /v1/sandbox/touch` `{"object": "voucher", "count": 3}`: changes records in place
        (sandbox/touch.py), so that an incremental export on updated_at sees them; answers their ids."""
        from exportctl.sandbox.touch import touchable

        body = self._json_body(required=True)
        name, count = body.get("object"), body.get("count", 1)
        if name not in touchable():
            able = ", ".join(touchable())
            raise ApiError(400, "invalid_payload", "Invalid payload", f"Property .object must be one of: {able}")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_TOUCH:
            raise ApiError(400, "invalid_payload", "Invalid payload", f"Property .count must be 1 to {MAX_TOUCH}")
        self._send_json(200, {"object": name, "ids": self.server.app.store.touch_records(str(name), count)})


MAX_TOUCH = 10_000


def _resource_route(resolve: scopes.Resolver) -> Route:
    return lambda handler, path: handler.resource_export(resolve, path)


ROUTES: tuple[tuple[re.Pattern[str], dict[str, Route]], ...] = (
    (re.compile(r"^/v1/exports$"), {"POST": SandboxHandler.create_export, "GET": SandboxHandler.list_exports}),
    (
        re.compile(rf"^/v1/exports/{_EXPORT_ID}$"),
        {"GET": SandboxHandler.get_export, "DELETE": SandboxHandler.delete_export},
    ),
    *((pattern, {"POST": _resource_route(resolve)}) for pattern, resolve in scopes.ENDPOINTS),
    (re.compile(r"^/v1/sandbox/touch$"), {"POST": SandboxHandler.touch_records}),
)
