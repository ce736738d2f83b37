"""The sandbox as a background service: SIGTERM, a taken port, stalled and hostile clients."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exportctl.cli.app import app
from exportctl.sandbox import Sandbox, Timing

from .http_api import Api
from .test_sandbox_cli import read_banner

FAST = Timing(scheduled=0.0, in_progress=0.0, per_thousand_rows=0.0)


def start_in(tmp: Path, *args: str) -> subprocess.Popen[str]:
    """`exportctl sandbox` with its temporary directory inside `tmp`, so what it leaves there can be seen."""
    return subprocess.Popen(
        [sys.executable, "-m", "exportctl", "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
    )


def test_sigterm_stops_it_and_removes_its_temporary_data(tmp_path: Path) -> None:
    process = start_in(tmp_path, "--scale", "0.01")
    try:
        banner = read_banner(process)
        assert "Serving until Ctrl-C" in banner, banner
        # The line a person pastes into a shell is a line of its own, with real newlines around it.
        assert any(line.startswith("  export VOUCHERIFY_API_BASE_URL=http://") for line in banner.splitlines()), banner
        assert "\\n" not in banner
        assert [p.name.startswith("exportctl-sandbox-") for p in tmp_path.iterdir()] == [True]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert out == ""
    assert err.strip().endswith("stopped")
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_sigterm_while_data_is_generated_removes_it_too(tmp_path: Path) -> None:
    process = start_in(tmp_path, "--scale", "20")  # about 200k vouchers: several seconds of generating
    assert process.stderr is not None
    try:
        assert "Generating data" in process.stderr.readline()
        deadline = time.monotonic() + 20
        while not list(tmp_path.glob("exportctl-sandbox-*/sandbox.sqlite3")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(tmp_path.glob("exportctl-sandbox-*/sandbox.sqlite3")), "the data was never started"
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_taken_port_fails_fast_before_any_data_is_made(taken_port: int, tmp_path: Path) -> None:
    started = time.monotonic()
    # At --scale 100 generating takes minutes, so a quick answer proves the port was checked first.
    result = CliRunner().invoke(
        app, ["sandbox", "--port", str(taken_port), "--scale", "100", "--db", str(tmp_path / "db")]
    )
    assert time.monotonic() - started < 5
    assert result.exit_code == 2
    assert f"port {taken_port} on 127.0.0.1 is already in use" in result.output
    assert "--port 0" in result.output
    assert "Generating data" not in result.output
    assert not (tmp_path / "db").exists()


@pytest.fixture(scope="module")
def impatient() -> Iterator[Sandbox]:
    with Sandbox(scale=0.01, timing=FAST, request_timeout=0.5) as sb:
        yield sb


def raw_exchange(sandbox: Sandbox, request: bytes, wait: float = 5.0) -> bytes:
    """Send bytes as they are and read until the server closes the connection."""
    host, port = sandbox.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=wait) as conn:
        conn.sendall(request)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    return received


def test_a_half_open_request_is_dropped_after_the_request_timeout(impatient: Sandbox) -> None:
    started = time.monotonic()
    answer = raw_exchange(impatient, b"GET /v1/exports HTTP/1.1\r\nHost: sandbox\r\nX-App-Id: ")
    elapsed = time.monotonic() - started
    assert answer == b""
    assert 0.4 < elapsed < 3.0


def test_many_stalled_connections_are_all_closed_and_their_threads_end(impatient: Sandbox) -> None:
    before = threading.active_count()
    host, port = impatient.base_url.removeprefix("http://").rsplit(":", 1)
    stalled = [socket.create_connection((host, int(port)), timeout=5) for _ in range(40)]
    try:
        for conn in stalled:
            conn.sendall(b"POST /v1/exports HTTP/1.1\r\n")
        started = time.monotonic()
        assert [conn.recv(1024) for conn in stalled] == [b""] * 40  # each one closed by the server
        assert time.monotonic() - started < 3
        deadline = time.monotonic() + 3
        while threading.active_count() > before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert threading.active_count() <= before
    finally:
        for conn in stalled:
            conn.close()


def request_with(sandbox: Sandbox, body: bytes, length: str) -> tuple[int, dict[str, object]]:
    head = (
        f"POST /v1/exports HTTP/1.1\r\nHost: sandbox\r\nX-App-Id: {sandbox.app_id}\r\n"
        f"X-App-Token: {sandbox.secret_key}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n"
        "Connection: close\r\n\r\n"
    )
    answer = raw_exchange(sandbox, head.encode() + body)
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


def test_a_negative_content_length_is_a_400_at_once(impatient: Sandbox) -> None:
    started = time.monotonic()
    status, body = request_with(impatient, b'{"exported_object": "voucher"}', "-1")
    assert time.monotonic() - started < 0.4  # answered, not left waiting for the request timeout
    assert status == 400
    assert body["key"] == "invalid_payload"
    assert "Content-Length" in str(body["details"])


def nested(levels: int) -> dict[str, object]:
    return {"x": nested(levels - 1)} if levels else {}


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        json.dumps({"exported_object": "voucher", "parameters": {"filters": nested(100)}}).encode(),
    ],
    ids=["100k-brackets", "filters-100-deep"],
)
def test_deeply_nested_json_is_a_400(sandbox: Sandbox, body: bytes) -> None:
    status, answer = request_with(sandbox, body, str(len(body)))
    assert status == 400
    assert answer["key"] == "invalid_payload"
    assert "nested" in str(answer["details"])


def test_worker_wait_returns_once_the_export_is_over_without_polling(api: Api, sandbox: Sandbox) -> None:
    # What benchmarks/sandbox_export.py waits with: the job's thread ends, so nothing polls the status.
    export = api.create("voucher", {"fields": ["code"]})
    job = sandbox.worker.wait(export["id"], timeout=30)
    assert job is not None and job.status == "DONE"
    assert api.get(f"/v1/exports/{export['id']}").json()["status"] == "DONE"
    assert sandbox.worker.wait("exp_unknown") is None
