"""The sandbox's connections: a deadline for a request's headers and for its body, a bounded pool of threads,
and a connection's trouble kept out of standard error."""

from __future__ import annotations

import http.client
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from exportctl.sandbox import Sandbox, Timing

FAST = Timing(scheduled=0.0, in_progress=0.0, per_thousand_rows=0.0)
DEADLINE = 1.0
# One byte per DRIP seconds: each read comes well within a per-read timeout, the whole never ends.
DRIP = 0.2
# How many bytes a drip may send before the test calls the connection held forever (MAX_DRIP * DRIP = 30 s,
# thirty times the deadline): a loose bound, so that a slow machine cannot fail the test.
MAX_DRIP = 150


@pytest.fixture(scope="module")
def strict() -> Iterator[Sandbox]:
    with Sandbox(scale=0.01, timing=FAST, request_timeout=DEADLINE) as sb:
        yield sb


def _connect(sandbox: Sandbox) -> socket.socket:
    host, port = sandbox.base_url.removeprefix("http://").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=10)


def _closed_by_server(conn: socket.socket) -> bool:
    readable, _, _ = select.select([conn], [], [], 0)
    if not readable:
        return False
    try:
        return conn.recv(65536) == b""
    except ConnectionError:
        return True


def _drip(conn: socket.socket, head: bytes) -> int:
    """Send `head`, then one byte every DRIP seconds; how many were sent before the server closed."""
    conn.sendall(head)
    for sent in range(MAX_DRIP):
        time.sleep(DRIP)
        if _closed_by_server(conn):
            return sent
        try:
            conn.sendall(b"a")
        except ConnectionError:
            return sent
    return MAX_DRIP


def test_a_dripped_header_is_cut_off(strict: Sandbox) -> None:
    """Before: each byte reset the per-read timeout, and the connection was held as long as the client liked."""
    with _connect(strict) as conn:
        sent = _drip(conn, b"GET /v1/exports HTTP/1.1\r\nHost: sandbox\r\nX-Dripped: ")
    assert sent < MAX_DRIP


def test_a_dripped_body_is_cut_off(strict: Sandbox) -> None:
    head = (
        "POST /v1/exports HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n"
        f"Content-Length: {MAX_DRIP * 2}\r\n\r\n"
    )
    with _connect(strict) as conn:
        sent = _drip(conn, head.encode())
    assert sent < MAX_DRIP


def _status(sandbox: Sandbox, timeout: float = 60) -> int:
    host, port = sandbox.base_url.removeprefix("http://").rsplit(":", 1)
    client = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        client.request("GET", "/v1/exports", headers=sandbox.headers)
        response = client.getresponse()
        response.read()  # closing with unread bytes would send a reset, which the server would log as such
        return response.status
    finally:
        client.close()


def test_idle_connections_beyond_the_bound_wait_without_threads_and_a_request_is_served_after() -> None:
    """Before: a thread per connection, however many connected and sent nothing."""
    bound, extra = 4, 6
    with Sandbox(scale=0.01, timing=FAST, request_timeout=DEADLINE, max_connections=bound) as sb:
        assert _status(sb) == 200  # a connection served and ended: its thread is gone
        time.sleep(0.2)
        baseline = threading.active_count()
        idle = [_connect(sb) for _ in range(bound + extra)]
        try:
            most = baseline
            for _ in range(10):
                time.sleep(0.05)
                most = max(most, threading.active_count())
            assert most - baseline <= bound
            # Every slot is held by an idle connection; this request waits in the backlog until they time out.
            assert _status(sb) == 200
            # Each idle one was accepted in its turn and closed at its deadline.
            for conn in idle:
                conn.settimeout(60)
                assert conn.recv(1) == b""
        finally:
            for conn in idle:
                conn.close()


def test_a_reset_connection_is_one_access_log_line_not_a_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    """Before: socketserver's handle_error printed a traceback to standard error (flaky `Traceback` checks)."""
    lines: list[str] = []
    with Sandbox(scale=0.01, timing=FAST, access_log=lines.append) as sb:
        conn = _connect(sb)
        conn.sendall(b"GET /v1/exp")
        time.sleep(0.1)
        # Linger on with a zero timeout: the close sends RST, so the server's read fails with a reset.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        deadline = time.monotonic() + 30
        while not any("ConnectionResetError" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _status(sb) == 200  # the server serves on
    assert [line for line in lines if "connection ended" in line] == [
        next(line for line in lines if "ConnectionResetError" in line)
    ]
    assert "Traceback" not in capfd.readouterr().err


def test_without_an_access_log_a_reset_connection_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    with Sandbox(scale=0.01, timing=FAST) as sb:
        for _ in range(3):
            conn = _connect(sb)
            conn.sendall(b"GET /v1/exp")
            time.sleep(0.1)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
        time.sleep(0.5)
        assert _status(sb) == 200
    assert capfd.readouterr().err == ""
