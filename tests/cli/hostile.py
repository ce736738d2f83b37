"""A small hostile HTTP server on 127.0.0.1, for the parts the sandbox cannot play: lying ids, statuses,
headers and bodies. Each test scripts its answers; every request it received is recorded."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Answer:
    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


Script = Callable[[Request, "Hostile"], Answer]


@dataclass
class Hostile:
    """The running server: its base URL, the requests it saw, and the script that answers them."""

    script: Script
    base_url: str = ""
    requests: list[Request] = field(default_factory=list)

    def paths(self, method: str = "GET") -> list[str]:
        return [r.path for r in self.requests if r.method == method]


def export(export_id: str, status: str = "SCHEDULED", **extra: Any) -> dict[str, Any]:
    """An export object as the API would send it, with whatever the test wants in it."""
    return {"id": export_id, "object": "export", "exported_object": "voucher", "status": status, "result": None} | extra


@contextmanager
def hostile_server(script: Script) -> Iterator[Hostile]:
    """A threaded HTTP/1.1 server on a free port of 127.0.0.1, answering every request with `script`."""
    state = Hostile(script)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            request = Request(self.command, self.path, dict(self.headers.items()))
            state.requests.append(request)
            answer = state.script(request, state)
            body = answer.encoded()
            self.send_response(answer.status)
            headers = {"Content-Type": "application/json"} | answer.headers
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    # shutdown() waits for serve_forever's next look at its flag: every 0.5 s by default, 0.5 s per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
