"""A hostile S3 endpoint: a small HTTP proxy in front of moto that fails or holds chosen requests.

Everything else is forwarded unchanged, so what is left in the bucket is read from moto itself (objects,
open multipart uploads) after the proxy did its damage.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# What to do with a request: forward it, answer it with an error, or hold it until released, then forward.
FORWARD, FAIL, HOLD = "forward", "fail", "hold"
Rule = Callable[[str, str], str]  # (method, path with query) -> FORWARD | FAIL | HOLD

ACCESS_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b"<Error><Code>AccessDenied</Code><Message>denied by the test proxy</Message></Error>"
)


class Proxy:
    def __init__(self, upstream: str, rule: Rule) -> None:
        self.upstream = urlsplit(upstream)
        self.rule = rule
        self.held = threading.Event()  # set once a held request arrived
        self.release = threading.Event()
        self.seen: list[tuple[str, str]] = []
        self.endpoint = ""


def _handler(proxy: Proxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            proxy.seen.append((self.command, self.path))
            action = proxy.rule(self.command, self.path)
            if action == FAIL:
                self.send_response(403)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(ACCESS_DENIED)))
                self.end_headers()
                self.wfile.write(ACCESS_DENIED)
                return
            if action == HOLD:
                proxy.held.set()
                proxy.release.wait(30)
            upstream = http.client.HTTPConnection(
                proxy.upstream.hostname or "127.0.0.1", proxy.upstream.port, timeout=30
            )
            headers = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in ("connection", "transfer-encoding", "content-length")
            }
            if body or self.command in ("PUT", "POST"):
                headers["Content-Length"] = str(len(body))
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            upstream.close()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

    return Handler


@contextmanager
def s3_proxy(upstream: str, rule: Rule) -> Iterator[Proxy]:
    proxy = Proxy(upstream, rule)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    proxy.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.release.set()
        server.shutdown()
        server.server_close()


def is_part(method: str, path: str) -> bool:
    """An UploadPart request (PUT with partNumber= and uploadId=)."""
    return method == "PUT" and "partNumber=" in path and "uploadId=" in path


def is_commit(method: str, path: str) -> bool:
    """The request that makes the object appear: a PUT of the object, or CompleteMultipartUpload."""
    return (method == "PUT" and "?" not in path) or (method == "POST" and "uploadId=" in path)
