"""Export downloads: the token check, single `bytes=` ranges, and the file streamed in chunks (with faults)."""

from __future__ import annotations

import gzip
import os
import re
import socket
import struct
import time
from pathlib import Path

from exportctl.sandbox.apierrors import ApiError, not_found
from exportctl.sandbox.plumbing import PlumbingHandler
from exportctl.sandbox.tokens import new_export_key
from exportctl.sandbox.worker import ExportJob

DOWNLOAD_CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class DownloadHandler(PlumbingHandler):
    """Answers `GET /v1/exports/{id}?token=...` with the export's CSV file."""

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
            raise not_found("export", job.id)
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
            parsed = parse_range(wanted, size)
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


def parse_range(header: str, size: int) -> tuple[int, int] | None:
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
